"""The situation on the ground as the agents see it and change it: who holds what, who stands where.

:class:`Situation` is mixed into :class:`~simulation.model.ConflictModel`. Its queries
are what a commander, a unit or an air wing may ask of the theatre today (whose
units stand on a cell, who is hostile, how far a unit may march); its actions are
the only ways they change it (declare an attack, take cells, fall back, log).
"""

from __future__ import annotations

import numpy as np

from agents.unit import Unit
from simulation.factions import AirArm, Faction, Posture
from simulation.roles import INSURGENT
from simulation.rules import combat, movement, overstretch, supply
from simulation.theatre import reached_from


class Situation:
    """Queries and actions on the model's map and units, for the agents and the day's phases."""

    # ---- queries -----------------------------------------------------------------------
    def all_units(self) -> list[Unit]:
        """Every unit alive, in a stable order (a copy: callers may keep it)."""
        return list(self._roster())

    def units_of(self, faction: Faction, cells=None) -> list[Unit]:
        """A faction's units (only those on ``cells``, if given)."""
        units = list(self._roster(faction))
        if cells is not None:
            cells = set(np.atleast_1d(cells).tolist())
            units = [u for u in units if u.k in cells]
        return units

    def is_hostile(self, faction: Faction, holder) -> bool:
        """Whether ground held by ``holder`` is enemy ground to ``faction``."""
        return bool(self.hostile[faction, int(holder)])

    def enemy_units_in(self, k: int, faction: Faction) -> list[Unit]:
        """Units on cell k that are enemies of ``faction``."""
        cell = self.grid[self.theatre.coordinate(k)]
        return [u for u in cell.agents if self.hostile[faction, u.faction]]

    def is_supplied(self, unit: Unit) -> bool:
        """Whether a unit's cell is linked to its faction's sources."""
        return self.supplied_at(unit.faction, unit.k)

    def supplied_at(self, faction: Faction, k: int) -> bool:
        """Whether cell k is held by ``faction`` and linked to its sources."""
        return bool(self.supplied[faction][k])

    def engaged_today(self, unit: Unit) -> bool:
        """Whether a unit fought today."""
        return unit.unique_id in self._engaged

    def air_cover(self, faction: Faction) -> float:
        """0-1: the close air support a faction had on the last day."""
        return min(1.0, self.strikes_for[faction] / self.rules.movement.air_cover_strikes)

    def enemy_strength_near(self, k: int, faction: Faction, radius_km: float) -> float:
        """Fighters of ``faction``'s enemies in units within ``radius_km`` of cell k."""
        return self.enemy_strengths_near([k], faction, radius_km)[0]

    def enemy_strengths_near(self, cells, faction: Faction, radius_km: float) -> list[float]:
        """For each of ``cells``, fighters of ``faction``'s enemies in units within ``radius_km`` of it."""
        enemies = [u for u in self._roster() if self.hostile[faction, u.faction]]
        if not enemies or not len(cells):
            return [0.0] * len(cells)
        near = self.theatre.distance_km(cells, [u.k for u in enemies]) <= radius_km
        return [float(sum(u.strength for u, ok in zip(enemies, row) if ok)) for row in near]

    def near_insurgent(self) -> np.ndarray:
        """Bool per cell: within the insurgency's reach of ground the insurgent holds."""
        return reached_from(self.insurgency_reach, self.control == INSURGENT)

    def area_held(self, faction: Faction) -> float:
        """Area held by a faction, km2."""
        return float(self.theatre.cell_area_km2[self.control == faction].sum())

    def march_budget_km(self, unit: Unit) -> float:
        """How far a unit may move today, km-equivalents (an attack slowed by its side's overstretch)."""
        attacking = unit.posture == Posture.ATTACK
        tempo = overstretch.offensive_tempo(self.overstretch[unit.faction], self.rules.overstretch)
        return movement.march_budget_km(self.rules.movement, tempo if attacking else 1.0, unit.supply)

    def logistics_tempo(self, faction: Faction, k: int) -> float:
        """Share of full speed an advance into cell k keeps, from its distance to supply."""
        rules = self.rules.movement
        return float(supply.logistics_tempo(self.supply_km[faction][k], rules.logistics_reach_km,
                                            rules.cut_off_reaches))

    def presence(self, faction: Faction, attacking_only: bool = False) -> np.ndarray:
        """Fighters per cell (only those pressing forward, if ``attacking_only``).

        Pressing forward: attacking, or a supplied garrison at home (it patrols round its town).
        """
        units = [u for u in self.units_of(faction) if not attacking_only or u.posture == Posture.ATTACK
                 or (u.tied and u.k == u.home and self.is_supplied(u))]
        return np.bincount([u.k for u in units], weights=[u.strength for u in units],
                           minlength=self.theatre.n_cells) if units else np.zeros(self.theatre.n_cells)

    # ---- actions -----------------------------------------------------------------------
    def declare_attack(self, unit: Unit, target: int, source: int) -> None:
        """Register that a unit attacks cell ``target`` from cell ``source`` today."""
        self._attacks.setdefault((int(target), int(unit.faction)), []).append((unit, int(source)))

    def take_cells(self, cells, faction: Faction) -> None:
        """A faction takes hostile cells; part of each loser's garrison there is lost."""
        cells = np.atleast_1d(np.asarray(cells, dtype=np.int64))
        loss = self.rules.overstretch.garrison_loss_on_capture
        for loser in Faction:
            lost = self.garrison_need[loser][cells[self.control[cells] == loser]].sum()
            self.manpower[loser] = max(0.0, self.manpower[loser] - loss * lost)
        self.control[cells] = faction

    def record_strike(self, arm: AirArm, k: int, target: Faction, strikes: int) -> None:
        """Append one day's strikes on one target to the strike log."""
        self.strike_log.append({"date": self.date.isoformat(), "step": self.steps,
                                "air_arm": arm.name.lower(), "lat": round(float(self.theatre.lat[k]), 5),
                                "lon": round(float(self.theatre.lon[k]), 5), "target_faction": target.name,
                                "strikes": strikes})

    def log_event(self, event: str, cells: np.ndarray, faction: Faction, detail: str) -> None:
        """Append an event; its place is the most populous named place among ``cells``."""
        tmap = self.theatre
        idx = tmap.place[np.asarray(cells, dtype=np.int64)] if len(cells) else np.array([], dtype=int)
        idx = idx[idx >= 0]
        place = ""
        if idx.size:
            place = max((tmap.geography.places[i] for i in idx), key=lambda p: p.population).name
        self.event_log.append({"date": self.date.isoformat(), "step": self.steps, "event": event,
                               "place": place, "faction": faction.name, "detail": detail})

    def retreat(self, unit: Unit, from_cell: int) -> None:
        """A broken unit falls back to a neighbouring friendly cell, or surrenders."""
        enemy_cells = {u.k for u in self.all_units() if self.hostile[unit.faction, u.faction]}
        options = combat.fall_back_options(from_cell, unit.faction, self.control, self.theatre.neighbours,
                                           enemy_cells)
        self._fall_back(unit, from_cell, options[int(self.rng.integers(len(options)))] if options else -1)

    def _fall_back(self, unit: Unit, from_cell: int, to_cell: int) -> None:
        """Move a broken unit to ``to_cell``, or (-1) take its surrender."""
        if to_cell < 0:
            self.log_event("unit_destroyed", np.array([from_cell]), unit.faction, f"{unit.name} surrendered")
            unit.suffer(unit.strength, 1.0)
            return
        unit.move_to_index(to_cell)
        unit.posture = Posture.WITHDRAW

    def remove_spent_units(self) -> None:
        """Units below the smallest viable strength leave the map; their last fighters are lost."""
        for u in self.all_units():
            if u.strength < self.rules.combat.unit_destroyed_below:
                self.manpower[u.faction] = max(0.0, self.manpower[u.faction] - u.strength)
                u.strength = 0.0
                u.remove()
                self._rosters = None

    def _roster(self, faction: Faction | None = None) -> tuple[Unit, ...]:
        """The units alive (of one faction, if given), in Mesa's order; rebuilt only when a unit leaves."""
        if getattr(self, "_rosters", None) is None:
            units = tuple(self.agents_by_type.get(Unit, []))
            self._rosters = {None: units, **{f: tuple(u for u in units if u.faction == f) for f in Faction}}
        return self._rosters[faction]
