"""Movement on least-cost distance fields over the hex graph.

Each faction gets a cost per step between neighbouring cells, in km-equivalents:
the step's length scaled by terrain (river valleys and towns are slower than open
desert), by whether the ground is hostile (an advance must clear it), plus a fixed
charge for crossing a river. Ground held by a faction that is neither the mover nor
its enemy is impassable (under deconfliction SAA and SDF keep off each other's
ground), and so is enemy ground outside the mover's operating area. Distances to each objective come from Dijkstra (``scipy.sparse.csgraph``);
a unit walks down its field one neighbour at a time.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from simulation.scenario.rule_params import MovementRules
from simulation.theatre import TheatreMap, Terrain


def terrain_cost(tmap: TheatreMap, params: MovementRules) -> np.ndarray:
    """Cost factor of moving through each cell because of its terrain."""
    factor = np.ones(tmap.n_cells)
    factor[tmap.terrain == Terrain.RIVER_VALLEY] = params.valley_cost
    factor[tmap.terrain == Terrain.URBAN] = params.urban_cost
    return factor


def hostile_ground_cost(params: MovementRules, air_cover: float) -> float:
    """Cost factor of advancing into enemy ground: dearer without air cover.

    Air reconnaissance and strikes ahead of a column let it advance faster; the
    SAA's desert drive of 2017 rode on Russian air support. Without any cover an
    advance costs ``unsupported_advance_cost`` times as much.
    """
    return params.hostile_ground_cost * (1.0 + (params.unsupported_advance_cost - 1.0) * (1.0 - air_cover))


def sweep_chance(params: MovementRules, cell_km: float, tempo: float, air_cover: float) -> float:
    """Daily chance that an undefended enemy cell in a front's zone of control changes hands.

    Clearing and securing ground takes time even where no one defends it: the front
    rolls forward at ``sweep_km_per_day`` on average, whatever the cell size, slowed
    by overstretch (``tempo``) and, without air cover, by ``unsupported_advance_cost``.
    """
    speed = params.sweep_km_per_day * tempo / hostile_ground_cost(params, air_cover) * params.hostile_ground_cost
    return float(min(1.0, speed / cell_km))


def march_budget_km(params: MovementRules, tempo: float, supply: float) -> float:
    """How far a unit may move today, km-equivalents.

    A full day's march, times ``tempo`` (1, or its side's offensive tempo under
    overstretch when it attacks), and slower as its supply runs down: at no supply
    a unit covers ``unsupplied_march_share`` of a supplied one's march.
    """
    share = params.unsupplied_march_share
    return params.march_km_per_day * tempo * (share + (1.0 - share) * supply)


def step_costs(tmap: TheatreMap, control: np.ndarray, own: int, hostile: np.ndarray,
               may_take: np.ndarray, params: MovementRules, base_cost: np.ndarray,
               air_cover: float = 1.0) -> np.ndarray:
    """(n, 6) cost in km of each step to a neighbour for faction ``own``; inf if barred.

    Args:
        control: faction code holding each cell.
        own: the moving faction's code.
        hostile: bool per faction code, True where that faction is the mover's enemy.
        may_take: bool per cell, where the mover may advance into enemy ground.
        base_cost: terrain cost factor per cell (from :func:`terrain_cost`).
        air_cover: 0-1, how much of a full day's close air support the mover had.
    """
    enemy_ground = hostile[control] & may_take
    passable = tmap.in_theatre & ((control == own) | enemy_ground)
    cell_cost = np.where(enemy_ground, base_cost * hostile_ground_cost(params, air_cover), base_cost)
    cell_cost = np.where(passable, cell_cost, np.inf)
    nb = tmap.neighbours
    valid = nb >= 0
    to_cost = np.where(valid, cell_cost[np.where(valid, nb, 0)], np.inf)
    costs = 0.5 * (cell_cost[:, None] + to_cost) * tmap.cell_km
    return costs + tmap.crosses_river * params.river_crossing_km


def distance_fields(tmap: TheatreMap, costs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Least-cost distance (km-equivalents) from every cell to each target cell.

    Returns an array shaped (len(targets), n_cells); unreachable cells are inf.
    """
    src, slot = np.nonzero(np.isfinite(costs))
    graph = csr_matrix((costs[src, slot], (src, tmap.neighbours[src, slot])),
                       shape=(tmap.n_cells, tmap.n_cells))
    # A step costs the same both ways, so the graph is undirected.
    return dijkstra(graph, directed=False, indices=np.asarray(targets, dtype=np.int64))


def next_hop(tmap: TheatreMap, costs: np.ndarray, field: np.ndarray, k: int) -> int:
    """The neighbour of cell k to step to next down a distance field (-1 at the target or stuck)."""
    if field[k] <= 0 or not np.isfinite(field[k]):
        return -1
    nb = tmap.neighbours[k]
    via = np.where(nb >= 0, field[nb] + costs[k], np.inf)
    best = int(np.argmin(via))
    return int(nb[best]) if np.isfinite(via[best]) else -1
