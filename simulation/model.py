"""The Mesa model of the 2017 Euphrates campaign: one step is one day.

``ConflictModel.step`` reads as the day in the theatre: commanders plan, units
move, fronts fight, aircraft strike, supply is traced, control changes, garrisons
are counted, incidents are rolled, and the day is recorded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import mesa
import numpy as np
from scipy.sparse import csr_matrix

from agents import Unit
from simulation import records, setup
from simulation.mesa_compat import release_finished_models
from simulation.factions import AirArm, Faction, Posture
from simulation.rules import air_support, combat, deconfliction, ground, movement, overstretch, supply
from simulation.faction_state import FactionState
from simulation.scenario import Scenario, did_you_mean
from simulation.theatre import Country, Terrain, make_hex_grid, theatre_map
from shapely.geometry import LineString


release_finished_models()


class ConflictModel(mesa.Model):
    """The theatre, the factions and the rules, advanced one day per step.

    Args:
        scenario: a validated :class:`~simulation.scenario.Scenario`.
        seed: seed of the model's random generator; the same scenario and seed
            give identical runs in any process.
        cell_km: hex cell size in km (centre to centre); default the scenario's.
    """

    def __init__(self, scenario: Scenario, seed: int = 1, cell_km: float | None = None):
        super().__init__(rng=seed)
        # Not ``self.scenario``: Mesa 3.5 reserves that name for its own scenarios.
        self.spec = scenario
        self.rules = scenario.rules
        self.seed = seed
        self.theatre = tmap = theatre_map(float(cell_km or scenario.cell_km))
        self.grid = make_hex_grid(tmap, random=self.random)
        layer = self.grid.create_property_layer("control", default_value=np.int8(0), dtype=np.int8)
        self.control = layer.data.reshape(-1)  # flat view: writes reach the layer
        self.control[:] = setup.initial_control(tmap, scenario)
        self.terrain_cost = movement.terrain_cost(tmap, self.rules.movement)
        self.zone_of_control = _within_matrix(tmap, self.rules.movement.zone_of_control_km)
        self.insurgency_reach = _within_matrix(tmap, self.rules.overstretch.insurgency_reach_km)
        self.contact_reach = _within_matrix(tmap, tmap.cell_km * 1.01)
        self.deconfliction = deconfliction.DeconflictionState(in_force=self.rules.deconfliction.enabled)
        if not self.rules.deconfliction.enabled:
            self.deconfliction.broken_on_step = 0
        self.hostile = deconfliction.hostility_matrix(self.deconfliction.in_force)
        line = self.rules.deconfliction.line
        self.line_side = tmap.bank if line == "euphrates" else tmap.side_of_line(LineString(line))
        self.may_take = self._operating_areas()
        self.manpower = {f: scenario.faction(f.key).manpower for f in Faction}
        self.hostility = {f: overstretch.hostility_layer(tmap, f.name, self.rules.overstretch) for f in Faction}
        self.garrison_need = {f: overstretch.garrison_need(tmap, self.hostility[f], self.rules.overstretch)
                              for f in Faction}
        self.garrison_total = dict.fromkeys(Faction, 0.0)
        self.manoeuvre = dict.fromkeys(Faction, 0.0)
        self.overstretch = dict.fromkeys(Faction, 0.0)
        self.civilian_harm = 0.0
        self.event_log: list[dict] = []
        self.control_history: list[np.ndarray] = []  # the control map at the end of each day
        self.strike_log: list[dict] = []
        self.engagement_log: list[dict] = []
        self._attacks: dict[tuple[int, int], list[tuple[Unit, int]]] = {}
        self._engaged: set[int] = set()
        setup.place_units(self, scenario)
        self.commanders = setup.make_commanders(self, scenario)
        self.air_wings = setup.make_air_wings(self, scenario)
        # Strikes flown in support of each faction on the last day (first day: full budgets).
        self.strikes_for = {f: sum(w.strikes_per_day for w in self.air_wings if f in w.supports) for f in Faction}
        # Per faction, the cells linked to its supply sources (traced each day).
        self.supplied = {f: np.zeros(tmap.n_cells, bool) for f in Faction}
        self._labels = {f: np.full(tmap.n_cells, -1) for f in Faction}
        self.supply_km = {f: np.full(tmap.n_cells, np.inf) for f in Faction}
        self._place_cells = np.array([tmap.place_cell[p.name] for p in tmap.geography.places])
        self._place_holders = self.control[self._place_cells].copy()
        self.city_rings = records.city_rings(tmap)
        self._isis_in_city = (self.city_rings[1] & (self.control == Faction.ISIS)).any(axis=1)
        self.trace_supply(announce=False)
        self.count_garrisons()
        self.datacollector = records.make_datacollector()
        records.record_day(self)

    @classmethod
    def from_scenario(cls, path: str | Path, seed: int = 1, cell_km: float | None = None,
                      overrides: dict | None = None) -> ConflictModel:
        """Load and check a scenario (as :func:`~simulation.validation.load_scenario`) and build the model.

        Args:
            path: a scenario YAML file, or a shipped scenario's name (``"2017-07-04_raqqa"``).
            seed: the run's seed.
            cell_km: hex cell size in km (centre to centre); default the scenario's.
            overrides: dotted keys to set, e.g. ``{"sdf.manpower": 30000}`` (fighters).
        """
        from simulation.validation import load_scenario

        return cls(load_scenario(path, overrides), seed=seed, cell_km=cell_km)

    # ---- the day ---------------------------------------------------------------
    def step(self) -> None:
        """One day in the theatre."""
        self.commanders_plan()
        self.units_move()
        self.fronts_fight()
        self.aircraft_strike()
        self.trace_supply()
        self.control_changes()
        self.count_garrisons()
        self.roll_incidents()
        self.record_day()

    def run(self, days: int | None = None) -> ConflictModel:
        """Step day by day to the scenario's end date, or for a number of days.

        Args:
            days: days to run; default what is left to the scenario's end date.

        Returns:
            The model itself, so that ``ConflictModel(scenario).run()`` reads as one line.
        """
        for _ in range(self.spec.days - self.steps if days is None else days):
            self.step()
        return self

    def commanders_plan(self) -> None:
        """Each commander sets its units' objectives, postures and routes."""
        self._attacks.clear()
        self._engaged.clear()
        for faction in Faction:
            self.commanders[faction].plan()

    def units_move(self) -> None:
        """Units march toward their objectives in random order, declaring attacks."""
        self.agents_by_type[Unit].shuffle_do("march")

    def fronts_fight(self) -> None:
        """Every declared attack is fought for a day; broken defences give way."""
        if not self._attacks:
            return
        keys = sorted(self._attacks)
        rules = self.rules.combat
        a_units = [[u for u, _ in self._attacks[key]] for key in keys]
        d_units = [self.enemy_units_in(cell, Faction(f)) for cell, f in keys]
        a = np.array([sum(u.strength for u in us) for us in a_units])
        d = np.array([sum(u.strength for u in us) for us in d_units])
        qa = np.array([_weighted(us, "quality") for us in a_units])
        qd = np.array([_weighted(us, "quality") for us in d_units])
        cells = np.array([cell for cell, _ in keys])
        across = np.array([any(self.theatre.crosses_river[src, self.theatre.slot(src, cell)]
                               for _, src in self._attacks[key]) for key, cell in zip(keys, cells)])
        holding = np.array([all(u.posture == Posture.HOLD for u in us) for us in d_units])
        urban = self.theatre.terrain[cells] == Terrain.URBAN
        people = self.theatre.population[cells]
        defence = combat.defence_factor(urban, across, holding, rules, people)
        engaged = combat.engaged_attackers(a, d, urban, people, rules)
        engaged_after, d_after = combat.fight(engaged, d, qa, qd, defence, self.rng, rules)
        a_after = a - (engaged - engaged_after)
        for i, (cell, f) in enumerate(keys):
            self._settle_engagement(a_units[i], d_units[i], (a[i], d[i]), (a_after[i], d_after[i]),
                                    defence[i], cell, Faction(f))

    def aircraft_strike(self) -> None:
        """Each air wing flies its day's strikes."""
        self.strikes_for = dict.fromkeys(Faction, 0)
        for wing in self.air_wings:
            wing.fly()

    def trace_supply(self, announce: bool = True) -> None:
        """Trace each faction's supply; update units; announce sieges formed and broken."""
        rules = self.rules.supply
        all_labels = supply.held_components(self.theatre, self.control)
        distances = supply.supply_distances_km(self.theatre, self.control,
                                               {int(f): self.commanders[f].source_cells for f in Faction},
                                               self.terrain_cost)
        self.supply_km = {f: distances[int(f)] for f in Faction}
        for faction in Faction:
            was_supplied, was_labels = self.supplied[faction], self._labels[faction]
            was_besieged = (was_labels >= 0) & ~was_supplied
            held = self.theatre.in_theatre & (self.control == faction)
            labels = np.where(held, all_labels, -1)
            connected = supply.supply_connected(labels, held, self.commanders[faction].source_cells)
            if announce:
                for cells in supply.pockets_relieved(was_besieged, was_labels, connected):
                    self.log_event("siege_broken", cells, faction, "besieged pocket rejoined its side")
                for cells in supply.pockets_formed(was_supplied, (labels >= 0) & ~connected, labels):
                    if self.units_of(faction, cells) or (self.theatre.place[cells] >= 0).any():
                        self.log_event("siege_formed", cells, faction, "pocket cut off from supply")
            self.supplied[faction], self._labels[faction] = connected, labels
            units = self.units_of(faction)
            if units:
                level = supply.update_supply(
                    np.array([u.supply for u in units]), connected[[u.k for u in units]],
                    np.array([u.air_supplied for u in units]),
                    rules.decay_per_day, rules.air_supplied_decay_per_day, rules.recovery_per_day)
                for u, s in zip(units, level):
                    u.supply = float(s)
                    if s <= 0.0:
                        u.suffer(u.strength * rules.unsupplied_attrition_per_day, 0.0)

    def control_changes(self) -> None:
        """Zones of control sweep empty hostile ground; thin garrisons rise for ISIS."""
        ground.sweep_zones_of_control(self)
        ground.collapse_unheld_ground(self)
        ground.rise_for_isis(self)
        ground.occupy_where_standing(self)

    def count_garrisons(self) -> None:
        """Garrison need, manoeuvre force and overstretch; reinforce or drain units; morale."""
        for faction in Faction:
            spec = self.spec.faction(faction.key)
            if self.steps > 0:
                self.manpower[faction] += spec.recruits_per_day
            held = self.control == faction
            need = overstretch.garrison_total(self.garrison_need[faction], held, self.presence(faction, False))
            self.garrison_total[faction] = need
            ratio = overstretch.overstretch_ratio(need, self.manpower[faction], spec.fixed_commitment)
            self.overstretch[faction] = ratio
            self.manoeuvre[faction] = max(0.0, self.manpower[faction] - spec.fixed_commitment - need)
            if self.steps > 0:
                self._reinforce(faction)

    def roll_incidents(self) -> None:
        """SAA-SDF units in contact risk incidents; enough of them break the arrangement."""
        if not self.deconfliction.in_force:
            return
        saa = self.units_of(Faction.SAA)
        sdf = self.units_of(Faction.SDF)
        if not saa or not sdf:
            return
        sk = np.array([u.k for u in saa])
        dist = self.theatre.distance_km(sk, [u.k for u in sdf])
        pairs = np.argwhere(dist <= self.rules.deconfliction.contact_km)
        n = deconfliction.roll_incidents(len(pairs), self.rules.deconfliction.incident_rate, self.rng)
        for i, _ in pairs[self.rng.choice(len(pairs), size=n, replace=False)] if n else []:
            self.deconfliction.incidents += 1
            self.log_event("incident", np.array([sk[i]]), Faction.SAA, "SAA-SDF incident across the line")
        if self.deconfliction.incidents >= self.rules.deconfliction.breakdown_incidents:
            self.deconfliction.in_force = False
            self.deconfliction.broken_on_step = self.steps
            self.hostile = deconfliction.hostility_matrix(False)
            self.may_take = self._operating_areas()
            self.log_event("deconfliction_breakdown", np.array([], dtype=int), Faction.SAA,
                           f"after {self.deconfliction.incidents} incidents: SAA and SDF now hostile")

    def record_day(self) -> None:
        """Announce places that changed hands and add the day's rows."""
        holders = self.control[self._place_cells]
        shock = self.rules.morale.place_loss_shock
        for i in np.flatnonzero(holders != self._place_holders):
            place = self.theatre.geography.places[i]
            # Losing a town shakes the whole side, a city (100,000 people) by the full shock.
            hit = shock * min(1.0, place.population / 100_000)
            for u in self.units_of(Faction(self._place_holders[i])):
                u.morale = max(0.0, u.morale - hit)
            self.event_log.append({"date": self.date.isoformat(), "step": self.steps, "event": "captured",
                                   "place": place.name, "faction": Faction(holders[i]).name,
                                   "detail": f"from {Faction(self._place_holders[i]).name}"})
        self._place_holders = holders.copy()
        self._isis_in_city = records.note_cities_cleared(self, self._isis_in_city)
        records.record_day(self)

    # ---- outputs -------------------------------------------------------------------
    @property
    def date(self) -> dt.date:
        """Calendar date of the current step."""
        return records.day_of(self.spec.start, self.steps)

    @property
    def daily(self):
        """Tidy DataFrame: one row per faction per day (area, strength, overstretch...)."""
        return records.table_frame(self, "daily")

    @property
    def daily_by_governorate(self):
        """Tidy DataFrame: one row per faction, governorate and day."""
        return records.table_frame(self, "governorate")

    @property
    def events(self):
        """DataFrame of events: date, step, event, place, faction, detail."""
        return records.as_frame(self.event_log, records.EVENT_COLUMNS)

    @property
    def strikes(self):
        """DataFrame of air strikes: date, air arm, target cell centre, target faction, count."""
        return records.as_frame(self.strike_log, records.STRIKE_COLUMNS)

    @property
    def engagements(self):
        """DataFrame of the fights: date, attacker, defender, cell, strengths before and after."""
        return records.as_frame(self.engagement_log, ["date", "step", "attacker", "defender", "lat", "lon",
                                                      "attackers", "defenders", "attackers_after",
                                                      "defenders_after", "defence_broke"])

    # ---- inspection: what a notebook asks of a run ---------------------------------------
    def control_on(self, day: int | str | dt.date | None = None) -> np.ndarray:
        """The control map on a day: a flat array of faction codes per cell (read-only).

        Args:
            day: days since the start (0 = the start date), a date, or an ISO date
                string (``"2017-09-05"``); default today. Days not yet run are refused.
        """
        step = self.steps if day is None else self.step_of(day)
        if not 0 <= step <= self.steps:
            raise ValueError(f"day {day}: the run covers {self.spec.start} (day 0) to {self.date} "
                             f"(day {self.steps})")
        return self.control_history[step]

    def step_of(self, day: int | str | dt.date) -> int:
        """Days since the start of a day given as a number, a date or an ISO date string."""
        if isinstance(day, (int, np.integer)):
            return int(day)
        date = dt.date.fromisoformat(day) if isinstance(day, str) else day
        return (date - self.spec.start).days

    def control_at(self, place: str, day: int | str | dt.date | None = None) -> Faction:
        """The faction holding a named place's cell today (or on an earlier day).

        Args:
            place: a name or alias from the places table (``"Raqqa"``, ``"Abu Kamal"``).
            day: as in :meth:`control_on`; default today.

        Raises:
            ValueError: the place is not in the places table (with the nearest name).
        """
        geo = self.theatre.geography
        try:
            name = geo.place(place).name
        except KeyError:
            names = [n for p in geo.places for n in (p.name, *p.aliases)]
            raise ValueError(f"unknown place '{place}'{did_you_mean(place, names)}") from None
        return Faction(int(self.control_on(day)[self.theatre.place_cell[name]]))

    def faction(self, name: str | Faction) -> FactionState:
        """A snapshot of one faction today: ground, fighters, garrison need, overstretch.

        Args:
            name: ``"SDF"``, ``"sdf"`` or :class:`Faction`.SDF.
        """
        return FactionState.of(self, name if isinstance(name, Faction) else Faction.from_key(name))

    def __repr__(self) -> str:
        lines = [f"ConflictModel: {self.spec.name}; seed {self.seed}, {self.theatre.cell_km:g} km cells",
                 f"  {self.date:%d %B %Y}: day {self.steps} of {self.spec.days}"]
        for f in Faction:
            units = self.units_of(f)
            lines.append(f"  {f.name:<5}{self.area_held(f):>10,.0f} km²{len(units):>5} units "
                         f"{sum(u.strength for u in units):>9,.0f} fighters in units")
        state = self.deconfliction
        lines.append("  deconfliction " + (f"in force ({state.incidents} incidents)" if state.in_force
                                           else f"not in force (since day {state.broken_on_step})"))
        lines.append(f"  {len(self.event_log)} events; model.events, model.daily, model.faction('SDF')")
        return "\n".join(lines)

    # ---- queries used by agents and rules ----------------------------------------------
    def all_units(self) -> list[Unit]:
        """Every unit alive, in a stable order."""
        return list(self.agents_by_type.get(Unit, []))

    def units_of(self, faction: Faction, cells=None) -> list[Unit]:
        """A faction's units (only those on ``cells``, if given)."""
        units = [u for u in self.all_units() if u.faction == faction]
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

    def hostile_places(self, faction: Faction) -> list:
        """Named places in the faction's country held by its enemies (fallback objectives)."""
        from agents.commander import Objective

        tmap = self.theatre
        out = []
        for i, p in enumerate(tmap.geography.places):
            k = int(self._place_cells[i])
            if self.may_take[faction][k] and self.hostile[faction, self.control[k]]:
                out.append(Objective(p.name, k, 0.2))
        return out

    def air_cover(self, faction: Faction) -> float:
        """0-1: the close air support a faction had on the last day."""
        return min(1.0, self.strikes_for[faction] / self.rules.movement.air_cover_strikes)

    def enemy_strength_near(self, k: int, faction: Faction, radius_km: float) -> float:
        """Fighters of ``faction``'s enemies in units within ``radius_km`` of cell k."""
        enemies = [u for u in self.all_units() if self.hostile[faction, u.faction]]
        if not enemies:
            return 0.0
        near = self.theatre.distance_km(k, [u.k for u in enemies])[0] <= radius_km
        return float(sum(u.strength for u, ok in zip(enemies, near) if ok))

    def area_held(self, faction: Faction) -> float:
        """Area held by a faction, km2."""
        return float(self.theatre.cell_area_km2[self.control == faction].sum())

    def march_budget_km(self, unit: Unit) -> float:
        """How far a unit may move today, km-equivalents (slowed by overstretch)."""
        tempo = overstretch.offensive_tempo(self.overstretch[unit.faction], self.rules.overstretch)
        tempo = tempo if unit.posture == Posture.ATTACK else 1.0
        return self.rules.movement.march_km_per_day * tempo * (0.5 + 0.5 * unit.supply)

    def logistics_tempo(self, faction: Faction, k: int) -> float:
        """Share of full speed an advance into cell k keeps, from its distance to supply."""
        return float(supply.logistics_tempo(self.supply_km[faction][k], self.rules.movement.logistics_reach_km))

    # ---- actions used by agents -------------------------------------------------------
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

    # ---- the pieces of the day ------------------------------------------------------
    def _settle_engagement(self, attackers, defenders, before, after, defence, cell, faction) -> None:
        (a0, d0), (a1, d1) = before, after
        rules = self.rules
        for side, before, after in ((attackers, a0, a1), (defenders, d0, d1)):
            lost_share = 0.0 if before <= 0 else (before - after) / before
            for u in side:
                u.suffer(u.strength * lost_share, rules.morale.loss_sensitivity * lost_share)
                self._engaged.add(u.unique_id)
        morale = _weighted(defenders, "morale")
        broke = bool(combat.defender_breaks(a1, d1, defence, morale, rules.combat, rules.morale.break_morale))
        self.engagement_log.append({
            "date": self.date.isoformat(), "step": self.steps, "attacker": faction.name,
            "defender": max(defenders, key=lambda u: u.strength).faction.name if defenders else "",
            "lat": float(self.theatre.lat[cell]), "lon": float(self.theatre.lon[cell]),
            "attackers": float(a0), "defenders": float(d0), "attackers_after": float(a1),
            "defenders_after": float(d1), "defence_broke": broke})
        if broke:
            for u in defenders:
                self.retreat(u, cell)
            if not self.enemy_units_in(cell, faction):
                self.take_cells(cell, faction)
                lead = max(attackers, key=lambda u: (u.strength, -u.unique_id))
                if lead.strength > 0:
                    lead.move_to_index(cell)
        self.remove_spent_units()

    def retreat(self, unit: Unit, from_cell: int) -> None:
        """A broken unit falls back to a neighbouring friendly cell, or surrenders."""
        nb = self.theatre.neighbours[from_cell]
        options = [int(k) for k in nb if k >= 0 and self.control[k] == unit.faction
                   and not self.enemy_units_in(int(k), unit.faction)]
        if not options:
            self.log_event("unit_destroyed", np.array([from_cell]), unit.faction, f"{unit.name} surrendered")
            unit.suffer(unit.strength, 1.0)
            return
        unit.move_to_index(options[int(self.rng.integers(len(options)))])
        unit.posture = Posture.WITHDRAW

    def remove_spent_units(self) -> None:
        for u in self.all_units():
            if u.strength < self.rules.combat.unit_destroyed_below:
                self.manpower[u.faction] = max(0.0, self.manpower[u.faction] - u.strength)
                u.strength = 0.0
                u.remove()

    def _operating_areas(self) -> dict[Faction, np.ndarray]:
        """Cells each faction may take from an enemy.

        The SAA and SDF fight in Syria, Iraqi forces in Iraq, ISIS anywhere. While
        deconfliction holds, the SAA and SDF also keep their ground advances to their
        side of the line (in Deir ez-Zor the working split was SDF east of the
        Euphrates, SAA west), matching the air split.
        """
        tmap = self.theatre
        syria = tmap.in_theatre & (tmap.country == Country.SYRIA)
        areas = {Faction.ISIS: tmap.in_theatre.copy(), Faction.ISF: tmap.in_theatre & (tmap.country == Country.IRAQ),
                 Faction.SAA: syria.copy(), Faction.SDF: syria.copy()}
        if self.deconfliction.in_force:
            areas[Faction.SAA] &= self.line_side < 0
            areas[Faction.SDF] &= self.line_side > 0
        return areas

    def presence(self, faction: Faction, attacking_only: bool = False) -> np.ndarray:
        """Fighters per cell (only those pressing forward, if ``attacking_only``).

        Pressing forward: attacking, or a supplied garrison at home (it patrols round its town).
        """
        units = [u for u in self.units_of(faction) if not attacking_only or u.posture == Posture.ATTACK
                 or (u.tied and u.k == u.home and self.is_supplied(u))]
        return np.bincount([u.k for u in units], weights=[u.strength for u in units],
                           minlength=self.theatre.n_cells) if units else np.zeros(self.theatre.n_cells)

    def _reinforce(self, faction: Faction) -> None:
        """Top units up from the pool, or drain them into garrisons when overstretched."""
        rules = self.rules.reinforcement
        units = self.units_of(faction)
        if not units:
            return
        pool = self.manoeuvre[faction] - sum(u.strength for u in units)
        if pool < 0:
            # Overstretched: fighters leave the units to hold ground.
            drain = rules.drain_per_day * -pool
            total = sum(u.strength for u in units)
            for u in units:
                u.strength -= drain * u.strength / total
        else:
            wants = np.array([min(u.establishment - u.strength, rules.top_up_per_day * u.establishment)
                              if self.is_supplied(u) and u.strength < u.establishment else 0.0 for u in units])
            if wants.sum() > 0:
                for u, g in zip(units, wants * min(1.0, pool / wants.sum())):
                    u.strength += g
        self._rally(faction, units)
        self.remove_spent_units()

    def _rally(self, faction: Faction, units: list[Unit]) -> None:
        """Daily morale drift: recovery when supplied, loss when cut off or overstretched."""
        rules = self.rules.morale
        stretch = max(0.0, self.overstretch[faction] - 1.0)
        for u in units:
            change = rules.recovery_per_day if u.supply > 0.5 and not self.engaged_today(u) else 0.0
            change -= rules.unsupplied_loss_per_day if u.supply < 0.3 else 0.0
            change -= rules.overstretch_loss_per_day * min(stretch, 1.0)
            u.morale = float(np.clip(u.morale + change, 0.0, 0.9 if change > 0 else 1.0))


