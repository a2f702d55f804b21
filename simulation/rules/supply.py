"""Supply traced from each faction's sources through the ground it holds.

A cell is supplied when a chain of the faction's own cells links it to one of its
sources. Ground cut off is besieged: units there lose supply day by day (slowly if
supplied by air, as the Deir ez-Zor garrison was for three years) and fight worse.
When a besieged pocket links up with its side again the siege is broken.
"""

from __future__ import annotations

import numpy as np

from simulation.rules import kernels
from simulation.theatre import TheatreMap

_NO_CELLS = np.zeros(0, np.int64)


def held_components(tmap: TheatreMap, control: np.ndarray) -> np.ndarray:
    """Label of the connected piece of one holder's ground each cell belongs to.

    Neighbouring cells with the same holder are linked, so one labelling serves
    every faction: two cells share a label only if the same faction holds a chain
    between them. Compiled (:func:`~simulation.rules.kernels.held_labels`); the same
    labels as :func:`held_components_reference`.
    """
    return kernels.held_labels(tmap.neighbours, control)


def supply_distances_km(tmap: TheatreMap, control: np.ndarray, sources: dict[int, np.ndarray],
                        terrain_cost: np.ndarray) -> dict[int, np.ndarray]:
    """Road distance (km-equivalents) from each cell to its holder's nearest source, per faction.

    Distances run through each faction's own ground; cells next to it (its front)
    get one more step; everything else is inf. Only cells with the same holder are
    linked, so one search from every faction's held sources serves all of them.
    Compiled (:func:`~simulation.rules.kernels.supply_dijkstra`); the same distances as
    :func:`supply_distances_reference`.

    Args:
        control: faction code holding each cell.
        sources: per faction code, the flat indices of its supply sources.
        terrain_cost: cost factor per cell (movement's terrain cost).
    """
    return supply_network(tmap, control, sources, terrain_cost, max(max(sources), int(control.max())) + 1)[0]


def supply_network(tmap: TheatreMap, control: np.ndarray, sources: dict[int, np.ndarray], terrain_cost: np.ndarray,
                   n_factions: int) -> tuple[dict[int, np.ndarray], np.ndarray, np.ndarray]:
    """:func:`supply_distances_km`, and the cells linked to their holder's sources, from one search.

    A cell is linked through its holder's ground to a source its holder holds exactly
    where its road distance on its own ground is finite, so the pieces of ground
    (:func:`held_components`) need not be worked out for it: the same cells as
    :func:`linked_cells_reference`.

    Args:
        n_factions: how many holder codes there are (every code on the map is below it).

    Returns:
        The distances (as :func:`supply_distances_km`); bool per cell, linked (whoever
        holds it); and bool per faction and cell, linked and its (what
        :func:`supply_connected` gives each faction).
    """
    return SupplyLines(tmap, sources, terrain_cost, n_factions).today(control)


