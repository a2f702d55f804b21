"""Compiled kernels (numba) for the graph searches the rules run every day on the hex grid.

Each kernel computes exactly what a readable reference beside its rule computes with
scipy (the same float sums in the same order, so the results are bit for bit the
same), but walks the fixed neighbour table directly instead of building a sparse
matrix every call:

- :func:`dijkstra_field`: least-cost distances from one cell (the reference is
  :func:`simulation.rules.movement.distance_fields`), optionally stopping once the
  cells that will be read are settled;
- :func:`step_costs`: each side's cost of every step (reference:
  :func:`simulation.rules.movement.step_costs_reference`);
- :func:`next_slot`: a unit's next step down a field (reference:
  :func:`simulation.rules.movement.next_hop`); :func:`walk_down`, its march down a field
  over ground that is not its enemy's (reference:
  :meth:`simulation.rules.movement.RoutePlan.walk_reference`); and :func:`field_still_exact`, whether
  yesterday's field holds today (reference:
  :func:`simulation.rules.movement.field_still_exact_reference`);
- :func:`zone_claims`: which side's zone of control claims each cell (reference:
  :func:`simulation.rules.ground.zone_claims_reference`);
- :func:`open_edge`: the cells next to a side's supplied ground that it may take
  (reference: :func:`simulation.rules.ground.open_edge_reference`), and :func:`collapse_shares`,
  the pace at which each of them crumbles when no one holds it;
- :func:`held_labels`: connected pieces of each holder's ground (reference:
  :func:`simulation.rules.supply.held_components_reference`); :func:`supplied_cells`, those
  linked to a source (reference: :func:`simulation.rules.supply.linked_cells_reference`);
- :func:`supply_dijkstra` and :func:`supply_fronts`: road distance from every held
  supply source through its holder's own ground (searching afresh only the holders that
  lost ground, bringing down those that only gained from their gains, keeping the others'
  distances), and one step onto the ground next
  to it (reference: :func:`simulation.rules.supply.supply_distances_reference`);
- :func:`cell_costs` and :func:`restep_costs`: the step costs of some cells (those
  next to ground that changed hands), the range of those that are finite, and the
  cells whose steps changed overnight, in one pass (references:
  :func:`simulation.rules.movement.step_costs_reference`, :func:`finite_range` and
  :func:`rows_changed`), and :func:`step_costs_today`, the three of them and the range of every
  row's costs in one call;
- :func:`linked_any`: which cells a reach matrix links to a set of cells (reference:
  :func:`simulation.theatre.reached_from`); :func:`linked_any_of` and :func:`linked_sum_of`,
  the same and the sum of values over the cells linked, from the few cells where units stand
  (references: ``reached_from`` and :func:`simulation.theatre.summed_from`);
  :func:`recount_reach`, the first kept up to date as the set changes a little a day;
- :func:`held_tallies`: the cells, area and people each side holds, in all and per
  governorate (reference: :func:`simulation.records.held_tallies_reference`);
- :func:`insurgency_rising`: the cells of overstretched sides that rise for the insurgent
  (reference: :func:`simulation.rules.ground.insurgent_rising_reference`);
- :func:`rally` and :func:`top_ups`: a side's units' morale after the day and their reinforcements
  (references: :func:`simulation.rules.morale.rally_reference` and
  :func:`simulation.rules.reinforcement.top_ups_reference`);
- :func:`weighted_means` and :func:`cut_off_cells`: a side's strength-weighted morale and supply, and
  the cells cut off from their holder's supply, for the day's record (references:
  :func:`simulation.records.strength_weighted_reference` and :func:`~simulation.records.besieged_cells_reference`);
- :func:`front_garrison_totals`: each side's garrison need beyond its units, the front
  near the insurgent counted heavier (references: :func:`simulation.rules.overstretch.front_need`
  and :func:`~simulation.rules.overstretch.garrison_totals`), summed as numpy sums
  (:func:`_pairwise_sum`).

Each is made with :func:`~simulation.rules.kernel_cache.compiled`: numba's ``njit``,
cached on disk and loaded without readying numba's compiler. numpy functions that
numba compiles from its numpy maths module (``numpy.flatnonzero``) are written out as
loops here (:func:`_where`): using one would have every load of the kernel import that
module, and scipy.linalg with it.

Why a Dijkstra's result does not depend on its queue's order: a settled cell's
distance is the smallest of ``dist[u] + w(u, v)`` over its neighbours nearer than it,
a value fixed by the graph alone. So the searches here use bucket queues (Dial's
algorithm), with buckets narrower than the cheapest step: no cell can improve another
of its own bucket, so each bucket is settled in any order, with no heap. ``tests/test_kernels.py`` checks the kernels
against the references on random maps.
"""

from __future__ import annotations

import math

import numpy as np
from simulation.rules.kernel_cache import compiled

INF = np.inf


