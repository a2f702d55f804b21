"""The compiled kernels compute exactly what their readable references compute, on random maps."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.roles import hostility_matrix
from simulation.rules import ground, kernels, movement, proximity, supply
from simulation.scenario import Rules
from simulation.theatre import theatre_map

RULES = Rules()


def blotchy_control(tmap, rng, patches=40):
    """A map of a few dozen holders' patches (each cell takes the holder of its nearest patch centre)."""
    centres = rng.choice(np.flatnonzero(tmap.in_theatre), patches, replace=False)
    nearest = np.argmin(tmap.distance_km(np.arange(tmap.n_cells), centres), axis=1)
    return rng.integers(0, 4, patches).astype(np.int8)[nearest]


def random_costs(tmap, rng):
    """One side's step costs on a random map, with random air cover and operating area."""
    control = blotchy_control(tmap, rng)
    own = int(rng.integers(4))
    hostile = hostility_matrix(bool(rng.integers(2)))[own]
    may_take = tmap.in_theatre & (rng.random(tmap.n_cells) < 0.9)
    base = movement.terrain_cost(tmap, RULES.movement)
    args = (tmap, control, own, hostile, may_take, RULES.movement, base, float(rng.random()))
    return movement.step_costs(*args), movement.step_costs_reference(*args)


@pytest.fixture(scope="module", params=[20.0, 10.0])
def tmap(request):
    return theatre_map(request.param)


def test_the_neighbour_table_and_river_crossings_are_symmetric(tmap):
    # The kernels follow each cell's own row; the references build undirected graphs.
    u, j = np.nonzero(tmap.neighbours >= 0)
    v = tmap.neighbours[u, j]
    back = np.argmax(tmap.neighbours[v] == u[:, None], axis=1)
    assert (tmap.neighbours[v, back] == u).all()
    assert (tmap.crosses_river[u, j] == tmap.crosses_river[v, back]).all()


def test_step_costs_equal_the_reference_and_are_symmetric(tmap):
    rng = np.random.default_rng(1)
    for _ in range(5):
        fast, reference = random_costs(tmap, rng)
        assert np.array_equal(fast, reference)
        u, j = np.nonzero(tmap.neighbours >= 0)
        v = tmap.neighbours[u, j]
        back = np.argmax(tmap.neighbours[v] == u[:, None], axis=1)
        assert np.array_equal(fast[u, j], fast[v, back])


def test_fields_equal_scipys_bit_for_bit(tmap):
    rng = np.random.default_rng(2)
    for _ in range(5):
        costs, _ = random_costs(tmap, rng)
        finite = costs[np.isfinite(costs)]
        targets = rng.choice(np.flatnonzero(tmap.in_theatre), 4, replace=False)
        reference = movement.distance_fields(tmap, costs, targets)
        for target, expected in zip(targets, reference):
            field = np.empty(tmap.n_cells)
            none = np.zeros(tmap.n_cells, bool)
            exact = kernels.dijkstra_field(tmap.neighbours, costs, int(target), none, finite.min(), finite.max(), field)
            assert exact == np.inf
            assert np.array_equal(field, expected)


def test_a_watched_field_is_exact_where_it_will_be_read(tmap):
    rng = np.random.default_rng(3)
    for _ in range(5):
        costs, _ = random_costs(tmap, rng)
        finite = costs[np.isfinite(costs)]
        target = int(rng.choice(np.flatnonzero(tmap.in_theatre)))
        expected = movement.distance_fields(tmap, costs, [target])[0]
        watch = np.zeros(tmap.n_cells, bool)
        watch[rng.choice(np.flatnonzero(tmap.in_theatre), 3, replace=False)] = True
        field = np.empty(tmap.n_cells)
        exact = kernels.dijkstra_field(tmap.neighbours, costs, target, watch, finite.min(), finite.max(), field)
        assert np.array_equal(field[watch], expected[watch])
        known = np.isfinite(field)
        assert np.array_equal(field[known], expected[known])
        # Every cell within the exact distance is known (a search that had to cover everything it could
        # reach knows every reachable cell) ...
        assert (known | (expected > exact) | np.isinf(expected)).all()
        assert np.isfinite(exact) or np.array_equal(known, np.isfinite(expected))
        # ... and a walk down the field from a watched cell steps where one down the whole field steps.
        for k in np.flatnonzero(watch):
            while (step := kernels.next_slot(tmap.neighbours, costs, field, k)) >= 0:
                assert step == kernels.next_slot(tmap.neighbours, costs, expected, k)
                k = tmap.neighbours[k, step]


