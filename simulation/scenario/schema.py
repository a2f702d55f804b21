"""The scenario's sections: date, factions and their units, initial control, air budgets.

The rules' parameters are in :mod:`.rule_params`. This schema checks the form of
every value; the checks against the map are in :mod:`.checks`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from simulation.scenario.rule_params import Rules
from simulation.scenario.values import (FACTION_KEYS, FactionName, Fraction, LonLat, NonNegative, PlaceName, Positive,
                                        Strict, SupportedFaction, WholeNumber)


class UnitSpec(Strict):
    """One ground formation at the start date: give exactly one of ``place`` or ``at``."""

    name: str = Field(description="the formation's name, as it appears in records")
    strength: Positive = Field(description="fighters in the formation")
    place: PlaceName | None = Field(None, description="named place it stands at")
    at: LonLat | None = Field(None, description="[lon, lat] in degrees it stands at, if not at a named place")
    morale: Fraction = Field(0.7, description="morale, 0 (broken) to 1")
    supply: Fraction = Field(1.0, description="supply level, 0 (none) to 1 (full)")
    posture: Literal["hold", "attack", "withdraw"] | None = Field(
        None, description="opening posture (default: hold for ISIS and for units tied to an objective, else attack)")
    objective: PlaceName | None = Field(None, description="place it is tied to (else its commander picks)")
    air_supplied: bool = Field(False, description="supplied by air when cut off (besieged garrisons)")

    @model_validator(mode="after")
    def _one_location(self):
        if (self.place is None) == (self.at is None):
            raise ValueError("give exactly one of 'place' or 'at'")
        return self


class ObjectiveSpec(Strict):
    """A place a commander wants (for ISIS: wants to keep), with its relative weight."""

    place: PlaceName = Field(description="the place")
    weight: Positive = Field(1.0, description="relative weight among the faction's objectives")


class FactionSpec(Strict):
    """A faction's forces in the theatre."""

    manpower: NonNegative = Field(description="fighters in the theatre, units and garrisons together")
    fixed_commitment: NonNegative = Field(0.0, description="fighters tied down elsewhere (e.g. the Turkish border)")
    recruits_per_day: NonNegative = Field(0.0, description="fighters added to the pool per day")
    supply_sources: list[PlaceName | LonLat] = Field(
        default_factory=list, description="places or [lon, lat] its supply comes from (at least one)")
    objectives: list[ObjectiveSpec] = Field(default_factory=list, description="places its commander wants")
    operations: Annotated[WholeNumber, Field(ge=1)] | None = Field(
        None, description="objectives its commander pursues at once (none: every open one)")
    units: list[UnitSpec] = Field(default_factory=list, description="its ground formations at the start date")


class AreaSpec(Strict):
    """One area of initial control: governorates, a polygon, or a disc round a place."""

    faction: FactionName = Field(description="who holds the area")
    governorates: list[str] | None = Field(
        None, description="whole governorates: Aleppo, Raqqa, Hasakah, Deir ez-Zor, Homs, Nineveh, Anbar, Salah ad-Din")
    polygon: list[LonLat] | None = Field(
        None, min_length=3, description="[lon, lat] corners (at least 3); cells whose centres lie inside")
    place: PlaceName | None = Field(None, description="centre of a disc (with radius_km)")
    radius_km: Positive | None = Field(None, description="radius of the disc round place, km")
    note: str | None = Field(None, description="free text: what the area is and the source")

    @model_validator(mode="after")
    def _one_shape(self):
        given = [self.governorates is not None, self.polygon is not None, self.place is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of 'governorates', 'polygon' or 'place'")
        if (self.place is None) != (self.radius_km is None):
            raise ValueError("'place' and 'radius_km' go together")
        return self


class ControlSpec(Strict):
    """Initial control: a default holder, then areas in order (later ones win)."""

    default: FactionName = Field("ISIS", description="holder of every cell no area covers")
    areas: list[AreaSpec] = Field(default_factory=list, description="areas of control, applied in order")


class AirArmSpec(Strict):
    """An air component's daily budget over the theatre."""

    sorties_per_day: NonNegative = Field(description="sorties flown over the theatre per day")
    strikes_per_sortie: NonNegative = Field(1.0, description="weapons released per sortie")
    supports: list[SupportedFaction] = Field(description="ground factions it flies for")
    priority: dict[SupportedFaction, Positive] = Field(
        default_factory=dict, description="relative weight of each supported faction's targets (default 1)")


class AirSpec(Strict):
    """The two air components."""

    coalition: AirArmSpec = Field(description="the US-led coalition (supports SDF and ISF in 2017)")
    russia: AirArmSpec = Field(description="the Russian Aerospace Forces (support the SAA)")


class ScenarioFields(Strict):
    """A whole scenario's fields: the situation on one date and how long to run it.

    :class:`simulation.scenario.Scenario` adds what needs the map's checks
    (:meth:`~simulation.scenario.Scenario.with_overrides`); build and load that one.
    """

    name: str = Field(description="title, used in plots and the run's summary line")
    start: dt.date = Field(description="the date of the opening situation (step 0), YYYY-MM-DD")
    end: dt.date = Field(description="the last day to run to, YYYY-MM-DD (after start)")
    cell_km: Annotated[float, Field(ge=2.0, le=50.0)] = Field(
        10.0, description="hex cell size, km centre to centre (2-50)")
    isis: FactionSpec = Field(description="the Islamic State")
    saa: FactionSpec = Field(description="the Syrian government and its allies")
    sdf: FactionSpec = Field(description="the Syrian Democratic Forces")
    isf: FactionSpec = Field(description="Iraqi forces and the Popular Mobilisation Forces")
    control: ControlSpec = Field(ControlSpec(), description="who holds what on the start date")
    air: AirSpec = Field(description="the air components' budgets")
    rules: Rules = Field(Rules(), description="every rule's parameters (defaults in docs/ODD.md)")

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: dt.date, info):
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"must come after start ({start}), got {end}")
        return end

    @property
    def days(self) -> int:
        """Number of days (steps) from start to end."""
        return (self.end - self.start).days

    def faction(self, key: str) -> FactionSpec:
        """The spec of a faction by key ('sdf') or name ('SDF')."""
        return getattr(self, key.lower())

    def __repr__(self) -> str:
        fighters = ", ".join(f"{key.upper()} {self.faction(key).manpower:,.0f}" for key in FACTION_KEYS)
        return (f"Scenario({self.name!r}: {self.start} to {self.end}, {self.days} days, {self.cell_km:g} km cells; "
                f"fighters {fighters}; sorties per day coalition {self.air.coalition.sorties_per_day:g}, "
                f"Russia {self.air.russia.sorties_per_day:g})")

    __str__ = __repr__
