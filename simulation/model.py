"""The Mesa model of the 2017 Euphrates campaign: one step is one day.

``ConflictModel.step`` reads as the day in the theatre: commanders plan, units
move, fronts fight, aircraft strike, supply is traced, control changes, garrisons
are counted, incidents are rolled, and the day is recorded. The rules themselves
are pure functions in :mod:`simulation.rules`; this module orders them, hands them
today's arrays and applies what they decide to the units and the map.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
from shapely.geometry import LineString

from agents.unit import Unit
from simulation import records, setup
from simulation.factions import FACTIONS, Faction, Posture
from simulation.ground_changes import GroundChanges
from simulation.inspection import RunInspection
from simulation.mesa_compat import control_layer, make_hex_grid, release_finished_models
from simulation.roles import INSURGENT, LINE_PAIR, hostility_matrix, operating_areas
from simulation.rules import (collapse, combat, deconfliction, kernels, morale, movement, overstretch, reinforcement,
                              supply, urban)
from simulation.scenario import Scenario, load_scenario
from simulation.situation import Situation
from simulation.theatre import Terrain, theatre_for

release_finished_models()


class ConflictModel(GroundChanges, RunInspection, Situation, mesa.Model):
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
        self.rules = rules = scenario.rules
        self.seed = seed
        self.theatre = tmap = theatre_for(scenario, cell_km)  # one per cell size and process, shared
        self.grid = make_hex_grid(tmap, random=self.random)
        self.control = control_layer(self.grid, setup.initial_control(tmap, scenario))
        self.terrain_cost = movement.terrain_cost(tmap, rules.movement)
        self.city_cell = urban.city_cells(tmap.place, [p.population for p in tmap.geography.places], rules.combat)
        self.zone_of_control = tmap.within(rules.movement.zone_of_control_km)
        self.insurgency_reach = tmap.within(rules.overstretch.insurgency_reach_km)
        self.contact_reach = tmap.within(tmap.cell_km * 1.01)
        self.line_contact_reach = tmap.within(rules.deconfliction.contact_km)
        self.deconfliction = deconfliction.DeconflictionState(in_force=rules.deconfliction.enabled)
        if not rules.deconfliction.enabled:
            self.deconfliction.broken_on_step = 0
        self.hostile = hostility_matrix(self.deconfliction.in_force)
        line = rules.deconfliction.line
        self.line_side = tmap.bank if line == "euphrates" else tmap.side_of_line(LineString(line))
        self.may_take = operating_areas(tmap, self.line_side, self.deconfliction.in_force)
        self._faction_specs = {f: scenario.faction(f.key) for f in FACTIONS}
        self.manpower = {f: self._faction_specs[f].manpower for f in FACTIONS}
        self.hostility = {f: overstretch.hostility_layer(tmap, f.name, rules.overstretch) for f in FACTIONS}
        self.garrison_need = {f: overstretch.garrison_need(tmap, self.hostility[f], rules.overstretch)
                              for f in FACTIONS}
        self._garrison_need = np.stack([self.garrison_need[f] for f in FACTIONS])
        self._hostility = np.stack([self.hostility[f] for f in FACTIONS])  # (factions, cells), as the ground rules read it
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
        self._rosters = None  # the units alive, by faction: rebuilt when one leaves (Situation)
        self.commanders = setup.make_commanders(self, scenario)
        self.air_wings = setup.make_air_wings(self, scenario)
        # Strikes flown in support of each faction on the last day (first day: full budgets).
        self.strikes_for = {f: sum(w.strikes_per_day for w in self.air_wings if f in w.supports) for f in FACTIONS}
        # Per faction, the cells linked to its supply sources (traced each day): rows of one (factions, cells) table.
        self.supplied_table = np.zeros((len(Faction), tmap.n_cells), bool)
        self.supplied = {f: self.supplied_table[f] for f in FACTIONS}
        self.supply_km = {f: np.full(tmap.n_cells, np.inf) for f in FACTIONS}
        self._supply_lines: supply.SupplyLines | None = None  # traced day after day (trace_supply)
        self._place_cells = np.array([tmap.place_cell[p.name] for p in tmap.geography.places])
        self._place_holders = self.control[self._place_cells].copy()
        self._insurgent_places_at_start = self._place_holders == INSURGENT
        self.city_rings = records.city_rings(tmap)
        self._insurgent_in_city = self.city_rings.insurgent_in(self.control)
        self.trace_supply(announce=False)
        self.count_garrisons()
        self.datacollector = records.make_datacollector()
        records.record_day(self)

    @classmethod
    def from_scenario(cls, path: str | Path, seed: int = 1, cell_km: float | None = None,
                      overrides: dict | None = None) -> ConflictModel:
        """Load and check a scenario (as :func:`~simulation.scenario.load_scenario`) and build the model.

        Args:
            path: a scenario YAML file, or a shipped scenario's name (``"2017-07-04_raqqa"``).
            seed: the run's seed.
            cell_km: hex cell size in km (centre to centre); default the scenario's.
            overrides: dotted keys to set, e.g. ``{"sdf.manpower": 30000}`` (fighters).
        """
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
        for faction in FACTIONS:
            self.commanders[faction].plan()

    def units_move(self) -> None:
        """Units march toward their objectives in random order, declaring attacks."""
        self.agents_by_type[Unit].shuffle_do("march")

    def fronts_fight(self) -> None:
        """Every declared attack is fought for a day; broken defences give way."""
        if not self._attacks:
            return
        keys = sorted(self._attacks)
        rules, tmap = self.rules.combat, self.theatre
        a_units = [[u for u, _ in self._attacks[key]] for key in keys]
        d_units = [self.enemy_units_in(cell, Faction(f)) for cell, f in keys]
        a = np.array([sum(u.strength for u in us) for us in a_units])
        d = np.array([sum(u.strength for u in us) for us in d_units])
        qa = np.array([_weighted(us, "quality") for us in a_units])
        qd = np.array([_weighted(us, "quality") for us in d_units])
        cells = np.array([cell for cell, _ in keys])
        across = np.array([any(tmap.crosses_river[src, tmap.slot(src, cell)] for _, src in self._attacks[key])
                           for key, cell in zip(keys, cells)])
        holding = np.array([all(u.posture == Posture.HOLD for u in us) for us in d_units])
        in_town = tmap.terrain[cells] == int(Terrain.URBAN)
        people = tmap.population[cells]
        defence = combat.defence_factor(in_town, across, holding, rules, people)
        engaged = combat.engaged_attackers(a, d, in_town, people, rules)
        engaged_after, d_after = combat.fight(engaged, d, qa, qd, defence, self.rng, rules)
        a_after = a - (engaged - engaged_after)
        in_city = urban.edges_held(cells, np.array([f for _, f in keys]), self.control, tmap.neighbours,
                                   self.city_cell, rules)
        for i, (cell, f) in enumerate(keys):
            self._settle_engagement(a_units[i], d_units[i], (a[i], d[i]), (a_after[i], d_after[i]),
                                    defence[i], cell, Faction(f), bool(in_city[i]))

    def aircraft_strike(self) -> None:
        """Each air wing flies its day's strikes."""
        self.strikes_for = dict.fromkeys(Faction, 0)
        for wing in self.air_wings:
            wing.fly()

    def trace_supply(self, announce: bool = True) -> None:
        """Trace each faction's supply; update units; announce sieges formed and broken."""
        rules, tmap, control = self.rules.supply, self.theatre, self.control
        sources = {int(f): self.commanders[f].source_cells for f in FACTIONS}
        lines = self._supply_lines
        if lines is None or any(lines.sources[f] is not cells for f, cells in sources.items()):  # new sources
            self._supply_lines = lines = supply.SupplyLines(tmap, sources, self.terrain_cost, len(Faction))
        # Road distances; each cell linked to its holder's sources; per side, its own such cells (supply_connected).
        distances, linked, by_side = lines.today(control)
        self.supply_km = {f: distances[int(f)] for f in FACTIONS}
        labels = self._announce_sieges(control, linked) if announce else None
        self.supplied_table, self.supplied = by_side, {f: by_side[f] for f in FACTIONS}
        self._was = control.copy(), linked, labels
        units = self.all_units()
        if units:
            at = [u.k for u in units]
            connected = linked[at] & (control[at] == [int(u.faction) for u in units])
            level = supply.update_supply(
                np.array([u.supply for u in units]), connected, np.array([u.air_supplied for u in units]),
                rules.decay_per_day, rules.air_supplied_decay_per_day, rules.recovery_per_day)
            starving = supply.starvation_losses([u.strength for u in units], level, rules.unsupplied_attrition_per_day)
            for u, s, lost in zip(units, level.tolist(), starving.tolist()):
                u.supply = float(s)
                if s <= 0.0:
                    u.suffer(lost, 0.0)

    def _announce_sieges(self, control: np.ndarray, linked: np.ndarray) -> np.ndarray | None:
        """Log the pockets relieved and the pockets cut off since yesterday, faction by faction.

        Both need a cell its holder held yesterday too, supplied one day and cut off the
        other; one look at the whole map finds the days (most) with neither, and the
        factions holding such cells on the others. Only then are the pieces of ground of
        both days worked out (yesterday's kept from yesterday if it worked them out), and
        only those factions' pockets looked for.

        Returns:
            Today's pieces of ground (:func:`~simulation.rules.supply.held_components`), if worked out.
        """
        was_control, was_linked, was_labels = self._was
        in_theatre = self.theatre.in_theatre
        turned = np.flatnonzero((linked != was_linked) & (control == was_control) & in_theatre)
        if not turned.size:
            return None
        holders = set(control[turned].tolist())
        if was_labels is None:
            was_labels = supply.held_components(self.theatre, was_control)
        all_labels = supply.held_components(self.theatre, control)
        for faction in (f for f in FACTIONS if int(f) in holders):
            was_held, held = in_theatre & (was_control == int(faction)), in_theatre & (control == int(faction))
            was_supplied, connected = was_held & was_linked, held & linked
            was_faction_labels, labels = np.where(was_held, was_labels, -1), np.where(held, all_labels, -1)
            for cells in supply.pockets_relieved(was_held & ~was_supplied, was_faction_labels, connected):
                self.log_event("siege_broken", cells, faction, "besieged pocket rejoined its side")
            for cells in supply.pockets_formed(was_supplied, held & ~connected, labels):
                if self.units_of(faction, cells) or (self.theatre.place[cells] >= 0).any():
                    self.log_event("siege_formed", cells, faction, "pocket cut off from supply")
        return all_labels

    def control_changes(self) -> None:
        """Zones of control sweep empty hostile ground; unheld ground crumbles; thin garrisons rise; units hold."""
        pace = self.sweep_pace()  # the same for both: nothing they change enters it
        self.sweep_zones_of_control(pace)
        self.collapse_unheld_ground(pace)
        self.rise_for_insurgent()
        self.occupy_where_standing()

    def count_garrisons(self) -> None:
        """Garrison need, manoeuvre force and overstretch; reinforce or drain units; morale."""
        # Every side's garrison need at once (the insurgent's own ground has no front to guard against
        # it); each side's units are those before its reinforcements below. Compiled: garrison_totals of
        # front_need, the insurgent's row left as it is (overstretch's references; the same bits).
        needs = kernels.front_garrison_totals(self._garrison_need, self.near_insurgent(),
                                              self.rules.overstretch.front_garrison_factor, int(INSURGENT),
                                              self.control, self.presences().table()).tolist()
        for faction in FACTIONS:
            spec = self._faction_specs[faction]
            if self.steps > 0:
                self.manpower[faction] += spec.recruits_per_day
            need = needs[faction]
            self.garrison_total[faction] = need
            in_formations = sum(u.strength for u in self.units_of(faction))
            ratio = overstretch.overstretch_ratio(need, in_formations, self.manpower[faction], spec.fixed_commitment)
            self.overstretch[faction] = ratio
            self.manoeuvre[faction] = max(0.0, self.manpower[faction] - spec.fixed_commitment - need)
            if self.steps > 0:
                self._reinforce_and_rally(faction)

    def roll_incidents(self) -> None:
        """The two sides the line keeps apart risk incidents along their active front; enough break it."""
        if not self.deconfliction.in_force:
            return
        rules, (west, east) = self.rules.deconfliction, LINE_PAIR
        presence = self.presences().table()
        front = np.flatnonzero(deconfliction.active_front(self.control, int(west), int(east), self.contact_reach,
                                                          self.line_contact_reach, presence[west], presence[east]))
        # One front cell is about a cell's width of front: the rate is per km, so per cell it scales with the cell.
        n = deconfliction.roll_incidents(front.size, rules.incident_rate * self.theatre.cell_km, self.rng)
        for k in self.rng.choice(front, size=n, replace=False) if n else []:
            self.deconfliction.incidents += 1
            self.log_event("incident", np.array([k]), west, "SAA-SDF incident across the line")
        if self.deconfliction.incidents >= self.rules.deconfliction.breakdown_incidents:
            self.deconfliction.in_force = False
            self.deconfliction.broken_on_step = self.steps
            self.hostile = hostility_matrix(False)
            self.may_take = operating_areas(self.theatre, self.line_side, False)
            self.log_event("deconfliction_breakdown", np.array([], dtype=int), LINE_PAIR[0],
                           f"after {self.deconfliction.incidents} incidents: SAA and SDF now hostile")

    def record_day(self) -> None:
        """Announce places that changed hands (shaking the side that lost them) and add the day's rows."""
        holders = self.control[self._place_cells]
        for i in np.flatnonzero(holders != self._place_holders):
            place, loser = self.theatre.geography.places[i], Faction(self._place_holders[i])
            hit = morale.place_loss_shock(place.population, self.rules.morale)
            for u in self.units_of(loser):
                u.morale = max(0.0, u.morale - hit)
            self.event_log.append({"date": self.date.isoformat(), "step": self.steps, "event": "captured",
                                   "place": place.name, "faction": Faction(holders[i]).name,
                                   "detail": f"from {loser.name}"})
        self._place_holders = holders.copy()
        self._insurgent_in_city = records.note_cities_cleared(self, self._insurgent_in_city)
        records.record_day(self)

    def _settle_engagement(self, attackers, defenders, before, after, defence, cell, faction,
                           city_contested: bool = False) -> None:
        """Share a fight's losses among its units, log it, and let a broken defence give way.

        In a city whose edges the attacker holds (``city_contested``), the defence gives
        way only when its morale is gone, not when outnumbered.
        """
        rules = self.rules
        for side, was, now in ((attackers, before[0], after[0]), (defenders, before[1], after[1])):
            losses, hit = combat.shared_losses([u.strength for u in side], was, now, rules.morale.loss_sensitivity)
            for u, lost in zip(side, losses):
                u.suffer(lost, hit)
                self._engaged.add(u.unique_id)
        (a0, d0), (a1, d1) = before, after
        held_morale = _weighted(defenders, "morale")
        broke = bool(combat.defender_breaks(a1, d1, defence, held_morale, rules.combat, rules.morale.break_morale,
                                            contested=city_contested))
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

    def _reinforce_and_rally(self, faction: Faction) -> None:
        """Top units up from the pool or drain them into garrisons; then the day's morale drift."""
        units = self.units_of(faction)
        if not units:
            return
        supplied = self.supplied[faction]
        gains = reinforcement.reinforcements([u.strength for u in units], [u.establishment for u in units],
                                             [supplied[u.k] for u in units], self.manoeuvre[faction],
                                             self.rules.reinforcement)
        for u, gain in zip(units, gains):
            u.strength += gain
        drift = morale.rally([u.morale for u in units], [u.supply for u in units],
                             [self.engaged_today(u) for u in units], self.overstretch[faction], self.rules.morale)
        for u, m in zip(units, drift.tolist()):
            u.morale = float(m)
        if faction == INSURGENT:
            self._desert(units)
        self.remove_spent_units()

    def _desert(self, units) -> None:
        """The insurgent's fighters slip away as its towns go (:mod:`simulation.rules.collapse`)."""
        lost = collapse.places_lost(self._insurgent_places_at_start, self.control[self._place_cells] == int(INSURGENT))
        if lost <= 0:
            return
        gone = collapse.desertions([u.strength for u in units], [not self.is_supplied(u) for u in units], lost,
                                   self.rules.collapse)
        for u, n in zip(units, gone.tolist()):
            u.strength -= float(n)
        self.manpower[INSURGENT] = max(0.0, self.manpower[INSURGENT] - float(gone.sum()))


def _weighted(units, attr: str) -> float:
    """Strength-weighted mean of a unit attribute over units (0 if none)."""
    return combat.strength_weighted([getattr(u, attr) for u in units], [u.strength for u in units])