def test_a_route_plan_walks_the_same_way_as_full_fields(tmap):
    rng = np.random.default_rng(4)
    costs, _ = random_costs(tmap, rng)
    cells = np.flatnonzero(tmap.in_theatre)
    targets = rng.choice(cells, 3, replace=False)
    watch = np.zeros(tmap.n_cells, bool)
    watch[rng.choice(cells, 5, replace=False)] = True
    plan = movement.RoutePlan(tmap, costs, targets, watch)
    full = movement.distance_fields(tmap, costs, targets)
    for target, field in zip(targets, full):
        for k in rng.choice(cells, 30, replace=False):  # watched or not: a miss searches the whole field
            assert plan.distance(target, k) == field[k] or (np.isinf(field[k]) and np.isinf(plan.distance(target, k)))
            assert plan.next_hop(target, k) == movement.next_hop(tmap, costs, field, k)


def test_a_compiled_walk_ends_where_the_step_by_step_walk_ends(tmap):
    rng = np.random.default_rng(12)
    cells = np.flatnonzero(tmap.in_theatre)
    walked_far = stopped_at_enemy = 0
    for _ in range(4):
        costs, _ = random_costs(tmap, rng)
        control = blotchy_control(tmap, rng)
        enemy_ground = rng.random(4) < 0.5
        targets = rng.choice(cells, 3, replace=False)
        watch = np.zeros(tmap.n_cells, bool)
        watch[rng.choice(cells, 4, replace=False)] = True  # a walk from elsewhere goes beyond the search
        compiled, reference = (movement.RoutePlan(tmap, costs, targets, watch) for _ in range(2))
        for k in rng.choice(cells, 40, replace=False):
            k = int(k)
            # Toward a target's field, or a neighbouring cell that is no target (a single step).
            target = int(rng.choice(targets)) if rng.random() < 0.8 else int(tmap.neighbours[k].max())
            march_km = float(rng.choice([0.0, 5.0, 40.0, 400.0]))
            got = compiled.walk(target, k, march_km, control, enemy_ground)
            assert got == reference.walk_reference(target, k, march_km, control, enemy_ground)
            walked_far += got[0] != k and got[2] >= 0
            stopped_at_enemy += got[2] >= 0 and bool(enemy_ground[control[got[2]]])
    assert walked_far and stopped_at_enemy  # the cases that matter were met
    # A walk that reaches a cell its field is not exact at stops there, for a fuller search.
    field = movement.distance_fields(tmap, costs, [targets[0]])[0]
    far = int(np.argmax(np.where(np.isfinite(field), field, -1.0)))
    stop = kernels.walk_down(tmap.neighbours, costs, field, field[far] / 2, far, 1e9, control, np.zeros(4, bool))
    assert stop == (far, 1e9, -1, np.inf, False)


def test_a_kept_field_is_the_field_of_the_new_costs(tmap):
    rng = np.random.default_rng(5)
    costs, _ = random_costs(tmap, rng)
    cells = np.flatnonzero(tmap.in_theatre)
    targets = rng.choice(cells, 6, replace=False)
    watch = np.zeros(tmap.n_cells, bool)
    watch[rng.choice(cells, 4, replace=False)] = True
    yesterday = movement.RoutePlan(tmap, costs, targets, watch)
    for target in targets:
        yesterday.distance(target, int(np.flatnonzero(watch)[0]))
    changed = costs.copy()
    far = rng.choice(cells, 3, replace=False)
    changed[far] = changed[far] * 2.0  # dearer steps out of these cells, and into them
    for k in far:
        for j, v in enumerate(tmap.neighbours[k]):
            if v >= 0:
                changed[v, np.flatnonzero(tmap.neighbours[v] == k)[0]] = changed[k, j]
    today = movement.RoutePlan(tmap, changed, targets, watch, previous=yesterday)
    full = movement.distance_fields(tmap, changed, targets)
    for target, field in zip(targets, full):
        for k in np.flatnonzero(watch):
            assert today.distance(target, k) == field[k] or np.isinf(field[k])


def test_held_labels_number_pieces_as_scipy_does(tmap):
    rng = np.random.default_rng(6)
    for _ in range(5):
        control = blotchy_control(tmap, rng, patches=80)
        assert np.array_equal(supply.held_components(tmap, control), supply.held_components_reference(tmap, control))


