"""Checks on the shipped geography data: governorates, rivers and places.

Uses only the data files (json/csv) and shapely, not the model code, so that a
broken data edit is caught even if the loader changes.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path

import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, shape

DATA = Path(__file__).parents[1] / "simulation" / "data"

R_KM = 6371.0088
LON0 = 40.75
BOX = (37.0, 32.3, 44.5, 37.4)  # lon_min, lat_min, lon_max, lat_max

OFFICIAL = {
    "Aleppo": ("Syria", 18482), "Raqqa": ("Syria", 19616), "Hasakah": ("Syria", 23334),
    "Deir ez-Zor": ("Syria", 33060), "Homs": ("Syria", 42223),
    "Nineveh": ("Iraq", 37323), "Anbar": ("Iraq", 138501), "Salah ad-Din": ("Iraq", 24751),
}
HARD_AREA = {"Raqqa", "Deir ez-Zor", "Hasakah"}  # checked to 6% by the model

SCENARIO_PLACES = [
    "Raqqa", "Tabqa", "Deir ez-Zor", "Mayadeen", "Abu Kamal", "Hajin", "al-Qaim", "Anah", "Rawa",
    "Ramadi", "Mosul", "Sukhnah", "Shaddadi", "Hasakah", "Conoco gas field", "Palmyra", "Qamishli",
    "Manbij", "Haditha", "Hit", "Tal Afar", "al-Omar oil field", "T2 station", "Deir ez-Zor airbase",
    "Tabqa dam",
]
COLUMNS = ["name", "aliases", "lat", "lon", "population", "community", "role", "country", "source"]
COMMUNITIES = {"arab", "kurdish", "mixed"}
ROLES = {"city", "town", "oil_field", "gas_field", "border_crossing", "airbase", "dam", "station"}
FACILITIES = {"oil_field", "gas_field", "border_crossing", "airbase", "dam", "station"}

# Side of the Euphrates, looking downstream: "left" is the north/east bank where the
# river runs east or south-east, "right" the south/west bank.
EUPHRATES_SIDE = {
    "Raqqa": "left",            # north bank
    "Tabqa": "right",
    "Deir ez-Zor": "right",     # west bank
    "Deir ez-Zor airbase": "right",
    "Mayadeen": "right",
    "Abu Kamal": "right",
    "Hajin": "left",            # east bank
    "al-Omar oil field": "left",
    "Conoco gas field": "left",
    "Khasham": "left",
    "Rawa": "left",             # north bank
    "Anah": "right",            # south bank
    "Ramadi": "right",
    "Fallujah": "left",         # east bank
}


def project(lon, lat):
    """The model's sinusoidal equal-area projection, degrees to km."""
    return (R_KM * math.radians(lon - LON0) * math.cos(math.radians(lat)), R_KM * math.radians(lat))


def projected(geom):
    return shapely.transform(
        geom, lambda xy: [project(lon, lat) for lon, lat in xy]
    )


def _load_geojson(name):
    with open(DATA / name, encoding="utf-8") as fh:
        data = json.load(fh)
    assert data["type"] == "FeatureCollection"
    return data["features"]


@pytest.fixture(scope="module")
def governorates():
    feats = _load_geojson("governorates.geojson")
    out = {}
    for f in feats:
        props = f["properties"]
        assert set(props) >= {"name", "country", "official_area_km2"}
        out[props["name"]] = (props["country"], float(props["official_area_km2"]), shape(f["geometry"]))
    return out


@pytest.fixture(scope="module")
def rivers():
    return {f["properties"]["name"]: shape(f["geometry"]) for f in _load_geojson("rivers.geojson")}