class SupplyLines:
    """:func:`supply_network` day after day, each side's roads searched again only when it lost ground.

    A side's road distances run over its own ground from the sources it holds, so they
    stay as they were while it neither gains nor loses a cell, whatever its neighbours
    trade among themselves. A side that only gained ground (most days, the one or two
    taking the insurgent's) can only have shorter roads: its distances are brought down
    from the cells it gained (:func:`~simulation.rules.kernels.supply_dijkstra`). A day
    searches afresh only the sides that lost a cell (on most days the insurgent). The
    same results as :func:`supply_network` of each day's map, to the last bit.
    """

    def __init__(self, tmap: TheatreMap, sources: dict[int, np.ndarray], terrain_cost: np.ndarray, n_factions: int):
        self.tmap, self.sources, self.terrain_cost, self.n_factions = tmap, sources, terrain_cost, n_factions
        self._source_cells, self._source_holders = _source_table(sources)
        self._control: np.ndarray | None = None  # the map of the last call, and its distances
        self._dist = np.full(tmap.n_cells, np.inf)

    def today(self, control: np.ndarray) -> tuple[dict[int, np.ndarray], np.ndarray, np.ndarray]:
        """The distances, the linked cells and each side's linked cells on this map (as :func:`supply_network`).

        Holder codes on the map are below ``n_factions``.
        """
        tmap = self.tmap
        redo = np.ones(self.n_factions, bool)  # per holder code: searched afresh
        grown = np.zeros(self.n_factions, bool)  # per holder code: only gained ground
        gained = _NO_CELLS
        if self._control is not None:
            moved = np.flatnonzero(control != self._control)
            new_holders = control[moved]
            redo[:] = False
            redo[self._control[moved]] = True  # a side that lost ground: some of its roads may be longer
            grown[new_holders] = True
            grown &= ~redo  # a side that only gained: its roads can only be shorter
            gained = moved[grown[new_holders]]
        cells, holders = self._source_cells, self._source_holders
        starts = cells[control[cells] == holders]  # held_sources, unsorted: the search finds the same distances
        dist = kernels.supply_dijkstra(tmap.neighbours, tmap.in_theatre, control, self.terrain_cost, tmap.cell_km,
                                       starts, redo, self._dist, grown, gained)
        fronts = kernels.supply_fronts(tmap.neighbours, tmap.in_theatre, control, dist, max(self.sources) + 1,
                                       tmap.cell_km)
        linked, by_side = kernels.supplied_cells(dist, control, tmap.in_theatre, self.n_factions)
        self._control, self._dist = control.copy(), dist
        return {f: fronts[f] for f in self.sources}, linked, by_side


def held_sources(control: np.ndarray, sources: dict[int, np.ndarray]) -> np.ndarray:
    """Every faction's supply sources that it holds, sorted."""
    cells, holders = _source_table(sources)
    return np.unique(cells[control[cells] == holders])