@compiled
def _enqueue(head, entry_cell, entry_next, used, cell, bucket):
    """Queue ``cell`` in a ring bucket (a linked list of entries); returns the entries used."""
    entry_cell[used], entry_next[used] = cell, head[bucket]
    head[bucket] = used
    return used + 1


@compiled
def dijkstra_field(neighbours, costs, source, watch, min_step, max_step, out):
    """Least-cost distances from ``source`` over steps of ``costs``, written into ``out``.

    A bucket queue (Dial's algorithm) instead of a heap: cells are queued in buckets
    a little narrower than the cheapest step, so no cell can improve another of its
    own bucket and each bucket is settled in any order; a ring of buckets as wide as
    the dearest step holds every cell in the queue.

    Args:
        neighbours: (n, 6) neighbour indices, -1 where none.
        costs: (n, 6) cost of each step (symmetric; inf where barred).
        source: the cell the field is measured from.
        watch: bool per cell, the cells the field will be read at (and walked down
            from); with any watched cell, the search stops once every watched cell is
            settled, at the end of the bucket of the farthest. Every cell nearer than it
            is settled then, and so exact; a route down the field from a watched cell
            reads no other (a step's two ends cost the same both ways, so the
            neighbour it steps to is nearer).
        min_step, max_step: the smallest and largest finite step costs (> 0).
        out: (n,) float array for the distances; cells not reached are inf.

    Returns:
        The distance up to which every cell is exact (the farthest watched cell), or
        inf if the search covered everything it could reach.
    """
    n = neighbours.shape[0]
    # Read through unsigned indices: numba checks a signed index for a negative one to wrap, on every read
    # (a tenth of a search's time).
    steps_to, step_costs = neighbours.ravel(), costs.ravel()
    remaining = 0
    for i in range(n):
        out[i] = INF
        if watch[i]:
            remaining += 1
    settled = np.zeros(n, np.bool_)
    # Buckets narrower than any step, with room for rounding; a cell's bucket is int(distance * inverse).
    inverse = 1.0 / (min_step * (1.0 - 1e-9))
    ring = 1  # a power of two, so that a bucket's slot is a mask of it
    while ring < int(max_step * inverse) + 2:
        ring *= 2
    wrap = ring - 1
    head = np.full(ring, -1, np.int64)
    entry_cell = np.empty(6 * n + 1, np.int64)
    entry_next = np.empty(6 * n + 1, np.int64)
    used, queued = 1, 1
    out[source] = 0.0
    entry_cell[0], entry_next[0], head[0] = source, -1, 0
    farthest, last_bucket = INF, INF
    bucket = 0
    while queued > 0 and bucket <= last_bucket:
        slot = bucket & wrap
        while head[slot] >= 0:
            e = head[slot]
            head[slot] = entry_next[e]
            queued -= 1
            u = np.uint64(entry_cell[e])
            d = out[u]
            if settled[u] or int(d * inverse) != bucket:
                continue
            settled[u] = True
            if watch[u]:
                remaining -= 1
                if remaining == 0:  # the rest of this bucket, and the search is done
                    farthest, last_bucket = d, bucket
            first = u * np.uint64(6)
            for step in range(first, first + np.uint64(6)):  # the six steps out of u: neighbours[u, j], costs[u, j]
                to = steps_to[step]
                if to < 0:
                    continue
                v = np.uint64(to)
                if settled[v]:
                    continue
                nd = d + step_costs[step]
                if nd < out[v]:
                    out[v] = nd
                    used = _enqueue(head, entry_cell, entry_next, used, v, int(nd * inverse) & wrap)
                    queued += 1
        bucket += 1
    if queued > 0:  # stopped early: what was not settled is unknown, not far (only queued cells hold a value)
        for e in range(used):
            if not settled[entry_cell[e]]:
                out[entry_cell[e]] = INF
        return farthest
    return INF


@compiled
def held_labels(links, control):
    """Label of the connected piece of one holder's ground each cell belongs to.

    Args:
        links: (n, 6) cells linked to each cell (the neighbour table made symmetric).
        control: holder of each cell.

    Returns:
        Labels numbered in the order of each piece's lowest cell index (as scipy's
        ``connected_components`` numbers them).
    """
    n = links.shape[0]
    labels = np.full(n, -1, np.int32)
    stack = np.empty(n, np.int64)
    count = 0
    for start in range(n):
        if labels[start] >= 0:
            continue
        labels[start] = count
        top = 0
        stack[0] = start
        top = 1
        while top > 0:
            top -= 1
            u = stack[top]
            for j in range(6):
                v = links[u, j]
                if v >= 0 and labels[v] < 0 and control[v] == control[u]:
                    labels[v] = count
                    stack[top] = v
                    top += 1
        count += 1
    return labels


