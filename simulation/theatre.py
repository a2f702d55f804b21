"""The hex grid laid over the theatre, and its fixed per-cell layers.

Cells are indexed two ways: Mesa's ``(col, row)`` coordinate, and a flat index
``k = col * height + row`` (C order of a ``(width, height)`` array, the layout of
Mesa's property layers) used by every vectorised rule. Centres follow Mesa's
``HexGrid`` neighbour layout ("odd rows shifted left"):
``x = d * (col - 0.5 * (row % 2))``, ``y = d * sqrt(3)/2 * row`` in km of the
equal-area projection, where ``d`` is the cell size (centre to centre).
Mesa's own ``cell.position`` is not used for geography (mesa#2631).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import shapely
from shapely.geometry import LineString, Point, box
from shapely.ops import split

from simulation.geography import Geography, load_geography, project, project_geometry, unproject

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

SQRT3 = np.sqrt(3.0)
# A cell's six corners (at 30, 90, ..., 330 degrees from its centre), in steps of the lattice of corners:
# half a cell across (cell_km / 2) east, and a quarter of the cell's height (cell_km / (2 sqrt 3)) north.
CORNER_STEPS = (np.array([1, 0, -1, -1, 0, 1]), np.array([1, 2, 1, -1, -2, -1]))

# Rural population density (people per km2) away from the named places. Assumption:
# the Euphrates/Khabur/Tigris valleys hold most of the rural population; the steppe
# and desert very little. Named places carry their own pre-war populations.
RURAL_DENSITY_VALLEY = 100.0
RURAL_DENSITY_STEPPE = 6.0
# A cell is river valley if its centre lies this close to a river (km), or within
# 0.6 of a cell, whichever is larger (so that the valley is continuous on any grid).
VALLEY_HALF_WIDTH_KM = 6.0
# Places with at least this many people make their cell urban terrain.
URBAN_MIN_POPULATION = 30_000
# A rural cell takes the majority community of the nearest place within this range.
COMMUNITY_REACH_KM = 60.0


class Terrain(IntEnum):
    """Terrain of a cell, as it matters for movement and combat."""

    DESERT = 0
    RIVER_VALLEY = 1
    URBAN = 2


class Community(IntEnum):
    """Majority community of a cell's population."""

    ARAB = 0
    KURDISH = 1
    MIXED = 2


class Country(IntEnum):
    """Country of a cell; NONE for grid cells outside the theatre."""

    NONE = 0
    SYRIA = 1
    IRAQ = 2