def _weighted(units, attr: str) -> float:
    """Strength-weighted mean of an attribute over units (0 if none)."""
    total = sum(u.strength for u in units)
    if total <= 0:
        return 0.0
    return sum(getattr(u, attr) * u.strength for u in units) / total


def _within_matrix(tmap, radius_km: float) -> csr_matrix:
    """Sparse 0/1 matrix linking each theatre cell to the cells within ``radius_km``."""
    k = np.flatnonzero(tmap.in_theatre)
    reach = int(np.ceil(radius_km / tmap.cell_km)) + 1
    rows, cols = [], []
    # Offsets in the (col, row) lattice wide enough to cover the radius; distance decides.
    col, row = np.divmod(k, tmap.height)
    for dc in range(-reach, reach + 1):
        for dr in range(-reach, reach + 1):
            c, r = col + dc, row + dr
            ok = (c >= 0) & (c < tmap.width) & (r >= 0) & (r < tmap.height)
            j = np.where(ok, c * tmap.height + r, 0)
            ok &= tmap.in_theatre[j]
            ok &= np.hypot(tmap.x_km[j] - tmap.x_km[k], tmap.y_km[j] - tmap.y_km[k]) <= radius_km
            rows.append(k[ok])
            cols.append(j[ok])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return csr_matrix((np.ones(rows.size), (rows, cols)), shape=(tmap.n_cells, tmap.n_cells))