def test_supply_distances_equal_the_reference(tmap):
    rng = np.random.default_rng(7)
    terrain = movement.terrain_cost(tmap, RULES.movement)
    cells = np.flatnonzero(tmap.in_theatre)
    for _ in range(5):
        control = blotchy_control(tmap, rng)
        sources = {f: rng.choice(cells, 3, replace=False) for f in range(4)}
        fast = supply.supply_distances_km(tmap, control, sources, terrain)
        reference = supply.supply_distances_reference(tmap, control, sources, terrain)
        for f in sources:
            assert np.array_equal(fast[f], reference[f])


def test_zone_claims_equal_the_reference(tmap):
    rng = np.random.default_rng(8)
    for line_in_force in (True, False):
        hostile = hostility_matrix(line_in_force)
        for _ in range(5):
            control = blotchy_control(tmap, rng)
            may_take = np.stack([tmap.in_theatre & (rng.random(tmap.n_cells) < 0.8) for _ in range(4)])
            guarded = rng.random((4, tmap.n_cells)) < 0.05
            pull = np.where(rng.random((4, tmap.n_cells)) < 0.3, rng.integers(1, 5, (4, tmap.n_cells)) * 500.0, 0.0)
            for min_neighbours in (1, 2, 3):
                args = (tmap.neighbours, control, hostile, may_take, guarded, pull, min_neighbours)
                winner, claimed = kernels.zone_claims(*args)
                ref_winner, ref_claimed = ground.zone_claims_reference(*args)
                assert np.array_equal(claimed, ref_claimed)
                assert np.array_equal(winner[claimed], ref_winner[ref_claimed])


def test_next_slot_steps_where_the_reference_steps(tmap):
    rng = np.random.default_rng(10)
    costs, _ = random_costs(tmap, rng)
    cells = np.flatnonzero(tmap.in_theatre)
    for target in rng.choice(cells, 3, replace=False):
        field = movement.distance_fields(tmap, costs, [target])[0]
        for k in rng.choice(cells, 200, replace=False):
            slot = kernels.next_slot(tmap.neighbours, costs, field, int(k))
            expected = movement.next_hop(tmap, costs, field, int(k))
            assert (tmap.neighbours[k, slot] if slot >= 0 else -1) == expected