@compiled
def supplied_cells(dist, control, in_theatre, n_factions):
    """Theatre cells with a finite road distance (:func:`supply_dijkstra`) on their holder's ground:
    per cell, and per holder (sides, cells)."""
    n = dist.shape[0]
    linked = np.zeros(n, np.bool_)
    by_side = np.zeros((n_factions, n), np.bool_)
    for k in range(n):
        if in_theatre[k] and dist[k] < INF:
            linked[k] = True
            by_side[control[k], k] = True
    return linked, by_side


@compiled
def supply_dijkstra(neighbours, in_theatre, control, terrain_cost, cell_km, starts, redo, kept, grown, gained):
    """Road distance (km-equivalents) from the nearest of ``starts`` through ground of one holder.

    A step links two theatre cells with the same holder and costs the mean of their
    terrain costs times the cell size; every start is at distance 0. A bucket queue,
    as in :func:`dijkstra_field`. Only the ground of the holders in ``redo`` (bool per
    holder code) is searched afresh; every other theatre cell keeps its distance in
    ``kept`` (no step leaves a holder's ground, so its distances are its own), but for
    the ground of the holders in ``grown``.

    A holder in ``grown`` has only gained ground since ``kept`` (the cells ``gained``):
    its roads can only be shorter, so its distances are brought down from where it gained
    rather than searched afresh. Its cells next to the gained ones (and its sources among
    them) start the search at their kept distances, and a cell's distance changes only
    where a shorter road is found. Every distance is then the least, over the cell's
    neighbours, of theirs plus the step, as a whole search finds it: the same bits.
    """
    n = neighbours.shape[0]
    dist = np.full(n, INF)
    settled = np.zeros(n, np.bool_)
    lowest, highest = INF, 0.0
    for k in range(n):
        if in_theatre[k]:
            lowest, highest = min(lowest, terrain_cost[k]), max(highest, terrain_cost[k])
        if not redo[control[k]]:
            dist[k], settled[k] = kept[k], not grown[control[k]]
    inverse = 1.0 / (lowest * cell_km * (1.0 - 1e-9))  # buckets narrower than any step, as in dijkstra_field
    ring = 1
    while ring < int(highest * cell_km * inverse) + 2:
        ring *= 2
    wrap = ring - 1
    # Where the search starts: the sources of the holders searched afresh or grown, at 0, and a grown
    # holder's cells next to its gains, at their kept distances. Each is queued once the search's
    # bucket reaches it (a ring of buckets holds only as far as the dearest step).
    for k in gained:
        dist[k] = INF  # its kept distance was its last holder's
    seed_cell = np.empty(len(starts) + 6 * len(gained), np.int64)
    seeds = 0
    for s in starts:
        if (redo[control[s]] or grown[control[s]]) and dist[s] > 0.0:
            dist[s] = 0.0
            seed_cell[seeds] = s
            seeds += 1
    for k in gained:
        for j in range(6):
            v = neighbours[k, j]
            if v >= 0 and control[v] == control[k] and dist[v] < INF and not settled[v]:
                seed_cell[seeds] = v
                seeds += 1
    seed_cell = seed_cell[:seeds]
    seed_bucket = np.empty(seeds, np.int64)
    for i in range(seeds):
        seed_bucket[i] = int(dist[seed_cell[i]] * inverse)
    order = np.argsort(seed_bucket)
    head = np.full(ring, -1, np.int64)
    entry_cell = np.empty(6 * n + seeds + 1, np.int64)
    entry_next = np.empty(6 * n + seeds + 1, np.int64)
    used = queued = next_seed = bucket = 0
    while queued > 0 or next_seed < seeds:
        if queued == 0:  # nothing queued below the next start: go straight to its bucket
            bucket = max(bucket, seed_bucket[order[next_seed]])
        while next_seed < seeds and seed_bucket[order[next_seed]] <= bucket:
            used = _enqueue(head, entry_cell, entry_next, used, seed_cell[order[next_seed]], bucket & wrap)
            queued += 1
            next_seed += 1
        slot = bucket & wrap
        while head[slot] >= 0:
            e = head[slot]
            head[slot] = entry_next[e]
            queued -= 1
            u = entry_cell[e]
            d = dist[u]
            if settled[u] or int(d * inverse) != bucket:
                continue
            settled[u] = True
            for j in range(6):
                v = neighbours[u, j]
                if v < 0 or settled[v] or not in_theatre[v] or control[v] != control[u]:
                    continue
                nd = d + 0.5 * (terrain_cost[u] + terrain_cost[v]) * cell_km
                if nd < dist[v]:
                    dist[v] = nd
                    used = _enqueue(head, entry_cell, entry_next, used, v, int(nd * inverse) & wrap)
                    queued += 1
        bucket += 1
    return dist