def _source_table(sources: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every supply source's cell, and the faction whose source it is, in two flat arrays."""
    cells = [np.asarray(c, dtype=np.int64).reshape(-1) for c in sources.values()]
    holders = [np.full(c.size, f, dtype=np.int64) for f, c in zip(sources, cells)]
    return (np.concatenate(cells), np.concatenate(holders)) if cells else (np.zeros(0, np.int64),) * 2


def _with_fronts(tmap: TheatreMap, control: np.ndarray, sources, dist: np.ndarray) -> dict[int, np.ndarray]:
    """Per faction: the distance on its own ground, one step more on the cells next to it, else inf."""
    columns = np.ascontiguousarray(tmap.neighbours.T)  # six rows of n: fast to reduce over
    valid = columns >= 0
    safe = np.where(valid, columns, 0)
    out = {}
    for f in sources:
        held = tmap.in_theatre & (control == f)
        own = np.where(held, dist, np.inf)
        front = np.where(valid, own[safe], np.inf).min(axis=0) + tmap.cell_km
        out[f] = np.where(held, own, front)
    return out


def held_components_reference(tmap: TheatreMap, control: np.ndarray) -> np.ndarray:
    """Label of the connected piece of one holder's ground each cell belongs to (scipy; the reference).

    Neighbouring cells with the same holder are linked, so one labelling serves
    every faction: two cells share a label only if the same faction holds a chain
    between them.
    """
    from scipy.sparse import csr_matrix  # here: only the references search with scipy
    from scipy.sparse.csgraph import connected_components

    nb = tmap.neighbours
    src, slot = np.nonzero(nb >= 0)
    dst = nb[src, slot]
    keep = control[src] == control[dst]
    graph = csr_matrix((np.ones(keep.sum(), dtype=np.int8), (src[keep], dst[keep])),
                       shape=(tmap.n_cells, tmap.n_cells))
    _, labels = connected_components(graph, directed=False)
    return labels


def supply_distances_reference(tmap: TheatreMap, control: np.ndarray, sources: dict[int, np.ndarray],
                               terrain_cost: np.ndarray) -> dict[int, np.ndarray]:
    """Road distance (km-equivalents) from each cell to its holder's nearest source, per faction (scipy; the reference).

    Distances run through each faction's own ground; cells next to it (its front)
    get one more step; everything else is inf. Only cells with the same holder are
    linked, so one Dijkstra from every faction's held sources serves all of them.

    Args:
        control: faction code holding each cell.
        sources: per faction code, the flat indices of its supply sources.
        terrain_cost: cost factor per cell (movement's terrain cost).
    """
    from scipy.sparse import csr_matrix  # here: only the references search with scipy
    from scipy.sparse.csgraph import dijkstra

    nb = tmap.neighbours
    src, slot = np.nonzero(nb >= 0)
    dst = nb[src, slot]
    keep = (control[src] == control[dst]) & tmap.in_theatre[src] & tmap.in_theatre[dst]
    cost = 0.5 * (terrain_cost[src[keep]] + terrain_cost[dst[keep]]) * tmap.cell_km
    graph = csr_matrix((cost, (src[keep], dst[keep])), shape=(tmap.n_cells, tmap.n_cells))
    starts = held_sources(control, sources)
    dist = (dijkstra(graph, directed=False, indices=starts, min_only=True) if starts.size
            else np.full(tmap.n_cells, np.inf))
    return _with_fronts(tmap, control, sources, dist)


def logistics_tempo(distance_km: np.ndarray, reach_km: float, cut_off_reaches: float) -> np.ndarray:
    """Share of full speed a force keeps this far from its supply sources.

    Half speed at ``reach_km``; ground cut off from every source counts as
    ``cut_off_reaches`` reaches away (three: a quarter speed), so besieged garrisons
    can still sortie.

    ``distance_km`` is an array, or one cell's distance as a float (a march asks a
    cell at a time), worked out in Python's floats: the same operations, so the same bits.
    """
    if isinstance(distance_km, float):
        return 1.0 / (1.0 + min(distance_km, cut_off_reaches * reach_km) / reach_km)
    return 1.0 / (1.0 + np.minimum(distance_km, cut_off_reaches * reach_km) / reach_km)


def linked_cells_reference(tmap: TheatreMap, labels: np.ndarray, control: np.ndarray, starts: np.ndarray,
                           n_factions: int) -> tuple[np.ndarray, np.ndarray]:
    """The cells linked to their holder's sources, as :func:`supply_network` finds them (numpy; the reference).

    Args:
        labels: the pieces of ground from :func:`held_components`.
        starts: every faction's supply sources that it holds (:func:`held_sources`).
    """
    linked = np.zeros(labels.size, bool)
    linked[labels[starts]] = True
    linked = tmap.in_theatre & linked[labels]
    return linked, np.stack([linked & (control == f) for f in range(n_factions)])


def supply_connected(labels: np.ndarray, held: np.ndarray, source_cells: np.ndarray) -> np.ndarray:
    """Cells of a faction's ground (``held``) linked to any of its sources it holds."""
    source_cells = np.asarray(source_cells, dtype=np.int64)
    linked = np.zeros(labels.max() + 2, bool)  # by label + 1, so that -1 (not held) is never linked
    linked[labels[source_cells[held[source_cells]]] + 1] = True
    return held & linked[labels + 1]


def pockets_relieved(was_besieged: np.ndarray, was_labels: np.ndarray, supplied: np.ndarray) -> list[np.ndarray]:
    """Pockets besieged yesterday with any cell supplied today: one cell array per pocket."""
    relieved = was_besieged & supplied
    return [np.flatnonzero(was_besieged & (was_labels == lab)) for lab in np.unique(was_labels[relieved])]


def pockets_formed(was_supplied: np.ndarray, besieged: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """Pockets besieged today that held cells supplied yesterday: one cell array per pocket."""
    cut = besieged & was_supplied
    return [np.flatnonzero(besieged & (labels == lab)) for lab in np.unique(labels[cut])]


def update_supply(supply: np.ndarray, connected: np.ndarray, air_supplied: np.ndarray,
                  decay: float, air_decay: float, recovery: float) -> np.ndarray:
    """Units' supply level (0-1) after a day connected or cut off."""
    cut_rate = np.where(air_supplied, air_decay, decay)
    return np.clip(np.where(connected, supply + recovery, supply - cut_rate), 0.0, 1.0)


def starvation_losses(strengths: np.ndarray, supply: np.ndarray, attrition_per_day: float) -> np.ndarray:
    """Fighters each unit loses today when cut off with no supply left: a share of its strength."""
    return np.where(np.asarray(supply) <= 0.0, np.asarray(strengths, dtype=float) * attrition_per_day, 0.0)
