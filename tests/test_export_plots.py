"""Export to GeoJSON/CSV and the two figures, on a real (coarse, short) model run.

The figures are checked as objects (texts, legend entries, ticks, artists' extents),
not as pixels: the map at each cell size, the territory figure on a whole July run's
tables (made here, so that the milestones fall on known days).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from shapely.geometry import Point, shape

from analysis.history import SWEEP_RECORD, area_below_date
from analysis.map_plot import OUTSIDE_COLOUR, ControlMap
from analysis.plots import FACTION_COLOURS, map_title, plot_control_map, plot_map, plot_territory, scenario_label
from simulation import ConflictModel
from simulation.export import control_geojson, write_csv, write_json
from simulation.factions import Faction
from simulation.geography import unproject
from simulation.theatre import theatre_map

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


@pytest.mark.parametrize("cell_km", [20.0, 10.0, 7.5])
def test_neighbouring_hexes_share_their_corners_exactly(cell_km):
    tmap = theatre_map(cell_km)
    cells = np.flatnonzero(tmap.in_theatre)
    lon, lat = tmap.hex_vertices(cells)
    # The corners are where a regular hexagon's are: the cell's centre plus its radius at 30, 90, ... degrees.
    angles = np.radians(30.0 + 60.0 * np.arange(6))
    radius = tmap.cell_km / np.sqrt(3.0)
    east, north = tmap.x_km[cells, None] + radius * np.cos(angles), tmap.y_km[cells, None] + radius * np.sin(angles)
    want_lon, want_lat = unproject(east, north)
    assert np.abs(lon - want_lon).max() < 1e-9 and np.abs(lat - want_lat).max() < 1e-9
    # Each pair of neighbours has exactly two corners in common, the same numbers in both (a coverage).
    row = {k: i for i, k in enumerate(cells.tolist())}
    a, slot = np.nonzero(tmap.neighbours[cells] >= 0)
    b = np.array([row[k] for k in tmap.neighbours[cells][a, slot].tolist()])
    same = (lon[a, :, None] == lon[b, None, :]) & (lat[a, :, None] == lat[b, None, :])
    assert (same.sum(axis=(1, 2)) == 2).all()


def test_each_feature_is_the_union_of_its_hexes(model, collection):
    tmap = model.theatre
    for f in collection["features"]:
        cells = np.flatnonzero(tmap.in_theatre & (model.control == Faction[f["properties"]["faction"]]))
        lon, lat = tmap.hex_vertices(cells)
        union = shapely.union_all(shapely.polygons(np.stack([lon, lat], axis=-1)))
        geom = shape(f["geometry"])
        # The same outline, to the coordinates' rounding (5 decimals, about a metre).
        assert geom.symmetric_difference(union).area < 1e-5 * union.area
        assert shapely.get_num_geometries(geom) == shapely.get_num_geometries(union)
        assert shapely.get_num_interior_rings(shapely.get_parts(geom)).sum() == \
            shapely.get_num_interior_rings(shapely.get_parts(union)).sum()


def test_rings_are_wound_as_geojson_asks():
    """Two lone ISIS cells inside the SAA's ground: ISIS holds two hexes, the SAA its ground with two holes.
    Outer rings run anticlockwise, holes clockwise (RFC 7946)."""
    tmap = theatre_map(20.0)
    control = np.where(tmap.in_theatre, int(Faction.SAA), int(Faction.ISIS))
    inner = [k for k in np.flatnonzero(tmap.in_theatre).tolist()
             if (tmap.neighbours[k] >= 0).all() and tmap.in_theatre[tmap.neighbours[tmap.neighbours[k]]].all()]
    lone = [inner[0], inner[-1]]
    control[lone] = int(Faction.ISIS)
    features = {f["properties"]["faction"]: shape(f["geometry"]) for f in control_geojson(tmap, control)["features"]}
    isis, saa = features["ISIS"], features["SAA"]
    assert isis.geom_type == "MultiPolygon" and len(isis.geoms) == 2
    assert saa.geom_type == "Polygon" and len(saa.interiors) == 2
    for polygon in (*isis.geoms, saa):
        assert polygon.exterior.is_ccw and not any(ring.is_ccw for ring in polygon.interiors)
    for hole in saa.interiors:
        assert any(shapely.Polygon(hole).equals(part) for part in isis.geoms)


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


# ---- territory.png: the contested story first, on month ticks, with the milestones -------------------
JULY_START, JULY_END = dt.date(2017, 7, 4), dt.date(2017, 12, 31)
# A run's days as the record does not date them: the model's own milestones.
RAQQA_TAKEN, SIEGE_BROKEN = dt.date(2017, 9, 3), dt.date(2017, 8, 30)


def _july_tables():
    """A whole July run's daily areas (ISIS falling to near nothing) and events: Raqqa falls, the siege breaks."""
    days = pd.date_range(JULY_START, JULY_END)
    share = np.linspace(0.0, 1.0, days.size)
    start = {"ISIS": 60_000.0, "SAA": 41_000.0, "SDF": 38_000.0, "ISF": 150_000.0}
    gain = {"ISIS": -59_700.0, "SAA": 35_000.0, "SDF": 14_000.0, "ISF": 10_700.0}
    daily = pd.DataFrame([{"date": d.date().isoformat(), "step": i, "faction": f, "area_km2": start[f] + gain[f] * s}
                          for i, (d, s) in enumerate(zip(days, share, strict=True)) for f in start])
    events = pd.DataFrame([
        {"date": SIEGE_BROKEN.isoformat(), "step": (SIEGE_BROKEN - JULY_START).days, "event": "siege_broken",
         "place": "Deir ez-Zor", "faction": "SAA", "detail": "besieged pocket rejoined its side"},
        {"date": RAQQA_TAKEN.isoformat(), "step": (RAQQA_TAKEN - JULY_START).days, "event": "captured",
         "place": "Raqqa", "faction": "SDF", "detail": "from ISIS"},
    ])
    return daily, events


