"""The day's figures and the event log, as tidy tables.

The daily figures go through Mesa's ``DataCollector`` (one table row per faction per
day, and one per faction and governorate); events and air strikes are plain lists
of records. All three come out as pandas DataFrames with calendar dates.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from mesa import DataCollector

from simulation.factions import Faction
from simulation.roles import INSURGENT

# A city counts as cleared once ISIS holds no ground within this distance of its
# centre: the built-up area, its river islands and its outskirts on both banks
# (Deir ez-Zor's districts and islands run about 10 km along the Euphrates).
CITY_RING_KM = 12.0

DAILY_COLUMNS = ["date", "step", "faction", "area_km2", "cells", "population", "strength",
                 "units", "manoeuvre", "garrison_need", "overstretch", "morale", "supply"]
GOVERNORATE_COLUMNS = ["date", "step", "faction", "governorate", "area_km2", "cells", "population"]
EVENT_COLUMNS = ["date", "step", "event", "place", "faction", "detail"]
STRIKE_COLUMNS = ["date", "step", "air_arm", "lat", "lon", "target_faction", "strikes"]


def make_datacollector() -> DataCollector:
    """A DataCollector with the model-level series and the two tidy tables."""
    return DataCollector(
        model_reporters={
            "isis_area_km2": lambda m: m.area_held(INSURGENT),
            "incidents": lambda m: m.deconfliction.incidents,
            "civilian_harm": lambda m: m.civilian_harm,
        },
        tables={"daily": DAILY_COLUMNS, "governorate": GOVERNORATE_COLUMNS},
    )


def record_day(model) -> None:
    """Keep today's control map; add today's rows: per faction, and per faction and governorate."""
    snapshot = model.control.copy()  # int8 per cell: about 5 KB a day at 10 km
    snapshot.setflags(write=False)
    model.control_history.append(snapshot)
    tmap, dc = model.theatre, model.datacollector
    date = model.date.isoformat()
    control = np.where(tmap.in_theatre, model.control, -1)
    nf = len(Faction)
    area = np.bincount(control + 1, weights=tmap.cell_area_km2, minlength=nf + 1)[1:]
    cells = np.bincount(control + 1, minlength=nf + 1)[1:]
    people = np.bincount(control + 1, weights=tmap.population, minlength=nf + 1)[1:]
    for f in Faction:
        units = model.units_of(f)
        strength = sum(u.strength for u in units)
        weights = np.array([u.strength for u in units]) if units else np.zeros(0)
        mean = (lambda attr: float(np.average([getattr(u, attr) for u in units], weights=weights))
                if weights.sum() > 0 else 0.0)
        dc.add_table_row("daily", {
            "date": date, "step": model.steps, "faction": f.name,
            "area_km2": float(area[f]), "cells": int(cells[f]), "population": float(people[f]),
            "strength": float(model.manpower[f]), "units": float(strength),
            "manoeuvre": float(model.manoeuvre[f]), "garrison_need": float(model.garrison_total[f]),
            "overstretch": float(model.overstretch[f]), "morale": mean("morale"), "supply": mean("supply"),
        })
    # Per governorate: one bincount over (faction, governorate) pairs.
    ng = len(tmap.governorate_names)
    key = np.where(tmap.in_theatre, model.control.astype(np.int64) * ng + tmap.governorate, -1)
    g_area = np.bincount(key + 1, weights=tmap.cell_area_km2, minlength=nf * ng + 1)[1:]
    g_cells = np.bincount(key + 1, minlength=nf * ng + 1)[1:]
    g_people = np.bincount(key + 1, weights=tmap.population, minlength=nf * ng + 1)[1:]
    for f in Faction:
        for g, name in enumerate(tmap.governorate_names):
            i = int(f) * ng + g
            dc.add_table_row("governorate", {
                "date": date, "step": model.steps, "faction": f.name, "governorate": name,
                "area_km2": float(g_area[i]), "cells": int(g_cells[i]), "population": float(g_people[i]),
            })
    dc.collect(model)


def city_rings(tmap) -> tuple[list[str], np.ndarray]:
    """Names of the cities in the places table and a (city, cell) 0/1 matrix of their rings."""
    cities = [p for p in tmap.geography.places if p.role == "city"]
    centres = np.array([tmap.place_cell[p.name] for p in cities], dtype=np.int64)
    ring = (tmap.distance_km(centres, np.flatnonzero(tmap.in_theatre)) <= CITY_RING_KM)
    rings = np.zeros((len(cities), tmap.n_cells), dtype=bool)
    rings[:, np.flatnonzero(tmap.in_theatre)] = ring
    rings[np.arange(len(cities)), centres] = True
    return [p.name for p in cities], rings


def note_cities_cleared(model, contested: np.ndarray) -> np.ndarray:
    """Log cities whose ring the insurgent (ISIS) has just lost entirely, or re-entered; returns today's state."""
    names, rings = model.city_rings
    now = (rings & (model.control == INSURGENT)).any(axis=1)
    for i in np.flatnonzero(contested & ~now):
        holder = Faction(model.control[model.theatre.place_cell[names[i]]])
        model.event_log.append({"date": model.date.isoformat(), "step": model.steps, "event": "city_cleared",
                                "place": names[i], "faction": holder.name,
                                "detail": f"no ISIS ground within {CITY_RING_KM:g} km"})
    for i in np.flatnonzero(~contested & now):
        model.event_log.append({"date": model.date.isoformat(), "step": model.steps, "event": "isis_returns",
                                "place": names[i], "faction": INSURGENT.name,
                                "detail": f"ISIS ground again within {CITY_RING_KM:g} km"})
    return now


def as_frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    """A DataFrame of records with ``date`` parsed as a calendar date."""
    frame = pd.DataFrame.from_records(records, columns=columns)
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"])
    return frame


def table_frame(model, name: str) -> pd.DataFrame:
    """A DataCollector table with ``date`` parsed."""
    frame = model.datacollector.get_table_dataframe(name)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def day_of(start: dt.date, step: int) -> dt.date:
    """Calendar date of a step (step 0 is the start date)."""
    return start + dt.timedelta(days=int(step))
