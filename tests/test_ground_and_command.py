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
    # A demanding commander (ready at morale 0.85), so that the regrouping shows whatever the defaults.
    july = july.with_overrides({"rules.command.operation_ready_morale": 0.85})
    model = ConflictModel(july, seed=1, cell_km=20)
    isf = model.commanders[Faction.ISF]
    model.commanders_plan()
    # Units bound for a named objective all go to one; others may strike a weak detachment nearby.
    named = {o.cell for o in isf.objectives}
    bound = {u.objective for u in model.units_of(Faction.ISF) if not u.tied and u.objective in named}
    assert bound == {model.theatre.place_cell["Mosul"]}
    mosul = model.theatre.place_cell["Mosul"]
    while model.control[mosul] != Faction.ISF and model.steps < 90:
        model.step()
    assert model.control[mosul] == Faction.ISF
    for unit in model.units_of(Faction.ISF):
        if not unit.tied:
            unit.morale = 0.4  # what the battle cost them
    model.step()  # the commander notices the gain the next morning
    assert isf.regrouping and isf.readiness() < july.rules.command.operation_ready_morale
    while isf.regrouping and model.steps < 120:
        assert not [u for u in model.units_of(Faction.ISF) if not u.tied and u.posture == Posture.ATTACK]
        model.step()
    # Launched on the commander's judgement: its formations are fit again.
    assert not isf.regrouping and isf.readiness() >= july.rules.command.operation_ready_morale
    model.step()
    assert [u for u in model.units_of(Faction.ISF) if not u.tied and u.posture == Posture.ATTACK]


def _days_regrouping_after_mosul(scenario, seed: int, morale_after: float) -> int:
    """Days the ISF regroups after Mosul, its formations left at ``morale_after`` by the battle."""
    model = ConflictModel(scenario, seed=seed, cell_km=20)
    isf = model.commanders[Faction.ISF]
    mosul = model.theatre.place_cell["Mosul"]
    while model.control[mosul] != Faction.ISF and model.steps < 90:
        model.step()
    for unit in model.units_of(Faction.ISF):
        if not unit.tied:
            unit.morale = morale_after  # what the battle cost them
    model.step()
    start = model.steps
    while isf.regrouping and model.steps < 150:
        model.step()
    return model.steps - start


def test_a_costlier_operation_means_a_longer_pause_before_the_next(july):
    july = july.with_overrides({"rules.command.operation_ready_morale": 0.7, "rules.morale.recovery_per_day": 0.02})
    seeds = range(1, 6)
    costly = sorted(_days_regrouping_after_mosul(july, s, 0.3) for s in seeds)
    cheap = sorted(_days_regrouping_after_mosul(july, s, 0.6) for s in seeds)
    # Morale recovers by morale.recovery_per_day (0.02) at rest: from 0.3 to 0.7 takes about 20 days.
    assert cheap[2] < 8 and costly[2] > cheap[2] + 10, (costly, cheap)
