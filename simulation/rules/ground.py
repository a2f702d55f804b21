"""How ground changes hands without a set-piece battle, each day after the fighting.

Four rules, in this order: zones of control sweep undefended ground next to a
front; ground no one holds crumbles from its edges; thinly held ground of an
overstretched side rises for ISIS; and a unit holds the cell it stands on. Each
takes the model and changes its control layer through ``model.take_cells`` (which
charges the loser's garrison) or directly for insurgency and occupation.
"""

from __future__ import annotations

import numpy as np

from simulation.factions import Faction
from simulation.rules import movement, overstretch, supply


def occupied(model) -> np.ndarray:
    """Whether each cell has a unit of any side on it."""
    mask = np.zeros(model.theatre.n_cells, bool)
    mask[[u.k for u in model.all_units()]] = True
    return mask


def sweep_chance(model, faction: Faction, cells: np.ndarray, share=1.0) -> np.ndarray:
    """Daily chance that each of ``cells`` falls to ``faction`` without a fight.

    The side's sweep pace (:func:`~simulation.rules.movement.sweep_chance`: its speed,
    overstretch tempo and air cover), times ``share`` of it, times the logistics
    tether at each cell.
    """
    rules = model.rules.movement
    pace = movement.sweep_chance(rules, model.theatre.cell_km,
                                 overstretch.offensive_tempo(model.overstretch[faction], model.rules.overstretch),
                                 model.air_cover(faction))
    return pace * share * supply.logistics_tempo(model.supply_km[faction][cells], rules.logistics_reach_km)


def sweep_zones_of_control(model) -> None:
    """Empty hostile cells near attacking units, next to the attacker's ground, change hands."""
    tmap, nf = model.theatre, len(Faction)
    presence = np.stack([model.presence(f, False) for f in Faction])
    guarded = (model.contact_reach @ presence.T).T > 0  # a unit guards its cell and the next ring
    pull = np.stack([model.zone_of_control @ model.presence(f, True) for f in Faction])
    nb = tmap.neighbours
    for f in Faction:
        enemy_of_f = model.hostile[f]
        guarded_against_f = guarded[enemy_of_f].any(axis=0)
        # Two or more own neighbours: zones of control widen a front and fill its
        # flanks, but do not push a spearhead beyond where units have fought to.
        borders = ((model.control[np.where(nb >= 0, nb, 0)] == f) & (nb >= 0)).sum(axis=1) >= 2
        claim = (pull[f] > 0) & enemy_of_f[model.control] & ~guarded_against_f & borders & model.may_take[f]
        pull[f] = np.where(claim, pull[f], 0.0)
    winner = np.argmax(pull, axis=0)
    taken = np.flatnonzero(pull.max(axis=0) > 0)
    chance = np.zeros(taken.size)
    for f in Faction:
        mine = winner[taken] == f
        chance[mine] = sweep_chance(model, f, taken[mine])
    taken = taken[model.rng.random(taken.size) < chance]
    for f in range(nf):
        cells = taken[winner[taken] == f]
        if cells.size:
            model.take_cells(cells, Faction(f))


def collapse_unheld_ground(model) -> None:
    """Enemy ground no one holds crumbles from its edges, with no attack needed.

    A pocket cut off from its side's supply with no units in it falls at the pace
    of a sweep: no one holds empty villages once the roads are cut. Ground with
    none of its holder's units within ``hold_reach_km`` erodes more slowly, at
    ``unheld_sweep_share`` of that pace: ISIS's hold on the empty desert was
    nominal and melted as its towns fell. Only the sides on the offensive erode
    ground this way; ISIS's way back is the insurgency rule.
    """
    tmap, nb, rules = model.theatre, model.theatre.neighbours, model.rules.movement
    supplied = np.zeros(tmap.n_cells, bool)
    for f in Faction:
        supplied |= model.supplied[f]
    free = tmap.in_theatre & ~occupied(model)
    for f in model.rng.permutation([f for f in Faction if f != Faction.ISIS]):
        f = Faction(int(f))
        # Only ground linked to the side's supply grows this way: a besieged pocket does not.
        edge = (model.supplied[f][np.where(nb >= 0, nb, 0)] & (nb >= 0)).any(axis=1)
        cells = np.flatnonzero(free & edge & model.hostile[f][model.control] & model.may_take[f])
        if not cells.size:
            continue
        share = np.where(supplied[cells], 0.0, 1.0)
        unheld = far_from_holders(model, cells, rules.hold_reach_km)
        share = np.maximum(share, np.where(unheld, rules.unheld_sweep_share, 0.0))
        taken = cells[model.rng.random(cells.size) < sweep_chance(model, f, cells, share)]
        model.take_cells(taken, f)
        free[taken] = False


def far_from_holders(model, cells: np.ndarray, radius_km: float) -> np.ndarray:
    """Whether each cell has none of its holder's units within ``radius_km``."""
    far = np.ones(cells.size, bool)
    for f in Faction:
        mine = model.control[cells] == f
        units = model.units_of(f)
        if mine.any() and units:
            near = model.theatre.distance_km(cells[mine], [u.k for u in units]).min(axis=1) <= radius_km
            far[np.flatnonzero(mine)[near]] = False
    return far


def rise_for_isis(model) -> None:
    """Cells of overstretched factions near ISIS ground, with no units, can rise for ISIS."""
    rules = model.rules.overstretch
    isis_near = (model.insurgency_reach @ (model.control == Faction.ISIS).astype(float)) > 0
    shortfall = np.zeros(model.theatre.n_cells)
    hostility = np.zeros(model.theatre.n_cells)
    for f in Faction:
        if f == Faction.ISIS or model.overstretch[f] <= 1.0:
            continue
        held = model.control == f
        shortfall[held] = 1.0 - 1.0 / model.overstretch[f]
        hostility[held] = model.hostility[f][held]
    candidates = (shortfall > 0) & ~occupied(model) & model.theatre.in_theatre
    rising = overstretch.insurgency_flips(candidates, shortfall, hostility, isis_near, model.rng, rules)
    model.control[rising] = Faction.ISIS


def occupy_where_standing(model) -> None:
    """A unit holds the cell it stands on: enemy ground with no enemy units there is its."""
    for u in model.all_units():
        if model.hostile[u.faction, model.control[u.k]] and not model.enemy_units_in(u.k, u.faction):
            model.control[u.k] = u.faction
        elif model.hostile[u.faction, model.control[u.k]]:
            model.retreat(u, u.k)
    model.remove_spent_units()
