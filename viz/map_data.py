"""What the browser map needs: the fixed layers once per run, a small frame per day.

The map is drawn in the browser (``campaign_map.vue``) from these payloads, so a
step (or a move of the day slider) sends only the day's holders (one character per
cell), the besieged cells, the units and the line's state: a few kilobytes at 10 km.
A day comes as a :class:`~simulation.records.DayState`, from a live model or a
finished run's history file alike. Coordinates are screen pixels of the theatre's
equal-area projection (the grid's own km plane), north up.
"""

from __future__ import annotations

import json

import numpy as np
import shapely

from analysis.plots import FACTION_COLOURS, LABEL_MIN_POPULATION, LABELLED_ROLES, RIVER_COLOUR
from simulation.factions import Faction
from simulation.geography import project, project_geometry
from simulation.theatre import SQRT3

MAP_WIDTH_PX = 760
MARGIN_PX = 8
# Unit markers: radius grows with the square root of strength, so area reads as fighters.
UNIT_RADIUS_PX_PER_SQRT_FIGHTER = 0.14
UNIT_RADIUS_MIN_PX = 3.0
LINE_COLOUR = "#c2185b"  # the deconfliction line, in a colour no faction uses


class MapFrame:
    """The projection from the grid's km plane to the map's pixels."""

    def __init__(self, tmap):
        xs, ys = tmap.x_km[tmap.in_theatre], tmap.y_km[tmap.in_theatre]
        pad = tmap.cell_km  # half a cell each side, and some
        self.x0, self.y1 = xs.min() - pad, ys.max() + pad
        self.scale = (MAP_WIDTH_PX - 2 * MARGIN_PX) / (xs.max() + pad - self.x0)
        self.width = MAP_WIDTH_PX
        self.height = int(np.ceil((self.y1 - (ys.min() - pad)) * self.scale)) + 2 * MARGIN_PX

    def px(self, x_km, y_km) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (x right, y down) of points in km."""
        return (MARGIN_PX + (np.asarray(x_km) - self.x0) * self.scale,
                MARGIN_PX + (self.y1 - np.asarray(y_km)) * self.scale)

    def polylines(self, geometry) -> list[list[float]]:
        """Every line part of a lon/lat geometry as a flat [x0, y0, x1, y1, ...] pixel list."""
        parts = shapely.get_parts(shapely.get_parts(np.asarray([project_geometry(geometry)], dtype=object)))
        out = []
        for part in parts:
            xy = shapely.get_coordinates(part)
            x, y = self.px(xy[:, 0], xy[:, 1])
            out.append(np.round(np.column_stack([x, y]).ravel(), 1).tolist())
        return out


def _labelled(places) -> list:
    return [p for p in places if p.population >= LABEL_MIN_POPULATION or p.role in LABELLED_ROLES]


def static_layers(tmap, deconfliction_line) -> dict:
    """The layers that do not change during a run, for the browser to draw once.

    Args:
        tmap: the run's :class:`~simulation.theatre.TheatreMap`.
        deconfliction_line: ``"euphrates"`` or the line's lon/lat points, as in the scenario.
    """
    geo = tmap.geography
    frame = MapFrame(tmap)
    cells = np.flatnonzero(tmap.in_theatre)
    x, y = frame.px(tmap.x_km[cells], tmap.y_km[cells])
    place_names = [p.name for p in geo.places]
    outline = geo.theatre_outline
    borders = []
    for polygon in geo.governorates.values():
        borders += frame.polylines(shapely.boundary(polygon).intersection(outline))
    rivers = []
    for river in geo.rivers.values():
        rivers += frame.polylines(river.intersection(outline.buffer(0.05)))
    labels = []
    for p in sorted(_labelled(geo.places), key=lambda p: -p.population):
        px, py = frame.px(*project(p.lon, p.lat))
        labels.append({"name": p.name, "x": round(float(px), 1), "y": round(float(py), 1),
                       "big": p.population >= LABEL_MIN_POPULATION})
    if deconfliction_line == "euphrates":
        line_parts = frame.polylines(geo.rivers["Euphrates"].intersection(outline))
    else:
        line_parts = frame.polylines(shapely.LineString(deconfliction_line).intersection(outline.buffer(0.5)))
    return {
        "width": frame.width, "height": frame.height,
        "hex_radius": round(float(tmap.cell_km / SQRT3 * frame.scale), 2),
        "x": np.round(x, 1).tolist(), "y": np.round(y, 1).tolist(),
        "governorate": tmap.governorate[cells].tolist(),
        "governorate_names": list(tmap.governorate_names),
        "place": tmap.place[cells].tolist(),
        "place_names": place_names,
        "population": np.round(tmap.population[cells], -1).astype(int).tolist(),
        "area_km2": round(float(tmap.hex_area_km2), 1),
        "factions": [f.name for f in Faction],
        "colours": [FACTION_COLOURS[f.name] for f in Faction],
        "borders": borders, "rivers": rivers, "river_colour": RIVER_COLOUR, "labels": labels,
        "line": line_parts, "line_colour": LINE_COLOUR,
    }


class MapLayers:
    """A run's fixed layers (:func:`static_layers`) as one object: ``data``, and ``json`` for the browser.

    Reacton walks and copies every list and dict handed to a component, at every
    render; the layers hold some 18,000 values, which made each day of Play cost tens
    of milliseconds more. Wrapped, they pass between components untouched, and reach
    the browser as one string, parsed there once per run.
    """

    def __init__(self, layers: dict):
        self.data = layers
        self.json = json.dumps(layers, separators=(",", ":"))


def model_layers(model) -> dict:
    """:func:`static_layers` of a live model."""
    return static_layers(model.theatre, model.rules.deconfliction.line)


def day_frame(layers: dict, day) -> dict:
    """A day's holders, besieged cells, units and line state for the browser.

    Args:
        layers: the run's :func:`static_layers` (the units' markers are placed on them).
        day: the day as a :class:`~simulation.records.DayState`, from a live model
            (``model.day_state(n)``) or a finished run's history.
    """
    fielded = np.flatnonzero(day.unit_cell >= 0)
    cell, faction = day.unit_cell[fielded], day.unit_faction[fielded].astype(int)
    strength = day.unit_strength[fielded].astype(float)
    return {
        "day": int(day.step),
        "date": day.date.isoformat(),
        "holder": (day.control.astype(np.uint8) + ord("0")).tobytes().decode("ascii"),
        "besieged": [int(i) for i in day.besieged],
        # Each unit, for the cell descriptions; one marker per faction and cell to draw.
        "units": [{"name": day.unit_name[u], "faction": int(f), "strength": int(round(s)), "cell": int(k)}
                  for u, f, s, k in zip(fielded, faction, strength, cell)],
        "markers": unit_markers(layers, cell, faction, strength),
        "line_in_force": bool(day.line_in_force),
        "incidents": int(day.incidents),
    }


def unit_markers(layers: dict, cell, faction, strength) -> list[dict]:
    """One marker per faction in each theatre cell: summed fighters, the count of units, a position.

    Units of one side often stack in a cell (an assault force, a city's garrison);
    drawn one by one they would hide each other. Where sides share a cell (a fight
    in a town), their markers sit side by side across it.
    """
    if cell.size == 0:
        return []
    nf = len(Faction)
    key = cell * nf + faction
    keys, inverse, count = np.unique(key, return_inverse=True, return_counts=True)
    fighters = np.bincount(inverse, weights=strength)
    m_cell, m_faction = keys // nf, keys % nf
    x, y = np.asarray(layers["x"])[m_cell], np.asarray(layers["y"])[m_cell]
    # Side by side where several factions share a cell: rank within the cell, centred.
    first = np.searchsorted(m_cell, m_cell)  # keys are sorted by cell, then faction
    sides = np.bincount(m_cell)[m_cell]
    x = x + (np.arange(keys.size) - first - (sides - 1) / 2) * 0.6 * layers["hex_radius"]
    radius = np.maximum(UNIT_RADIUS_MIN_PX, UNIT_RADIUS_PX_PER_SQRT_FIGHTER * np.sqrt(fighters))
    return [{"faction": int(f), "strength": int(round(s)), "count": int(n), "x": round(float(px), 1),
             "y": round(float(py), 1), "r": round(float(r), 1)}
            for f, s, n, px, py, r in zip(m_faction, fighters, count, x, y, radius)]
