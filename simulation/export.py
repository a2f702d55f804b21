"""Write a run's outputs to disk: the control map as GeoJSON, tables as CSV, JSON.

``control_geojson`` turns the model's flat control layer into one lon/lat polygon
(or multipolygon) per faction, the union of its hex cells, for use in GIS tools or
web maps. The CSV and JSON helpers fix the on-disk conventions: no index column,
calendar dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from simulation.factions import Faction

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


def control_geojson(tmap, control) -> dict:
    """GeoJSON FeatureCollection of the ground each faction holds.

    Args:
        tmap: the :class:`~simulation.theatre.TheatreMap` of the run.
        control: flat int array of faction codes, one per grid cell (``model.control``).

    Returns:
        A FeatureCollection (lon/lat, WGS84) with one Feature per faction holding at
        least one theatre cell; geometry is the union of its hex cells, properties are
        ``faction`` (name), ``area_km2`` (km2) and ``cells`` (count).
    """
    control = np.asarray(control).reshape(-1)
    features = []
    for faction in Faction:
        cells = np.flatnonzero(tmap.in_theatre & (control == faction))
        if cells.size == 0:
            continue
        lon, lat = tmap.hex_vertices(cells)
        hexes = shapely.polygons(np.stack([lon, lat], axis=-1))  # (n, 6, 2) rings
        geometry = mapping(shapely.union_all(hexes))
        geometry = {"type": geometry["type"], "coordinates": _round_coords(geometry["coordinates"])}
        features.append({
            "type": "Feature",
            "geometry": geometry,
            "properties": {"faction": faction.name,
                           "area_km2": float(tmap.cell_area_km2[cells].sum()),
                           "cells": int(cells.size)},
        })
    return {"type": "FeatureCollection", "features": features}


def write_csv(frame: pd.DataFrame, path) -> Path:
    """Write a table as CSV without its index, datetime columns as ``YYYY-MM-DD``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def write_json(obj, path) -> Path:
    """Write an object (e.g. a GeoJSON dict) as indented UTF-8 JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, default=str), encoding="utf-8")
    return path