@compiled
def step_costs(neighbours, crosses_river, in_theatre, control, own, hostile, may_take, base_cost,
               hostile_factor, cell_km, river_crossing_km):
    """(n, 6) cost of each step to a neighbour for the faction ``own``; inf where barred."""
    n = neighbours.shape[0]
    every = np.arange(n)
    cell_cost = np.empty(n)
    cell_costs(in_theatre, control, own, hostile, may_take, base_cost, hostile_factor, every, cell_cost)
    out = np.empty((n, 6))
    restep_costs(neighbours, crosses_river, cell_km, river_crossing_km, cell_cost, every, out,
                 np.empty(n), np.empty(n), np.empty((0, 6)))
    return out


@compiled
def cell_costs(in_theatre, control, own, hostile, may_take, base_cost, hostile_factor, cells, out):
    """Into ``out`` at ``cells``: what entering each costs the faction ``own`` per km (inf where barred)."""
    for k in cells:
        enemy = hostile[control[k]] and may_take[k]
        if in_theatre[k] and (control[k] == own or enemy):
            out[k] = base_cost[k] * hostile_factor if enemy else base_cost[k]
        else:
            out[k] = INF
    return out


@compiled
def restep_costs(neighbours, crosses_river, cell_km, river_crossing_km, cell_cost, rows, out, row_low, row_high,
                 previous):
    """Work out the steps out of each of ``rows`` (ascending) into ``out``, from the cells' costs.

    A step costs the mean of its two cells' costs times the cell size, plus the
    river crossing. Also keeps each row's smallest and largest finite step cost in
    ``row_low`` and ``row_high`` (inf and -inf if none).

    Returns:
        The rows whose steps differ from those in ``previous`` (none if it has no rows).
    """
    compare = previous.shape[0] > 0
    changed = np.empty(rows.shape[0] if compare else 0, np.int64)
    count = 0
    for k in rows:
        low, high = INF, -INF
        differs = False
        for j in range(6):
            v = neighbours[k, j]
            to = cell_cost[v] if v >= 0 else INF
            x = 0.5 * (cell_cost[k] + to) * cell_km + (river_crossing_km if crosses_river[k, j] else 0.0)
            out[k, j] = x
            if x < low:
                low = x
            if high < x < INF:
                high = x
            if compare and x != previous[k, j]:
                differs = True
        row_low[k], row_high[k] = low, high
        if differs:
            changed[count] = k
            count += 1
    return changed[:count]


@compiled
def rows_around(neighbours, cells, also):
    """``cells``, their neighbours and the cells ``also``, ascending, without repeats."""
    n = neighbours.shape[0]
    mark = np.zeros(n, np.bool_)
    for k in cells:
        mark[k] = True
        for j in range(6):
            if neighbours[k, j] >= 0:
                mark[neighbours[k, j]] = True
    for k in also:
        mark[k] = True
    return _where(mark)


@compiled
def _where(mark):
    """The indices where ``mark`` is True, ascending: ``numpy.flatnonzero``, whose compiled form would
    have every load of a kernel using it import numba's numpy maths and with it scipy.linalg (0.06 s)."""
    found = np.empty(mark.size, np.int64)
    count = 0
    for k in range(mark.size):
        if mark[k]:
            found[count] = k
            count += 1
    return found[:count]


@compiled
def _changed_hands(control, was_control):
    """The cells whose holder differs from ``was_control``, ascending (as :func:`_where`)."""
    found = np.empty(control.size, np.int64)
    count = 0
    for k in range(control.size):
        if control[k] != was_control[k]:
            found[count] = k
            count += 1
    return found[:count]


@compiled
def step_costs_today(neighbours, crosses_river, in_theatre, control, was_control, own, hostile, may_take, base_cost,
                     hostile_factor, cell_km, river_crossing_km, cell_cost, out, behind, every_cell, every_row,
                     row_low, row_high, previous):
    """One side's step costs of today, brought up from the day before yesterday's in ``out``, in one call.

    :func:`cell_costs` of the cells whose holder differs from ``was_control`` (of every
    cell if ``every_cell``), then :func:`restep_costs` of the rows around them and of the
    rows ``behind`` (those where ``out`` is behind ``previous``; every row if ``every_row``),
    then the smallest and largest finite step cost of all rows. What
    :class:`simulation.rules.movement.StepCosts` would do with those three kernels and
    numpy, in one call (reference: :func:`simulation.rules.movement.step_costs_reference`,
    :func:`finite_range` and :func:`rows_changed`).

    Returns:
        The rows whose steps differ from ``previous`` (none if it has no rows), and the
        smallest and largest finite step cost (inf and -inf if none).
    """
    n = neighbours.shape[0]
    cells = np.arange(n) if every_cell else _changed_hands(control, was_control)
    cell_costs(in_theatre, control, own, hostile, may_take, base_cost, hostile_factor, cells, cell_cost)
    rows = np.arange(n) if every_row else rows_around(neighbours, cells, behind)
    changed = restep_costs(neighbours, crosses_river, cell_km, river_crossing_km, cell_cost, rows, out, row_low,
                           row_high, previous)
    lowest, highest = INF, -INF
    for k in range(n):
        lowest, highest = min(lowest, row_low[k]), max(highest, row_high[k])
    return changed, lowest, highest


