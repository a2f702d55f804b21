"""Movement on least-cost distance fields."""

import numpy as np
import pytest

from simulation.factions import Faction
from simulation.rules import movement
from simulation.roles import hostility_matrix
from simulation.scenario import MovementRules
from simulation.theatre import theatre_map


def setup(control_value=Faction.SAA, **params):
    tmap = theatre_map(10.0)
    rules = MovementRules(**params)
    control = np.where(tmap.in_theatre, int(control_value), -1).astype(np.int8)
    control[~tmap.in_theatre] = int(control_value)
    hostile = hostility_matrix(True)[Faction.SAA]
    costs = movement.step_costs(tmap, control, int(Faction.SAA), hostile, tmap.in_theatre,
                                rules, movement.terrain_cost(tmap, rules))
    return tmap, control, costs


def test_fields_and_hops_lead_to_the_target():
    tmap, _, costs = setup()
    target = tmap.place_cell["Deir ez-Zor"]
    field = movement.distance_fields(tmap, costs, [target])[0]
    k = tmap.place_cell["Palmyra"]
    steps = 0
    while (nxt := movement.next_hop(tmap, costs, field, k)) >= 0:
        assert field[nxt] < field[k]
        k, steps = nxt, steps + 1
    assert k == target and steps > 10


def test_river_crossings_cost_extra():
    tmap, _, cheap = setup(river_crossing_km=0.0)
    _, _, dear = setup(river_crossing_km=50.0)
    a, b = tmap.place_cell["Hasakah"], tmap.place_cell["Palmyra"]  # opposite sides of the Euphrates
    d_cheap = movement.distance_fields(tmap, cheap, [a])[0][b]
    d_dear = movement.distance_fields(tmap, dear, [a])[0][b]
    assert d_dear >= d_cheap + 50.0


def test_ground_of_a_non_enemy_is_impassable_and_enemy_ground_costs_more():
    tmap, control, _ = setup()
    rules = MovementRules()
    hostile = hostility_matrix(True)[Faction.SAA]
    base = movement.terrain_cost(tmap, rules)
    k = tmap.place_cell["Sukhnah"]
    control[k] = Faction.SDF  # SDF ground is barred to the SAA while deconfliction holds
    costs = movement.step_costs(tmap, control, int(Faction.SAA), hostile, tmap.in_theatre, rules, base)
    assert np.isinf(costs[k]).all()
    control[k] = Faction.ISIS
    costs = movement.step_costs(tmap, control, int(Faction.SAA), hostile, tmap.in_theatre, rules, base)
    j = tmap.neighbours[k][0]
    slot = tmap.slot(j, k)
    assert costs[j, slot] > tmap.cell_km * rules.hostile_ground_cost / 2


def test_a_sweep_rolls_forward_at_the_same_km_per_day_whatever_the_cell_size():
    rules = MovementRules(sweep_km_per_day=3.5)
    for cell_km in (5.0, 10.0, 20.0):
        assert movement.sweep_chance(rules, cell_km, 1.0, 1.0) * cell_km == pytest.approx(rules.sweep_km_per_day)
    # A chance is at most 1: a front sweeping faster than a cell a day is held to a cell a day.
    assert movement.sweep_chance(MovementRules(sweep_km_per_day=6.0), 5.0, 1.0, 1.0) == 1.0
    assert movement.sweep_chance(rules, 10.0, 1.0, 0.0) < movement.sweep_chance(rules, 10.0, 1.0, 1.0)
    assert movement.sweep_chance(rules, 10.0, 0.5, 1.0) == movement.sweep_chance(rules, 10.0, 1.0, 1.0) / 2
