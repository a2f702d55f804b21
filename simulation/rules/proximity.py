"""Which units stand near which: the distances between units that the commanders and air wings weigh each day.

Units stand on cell centres, so these are distances between centres, as
:meth:`~simulation.theatre.TheatreMap.distance_km` measures them. Each question is
asked of a few dozen units at a time, several times a day; each is answered in one
compiled pass over the pairs (:mod:`simulation.rules.kernels`), which computes what
the numpy reference beside it computes, bit for bit.
"""

from __future__ import annotations

import numpy as np

from simulation.rules import kernels
from simulation.theatre import TheatreMap


def weakest_within(tmap: TheatreMap, from_cells, from_strength, cells, worth, reach_km: float,
                   ratio: float) -> np.ndarray:
    """For each unit on ``from_cells`` (``from_strength`` fighters): the index of the weakest of the units
    on ``cells`` (``worth`` each) within ``reach_km`` of it that it outnumbers ``ratio`` to one, or -1.

    The first of equals is taken, as ``numpy.argmin`` takes it (reference: :func:`weakest_within_reference`).
    """
    return kernels.weakest_within(tmap.x_km, tmap.y_km, _cells(from_cells), np.asarray(from_strength, float),
                                  _cells(cells), np.asarray(worth, float), float(reach_km), float(ratio))


def weakest_within_reference(tmap: TheatreMap, from_cells, from_strength, cells, worth, reach_km: float,
                             ratio: float) -> np.ndarray:
    """:func:`weakest_within` with numpy (the reference)."""
    worth = np.asarray(worth, float)
    near = tmap.distance_km(from_cells, cells) <= reach_km
    ok = near & (worth * ratio < np.asarray(from_strength, float)[:, None])
    weakest = np.argmin(np.where(ok, worth, np.inf), axis=1)
    return np.where(ok.any(axis=1), weakest, -1)


def nearest(tmap: TheatreMap, from_cells, cells) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``from_cells``: the index of the nearest of ``cells`` (the first of equals) and how far
    it is, km (reference: :func:`nearest_reference`)."""
    return kernels.nearest_of(tmap.x_km, tmap.y_km, _cells(from_cells), _cells(cells))


def nearest_reference(tmap: TheatreMap, from_cells, cells) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nearest` with numpy (the reference)."""
    dist = tmap.distance_km(from_cells, cells)
    index = np.argmin(dist, axis=1)
    return index, dist[np.arange(len(index)), index]


def summed_within(tmap: TheatreMap, cells, at, values, radius_km: float) -> np.ndarray:
    """For each of ``cells``: the sum of the ``values`` of the units standing ``at`` cells within
    ``radius_km`` of it (e.g. the enemy's fighters near an objective), added in the units' order
    (reference: :func:`summed_within_reference`)."""
    return kernels.summed_within(tmap.x_km, tmap.y_km, _cells(cells), _cells(at), np.asarray(values, float),
                                 float(radius_km))


def summed_within_reference(tmap: TheatreMap, cells, at, values, radius_km: float) -> np.ndarray:
    """:func:`summed_within` with numpy and Python's ``sum`` (the reference)."""
    near = tmap.distance_km(cells, at) <= radius_km
    values = np.asarray(values, float).tolist()
    return np.array([sum(v for v, ok in zip(values, row) if ok) for row in near.tolist()], dtype=float)


def _cells(cells) -> np.ndarray:
    return np.asarray(cells, dtype=np.int64).reshape(-1)
