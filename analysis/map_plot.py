"""The map of control on a day: who holds each hex, the borders, rivers, towns, and what each mark means.

Drawn in lon/lat degrees with the aspect true at 35°N. Ground outside the theatre
(neighbouring countries, Hama governorate's wedge between Aleppo, Raqqa and Homs)
has a neutral fill named in the legend. Place labels are placed greedily, the most
important first, each where it overlaps no label, marker or the scale bar; a label
that finds no room is left out. Governorate names follow, where they fit.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
import shapely.ops
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import Bbox

from analysis.figure_inputs import besieged_cells, map_title
from analysis.plot_style import (FACTION_COLOURS, LABEL_MIN_POPULATION, LABELLED_ROLES, RIVER_COLOUR,
                                 renderer_of, save_figure)
from simulation.factions import Faction
from simulation.geography import EARTH_RADIUS_KM

MAP_LATITUDE = 35.0  # the map's aspect is true here
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0
OUTSIDE_COLOUR = "#e4e1d9"  # ground outside the theatre: not modelled
HEX_ALPHA = 0.75  # factions' colours are this strong over white
BORDER_COLOUR = "0.45"
COUNTRY_BORDER_COLOUR = "0.12"
COUNTRY_BORDER_DASHES = (0, (7, 2, 1.5, 2))
BESIEGED_HATCH = "////"
SCALE_BAR_KM = 100
SITE_ROLES = ("airbase", "dam", "oil_field", "gas_field", "border_crossing")  # labelled in this order
# Label positions tried around a place's marker, points: NE, SE, NW, SW, E, W, N, S, then farther out.
LABEL_OFFSETS = ((3, 2), (3, -2), (-3, 2), (-3, -2), (4, 0), (-4, 0), (0, 4), (0, -4),
                 (6, 7), (6, -7), (-6, 7), (-6, -7))
LABEL_PAD_PX = 1.5  # clearance kept round each label (its white box's pad)
MARKER_HALF_PX = 3.0
MAP_WIDTH_IN = 9.0  # the map's own width; its height follows from the aspect
MAP_MARGINS_IN = (0.75, 2.95, 0.55, 0.4)  # left (latitudes), right (legend), bottom (longitudes), top (title)
# Ground beyond the theatre that the map shows, named where it shows: lon, lat inside it.
NEIGHBOURS = (("HAMA", 37.72, 35.27), ("TURKEY", 39.05, 37.15))


def plot_control_map(tmap, control, path=None, title: str | None = None, places=None,
                     besieged=None) -> Figure:
    """Map of the theatre's hex cells coloured by the faction holding each.

    Args:
        tmap: the :class:`~simulation.theatre.TheatreMap` of the run.
        control: flat int array of faction codes per cell (``model.control``).
        path: where to save a PNG; not saved if None.
        title: figure title; a default one if None.
        places: names of places to mark and label; default every place of at
            least 40,000 people and every airbase, oil or gas field, dam and
            border crossing.
        besieged: flat bool mask of cells cut off from their holder's supply
            (:func:`analysis.figure_inputs.besieged_cells`), hatched; none if None.

    Returns:
        The Figure, in lon/lat degrees with a 1/cos(35°) aspect (near-true shape).
        Place labels carry the gid ``place``, governorate names ``governorate``, the
        scale bar's text ``scale-bar``.
    """
    return ControlMap(tmap, places).draw(control, path, title, besieged)


class ControlMap:
    """The control map laid out before the day is known: everything but the holders' colours.

    The hexes, borders, rivers, scale bar, places and names stay the same from day to day
    and cost most of the layout (each label is measured and placed); :meth:`draw` colours
    the hexes for a day, hatches its besieged cells, adds the legend and title, and saves.
    ``run.py``'s plot helper lays the map out while the model runs. The same figure as
    :func:`plot_control_map` draws, to the byte.

    Args:
        tmap, places: as for :func:`plot_control_map`.
    """

    def __init__(self, tmap, places=None):
        self.tmap, self.every_place = tmap, places is None
        self.cells = np.flatnonzero(tmap.in_theatre)
        self.fig = Figure(dpi=120)
        self.ax = ax = self.fig.add_subplot()
        ax.set_facecolor(OUTSIDE_COLOUR)
        self.hexes = _draw_cells(ax, tmap, self.cells)
        self._hatch = None
        geo = tmap.geography
        _draw_lines(ax, geo)
        _frame(ax, tmap, self.cells)
        renderer = renderer_of(self.fig)
        room = Room(ax.bbox)
        room.take(_scale_bar(ax, renderer))
        self.shown = _label_places(ax, renderer, _labelled_places(geo, places), room)
        _name_governorates(ax, renderer, geo, room)
        _name_neighbours(ax, renderer, geo, room)
        ax.set_xlabel("longitude (°E)")
        ax.set_ylabel("latitude (°N)")

    def draw(self, control, path=None, title: str | None = None, besieged=None) -> Figure:
        """The map of a day's ``control`` (and ``besieged`` cells), saved to ``path`` if given; as
        :func:`plot_control_map`. Drawn again for another day, it replaces the last one's."""
        ax = self.ax
        holder = np.asarray(control).reshape(-1)[self.cells]
        colours = cell_palette()[holder]  # four colours converted, not one per cell
        self.hexes.set_facecolor(colours)
        self.hexes.set_edgecolor(colours)
        if self._hatch is not None:
            self._hatch.remove()
        # Hatched after the layout, drawn just over the hexes all the same: the two alone are drawn at
        # matplotlib's default level for collections (zorder 1), in the order they were added.
        self._hatch = None if besieged is None else _draw_besieged(ax, self.tmap, np.asarray(besieged, dtype=bool))
        _legend(ax, sorted(set(holder.tolist())), self._hatch is not None, self.shown, every_place=self.every_place)
        ax.set_title(title or "Control of the theatre")
        return save_figure(self.fig, path, crop=False)  # sized to fit: see _frame


