"""A faction's commander: picks each unit's objective and posture every morning.

Attackers (SAA, SDF, ISF) send units to the open objective that scores best on
weight over distance (only the best few, for a faction that runs few operations at
once, and none while it regroups after a gain), spreading them so one
objective does not soak up every unit; units that are hurt or demoralised fall back
toward their supply sources; garrisons hold and, once supplied, sortie. ISIS
garrisons hold; its mobile units fall back on the places it most wants to keep.
Every side's mobile units first strike weak enemy units within reach.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from mesa import Agent

from simulation.factions import Faction, Posture
from simulation.roles import ROLES
from simulation.rules import combat, kernels, movement, proximity
from simulation.theatre import Terrain


@dataclass
class Objective:
    """A place a commander wants, on the grid."""

    name: str
    cell: int
    weight: float


class Commander(Agent):
    """Plans the day for one faction's units."""

    def __init__(self, model, faction: Faction, objectives: list[Objective], source_cells: np.ndarray):
        """Args:
            faction: the side it commands.
            objectives: places it wants, with weights (for ISIS: places to keep).
            source_cells: flat indices of its supply sources.
        """
        super().__init__(model)
        self.faction = faction
        self.objectives = objectives
        self.source_cells = np.array(source_cells, dtype=np.int64)
        self.source_cells.setflags(write=False)  # replaced, not changed in place: supply notices them by identity
        self.route: movement.RoutePlan | None = None
        self._costs: movement.StepCosts | None = None  # its step costs, kept from day to day
        self.operations = model.spec.faction(faction.key).operations  # how many it runs at once (None: any)
        self._worth: tuple[list[float], list[float]] | None = None  # see _defender_worth
        self._place_cells: np.ndarray | None = None  # each named place's cell (see _enemy_places)
        self._objective_cells = np.array([o.cell for o in objectives], dtype=np.int64)
        self.regrouping = False  # after a gain, until its formations are fit to attack again
        self._open: set[int] = set()

    @property
    def units(self):
        """This faction's units."""
        return self.model.units_of(self.faction)

    def plan(self) -> None:
        """Set every unit's objective and posture, and the routes to reach them."""
        model = self.model
        if self._costs is None:
            self._costs = movement.StepCosts(model.theatre, int(self.faction), model.rules.movement, model.terrain_cost)
        costs, summary = self._costs.today(model.control, model.hostile[self.faction], model.may_take[self.faction],
                                           model.air_cover(self.faction))
        strikes = self._counterattack_targets()
        candidates = self._candidates()
        units = self.units
        targets = np.array(sorted({*(o.cell for o in candidates), *self.source_cells.tolist(), *strikes.values(),
                                   *(u.home for u in units if u.tied and u.home >= 0)}), dtype=np.int64)
        # The fields are read at the cells of the units that may move or weigh objectives today, and down
        # their routes from there (a read elsewhere is still exact: it searches the whole field).
        watch = np.zeros(model.theatre.n_cells, bool)
        watch[[u.k for u in units if not self._stays_put(u)]] = True
        self.route = movement.RoutePlan(model.theatre, costs, targets, watch, previous=self.route, summary=summary)
        if ROLES[self.faction].defends:
            self._plan_defence(candidates, strikes)
        else:
            self._plan_offensive(candidates, strikes)

    def _stays_put(self, unit) -> bool:
        """A garrison that holds where it is today whatever the plan, reading no route: one at home
        (an attacker's), or one whose place is still held (the defender's)."""
        if ROLES[self.faction].defends:
            return unit.tied and self.model.control[unit.objective] == int(self.faction)
        return unit.tied and unit.k == unit.home

    def _candidates(self) -> list[Objective]:
        """Objectives still to take (attackers) or to keep (ISIS); never empty if any exist."""
        model, code = self.model, int(self.faction)
        cells = self._objective_cells
        holders = model.control[cells]
        if ROLES[self.faction].defends:
            held = [o for o, ok in zip(self.objectives, (holders == code).tolist()) if ok]
            return held or self.objectives
        # Open: held by an enemy, or held but cut off (a besieged place is one to relieve).
        open_ = model.hostile[code][holders] | ((holders == code) & ~model.supplied[self.faction][cells])
        return [o for o, ok in zip(self.objectives, open_.tolist()) if ok] or self._enemy_places() or self._front()

    def _enemy_places(self) -> list[Objective]:
        """Named places in the side's operating area held by its enemies (fallback objectives)."""
        model, code = self.model, int(self.faction)
        weight = model.rules.command.fallback_objective_weight
        places = model.theatre.geography.places
        if self._place_cells is None:
            self._place_cells = np.array([model.theatre.place_cell[p.name] for p in places], dtype=np.int64)
        cells = self._place_cells
        wanted = model.may_take[self.faction][cells] & model.hostile[code][model.control[cells]]
        return [Objective(p.name, int(k), weight) for p, k, ok in zip(places, cells.tolist(), wanted.tolist()) if ok]

    def _front(self) -> list[Objective]:
        """With no place left to take: enemy cells next to own ground, as mop-up objectives."""
        model, code = self.model, int(self.faction)
        # Compiled: np.flatnonzero(hostile[control] & may_take & ground.touches_reference(neighbours, own
        # ground)), looking round only the enemy cells it may take (open_edge, with every cell free).
        cells = kernels.open_edge(model.theatre.neighbours, model.control == code, np.ones(model.control.size, bool),
                                  model.control, model.hostile[code], model.may_take[self.faction])
        rules = model.rules.command
        step = max(1, cells.size // rules.mop_up_targets)
        return [Objective("front", int(k), rules.mop_up_weight) for k in cells[::step]]

    def _must_fall_back(self, unit) -> bool:
        rules = self.model.rules
        weak = unit.strength < rules.command.withdraw_below_strength * unit.establishment
        shaken = unit.morale < rules.command.shaken_morale_factor * rules.morale.break_morale
        return (weak or shaken) and self.model.is_supplied(unit)

    def _nearest(self, unit, cells) -> int:
        cells = [int(c) for c in cells]
        if not cells:
            return -1
        dists = [self.route.distance(c, unit.k) for c in cells]
        best = int(np.argmin(dists))
        return cells[best] if np.isfinite(dists[best]) else -1

    def _focus(self, candidates: list[Objective]) -> list[Objective]:
        """The objectives of today's operations: the best-scoring few, if the faction runs only a few at once.

        Iraqi forces ran one or two operations at a time in 2017 (Tal Afar, then Hawija
        and Anah, then al-Qaim), moving their divisions between them.
        """
        limit = self.operations
        mobile = [u for u in self.units if not u.tied]
        if limit is None or len(candidates) <= limit or not mobile:
            return candidates
        scale = self.model.rules.command.objective_distance_scale_km

        nearest = self.route.distances([o.cell for o in candidates], [u.k for u in mobile]).min(axis=1).tolist()
        scores = [o.weight / (1 + near / scale) if math.isfinite(near) else 0.0 for o, near in zip(candidates, nearest)]
        order = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i].cell))
        return [candidates[i] for i in order[:limit]]

    def _distances_once(self, objectives: list[Objective], units) -> Callable[[object], list[float]]:
        """A function giving one of ``units``' route distances to each objective; all of them are worked
        out on its first call (a table of objectives x units)."""
        table: dict[int, list[float]] = {}

        def distances(unit) -> list[float]:
            if not table:
                columns = self.route.distances([o.cell for o in objectives], [u.k for u in units]).T.tolist()
                table.update({u.unique_id: column for u, column in zip(units, columns)})
            return table[unit.unique_id]
        return distances

    def _regroup_after_gains(self) -> None:
        """A faction that runs few operations regroups after each objective taken, until it is fit again.

        The next operation is launched on the commander's judgement of its formations:
        once their strength-weighted morale, worn down by the losses of the last
        operation and restored by rest and reinforcement, is back to
        ``command.operation_ready_morale``. The pause thus lasts as long as the last
        operation was costly (Iraqi forces paused 41 days after the nine months of
        Mosul, three weeks after Tal Afar's eleven days).
        """
        model = self.model
        if self.operations is None:
            return
        open_now = {o.cell for o in self.objectives if model.is_hostile(self.faction, model.control[o.cell])}
        if any(model.control[c] == self.faction for c in self._open - open_now):
            self.regrouping = True
        self._open = open_now
        if self.regrouping and self.readiness() >= model.rules.command.operation_ready_morale:
            self.regrouping = False

    def readiness(self) -> float:
        """Strength-weighted morale of the faction's mobile formations (0 if it has none)."""
        mobile = [u for u in self.units if not u.tied]
        return combat.strength_weighted([u.morale for u in mobile], [u.strength for u in mobile]) if mobile else 0.0

    def _plan_offensive(self, candidates: list[Objective], strikes: dict[int, int]) -> None:
        rules = self.model.rules.command
        scale, spread = rules.objective_distance_scale_km, rules.spread_fighters
        self._regroup_after_gains()
        candidates = self._focus(candidates)
        sent = {o.cell: 0.0 for o in candidates}
        units = sorted(self.units, key=lambda u: (-u.strength, u.unique_id))
        distances = self._distances_once(candidates, [u for u in units if not u.tied])  # garrisons weigh none
        for unit in units:
            if unit.tied:
                self._garrison(unit)
            elif self._must_fall_back(unit):
                unit.posture, unit.objective = Posture.WITHDRAW, self._nearest(unit, self.source_cells)
            elif unit.unique_id in strikes:
                # A weak enemy unit within reach is struck first, wherever the unit is bound.
                unit.posture, unit.objective = Posture.ATTACK, strikes[unit.unique_id]
                sent[unit.objective] = sent.get(unit.objective, 0.0) + unit.strength
            else:
                best, score = -1, 0.0
                for o, dist in zip(candidates, distances(unit)):
                    if not math.isfinite(dist):
                        continue
                    s = o.weight / (1 + dist / scale) / (1 + sent[o.cell] / spread)
                    if s > score:
                        best, score = o.cell, s
                if best >= 0:
                    sent[best] += unit.strength
                ready = unit.morale >= rules.attack_min_morale and unit.supply >= rules.attack_min_supply
                unit.objective = best
                unit.posture = Posture.ATTACK if ready and best >= 0 else Posture.HOLD
        self._wait_for_odds(sent)
        if self.regrouping:
            for unit in units:
                if unit.posture == Posture.ATTACK and not unit.tied:
                    unit.posture = Posture.ASSEMBLE

    def _garrison(self, unit) -> None:
        """A garrison holds its place; once supplied it sorties against weak enemies next door.

        A besieged garrison only holds (the Deir ez-Zor enclave could not break out in
        three years); a relieved one clears the ring round it when it outnumbers the
        enemy there by the counter-attack ratio, then returns home.
        """
        model, rules = self.model, self.model.rules.command
        unit.objective = unit.home
        unit.posture = Posture.HOLD if unit.k == unit.home else Posture.WITHDRAW
        if unit.k != unit.home or not model.is_supplied(unit) or unit.morale < rules.attack_min_morale:
            return
        for k in model.theatre.neighbours[unit.k]:
            if k < 0 or not model.is_hostile(self.faction, model.control[k]) or not model.may_take[self.faction][k]:
                continue
            enemy = sum(u.strength for u in model.enemy_units_in(int(k), self.faction))
            if 0 < enemy * rules.counterattack_ratio < unit.strength:
                unit.objective, unit.posture = int(k), Posture.ATTACK
                return

    def _wait_for_odds(self, sent: dict[int, float]) -> None:
        """Units bound for an objective assemble instead of attacking until the odds are good.

        An objective is attacked once the fighters sent to it outnumber the enemy
        within reach of it by the attack force ratio; until then its units move up
        through their own ground and wait at the front.
        """
        model, rules = self.model, self.model.rules.command
        enemies = model.enemy_strengths_near(list(sent), self.faction, rules.counterattack_reach_km)
        for (cell, fighters), enemy in zip(sent.items(), enemies):
            if fighters < rules.attack_force_ratio * enemy:
                for unit in self.units:
                    if unit.objective == cell and unit.posture == Posture.ATTACK:
                        unit.posture = Posture.ASSEMBLE

    def _counterattack_targets(self) -> dict[int, int]:
        """For each mobile unit, the cell of the weakest enemy unit within reach it outnumbers (if any).

        ISIS counter-attacks this way; the attackers use it to mop up the small
        enemy detachments their advance bypassed.
        """
        model = self.model
        rules = model.rules.command
        supplied = model.supplied[self.faction]
        strikers = [u for u in self.units if not u.tied and u.morale >= rules.strike_min_morale and supplied[u.k]]
        if not strikers:
            return {}
        hostile, may_take = model.hostile[self.faction].tolist(), model.may_take[self.faction]
        enemies = [u for u in model.all_units() if hostile[u.faction] and may_take[u.k]]
        if not enemies:
            return {}
        # Count each enemy at what its ground and posture make it worth (a town's garrison is no easy prey).
        worth = self._defender_worth()
        es = [u.strength * worth[u.posture == Posture.HOLD][u.k] for u in enemies]
        # Per striker: the weakest enemy in reach it outnumbers by the ratio (-1: none).
        weakest = proximity.weakest_within(model.theatre, [u.k for u in strikers], [u.strength for u in strikers],
                                           [u.k for u in enemies], es, rules.counterattack_reach_km,
                                           rules.counterattack_ratio)
        return {unit.unique_id: enemies[i].k for unit, i in zip(strikers, weakest.tolist()) if i >= 0}

    def _defender_worth(self) -> tuple[list[float], list[float]]:
        """Per cell, how many attackers one defender there is worth (:func:`~simulation.rules.combat.defence_factor`),
        not holding (first) and holding (second), with no river between; worked out once, as lists (read a
        unit at a time)."""
        if self._worth is None:
            tmap, rules = self.model.theatre, self.model.rules.combat
            urban = tmap.terrain == int(Terrain.URBAN)
            self._worth = tuple(combat.defence_factor(urban, False, holding, rules, tmap.population).tolist()
                                for holding in (False, True))
        return self._worth

    def _plan_defence(self, keep: list[Objective], strikes: dict[int, int]) -> None:
        rules = self.model.rules.command
        scale, spread = rules.objective_distance_scale_km, rules.spread_fighters
        sent = {o.cell: 0.0 for o in keep}
        units = sorted(self.units, key=lambda u: (-u.strength, u.unique_id))
        distances = self._distances_once(keep, [u for u in units if not self._stays_put(u)])
        for unit in units:
            if self._stays_put(unit):  # a garrison whose place is still held
                unit.posture = Posture.HOLD
            elif unit.unique_id in strikes:
                unit.posture, unit.objective = Posture.ATTACK, strikes[unit.unique_id]
            else:
                # Fall back on (or stay at) the best place still held, weight over distance.
                scores = [o.weight / (1 + dist / scale) / (1 + sent[o.cell] / spread)
                          for o, dist in zip(keep, distances(unit))]
                unit.objective = keep[max(range(len(scores)), key=scores.__getitem__)].cell  # the first best
                sent[unit.objective] += unit.strength
                unit.tied = False
                unit.posture = Posture.HOLD if unit.k == unit.objective else Posture.WITHDRAW
