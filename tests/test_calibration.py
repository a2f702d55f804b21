"""The calibration report: milestones over seeds, targets, consistency, and its files."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from analysis.calibration import (OUTPUT_FILES, TARGET_KEYS, CalibrationError, ordering_days, targets_met,
                                  write_calibration_report)
from analysis.consistency import control_agreement, later_scenarios
from analysis.history import (BEFORE_START, NEVER, NOT_APPLICABLE, RECORD, reached_at_start, run_milestones,
                              run_outcomes)
from simulation import ConflictModel, Faction, load_scenario

from conftest import JULY

DATED_KEYS = [m.key for m in RECORD if m.kind != "share"]
START, END = dt.date(2017, 7, 4), dt.date(2017, 12, 31)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration") / "report"
    result = write_calibration_report(JULY, seeds=2, out=out, workers=2, cell_km=20)
    return out, result


# ---- the report's files ----------------------------------------------------------------
def test_report_writes_every_file(report):
    out, result = report
    for name in OUTPUT_FILES:
        assert (out / name).stat().st_size > 0, name
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert set(result.targets) == set(TARGET_KEYS)


def test_calibration_csv_has_one_row_per_milestone_and_dates_inside_the_run(report):
    out, _ = report
    table = pd.read_csv(out / "calibration.csv", keep_default_na=False)
    assert list(table.columns) == ["milestone", "label", "historical", "median", "p10", "p90", "runs", "reached",
                                   "before_start", "never", "not_applicable", "days_off", "target", "met"]
    assert list(table.milestone) == [m.key for m in RECORD]
    assert (table.runs == 2).all()
    dated = table[table.milestone.isin(DATED_KEYS)]
    assert (dated.reached + dated.before_start + dated.never == 2).all()
    in_run = 0
    for value in dated[["median", "p10", "p90"]].to_numpy().ravel():
        if value not in (BEFORE_START, NEVER):
            assert START <= dt.date.fromisoformat(value) <= END
            in_run += 1
    assert in_run > 0
    assert table.met.astype(str).isin(["True", "False"]).all()  # every milestone row carries a target


def test_runs_and_consistency_csv(report):
    out, result = report
    runs = pd.read_csv(out / "runs.csv", keep_default_na=False)
    assert list(runs.seed) == [1, 2]
    for key in DATED_KEYS:
        assert set(runs[f"{key}_status"]) <= {"date", BEFORE_START, NEVER}
        dated = runs[runs[f"{key}_status"] == "date"]
        assert pd.to_datetime(dated[key]).between(pd.Timestamp(START), pd.Timestamp(END)).all()
    assert targets_met(pd.read_csv(out / "runs.csv")) == result.targets  # the file is enough
    consistency = pd.read_csv(out / "consistency.csv")
    assert list(consistency.columns) == ["scenario", "date", "faction", "cells", "runs", "median", "p10", "p90"]
    assert consistency["median"].dropna().between(0, 1).all()


def test_markdown_report(report):
    out, result = report
    text = (out / "calibration.md").read_text()
    assert text.startswith(f"# Calibration: {result.scenario.name}")
    assert "20 km" in text and "Seeds: 2 (1 to 2)" in text and "2018-01-01" in text
    assert text.count("| PASS |") + text.count("| FAIL |") == len(TARGET_KEYS)
    assert "## Consistency with later scenarios" in text and "calibration.png" in text


@pytest.mark.parametrize("bad", ["a_file", "a_file/inside"])
def test_a_bad_output_path_fails_cleanly_before_any_run(tmp_path, bad):
    (tmp_path / "a_file").write_text("keep me")
    before = sorted(tmp_path.iterdir())
    with pytest.raises(CalibrationError, match="--out"):
        write_calibration_report(JULY, seeds=2, out=tmp_path / bad, workers=1, cell_km=20)
    assert sorted(tmp_path.iterdir()) == before
    assert (tmp_path / "a_file").read_text() == "keep me"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_fails_cleanly(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(CalibrationError, match="cannot write"):
            write_calibration_report(JULY, seeds=1, out=locked / "report", workers=1, cell_km=20)
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("kwargs, message", [
    ({"seeds": 0}, "--seeds"), ({"seeds": 2, "workers": 0}, "--workers"), ({"seeds": 2, "first_seed": -1}, "seed"),
])
def test_bad_requests_are_refused(tmp_path, kwargs, message):
    with pytest.raises(CalibrationError, match=message):
        write_calibration_report(JULY, out=tmp_path / "out", cell_km=20, **kwargs)
    assert list(tmp_path.iterdir()) == []


# ---- milestones from hand-made tables --------------------------------------------------
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


def test_outcomes_before_start_never_and_not_applicable():
    nothing = dict.fromkeys(DATED_KEYS, False)
    got = run_outcomes(EVENTS, BY_GOVERNORATE, nothing, START, END)
    assert got["al_qaim_falls"] == NEVER and got["raqqa_falls"] == pd.Timestamp(day(30))
    # Reached in the initial state: a broken siege stays "before start" whatever follows;
    # a place ISIS retakes for good is "never"; untouched milestones are "before start".
    everything = dict.fromkeys(DATED_KEYS, True)
    got = run_outcomes(EVENTS, BY_GOVERNORATE, everything, START, END)
    assert got["siege_broken"] == BEFORE_START and got["al_qaim_falls"] == NEVER
    quiet = EVENTS[EVENTS.place != "Raqqa"]
    assert run_outcomes(quiet, BY_GOVERNORATE, everything, START, END)["raqqa_falls"] == BEFORE_START
    assert run_outcomes(quiet, BY_GOVERNORATE, nothing, START, END)["raqqa_falls"] == NEVER
    # The record dates Raqqa's fall (17 October) before a 10 November start.
    late = run_outcomes(quiet.iloc[:0], BY_GOVERNORATE, nothing, dt.date(2017, 11, 10), END)
    assert late["raqqa_falls"] == BEFORE_START and late["al_qaim_falls"] == BEFORE_START
    assert late["deir_ez_zor_cleared"] == BEFORE_START and late["isis_share_deir_ez_zor"] == NOT_APPLICABLE


def test_reached_at_start_reads_the_initial_state(july):
    model = ConflictModel(july, seed=1, cell_km=10)
    assert reached_at_start(model) == dict.fromkeys(DATED_KEYS, False)
    # Give every ISIS cell to the SAA: Deir ez-Zor is relieved, Raqqa and al-Qaim are taken.
    model.control[model.control == Faction.ISIS] = Faction.SAA
    model.trace_supply(announce=False)
    assert reached_at_start(model) == dict.fromkeys(DATED_KEYS, True)


# ---- targets over runs ------------------------------------------------------------------
def runs_table(**columns) -> pd.DataFrame:
    """Runs with the given milestone values ('never', 'before start' or a day number)."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({"seed": range(1, n + 1), "start": pd.Timestamp(START), "end": pd.Timestamp(END)})
    for key in DATED_KEYS:
        values = columns.get(key, ["never"] * n)
        frame[key] = [pd.Timestamp(day(v)) if isinstance(v, int) else pd.NaT for v in values]
        frame[f"{key}_status"] = ["date" if isinstance(v, int) else v for v in values]
    frame["isis_share_deir_ez_zor"] = columns.get("share", [np.nan] * n)
    return frame


