"""One faction on one day of a run, as a notebook reads it: ground, fighters, overstretch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from simulation.factions import Faction


@dataclass(frozen=True)
class FactionState:
    """A snapshot of one faction on the model's current day (it does not change as the model steps).

    Attributes:
        faction: which faction.
        date: the day of the snapshot.
        area_km2: ground held, km².
        cells: hex cells held.
        population: people living on that ground (pre-war census figures).
        manpower: fighters in the theatre, in units or not.
        fighters_in_units: fighters in its units on the map.
        units: units on the map.
        garrison_need: fighters its ground needs to hold it (the overstretch rule).
        manoeuvre: fighters left for offensives after garrisons and fixed commitments.
        overstretch: garrison need over the fighters not committed elsewhere; above 1
            the ground cannot all be held.
        supplied_share: share of its ground linked to its supply sources (0-1).
        strikes_for: air strikes flown in its support on the last day.
    """

    faction: Faction
    date: dt.date
    area_km2: float
    cells: int
    population: float
    manpower: float
    fighters_in_units: float
    units: int
    garrison_need: float
    manoeuvre: float
    overstretch: float
    supplied_share: float
    strikes_for: int

    @classmethod
    def of(cls, model, faction: Faction) -> FactionState:
        """The state of ``faction`` in ``model`` today."""
        held = model.theatre.in_theatre & (model.control == faction)
        units = model.units_of(faction)
        cells = int(held.sum())
        return cls(
            faction=faction, date=model.date,
            area_km2=model.area_held(faction), cells=cells,
            population=float(model.theatre.population[held].sum()),
            manpower=float(model.manpower[faction]),
            fighters_in_units=float(sum(u.strength for u in units)), units=len(units),
            garrison_need=float(model.garrison_total[faction]), manoeuvre=float(model.manoeuvre[faction]),
            overstretch=float(model.overstretch[faction]),
            supplied_share=float(model.supplied[faction][held].mean()) if cells else 0.0,
            strikes_for=int(model.strikes_for[faction]),
        )

    @property
    def name(self) -> str:
        """The faction's name: ISIS, SAA, SDF or ISF."""
        return self.faction.name

    def __repr__(self) -> str:
        ratio = "unbounded" if not np.isfinite(self.overstretch) else f"{self.overstretch:.2f}"
        return (f"{self.name} on {self.date}: {self.area_km2:,.0f} km² ({self.cells} cells, "
                f"{self.population / 1e6:.2f} million people), {self.supplied_share:.0%} of it supplied; "
                f"{self.manpower:,.0f} fighters, {self.fighters_in_units:,.0f} in {self.units} units; "
                f"garrison need {self.garrison_need:,.0f}, manoeuvre {self.manoeuvre:,.0f}, overstretch {ratio}; "
                f"{self.strikes_for} air strikes for it yesterday")