def plot_map(model, day=None, path=None, title: str | None = None, places=None) -> Figure:
    """The control map of a run on any day it has reached, with borders, rivers and places.

    Args:
        model: a :class:`~simulation.model.ConflictModel`.
        day: days since the start (0 = the start date), a date, or an ISO date string
            (``"2017-09-05"``); default the model's current day.
        path: where to save a PNG; not saved if None.
        title: figure title; default ``Control on 14 Jul 2017 (day 10) · The battle for
            Raqqa, from 4 Jul · seed 1``.
        places: names of places to label; default the large and strategic ones.

    Returns:
        The Figure (as :func:`plot_control_map`), the day's besieged cells hatched.
    """
    from simulation.records import day_of  # (the model's module: Mesa; drawing a run's plots needs neither)

    step = model.steps if day is None else model.step_of(day)
    control = model.control_on(step)
    date = day_of(model.spec.start, step)
    title = title or map_title(date, model.spec.name, getattr(model, "seed", None), model.spec.start, day=step)
    return plot_control_map(model.theatre, control, path=path, places=places, title=title,
                            besieged=besieged_cells(model, step))


def cell_palette() -> np.ndarray:
    """RGBA rows, one per faction code, of the cells' colours: each faction's at 75% over white, made opaque.

    Opaque, so the neutral fill of the ground outside the theatre shows nowhere inside it
    and a cell reads the same on any background (a film's frames use these too).
    """
    palette = to_rgba_array([FACTION_COLOURS[f.name] for f in Faction])
    palette[:, :3] = HEX_ALPHA * palette[:, :3] + (1.0 - HEX_ALPHA)
    return palette


def _draw_cells(ax, tmap, cells: np.ndarray) -> PolyCollection:
    """Every theatre hex, to be coloured by its holder (:func:`cell_palette`); the collection's gid is ``cells``."""
    lon, lat = tmap.hex_vertices(cells)
    return ax.add_collection(PolyCollection(np.stack([lon, lat], axis=-1), linewidths=0.2, gid="cells"))


def _hatch_colour(colour) -> dict:
    """Keyword for a hatch's colour where matplotlib takes one (3.10 on); before, a collection hatches in black."""
    return {"hatchcolor": colour} if hasattr(PolyCollection, "set_hatchcolor") else {}


def _draw_besieged(ax, tmap, besieged: np.ndarray) -> PolyCollection | None:
    """Hatch the cells cut off from their holder's supply; the hatching, or None if there were none."""
    cells = np.flatnonzero(besieged.reshape(-1) & tmap.in_theatre)
    if cells.size == 0:
        return None
    lon, lat = tmap.hex_vertices(cells)
    return ax.add_collection(PolyCollection(np.stack([lon, lat], axis=-1), facecolors="none", edgecolors="white",
                                            linewidths=0.0, hatch=BESIEGED_HATCH, **_hatch_colour("white")))