@dataclass(frozen=True, eq=False)
class TheatreMap:
    """Fixed per-cell arrays of the theatre at one cell size (flat index ``k``)."""

    cell_km: float
    width: int
    height: int
    x_km: np.ndarray
    y_km: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    in_theatre: np.ndarray  # bool
    country: np.ndarray  # int8, Country
    governorate: np.ndarray  # int16 index into governorate_names, -1 outside
    governorate_names: tuple[str, ...]
    terrain: np.ndarray  # int8, Terrain
    population: np.ndarray  # float, people
    community: np.ndarray  # int8, Community
    bank: np.ndarray  # int8: +1 north/east of the Euphrates, -1 south/west
    place: np.ndarray  # int16 index into geography.places of the largest place, -1 none
    place_cell: dict[str, int]  # place name -> flat cell index
    cell_area_km2: np.ndarray  # float; 0 outside the theatre
    neighbours: np.ndarray  # (n, 6) int32, -1 where none or outside the theatre
    crosses_river: np.ndarray  # (n, 6) bool: the step to that neighbour crosses a river
    geography: Geography

    @property
    def n_cells(self) -> int:
        """Number of grid cells (inside the theatre or not)."""
        return self.width * self.height

    @property
    def hex_area_km2(self) -> float:
        """Area of one hex cell, km2."""
        return SQRT3 / 2.0 * self.cell_km**2

    @property
    def theatre_area_km2(self) -> float:
        """Total area of the theatre's cells, km2."""
        return float(self.cell_area_km2.sum())

    def coordinate(self, k: int) -> tuple[int, int]:
        """Mesa ``(col, row)`` of flat index ``k``."""
        return int(k) // self.height, int(k) % self.height

    def slot(self, k: int, neighbour: int) -> int:
        """Which of cell k's six neighbour slots holds ``neighbour``."""
        return self.neighbours[k].tolist().index(neighbour)

    def nearest_cell(self, lon: float, lat: float, country: Country | None = None) -> int:
        """Flat index of the theatre cell nearest to a point (optionally in one country)."""
        x, y = project(lon, lat)
        mask = self.in_theatre if country is None else self.in_theatre & (self.country == country)
        d2 = np.where(mask, (self.x_km - x) ** 2 + (self.y_km - y) ** 2, np.inf)
        return int(np.argmin(d2))

    def distance_km(self, a, b) -> np.ndarray:
        """Distances (km) between the centres of cells ``a`` and ``b``, shaped (len(a), len(b))."""
        a, b = np.atleast_1d(a), np.atleast_1d(b)
        return np.hypot(self.x_km[a, None] - self.x_km[None, b], self.y_km[a, None] - self.y_km[None, b])

    def side_of_line(self, line_lonlat: LineString) -> np.ndarray:
        """+1 for cells on the north-east side of a line across the theatre, -1 otherwise."""
        return _side_of_line(self, line_lonlat)

    def within(self, radius_km: float) -> Reach:
        """The theatre cells within ``radius_km`` of each theatre cell (a :class:`Reach`).

        Worked out once per theatre and radius and shared by every model on it: do not change it.
        """
        return _within(self, float(radius_km))

    def hex_vertices(self, k) -> tuple[np.ndarray, np.ndarray]:
        """Lon/lat of the six corners of cells ``k`` (arrays shaped (len(k), 6)), anticlockwise from the
        east-north-east one.

        Each corner is worked out from its place on the grid's lattice of corners (see
        :data:`CORNER_STEPS`), so a corner that neighbouring cells share is the same two
        numbers in each: the cells tile the theatre exactly, as a coverage (their union
        dissolves along shared edges, :func:`~simulation.export.control_geojson`).
        """
        col, row = np.divmod(np.atleast_1d(k), self.height)  # k = col * height + row (theatre_map)
        across, up = CORNER_STEPS
        # Cell (col, row) is centred cell_km * (col - row % 2 / 2) east and cell_km * sqrt(3) / 2 * row north
        # of the first cell (0, 0): in lattice steps, 2 * col - row % 2 and 3 * row.
        x = self.x_km[0] + self.cell_km / 2 * ((2 * col - row % 2)[:, None] + across)
        y = self.y_km[0] + self.cell_km / (2 * SQRT3) * ((3 * row)[:, None] + up)
        return unproject(x, y)


class Reach(NamedTuple):
    """Which cells lie within a radius of each cell: the rows of a sparse 0/1 (n, n) matrix in scipy's
    CSR layout (cell k's are ``indices[indptr[k]:indptr[k + 1]]``, ascending), held as its two arrays.

    The rules and kernels read only the arrays, so a run does not load scipy (0.1 s);
    :meth:`matrix` gives the same matrix as ``scipy.sparse.csr_matrix``.
    """

    indptr: np.ndarray  # int32, n + 1
    indices: np.ndarray  # int32

    @property
    def shape(self) -> tuple[int, int]:
        return self.indptr.size - 1, self.indptr.size - 1

    def matrix(self) -> csr_matrix:
        """The reach as a scipy sparse matrix of ones."""
        from scipy.sparse import csr_matrix

        return csr_matrix((np.ones(self.indices.size), self.indices, self.indptr), shape=self.shape)


