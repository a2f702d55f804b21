"""The scenario format: a pydantic schema, YAML loading, and dotted-key overrides.

A scenario states a date, the four factions (manpower, units, objectives, supply
sources), initial control, the air budgets and every rule's parameters. Rule
parameters have defaults here, with their units and the fact they rest on, so a
scenario file only states what it changes. Problems are reported as one
``ScenarioError`` line naming the file and the dotted key.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]
FACTION_KEYS = ("isis", "saa", "sdf", "isf")


class ScenarioError(ValueError):
    """A problem with a scenario, as one line naming the file and the key."""


class Strict(BaseModel):
    """Base: unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitSpec(Strict):
    """One ground formation at the start date."""

    name: str
    strength: Positive = Field(description="fighters")
    place: str | None = Field(None, description="named place it stands at")
    at: LonLat | None = Field(None, description="[lon, lat] it stands at, if not a place")
    morale: Fraction = 0.7
    supply: Fraction = 1.0
    posture: Literal["hold", "attack", "withdraw"] | None = None
    objective: str | None = Field(None, description="place it is tied to (else its commander picks)")
    air_supplied: bool = Field(False, description="supplied by air when cut off (besieged garrisons)")

    @model_validator(mode="after")
    def _one_location(self):
        if (self.place is None) == (self.at is None):
            raise ValueError("give exactly one of 'place' or 'at'")
        return self


class ObjectiveSpec(Strict):
    """A place a commander wants, with its relative weight."""

    place: str
    weight: Positive = 1.0


class FactionSpec(Strict):
    """A faction's forces in the theatre."""

    manpower: NonNegative = Field(description="fighters in the theatre, units and garrisons together")
    fixed_commitment: NonNegative = Field(0.0, description="fighters tied down elsewhere (e.g. the Turkish border)")
    recruits_per_day: NonNegative = Field(0.0, description="fighters added to the pool per day")
    supply_sources: list[str | LonLat] = Field(default_factory=list, description="places or [lon, lat] its supply comes from")
    objectives: list[ObjectiveSpec] = Field(default_factory=list)
    units: list[UnitSpec] = Field(default_factory=list)


class AreaSpec(Strict):
    """One area of initial control: governorates, a polygon, or a disc round a place."""

    faction: Literal["ISIS", "SAA", "SDF", "ISF"]
    governorates: list[str] | None = None
    polygon: list[LonLat] | None = Field(None, min_length=3)
    place: str | None = None
    radius_km: Positive | None = None
    note: str | None = None

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

    default: Literal["ISIS", "SAA", "SDF", "ISF"] = "ISIS"
    areas: list[AreaSpec] = Field(default_factory=list)


class AirArmSpec(Strict):
    """An air component's daily budget over the theatre."""

    sorties_per_day: NonNegative
    strikes_per_sortie: NonNegative = 1.0
    supports: list[Literal["SAA", "SDF", "ISF"]]
    priority: dict[Literal["SAA", "SDF", "ISF"], Positive] = Field(default_factory=dict)


class AirSpec(Strict):
    """The two air components."""

    coalition: AirArmSpec
    russia: AirArmSpec


class MovementRules(Strict):
    """Movement on least-cost distance fields (costs in km-equivalents)."""

    march_km_per_day: Positive = 30.0
    hostile_ground_cost: Positive = 8.0
    valley_cost: Positive = 1.3
    urban_cost: Positive = 3.0
    river_crossing_km: NonNegative = 30.0
    zone_of_control_km: Positive = 15.0
    unsupported_advance_cost: Annotated[float, Field(ge=1.0)] = 1.6
    air_cover_strikes: Positive = 40.0


class CombatRules(Strict):
    """Lanchester square-law attrition with terrain modifiers and noise."""

    kill_rate_per_day: Positive = 0.004
    urban_defence: Positive = 2.0
    river_defence: Positive = 1.5
    hold_defence: Positive = 1.2
    noise_sd: NonNegative = 0.25
    substeps: Annotated[int, Field(ge=1, le=50)] = 4
    break_ratio: Positive = 2.0
    unit_destroyed_below: NonNegative = 50.0


class SupplyRules(Strict):
    """Supply traced through held ground from each faction's sources."""

    decay_per_day: Fraction = 0.08
    air_supplied_decay_per_day: Fraction = 0.01
    recovery_per_day: Fraction = 0.25
    unsupplied_attrition_per_day: Fraction = 0.005


class MoraleRules(Strict):
    """Morale: falls with losses, strikes, hunger and overstretch; recovers at rest."""

    loss_sensitivity: NonNegative = 1.0
    recovery_per_day: Fraction = 0.02
    unsupplied_loss_per_day: Fraction = 0.003
    overstretch_loss_per_day: Fraction = 0.01
    break_morale: Fraction = 0.15
    place_loss_shock: Fraction = 0.02


