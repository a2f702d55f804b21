"""Write a run's outputs to disk: the control map as GeoJSON, tables as CSV, JSON.

``control_geojson`` turns the model's flat control layer into one lon/lat polygon
(or multipolygon) per faction, the union of its hex cells, for use in GIS tools or
web maps. The CSV and JSON helpers fix the on-disk conventions: no index column,
calendar dates as ``YYYY-MM-DD``.

A model's own tables are written from their plain rows (:func:`write_tables`), byte
for byte as pandas writes their DataFrames but without loading pandas, which takes
0.2-0.25 s to import (a whole ``run.py run`` at 10 km takes about 1.5 s).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.polygon import orient

from simulation import records
from simulation.factions import Faction

if TYPE_CHECKING:
    import pandas as pd

COORD_DECIMALS = 5  # about 1 m at these latitudes


@contextmanager
def written_together(out: Path, names: Iterable[str]) -> Iterator[Path]:
    """A scratch folder beside ``out`` to write files in; on success they move into ``out``.

    An interrupted or failed write leaves ``out`` as it was: no half-written output.
    The scratch folder is made on entry, so a folder that cannot be written fails
    before any work is done.

    Args:
        out: the output folder (made if missing; files of the same names are replaced).
        names: the files the block writes into the scratch folder.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}-") as tmp:
        yield Path(tmp)
        out.mkdir(exist_ok=True)
        for name in names:
            shutil.move(str(Path(tmp) / name), str(out / name))


def _round_coords(obj):
    """Round every number in a nested GeoJSON coordinates structure."""
    if isinstance(obj, (list, tuple)):
        return [_round_coords(o) for o in obj]
    return round(float(obj), COORD_DECIMALS)


def _right_hand(geometry):
    """A polygon or multipolygon with its rings wound as GeoJSON asks (RFC 7946, 3.1.6): each outer ring
    anticlockwise, each hole clockwise."""
    parts = [orient(p, sign=1.0) for p in shapely.get_parts(geometry)]
    return parts[0] if geometry.geom_type == "Polygon" else shapely.multipolygons(parts)


def control_geojson(tmap, control) -> dict:
    """GeoJSON FeatureCollection of the ground each faction holds.

    Args:
        tmap: the :class:`~simulation.theatre.TheatreMap` of the run.
        control: flat int array of faction codes, one per grid cell (``model.control``).

    Returns:
        A FeatureCollection (lon/lat, WGS84) with one Feature per faction holding at
        least one theatre cell; geometry is the union of its hex cells (outer rings
        anticlockwise, holes clockwise, as RFC 7946 asks), properties are ``faction``
        (name), ``area_km2`` (km2) and ``cells`` (count).
    """
    control = np.asarray(control).reshape(-1)
    features = []
    for faction in Faction:
        cells = np.flatnonzero(tmap.in_theatre & (control == faction))
        if cells.size == 0:
            continue
        lon, lat = tmap.hex_vertices(cells)
        hexes = shapely.polygons(np.stack([lon, lat], axis=-1))  # (n, 6, 2) rings
        # The hexes tile the ground edge to edge, their shared corners the same numbers (hex_vertices): a
        # coverage, whose union drops the shared edges (a tenth of a general union's time, the same shape).
        geometry = mapping(_right_hand(shapely.coverage_union_all(hexes)))
        geometry = {"type": geometry["type"], "coordinates": _round_coords(geometry["coordinates"])}
        features.append({
            "type": "Feature",
            "geometry": geometry,
            "properties": {"faction": faction.name,
                           "area_km2": float(tmap.cell_area_km2[cells].sum()),
                           "cells": int(cells.size)},
        })
    return {"type": "FeatureCollection", "features": features}


def write_csv(table: pd.DataFrame | Mapping[str, Sequence], path) -> Path:
    """Write a table as CSV without its index, datetime columns as ``YYYY-MM-DD``.

    Args:
        table: a DataFrame, or a plain table (column name -> its values, as
            :func:`simulation.records.plain_table` gives), written as its DataFrame
            (:func:`simulation.records.columns_frame`) would be, without pandas when its
            values are plain (numbers, strings, ``None``; dates as ISO strings).
        path: the file to write (its folder is made if missing).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(table, Mapping):
        rows = _plain_csv_rows(table)
        if rows is not None:
            with open(path, "w", newline="", encoding="utf-8") as f:
                csv.writer(f, lineterminator=os.linesep).writerows(rows)  # pandas' own writer and line ending
            return path
        table = records.columns_frame(table)
    table.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def write_tables(model, folder) -> list[Path]:
    """Write a model's tables (:data:`simulation.records.TABLES`) into ``folder`` as ``NAME.csv``, without pandas."""
    return [write_csv(records.plain_table(model, name), Path(folder) / f"{name}.csv") for name in records.TABLES]


def _plain_csv_rows(table: Mapping[str, Sequence]) -> list[list] | None:
    """The CSV rows (header first) pandas writes for a plain table's DataFrame, or None if a value is not plain.

    Per column, as pandas infers its type: all whole numbers stay whole; numbers with
    a fraction or a gap (``None``, NaN) are all floats, written as Python writes
    them (``repr``, as numpy's ``astype(str)``) and a gap as nothing; any other mix
    (strings, booleans) goes to the CSV writer as it is, a gap as nothing. ``date``
    holds ISO dates, which pandas parses and writes back as they were.
    """
    if len({len(values) for values in table.values()}) > 1:
        return None  # (pandas refuses it)
    columns = []
    for name, values in table.items():
        kinds = {_kind(v) for v in values}
        if "other" in kinds or (name == "date" and kinds - {"date"}):
            return None
        if kinds and kinds <= {"int", "float", "gap"} and kinds != {"gap"} and kinds != {"int"}:
            values = ["" if v is None or math.isnan(v) else repr(float(v)) for v in values]
        elif kinds & {"gap"}:
            values = ["" if _kind(v) == "gap" else v for v in values]
        columns.append(values)
    return [list(table), *map(list, zip(*columns))]


def _kind(value) -> str:
    """A value's kind as pandas' type inference sees it: int, float, gap (None, NaN), date, text or other."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "gap"
    if isinstance(value, (bool, np.bool_)):
        return "text"  # True/False: written as str() writes them, in any column
    if isinstance(value, (int, np.integer)):
        return "int"
    if type(value) in (float, np.float64):
        return "float"
    if isinstance(value, str):
        return "date" if _is_iso_date(value) else "text"
    return "other"  # float32, dates, arrays...: left to pandas


def _is_iso_date(text: str) -> bool:
    if len(text) != 10:
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def write_json(obj, path) -> Path:
    """Write an object (e.g. a GeoJSON dict) as indented UTF-8 JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, default=str), encoding="utf-8")
    return path
