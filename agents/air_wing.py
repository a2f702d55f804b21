"""An air component: a daily budget of strikes for the ground factions it supports."""

from __future__ import annotations

import numpy as np
from mesa import Agent

from simulation.factions import AirArm, Faction
from simulation.roles import air_permitted_cells
from simulation.rules import air_support, proximity
from simulation.theatre import Terrain


class AirWing(Agent):
    """The coalition's or Russia's air component over the theatre.

    Attributes:
        arm: which air component.
        sorties_per_day: sorties flown over the theatre per day.
        strikes_per_sortie: weapons released per sortie.
        supports: ground factions it flies for, with their priority weights.
    """

    def __init__(self, model, arm: AirArm, sorties_per_day: float, strikes_per_sortie: float,
                 supports: dict[Faction, float]):
        super().__init__(model)
        self.arm = arm
        self.sorties_per_day = sorties_per_day
        self.strikes_per_sortie = strikes_per_sortie
        self.supports = supports
        self._permitted_cells: dict[bool, np.ndarray] = {}  # by whether the deconfliction line holds
        self._enemies_of: tuple[np.ndarray, list[bool]] | None = None  # see _enemies

    def _permitted(self, line_in_force: bool) -> np.ndarray:
        """The cells it may strike (:func:`~simulation.roles.air_permitted_cells`), once per state of the line."""
        if line_in_force not in self._permitted_cells:
            self._permitted_cells[line_in_force] = air_permitted_cells(self.model.theatre, self.arm,
                                                                       self.model.line_side, line_in_force)
        return self._permitted_cells[line_in_force]

    def _enemies(self, hostile: np.ndarray) -> list[bool]:
        """Per faction code, whether it is an enemy of any side the wing flies for (kept while ``hostile`` is)."""
        if self._enemies_of is None or self._enemies_of[0] is not hostile:
            self._enemies_of = hostile, hostile[[int(f) for f in self.supports]].any(axis=0).tolist()
        return self._enemies_of[1]

    @property
    def strikes_per_day(self) -> int:
        """The day's strike budget."""
        return int(round(self.sorties_per_day * self.strikes_per_sortie))

    def fly(self) -> None:
        """Strike enemy units near the supported factions' units, where permitted."""
        model = self.model
        tmap, rules = model.theatre, model.rules.air_support
        permitted = self._permitted(model.deconfliction.in_force)
        units = model.all_units()
        friends = [u for u in units if u.faction in self.supports]
        enemy = self._enemies(model.hostile)
        targets = [u for u in units if enemy[u.faction] and permitted[u.k]]
        if not friends or not targets or self.strikes_per_day <= 0:
            return
        tk = np.array([u.k for u in targets])
        nearest, dist = proximity.nearest(tmap, tk, [u.k for u in friends])  # each target's nearest friend
        in_reach = dist <= rules.reach_km
        weights = np.array([self.supports[friends[j].faction] for j in nearest]) * in_reach
        weights = weights * np.array([rules.engaged_target_weight if model.engaged_today(u) else 1.0 for u in targets])
        strikes = air_support.allocate_strikes(self.strikes_per_day, weights, model.rng)
        urban = tmap.terrain[tk] == int(Terrain.URBAN)
        killed = air_support.fighters_killed(strikes, urban, rules)
        shaken = air_support.morale_hit(strikes, urban, rules)
        for unit, n, dead, hit, friend in zip(targets, strikes.tolist(), killed.tolist(), shaken.tolist(), nearest):
            if n > 0:
                model.strikes_for[friends[friend].faction] += n
                unit.suffer(dead, hit)
                model.record_strike(self.arm, unit.k, unit.faction, n)
        model.civilian_harm += air_support.civilian_harm(strikes, tmap.population[tk], rules)