def _lines(geoms) -> list[np.ndarray]:
    """Lon/lat coordinate arrays of every line part of some geometries (points dropped)."""
    parts = shapely.get_parts(shapely.get_parts(np.asarray(geoms, dtype=object)))
    return [shapely.get_coordinates(p) for p in parts
            if shapely.get_type_id(p) in (1, 2) and shapely.get_num_coordinates(p) > 1]


def country_borders(geo) -> list[np.ndarray]:
    """Lon/lat lines of the border between the theatre's countries (Syria and Iraq): where their governorates meet."""
    by_country: dict[str, list] = {}
    for name, polygon in geo.governorates.items():
        by_country.setdefault(geo.countries[name], []).append(polygon)
    edges = [shapely.union_all(p).boundary for p in by_country.values()]
    return [line for i, a in enumerate(edges) for b in edges[i + 1:] for line in _lines([a.intersection(b)])]


def _draw_lines(ax, geo) -> None:
    """Governorate borders, the Syria-Iraq border over them, and the rivers."""
    borders = _lines(shapely.boundary(list(geo.governorates.values())))
    ax.add_collection(LineCollection(borders, colors=BORDER_COLOUR, linewidths=0.6, zorder=2))
    ax.add_collection(LineCollection(country_borders(geo), colors=COUNTRY_BORDER_COLOUR,
                                     linewidths=1.3, linestyles=[COUNTRY_BORDER_DASHES], zorder=2.1))
    ax.add_collection(LineCollection(_lines(list(geo.rivers.values())), colors=RIVER_COLOUR, linewidths=1.2,
                                     zorder=2.2))


def _frame(ax, tmap, cells: np.ndarray) -> None:
    """Axis limits round every hex's full extent with a margin, the aspect true at 35°N, and the figure sized to fit.

    The map is :data:`MAP_WIDTH_IN` wide and as tall as its aspect makes it; the figure
    adds fixed margins for the title, the axis labels and the legend on the right, so it
    needs no cropping when saved (nothing is drawn twice). The axes box is final from
    here: display extents can be measured.
    """
    lon, lat = tmap.hex_vertices(cells)
    margin = max(0.08, tmap.cell_km / KM_PER_DEGREE)
    ax.set_xlim(lon.min() - margin, lon.max() + margin)
    ax.set_ylim(lat.min() - margin, lat.max() + margin)
    aspect = 1.0 / math.cos(math.radians(MAP_LATITUDE))
    ax.set_aspect(aspect)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    height = MAP_WIDTH_IN * aspect * (y1 - y0) / (x1 - x0)
    left, right, bottom, top = MAP_MARGINS_IN
    width_in, height_in = left + MAP_WIDTH_IN + right, bottom + height + top
    ax.figure.set_size_inches(width_in, height_in)
    ax.set_position([left / width_in, bottom / height_in, MAP_WIDTH_IN / width_in, height / height_in])
    ax.apply_aspect()


