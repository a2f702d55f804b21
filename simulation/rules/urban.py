"""Cities as contested ground: once an attacker holds a city's edges, it is taken block by block.

A city's defenders, surrounded in its streets, do not give way when outnumbered as a
town's garrison does: in 2017 the SDF held 40% of Raqqa in early July and all of it
only in mid-October, against a garrison of a few thousand that shrank the whole time.
Where an attacker holds at least ``city_edge_neighbours`` of a city cell's six
neighbours, the defence of that cell breaks only when its morale is gone (or its
defenders are; :func:`~simulation.rules.combat.defender_breaks` with ``contested``):
the attacker wears it down day after day, losses costing the defenders morale as they
go, instead of taking the city the first day the odds turn.
"""

from __future__ import annotations

import numpy as np

from simulation.scenario.rule_params import CombatRules


def city_cells(place: np.ndarray, place_people, params: CombatRules) -> np.ndarray:
    """Bool per cell: the cell of a named place of at least ``city_min_people`` (its streets can be contested).

    Args:
        place: per cell, the index of the named place there (-1 none).
        place_people: each named place's own population.
    """
    people = np.asarray(place_people, dtype=float)
    return (place >= 0) & (people[np.maximum(place, 0)] >= params.city_min_people)


def edges_held(cells: np.ndarray, attackers: np.ndarray, control: np.ndarray, neighbours: np.ndarray,
               is_city: np.ndarray, params: CombatRules) -> np.ndarray:
    """For each engagement, whether it is at a city whose edges the attacking side holds.

    Args:
        cells: the cell fought over in each engagement.
        attackers: the attacking faction's code in each engagement.
        control: faction code per cell.
        neighbours: (n, 6) neighbour indices, -1 where none.
        is_city: bool per cell (:func:`city_cells`).
    """
    cells = np.asarray(cells, dtype=np.int64)
    ring = neighbours[cells]
    holders = np.where(ring >= 0, control[np.where(ring >= 0, ring, 0)], -1)
    held = (holders == np.asarray(attackers)[:, None]).sum(axis=1)
    return is_city[cells] & (held >= params.city_edge_neighbours)
