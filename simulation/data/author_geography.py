"""Authoring script for the shipped geography data (not used at run time).

Builds ``governorates.geojson`` and ``rivers.geojson`` in this folder. The shipped
files are the data; this script only records how they were made so that they can
be edited and rebuilt consistently:

    python simulation/data/author_geography.py

Governorates are hand-simplified (15-60 vertices each) from public small-scale
administrative maps (international borders as drawn in public-domain world
boundary sets such as Natural Earth; first-level internal boundaries as drawn on
public UN OCHA / Wikipedia reference maps). Each shared border is written ONCE as
a polyline and every polygon is assembled from those polylines, so neighbours
share their vertices exactly (no gaps, no overlaps). Boundary vertices that are
not public-map features (e.g. where an internal boundary meets the Syria-Iraq
border in open desert) were nudged so that each governorate's area in the
model's equal-area projection comes within a few percent of its official area.

Rivers are hand-digitised centre lines at about 3 km accuracy near the towns
(from public topographic maps), so that towns lie on the correct bank.

Coordinates are [lon, lat] in degrees (WGS84).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

HERE = Path(__file__).parent

# --------------------------------------------------------------------------
# Nodes where three boundaries meet (named once, reused by every polyline).
# --------------------------------------------------------------------------
N = {
    "TR_SY_IQ": (42.355, 37.105),   # Syria-Turkey-Iraq tripoint on the Tigris
    "JO_SY_IQ": (38.792, 33.379),   # Syria-Jordan-Iraq tripoint
    "JO_SA_IQ": (39.25, 32.22),     # Jordan-Saudi-Iraq tripoint
    "ALP_TR_W": (36.66, 36.29),     # Aleppo/Idlib/Turkey
    "ALP_RAQ_TR": (38.62, 36.79),   # Aleppo/Raqqa on the Turkish border (Kobani - Tal Abyad)
    "RAQ_HAS_TR": (39.62, 36.73),   # Raqqa/Hasakah on the Turkish border (Tal Abyad - Ras al-Ayn)
    "RAQ_HAS_DEZ": (39.95, 35.90),
    "RAQ_DEZ_HOM": (39.10, 35.05),
    "RAQ_HOM_HAM": (38.55, 35.20),
    "ALP_RAQ_HAM": (38.30, 35.72),
    "HAS_DEZ_IQ": (41.343, 35.95),
    "DEZ_HOM_IQ": (39.60, 33.759),
    "HOM_RD_JO": (38.60, 33.274),
    "NIN_DOH_SY": (42.20, 36.93),
    "NIN_ANB_SY": (41.219, 35.10),
    "NIN_ANB_SAD": (42.55, 34.92),
    "NIN_SAD_KIR": (43.50, 35.60),
    "ANB_SAD_BAG": (43.75, 33.62),
    "ANB_NAJ_SA": (42.65, 30.648),
}

# --------------------------------------------------------------------------
# International borders (only the parts the eight governorates touch).
# --------------------------------------------------------------------------
TURKEY_ALEPPO = [N["ALP_TR_W"], (36.62, 36.45), (36.64, 36.60), (36.70, 36.80), (36.90, 36.75),
                 (37.07, 36.63), (37.30, 36.65), (37.55, 36.66), (37.80, 36.73), (38.01, 36.83),
                 (38.20, 36.88), (38.36, 36.91), (38.50, 36.86), N["ALP_RAQ_TR"]]
TURKEY_RAQQA = [N["ALP_RAQ_TR"], (38.80, 36.72), (38.955, 36.705), (39.20, 36.70), N["RAQ_HAS_TR"]]
TURKEY_HASAKAH = [N["RAQ_HAS_TR"], (39.85, 36.79), (40.07, 36.88), (40.35, 36.96), (40.65, 37.06),
                  (40.93, 37.125), (41.22, 37.072), (41.50, 37.09), (41.85, 37.13), (42.05, 37.22),
                  (42.18, 37.32), (42.28, 37.27), (42.33, 37.19), N["TR_SY_IQ"]]

# Syria-Iraq border, north to south; the named nodes split it between governorates.
SYRIA_IRAQ = [N["TR_SY_IQ"], (42.25, 36.98), N["NIN_DOH_SY"], (42.08, 36.81), (41.84, 36.61),
              (41.55, 36.48), (41.29, 36.36), (41.33, 36.05), N["HAS_DEZ_IQ"], (41.3555, 35.85),
              (41.372, 35.72), (41.384, 35.628), N["NIN_ANB_SY"], (41.15, 34.88), (41.006, 34.419),
              (40.30, 34.087), N["DEZ_HOM_IQ"], (39.20, 33.571), N["JO_SY_IQ"]]
JORDAN_IRAQ = [N["JO_SY_IQ"], (39.05, 32.85), N["JO_SA_IQ"]]
SAUDI_IRAQ = [N["JO_SA_IQ"], (40.40, 31.89), (41.20, 31.514), (41.89, 31.19), N["ANB_NAJ_SA"]]
JORDAN_SYRIA_HOMS = [N["JO_SY_IQ"], N["HOM_RD_JO"]]

# --------------------------------------------------------------------------
# Internal boundaries between two modelled governorates (each written once).
# --------------------------------------------------------------------------
ALEPPO_RAQQA = [N["ALP_RAQ_TR"], (38.58, 36.58), (38.48, 36.40), (38.32, 36.18), (38.20, 36.00),
                (38.25, 35.90), N["ALP_RAQ_HAM"]]
RAQQA_HASAKAH = [N["RAQ_HAS_TR"], (39.65, 36.40), (39.75, 36.10), N["RAQ_HAS_DEZ"]]
RAQQA_DEZ = [N["RAQ_HAS_DEZ"], (39.70, 35.68), (39.45, 35.38), N["RAQ_DEZ_HOM"]]
RAQQA_HOMS = [N["RAQ_DEZ_HOM"], (38.90, 35.10), N["RAQ_HOM_HAM"]]
HASAKAH_DEZ = [N["RAQ_HAS_DEZ"], (40.25, 35.92), (40.55, 35.82), (40.80, 35.70), (41.05, 35.80),
               N["HAS_DEZ_IQ"]]
DEZ_HOMS = [N["RAQ_DEZ_HOM"], (39.18, 34.60), (39.40, 34.15), N["DEZ_HOM_IQ"]]

NINEVEH_ANBAR = [N["NIN_ANB_SY"], (41.90, 35.02), N["NIN_ANB_SAD"]]
NINEVEH_SAD = [N["NIN_ANB_SAD"], (42.95, 35.18), (43.18, 35.57), N["NIN_SAD_KIR"]]
ANBAR_SAD = [N["ANB_SAD_BAG"], (43.45, 33.85), (43.20, 34.20), (42.90, 34.60), N["NIN_ANB_SAD"]]

# --------------------------------------------------------------------------
# Outer boundaries against governorates that are not modelled.
# --------------------------------------------------------------------------
ALEPPO_OUTER = [N["ALP_RAQ_HAM"], (37.90, 35.53), (37.50, 35.48), (37.15, 35.62), (37.05, 35.78),
                (36.95, 35.95), (36.85, 36.14), N["ALP_TR_W"]]                 # Hama, Idlib
RAQQA_OUTER = [N["RAQ_HOM_HAM"], (38.40, 35.45), N["ALP_RAQ_HAM"]]             # Hama
# Homs against Rif Dimashq, Lebanon, Tartus and Hama.
HOMS_OUTER = [N["HOM_RD_JO"], (38.10, 33.45), (37.60, 33.62), (37.20, 33.82), (36.80, 34.08),
              (36.60, 34.35), (36.45, 34.50), (36.30, 34.63), (36.12, 34.68), (36.30, 34.88),
              (36.80, 35.00), (37.30, 34.92), (37.60, 34.98), (38.00, 35.10),
              N["RAQ_HOM_HAM"]]
NINEVEH_OUTER = [N["NIN_SAD_KIR"], (43.85, 35.72), (43.85, 35.95), (43.60, 36.10), (43.55, 36.35),
                 (43.62, 36.55), (43.55, 36.72), (43.30, 36.82), (43.00, 36.77), (42.78, 36.72),
                 (42.50, 36.85), N["NIN_DOH_SY"]]                              # Kirkuk, Erbil, Dohuk
SAD_OUTER = [N["NIN_SAD_KIR"], (43.55, 35.30), (43.60, 35.08), (44.00, 35.05), (44.40, 35.12),
             (44.75, 35.12), (44.82, 34.95), (44.75, 34.65), (44.70, 34.35), (44.55, 34.05),
             (44.45, 33.80), (44.30, 33.75), (44.00, 33.72), N["ANB_SAD_BAG"]]  # Kirkuk, Diyala, Baghdad
# Anbar against Najaf, Karbala, Babil and Baghdad.
ANBAR_OUTER = [N["ANB_NAJ_SA"], (43.00, 31.30), (43.30, 31.95), (43.35, 32.45), (43.55, 32.70),
               (43.80, 32.85), (43.95, 33.05), (43.95, 33.30), (43.88, 33.48),
               N["ANB_SAD_BAG"]]


def between(line, a, b):
    """The part of ``line`` from vertex ``a`` to vertex ``b`` (in either direction)."""
    i, j = line.index(a), line.index(b)
    return line[i:j + 1] if i <= j else line[j:i + 1][::-1]


def rev(line):
    return line[::-1]


def ring(*parts):
    """Join polylines end to start into a closed ring, checking they meet."""
    out = list(parts[0])
    for p in parts[1:]:
        assert out[-1] == p[0], (out[-1], p[0])
        out.extend(p[1:])
    assert out[-1] == out[0], (out[-1], out[0])
    return out


GOVERNORATES = {
    # name: (country, official area km2, ring)
    "Aleppo": ("Syria", 18482, ring(TURKEY_ALEPPO, ALEPPO_RAQQA, ALEPPO_OUTER)),
    "Raqqa": ("Syria", 19616, ring(TURKEY_RAQQA, RAQQA_HASAKAH, RAQQA_DEZ, RAQQA_HOMS, RAQQA_OUTER,
                                   rev(ALEPPO_RAQQA))),
    "Hasakah": ("Syria", 23334, ring(TURKEY_HASAKAH, between(SYRIA_IRAQ, N["TR_SY_IQ"], N["HAS_DEZ_IQ"]),
                                     rev(HASAKAH_DEZ), rev(RAQQA_HASAKAH))),
    "Deir ez-Zor": ("Syria", 33060, ring(HASAKAH_DEZ, between(SYRIA_IRAQ, N["HAS_DEZ_IQ"], N["DEZ_HOM_IQ"]),
                                         rev(DEZ_HOMS), rev(RAQQA_DEZ))),
    "Homs": ("Syria", 42223, ring(between(SYRIA_IRAQ, N["DEZ_HOM_IQ"], N["JO_SY_IQ"]), JORDAN_SYRIA_HOMS,
                                  HOMS_OUTER, rev(RAQQA_HOMS), DEZ_HOMS)),
    "Nineveh": ("Iraq", 37323, ring(between(SYRIA_IRAQ, N["NIN_DOH_SY"], N["NIN_ANB_SY"]), NINEVEH_ANBAR,
                                    NINEVEH_SAD, NINEVEH_OUTER)),
    "Anbar": ("Iraq", 138501, ring(between(SYRIA_IRAQ, N["NIN_ANB_SY"], N["JO_SY_IQ"]), JORDAN_IRAQ,
                                   SAUDI_IRAQ, ANBAR_OUTER, ANBAR_SAD, rev(NINEVEH_ANBAR))),
    "Salah ad-Din": ("Iraq", 24751, ring(rev(NINEVEH_SAD), rev(ANBAR_SAD), rev(SAD_OUTER))),
}

# --------------------------------------------------------------------------
# Rivers (downstream order).
# --------------------------------------------------------------------------
EUPHRATES = [
    # Turkish border at Jarablus, south to the Tishrin dam
    (38.03, 36.84), (38.05, 36.76), (38.12, 36.68), (38.20, 36.61), (38.26, 36.56), (38.24, 36.47),
    (38.18, 36.38),
    # Lake Assad to the Tabqa dam
    (38.17, 36.25), (38.12, 36.12), (38.15, 36.02), (38.30, 35.95), (38.45, 35.92), (38.57, 35.87),
    # east past Raqqa (north bank)
    (38.70, 35.88), (38.80, 35.90), (38.92, 35.925), (39.00, 35.932), (39.08, 35.93), (39.18, 35.91),
    (39.30, 35.86), (39.45, 35.80), (39.60, 35.73), (39.72, 35.64), (39.82, 35.54), (39.90, 35.48),
    (39.98, 35.43), (40.05, 35.39), (40.10, 35.375), (40.16, 35.345),
    # past Deir ez-Zor (west bank) and the Khabur mouth at Busayrah
    (40.22, 35.30), (40.30, 35.23), (40.38, 35.17), (40.43, 35.145), (40.48, 35.06), (40.52, 35.00),
    # Mayadeen (west), al-Omar (east), Hajin (east), Abu Kamal (west)
    (40.58, 34.94), (40.66, 34.87), (40.73, 34.79), (40.78, 34.72), (40.80, 34.66), (40.84, 34.59),
    (40.88, 34.54), (40.92, 34.50), (40.96, 34.465), (41.01, 34.43),
    # Iraq: al-Qaim, Rawa (north), Anah (south), Lake Qadisiyah, Haditha
    (41.08, 34.405), (41.14, 34.40), (41.22, 34.41), (41.30, 34.43), (41.45, 34.46), (41.60, 34.47),
    (41.75, 34.45), (41.88, 34.43), (41.95, 34.425), (42.02, 34.40), (42.10, 34.35), (42.20, 34.30),
    (42.30, 34.25), (42.36, 34.21), (42.41, 34.13),
    # Hit, Ramadi, Fallujah and on toward the Hindiya barrage
    (42.45, 34.05), (42.52, 33.95), (42.56, 33.85), (42.65, 33.76), (42.72, 33.72), (42.80, 33.68),
    (42.86, 33.645), (42.92, 33.595), (42.95, 33.57), (43.05, 33.52), (43.15, 33.47), (43.25, 33.44),
    (43.31, 33.436),
    (43.38, 33.43), (43.48, 33.40), (43.58, 33.38), (43.68, 33.37), (43.75, 33.36), (43.76, 33.32),
    (43.78, 33.25), (43.80, 33.20), (43.85, 33.12), (43.95, 33.03), (44.08, 32.93), (44.20, 32.84),
    (44.28, 32.76), (44.25, 32.65), (44.22, 32.54), (44.26, 32.42), (44.30, 32.30), (44.31, 32.25),
]

KHABUR = [
    (40.06, 36.86), (40.12, 36.80), (40.20, 36.74), (40.28, 36.69), (40.37, 36.655), (40.45, 36.62),
    (40.55, 36.57), (40.63, 36.53), (40.70, 36.50), (40.74, 36.485), (40.75, 36.42), (40.76, 36.34),
    (40.76, 36.25), (40.74, 36.16), (40.72, 36.09), (40.71, 36.03), (40.72, 35.95), (40.75, 35.87),
    (40.77, 35.80), (40.77, 35.74), (40.74, 35.66), (40.70, 35.58), (40.65, 35.50), (40.60, 35.42),
    (40.55, 35.33), (40.50, 35.25), (40.46, 35.19), (40.43, 35.145),
]

TIGRIS = [
    N["TR_SY_IQ"], (42.38, 37.07), (42.45, 37.00), (42.52, 36.93), (42.60, 36.87), (42.68, 36.80),
    (42.75, 36.72), (42.82, 36.63), (42.88, 36.57), (42.95, 36.52), (43.03, 36.45), (43.08, 36.40),
    (43.12, 36.36), (43.14, 36.33), (43.16, 36.30), (43.20, 36.23), (43.25, 36.15), (43.28, 36.07),
    (43.32, 35.98), (43.33, 35.90), (43.33, 35.80), (43.30, 35.70), (43.27, 35.60), (43.27, 35.51),
    (43.30, 35.38), (43.38, 35.25), (43.46, 35.15), (43.55, 35.07), (43.53, 34.98), (43.53, 34.93),
    (43.57, 34.85), (43.62, 34.75), (43.66, 34.67), (43.71, 34.61), (43.74, 34.52), (43.78, 34.42),
    (43.82, 34.32), (43.84, 34.22), (43.86, 34.17), (43.92, 34.10), (44.02, 34.03), (44.12, 33.98),
    (44.20, 33.90), (44.25, 33.80), (44.28, 33.70), (44.30, 33.58), (44.33, 33.47), (44.36, 33.40),
    (44.40, 33.35), (44.44, 33.32), (44.48, 33.30), (44.52, 33.28),
]

RIVERS = {"Euphrates": EUPHRATES, "Khabur": KHABUR, "Tigris": TIGRIS}

R_KM = 6371.0088
LON0 = 40.75


def equal_area_km2(coords):
    """Shoelace area in the sinusoidal projection the model uses."""
    pts = [(R_KM * math.radians(lon - LON0) * math.cos(math.radians(lat)), R_KM * math.radians(lat))
           for lon, lat in coords]
    s = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]))
    return abs(s) / 2


def _round(coords):
    return [[round(lon, 4), round(lat, 4)] for lon, lat in coords]


def main():
    features = []
    for name, (country, official, coords) in GOVERNORATES.items():
        features.append({
            "type": "Feature",
            "properties": {"name": name, "country": country, "official_area_km2": official},
            "geometry": {"type": "Polygon", "coordinates": [_round(coords)]},
        })
        area = equal_area_km2(coords[:-1])
        print(f"{name:14s} {len(coords) - 1:3d} vertices  {area:9.0f} km2  official {official:7d}"
              f"  {100 * (area / official - 1):+5.1f}%")
    (HERE / "governorates.geojson").write_text(json.dumps(
        {"type": "FeatureCollection", "features": features}, indent=1) + "\n")
    rivers = [{"type": "Feature", "properties": {"name": name},
               "geometry": {"type": "LineString", "coordinates": _round(coords)}}
              for name, coords in RIVERS.items()]
    (HERE / "rivers.geojson").write_text(json.dumps(
        {"type": "FeatureCollection", "features": rivers}, indent=1) + "\n")


if __name__ == "__main__":
    main()
