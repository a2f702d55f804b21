"""Milestone dates of a run, read from its event log and daily figures (as the sweeps read them)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.history import run_milestones

START = dt.date(2017, 7, 4)


def day(n: int) -> str:
    return (START + dt.timedelta(days=n)).isoformat()


def events_table(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["step", "event", "place", "faction", "detail"])
    return frame.assign(date=[day(s) for s in frame.step])[["date", "step", "event", "place", "faction", "detail"]]


EVENTS = events_table([
    (5, "siege_broken", "Deir ez-Zor", "ISIS", "besieged pocket rejoined its side"),   # not the SAA's
    (10, "captured", "Raqqa", "SDF", "from ISIS"),
    (12, "siege_broken", "Deir ez-Zor", "SAA", "besieged pocket rejoined its side"),
    (15, "captured", "al-Qaim", "ISF", "from ISIS"),
    (20, "captured", "Raqqa", "ISIS", "from SDF"),
    (25, "captured", "al-Qaim", "ISIS", "from ISF"),                                     # and ISIS keeps it
    (30, "captured", "Raqqa", "SDF", "from ISIS"),
    (40, "captured", "Raqqa", "SAA", "from SDF"),                                        # a hand-over, not a fall
    (50, "siege_broken", "Deir ez-Zor", "SAA", "besieged pocket rejoined its side"),
    (60, "city_cleared", "Deir ez-Zor", "SAA", "no ISIS ground within 12 km"),
    (65, "isis_returns", "Deir ez-Zor", "ISIS", "ISIS ground again within 12 km"),
    (70, "city_cleared", "Deir ez-Zor", "SAA", "no ISIS ground within 12 km"),
])
BY_GOVERNORATE = pd.DataFrame({
    "date": ["2017-11-03"] * 3 + ["2017-11-04"], "governorate": ["Deir ez-Zor", "Deir ez-Zor", "Raqqa", "Deir ez-Zor"],
    "faction": ["ISIS", "SAA", "ISIS", "ISIS"], "area_km2": [100.0, 200.0, 500.0, 300.0]})


def test_milestone_dates_from_events():
    got = run_milestones(EVENTS.sample(frac=1.0, random_state=1), BY_GOVERNORATE)  # any row order
    assert got["siege_broken"] == pd.Timestamp(day(12))
    assert got["raqqa_falls"] == pd.Timestamp(day(30))
    assert pd.isna(got["al_qaim_falls"])
    assert got["deir_ez_zor_cleared"] == pd.Timestamp(day(70))
    assert got["isis_share_deir_ez_zor"] == pytest.approx(1 / 3)