@compiled
def supply_fronts(neighbours, in_theatre, control, dist, n_factions, cell_km):
    """(factions, n): ``dist`` on each faction's own theatre ground; one cell more next to it; else inf."""
    n = neighbours.shape[0]
    best = np.full((n_factions, n), INF)
    for k in range(n):
        own = control[k] if in_theatre[k] else -1
        if own >= 0:
            best[own, k] = dist[k]
        for j in range(6):
            v = neighbours[k, j]
            if v >= 0:
                g = control[v]
                if g != own and in_theatre[v]:
                    step = dist[v] + cell_km  # the least of these is the least distance plus a cell
                    if step < best[g, k]:
                        best[g, k] = step
    return best


@compiled
def zone_claims(neighbours, control, hostile, may_take, guarded, pull, min_neighbours):
    """Which side claims each cell by zone of control, and the cells claimed.

    A side claims an enemy cell it may take, bordering at least ``min_neighbours`` of
    its own cells, guarded by none of its enemies, where its pull is positive; the
    strongest pull wins (the first side on a tie, as ``numpy.argmax``).

    Returns:
        (winner per cell, the claimed cells in order).
    """
    factions, n = pull.shape
    winner = np.zeros(n, np.int64)
    claimed = np.empty(n, np.int64)
    count = 0
    own = np.zeros(factions, np.int64)
    for k in range(n):
        pulled = False  # most cells have no pressing fighters in reach: nothing to claim there
        for f in range(factions):
            if pull[f, k] > 0.0:
                pulled = True
        if not pulled:
            continue
        for f in range(factions):
            own[f] = 0
        for j in range(6):
            v = neighbours[k, j]
            if v >= 0:
                own[control[v]] += 1
        best = 0.0
        for f in range(factions):
            p = pull[f, k]
            if not (p > best and hostile[f, control[k]] and may_take[f, k] and own[f] >= min_neighbours):
                continue
            guarded_against = False
            for g in range(factions):
                if hostile[f, g] and guarded[g, k]:
                    guarded_against = True
            if not guarded_against:
                best = p
                winner[k] = f
        if best > 0.0:
            claimed[count] = k
            count += 1
    return winner, claimed[:count]


@compiled
def open_edge(neighbours, supplied, free, control, hostile, may_take):
    """Free cells next to ``supplied`` ground, held by a side in ``hostile`` (per holder code), where
    ``may_take``: their indices, ascending (reference: :func:`simulation.rules.ground.open_edge_reference`)."""
    n = neighbours.shape[0]
    out = np.empty(n, np.int64)
    count = 0
    for k in range(n):
        if free[k] and hostile[control[k]] and may_take[k]:
            for j in range(6):
                v = neighbours[k, j]
                if v >= 0 and supplied[v]:
                    out[count] = k
                    count += 1
                    break
    return out[:count]


@compiled
def collapse_shares(cells, any_supplied, near_units, control, unheld_share):
    """Per cell of ``cells``, the share of a sweep's pace at which it crumbles: all of it where no side's
    supply reaches, ``unheld_share`` where none of its holder's units is near (``near_units``: per holder
    and cell), the larger of the two; else none (reference: the numpy lines beside it in
    :func:`simulation.rules.ground.unheld_ground_collapse`, with :func:`~simulation.rules.ground.far_from_holders`)."""
    out = np.empty(cells.size)
    for i in range(cells.size):
        k = cells[i]
        cut_off = 0.0 if any_supplied[k] else 1.0
        unheld = 0.0 if near_units[control[k], k] else unheld_share
        out[i] = max(cut_off, unheld)  # numpy.maximum of the two (no NaN, no -0.0 among them)
    return out


@compiled
def next_slot(neighbours, costs, field, k):
    """Which of cell k's six steps leads down a distance field (-1 at the target or stuck)."""
    if not (field[k] > 0.0 and field[k] < INF):
        return -1
    best, best_via = -1, INF
    for j in range(6):
        v = neighbours[k, j]
        if v >= 0:
            via = field[v] + costs[k, j]
            if via < best_via:
                best, best_via = j, via
    return best


@compiled
def walk_down(neighbours, costs, field, exact_upto, k, march_km, control, enemy_ground):
    """A unit's march from cell k down a field over ground that is not its enemy's, while it can pay each
    step (reference: :meth:`simulation.rules.movement.RoutePlan.walk_reference`, calling
    :func:`next_slot` step by step).

    Returns:
        The cell reached, the march left, the next step (its cell, -1 there or stuck; and its cost), and
        False if the walk stopped at a cell where the field was not exact (``field[k] > exact_upto``).
    """
    while True:
        if not field[k] <= exact_upto:
            return k, march_km, -1, INF, False
        slot = next_slot(neighbours, costs, field, k)
        if slot < 0:
            return k, march_km, -1, INF, True
        nxt, cost = neighbours[k, slot], costs[k, slot]
        if enemy_ground[control[nxt]] or march_km < cost:
            return k, march_km, nxt, cost, True
        march_km -= cost
        k = nxt