def _scale_bar(ax, renderer) -> Bbox:
    """A 100 km bar in the lower left, in two halves (true at 35°N, as the aspect); the display box it takes."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    length = SCALE_BAR_KM / (KM_PER_DEGREE * math.cos(math.radians(MAP_LATITUDE)))
    left, base, height = x0 + 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0), 0.008 * (y1 - y0)
    for start, colour in ((left, "0.1"), (left + length / 2, "white")):
        ax.add_patch(Rectangle((start, base), length / 2, height, facecolor=colour, edgecolor="0.1",
                               linewidth=0.6, zorder=6))
    texts = [ax.text(x, base + 2 * height, label, ha="center", va="bottom", fontsize=7.5, zorder=6)
             for x, label in ((left, "0"), (left + length / 2, f"{SCALE_BAR_KM // 2}"))]
    texts.append(ax.text(left + length, base + 2 * height, f"{SCALE_BAR_KM} km", ha="center", va="bottom",
                         fontsize=7.5, zorder=6, gid="scale-bar"))
    bar = Bbox(ax.transData.transform([(left, base), (left + length, base + height)]))
    return Bbox.union([bar, *(t.get_window_extent(renderer) for t in texts)]).padded(3)


def _labelled_places(geo, names=None) -> list:
    """The places to mark, most important first: those named, or the large and strategic ones.

    Importance: towns of 40,000 people or more by size, then airbases, dams, oil and gas
    fields and crossings (in that order, then as the places table lists them), then the rest by size.
    """
    chosen = ([geo.place(n) for n in names] if names is not None else
              [p for p in geo.places if p.population >= LABEL_MIN_POPULATION or p.role in LABELLED_ROLES])
    rank = {p.name: i for i, p in enumerate(geo.places)}

    def importance(p):
        if p.population >= LABEL_MIN_POPULATION:
            return (0, -p.population, 0)
        if p.role in SITE_ROLES:
            return (1, SITE_ROLES.index(p.role), rank[p.name])
        return (2, -p.population, rank[p.name])

    return sorted(chosen, key=importance)


def _is_site(place) -> bool:
    """A place without people of its own (an airbase, dam, field, crossing or station): a diamond, not a dot."""
    return place.population == 0


def _aligned_box(x: float, y: float, w: float, h: float, dx: float, dy: float) -> Bbox:
    """The display box of a w x h text anchored at (x + dx, y + dy), aligned away from its point as the offset points."""
    x0 = x + dx - (0.0 if dx > 0 else w if dx < 0 else w / 2)
    y0 = y + dy - (0.0 if dy > 0 else h if dy < 0 else h / 2)
    return Bbox.from_bounds(x0, y0, w, h)


class Room:
    """The display boxes taken on the map (scale bar, markers, labels, names), to test each new label against.

    Kept as one array of extents, so that a candidate is tested against all of them at once.
    """

    def __init__(self, inside: Bbox):
        self.inside = inside.extents  # the axes: a label must lie within
        self.boxes = np.empty((0, 4))

    def take(self, *boxes: Bbox) -> int:
        """Mark boxes as taken; the index of the first."""
        first = len(self.boxes)
        if boxes:
            self.boxes = np.vstack([self.boxes, [b.extents for b in boxes]])
        return first

    def free(self, box: Bbox, ignore: int | None = None) -> bool:
        """Whether a box, with its pad, lies inside the axes and overlaps no taken box (but ``ignore``)."""
        x0, y0, x1, y1 = box.padded(LABEL_PAD_PX).extents
        left, bottom, right, top = self.inside
        if x0 < left or x1 > right or y0 < bottom or y1 > top:
            return False
        b = self.boxes
        hit = (x0 < b[:, 2]) & (x1 > b[:, 0]) & (y0 < b[:, 3]) & (y1 > b[:, 1])
        if ignore is not None:
            hit[ignore] = False
        return not hit.any()


def _label_places(ax, renderer, places, room: Room) -> list:
    """Mark places and label them greedily, most important first; the places shown.

    Each label is measured once and tried at twelve positions round its marker; it takes
    the first where it overlaps no label, marker or the scale bar. A label that finds no
    room is left out, and so is the marker of a site (an airbase, a field) it belonged to.
    """
    dpi_scale = ax.figure.dpi / 72.0
    points = ax.transData.transform([(p.lon, p.lat) for p in places])
    first_marker = room.take(*(Bbox.from_extents(x - MARKER_HALF_PX, y - MARKER_HALF_PX, x + MARKER_HALF_PX,
                                                 y + MARKER_HALF_PX) for x, y in points))
    shown = []
    for i, (p, (x, y)) in enumerate(zip(places, points, strict=True)):
        big = p.population >= LABEL_MIN_POPULATION
        text = ax.annotate(p.name, (p.lon, p.lat), xytext=LABEL_OFFSETS[0], textcoords="offset points",
                           ha="left", va="bottom", fontsize=7 if big else 5.8, style="normal" if big else "italic",
                           zorder=5, gid="place", bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                                                        "alpha": 0.65})
        size = text.get_window_extent(renderer)
        for dx, dy in LABEL_OFFSETS:
            box = _aligned_box(x, y, size.width, size.height, dx * dpi_scale, dy * dpi_scale)
            if room.free(box, ignore=first_marker + i):
                text.xyann = (dx, dy)
                text.set_horizontalalignment("left" if dx > 0 else "right" if dx < 0 else "center")
                text.set_verticalalignment("bottom" if dy > 0 else "top" if dy < 0 else "center")
                room.take(box.padded(LABEL_PAD_PX))
                shown.append(p)
                break
        else:
            text.remove()
            if not _is_site(p):
                shown.append(p)  # a town keeps its dot
    _draw_markers(ax, shown)
    return shown


def _draw_markers(ax, places) -> None:
    """White dots for towns and cities, small white diamonds for sites."""
    for site, marker, size in ((False, "o", 3.2), (True, "D", 2.6)):
        group = [p for p in places if _is_site(p) == site]
        if group:
            ax.plot([p.lon for p in group], [p.lat for p in group], marker, ms=size, mfc="white", mec="black",
                    mew=0.7, ls="none", zorder=4)


def _inner_points(part, step: float = 0.1) -> np.ndarray:
    """Points inside a governorate's part of the theatre, nearest its pole of inaccessibility first."""
    polygon = max(shapely.get_parts(part), key=lambda g: g.area)
    pole = shapely.ops.polylabel(polygon, tolerance=0.02)
    x0, y0, x1, y1 = polygon.bounds
    xs, ys = np.meshgrid(np.arange(x0 + step / 2, x1, step), np.arange(y0 + step / 2, y1, step))
    xs, ys = xs.ravel(), ys.ravel()
    inside = shapely.contains_xy(polygon, xs, ys)
    xs, ys = xs[inside], ys[inside]
    order = np.argsort(np.hypot(xs - pole.x, ys - pole.y), kind="stable")
    return np.vstack([[pole.x, pole.y], np.column_stack([xs[order], ys[order]])])


