"""Export to GeoJSON/CSV and the two figures, on a real (coarse, short) model run."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, shape

from analysis.plots import FACTION_COLOURS, plot_control_map, plot_territory
from simulation import ConflictModel
from simulation.export import control_geojson, write_csv, write_json
from simulation.factions import Faction

SCENARIO = Path(__file__).parents[1] / "scenarios" / "2017-07-04_raqqa.yaml"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@pytest.fixture(scope="module")
def model():
    m = ConflictModel.from_scenario(SCENARIO, seed=1, cell_km=20)
    m.run(days=5)
    return m


@pytest.fixture(scope="module")
def collection(model):
    return control_geojson(model.theatre, model.control)


def test_one_feature_per_faction_holding_ground(model, collection):
    tmap = model.theatre
    holding = {Faction(f).name for f in np.unique(model.control[tmap.in_theatre])}
    names = [f["properties"]["faction"] for f in collection["features"]]
    assert collection["type"] == "FeatureCollection"
    assert sorted(names) == sorted(holding) and len(names) == len(set(names))
    for f in collection["features"]:
        held = tmap.in_theatre & (model.control == Faction[f["properties"]["faction"]])
        assert f["properties"]["cells"] == int(held.sum())


def test_areas_sum_to_theatre(model, collection):
    total = sum(f["properties"]["area_km2"] for f in collection["features"])
    assert total == pytest.approx(model.theatre.theatre_area_km2, rel=1e-3)


def test_geometries_valid_and_cover_held_cells(model, collection):
    tmap = model.theatre
    for f in collection["features"]:
        geom = shape(f["geometry"])
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert shapely.is_valid(geom), f["properties"]["faction"]
        held = np.flatnonzero(tmap.in_theatre & (model.control == Faction[f["properties"]["faction"]]))
        for k in held[:: max(1, held.size // 5)]:
            assert geom.contains(Point(tmap.lon[k], tmap.lat[k]))
    # Raqqa's cell centre lies in the feature of whoever holds it.
    k = tmap.place_cell["Raqqa"]
    holder = Faction(int(model.control[k])).name
    feature = next(f for f in collection["features"] if f["properties"]["faction"] == holder)
    assert shape(feature["geometry"]).contains(Point(tmap.lon[k], tmap.lat[k]))


def test_geojson_and_csv_written(model, collection, tmp_path):
    path = write_json(collection, tmp_path / "control.geojson")
    assert json.loads(path.read_text())["features"][0]["type"] == "Feature"
    csv = write_csv(model.daily, tmp_path / "daily.csv")
    back = pd.read_csv(csv)
    assert "Unnamed: 0" not in back.columns and len(back) == len(model.daily)
    assert back["date"].iloc[0] == "2017-07-04"


def test_colours_cover_factions():
    assert set(FACTION_COLOURS) == {f.name for f in Faction}
    assert len(set(FACTION_COLOURS.values())) == len(Faction)


def _check_png(path: Path, min_bytes: int = 10_000):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert min_bytes < len(data) < 5_000_000


def test_plot_territory(model, tmp_path):
    path = tmp_path / "territory.png"
    fig = plot_territory(model.daily, path, title="test")
    _check_png(path)
    ax = fig.axes[0]
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.DateFormatter)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert any(month in label for label in labels for month in MONTHS), labels


def test_plot_control_map(model, tmp_path):
    path = tmp_path / "map.png"
    fig = plot_control_map(model.theatre, model.control, path, title="test")
    _check_png(path, min_bytes=30_000)
    ax = fig.axes[0]
    assert ax.get_legend() is not None
    texts = {t.get_text() for t in ax.texts}
    assert {"Raqqa", "Deir ez-Zor", "Mosul"} <= texts
    fig = plot_control_map(model.theatre, model.control, places=["Raqqa", "Tabqa"])
    assert {t.get_text() for t in fig.axes[0].texts} == {"Raqqa", "Tabqa"}