@compiled
def field_still_exact(field, changed, watched, exact_upto):
    """Whether yesterday's distance field holds today (reference:
    :func:`simulation.rules.movement.field_still_exact_reference`): none of the cells
    ``changed`` (whose step costs changed overnight) was reached by its search, and it was
    a whole search (``exact_upto`` inf) or exact at every cell ``watched`` today."""
    for k in changed:
        if field[k] < INF:
            return False
    if exact_upto == INF:
        return True
    for k in watched:
        if not field[k] <= exact_upto:
            return False
    return True


@compiled
def rows_changed(a, b):
    """Indices of the rows where two (n, m) arrays differ."""
    out = np.empty(a.shape[0], np.int64)
    count = 0
    for k in range(a.shape[0]):
        for j in range(a.shape[1]):
            if a[k, j] != b[k, j]:
                out[count] = k
                count += 1
                break
    return out[:count]


@compiled
def finite_range(a):
    """The smallest and largest finite values of an array (1.0, 1.0 if none)."""
    lowest, highest = INF, -INF
    for x in a.ravel():
        if x < INF:
            lowest, highest = min(lowest, x), max(highest, x)
    return (lowest, highest) if highest > -INF else (1.0, 1.0)


@compiled
def linked_any(indptr, indices, mask):
    """Per row of ``mask`` (sides, cells): the cells a sparse 0/1 matrix (CSR ``indptr``, ``indices``;
    symmetric) links to a cell in the row's mask."""
    sides, n = mask.shape
    out = np.zeros((sides, n), np.bool_)
    for f in range(sides):
        for k in range(n):
            if mask[f, k]:
                for p in range(indptr[k], indptr[k + 1]):
                    out[f, indices[p]] = True
    return out


@compiled
def linked_any_of(indptr, indices, n_sides, n, sides, cells, values):
    """:func:`linked_any` of the (``n_sides``, ``n``) table that is True where an entry (``sides``,
    ``cells``) holds a value above zero, from those entries alone (a few dozen units, not every cell)."""
    out = np.zeros((n_sides, n), np.bool_)
    for i in range(sides.size):
        if values[i] > 0.0:
            f, k = sides[i], cells[i]
            for p in range(indptr[k], indptr[k + 1]):
                out[f, indices[p]] = True
    return out


@compiled
def linked_sum_of(indptr, indices, n_sides, n, sides, cells, values):
    """Per side, each cell's sum of the values of the cells a sparse 0/1 matrix (CSR ``indptr``,
    ``indices``; symmetric, columns ascending in each row) links to it, for the (``n_sides``, ``n``) table
    holding ``values`` at (``sides``, ``cells``) and zero elsewhere, from those entries alone.

    The entries are sorted by side, then cell, each once (a :class:`~simulation.rules.presence.Presence`),
    so each cell adds its linked cells' values in ascending order of those cells, as ``matrix @ table[f]``
    does (a zero adds nothing): the same sums bit for bit.
    """
    out = np.zeros((n_sides, n))
    for i in range(sides.size):
        v = values[i]
        if v != 0.0:
            f, k = sides[i], cells[i]
            for p in range(indptr[k], indptr[k + 1]):
                out[f, indices[p]] += v
    return out


@compiled
def recount_reach(indptr, indices, counts, was, now):
    """Cells a symmetric 0/1 matrix (CSR ``indptr``, ``indices``) links to a cell of the set ``now``,
    brought up to date from the last set (reference: :func:`simulation.theatre.reached_from`).

    ``counts`` holds, per cell, how many cells of the last set ``was`` the matrix links
    it to; only the cells that joined or left the set since are read, and both arrays
    are updated in place. Start both at zero (an empty set).
    """
    n = now.shape[0]
    for k in range(n):
        if now[k] != was[k]:
            step = 1 if now[k] else -1
            for p in range(indptr[k], indptr[k + 1]):
                counts[indices[p]] += step
            was[k] = now[k]
    out = np.empty(n, np.bool_)
    for k in range(n):
        out[k] = counts[k] > 0
    return out


@compiled
def held_tallies(control, in_theatre, group, n_groups, n_factions, cell_area, population):
    """The theatre cells each faction holds, their area and their people: per faction, and per faction and
    group (``group``: each cell's, e.g. its governorate), each summed over the cells in index order, as
    ``numpy.bincount`` sums (the same bits).

    Returns:
        cells, area, people, each (n_factions,); then cells, area, people per faction and
        group, each (n_factions * n_groups,), faction by faction.
    """
    cells, area, people = np.zeros(n_factions, np.int64), np.zeros(n_factions), np.zeros(n_factions)
    by_group = n_factions * n_groups
    g_cells, g_area, g_people = np.zeros(by_group, np.int64), np.zeros(by_group), np.zeros(by_group)
    for k in range(control.size):
        if in_theatre[k]:
            f = control[k]
            cells[f] += 1
            area[f] += cell_area[k]
            people[f] += population[k]
            i = f * n_groups + group[k]
            g_cells[i] += 1
            g_area[i] += cell_area[k]
            g_people[i] += population[k]
    return cells, area, people, g_cells, g_area, g_people