def test_rows_changed_and_finite_range_match_numpy(tmap):
    rng = np.random.default_rng(11)
    costs, _ = random_costs(tmap, rng)
    changed = costs.copy()
    rows = rng.choice(tmap.n_cells, 7, replace=False)
    changed[rows, rng.integers(0, 6, 7)] += 1.0
    expected = np.unique(np.flatnonzero(~((costs == changed) | (np.isinf(costs) & np.isinf(changed)))) // 6)
    assert np.array_equal(kernels.rows_changed(costs, changed), expected)
    finite = costs[np.isfinite(costs)]
    assert kernels.finite_range(costs) == (finite.min(), finite.max())
    assert kernels.finite_range(np.full((3, 6), np.inf)) == (1.0, 1.0)


# ---- kernels added for the day's per-cell passes ----------------------------------------------
def sparse_values(tmap, rng, share=0.02, sides=4):
    """(sides, n) fighters on a few theatre cells, as the units' presence is."""
    values = np.zeros((sides, tmap.n_cells))
    cells = np.flatnonzero(tmap.in_theatre)
    for f in range(sides):
        chosen = rng.choice(cells, max(1, int(share * cells.size)), replace=False)
        values[f, chosen] = rng.integers(1, 40, chosen.size) * rng.random(chosen.size) * 97.3
    return values


def test_linked_any_and_linked_sum_of_equal_the_sparse_products_bit_for_bit(tmap):
    from simulation.rules.presence import Presence
    from simulation.theatre import reached_from, summed_from
    rng = np.random.default_rng(12)
    for radius in (tmap.cell_km * 1.01, 15.0, 30.0, 60.0):
        reach = tmap.within(radius)
        for share in (0.0, 0.02, 0.5):
            values = sparse_values(tmap, rng, share) if share else np.zeros((4, tmap.n_cells))
            fast_any = kernels.linked_any(reach.indptr, reach.indices, values > 0)
            entries = Presence.of_table(values)
            fast_sum = kernels.linked_sum_of(reach.indptr, reach.indices, *entries.shape, entries.sides,
                                             entries.cells, entries.fighters)
            for f in range(4):
                product = reach.matrix() @ values[f]
                assert np.array_equal(fast_sum[f], product)
                assert np.array_equal(summed_from(reach, values[f]), product)
                assert np.array_equal(fast_any[f], product > 0)
                assert np.array_equal(reached_from(reach, values[f] > 0), product > 0)


def test_reaching_out_from_where_units_stand_equals_the_whole_tables_bit_for_bit(tmap):
    from simulation.rules.presence import Presence
    rng = np.random.default_rng(21)
    cells = np.flatnonzero(tmap.in_theatre)
    for units in (0, 1, 12, 40, 200):  # several units to a cell among the many
        factions = rng.integers(0, 4, units)
        at = rng.choice(cells[:60], units) if units > 12 else rng.choice(cells, units)
        strengths = rng.integers(0, 3, units) * rng.random(units) * 931.7  # some units spent (0 fighters)
        presence = Presence.of_units(factions.tolist(), at.tolist(), strengths.tolist(), (4, tmap.n_cells))
        table = np.bincount(factions * tmap.n_cells + at, weights=strengths,
                            minlength=4 * tmap.n_cells).reshape(4, tmap.n_cells)
        assert np.array_equal(presence.table(), table)
        assert np.array_equal(Presence.of_table(table).table(), table)
        for radius in (tmap.cell_km * 1.01, 30.0):
            reach = tmap.within(radius)
            args = (reach.indptr, reach.indices, *presence.shape, presence.sides, presence.cells, presence.fighters)
            assert np.array_equal(kernels.linked_any_of(*args), kernels.linked_any(reach.indptr, reach.indices,
                                                                                   table > 0))
            assert np.array_equal(kernels.linked_sum_of(*args), (reach.matrix() @ table.T).T)


def test_recount_reach_follows_a_changing_set(tmap):
    from simulation.theatre import reached_from
    rng = np.random.default_rng(13)
    reach = tmap.within(30.0)
    counts, was = np.zeros(tmap.n_cells, np.int64), np.zeros(tmap.n_cells, bool)
    mask = blotchy_control(tmap, rng) == 0
    for _ in range(8):
        near = kernels.recount_reach(reach.indptr, reach.indices, counts, was, mask)
        assert np.array_equal(near, reached_from(reach, mask))
        assert np.array_equal(was, mask)
        flip = rng.choice(tmap.n_cells, int(rng.integers(0, 60)), replace=False)
        mask = mask.copy()
        mask[flip] = ~mask[flip]
    mask[:] = False
    assert not kernels.recount_reach(reach.indptr, reach.indices, counts, was, mask).any()
    assert not counts.any()


def test_step_costs_kept_day_to_day_equal_fresh_ones(tmap):
    rng = np.random.default_rng(14)
    base = movement.terrain_cost(tmap, RULES.movement)
    own = 2
    control = blotchy_control(tmap, rng)
    hostile = hostility_matrix(True)[own]
    may_take = tmap.in_theatre & (rng.random(tmap.n_cells) < 0.9)
    kept = movement.StepCosts(tmap, own, RULES.movement, base)
    previous = previous_costs = None
    for day in range(12):
        cover = 1.0 if day % 5 else float(rng.random())  # now and then the air cover (every cell's cost) changes
        if day == 7:
            hostile = hostility_matrix(False)[own]  # the line breaks down
        args = (tmap, control, own, hostile, may_take, RULES.movement, base, cover)
        costs, (lowest, highest, changed) = kept.today(control, hostile, may_take, cover)
        fresh = movement.step_costs_reference(*args)
        assert np.array_equal(costs, fresh)
        if previous is not None:
            assert costs is not previous_costs  # yesterday's stay as they were for yesterday's plan
            assert np.array_equal(previous_costs, previous)
        previous_costs = costs
        assert (lowest, highest) == kernels.finite_range(fresh)
        if previous is not None:
            assert np.array_equal(changed, kernels.rows_changed(fresh, previous))
        previous = fresh
        control = control.copy()
        taken = rng.choice(np.flatnonzero(tmap.in_theatre), int(rng.integers(0, 25)), replace=False)
        control[taken] = rng.integers(0, 4, taken.size)


def test_step_costs_today_in_one_call_equal_fresh_ones_bit_for_bit(tmap):
    # The kernel on its own: two arrays taking turns, as StepCosts hands them to it.
    rng = np.random.default_rng(17)
    base = movement.terrain_cost(tmap, RULES.movement)
    own, n = 1, tmap.n_cells
    hostile = hostility_matrix(True)[own]
    may_take = tmap.in_theatre & (rng.random(n) < 0.9)
    factor = movement.hostile_ground_cost(RULES.movement, 0.5)
    control = blotchy_control(tmap, rng)
    was, cell_cost, low, high = control, np.empty(n), np.empty(n), np.empty(n)
    arrays, behind, previous = [np.empty((n, 6)), np.empty((n, 6))], np.zeros(0, np.int64), np.empty((0, 6))
    for day in range(8):
        out = arrays[day % 2]
        changed, lowest, highest = kernels.step_costs_today(
            tmap.neighbours, tmap.crosses_river, tmap.in_theatre, control, was, own, hostile, may_take, base, factor,
            tmap.cell_km, RULES.movement.river_crossing_km, cell_cost, out, behind, day == 0, day < 2, low, high,
            previous)
        fresh = movement.step_costs_reference(tmap, control, own, hostile, may_take, RULES.movement, base, 0.5)
        assert np.array_equal(out, fresh)
        assert (lowest, highest) == kernels.finite_range(fresh)
        expected = kernels.rows_changed(fresh, previous) if day else np.zeros(0, np.int64)
        assert np.array_equal(changed, expected)
        behind, previous, was = changed, out, control  # (day 0 compared nothing: day 1 works out every row)
        control = control.copy()
        taken = rng.choice(np.flatnonzero(tmap.in_theatre), int(rng.integers(0, 25)), replace=False)
        control[taken] = rng.integers(0, 4, taken.size)


def test_a_field_is_kept_as_the_reference_keeps_it(tmap):
    rng = np.random.default_rng(18)
    inside = np.flatnonzero(tmap.in_theatre)
    for _ in range(40):
        field = np.where(rng.random(tmap.n_cells) < 0.5, rng.random(tmap.n_cells) * 500.0, np.inf)
        changed = rng.choice(inside, int(rng.integers(0, 4)), replace=False)
        watched = rng.choice(inside, int(rng.integers(0, 6)), replace=False)
        exact_upto = float(rng.choice([np.inf, 300.0, 480.0]))
        expected = movement.field_still_exact_reference(field, changed, watched, exact_upto)
        assert kernels.field_still_exact(field, changed, watched, exact_upto) == expected


def test_rows_around_are_the_cells_and_their_neighbours(tmap):
    rng = np.random.default_rng(15)
    cells = rng.choice(np.flatnonzero(tmap.in_theatre), 30, replace=False)
    also = rng.choice(tmap.n_cells, 10, replace=False)
    nb = tmap.neighbours[cells]
    expected = np.unique(np.concatenate([cells, nb[nb >= 0], also]))
    assert np.array_equal(kernels.rows_around(tmap.neighbours, cells, also), expected)
    none = np.zeros(0, np.int64)
    assert kernels.rows_around(tmap.neighbours, none, none).size == 0


def test_cells_linked_by_the_supply_search_equal_the_reference_and_supply_connected(tmap):
    rng = np.random.default_rng(16)
    cells = np.flatnonzero(tmap.in_theatre)
    for _ in range(5):
        control = blotchy_control(tmap, rng, patches=80)
        sources = {f: rng.choice(cells, 3, replace=False) for f in range(4)}
        labels = supply.held_components(tmap, control)
        starts = supply.held_sources(control, sources)
        terrain = movement.terrain_cost(tmap, RULES.movement)
        _, linked, by_side = supply.supply_network(tmap, control, sources, terrain, 4)
        ref_linked, ref_by_side = supply.linked_cells_reference(tmap, labels, control, starts, 4)
        assert np.array_equal(linked, ref_linked) and np.array_equal(by_side, ref_by_side)
        for f in range(4):
            held = tmap.in_theatre & (control == f)
            assert np.array_equal(by_side[f], supply.supply_connected(np.where(held, labels, -1), held, sources[f]))


def test_supply_lines_traced_day_after_day_equal_a_whole_trace_of_each_day(tmap):
    # Each day some cells change hands: between two sides only (the other two keep their distances, the
    # winner only gains and is brought down from its gains), or among any; a source may change hands too.
    # Every day's results equal supply_network's of that map, bit for bit.
    rng = np.random.default_rng(18)
    cells = np.flatnonzero(tmap.in_theatre)
    terrain = movement.terrain_cost(tmap, RULES.movement)
    sources = {f: rng.choice(cells, 3, replace=False) for f in range(4)}
    lines = supply.SupplyLines(tmap, sources, terrain, 4)
    control = blotchy_control(tmap, rng, patches=80)
    kept_sides = grown_sides = relieved = 0
    was = None
    for day in range(40):
        if day:
            taken = rng.choice(cells, int(rng.integers(1, 60)), replace=False)
            if day % 2:  # one side takes from another
                loser, winner = rng.choice(4, 2, replace=False)
                taken = taken[control[taken] == loser]
                control[taken] = winner
                kept_sides += 4 - len({int(loser), int(winner)})
                grown_sides += bool(taken.size)
            else:
                control[taken] = rng.integers(0, 4, taken.size)
            if day == 5:
                control[sources[1]] = 2
            if day == 9:  # the sources go back to their side, which takes only them
                control[sources[1]] = 1
        got, expected = lines.today(control), supply.supply_network(tmap, control, sources, terrain, 4)
        assert sorted(got[0]) == sorted(expected[0])
        assert all(np.array_equal(got[0][f], expected[0][f]) for f in expected[0])
        assert np.array_equal(got[1], expected[1]) and np.array_equal(got[2], expected[2])
        if was is not None:  # a side's cut-off ground it held both days, linked again today
            relieved += int((~was[1] & got[1] & (was[0] == control)).sum() > 0)
        was = control.copy(), got[1]
    assert kept_sides > 0 and grown_sides > 10 and relieved > 0


def test_open_edge_equals_the_reference(tmap):
    rng = np.random.default_rng(17)
    for line_in_force in (True, False):
        for _ in range(5):
            control = blotchy_control(tmap, rng)
            f = int(rng.integers(1, 4))
            supplied = tmap.in_theatre & (control == f) & (rng.random(tmap.n_cells) < 0.8)
            free = tmap.in_theatre & (rng.random(tmap.n_cells) < 0.97)
            hostile = hostility_matrix(line_in_force)[f]
            may_take = tmap.in_theatre & (rng.random(tmap.n_cells) < 0.9)
            args = (tmap.neighbours, supplied, free, control, hostile, may_take)
            assert np.array_equal(kernels.open_edge(*args), ground.open_edge_reference(*args))


def test_unheld_ground_collapses_the_same_with_the_reach_matrix(tmap):
    rng = np.random.default_rng(18)
    cells = np.flatnonzero(tmap.in_theatre)
    for seed in range(4):
        control = blotchy_control(tmap, rng, patches=30)
        units = [rng.choice(cells, int(rng.integers(0, 8)), replace=False) for _ in range(4)]
        occupied = np.zeros(tmap.n_cells, bool)
        occupied[np.concatenate(units)] = True
        supplied = np.stack([tmap.in_theatre & (control == f) & (rng.random(tmap.n_cells) < 0.9) for f in range(4)])
        hostile = hostility_matrix(bool(seed % 2))
        may_take = np.stack([tmap.in_theatre] * 4)
        pace, tether = [0.5] * 4, rng.random((4, tmap.n_cells))
        runs = []
        for reach in (None, tmap.within(RULES.movement.hold_reach_km)):
            runs.append(ground.unheld_ground_collapse(tmap, control, occupied, supplied, hostile, may_take, units,
                                                      [1, 2, 3], pace, tether, np.random.default_rng(seed),
                                                      RULES.movement, hold_reach=reach))
        assert [f for f, _ in runs[0]] == [f for f, _ in runs[1]]
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(*runs))


