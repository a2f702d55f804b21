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
  :func:`simulation.rules.movement.next_hop`);
- :func:`zone_claims`: which side's zone of control claims each cell (reference:
  :func:`simulation.rules.ground.zone_claims_reference`);
- :func:`touches`: cells next to a set of cells (reference:
  :func:`simulation.rules.ground.touches_reference`);
- :func:`held_labels`: connected pieces of each holder's ground (reference:
  :func:`simulation.rules.supply.held_components_reference`);
- :func:`supply_dijkstra` and :func:`supply_fronts`: road distance from every held
  supply source through its holder's own ground, and one step onto the ground next
  to it (reference: :func:`simulation.rules.supply.supply_distances_reference`).

Why a Dijkstra's result does not depend on its queue's order: a settled cell's
distance is the smallest of ``dist[u] + w(u, v)`` over its neighbours nearer than it,
a value fixed by the graph alone. So the searches here use bucket queues (Dial's
algorithm), with buckets narrower than the cheapest step: no cell can improve another
of its own bucket, so each bucket is settled in any order, with no heap. ``tests/test_kernels.py`` checks the kernels
against the references on random maps.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf


@njit(cache=True, nogil=True)
def _enqueue(head, entry_cell, entry_next, used, cell, bucket):
    """Queue ``cell`` in a ring bucket (a linked list of entries); returns the entries used."""
    entry_cell[used], entry_next[used] = cell, head[bucket]
    head[bucket] = used
    return used + 1