@compiled
def _block_sum(a, start, n):
    """The sum of a run of at most 128 values as ``numpy.sum`` adds it (eight running sums, then the rest)."""
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += a[i]
        return total
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i, whole = start + 8, start + n - n % 8
    while i < whole:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(whole, start + n):
        total += a[j]
    return total


@compiled
def _pairwise_sum(a):
    """The sum of a contiguous float64 array as ``numpy.sum`` adds it, so the same bits: numpy's pairwise
    summation, which halves a run of more than 128 values (each first half a multiple of 8 long) and
    adds the halves' sums. Worked through with a stack (numba's disk cache does not keep recursion)."""
    if a.size <= 128:
        return 0.0 + _block_sum(a, 0, a.size)
    # Runs still to sum (start, length; length -1 marks "add the last two sums"), and sums made.
    runs = np.empty((128, 2), np.int64)
    sums = np.empty(64)
    runs[0, 0], runs[0, 1] = 0, a.size
    todo, made = 1, 0
    while todo > 0:
        todo -= 1
        start, n = runs[todo, 0], runs[todo, 1]
        if n < 0:
            made -= 1
            sums[made - 1] = sums[made - 1] + sums[made]
        elif n <= 128:
            sums[made] = _block_sum(a, start, n)
            made += 1
        else:
            half = n // 2
            half -= half % 8
            runs[todo, 0], runs[todo, 1] = 0, -1  # then add the two halves' sums ...
            runs[todo + 1, 0], runs[todo + 1, 1] = start + half, n - half  # ... of the second half ...
            runs[todo + 2, 0], runs[todo + 2, 1] = start, half  # ... after the first
            todo += 3
    return 0.0 + sums[0]


@compiled
def rally(morale, supply, engaged, stretch_loss, recovery, rest_min_supply, unsupplied_below, unsupplied_loss,
          ceiling):
    """Units' morale after a day's drift (reference: :func:`simulation.rules.morale.rally_reference`), clipped as
    ``numpy.clip`` clips (the larger of the value and the floor, then the smaller of that and the top)."""
    out = np.empty(morale.size)
    for i in range(morale.size):
        change = recovery if supply[i] > rest_min_supply and not engaged[i] else 0.0
        change = change - (unsupplied_loss if supply[i] < unsupplied_below else 0.0)
        change = change - stretch_loss
        value, top = morale[i] + change, ceiling if change > 0 else 1.0
        value = value if value > 0.0 else 0.0  # noqa: FURB136 (numpy.clip's order, exactly, signed zeros too)
        out[i] = value if value < top else top  # noqa: FURB136
    return out


@compiled
def top_ups(strengths, establishments, supplied, pool, top_up_per_day):
    """Fighters each supplied unit short of its establishment gains from a side's pool (reference:
    :func:`simulation.rules.reinforcement.top_ups_reference`): what it lacks, at most ``top_up_per_day``
    of its establishment, all of them scaled down alike when the pool is short (summed as numpy sums)."""
    n = strengths.size
    wants = np.zeros(n)
    for i in range(n):
        s, e = strengths[i], establishments[i]
        if supplied[i] and s < e:
            lack, cap = e - s, top_up_per_day * e
            wants[i] = cap if cap < lack else lack  # noqa: FURB136 (Python's min(lack, cap), exactly)
    total = _pairwise_sum(wants)
    if total <= 0:
        return np.zeros(n)
    share = pool / total
    share = share if share < 1.0 else 1.0  # noqa: FURB136 (Python's min(1.0, share), exactly)
    for i in range(n):
        wants[i] = wants[i] * share
    return wants


@compiled
def weighted_means(weights, values):
    """Per row of ``values`` (attributes, units): its mean weighted by ``weights``, each sum added as
    ``numpy.sum`` adds it (:func:`_pairwise_sum`), so the same bits; 0 where the weights sum to nothing
    (reference: :func:`simulation.records.strength_weighted_reference`)."""
    total = _pairwise_sum(weights)
    out = np.zeros(values.shape[0])
    if not total > 0.0:
        return out
    products = np.empty(weights.size)
    for a in range(values.shape[0]):
        for i in range(weights.size):
            products[i] = values[a, i] * weights[i]
        out[a] = _pairwise_sum(products) / total
    return out