def test_garrison_totals_equal_garrison_total_row_by_row(tmap):
    from simulation.rules import overstretch
    rng = np.random.default_rng(19)
    need = rng.random((4, tmap.n_cells)) * 37.0
    held = blotchy_control(tmap, rng) == np.arange(4)[:, None]
    presence = sparse_values(tmap, rng, 0.05)
    totals = overstretch.garrison_totals(need, held, presence)
    assert totals.tolist() == [overstretch.garrison_total(need[f], held[f], presence[f]) for f in range(4)]


def test_pairwise_sums_are_numpys_bit_for_bit():
    rng = np.random.default_rng(20)
    for n in [*range(300), 1000, 3330, 13298, 100_003]:  # short runs, blocks, and runs split in halves
        values = rng.random(n) * 10.0 ** rng.integers(-3, 6, n)
        values[rng.random(n) < 0.5] = 0.0
        assert kernels._pairwise_sum(values) == values.sum()


def test_front_garrison_totals_equal_the_references(tmap):
    from simulation.rules import overstretch
    rng = np.random.default_rng(21)
    params = RULES.overstretch
    for insurgent in range(4):
        need = rng.random((4, tmap.n_cells)) * rng.choice([1.0, 37.0, 1000.0])
        control = blotchy_control(tmap, rng)
        near = rng.random(tmap.n_cells) < 0.4
        presence = sparse_values(tmap, rng, 0.05)
        cell_need = overstretch.front_need(need, near, params)
        cell_need[insurgent] = need[insurgent]  # the insurgent has no front against itself
        expected = overstretch.garrison_totals(cell_need, control == np.arange(4)[:, None], presence)
        got = kernels.front_garrison_totals(need, near, params.front_garrison_factor, insurgent, control, presence)
        assert np.array_equal(got, expected)