def _name_governorates(ax, renderer, geo, room: Room) -> None:
    """Each governorate's name, light and italic, at the clear point nearest the middle of its part of the theatre."""
    outline = geo.theatre_outline
    for name, polygon in geo.governorates.items():
        part = polygon.intersection(outline)
        if part.is_empty:
            continue
        points = _inner_points(part)
        text = ax.text(*points[0], name, ha="center", va="center", fontsize=9, style="italic", color="0.2",
                       alpha=0.6, zorder=3.5, gid="governorate")
        first = text.get_window_extent(renderer)
        for x, y in ax.transData.transform(points[:400]):
            box = _aligned_box(x, y, first.width, first.height, 0.0, 0.0)
            if room.free(box):
                text.set_position(ax.transData.inverted().transform((x, y)))
                room.take(box.padded(LABEL_PAD_PX))
                break
        else:
            room.take(first)  # no clear room: at its middle regardless


def _name_neighbours(ax, renderer, geo, room: Room) -> None:
    """Name the ground beyond the theatre that shows (Hama's wedge, Turkey), where a name fits."""
    outline = geo.theatre_outline
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for name, lon, lat in NEIGHBOURS:
        if not (x0 < lon < x1 and y0 < lat < y1) or shapely.contains_xy(outline, lon, lat):
            continue
        text = ax.text(lon, lat, name, ha="center", va="center", fontsize=7.5, color="0.4", zorder=3.5,
                       gid="neighbour")
        box = text.get_window_extent(renderer)
        if not room.free(box):
            text.remove()
            continue
        room.take(box.padded(LABEL_PAD_PX))


def _legend(ax, holders: list[int], hatched: bool, places, every_place: bool) -> None:
    """One legend, right of the map: the factions holding ground, the neutral and besieged ground, lines and markers."""
    palette = cell_palette()
    handles = [Patch(facecolor=palette[f], edgecolor="none", label=Faction(f).name) for f in holders]
    handles.append(Patch(facecolor=OUTSIDE_COLOUR, edgecolor="0.6", linewidth=0.5,
                         label="outside the theatre (not modelled)"))
    if hatched:
        handles.append(Patch(facecolor="0.55", edgecolor="white", linewidth=0.0, hatch=BESIEGED_HATCH,
                             label="besieged: cut off from supply"))
    handles += [Line2D([], [], color=RIVER_COLOUR, linewidth=1.2, label="river (Euphrates, Khabur, Tigris)"),
                Line2D([], [], color=COUNTRY_BORDER_COLOUR, linewidth=1.3, linestyle=COUNTRY_BORDER_DASHES,
                       label="Syria–Iraq border"),
                Line2D([], [], color=BORDER_COLOUR, linewidth=0.6, label="governorate border")]
    if any(not _is_site(p) for p in places):
        handles.append(Line2D([], [], marker="o", ms=4, mfc="white", mec="black", mew=0.7, ls="none",
                              label="city or town" + (" (40,000 people or more)" if every_place else "")))
    if any(_is_site(p) for p in places):
        handles.append(Line2D([], [], marker="D", ms=3.4, mfc="white", mec="black", mew=0.7, ls="none",
                              label="airbase, dam, oil or gas field, crossing"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.015, 1.0), borderaxespad=0.0, frameon=False,
              fontsize=8.5, alignment="left")

