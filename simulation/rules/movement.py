"""Movement on least-cost distance fields over the hex graph.

Each faction gets a cost per step between neighbouring cells, in km-equivalents:
the step's length scaled by terrain (river valleys and towns are slower than open
desert), by whether the ground is hostile (an advance must clear it), plus a fixed
charge for crossing a river. Ground held by a faction that is neither the mover nor
its enemy is impassable (under deconfliction SAA and SDF keep off each other's
ground), and so is enemy ground outside the mover's operating area. Distances to
each objective come from a compiled Dijkstra (:class:`RoutePlan`; scipy's is the
reference, :func:`distance_fields`); a unit walks down its field one neighbour at a time.
"""

from __future__ import annotations

import numpy as np

from simulation.rules import kernels
from simulation.scenario.rule_params import MovementRules
from simulation.theatre import Terrain, TheatreMap


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

    A step costs the mean of its two cells' costs times the cell size, plus
    ``river_crossing_km`` if it crosses a river. A cell costs its terrain factor, times
    :func:`hostile_ground_cost` if it is enemy ground the mover may take; ground of a
    side that is neither the mover nor its enemy is barred. Compiled
    (:func:`~simulation.rules.kernels.step_costs`); the same costs as
    :func:`step_costs_reference`.

    Args:
        control: faction code holding each cell.
        own: the moving faction's code.
        hostile: bool per faction code, True where that faction is the mover's enemy.
        may_take: bool per cell, where the mover may advance into enemy ground.
        base_cost: terrain cost factor per cell (from :func:`terrain_cost`).
        air_cover: 0-1, how much of a full day's close air support the mover had.
    """
    return kernels.step_costs(tmap.neighbours, tmap.crosses_river, tmap.in_theatre, control, own, hostile,
                              may_take, base_cost, hostile_ground_cost(params, air_cover), tmap.cell_km,
                              params.river_crossing_km)


class StepCosts:
    """One side's :func:`step_costs`, day after day, worked out again only where ground changed hands.

    A step's cost rests on the holders of its two cells, and on the side's enemies,
    operating area and air cover. While those three stay as they were (most days),
    only the steps out of the cells that changed hands and out of their neighbours
    can cost otherwise; the rest are yesterday's. :meth:`today` gives the same costs
    as :func:`step_costs`, and what a :class:`RoutePlan` needs to know of them.

    Two arrays take turns: today's costs are written over the day before yesterday's,
    where those differ from today's (so an array handed out is rewritten two calls
    later; a route plan lives one day).

    Args:
        own: the side's faction code.
        base_cost: terrain cost factor per cell (from :func:`terrain_cost`).
    """

    def __init__(self, tmap: TheatreMap, own: int, params: MovementRules, base_cost: np.ndarray):
        self.tmap, self.own, self.params, self.base_cost = tmap, own, params, base_cost
        n = tmap.n_cells
        self.costs = np.empty((0, 6))  # the last call's
        self._spare = np.empty((0, 6))  # the call's before, and the rows where it differs from them (None: all)
        self._spare_differs: np.ndarray | None = None
        self._cell_cost = np.empty(n)
        self._row_low, self._row_high = np.empty(n), np.empty(n)
        self._control: np.ndarray | None = None
        self._inputs = None

    def today(self, control: np.ndarray, hostile: np.ndarray, may_take: np.ndarray,
              air_cover: float = 1.0) -> tuple[np.ndarray, tuple[float, float, np.ndarray]]:
        """Today's costs, and the ``summary`` argument of :class:`RoutePlan`.

        Args:
            control, hostile, may_take, air_cover: as for :func:`step_costs`.

        Returns:
            The costs; and their smallest and largest finite cost (1, 1 if none) and the
            cells whose steps cost otherwise than in the last call's costs.
        """
        tmap, n = self.tmap, self.tmap.n_cells
        factor = hostile_ground_cost(self.params, air_cover)
        inputs = (factor, hostile.tobytes(), may_take)
        # Every cell's cost the first day and whenever more than holders changed; else those that changed hands.
        every_cell = self._control is None or inputs[:2] != self._inputs[:2] or may_take is not self._inputs[2]
        costs = self._spare
        every_row = costs.shape[0] != n or self._spare_differs is None
        if every_row:
            costs = np.empty((n, 6))
        # Then the steps next to today's changes, and those the spare is behind on (compiled: cell_costs,
        # rows_around, restep_costs and the range of the costs in one call).
        changed, lowest, highest = kernels.step_costs_today(
            tmap.neighbours, tmap.crosses_river, tmap.in_theatre, control,
            control if every_cell else self._control, self.own, hostile, may_take, self.base_cost, factor,
            tmap.cell_km, self.params.river_crossing_km, self._cell_cost, costs,
            _NO_ROWS if every_row else self._spare_differs, every_cell, every_row, self._row_low, self._row_high,
            self.costs)
        compared = self.costs.shape[0] == n
        self._spare, self._spare_differs = self.costs, (changed if compared else None)
        self.costs, self._control, self._inputs = costs, control.copy(), inputs
        return costs, ((1.0, 1.0) if highest == -np.inf else (float(lowest), float(highest))) + (changed,)


_NO_ROWS = np.zeros(0, np.int64)


def step_costs_reference(tmap: TheatreMap, control: np.ndarray, own: int, hostile: np.ndarray,
               may_take: np.ndarray, params: MovementRules, base_cost: np.ndarray,
               air_cover: float = 1.0) -> np.ndarray:
    """(n, 6) cost in km of each step to a neighbour for faction ``own``; inf if barred (numpy; the reference).

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
    """Least-cost distance (km-equivalents) from every cell to each target cell (scipy; the reference).

    :class:`RoutePlan` computes the same fields one at a time, when read.

    Returns an array shaped (len(targets), n_cells); unreachable cells are inf.
    """
    from scipy.sparse import csr_matrix  # here: only the references search with scipy
    from scipy.sparse.csgraph import dijkstra

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