def test_insurgent_rising_equals_the_reference(tmap):
    from simulation.scenario.rule_params import OverstretchRules
    rng = np.random.default_rng(22)
    reach = tmap.within(40.0)
    for seed, ratios in enumerate(([0.5, 2.0, 1.0, 7.0], [3.0, 1.5, np.inf, 1.2], [0.0, 0.0, 0.0, 0.0])):
        control = blotchy_control(tmap, rng)
        hostility = rng.random((4, tmap.n_cells)) * 2.0
        occupied = rng.random(tmap.n_cells) < 0.1
        params = OverstretchRules(insurgency_rate=float(rng.choice([0.05, 1.0])))
        args = (control, 0, ratios, hostility, occupied, tmap.in_theatre, reach)
        got = ground.insurgent_rising(*args, np.random.default_rng(seed), params)
        assert np.array_equal(got, ground.insurgent_rising_reference(*args, np.random.default_rng(seed), params))
        assert got.any() == (max(ratios[1:]) > 1.0)


def test_within_gives_the_matrix_scipy_builds_from_the_same_pairs(tmap):
    from scipy.sparse import csr_matrix

    from simulation.theatre import within_pairs
    for radius in (tmap.cell_km * 1.01, 15.0, 30.0, 60.0):
        rows, cols = within_pairs(tmap, radius)
        scipy_built = csr_matrix((np.ones(rows.size), (rows, cols)), shape=(tmap.n_cells, tmap.n_cells))
        reach = tmap.within(radius)
        assert reach.indptr.dtype == scipy_built.indptr.dtype and reach.indices.dtype == scipy_built.indices.dtype
        assert np.array_equal(reach.indptr, scipy_built.indptr) and np.array_equal(reach.indices, scipy_built.indices)
        assert (reach.matrix() != scipy_built).nnz == 0 and reach.shape == scipy_built.shape