def _lines_by_gid(fig) -> dict[str, list]:
    return {gid: [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == gid]
            for gid in {ln.get_gid() for ax in fig.axes for ln in ax.lines if ln.get_gid()}}


def _x_date(line) -> dt.date:
    return mdates.num2date(line.get_xdata()[0]).date()


def test_plot_territory(model, tmp_path):
    path = tmp_path / "territory.png"
    fig = plot_territory(model.daily, path, title="test")
    _check_png(path)
    change, whole = fig.axes[:2]
    labels = [t.get_text() for t in whole.get_xticklabels()]
    assert any(month in label for label in labels for month in MONTHS), labels
    assert [ln.get_label() for ln in change.lines if ln.get_label() in FACTION_COLOURS] == [f.name for f in Faction]
    # A model draws its own event log's milestones, as its tables do.
    assert len(plot_territory(model).axes[0].collections) == len(fig.axes[0].collections)


def test_territory_puts_the_change_since_the_start_first_and_the_stacked_whole_below():
    daily, events = _july_tables()
    fig = plot_territory(daily, events=events)
    change, whole = fig.axes[:2]
    assert change.get_position().height > 1.8 * whole.get_position().height
    assert change.get_position().y0 > whole.get_position().y1
    isis = next(ln for ln in change.lines if ln.get_label() == "ISIS")
    assert isis.get_ydata()[0] == 0.0 and isis.get_ydata()[-1] == pytest.approx(-59.7)  # thousand km² lost
    low, high = change.get_ylim()
    assert low < -59.7 and 35.0 < high < 100  # the ISF's 150,000 km² of Iraq do not set the scale
    assert len(whole.collections) == len(Faction)  # the stack: one area per faction
    held = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any(t.startswith("ISIS") and "60 → 0" in t for t in held), held


