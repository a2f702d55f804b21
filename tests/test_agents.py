"""The agents' choices on a real model (the July 2017 scenario at 20 km): marching, odds, strikes, sorties.

Each test sets up a situation by hand (moving units, setting postures, strengths and
objectives) and checks a direction, a limit or a choice, not today's numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import ConflictModel
from simulation.factions import Faction, Posture
from simulation.theatre import Terrain

ISIS, SAA, SDF = Faction.ISIS, Faction.SAA, Faction.SDF


@pytest.fixture
def model(july):
    return ConflictModel(july, seed=1, cell_km=20)


def unit_named(model, name):
    return next(u for u in model.all_units() if u.name == name)


# ---- Unit.march -------------------------------------------------------------------------------
def test_a_unit_in_hold_does_not_move(model):
    model.commanders_plan()
    unit = unit_named(model, "Tiger Forces")
    start = unit.k
    unit.posture = Posture.HOLD
    unit.objective = int(model.commanders[SAA].source_cells[1])
    unit.progress_km = 500.0
    for _ in range(5):
        unit.march()
        assert unit.k == start and unit.progress_km == 0.0
    assert not model._attacks


def test_a_unit_with_no_objective_does_not_move(model):
    model.commanders_plan()
    unit = unit_named(model, "Tiger Forces")
    start = unit.k
    unit.posture, unit.objective = Posture.ATTACK, -1
    unit.march()
    assert unit.k == start


def test_a_unit_walks_down_its_field_through_own_ground_no_faster_than_its_budget(model):
    model.commanders_plan()
    saa = model.commanders[SAA]
    unit = unit_named(model, "Tiger Forces")
    target = int(saa.source_cells[1])
    unit.posture, unit.objective, unit.progress_km = Posture.ATTACK, target, 0.0
    route = saa.route
    dist0 = route.distance(target, unit.k)
    assert 0 < dist0 < np.inf
    budget = model.march_budget_km(unit)
    assert budget > 0
    days, fields = 0, [dist0]
    while unit.k != target and days < 60:
        carried = unit.progress_km
        before = route.distance(target, unit.k)
        unit.march()
        days += 1
        after = route.distance(target, unit.k)
        assert model.control[unit.k] == SAA  # own ground all the way: nothing taken
        # never more ground than the movement carried over plus today's budget
        assert before - after <= carried + budget + 1e-9
        fields.append(after)
    assert unit.k == target
    assert all(b <= a for a, b in zip(fields, fields[1:]))  # never away from the objective
    # Through own ground, movement is spent exactly on the route: it arrives on the first
    # day its accumulated budget covers the route's cost.
    assert days == math.ceil(dist0 / budget)
    assert not model._attacks


def test_a_unit_short_of_supply_marches_slower(model):
    unit = unit_named(model, "Tiger Forces")
    unit.posture = Posture.ASSEMBLE
    full = model.march_budget_km(unit)
    unit.supply = 0.0
    empty = model.march_budget_km(unit)
    assert empty == pytest.approx(full * model.rules.movement.unsupplied_march_share)


def test_a_unit_whose_next_hop_holds_enemy_units_declares_an_attack_and_stays(model):
    model.commanders_plan()
    raqqa = model.theatre.place_cell["Raqqa"]
    unit = unit_named(model, "YPG Raqqa north")
    start = unit.k
    assert model.commanders[SDF].route.next_hop(raqqa, start) == raqqa
    assert model.enemy_units_in(raqqa, SDF)
    unit.posture, unit.objective = Posture.ATTACK, raqqa
    model._attacks.clear()
    unit.progress_km = 1e4  # movement to spare changes nothing: contact means a fight, not a step
    unit.march()
    assert unit.k == start
    assert (unit, start) in model._attacks[(raqqa, int(SDF))]
    assert model.control[raqqa] == ISIS


def test_an_assembling_unit_next_to_the_enemy_neither_attacks_nor_moves(model):
    model.commanders_plan()
    raqqa = model.theatre.place_cell["Raqqa"]
    unit = unit_named(model, "YPG Raqqa north")
    start = unit.k
    unit.posture, unit.objective = Posture.ASSEMBLE, raqqa
    model._attacks.clear()
    unit.progress_km = 1e4
    unit.march()
    assert unit.k == start and not model._attacks


# ---- an isolated front for the choices below ---------------------------------------------------
def quiet_front(model, faction=SDF, clear_km=100.0):
    """A supplied desert cell of ``faction`` with an ISIS-held desert neighbour it may take, no enemy unit near."""
    tmap = model.theatre
    enemy_k = np.array([u.k for u in model.all_units() if model.hostile[faction, u.faction]])
    for k in np.flatnonzero(model.supplied[faction] & (tmap.terrain == Terrain.DESERT)):
        if tmap.distance_km(k, enemy_k).min() < clear_km:
            continue
        for n in tmap.neighbours[k]:
            if n >= 0 and model.control[n] == ISIS and model.may_take[faction][n] \
                    and tmap.terrain[n] == Terrain.DESERT:
                return int(k), int(n)
    pytest.skip("no quiet front on this map")


def test_an_attacking_unit_takes_an_empty_enemy_cell_on_its_way(model):
    k, n = quiet_front(model)
    model.commanders_plan()
    unit = unit_named(model, "Hasakah reserve")
    unit.move_to_index(k)
    unit.posture, unit.objective, unit.progress_km = Posture.ATTACK, n, 1e4
    unit.march()
    assert unit.k == n and model.control[n] == SDF


def test_an_assembling_unit_stops_at_the_edge_of_enemy_ground(model):
    k, n = quiet_front(model)
    model.commanders_plan()
    unit = unit_named(model, "Hasakah reserve")
    unit.move_to_index(k)
    unit.posture, unit.objective, unit.progress_km = Posture.ASSEMBLE, n, 1e4
    unit.march()
    assert unit.k == k and model.control[n] == ISIS and unit.progress_km == 0.0


def test_an_attack_without_enough_movement_waits_a_day(model):
    k, n = quiet_front(model)
    model.commanders_plan()
    unit = unit_named(model, "Hasakah reserve")
    unit.move_to_index(k)
    unit.posture, unit.objective, unit.progress_km = Posture.ATTACK, n, 0.0
    costs = model.commanders[SDF].route.costs
    step = costs[k, model.theatre.slot(k, n)] / model.logistics_tempo(SDF, n)
    budget = model.march_budget_km(unit)
    assert step > budget  # enemy ground is dear: no cell a day at 20 km
    unit.march()
    assert unit.k == k and model.control[n] == ISIS
    assert unit.progress_km == pytest.approx(budget)  # kept for tomorrow
    days = 1
    while unit.k == k and days < 100:
        unit.march()
        days += 1
    assert unit.k == n and days == math.ceil(step / budget)


# ---- waiting for the odds ---------------------------------------------------------------------
def bound_for(model, faction, cell):
    return [u for u in model.units_of(faction) if u.objective == cell and not u.tied]


def test_units_assemble_until_they_outnumber_the_enemy_near_the_objective(model):
    model.commanders_plan()
    sdf = model.commanders[SDF]
    tmap, rules = model.theatre, model.rules.command
    raqqa = tmap.place_cell["Raqqa"]
    # The enemy within reach of Raqqa, counted by hand.
    enemy = sum(u.strength for u in model.units_of(ISIS)
                if tmap.distance_km(raqqa, u.k)[0, 0] <= rules.counterattack_reach_km)
    assert enemy > 0 and model.enemy_strength_near(raqqa, SDF, rules.counterattack_reach_km) == \
        pytest.approx(enemy)
    units = [u for u in sdf.units if not u.tied]
    elsewhere = units[-1]
    for u in units:
        u.objective, u.posture = raqqa, Posture.ATTACK
    elsewhere.objective = tmap.place_cell["Deir ez-Zor"]

    sdf._wait_for_odds({raqqa: rules.attack_force_ratio * enemy - 1.0})
    assert all(u.posture == Posture.ASSEMBLE for u in units if u is not elsewhere)
    assert elsewhere.posture == Posture.ATTACK  # bound elsewhere: untouched

    for u in units:
        u.posture = Posture.ATTACK
    sdf._wait_for_odds({raqqa: rules.attack_force_ratio * enemy})
    assert all(u.posture == Posture.ATTACK for u in units)


def test_a_plan_against_a_strong_garrison_assembles_and_against_a_weak_one_attacks(model):
    raqqa = model.theatre.place_cell["Raqqa"]
    garrison = unit_named(model, "Raqqa garrison")
    garrison.strength = 1e6
    model.commanders_plan()
    bound = bound_for(model, SDF, raqqa)
    assert bound and all(u.posture == Posture.ASSEMBLE for u in bound)
    garrison.strength = 100.0
    model.commanders_plan()
    bound = bound_for(model, SDF, raqqa)
    assert bound and all(u.posture == Posture.ATTACK for u in bound)


# ---- counter-attacks --------------------------------------------------------------------------
def strike_setup(model, enemy_strength, unit_strength=3000.0):
    """An SDF mobile unit on a quiet front, an ISIS detachment (not holding) next to it."""
    k, n = quiet_front(model)
    unit = unit_named(model, "Hasakah reserve")
    unit.move_to_index(k)
    unit.strength = unit_strength
    enemy = unit_named(model, "Ashara group")
    enemy.move_to_index(n)
    enemy.strength = enemy_strength
    enemy.posture = Posture.WITHDRAW  # on the move: no hold factor, open desert: no town factor
    return unit, enemy, k, n


def test_a_unit_strikes_a_weak_enemy_unit_within_reach(model):
    # 3000 against 1000 on open desert: 1000 x 1.5 = 1500 < 3000.
    unit, enemy, k, n = strike_setup(model, 1000.0)
    assert model.commanders[SDF]._counterattack_targets()[unit.unique_id] == n


def test_no_strike_on_an_enemy_it_does_not_outnumber_by_the_ratio(model):
    # 3000 against 2000: 2000 x 1.5 = 3000, not less than 3000.
    unit, enemy, k, n = strike_setup(model, 2000.0)
    assert unit.unique_id not in model.commanders[SDF]._counterattack_targets()
    enemy.strength = 1999.0
    assert model.commanders[SDF]._counterattack_targets()[unit.unique_id] == n


def test_no_strike_out_of_reach(model):
    unit, enemy, k, n = strike_setup(model, 100.0)
    tmap, reach = model.theatre, model.rules.command.counterattack_reach_km
    d = tmap.distance_km(k, np.arange(tmap.n_cells))[0]
    far = np.flatnonzero((d > reach) & (d < 2.5 * tmap.cell_km) & model.may_take[SDF])
    assert far.size
    enemy.move_to_index(int(far[0]))
    assert unit.unique_id not in model.commanders[SDF]._counterattack_targets()


def test_tied_shaken_or_unsupplied_units_do_not_strike(model):
    unit, enemy, k, n = strike_setup(model, 100.0)
    sdf = model.commanders[SDF]
    unit.tied = True
    assert unit.unique_id not in sdf._counterattack_targets()
    unit.tied = False
    unit.morale = model.rules.command.strike_min_morale - 0.01
    assert unit.unique_id not in sdf._counterattack_targets()
    unit.morale = model.rules.command.strike_min_morale
    assert sdf._counterattack_targets()[unit.unique_id] == n
    model.supplied[SDF][k] = False
    assert unit.unique_id not in sdf._counterattack_targets()


def test_the_weakest_enemy_in_reach_is_struck(model):
    unit, enemy, k, n = strike_setup(model, 1000.0)
    other_cell = next(int(c) for c in model.theatre.neighbours[k]
                      if c >= 0 and c != n and model.may_take[SDF][c])
    weaker = unit_named(model, "Hajin group")
    weaker.move_to_index(other_cell)
    weaker.strength, weaker.posture = 500.0, Posture.WITHDRAW
    assert model.commanders[SDF]._counterattack_targets()[unit.unique_id] == other_cell
    weaker.strength = 1500.0  # now the other is the weaker (both still outnumbered: 1500 x 1.5 < 3000)
    assert model.commanders[SDF]._counterattack_targets()[unit.unique_id] == n


def test_a_defender_in_a_town_counts_at_its_defence_factor(model):
    tmap, combat_rules = model.theatre, model.rules.combat
    raqqa = tmap.place_cell["Raqqa"]
    assert tmap.terrain[raqqa] == Terrain.URBAN
    garrison = unit_named(model, "Raqqa garrison")
    garrison.strength = 1000.0
    assert garrison.posture == Posture.HOLD
    # Raqqa (~255,000 people): urban_defence 2 x sqrt(255,000 / 50,000) ~ 4.5, x hold 1.2 ~ 5.4:
    # 1000 defenders count as ~5,400, which a unit must outnumber 1.5 times (~8,100).
    factor = (combat_rules.urban_defence * math.sqrt(tmap.population[raqqa] / combat_rules.urban_defence_reference_people)
              * combat_rules.hold_defence)
    assert 5.0 < factor < 6.0
    unit = unit_named(model, "YPG Raqqa north")
    assert tmap.distance_km(unit.k, raqqa)[0, 0] <= model.rules.command.counterattack_reach_km
    sdf = model.commanders[SDF]
    needed = model.rules.command.counterattack_ratio * 1000.0 * factor
    unit.strength = 3000.0  # 1000 x 1.5 = 1500 would be beaten on open ground, but not in Raqqa
    assert sdf._counterattack_targets().get(unit.unique_id) != raqqa
    unit.strength = needed * 0.99
    assert sdf._counterattack_targets().get(unit.unique_id) != raqqa
    unit.strength = needed * 1.01
    assert sdf._counterattack_targets().get(unit.unique_id) == raqqa


# ---- garrisons' sorties -----------------------------------------------------------------------
# The Deir ez-Zor enclave (SAA, besieged) holds the 137th Regiment (3000) and the airbase
# garrison (1000); ISIS siege units of 1200 and 1300 stand on two of its neighbours.
def enclave(model):
    dez = model.theatre.place_cell["Deir ez-Zor"]
    regiment = unit_named(model, "137th Regiment (Deir ez-Zor enclave)")
    airbase = unit_named(model, "Deir ez-Zor airbase garrison")
    assert regiment.tied and regiment.home == dez == regiment.k
    ring = [int(c) for c in model.theatre.neighbours[dez] if c >= 0]
    weak_next_door = {c for c in ring if model.may_take[SAA][c] and model.is_hostile(SAA, model.control[c])
                      and 0 < sum(u.strength for u in model.enemy_units_in(c, SAA))
                      * model.rules.command.counterattack_ratio < regiment.strength}
    assert weak_next_door
    return dez, regiment, airbase, weak_next_door


def test_a_besieged_garrison_only_holds(model):
    dez, regiment, airbase, _ = enclave(model)
    assert not model.is_supplied(regiment)
    model.commanders[SAA]._garrison(regiment)
    assert regiment.posture == Posture.HOLD and regiment.objective == dez


def test_a_relieved_garrison_sorties_against_a_weak_enemy_next_door(model):
    dez, regiment, airbase, weak = enclave(model)
    model.supplied[SAA][dez] = True  # the siege is broken
    model.commanders[SAA]._garrison(regiment)
    assert regiment.posture == Posture.ATTACK and regiment.objective in weak
    # The airbase garrison (1000) outnumbers neither siege unit by 1.5: it holds.
    model.commanders[SAA]._garrison(airbase)
    assert airbase.posture == Posture.HOLD and airbase.objective == dez


def test_a_garrison_does_not_sortie_against_a_stronger_enemy_or_when_shaken(model):
    dez, regiment, airbase, weak = enclave(model)
    model.supplied[SAA][dez] = True
    for c in weak:
        for u in model.enemy_units_in(c, SAA):
            u.strength = regiment.strength  # 3000 x 1.5 > 3000
    model.commanders[SAA]._garrison(regiment)
    assert regiment.posture == Posture.HOLD and regiment.objective == dez
    for c in weak:
        for u in model.enemy_units_in(c, SAA):
            u.strength = 100.0
    regiment.morale = model.rules.command.attack_min_morale - 0.01
    model.commanders[SAA]._garrison(regiment)
    assert regiment.posture == Posture.HOLD


def test_a_garrison_away_from_home_heads_home_instead_of_sortieing(model):
    dez, regiment, airbase, weak = enclave(model)
    model.supplied[SAA][:] = True
    away = next(c for c in model.theatre.neighbours[dez] if c >= 0 and not model.enemy_units_in(int(c), SAA))
    regiment.move_to_index(int(away))
    model.commanders[SAA]._garrison(regiment)
    assert regiment.posture == Posture.WITHDRAW and regiment.objective == dez
