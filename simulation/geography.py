"""The theatre's fixed geography: governorates, rivers and named places.

The data ship with the package in ``simulation/data`` (authored from public
coordinates; see the ``source`` column of ``places.csv``). Distances and areas are
computed in a sinusoidal projection centred on the theatre, which is equal-area,
so every hex cell laid in it covers the same true area on the ground.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon, box, shape

DATA_DIR = Path(__file__).parent / "data"

EARTH_RADIUS_KM = 6371.0088
CENTRAL_MERIDIAN = 40.75
# The theatre's bounding box (degrees): Aleppo's east to Salah ad-Din, Anbar to Turkey.
THEATRE_BOUNDS = (37.0, 32.3, 44.5, 37.4)  # lon_min, lat_min, lon_max, lat_max
THEATRE_GOVERNORATES = (
    "Aleppo", "Raqqa", "Hasakah", "Deir ez-Zor", "Homs",
    "Nineveh", "Anbar", "Salah ad-Din",
)


def project(lon, lat):
    """Lon/lat in degrees to sinusoidal (equal-area) x, y in km."""
    lat_r = np.radians(lat)
    x = EARTH_RADIUS_KM * np.radians(np.asarray(lon) - CENTRAL_MERIDIAN) * np.cos(lat_r)
    y = EARTH_RADIUS_KM * lat_r
    return x, y


def unproject(x, y):
    """Sinusoidal x, y in km back to lon/lat in degrees."""
    lat_r = np.asarray(y) / EARTH_RADIUS_KM
    lon = CENTRAL_MERIDIAN + np.degrees(np.asarray(x) / (EARTH_RADIUS_KM * np.cos(lat_r)))
    return lon, np.degrees(lat_r)


def project_geometry(geom):
    """A shapely geometry in lon/lat, projected to km."""
    return shapely.transform(geom, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1])))


@dataclass(frozen=True)
class Place:
    """A named place from the places table."""

    name: str
    aliases: tuple[str, ...]
    lat: float
    lon: float
    population: int
    community: str  # arab | kurdish | mixed
    role: str  # city | town | oil_field | gas_field | border_crossing | airbase | dam | station
    country: str


@dataclass(frozen=True)
class Geography:
    """Governorate polygons, river lines and places, all in lon/lat."""

    governorates: dict[str, Polygon]
    countries: dict[str, str]  # governorate -> country
    official_area_km2: dict[str, float]
    rivers: dict[str, LineString]
    places: tuple[Place, ...]

    @cached_property
    def theatre_outline(self):
        """The theatre: the listed governorates clipped to the bounding box (worked out once)."""
        return shapely.union_all(list(self.governorates.values())).intersection(box(*THEATRE_BOUNDS))

    @cached_property
    def _place_named(self) -> dict[str, Place]:
        """Each place under its name and aliases, casefolded; where two share one, the first
        listed (as a search down the table would find it). Made once: a model's set-up asks
        for some ninety places by name."""
        named: dict[str, Place] = {}
        for p in self.places:
            for key in (p.name, *p.aliases):
                named.setdefault(key.casefold(), p)
        return named

    def place(self, name: str) -> Place:
        """The place called ``name`` (or one of its aliases); KeyError if none."""
        try:
            return self._place_named[name.casefold()]
        except KeyError:
            raise KeyError(name) from None


@lru_cache(maxsize=1)
def load_geography() -> Geography:
    """Read the shipped governorate, river and place data (cached)."""
    gov = json.loads((DATA_DIR / "governorates.geojson").read_text())
    governorates, countries, areas = {}, {}, {}
    for feature in gov["features"]:
        name = feature["properties"]["name"]
        if name not in THEATRE_GOVERNORATES:
            continue
        governorates[name] = shape(feature["geometry"])
        countries[name] = feature["properties"]["country"]
        areas[name] = float(feature["properties"]["official_area_km2"])
    riv = json.loads((DATA_DIR / "rivers.geojson").read_text())
    rivers = {f["properties"]["name"]: shape(f["geometry"]) for f in riv["features"]}
    with open(DATA_DIR / "places.csv", newline="", encoding="utf-8") as fh:
        places = tuple(
            Place(
                name=row["name"],
                aliases=tuple(a.strip() for a in row["aliases"].split(";") if a.strip()),
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                population=int(float(row["population"] or 0)),
                community=row["community"],
                role=row["role"],
                country=row["country"],
            )
            for row in csv.DictReader(fh)
        )
    return Geography(governorates, countries, areas, rivers, places)
