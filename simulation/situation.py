"""The situation on the ground as the agents see it and change it: who holds what, who stands where.

:class:`Situation` is mixed into :class:`~simulation.model.ConflictModel`. Its queries
are what a commander, a unit or an air wing may ask of the theatre today (whose
units stand on a cell, who is hostile, how far a unit may march); its actions are
the only ways they change it (declare an attack, take cells, fall back, log).
"""

from __future__ import annotations

import numpy as np

from agents.unit import Unit
from simulation.factions import FACTIONS, AirArm, Faction, Posture
from simulation.roles import INSURGENT
from simulation.rules import combat, kernels, movement, overstretch, proximity, supply
from simulation.rules.presence import Presence


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

    def may_take_table(self) -> np.ndarray:
        """``may_take`` as one (factions, cells) table, stacked once for each set of operating areas."""
        stacked = getattr(self, "_may_take_stacked", None)
        if stacked is None or stacked[0] is not self.may_take:
            stacked = self._may_take_stacked = self.may_take, np.stack([self.may_take[f] for f in FACTIONS])
        return stacked[1]

    def is_hostile(self, faction: Faction, holder) -> bool:
        """Whether ground held by ``holder`` is enemy ground to ``faction``."""
        return bool(self.hostile[faction, int(holder)])

    def enemy_units_in(self, k: int, faction: Faction) -> list[Unit]:
        """Units on cell k that are enemies of ``faction``."""
        cell = self.grid[self.theatre.coordinate(k)]
        return [u for u in cell.agents if self.hostile[faction, u.faction]]

    def is_supplied(self, unit: Unit) -> bool:
        """Whether a unit's cell is linked to its faction's sources."""
        return bool(self.supplied[unit.faction][unit.k])

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
        hostile = self.hostile[faction].tolist()
        enemies = [u for u in self._roster() if hostile[u.faction]]
        if not enemies or not len(cells):
            return [0.0] * len(cells)
        return proximity.summed_within(self.theatre, cells, [u.k for u in enemies], [u.strength for u in enemies],
                                       radius_km).tolist()

    def near_insurgent(self) -> np.ndarray:
        """Bool per cell: within the insurgency's reach of ground the insurgent holds.

        Kept up to date from the cells that changed hands since the last call (the
        insurgent's ground is large; a day changes little of it).
        """
        if getattr(self, "_near_insurgent", None) is None:  # per cell, how many insurgent cells reach it; the set
            self._near_insurgent = np.zeros(self.theatre.n_cells, np.int64), np.zeros(self.theatre.n_cells, bool)
        reach = self.insurgency_reach
        return kernels.recount_reach(reach.indptr, reach.indices, *self._near_insurgent,
                                     self.control == int(INSURGENT))

    def area_held(self, faction: Faction) -> float:
        """Area held by a faction, km2."""
        return float(self.theatre.cell_area_km2[self.control == int(faction)].sum())

    def march_budget_km(self, unit: Unit) -> float:
        """How far a unit may move today, km-equivalents (an attack slowed by its side's overstretch)."""
        tempo = (overstretch.offensive_tempo(self.overstretch[unit.faction], self.rules.overstretch)
                 if unit.posture == Posture.ATTACK else 1.0)
        return movement.march_budget_km(self.rules.movement, tempo, unit.supply)

    def logistics_tempo(self, faction: Faction, k: int) -> float:
        """Share of full speed an advance into cell k keeps, from its distance to supply (one cell of
        :meth:`tether`, read straight from the rule: a march asks it a cell at a time)."""
        rules = self.rules.movement
        return supply.logistics_tempo(float(self.supply_km[faction][k]), rules.logistics_reach_km,
                                      rules.cut_off_reaches)

    def tether(self) -> Tether:
        """Per faction and cell, the share of full speed an advance keeps there, from its distance to its
        side's supply (:func:`~simulation.rules.supply.logistics_tempo`), read as ``tether()[faction][cells]``."""
        rules = self.rules.movement
        return Tether(self.supply_km, rules.logistics_reach_km, rules.cut_off_reaches)

    def presence(self, faction: Faction, attacking_only: bool = False) -> np.ndarray:
        """Fighters per cell (only those pressing forward, if ``attacking_only``).

        Pressing forward: attacking, or a supplied garrison at home (it patrols round its town).
        """
        return self.presences(attacking_only).table()[faction]

    def presences(self, attacking_only: bool = False) -> Presence:
        """Each faction's :meth:`presence`, as the cells where its units stand, counted in one pass over the units."""
        units = [u for u in self._roster() if not attacking_only or u.posture == Posture.ATTACK
                 or (u.tied and u.k == u.home and self.is_supplied(u))]
        return Presence.of_units([u.faction for u in units], [u.k for u in units], [u.strength for u in units],
                                 (len(Faction), self.theatre.n_cells))

    # ---- actions -----------------------------------------------------------------------
    def declare_attack(self, unit: Unit, target: int, source: int) -> None:
        """Register that a unit attacks cell ``target`` from cell ``source`` today."""
        self._attacks.setdefault((int(target), int(unit.faction)), []).append((unit, int(source)))

    def take_cells(self, cells, faction: Faction) -> None:
        """A faction takes hostile cells; part of each loser's garrison there is lost."""
        if isinstance(cells, int):  # one cell, as a march takes them: its garrison, without numpy's sums
            holder = int(self.control[cells])
            lost_by = {holder: float(self.garrison_need[holder][cells])}
        else:
            cells = np.atleast_1d(np.asarray(cells, dtype=np.int64))
            holders = self.control[cells]
            lost_by = {h: float(self.garrison_need[h][cells[holders == h]].sum()) for h in set(holders.tolist())}
        loss = self.rules.overstretch.garrison_loss_on_capture
        for loser in FACTIONS:
            self.manpower[loser] = max(0.0, self.manpower[loser] - loss * lost_by.get(int(loser), 0.0))
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
        floor = self.rules.combat.unit_destroyed_below
        for u in self._roster():  # the roster as it is now (a unit's removal makes the next one anew)
            if u.strength < floor:
                self.manpower[u.faction] = max(0.0, self.manpower[u.faction] - u.strength)
                u.strength = 0.0
                u.remove()
                self._rosters = None

    def _roster(self, faction: Faction | None = None) -> tuple[Unit, ...]:
        """The units alive (of one faction, if given), in Mesa's order; rebuilt only when a unit leaves."""
        if getattr(self, "_rosters", None) is None:
            units = tuple(self.agents_by_type.get(Unit, []))
            self._rosters = {None: units, **{f: tuple(u for u in units if u.faction == f) for f in FACTIONS}}
        return self._rosters[faction]


class Tether:
    """:func:`~simulation.rules.supply.logistics_tempo` of each faction's supply distances, as a
    (factions, cells) table that works out only the cells read from it (``tether[f][cells]``): the
    rules read it at a few cells each day, and every value is the one the whole table would hold."""

    def __init__(self, supply_km: dict, reach_km: float, cut_off_reaches: float):
        self._supply_km, self._reach_km, self._cut_off_reaches = supply_km, reach_km, cut_off_reaches

    def __getitem__(self, faction) -> _TetherRow:
        return _TetherRow(self._supply_km[Faction(int(faction))], self._reach_km, self._cut_off_reaches)


class _TetherRow:
    """One faction's row of a :class:`Tether`."""

    def __init__(self, supply_km: np.ndarray, reach_km: float, cut_off_reaches: float):
        self._supply_km, self._reach_km, self._cut_off_reaches = supply_km, reach_km, cut_off_reaches

    def __getitem__(self, cells):
        return supply.logistics_tempo(self._supply_km[cells], self._reach_km, self._cut_off_reaches)