class RoutePlan:
    """Today's step costs for one side, and its distance fields toward target cells.

    Each field is searched when first read (a commander reads only some of them),
    with the compiled :func:`~simulation.rules.kernels.dijkstra_field`, and only as
    far as the ``watch`` cells (where the side's units stand) need; a read elsewhere
    searches the whole field. Yesterday's field toward a target is kept when none of
    the cells whose step costs changed overnight was within its search (then no
    distance it found can have changed). Values are those of :func:`distance_fields`.

    Args:
        costs: (n, 6) step costs from :func:`step_costs`.
        targets: the cells fields may be asked toward.
        watch: bool per cell, where the fields will be read.
        previous: yesterday's plan for the same side, whose fields may be kept.
        summary: the smallest and largest finite cost, and the cells whose steps cost
            otherwise in ``previous``, if already worked out (:meth:`StepCosts.today`).
    """

    def __init__(self, tmap: TheatreMap, costs: np.ndarray, targets, watch: np.ndarray,
                 previous: RoutePlan | None = None, summary: tuple[float, float, np.ndarray] | None = None):
        self.tmap, self.costs, self.watch = tmap, costs, watch
        self.targets = np.asarray(targets, dtype=np.int64)
        self._targets = set(self.targets.tolist())
        self._fields: dict[int, tuple[np.ndarray, float]] = {}  # target -> (field, exact up to)
        if summary is None:
            summary = (*kernels.finite_range(costs),
                       kernels.rows_changed(costs, previous.costs) if previous is not None else None)
        self._min_step, self._max_step, changed = summary
        if previous is not None:
            self._keep_unchanged(previous, changed)

    def _keep_unchanged(self, previous: RoutePlan, changed: np.ndarray) -> None:
        """Keep yesterday's fields that no change of step costs (at the cells ``changed``) can have reached."""
        watched = np.flatnonzero(self.watch)
        for target, (field, exact_upto) in previous._fields.items():
            # Compiled: field_still_exact_reference(field, changed, watched, exact_upto).
            if target in self._targets and kernels.field_still_exact(field, changed, watched, exact_upto):
                self._fields[target] = field, exact_upto

    def _field(self, target: int, at) -> np.ndarray:
        """The field toward ``target``, exact at the cell(s) ``at`` and down the routes from them."""
        field, exact_upto = self._fields.get(target, (None, 0.0))
        if field is not None and (exact_upto == np.inf or _all_within(field, at, exact_upto)):
            return field  # known, and exact where it is read
        if target not in self._targets:
            raise KeyError(f"no field toward cell {target} today")
        watch = self.watch if field is None else np.zeros_like(self.watch)  # a miss: search it all
        field = np.empty(self.tmap.n_cells)
        exact_upto = kernels.dijkstra_field(self.tmap.neighbours, self.costs, target, watch, self._min_step,
                                            self._max_step, field)
        self._fields[target] = field, exact_upto
        if not _all_within(field, at, exact_upto):  # read beyond the watched cells' search
            return self._field(target, at)
        return field

    def distance(self, target: int, k: int) -> float:
        """Least cost (km) from cell k to a target cell."""
        return float(self._field(int(target), k)[k])

    def distances(self, targets, cells) -> np.ndarray:
        """Least costs (km) from each of ``cells`` (columns) to each of ``targets`` (rows)."""
        cells = np.asarray(cells, dtype=np.int64)
        out = np.empty((len(targets), cells.size))
        for row, target in zip(out, targets):
            row[:] = self._field(int(target), cells)[cells]
        return out

    def walk(self, target: int, k: int, march_km: float, control: np.ndarray,
             enemy_ground: np.ndarray) -> tuple[int, float, int, float]:
        """March from cell k toward a target for as long as each step leads onto ground that is not the
        enemy's and the march left pays for it.

        Compiled (:func:`~simulation.rules.kernels.walk_down`); the same as :meth:`walk_reference`.

        Args:
            march_km: the movement the unit has, km-equivalents.
            control: faction code per cell.
            enemy_ground: bool per faction code, True for the unit's enemies.

        Returns:
            The cell reached and the march left there; the next step's cell (-1 when there or stuck)
            and its cost.
        """
        target = int(target)
        if target not in self._targets:  # a neighbouring cell, a step away (next_step)
            return self.walk_reference(target, k, march_km, control, enemy_ground)
        while True:
            field = self._field(target, k)  # exact at k (a whole search if a walk got beyond where it was)
            k, march_km, nxt, cost, exact = kernels.walk_down(self.tmap.neighbours, self.costs, field,
                                                              self._fields[target][1], k, march_km, control,
                                                              enemy_ground)
            if exact:
                return k, march_km, nxt, cost

    def walk_reference(self, target: int, k: int, march_km: float, control: np.ndarray,
                       enemy_ground: np.ndarray) -> tuple[int, float, int, float]:
        """:meth:`walk`, one :meth:`next_step` at a time (the reference)."""
        while True:
            nxt, cost = self.next_step(target, k)
            if nxt < 0 or enemy_ground[control[nxt]] or march_km < cost:
                return k, march_km, nxt, cost
            march_km -= cost
            k = nxt

    def next_hop(self, target: int, k: int) -> int:
        """Next cell from k toward a target (-1 when there or stuck); a neighbour is one step."""
        return self.next_step(target, k)[0]

    def next_step(self, target: int, k: int) -> tuple[int, float]:
        """Next cell from k toward a target and the cost of the step there ((-1, inf) when there or stuck)."""
        neighbours, target = self.tmap.neighbours, int(target)
        if target not in self._targets:
            slot = int(np.argmax(neighbours[k] == target)) if target in neighbours[k] else -1
        else:
            slot = kernels.next_slot(neighbours, self.costs, self._field(target, k), k)
        return (int(neighbours[k, slot]), float(self.costs[k, slot])) if slot >= 0 else (-1, np.inf)


