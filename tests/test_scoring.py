"""Scoring runs against the record: counterparts, hand-worked scores, and the real command."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import scoring
from analysis.record import RecordEvent, Source

ROOT = Path(__file__).resolve().parent.parent
START, END = dt.date(2017, 7, 4), dt.date(2017, 12, 31)


def event(id, kind="captured", place="Raqqa", faction="SDF", earliest=dt.date(2017, 10, 17), latest=None,
          split="test", **kw) -> RecordEvent:
    return RecordEvent(id=id, earliest=earliest, latest=latest or earliest, place=place, faction=faction, kind=kind,
                       split=split, confidence="high", sources=(Source("Reuters", earliest),), **kw)


def log(*rows) -> pd.DataFrame:
    """An event log from (step, event, place, faction, detail) rows, dated from START."""
    return pd.DataFrame([{"date": (START + dt.timedelta(days=s)).isoformat(), "step": s, "event": ev, "place": p,
                          "faction": f, "detail": d} for s, ev, p, f, d in rows])


def test_captures_are_matched_in_order_per_place_and_captor():
    record = (event("first", place="Abu Kamal", faction="SAA", earliest=dt.date(2017, 11, 9)),
              event("isis", place="Abu Kamal", faction="ISIS", earliest=dt.date(2017, 11, 11)),
              event("second", place="Abu Kamal", faction="SAA", earliest=dt.date(2017, 11, 19)))
    run = log((100, "captured", "Abu Kamal", "SAA", "from ISIS"), (103, "captured", "Abu Kamal", "ISIS", "from SAA"),
              (120, "captured", "Abu Kamal", "SAA", "from ISIS"))
    assert scoring.event_ranks(record) == {"first": 1, "isis": 1, "second": 2}
    assert scoring.run_days(run, record, START, END) == {"first": 100.0, "isis": 103.0, "second": 120.0}
    # With one capture only, the second is never reached.
    assert np.isnan(scoring.run_days(run.iloc[:1], record, START, END)["second"])


def test_a_city_is_cleared_on_its_last_clearing_unless_isis_returned():
    record = (event("cleared", kind="city_cleared"),)
    back = log((80, "city_cleared", "Raqqa", "SDF", ""), (90, "isis_returns", "Raqqa", "ISIS", ""))
    again = log((80, "city_cleared", "Raqqa", "SDF", ""), (90, "isis_returns", "Raqqa", "ISIS", ""),
                (95, "city_cleared", "Raqqa", "SDF", ""))
    assert np.isnan(scoring.run_days(back, record, START, END)["cleared"])
    assert scoring.run_days(again, record, START, END)["cleared"] == 95.0


def test_incidents_count_in_order_and_events_before_the_start_are_not_scored():
    record = (event("one", kind="incident", faction="SAA", against="SDF", earliest=dt.date(2017, 9, 16)),
              event("two", kind="incident", faction="RUSSIA", against="COALITION", earliest=dt.date(2017, 12, 13)),
              event("early", earliest=dt.date(2017, 7, 1), latest=dt.date(2017, 7, 4)))
    run = log((70, "incident", "Deir ez-Zor", "SAA", ""))
    days = scoring.run_days(run, record, START, END)
    assert days["one"] == 70.0 and np.isnan(days["two"]) and days["early"] == scoring.BEFORE_START


def test_scores_worked_by_hand():
    # Record on day 105 (17 October); four runs: days 100, 104, 110 and never.
    record = (event("raqqa"),)
    days = pd.DataFrame({"raqqa": [100.0, 104.0, 110.0, np.nan]})
    row = scoring.event_scores(days, record, START, END).iloc[0]
    # Quantiles with "never" last: 10% -> 100, 50% -> 104, 90% -> never.
    assert (row["p10"], row["median"]) == (100.0, 104.0) and np.isnan(row["p90"])
    assert row.error_days == -1.0 and row.in_band and row.never == 0.25
    # CRPS of the ensemble {100, 104, 110, 181} (never = the day after 31 December) against 105:
    # mean |x - y| = (5 + 1 + 5 + 76) / 4 = 21.75; the pairwise |x - x'| add up to 2 x 249 over
    # 16 pairs, 31.125, so CRPS = 21.75 - 0.5 * 31.125 = 6.1875.
    ens = np.array([100, 104, 110, 181.0])
    expected = np.abs(ens - 105).mean() - 0.5 * np.abs(ens[:, None] - ens[None, :]).mean()
    assert row.crps_days == pytest.approx(expected)
    assert row.crps_days == pytest.approx(6.1875)


def test_a_record_range_counts_every_day_in_it_as_no_error():
    record = (event("range", earliest=dt.date(2017, 10, 17), latest=dt.date(2017, 10, 20)),)  # days 105-108
    inside = scoring.event_scores(pd.DataFrame({"range": [107.0] * 3}), record, START, END).iloc[0]
    late = scoring.event_scores(pd.DataFrame({"range": [111.0] * 3}), record, START, END).iloc[0]
    assert inside.error_days == 0 and inside.in_band and late.error_days == 3 and not late.in_band


def test_aggregates_keep_training_and_test_apart():
    record = (event("a", split="training"), event("b", split="test", place="Tabqa"))
    days = pd.DataFrame({"a": [105.0, 105.0], "b": [np.nan, np.nan]})
    agg = scoring.aggregates(scoring.event_scores(days, record, START, END)).set_index("split")
    assert agg.loc["training", "in_band"] == 1.0 and agg.loc["training", "mean_crps_days"] == 0.0
    assert agg.loc["test", "median_never"] == 1.0 and agg.loc["test", "in_band"] == 0.0
    assert agg.loc["all", "events"] == 2
    # Never counts as the day after the run ends: END is day 180, so b (day 105) is 76 days off.
    assert agg.loc["training", "mean_abs_error_days"] == 0.0 and agg.loc["training", "within_14_days"] == 1.0
    assert agg.loc["test", "mean_abs_error_days"] == 76.0 and agg.loc["test", "within_14_days"] == 0.0
    assert agg.loc["all", "mean_abs_error_days"] == 38.0 and agg.loc["all", "within_14_days"] == 0.5


def test_map_skill_against_persistence():
    assert scoring.map_skill(0.9, 0.8) == pytest.approx(0.5)
    assert scoring.map_skill(0.8, 0.8) == 0.0
    assert scoring.map_skill(0.7, 0.8) == pytest.approx(-0.5)


@pytest.mark.slow
def test_run_py_score_writes_every_file_together(tmp_path):
    out = tmp_path / "score"
    done = subprocess.run([sys.executable, "run.py", "score", "2017-07-04_raqqa", "--seeds", "2", "--workers", "1",
                           "--cell-km", "20", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    names = {p.name for p in out.iterdir()}
    assert names == {"score.md", "events.csv", "quantities.csv", "map_skill.csv", "runs.csv", "forecast.png"}
    events = pd.read_csv(out / "events.csv")
    assert set(events.split) == {"training", "test"} and (events.runs == 2).all()
    assert "## Maps against persistence" in (out / "score.md").read_text(encoding="utf-8")


def test_run_py_score_refuses_bad_requests_in_one_line_and_writes_nothing(tmp_path):
    for args, message in ((["--seeds", "0"], "--seeds"), (["--workers", "0"], "--workers")):
        done = subprocess.run([sys.executable, "run.py", "score", "2017-07-04_raqqa", *args, "--out",
                               str(tmp_path / "x")], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "x").exists()