def test_held_tallies_equal_the_bincounts_bit_for_bit(tmap):
    from simulation.records import held_tallies_reference
    rng = np.random.default_rng(21)
    ng = len(tmap.governorate_names)
    for _ in range(5):
        control = blotchy_control(tmap, rng)
        fast = kernels.held_tallies(control, tmap.in_theatre, tmap.governorate, ng, 4, tmap.cell_area_km2,
                                    tmap.population)
        reference = held_tallies_reference(control, tmap.in_theatre, tmap.governorate, ng, 4, tmap.cell_area_km2,
                                           tmap.population)
        for got, want in zip(fast, reference, strict=True):
            assert got.dtype == want.dtype and np.array_equal(got, want)


def test_the_proximity_questions_answer_as_their_references_bit_for_bit(tmap):
    rng = np.random.default_rng(14)
    theatre = np.flatnonzero(tmap.in_theatre)
    for units in (1, 5, 40):
        a, b = rng.choice(theatre, units), rng.choice(theatre, units + 3)
        b[:2] = a[0]  # two units on one cell: equals, the first taken
        strength = rng.uniform(0, 2000, units)
        worth = rng.choice([100.0, 300.0, 900.0], b.size)  # ties, so "the first of equals" is tested
        reach = float(rng.uniform(0.5, 3.0)) * 10 * tmap.cell_km
        assert np.array_equal(proximity.weakest_within(tmap, a, strength, b, worth, reach, 1.5),
                              proximity.weakest_within_reference(tmap, a, strength, b, worth, reach, 1.5))
        for fast, slow in zip(proximity.nearest(tmap, a, b), proximity.nearest_reference(tmap, a, b)):
            assert np.array_equal(fast, slow)
        assert np.array_equal(proximity.summed_within(tmap, a, b, worth, reach),
                              proximity.summed_within_reference(tmap, a, b, worth, reach))
    # A hand-worked case: 1,000 fighters outnumber 300 and 600 by 1.5, not 700; the weakest in reach is taken.
    k = int(theatre[len(theatre) // 2])
    near, far = int(tmap.neighbours[k][tmap.neighbours[k] >= 0][0]), int(theatre[0])
    pick = proximity.weakest_within(tmap, [k, k], [1000.0, 100.0], [near, far, k, near], [600.0, 10.0, 700.0, 300.0],
                                    2 * tmap.cell_km, 1.5)
    assert pick.tolist() == [3, -1]
    assert proximity.summed_within(tmap, [k], [near, far, k], [1.0, 2.0, 4.0], 2 * tmap.cell_km).tolist() == [5.0]


def test_a_sides_day_of_morale_and_reinforcement_equals_the_references_bit_for_bit():
    from simulation.rules import morale, reinforcement
    rng = np.random.default_rng(22)
    for units in (0, 1, 7, 8, 9, 40, 200):  # numpy sums short runs and blocks of eight differently
        level = rng.choice([0.0, 0.05, 0.2, 0.5, 0.9, 0.95, 1.0], units)  # ties with the thresholds and bounds
        supply = rng.choice([0.0, 0.1, 0.3, 0.5, 1.0], units)
        engaged = rng.random(units) < 0.3
        for overstretch in (0.5, 1.0, 1.7, 3.0):
            fast = morale.rally(level.tolist(), supply.tolist(), engaged.tolist(), overstretch, RULES.morale)
            slow = morale.rally_reference(level.tolist(), supply.tolist(), engaged.tolist(), overstretch, RULES.morale)
            assert np.array_equal(fast, slow) and np.array_equal(np.signbit(fast), np.signbit(slow))
        establishment = rng.uniform(100.0, 3000.0, units)
        strength = establishment * rng.choice([0.2, 0.97, 1.0, 1.2], units)  # short, nearly full, full, over
        supplied = rng.random(units) < 0.8
        for pool in (0.0, 10.0, 1e4, 1e7):
            fast = kernels.top_ups(strength, establishment, supplied, pool, RULES.reinforcement.top_up_per_day)
            slow = reinforcement.top_ups_reference(strength.tolist(), establishment.tolist(), supplied.tolist(), pool,
                                                   RULES.reinforcement)
            assert fast.tolist() == slow
    # Hand-worked: a unit 100 short of 1,000 may gain 30 a day (3%), another 10 short its 10; a pool of 20
    # shares 20 of those 40 alike (half each); an unsupplied or full unit gains nothing.
    gains = reinforcement.reinforcements([900.0, 990.0, 500.0, 1000.0], [1000.0] * 4, [True, True, False, True],
                                         3410.0, RULES.reinforcement)
    assert gains == pytest.approx([15.0, 5.0, 0.0, 0.0])


def test_the_days_record_of_morale_supply_and_sieges_equals_the_references(tmap):
    from simulation.records import besieged_cells_reference, strength_weighted_reference
    rng = np.random.default_rng(23)
    for units in (1, 7, 8, 9, 40, 200):
        weights = rng.choice([0.0, 150.0, 1234.5, 3000.0], units)
        values = rng.random((2, units))
        fast = kernels.weighted_means(weights, values).tolist()
        assert fast == strength_weighted_reference(weights.tolist(), values.tolist())
    assert kernels.weighted_means(np.zeros(3), np.ones((2, 3))).tolist() == [0.0, 0.0]  # no fighters: 0
    for _ in range(5):
        control = blotchy_control(tmap, rng)
        supplied = rng.random((4, tmap.n_cells)) < 0.7
        got = kernels.cut_off_cells(control, tmap.in_theatre, supplied)
        want = besieged_cells_reference(control, tmap.in_theatre, supplied)
        assert got.dtype == want.dtype == np.int32 and np.array_equal(got, want)