@pytest.fixture(scope="module")
def places():
    with open(DATA / "places.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return {row["name"]: row for row in reader}


# ---------------------------------------------------------------- governorates

def test_governorates_present_with_official_areas(governorates):
    assert set(governorates) == set(OFFICIAL)
    for name, (country, official) in OFFICIAL.items():
        assert governorates[name][0] == country
        assert governorates[name][1] == official


def test_polygons_valid_and_simple(governorates):
    for name, (_, _, poly) in governorates.items():
        assert isinstance(poly, Polygon), name
        assert poly.is_valid, (name, shapely.is_valid_reason(poly))
        assert not poly.interiors, name
        n = len(poly.exterior.coords) - 1
        assert 10 <= n <= 80, (name, n)
        for lon, lat in poly.exterior.coords:
            assert 34.0 < lon < 47.0 and 29.0 < lat < 38.0, (name, lon, lat)


def test_no_overlaps(governorates):
    proj = {n: projected(g[2]) for n, g in governorates.items()}
    for a, b in itertools.combinations(proj, 2):
        overlap = proj[a].intersection(proj[b]).area
        smaller = min(proj[a].area, proj[b].area)
        assert overlap < 0.005 * smaller, (a, b, overlap)


def test_neighbours_share_borders_without_gaps(governorates):
    polys = {n: g[2] for n, g in governorates.items()}
    union = shapely.union_all(list(polys.values()))
    assert isinstance(union, Polygon), union.geom_type  # one connected block
    assert not union.interiors  # no holes between neighbours
    neighbours = [
        ("Aleppo", "Raqqa"), ("Raqqa", "Hasakah"), ("Raqqa", "Deir ez-Zor"), ("Raqqa", "Homs"),
        ("Hasakah", "Deir ez-Zor"), ("Deir ez-Zor", "Homs"), ("Hasakah", "Nineveh"),
        ("Deir ez-Zor", "Anbar"), ("Homs", "Anbar"), ("Nineveh", "Anbar"),
        ("Nineveh", "Salah ad-Din"), ("Anbar", "Salah ad-Din"),
    ]
    for a, b in neighbours:
        shared = projected(polys[a].boundary.intersection(polys[b].boundary)).length
        assert shared > 50.0, (a, b, shared)  # km of common border


def test_equal_area_areas(governorates):
    for name, (_, official, poly) in governorates.items():
        area = projected(poly).area
        tol = 0.06 if name in HARD_AREA else 0.10
        assert abs(area / official - 1) < tol, (name, round(area), official)


def test_shapes_recognisable(governorates):
    g = {n: v[2] for n, v in governorates.items()}
    # Hasakah is the north-east corner: it reaches the Turkey-Syria-Iraq tripoint.
    assert g["Hasakah"].distance(Point(42.355, 37.105)) < 0.01
    # Raqqa reaches the Turkish border at Tal Abyad; Homs the Jordan tripoint.
    assert g["Raqqa"].distance(Point(38.955, 36.71)) < 0.03
    assert g["Homs"].distance(Point(38.792, 33.379)) < 0.01
    assert g["Anbar"].distance(Point(38.792, 33.379)) < 0.01
    # Deir ez-Zor runs from west of Deir ez-Zor city to the Iraqi border at Abu Kamal.
    assert g["Deir ez-Zor"].bounds[0] < 39.8 and g["Deir ez-Zor"].bounds[2] > 41.2
    assert g["Anbar"].bounds[1] < 31.5  # down to the Saudi border


# ---------------------------------------------------------------- rivers

def test_rivers(rivers):
    assert set(rivers) >= {"Euphrates", "Khabur", "Tigris"}
    for name in ("Euphrates", "Khabur", "Tigris"):
        line = rivers[name]
        assert isinstance(line, LineString) and line.is_simple, name
        assert 20 <= len(line.coords) <= 100, name
    euph = rivers["Euphrates"]
    assert Point(euph.coords[0]).distance(Point(38.01, 36.82)) < 0.1  # enters at Jarablus
    end = euph.coords[-1]
    assert end[0] > 44.5 or end[1] < 32.3
    # The Khabur ends on the Euphrates at Busayrah.
    khabur_mouth = Point(rivers["Khabur"].coords[-1])
    assert euph.distance(khabur_mouth) < 0.01
    assert khabur_mouth.distance(Point(40.43, 35.15)) < 0.05
    tig = rivers["Tigris"]
    assert Point(tig.coords[0]).distance(Point(42.37, 37.09)) < 0.1
    assert tig.distance(Point(43.13, 36.34)) < 0.05  # through Mosul
    end = tig.coords[-1]
    assert end[0] > 44.5 or end[1] < 32.3


def _side(line_km: LineString, p_km: Point) -> str:
    """Which side of the downstream direction the point lies (via the local tangent)."""
    s = line_km.project(p_km)
    a = line_km.interpolate(max(s - 1.0, 0.0))
    b = line_km.interpolate(min(s + 1.0, line_km.length))
    q = line_km.interpolate(s)
    cross = (b.x - a.x) * (p_km.y - q.y) - (b.y - a.y) * (p_km.x - q.x)
    return "left" if cross > 0 else "right"


def test_euphrates_banks(rivers, places):
    euph = projected(rivers["Euphrates"])
    for name, want in EUPHRATES_SIDE.items():
        row = places[name]
        p = Point(project(float(row["lon"]), float(row["lat"])))
        d = euph.distance(p)
        assert d > 1.0, (name, d)  # clearly on one bank, not on the line
        assert d < 25.0, (name, d)
        assert _side(euph, p) == want, (name, want)


def test_raqqa_north_of_euphrates(rivers, places):
    euph = rivers["Euphrates"]
    lat, lon = float(places["Raqqa"]["lat"]), float(places["Raqqa"]["lon"])
    crossing = euph.intersection(LineString([(lon, lat - 0.5), (lon, lat + 0.5)]))
    assert crossing.geom_type == "Point" and crossing.y < lat


# ---------------------------------------------------------------- places

def test_places_table(places):
    for name, row in places.items():
        assert row["community"] in COMMUNITIES, name
        assert row["role"] in ROLES, name
        assert row["country"] in {"Syria", "Iraq"}, name
        assert row["source"].strip(), name
        pop = int(row["population"])
        assert pop >= 0, name
        if row["role"] in FACILITIES:
            assert pop == 0, name
        elif row["role"] == "city":
            assert pop >= 40000, name
    all_names = [n.casefold() for n in places]
    all_names += [a.strip().casefold() for r in places.values() for a in r["aliases"].split(";") if a.strip()]
    assert len(all_names) == len(set(all_names)), "duplicate name or alias"


def test_a_place_is_found_by_its_name_or_any_alias_in_any_case():
    from simulation.geography import load_geography

    geo = load_geography()
    for p in geo.places:
        for name in (p.name, *p.aliases):
            assert geo.place(name) is p
            assert geo.place(name.upper()) is p and geo.place(name.casefold()) is p
    assert geo.place("Bukamal").name == "Abu Kamal"
    with pytest.raises(KeyError, match="Atlantis"):
        geo.place("Atlantis")


def test_scenario_places_present(places):
    missing = [n for n in SCENARIO_PLACES if n not in places]
    assert not missing
    assert "Bukamal" in places["Abu Kamal"]["aliases"].split(";")
    assert "Husaybah" in places["al-Qaim"]["aliases"].split(";")
    for name in ("Qamishli", "Kobani", "Amuda", "Malikiyah"):
        assert places[name]["community"] == "kurdish", name
    assert places["Hasakah"]["community"] == "mixed"
    assert places["Manbij"]["community"] == "mixed"
    for name in ("Raqqa", "Deir ez-Zor", "Mayadeen", "Abu Kamal", "Hajin"):
        assert places[name]["community"] == "arab", name


def test_places_inside_box_and_own_country(places, governorates):
    lon_min, lat_min, lon_max, lat_max = BOX
    for name, row in places.items():
        lat, lon = float(row["lat"]), float(row["lon"])
        assert lon_min <= lon <= lon_max and lat_min <= lat <= lat_max, name
        p = Point(lon, lat)
        home = [g for g, (country, _, poly) in governorates.items()
                if country == row["country"] and poly.contains(p)]
        assert len(home) == 1, (name, home)


def test_airbase_near_deir_ez_zor(places):
    c = places["Deir ez-Zor"]
    a = places["Deir ez-Zor airbase"]
    x0, y0 = project(float(c["lon"]), float(c["lat"]))
    x1, y1 = project(float(a["lon"]), float(a["lat"]))
    assert 3.0 < math.hypot(x1 - x0, y1 - y0) < 10.0
    assert y1 < y0 and x1 > x0  # south-east of the centre