class ReinforcementRules(Strict):
    """Units are topped up from, or drained to garrisons by, the faction's pool."""

    top_up_per_day: Fraction = 0.03
    drain_per_day: Fraction = 0.1


class CommandRules(Strict):
    """When commanders attack, hold or withdraw."""

    attack_min_morale: Fraction = 0.35
    attack_min_supply: Fraction = 0.3
    withdraw_below_strength: Fraction = 0.25
    attack_force_ratio: Positive = 1.5
    counterattack_ratio: Positive = 1.5
    counterattack_reach_km: Positive = 25.0


class AirSupportRules(Strict):
    """What a strike does."""

    fighters_per_strike: NonNegative = 0.5
    repeat_decay: Fraction = 0.97
    urban_effect: Fraction = 0.3
    morale_per_strike: Fraction = 0.0005
    reach_km: Positive = 30.0
    harm_per_strike_per_1000_people: NonNegative = 0.01


class OverstretchRules(Strict):
    """Garrisons needed to hold ground, and the insurgency where they are short."""

    garrison_per_km2: NonNegative = 0.02
    garrison_per_1000_people: NonNegative = 8.0
    hostility: dict[Literal["ISIS", "SAA", "SDF", "ISF"], dict[Literal["arab", "kurdish", "mixed"], NonNegative]] = Field(
        default_factory=lambda: {
            "ISIS": {"arab": 0.25, "kurdish": 3.0, "mixed": 1.0},
            "SAA": {"arab": 1.5, "kurdish": 2.0, "mixed": 1.5},
            "SDF": {"arab": 2.5, "kurdish": 0.5, "mixed": 1.2},
            "ISF": {"arab": 1.0, "kurdish": 0.5, "mixed": 1.0},
        }
    )
    garrison_loss_on_capture: Fraction = 0.3
    stall_exponent: NonNegative = 2.0
    insurgency_rate: Fraction = 0.02
    insurgency_reach_km: Positive = 30.0


class DeconflictionRules(Strict):
    """The US-Russia split of the air space, and its breakdown."""

    enabled: bool = True
    line: Literal["euphrates"] | list[LonLat] = "euphrates"
    incident_rate: Fraction = Field(0.0005, description="chance of an incident per SAA-SDF unit contact per day")
    breakdown_incidents: Annotated[int, Field(ge=1)] = 5
    contact_km: Positive = 15.0


class Rules(Strict):
    """Every rule's parameters."""

    movement: MovementRules = MovementRules()
    combat: CombatRules = CombatRules()
    supply: SupplyRules = SupplyRules()
    morale: MoraleRules = MoraleRules()
    reinforcement: ReinforcementRules = ReinforcementRules()
    command: CommandRules = CommandRules()
    air_support: AirSupportRules = AirSupportRules()
    overstretch: OverstretchRules = OverstretchRules()
    deconfliction: DeconflictionRules = DeconflictionRules()


class Scenario(Strict):
    """A whole scenario: the situation on one date and how long to run it."""

    name: str
    start: dt.date
    end: dt.date
    cell_km: Annotated[float, Field(ge=2.0, le=50.0)] = 10.0
    isis: FactionSpec
    saa: FactionSpec
    sdf: FactionSpec
    isf: FactionSpec
    control: ControlSpec = ControlSpec()
    air: AirSpec
    rules: Rules = Rules()

    @model_validator(mode="after")
    def _dates_forward(self):
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must come after start ({self.start})")
        return self

    @property
    def days(self) -> int:
        """Number of days (steps) from start to end."""
        return (self.end - self.start).days

    def faction(self, key: str) -> FactionSpec:
        """The spec of a faction by key ('sdf') or name ('SDF')."""
        return getattr(self, key.lower())


def parse_value(text: str) -> Any:
    """A command-line value, read as YAML (so 30000 is a number, [a, b] a list)."""
    return yaml.safe_load(text)


def apply_overrides(data: dict, overrides: dict[str, Any], source: str = "--set") -> dict:
    """A copy of raw scenario data with dotted keys set (``sdf.manpower``)."""
    data = _deep_copy(data)
    for dotted, value in overrides.items():
        node = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ScenarioError(f"{source}: {dotted}: '{part}' is not a section")
        node[parts[-1]] = value
    return data


def _deep_copy(value):
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def read_scenario_data(path: str | Path) -> dict:
    """The raw mapping of a scenario file (safe YAML: no Python objects)."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such scenario file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario must be a mapping of keys to values")
    return data


def validate_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    """A Scenario from raw data, or a ScenarioError naming the first problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"{source}: {key}: {msg}") from None


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file."""
    data = read_scenario_data(path)
    if overrides:
        data = apply_overrides(data, overrides)
    return validate_scenario(data, source=str(path))