def reached_from(reach: Reach, mask: np.ndarray) -> np.ndarray:
    """Bool per cell: linked by ``reach`` (symmetric, as :meth:`TheatreMap.within`) to a cell in ``mask``.

    The same as ``(reach.matrix() @ mask) > 0``, but it reads only the rows of the cells in the
    mask, so it costs in proportion to them rather than to the whole theatre (the
    insurgent's shrinking ground, a short front).
    """
    out = np.zeros(mask.size, bool)
    out[_linked(reach, np.flatnonzero(mask))[0]] = True
    return out


def summed_from(reach: Reach, values: np.ndarray) -> np.ndarray:
    """Per cell, the sum of ``values`` over the cells ``reach`` links to it (a symmetric 0/1 matrix, as
    :meth:`TheatreMap.within` gives).

    The same as ``reach.matrix() @ values``, bit for bit where the matrix's rows hold their
    columns in ascending order (``within``'s do) and no value is negative: each cell's
    sum adds the same values in the same order, from the cells with a value only (a
    few dozen units' cells, not the whole theatre).
    """
    sources = np.flatnonzero(values)
    linked, lengths = _linked(reach, sources)
    return np.bincount(linked, weights=np.repeat(values[sources], lengths), minlength=values.size)


def _linked(reach: Reach, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The columns of ``rows`` of a sparse matrix, one row after another, and how many each row has."""
    starts, ends = reach.indptr[rows], reach.indptr[rows + 1]
    lengths = ends - starts
    take = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    return reach.indices[take], lengths


@lru_cache(maxsize=32)
def _within(tmap: TheatreMap, radius_km: float) -> Reach:
    """See :meth:`TheatreMap.within`."""
    rows, cols = within_pairs(tmap, radius_km)
    order = np.lexsort((cols, rows))  # by row, then column: the layout scipy gives the same pairs
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=tmap.n_cells))])
    return Reach(indptr.astype(np.int32), cols[order].astype(np.int32))


def within_pairs(tmap: TheatreMap, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Every (cell, cell within ``radius_km`` of it) pair of theatre cells, as two arrays, each pair once."""
    k = np.flatnonzero(tmap.in_theatre)
    reach = int(np.ceil(radius_km / tmap.cell_km)) + 1
    rows, cols = [], []
    # Offsets in the (col, row) lattice wide enough to cover the radius; distance decides.
    col, row = np.divmod(k, tmap.height)
    for dc in range(-reach, reach + 1):
        for dr in range(-reach, reach + 1):
            c, r = col + dc, row + dr
            ok = (c >= 0) & (c < tmap.width) & (r >= 0) & (r < tmap.height)
            j = np.where(ok, c * tmap.height + r, 0)
            ok &= tmap.in_theatre[j]
            ok &= np.hypot(tmap.x_km[j] - tmap.x_km[k], tmap.y_km[j] - tmap.y_km[k]) <= radius_km
            rows.append(k[ok])
            cols.append(j[ok])
    return np.concatenate(rows), np.concatenate(cols)


def neighbour_offsets(row: int) -> list[tuple[int, int]]:
    """Mesa HexGrid's neighbour offsets ``(dcol, drow)`` for a cell in ``row``."""
    if row % 2:
        return [(-1, -1), (0, -1), (-1, 0), (1, 0), (-1, 1), (0, 1)]
    return [(0, -1), (1, -1), (-1, 0), (1, 0), (0, 1), (1, 1)]


def theatre_for(scenario, cell_km: float | None = None) -> TheatreMap:
    """The theatre a model of ``scenario`` stands on at ``cell_km`` (default the scenario's): one
    :class:`TheatreMap` per cell size and process, shared by every model."""
    return theatre_map(float(cell_km or scenario.cell_km))


@lru_cache(maxsize=8)
def theatre_map(cell_km: float = 10.0) -> TheatreMap:
    """Build (once per cell size) the fixed layers of the theatre grid."""
    if not 2.0 <= cell_km <= 50.0:
        raise ValueError(f"cell size must be between 2 and 50 km, got {cell_km}")
    geo = load_geography()
    outline = project_geometry(geo.theatre_outline)
    xmin, ymin, xmax, ymax = outline.bounds
    d = float(cell_km)
    width = int(np.ceil((xmax - xmin) / d)) + 2
    height = int(np.ceil((ymax - ymin) / (d * SQRT3 / 2))) + 2
    col, row = np.meshgrid(np.arange(width), np.arange(height), indexing="ij")
    col, row = col.ravel(), row.ravel()
    x = xmin - d / 2 + d * (col - 0.5 * (row % 2))
    y = ymin - d / 2 + d * SQRT3 / 2 * row
    lon, lat = unproject(x, y)

    names = tuple(geo.governorates)
    governorate = np.full(col.size, -1, dtype=np.int16)
    for i, name in enumerate(names):
        inside = shapely.contains_xy(outline.intersection(project_geometry(geo.governorates[name])), x, y)
        governorate[inside & (governorate < 0)] = i
    in_theatre = governorate >= 0
    country = np.zeros(col.size, dtype=np.int8)
    for i, name in enumerate(names):
        country[governorate == i] = Country.SYRIA if geo.countries[name] == "Syria" else Country.IRAQ

    neighbours = _neighbours(width, height, in_theatre)
    rivers = shapely.union_all([project_geometry(r) for r in geo.rivers.values()])
    shapely.prepare(rivers)
    river_km = shapely.distance(shapely.points(x, y), rivers)
    # A step is one cell long, so only steps from a cell within a cell of a river can
    # cross one: testing just those builds a tenth of the segments.
    src, slot = np.nonzero((neighbours >= 0) & (river_km <= d)[:, None])
    dst = neighbours[src, slot]
    segments = shapely.linestrings(np.stack([np.column_stack([x[src], y[src]]),
                                             np.column_stack([x[dst], y[dst]])], axis=1))
    crosses_river = np.zeros(neighbours.shape, dtype=bool)
    crosses_river[src, slot] = shapely.intersects(segments, rivers)

    valley = in_theatre & (river_km <= max(VALLEY_HALF_WIDTH_KM, 0.6 * d))
    place_cell, place, population = _place_layers(geo, x, y, in_theatre, country, d)
    terrain = np.where(valley, Terrain.RIVER_VALLEY, Terrain.DESERT).astype(np.int8)
    urban_places = [i for i, p in enumerate(geo.places) if p.population >= URBAN_MIN_POPULATION]
    terrain[[place_cell[geo.places[i].name] for i in urban_places]] = Terrain.URBAN
    cell_area = np.where(in_theatre, SQRT3 / 2 * d * d, 0.0)
    rural_density = np.where(valley, RURAL_DENSITY_VALLEY, RURAL_DENSITY_STEPPE)
    population = population + np.where(in_theatre, rural_density * cell_area, 0.0)

    tmap = TheatreMap(
        cell_km=d, width=width, height=height, x_km=x, y_km=y, lon=lon, lat=lat,
        in_theatre=in_theatre, country=country, governorate=governorate,
        governorate_names=names, terrain=terrain, population=population,
        community=_community(geo, x, y, in_theatre), bank=np.zeros(col.size, np.int8),
        place=place, place_cell=place_cell, cell_area_km2=cell_area, neighbours=neighbours,
        crosses_river=crosses_river, geography=geo,
    )
    tmap.bank[:] = _side_of_line(tmap, geo.rivers["Euphrates"])
    for arr in (x, y, lon, lat, in_theatre, country, governorate, terrain, population,
                tmap.community, tmap.bank, place, cell_area, neighbours, crosses_river):
        arr.setflags(write=False)  # shared between models through the cache
    return tmap


def _neighbours(width: int, height: int, in_theatre: np.ndarray) -> np.ndarray:
    """(n, 6) flat indices of each theatre cell's neighbours, -1 where none."""
    col, row = np.divmod(np.arange(width * height), height)
    out = np.full((width * height, 6), -1, dtype=np.int32)
    for parity in (0, 1):
        sel = (row % 2) == parity
        for j, (dc, dr) in enumerate(neighbour_offsets(parity)):
            c, r = col[sel] + dc, row[sel] + dr
            ok = (c >= 0) & (c < width) & (r >= 0) & (r < height)
            k = np.where(ok, c * height + r, -1)
            k[ok] = np.where(in_theatre[k[ok]], k[ok], -1)
            out[np.flatnonzero(sel), j] = k
    out[~in_theatre] = -1
    return out


def _place_layers(geo, x, y, in_theatre, country, d):
    """Cell of each place (nearest theatre cell of its own country), and per-cell layers."""
    place = np.full(x.size, -1, dtype=np.int16)
    population = np.zeros(x.size)
    place_cell: dict[str, int] = {}
    best_pop = np.full(x.size, -1.0)
    for i, p in enumerate(geo.places):
        px, py = project(p.lon, p.lat)
        code = Country.SYRIA if p.country == "Syria" else Country.IRAQ
        d2 = np.where(in_theatre & (country == code), (x - px) ** 2 + (y - py) ** 2, np.inf)
        k = int(np.argmin(d2))
        place_cell[p.name] = k
        population[k] += p.population
        if p.population > best_pop[k]:
            best_pop[k], place[k] = p.population, i
    return place_cell, place, population


def _community(geo, x, y, in_theatre) -> np.ndarray:
    """Majority community of each cell: that of the nearest populated place in reach."""
    populated = [p for p in geo.places if p.population > 0]
    px, py = project(np.array([p.lon for p in populated]), np.array([p.lat for p in populated]))
    d2 = (x[:, None] - px[None, :]) ** 2 + (y[:, None] - py[None, :]) ** 2
    nearest = np.argmin(d2, axis=1)
    codes = np.array([Community[p.community.upper()] for p in populated], dtype=np.int8)
    in_reach = d2[np.arange(x.size), nearest] <= COMMUNITY_REACH_KM**2
    return np.where(in_theatre & in_reach, codes[nearest], Community.ARAB).astype(np.int8)


def _side_of_line(tmap: TheatreMap, line_lonlat: LineString) -> np.ndarray:
    """+1 north-east of a line that crosses the theatre, -1 south-west.

    The line is extended straight past both ends until it leaves the theatre's
    box, then splits the box in two; the half holding the theatre's north-east
    corner is +1.
    """
    line = project_geometry(line_lonlat)
    coords = np.asarray(line.coords)
    far = 5000.0

    def extend(p, q):  # from q through p, on past p
        v = p - q
        return p + far * v / np.linalg.norm(v)

    coords = np.vstack([extend(coords[0], coords[1]), coords, extend(coords[-1], coords[-2])])
    pad = far / 5  # the extended line runs right through this box
    bx = box(tmap.x_km.min() - pad, tmap.y_km.min() - pad, tmap.x_km.max() + pad, tmap.y_km.max() + pad)
    halves = list(split(bx, LineString(coords)).geoms)
    if len(halves) < 2:
        raise ValueError("the line does not divide the theatre in two")
    ne = Point(*project(44.5, 37.4))
    ne_half = max(halves, key=lambda h: -h.distance(ne))
    side = np.where(shapely.contains_xy(ne_half, tmap.x_km, tmap.y_km), 1, -1).astype(np.int8)
    # A town's cell takes the town's side, though the cell's centre may lie across
    # the river from it (Raqqa is on the north bank, 2 km from the water).
    for p in tmap.geography.places:
        side[tmap.place_cell[p.name]] = 1 if ne_half.contains(Point(*project(p.lon, p.lat))) else -1
    return side