@compiled
def cut_off_cells(control, in_theatre, supplied):
    """The theatre cells not linked to their holder's sources (``supplied``: per holder and cell), as
    sorted int32 indices (reference: :func:`simulation.records.besieged_cells_reference`)."""
    found = np.empty(control.size, np.int32)
    count = 0
    for k in range(control.size):
        if in_theatre[k] and not supplied[control[k], k]:
            found[count] = k
            count += 1
    return found[:count].copy()


@compiled
def front_garrison_totals(need, near_insurgent, front_factor, insurgent, control, presence):
    """Each side's garrison need beyond its units on the ground, with the cells within the insurgent's
    reach needing ``front_factor`` times more (the insurgent's own ground excepted) (reference:
    :func:`simulation.rules.overstretch.garrison_totals` of
    :func:`~simulation.rules.overstretch.front_need`, row by row: the same bits).

    Args:
        need: (sides, n) garrison need per cell; presence: (sides, n) fighters per cell.
        near_insurgent: bool per cell; control: faction code per cell.
    """
    sides, n = need.shape
    totals = np.empty(sides)
    short = np.empty(n)
    for f in range(sides):
        for k in range(n):
            cell_need = 0.0
            if control[k] == f:
                cell_need = need[f, k] * (front_factor if near_insurgent[k] and f != insurgent else 1.0)
            gap = cell_need - presence[f, k]
            short[k] = gap if gap >= 0.0 else 0.0  # noqa: FURB136 (numpy.maximum(gap, 0.0), whose -0.0 it keeps)
        totals[f] = _pairwise_sum(short)
    return totals


@compiled
def insurgency_rising(control, insurgent, overstretch_ratio, hostility, occupied, in_theatre, near_insurgent, rate,
                      draws):
    """The cells that rise for the insurgent today, from one uniform draw per cell (reference:
    :func:`simulation.rules.ground.insurgent_rising_reference`, with
    :func:`~simulation.rules.overstretch.insurgency_flips`: the same products, so the same cells).

    Args:
        overstretch_ratio: per faction code; hostility: (factions, n) the people's hostility to each.
        rate: the insurgency's daily rate; draws: (n,) uniform draws in [0, 1).
    """
    n = control.size
    out = np.zeros(n, np.bool_)
    for k in range(n):
        f = control[k]
        if f == insurgent or f >= overstretch_ratio.size or not overstretch_ratio[f] > 1.0:
            continue
        shortfall = 1.0 - 1.0 / overstretch_ratio[f]
        if shortfall > 0.0 and not occupied[k] and in_theatre[k] and near_insurgent[k]:
            out[k] = draws[k] < rate * shortfall * hostility[f, k]
    return out


@compiled
def _apart_km(x_km, y_km, a, b):
    """Distance between the centres of cells ``a`` and ``b``, km, as :meth:`~simulation.theatre.TheatreMap.distance_km`
    measures it (the same libm ``hypot``, so the same bits)."""
    return math.hypot(x_km[a] - x_km[b], y_km[a] - y_km[b])


@compiled
def weakest_within(x_km, y_km, from_cells, from_strength, cells, worth, reach_km, ratio):
    """For each unit on ``from_cells``: the index of the least ``worth`` among ``cells`` within ``reach_km``
    of it that it outnumbers by ``ratio`` (the first such, on a tie), or -1 (reference:
    :func:`simulation.rules.proximity.weakest_within_reference`)."""
    out = np.full(from_cells.size, -1, np.int64)
    for i in range(from_cells.size):
        a, best_worth = from_cells[i], INF
        for j in range(cells.size):
            b = cells[j]
            if (_apart_km(x_km, y_km, a, b) <= reach_km and worth[j] * ratio < from_strength[i]
                    and worth[j] < best_worth):
                out[i], best_worth = j, worth[j]
    return out


@compiled
def nearest_of(x_km, y_km, from_cells, cells):
    """For each of ``from_cells``: the index of the nearest of ``cells`` (the first, on a tie) and its
    distance (reference: :func:`simulation.rules.proximity.nearest_reference`)."""
    index = np.zeros(from_cells.size, np.int64)
    distance = np.full(from_cells.size, INF)
    for i in range(from_cells.size):
        a = from_cells[i]
        for j in range(cells.size):
            b = cells[j]
            d = _apart_km(x_km, y_km, a, b)
            if d < distance[i]:
                index[i], distance[i] = j, d
    return index, distance


@compiled
def summed_within(x_km, y_km, cells, at, values, radius_km):
    """For each of ``cells``: the sum of ``values`` over the units standing ``at`` cells within
    ``radius_km`` of it, added in the units' order (reference:
    :func:`simulation.rules.proximity.summed_within_reference`)."""
    out = np.zeros(cells.size)
    for i in range(cells.size):
        a = cells[i]
        for j in range(at.size):
            b = at[j]
            if _apart_km(x_km, y_km, a, b) <= radius_km:
                out[i] += values[j]
    return out