SEP5, NOV3 = (dt.date(2017, 9, 5) - START).days, (dt.date(2017, 11, 3) - START).days


def test_ordering_puts_before_start_first_and_never_after_the_end():
    runs = runs_table(raqqa_falls=["before start", 40, "never"])
    assert list(ordering_days(runs, "raqqa_falls")) == [-1, 40, (END - START).days + 1]


@pytest.mark.parametrize("columns, key, expected", [
    ({"siege_broken": [SEP5 - 10, SEP5 + 10, SEP5 + 3]}, "siege_broken", True),
    ({"siege_broken": [SEP5 + 11, SEP5 + 11, SEP5 - 30]}, "siege_broken", False),
    ({"siege_broken": [SEP5, "never", "never"]}, "siege_broken", False),   # never is later than any date
    ({"al_qaim_falls": [NOV3 + 14, NOV3 - 14, NOV3 + 20]}, "al_qaim_falls", True),
    ({"deir_ez_zor_cleared": [NOV3 - 15, NOV3 - 15, 1]}, "deir_ez_zor_cleared", False),
    ({"raqqa_falls": [100, 100, 100], "deir_ez_zor_cleared": [120, "never", 90]}, "raqqa_before_deir_ez_zor", True),
    ({"raqqa_falls": ["never"] * 3}, "raqqa_before_deir_ez_zor", False),
    ({"share": [0.2, 0.5, 0.33]}, "isis_share_deir_ez_zor", True),
    ({"share": [0.6, 0.55, 0.1]}, "isis_share_deir_ez_zor", False),
    ({"share": [np.nan] * 3}, "isis_share_deir_ez_zor", False),
])
def test_targets(columns, key, expected):
    assert targets_met(runs_table(**columns))[key] is expected


# ---- consistency with later scenarios ----------------------------------------------------
def test_a_scenario_agrees_with_itself_at_step_0(july):
    a = ConflictModel(july, seed=1, cell_km=20)
    b = ConflictModel(load_scenario(JULY), seed=2, cell_km=20)  # the initial map ignores the seed
    inside = a.theatre.in_theatre
    agree = control_agreement(a.control[inside], b.control[inside])
    assert agree == dict.fromkeys(["all", "ISIS", "SAA", "SDF", "ISF"], 1.0)
    moved = a.control[inside].copy()
    moved[moved == Faction.SDF] = Faction.ISIS
    agree = control_agreement(moved, b.control[inside])
    assert agree["SDF"] == 0.0 and agree["ISIS"] == 1.0 and agree["all"] < 1.0


def test_later_scenarios_are_the_loadable_ones_starting_inside_the_run(tmp_path, july):
    text = JULY.read_text()
    shutil.copy(JULY, tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text(text.replace("start: 2017-07-04", "start: 2017-08-01"))
    (tmp_path / "c.yaml").write_text(text.replace("start: 2017-07-04", "start: 2017-08-01").replace("manpower: 50000",
                                                                                                 "manpower: -1"))
    (tmp_path / "d.yaml").write_text(text.replace("end: 2017-12-31", "end: 2018-03-01")
                                     .replace("start: 2017-07-04", "start: 2018-02-01"))
    (tmp_path / "variants").mkdir()
    (tmp_path / "variants" / "e.yaml").write_text(text.replace("start: 2017-07-04", "start: 2017-08-02"))
    later, notes = later_scenarios(tmp_path / "a.yaml", july, 20.0)
    assert [s.path.name for s in later] == ["b.yaml"] and later[0].start == dt.date(2017, 8, 1)
    assert len(later[0].control) == ConflictModel(july, cell_km=20).theatre.in_theatre.sum()
    assert [n.split(":")[0] for n in notes] == ["c.yaml", "d.yaml"]
    assert "does not load" in notes[0] and "outside this run" in notes[1]