@njit(cache=True, nogil=True)
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
            settled and no cell within ``max_step`` beyond the farthest is left.
        min_step, max_step: the smallest and largest finite step costs (> 0).
        out: (n,) float array for the distances; cells not reached are inf.

    Returns:
        The distance up to which every cell is exact (the farthest watched cell), or
        inf if the search covered everything it could reach.
    """
    n = neighbours.shape[0]
    for i in range(n):
        out[i] = INF
    settled = np.zeros(n, np.bool_)
    remaining = 0
    for i in range(n):
        if watch[i]:
            remaining += 1
    width = min_step * (1.0 - 1e-9)  # narrower than any step, with room for rounding
    ring = int(max_step / width) + 2
    head = np.full(ring, -1, np.int64)
    entry_cell = np.empty(6 * n + 1, np.int64)
    entry_next = np.empty(6 * n + 1, np.int64)
    used, queued = 1, 1
    out[source] = 0.0
    entry_cell[0], entry_next[0], head[0] = source, -1, 0
    farthest, limit = INF, INF
    bucket = 0
    while queued > 0 and bucket <= limit / width + 1.0:
        slot = bucket % ring
        while head[slot] >= 0:
            e = head[slot]
            head[slot] = entry_next[e]
            queued -= 1
            u = entry_cell[e]
            d = out[u]
            if settled[u] or int(d / width) != bucket or d > limit:
                continue
            settled[u] = True
            if watch[u]:
                remaining -= 1
                if remaining == 0:
                    farthest, limit = d, d + max_step  # every cell of this bucket is nearer than limit
            for j in range(6):
                v = neighbours[u, j]
                if v < 0 or settled[v]:
                    continue
                nd = d + costs[u, j]
                if nd < out[v]:
                    out[v] = nd
                    used = _enqueue(head, entry_cell, entry_next, used, v, int(nd / width) % ring)
                    queued += 1
        bucket += 1
    if queued > 0:  # stopped early: what was not settled is unknown, not far
        for i in range(n):
            if not settled[i]:
                out[i] = INF
        return farthest
    return INF


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def supply_dijkstra(neighbours, in_theatre, control, terrain_cost, cell_km, starts):
    """Road distance (km-equivalents) from the nearest of ``starts`` through ground of one holder.

    A step links two theatre cells with the same holder and costs the mean of their
    terrain costs times the cell size; every start is at distance 0. A bucket queue,
    as in :func:`dijkstra_field`.
    """
    n = neighbours.shape[0]
    dist = np.full(n, INF)
    settled = np.zeros(n, np.bool_)
    lowest, highest = INF, 0.0
    for k in range(n):
        if in_theatre[k]:
            lowest, highest = min(lowest, terrain_cost[k]), max(highest, terrain_cost[k])
    width = lowest * cell_km * (1.0 - 1e-9)  # narrower than any step
    ring = int(highest * cell_km / width) + 2
    head = np.full(ring, -1, np.int64)
    entry_cell = np.empty(6 * n + len(starts) + 1, np.int64)
    entry_next = np.empty(6 * n + len(starts) + 1, np.int64)
    used = 0
    for s in starts:
        if dist[s] > 0.0:
            dist[s] = 0.0
            used = _enqueue(head, entry_cell, entry_next, used, s, 0)
    queued, bucket = used, 0
    while queued > 0:
        slot = bucket % ring
        while head[slot] >= 0:
            e = head[slot]
            head[slot] = entry_next[e]
            queued -= 1
            u = entry_cell[e]
            d = dist[u]
            if settled[u] or int(d / width) != bucket:
                continue
            settled[u] = True
            for j in range(6):
                v = neighbours[u, j]
                if v < 0 or settled[v] or not in_theatre[v] or control[v] != control[u]:
                    continue
                nd = d + 0.5 * (terrain_cost[u] + terrain_cost[v]) * cell_km
                if nd < dist[v]:
                    dist[v] = nd
                    used = _enqueue(head, entry_cell, entry_next, used, v, int(nd / width) % ring)
                    queued += 1
        bucket += 1
    return dist


@njit(cache=True, nogil=True)
def step_costs(neighbours, crosses_river, in_theatre, control, own, hostile, may_take, base_cost,
               hostile_factor, cell_km, river_crossing_km):
    """(n, 6) cost of each step to a neighbour for the faction ``own``; inf where barred."""
    n = neighbours.shape[0]
    cell_cost = np.empty(n)
    for k in range(n):
        enemy = hostile[control[k]] and may_take[k]
        if in_theatre[k] and (control[k] == own or enemy):
            cell_cost[k] = base_cost[k] * hostile_factor if enemy else base_cost[k]
        else:
            cell_cost[k] = INF
    out = np.empty((n, 6))
    for k in range(n):
        for j in range(6):
            v = neighbours[k, j]
            to = cell_cost[v] if v >= 0 else INF
            out[k, j] = 0.5 * (cell_cost[k] + to) * cell_km + (river_crossing_km if crosses_river[k, j] else 0.0)
    return out


@njit(cache=True, nogil=True)
def supply_fronts(neighbours, in_theatre, control, dist, n_factions, cell_km):
    """(factions, n): ``dist`` on each faction's own theatre ground; one cell more next to it; else inf."""
    n = neighbours.shape[0]
    best = np.full((n_factions, n), INF)
    for k in range(n):
        for j in range(6):
            v = neighbours[k, j]
            if v >= 0 and in_theatre[v] and dist[v] < best[control[v], k]:
                best[control[v], k] = dist[v]
    for f in range(n_factions):
        for k in range(n):
            best[f, k] = dist[k] if in_theatre[k] and control[k] == f else best[f, k] + cell_km
    return best


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def touches(neighbours, mask):
    """Whether any of each cell's neighbours is in ``mask``."""
    n = neighbours.shape[0]
    out = np.zeros(n, np.bool_)
    for k in range(n):
        for j in range(6):
            v = neighbours[k, j]
            if v >= 0 and mask[v]:
                out[k] = True
                break
    return out


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def finite_range(a):
    """The smallest and largest finite values of an array (1.0, 1.0 if none)."""
    lowest, highest = INF, -INF
    for x in a.ravel():
        if x < INF:
            lowest, highest = min(lowest, x), max(highest, x)
    return (lowest, highest) if highest > -INF else (1.0, 1.0)
