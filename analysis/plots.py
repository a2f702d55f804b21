"""Figures of a run: territory held over time, and the map of control on a day.

Built on :class:`matplotlib.figure.Figure` objects, not ``pyplot``, so no global
state or interactive backend is involved: the functions are safe in scripts,
tests and notebooks alike, and save PNGs with ``fig.savefig``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import shapely
from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox

from simulation.factions import Faction
from simulation.geography import THEATRE_BOUNDS

FACTION_COLOURS = {
    "ISIS": "#2b2b2b",  # black banner
    "SAA": "#c62828",  # red
    "SDF": "#d4b106",  # yellow
    "ISF": "#2e7d32",  # green
}
AIR_ARM_COLOURS = {
    "coalition": "#1565c0",  # blue
    "russia": "#7b1fa2",  # purple: no faction's colour
}
LABELLED_ROLES = ("airbase", "oil_field", "gas_field", "border_crossing", "dam")
LABEL_MIN_POPULATION = 40_000
RIVER_COLOUR = "#1f6fd1"
# Label positions tried around a place's dot, points: NE, SE, NW, SW, E, W, N, S.
LABEL_OFFSETS = ((3, 2), (3, -2), (-3, 2), (-3, -2), (4, 0), (-4, 0), (0, 4), (0, -4))


def _save(fig: Figure, path) -> Figure:
    """Save the figure if a path is given, cropped to what is drawn (as ``bbox_inches="tight"``); return it.

    The tight box is measured here, with the Agg renderer the PNG is drawn by, rather
    than by ``savefig``, which draws the whole figure once more just to measure it.
    """
    if path is None:
        return fig
    if not (isinstance(path, (str, os.PathLike)) and Path(path).suffix.lower() == ".png"):
        fig.savefig(path, dpi=fig.dpi, bbox_inches="tight")  # another format measures with its own renderer
        return fig
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    tight = fig.get_tightbbox(canvas.get_renderer()).padded(rcParams["savefig.pad_inches"])
    fig.savefig(path, dpi=fig.dpi, bbox_inches=tight)
    return fig


def plot_territory(daily, path=None, title: str | None = None) -> Figure:
    """Stacked area of the ground each faction holds, day by day.

    Args:
        daily: a model (its ``model.daily`` is used) or a tidy daily table: columns
            ``date`` (calendar date), ``faction`` (name) and ``area_km2`` (km²).
        path: where to save a PNG; not saved if None.
        title: figure title; a default one if None.

    Returns:
        The Figure; the y axis is in thousand km2, the x axis in calendar months.
    """
    if hasattr(daily, "daily"):
        daily = daily.daily
    wide = daily.assign(date=pd.to_datetime(daily["date"])).pivot_table(
        index="date", columns="faction", values="area_km2", aggfunc="sum").fillna(0.0)
    names = [f.name for f in Faction if f.name in wide.columns]
    fig = Figure(figsize=(9, 4.5), dpi=120)
    ax = fig.add_subplot()
    ax.stackplot(wide.index, *(wide[n] / 1000.0 for n in names), labels=names,
                 colors=[FACTION_COLOURS[n] for n in names], alpha=0.9, linewidth=0)
    if wide.index.max() - wide.index.min() >= pd.Timedelta(days=60):
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    else:  # under two months: too few month starts to read the time by
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
    ax.set_xlim(wide.index.min(), wide.index.max())
    ax.set_ylim(0, wide.sum(axis=1).max() / 1000.0 * 1.02)
    ax.set_ylabel("area held (thousand km²)")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(title or "Territory held by faction")
    ax.grid(axis="y", alpha=0.3)
    fig.autofmt_xdate()
    return _save(fig, path)


def _labelled_places(geo, names=None) -> list:
    """The places to mark on the map: those named, or the large and strategic ones."""
    if names is not None:
        return [geo.place(n) for n in names]
    return [p for p in geo.places if p.population >= LABEL_MIN_POPULATION or p.role in LABELLED_ROLES]


def _lines(geoms) -> list[np.ndarray]:
    """Lon/lat coordinate arrays of every part of some (multi)line geometries."""
    parts = shapely.get_parts(shapely.get_parts(np.asarray(geoms, dtype=object)))
    return [shapely.get_coordinates(p) for p in parts]


def _label_places(ax, places) -> None:
    """Mark places with dots and labels, each label put where it overlaps none before it.

    Larger places are labelled first; each label tries eight positions around its
    dot (measured with the Agg renderer) and takes the first that is clear.
    """
    renderer = FigureCanvasAgg(ax.figure).get_renderer()
    ax.apply_aspect()  # fix the axes box so that display extents are final
    dots = ax.transData.transform([(p.lon, p.lat) for p in places])
    ax.plot(*np.transpose([(p.lon, p.lat) for p in places]), "o", ms=3, mfc="white", mec="black",
            mew=0.7, ls="none", zorder=4)
    taken = [Bbox.from_extents(x - 2, y - 2, x + 2, y + 2) for x, y in dots]
    for p in sorted(places, key=lambda p: -p.population):
        big = p.population >= LABEL_MIN_POPULATION
        for dx, dy in LABEL_OFFSETS:
            text = ax.annotate(p.name, (p.lon, p.lat), xytext=(dx, dy), textcoords="offset points",
                               ha="left" if dx > 0 else "right" if dx < 0 else "center",
                               va="bottom" if dy > 0 else "top" if dy < 0 else "center",
                               fontsize=7 if big else 5.5, style="normal" if big else "italic",
                               zorder=5, bbox={"boxstyle": "round,pad=0.1", "fc": "white",
                                               "ec": "none", "alpha": 0.6})
            box = text.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in taken) or (dx, dy) == LABEL_OFFSETS[-1]:
                taken.append(box)
                break
            text.remove()


def plot_control_map(tmap, control, path=None, title: str | None = None, places=None) -> Figure:
    """Map of the theatre's hex cells coloured by the faction holding each.

    Args:
        tmap: the :class:`~simulation.theatre.TheatreMap` of the run.
        control: flat int array of faction codes per cell (``model.control``).
        path: where to save a PNG; not saved if None.
        title: figure title; a default one if None.
        places: names of places to mark and label; default every place of at
            least 40,000 people and every airbase, oil or gas field, dam and
            border crossing.

    Returns:
        The Figure, in lon/lat degrees with a 1/cos(35°) aspect (near-true shape).
    """
    cells = np.flatnonzero(tmap.in_theatre)
    holder = np.asarray(control).reshape(-1)[cells]
    lon, lat = tmap.hex_vertices(cells)
    # RGBA rows (one per faction, then one per cell): the same colours as the names,
    # converted four times instead of twice per cell.
    colours = to_rgba_array([FACTION_COLOURS[f.name] for f in Faction])[holder]
    fig = Figure(figsize=(11, 8.5), dpi=120)
    ax = fig.add_subplot()
    ax.add_collection(PolyCollection(np.stack([lon, lat], axis=-1), facecolors=colours,
                                     edgecolors=colours, linewidths=0.2, alpha=0.75))
    geo = tmap.geography
    borders = _lines(shapely.boundary(list(geo.governorates.values())))
    ax.add_collection(LineCollection(borders, colors="0.45", linewidths=0.6))
    rivers = _lines(list(geo.rivers.values()))
    ax.add_collection(LineCollection(rivers, colors=RIVER_COLOUR, linewidths=1.2))
    lon_min, lat_min, lon_max, lat_max = THEATRE_BOUNDS
    ax.set_xlim(lon_min, lon_max)
    ax.set_ylim(lat_min, lat_max)
    ax.set_aspect(1.0 / math.cos(math.radians(35.0)))
    _label_places(ax, _labelled_places(geo, places))
    held = sorted(set(holder.tolist()))
    ax.legend(handles=[Patch(color=FACTION_COLOURS[Faction(f).name], label=Faction(f).name)
                       for f in held], loc="lower left", framealpha=0.9)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(title or "Control of the theatre")
    return _save(fig, path)


def plot_map(model, day=None, path=None, title: str | None = None, places=None) -> Figure:
    """The control map of a run on any day it has reached, with borders, rivers and places.

    Args:
        model: a :class:`~simulation.model.ConflictModel`.
        day: days since the start (0 = the start date), a date, or an ISO date string
            (``"2017-09-05"``); default the model's current day.
        path: where to save a PNG; not saved if None.
        title: figure title; default the scenario's name and the date.
        places: names of places to label; default the large and strategic ones.

    Returns:
        The Figure (as :func:`plot_control_map`).
    """
    from simulation.records import day_of  # (the model's module: Mesa; drawing a run's plots needs neither)

    step = model.steps if day is None else model.step_of(day)
    control = model.control_on(step)
    date = day_of(model.spec.start, step)
    return plot_control_map(model.theatre, control, path=path, places=places,
                            title=title or f"{model.spec.name}: control on {date.day} {date:%B %Y} (day {step})")
