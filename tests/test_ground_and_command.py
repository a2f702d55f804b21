"""Ground that changes hands without a battle, and commanders that run few operations at once."""

from __future__ import annotations

from simulation import ConflictModel
from simulation.factions import Faction, Posture


def empty_isis_cell_in_saa_ground(model):
    """T4 airbase's cell made an ISIS island with SAA all round and no one on it."""
    tmap = model.theatre
    k = tmap.place_cell["T4 airbase"]
    ring = [int(n) for n in tmap.neighbours[k] if n >= 0]
    model.control[ring] = Faction.SAA
    model.control[k] = Faction.ISIS
    assert not [u for u in model.all_units() if u.k == k]
    model.trace_supply(announce=False)
    return k


def test_a_cut_off_empty_pocket_crumbles_into_the_side_around_it(july):
    model = ConflictModel(july, seed=2, cell_km=20)
    k = empty_isis_cell_in_saa_ground(model)
    assert not model.supplied[Faction.ISIS][k]
    for _ in range(200):
        model.collapse_unheld_ground()
        if model.control[k] == Faction.SAA:
            break
    assert model.control[k] == Faction.SAA


def test_ground_its_holder_stands_on_does_not_crumble(july):
    model = ConflictModel(july, seed=2, cell_km=20)
    k = empty_isis_cell_in_saa_ground(model)
    isis_unit = model.units_of(Faction.ISIS)[0]
    isis_unit.move_to_index(k)
    for _ in range(200):
        model.collapse_unheld_ground()
    assert model.control[k] == Faction.ISIS


def test_iraqi_forces_run_one_operation_at_a_time_and_regroup_after_it(july):
    model = ConflictModel(july, seed=1, cell_km=20)
    isf = model.commanders[Faction.ISF]
    model.commanders_plan()
    # Units bound for a named objective all go to one; others may strike a weak detachment nearby.
    named = {o.cell for o in isf.objectives}
    bound = {u.objective for u in model.units_of(Faction.ISF) if not u.tied and u.objective in named}
    assert bound == {model.theatre.place_cell["Mosul"]}
    mosul = model.theatre.place_cell["Mosul"]
    while model.control[mosul] != Faction.ISF and model.steps < 30:
        model.step()
    assert model.control[mosul] == Faction.ISF
    model.step()  # the commander notices the gain the next morning
    assert isf.pause_until == model.steps + july.isf.operation_pause_days
    while model.steps + 1 < isf.pause_until:  # each morning of the pause (steps count from 1 in a step)
        model.step()
        assert not [u for u in model.units_of(Faction.ISF) if not u.tied and u.posture == Posture.ATTACK]
    model.step()  # the pause is over
    assert [u for u in model.units_of(Faction.ISF) if not u.tied and u.posture == Posture.ATTACK]
