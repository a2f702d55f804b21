"""How ground changes hands without a battle: the model's side of :mod:`simulation.rules.ground`.

:class:`GroundChanges` is mixed into :class:`~simulation.model.ConflictModel`. Each
method hands one ground rule today's map, forces and reaches, then applies what the
rule returns: cells taken (charging each loser's garrison), cells risen for the
insurgent, units fallen back or surrendered.
"""

from __future__ import annotations

import numpy as np

from simulation.factions import FACTIONS, Faction
from simulation.roles import ATTACKERS, INSURGENT
from simulation.rules import ground, movement, overstretch


class GroundChanges:
    """The four ground rules of the day, applied to the model in order."""

    def sweep_zones_of_control(self, pace=None) -> None:
        """Empty hostile cells near attacking units, next to the attacker's ground, change hands.

        Args:
            pace: today's :meth:`sweep_pace`, if already worked out.
        """
        presence, pressing = self.presences(False), self.presences(True)
        for f, cells in ground.zones_of_control(self.control, self.theatre.neighbours, self.hostile, self.may_take_table(),
                                                presence, pressing, self.contact_reach, self.zone_of_control,
                                                *(pace or self.sweep_pace()), self.rng, self.rules.movement).items():
            self.take_cells(cells, Faction(f))

    def collapse_unheld_ground(self, pace=None) -> None:
        """Enemy ground no one holds crumbles from its edges into the sides on the offensive.

        Args:
            pace: today's :meth:`sweep_pace`, if already worked out.
        """
        occupied = np.zeros(self.theatre.n_cells, bool)
        occupied[[u.k for u in self.all_units()]] = True
        unit_cells = [np.array([u.k for u in self.units_of(f)], dtype=np.int64) for f in FACTIONS]
        for f, cells in ground.unheld_ground_collapse(self.theatre, self.control, occupied, self.supplied,
                                                      self.hostile, self.may_take, unit_cells, ATTACKERS,
                                                      *(pace or self.sweep_pace()), self.rng, self.rules.movement,
                                                      hold_reach=self.theatre.within(self.rules.movement.hold_reach_km)):
            self.take_cells(cells, Faction(f))

    def rise_for_insurgent(self) -> None:
        """Cells of overstretched sides near the insurgent's ground, with no units, can rise for it."""
        occupied = np.zeros(self.theatre.n_cells, bool)
        occupied[[u.k for u in self.all_units()]] = True
        rising = ground.insurgent_rising(self.control, INSURGENT, [self.overstretch[f] for f in FACTIONS],
                                         self._hostility, occupied, self.theatre.in_theatre, self.insurgency_reach,
                                         self.rng, self.rules.overstretch, near_insurgent=self.near_insurgent())
        self.control[rising] = INSURGENT

    def occupy_where_standing(self) -> None:
        """A unit holds the cell it stands on; one on enemy ground among enemy units falls back or surrenders."""
        units = self.all_units()
        control, moves = ground.hold_where_standing(self.control, [u.k for u in units], [u.faction for u in units],
                                                    self.hostile, self.theatre.neighbours, self.rng)
        self.control[:] = control
        for i, cell in moves:
            self._fall_back(units[i], units[i].k, cell)
        self.remove_spent_units()

    def sweep_pace(self) -> tuple[list[float], np.ndarray]:
        """Each side's daily sweep chance at full tether, and the tether at each cell (logistics)."""
        rules = self.rules.movement
        pace = [movement.sweep_chance(rules, self.theatre.cell_km,
                                      overstretch.offensive_tempo(self.overstretch[f], self.rules.overstretch),
                                      self.air_cover(f)) for f in FACTIONS]
        return pace, self.tether()