def test_territory_has_a_tick_at_every_month_start_from_the_start_month():
    daily, events = _july_tables()
    whole = plot_territory(daily, events=events).axes[1]
    months = [dt.datetime(2017, m, 1) for m in range(7, 13)]
    assert list(whole.get_xticks()) == pytest.approx(list(mdates.date2num(months)))
    labels = [t.get_text() for t in whole.get_xticklabels()]
    assert labels == ["Jul\n2017", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert mdates.num2date(whole.get_xlim()[0]).date() == dt.date(2017, 7, 1)
    assert mdates.num2date(whole.get_xlim()[1]).date() == JULY_END


def test_territory_marks_the_milestones_the_run_reached_beside_the_records_dates():
    daily, events = _july_tables()
    fig = plot_territory(daily, events=events)
    lines = _lines_by_gid(fig)
    found = {"raqqa_falls": RAQQA_TAKEN, "siege_broken": SIEGE_BROKEN,
             "isis_below_5pct": area_below_date(daily.assign(date=pd.to_datetime(daily.date)), "ISIS").date()}
    for key, day in found.items():
        assert [_x_date(ln) for ln in lines[f"model:{key}"]] == [day, day], key  # both panels
        assert all(ln.get_linestyle() == "-" for ln in lines[f"model:{key}"])
    for m in SWEEP_RECORD:
        if isinstance(m.historical, dt.date):  # every record date falls inside a July run
            assert {_x_date(ln) for ln in lines[f"record:{m.key}"]} == {m.historical}, m.key
            assert all(ln.get_linestyle() == "--" for ln in lines[f"record:{m.key}"])
    key = {t.get_gid(): t.get_text() for t in fig.texts if (t.get_gid() or "").startswith("key:")}
    assert "run 3 Sep" in key["key:raqqa_falls"] and "record 17 Oct" in key["key:raqqa_falls"]
    assert "44 days early" in key["key:raqqa_falls"]
    assert "run 30 Aug" in key["key:siege_broken"] and "record 5 Sep" in key["key:siege_broken"]
    assert "not by 31 Dec" in key["key:abu_kamal_falls"]  # missed within the run: said, not hidden
    assert "record: not dated" in key["key:isis_below_5pct"]
    styles = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert "the day the run reached it" in styles and "the record's date" in styles


def test_territory_leaves_out_milestones_the_run_starts_after_or_stops_before():
    daily, events = _july_tables()
    late = daily[pd.to_datetime(daily.date) >= pd.Timestamp(2017, 11, 3)]
    gids = {t.get_gid() for t in plot_territory(late, events=events.iloc[:0]).texts}
    assert "key:raqqa_falls" not in gids and "key:siege_broken" not in gids  # history before 3 November
    assert "key:abu_kamal_falls" in gids  # due on 19 November, inside the run
    early = daily[pd.to_datetime(daily.date) <= pd.Timestamp(2017, 7, 9)]
    fig = plot_territory(early, events=events.iloc[:0])
    assert not [t for t in fig.texts if (t.get_gid() or "").startswith("key:")]
    assert any("none reached" in t.get_text() for t in fig.texts)


# ---- map.png: a plain title, labels that do not collide, a legend for every mark, nothing clipped --------
def _texts(fig, gid: str) -> list:
    return [t for t in fig.axes[0].texts if t.get_gid() == gid]


def _renderer(fig):
    return FigureCanvasAgg(fig).get_renderer() if not isinstance(fig.canvas, FigureCanvasAgg) \
        else fig.canvas.get_renderer()


def test_plot_control_map(model, tmp_path):
    path = tmp_path / "map.png"
    fig = plot_control_map(model.theatre, model.control, path, title="test")
    _check_png(path, min_bytes=30_000)
    ax = fig.axes[0]
    assert ax.get_legend() is not None
    texts = {t.get_text() for t in _texts(fig, "place")}
    assert {"Raqqa", "Deir ez-Zor", "Mosul"} <= texts
    fig = plot_control_map(model.theatre, model.control, places=["Raqqa", "Tabqa"])
    assert {t.get_text() for t in _texts(fig, "place")} == {"Raqqa", "Tabqa"}


def test_a_map_laid_out_before_its_day_draws_each_day_as_plot_control_map(model, tmp_path):
    """A ControlMap, laid out once and drawn for one day after another (hatched or not), makes each day's
    file to the byte as plot_control_map does."""
    tmap = model.theatre
    besieged = np.zeros(tmap.n_cells, bool)
    besieged[np.flatnonzero(tmap.in_theatre)[::25]] = True
    split = np.where(tmap.country == 2, int(Faction.ISF), int(Faction.SAA)).astype(np.int8)
    laid_out = ControlMap(tmap)
    days = [(model.control, besieged, "one"), (split, None, "two"), (model.control, besieged, "three")]
    for day, (control, hatched, title) in enumerate(days):
        plot_control_map(tmap, control, tmp_path / f"whole{day}.png", title=title, besieged=hatched)
        laid_out.draw(control, tmp_path / f"laid_out{day}.png", title=title, besieged=hatched)
        assert (tmp_path / f"laid_out{day}.png").read_bytes() == (tmp_path / f"whole{day}.png").read_bytes(), day
    assert (tmp_path / "whole0.png").read_bytes() != (tmp_path / "whole1.png").read_bytes()


def test_map_title_is_plain_one_date_the_scenario_and_the_seed(model):
    title = map_title(dt.date(2017, 12, 31), "4 July 2017: the battle for Raqqa", 1, dt.date(2017, 7, 4))
    assert title == "Control on 31 Dec 2017 · The battle for Raqqa, from 4 Jul · seed 1"
    assert title.count("2017") == 1 and ":" not in title
    assert map_title(dt.date(2017, 8, 3), "4 July 2017, no Russian air support", 7) == \
        "Control on 3 Aug 2017 · No Russian air support · seed 7"
    assert scenario_label("my own test") == "My own test"
    drawn = plot_map(model).axes[0].get_title()
    assert drawn == f"Control on 9 Jul 2017 (day 5) · The battle for Raqqa, from 4 Jul · seed {model.seed}"


@pytest.fixture(scope="module", params=[5, 10, 20], ids=["5km", "10km", "20km"])
def sized_map(request):
    """The map at each cell size, Syria's ground to the SAA and Iraq's to the ISF, a few cells besieged."""
    tmap = theatre_map(request.param)
    control = np.where(tmap.country == 2, int(Faction.ISF), int(Faction.SAA)).astype(np.int8)
    control[tmap.place_cell["Abu Kamal"]] = int(Faction.ISIS)
    besieged = np.zeros(tmap.n_cells, bool)
    besieged[tmap.place_cell["Abu Kamal"]] = True
    fig = plot_control_map(tmap, control, title="test", besieged=besieged)
    return tmap, fig


def test_no_two_labels_overlap_and_none_is_cut_off(sized_map):
    tmap, fig = sized_map
    renderer = _renderer(fig)
    ax = fig.axes[0]
    places = [t.get_window_extent(renderer) for t in _texts(fig, "place")]
    names = [t.get_window_extent(renderer) for t in _texts(fig, "governorate")]
    assert len(places) >= 30 and len(names) == len(tmap.geography.governorates)
    for i, a in enumerate(places):
        assert not any(a.overlaps(b) for b in places[i + 1:] + names), _texts(fig, "place")[i].get_text()
        assert ax.bbox.containsx(a.x0) and ax.bbox.containsx(a.x1) and ax.bbox.containsy(a.y0) \
            and ax.bbox.containsy(a.y1)
    # The most important places are always labelled.
    assert {"Mosul", "Raqqa", "Deir ez-Zor", "Abu Kamal", "al-Qaim", "Tabqa"} <= \
        {t.get_text() for t in _texts(fig, "place")}


def test_axis_limits_hold_every_hex_whole(sized_map):
    tmap, fig = sized_map
    ax = fig.axes[0]
    lon, lat = tmap.hex_vertices(np.flatnonzero(tmap.in_theatre))
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < lon.min() and lon.max() < x1 and y0 < lat.min() and lat.max() < y1
    cells = next(c for c in ax.collections if c.get_gid() == "cells")
    assert len(cells.get_paths()) == int(tmap.in_theatre.sum())
    assert np.all(cells.get_facecolors()[:, 3] == 1.0)  # opaque: the neutral ground shows only outside


def test_legend_explains_every_mark_on_the_map(sized_map):
    _, fig = sized_map
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert {"ISIS", "SAA", "ISF"} <= set(labels) and "SDF" not in labels  # the factions holding ground
    for words in ("outside the theatre", "besieged", "river", "Syria–Iraq border", "governorate border",
                  "city or town", "airbase"):
        assert any(words in label for label in labels), (words, labels)
    assert fig.axes[0].get_facecolor() == pytest.approx(to_rgba(OUTSIDE_COLOUR))


def test_scale_bar_and_the_ground_outside_the_theatre_are_named(sized_map):
    tmap, fig = sized_map
    assert [t.get_text() for t in _texts(fig, "scale-bar")] == ["100 km"]
    # The hole between Aleppo, Raqqa and Homs is Hama governorate: outside the theatre, and named.
    hama = next(t for t in _texts(fig, "neighbour") if t.get_text() == "HAMA")
    lon, lat = hama.get_position()
    assert not shapely.contains_xy(tmap.geography.theatre_outline, lon, lat)
    assert "Hama" not in tmap.geography.governorates


def test_map_without_besieged_cells_has_no_besieged_entry(model):
    fig = plot_control_map(model.theatre, model.control, besieged=np.zeros(model.theatre.n_cells, bool))
    assert not any("besieged" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
