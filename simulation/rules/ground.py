"""How ground changes hands without a set-piece battle, each day after the fighting.

Four rules, in this order: zones of control sweep undefended ground next to a
front; ground no one holds crumbles from its edges; thinly held ground of an
overstretched side rises for the insurgent; and a unit holds the cell it stands on.
Each is a pure function of today's map and forces: it returns what changes hands,
and the model charges the losers and moves the units.
"""

from __future__ import annotations

import numpy as np

from simulation.rules import kernels, overstretch
from simulation.rules.combat import fall_back_options
from simulation.scenario.rule_params import MovementRules, OverstretchRules
from simulation.theatre import TheatreMap, reached_from


def neighbour_columns(neighbours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The neighbour table as six rows of n (fast to reduce over), with -1 replaced by 0, and where it was valid."""
    columns = np.ascontiguousarray(neighbours.T)
    valid = columns >= 0
    return np.where(valid, columns, 0), valid


def touches_reference(neighbours: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Whether any of each cell's neighbours is in ``mask`` (numpy; in the reference of
    :func:`~simulation.rules.kernels.open_edge`)."""
    columns, valid = neighbour_columns(neighbours)
    return (mask[columns] & valid).any(axis=0)


def open_edge_reference(neighbours: np.ndarray, supplied, free, control, hostile, may_take) -> np.ndarray:
    """Free cells next to ``supplied`` ground, held by a side in ``hostile`` (per holder code), where
    ``may_take``, as indices (numpy; the reference of :func:`~simulation.rules.kernels.open_edge`)."""
    return np.flatnonzero(free & touches_reference(neighbours, supplied) & hostile[control] & may_take)


def own_neighbours(control: np.ndarray, neighbours: np.ndarray, faction: int) -> np.ndarray:
    """How many of each cell's neighbours ``faction`` holds."""
    columns, valid = neighbour_columns(neighbours)
    return ((control[columns] == faction) & valid).sum(axis=0)


def zones_of_control(control, neighbours, hostile, may_take, presence, pressing, contact_reach, zone_reach,
                     pace, tether, rng: np.random.Generator, params: MovementRules) -> dict[int, np.ndarray]:
    """Empty hostile cells near attacking units, next to the attacker's ground: what each side takes today.

    A cell is claimed by the side whose pressing fighters within ``zone_reach`` pull
    on it hardest, if it is enemy ground the side may take, borders at least
    ``zone_of_control_min_neighbours`` of the side's cells (zones of control widen a
    front and fill its flanks, but do not push a spearhead beyond where units have
    fought to), and no unit of the side's enemies guards it (a unit guards its own
    cell and the next ring). Each claim succeeds with the claimant's sweep chance.

    Args:
        control: faction code per cell.
        neighbours: (n, 6) neighbour indices, -1 where none.
        hostile: (factions, factions) bool, who treats whom as an enemy.
        may_take: per faction, bool per cell where it may take enemy ground (a (factions, n) table, or rows).
        presence: fighters per faction and cell (a :class:`~simulation.rules.presence.Presence`).
        pressing: the same, of the fighters pressing forward.
        contact_reach, zone_reach: sparse (n, n) 0/1 matrices in CSR layout (a
            :class:`~simulation.theatre.Reach`, or scipy's) of the cells within one ring,
            and within the zone-of-control reach.
        pace: per faction, its daily chance of sweeping a cell at full tether.
        tether: (factions, n) share of that chance each cell keeps for its distance from supply.
        rng: the model's generator.

    Returns:
        For each faction that takes ground today, the cells it takes (faction order).
    """
    # Compiled: (contact_reach @ presence.table().T).T > 0 and (zone_reach @ pressing.table().T).T, bit for
    # bit (the references are simulation.theatre.reached_from and summed_from, row by row), reaching out
    # from the cells where units stand.
    guarded = kernels.linked_any_of(contact_reach.indptr, contact_reach.indices, *presence.shape, presence.sides,
                                    presence.cells, presence.fighters)
    pull = kernels.linked_sum_of(zone_reach.indptr, zone_reach.indices, *pressing.shape, pressing.sides,
                                 pressing.cells, pressing.fighters)
    may_take = may_take if isinstance(may_take, np.ndarray) else np.stack([may_take[f] for f in range(len(hostile))])
    winner, taken = kernels.zone_claims(neighbours, control, hostile, may_take,
                                        guarded, pull, params.zone_of_control_min_neighbours)
    chance = np.zeros(taken.size)
    for f in sorted(set(winner[taken].tolist())):  # the sides that claim any cell today
        mine = winner[taken] == f
        chance[mine] = pace[f] * tether[f][taken[mine]]
    taken = taken[rng.random(taken.size) < chance]
    out = {}
    for f in range(len(hostile)):
        cells = taken[winner[taken] == f]
        if cells.size:
            out[f] = cells
    return out


def zone_claims_reference(neighbours, control, hostile, may_take, guarded, pull, min_neighbours):
    """Which side claims each cell, and the cells claimed (numpy; the reference of
    :func:`~simulation.rules.kernels.zone_claims`, which :func:`zones_of_control` uses).

    Args:
        may_take: (factions, n) bool.
        guarded: (factions, n) bool, a unit of that faction on the cell or next to it.
        pull: (factions, n) pressing fighters within the zone-of-control reach.
        min_neighbours: own neighbouring cells a claimed cell needs.
    """
    pull = pull.copy()
    columns, valid = neighbour_columns(neighbours)
    holders = np.where(valid, control[columns], -1)  # who holds each neighbour (-1: none)
    for f in range(len(hostile)):
        enemy_of_f = hostile[f]
        guarded_against_f = guarded[enemy_of_f].any(axis=0)
        borders = (holders == f).sum(axis=0) >= min_neighbours
        claim = (pull[f] > 0) & enemy_of_f[control] & ~guarded_against_f & borders & may_take[f]
        pull[f] = np.where(claim, pull[f], 0.0)
    return np.argmax(pull, axis=0), np.flatnonzero(pull.max(axis=0) > 0)


def unheld_ground_collapse(tmap: TheatreMap, control, occupied, supplied, hostile, may_take, unit_cells,
                           attackers, pace, tether, rng: np.random.Generator,
                           params: MovementRules, hold_reach=None) -> list[tuple[int, np.ndarray]]:
    """Enemy ground no one holds crumbles from its edges, with no attack needed.

    A pocket cut off from its side's supply with no units in it falls at the pace
    of a sweep: no one holds empty villages once the roads are cut. Ground with
    none of its holder's units within ``hold_reach_km`` erodes more slowly, at
    ``unheld_sweep_share`` of that pace: ISIS's hold on the empty desert was
    nominal and melted as its towns fell. Only the sides on the offensive
    (``attackers``, in a random order each day) erode ground this way, and only
    from ground linked to their supply (a besieged pocket does not grow).

    Args:
        control: faction code per cell (not changed: a copy is updated in turn).
        occupied: bool per cell, a unit of any side stands there.
        supplied: per faction, bool per cell linked to its sources.
        unit_cells: per faction, the cells its units stand on.
        attackers: the factions on the offensive.
        pace, tether: as for :func:`zones_of_control`.
        hold_reach: ``tmap.within(params.hold_reach_km)``, if at hand: then the cells near
            each side's units are read from it, not measured pair by pair in
            :func:`far_from_holders` (the same distances, compared the same way).

    Returns:
        (faction, cells taken) for each attacker with ground in reach, in the order they took it.
    """
    control = control.copy()
    any_supplied = np.zeros(tmap.n_cells, bool)
    for f in range(len(hostile)):
        any_supplied |= supplied[f]
    free = tmap.in_theatre & ~occupied
    near_units = None
    if hold_reach is not None:  # per side, the cells within reach of its units (they do not move here)
        sides = np.repeat(np.arange(len(unit_cells)), [len(at) for at in unit_cells])
        cells = np.concatenate([np.asarray(at, dtype=np.int64) for at in unit_cells])
        near_units = kernels.linked_any_of(hold_reach.indptr, hold_reach.indices, len(unit_cells), tmap.n_cells,
                                           sides, cells, np.ones(cells.size))
    out = []
    for f in rng.permutation(list(attackers)):
        f = int(f)
        # Compiled: free & touches_reference(neighbours, supplied[f]) & hostile[f][control] & may_take[f], as cells.
        cells = kernels.open_edge(tmap.neighbours, supplied[f], free, control, hostile[f], may_take[f])
        if not cells.size:
            continue
        if near_units is None:
            unheld = far_from_holders(tmap, control, cells, unit_cells, params.hold_reach_km)
            share = np.maximum(np.where(any_supplied[cells], 0.0, 1.0), np.where(unheld, params.unheld_sweep_share, 0.0))
        else:  # the same shares, the holders' units read from near_units (compiled)
            share = kernels.collapse_shares(cells, any_supplied, near_units, control, params.unheld_sweep_share)
        taken = cells[rng.random(cells.size) < pace[f] * share * tether[f][cells]]
        control[taken] = f
        free[taken] = False
        out.append((f, taken))
    return out


def far_from_holders(tmap: TheatreMap, control, cells: np.ndarray, unit_cells, radius_km: float) -> np.ndarray:
    """Whether each cell has none of its holder's units within ``radius_km``.

    Args:
        unit_cells: per faction, the cells its units stand on.
    """
    far = np.ones(cells.size, bool)
    for f, at in enumerate(unit_cells):
        mine = control[cells] == f
        if mine.any() and len(at):
            near = tmap.distance_km(cells[mine], at).min(axis=1) <= radius_km
            far[np.flatnonzero(mine)[near]] = False
    return far


def insurgent_rising(control, insurgent: int, overstretch_ratio, hostility, occupied, in_theatre, insurgency_reach,
                     rng: np.random.Generator, params: OverstretchRules,
                     near_insurgent: np.ndarray | None = None) -> np.ndarray:
    """Cells of overstretched sides, near the insurgent's ground and with no units, that rise for it today.

    A cell rises with chance ``insurgency_rate`` x its holder's shortfall (1 - 1/overstretch)
    x its people's hostility to the holder (:func:`~simulation.rules.overstretch.insurgency_flips`).
    Compiled (:func:`~simulation.rules.kernels.insurgency_rising`); the same cells, from the same
    draws, as :func:`insurgent_rising_reference`.

    Args:
        control: faction code per cell.
        insurgent: the insurgent's faction code.
        overstretch_ratio: per faction, garrison need over the fighters available.
        hostility: (factions, cells) how hostile each cell's people are to each faction (1 ordinary); a list
            of rows will do.
        occupied: bool per cell, a unit of any side stands there.
        insurgency_reach: sparse (n, n) 0/1 in CSR layout and symmetric (as :meth:`TheatreMap.within`), the
            cells within the insurgency's reach.
        near_insurgent: bool per cell, within that reach of the insurgent's ground, if already
            worked out (the model keeps it up to date: :class:`~simulation.theatre.ReachedFrom`).

    Returns:
        Bool per cell: rises for the insurgent.
    """
    if near_insurgent is None:
        near_insurgent = reached_from(insurgency_reach, control == insurgent)
    ratio = np.asarray(overstretch_ratio, dtype=float)
    draws = rng.random(control.size)  # one a cell, as insurgency_flips draws them
    return kernels.insurgency_rising(control, int(insurgent), ratio, np.asarray(hostility, dtype=float), occupied,
                                     in_theatre, near_insurgent, params.insurgency_rate, draws)


def insurgent_rising_reference(control, insurgent: int, overstretch_ratio, hostility, occupied, in_theatre,
                               insurgency_reach, rng: np.random.Generator, params: OverstretchRules,
                               near_insurgent: np.ndarray | None = None) -> np.ndarray:
    """:func:`insurgent_rising` with numpy (the reference): the same arguments and result."""
    if near_insurgent is None:
        near_insurgent = reached_from(insurgency_reach, control == insurgent)
    shortfall = np.zeros(control.size)
    people_hostility = np.zeros(control.size)
    for f, ratio in enumerate(overstretch_ratio):
        if f == insurgent or ratio <= 1.0:
            continue
        held = control == f
        shortfall[held] = 1.0 - 1.0 / ratio
        people_hostility[held] = hostility[f][held]
    candidates = (shortfall > 0) & ~occupied & in_theatre
    return overstretch.insurgency_flips(candidates, shortfall, people_hostility, near_insurgent, rng, params)


def hold_where_standing(control, unit_cells, unit_factions, hostile, neighbours,
                        rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A unit holds the cell it stands on: enemy ground with no enemy units there becomes its side's.

    A unit on enemy ground where enemy units stand too falls back (as a broken
    defence does, :func:`~simulation.rules.combat.fall_back_options`), or surrenders
    if it has nowhere to go. Units are taken in the order given; each sees the moves
    of those before it.

    Args:
        control: faction code per cell (not changed).
        unit_cells, unit_factions: each unit's cell and faction code.
        hostile: (factions, factions) bool, who treats whom as an enemy.

    Returns:
        The control map after, and (unit index, cell it falls back to, or -1 if it
        surrenders) for each unit that could not hold.
    """
    control = control.copy()
    cells = [int(k) for k in unit_cells]
    moves = []
    for i, f in enumerate(unit_factions):
        k = cells[i]
        if not hostile[f, control[k]]:
            continue
        enemy_cells = {c for c, g in zip(cells, unit_factions) if hostile[f, g]}
        if k not in enemy_cells:
            control[k] = f
            continue
        options = fall_back_options(k, f, control, neighbours, enemy_cells)
        cells[i] = options[int(rng.integers(len(options)))] if options else k
        moves.append((i, cells[i] if options else -1))
    return control, moves