def field_still_exact_reference(field: np.ndarray, changed: np.ndarray, watched: np.ndarray,
                                exact_upto: float) -> bool:
    """Whether yesterday's field toward a target holds today (numpy; the reference of
    :func:`~simulation.rules.kernels.field_still_exact`, which :class:`RoutePlan` uses).

    It does if its search reached none of the cells ``changed`` (whose step costs changed
    overnight), and it searched everything or is exact at every cell ``watched`` today.
    The search settled every cell nearer than those it is exact up to, and none of them
    is a changed cell; so every step out of them costs as it did, and a path through a
    changed cell is longer than its search went: no distance it is exact at can have
    changed.
    """
    if np.isfinite(field[changed]).any():
        return False
    return bool(exact_upto == np.inf or (field[watched] <= exact_upto).all())


def _all_within(field: np.ndarray, at, exact_upto: float) -> bool:
    """Whether the field is exact at the cell ``at`` (an int) or at every one of the cells ``at``."""
    if isinstance(at, (int, np.integer)):
        return bool(field[at] <= exact_upto)
    # A commander's few units: Python's max of a list is quicker than numpy's reduction at this size (a
    # field holds no NaN, so the largest is within exactly when all are).
    values = field[at].tolist()
    return not values or max(values) <= exact_upto
