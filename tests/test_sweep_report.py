"""The sweep report: milestones, figures, summary and Sobol indices from a sweep folder on disk.

The folders are built here in the results format by running the real model directly,
so the report is tested apart from the sweep runner.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from analysis import history, scoring
from analysis.record import load_record
from analysis.sweep_report import SweepReportError, read_sweep, write_report
from conftest import JULY, ROOT
from simulation import ConflictModel, load_scenario

SORTIES = "air.russia.sorties_per_day"
JULY_START = "2017-07-04"
COUNTS = ("area_km2", "cells", "population", "strength", "units", "manoeuvre", "garrison_need", "overstretch",
          "morale", "supply")


def run_table(params: dict, seed: int, days: int) -> pd.DataFrame:
    """One run's tidy table in the results format (without the run columns)."""
    model = ConflictModel(load_scenario(JULY, params), seed=seed, cell_km=20).run(days=days)
    parts = [model.daily.assign(kind="daily"), model.daily_by_governorate.assign(kind="governorate"),
             model.events.assign(kind="event")]
    table = pd.concat(parts, ignore_index=True)
    for column in COUNTS:
        table[column] = table[column].astype("float64") if column in table else np.nan
    for column in ("governorate", "event", "place", "detail"):
        table[column] = table[column].astype(object) if column in table else None
    table["date"] = pd.to_datetime(table["date"]).astype("datetime64[ns]")
    return table


def build_sweep(folder, spec: dict, points: list[dict], fail: set[int] = frozenset()) -> tuple:
    """Run every point and replicate, write the manifest and one Parquet file per run.

    Runs whose index is in ``fail`` are written as ``_failed/<run_id>.json`` instead.
    """
    folder.mkdir(parents=True)
    runs, tables = [], {}
    for point, params in enumerate(points):
        for replicate in range(spec["replicates"]):
            run_id = f"p{point:04d}-r{replicate:03d}"
            seed = spec["seed"] + 1000 * point + replicate
            runs.append({"run_id": run_id, "point": point, "replicate": replicate, "seed": seed,
                         "parameters": params})
            if len(runs) - 1 in fail:
                (folder / "_failed").mkdir(exist_ok=True)
                (folder / "_failed" / f"{run_id}.json").write_text(json.dumps({"run_id": run_id, "error": "x"}))
                continue
            table = run_table(params, seed, spec["days"])
            table.insert(0, "run_id", run_id)
            table.insert(1, "point", np.int64(point))
            table.insert(2, "replicate", np.int64(replicate))
            table.insert(3, "seed", np.int64(seed))
            for i, (key, value) in enumerate(params.items()):
                table.insert(4 + i, key, float(value))
            table.to_parquet(folder / f"{run_id}.parquet", index=False)
            tables[run_id] = table
    manifest = {"sweep": spec, "scenario": str(JULY), "parameters": list(spec["parameters"]),
                "design": spec["design"], "runs": runs}
    (folder / "_manifest.json").write_text(json.dumps(manifest))
    return manifest, tables


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """2 sortie rates x 2 replicates for 60 days, one more point whose two runs failed."""
    spec = {"scenario": str(JULY), "replicates": 2, "seed": 1, "days": 60, "design": "grid",
            "parameters": {SORTIES: [0, 40, 80]}}
    folder = tmp_path_factory.mktemp("sweep") / "grid"
    manifest, tables = build_sweep(folder, spec, [{SORTIES: 0}, {SORTIES: 40}, {SORTIES: 80}], fail={4, 5})
    return folder, manifest, tables


@pytest.fixture(scope="module")
def grid_report(grid):
    return write_report(grid[0])


def test_report_writes_every_file(grid, grid_report):
    assert grid_report == grid[0] / "_report"
    names = ["summary.csv", "summary.md", "milestones.csv", "fan_all.png",
             "fan_air_russia_sorties_per_day.png", "milestones_air_russia_sorties_per_day.png"]
    for name in names:
        assert (grid_report / name).stat().st_size > 0, name
    assert not (grid_report / "sobol_indices.csv").exists()
    assert len(pd.read_parquet(grid[0])) == sum(len(t) for t in grid[2].values())  # the report is not read back
    assert not [p for p in grid[0].iterdir() if p.name.startswith(".")]  # no scratch folder left


def test_summary_counts_runs_and_failures(grid_report):
    summary = pd.read_csv(grid_report / "summary.csv")
    overall = summary[summary.parameter == "all runs"].iloc[0]
    assert (overall.runs, overall.failed) == (4, 2)
    per_value = summary[summary.parameter == SORTIES].set_index("value")
    assert per_value.runs.to_dict() == {0.0: 2, 40.0: 2, 80.0: 0}
    assert per_value.failed.to_dict() == {0.0: 0, 40.0: 0, 80.0: 2}
    for m in history.SWEEP_RECORD:
        assert {f"{m.key}_median", f"{m.key}_p10", f"{m.key}_p90"} <= set(summary.columns)
    markdown = (grid_report / "summary.md").read_text()
    assert "6 planned, 4 finished, 2 failed" in markdown and "Abu Kamal falls" in markdown


def test_milestones_match_history(grid):
    folder, _, tables = grid
    found = history.sweep_milestones(pd.read_parquet(folder)).set_index("run_id")
    assert list(found.index) == sorted(tables) and found[SORTIES].notna().all()
    for run_id, table in tables.items():
        events = table[table.kind == "event"]
        by_gov = table[table.kind == "governorate"]
        expected = history.run_milestones(events, by_gov)
        start = table.date.min()
        for m in history.RECORD:
            got = found.loc[run_id, m.key]
            if m.kind == "share":
                assert got == pytest.approx(expected[m.key], nan_ok=True)
            elif pd.isna(expected[m.key]):
                assert np.isnan(got)
            else:
                assert got == (expected[m.key] - start).days
        isis = table[(table.kind == "daily") & (table.faction == "ISIS")].sort_values("step")
        below = isis[isis.area_km2 < 0.05 * isis.area_km2.iloc[0]]
        assert np.isnan(found.loc[run_id, "isis_below_5pct"]) == below.empty


def test_missing_empty_or_unmanifested_folder_is_refused(tmp_path):
    for folder in (tmp_path / "nowhere", tmp_path):
        with pytest.raises(SweepReportError, match=str(folder)):
            read_sweep(folder)
    (tmp_path / "x.parquet").write_bytes(b"")
    with pytest.raises(SweepReportError, match="_manifest.json"):
        write_report(tmp_path)


def test_sobol_indices(tmp_path):
    from SALib.sample import sobol as saltelli

    problem = {"num_vars": 2, "names": [SORTIES, "air.coalition.sorties_per_day"], "bounds": [[0, 80], [20, 120]]}
    samples = saltelli.sample(problem, 4, calc_second_order=False, seed=1)
    assert len(samples) == 16
    spec = {"scenario": str(JULY), "replicates": 1, "seed": 1, "days": 30, "design": "sobol", "samples": 4,
            "parameters": {k: {"low": lo, "high": hi} for k, (lo, hi) in zip(problem["names"], problem["bounds"])}}
    points = [dict(zip(problem["names"], map(float, row))) for row in samples]
    build_sweep(tmp_path / "sobol", spec, points)
    report = write_report(tmp_path / "sobol")
    indices = pd.read_csv(report / "sobol_indices.csv")
    assert {"outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"} <= set(indices.columns)
    assert set(indices.parameter) == set(problem["names"])
    assert set(indices.outcome) == {m.key for m in history.SWEEP_RECORD}
    assert (report / "sobol_indices.png").stat().st_size > 0


def test_cli_report_on_missing_folder(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "report", str(tmp_path / "absent")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("run.py: error:") and "absent" in lines[0]


def test_each_point_is_scored_against_the_record_as_run_py_score_scores_its_runs(grid, grid_report):
    scores = pd.read_csv(grid_report / "record_scores.csv")
    assert set(scores.point) == {0, 1} and set(scores.split) == {"training", "test", "all"}
    assert (scores.groupby("point").runs.first() == 2).all()
    # The point's table agrees with scoring its runs' event logs directly.
    record, start = load_record(), pd.Timestamp(JULY_START)
    tables = [t for run_id, t in grid[2].items() if run_id.startswith("p0000")]
    days = pd.DataFrame([scoring.run_days(t[t.kind == "event"], record, start.date(),
                                          (start + pd.Timedelta(days=60)).date()) for t in tables])
    direct = scoring.aggregates(scoring.event_scores(days, record, start.date(),
                                                     (start + pd.Timedelta(days=60)).date())).set_index("split")
    mine = scores[scores.point == 0].set_index("split")
    assert mine.loc["test", "mean_crps_days"] == pytest.approx(direct.loc["test", "mean_crps_days"])
    assert "## Against the record of 2017" in (grid_report / "summary.md").read_text()


def test_empty_milestone_panels_say_why(grid):
    from analysis.sweep_plots import milestone_distributions

    milestones = history.sweep_milestones(pd.read_parquet(grid[0]))
    assert (pd.to_datetime(milestones.end) == pd.Timestamp("2017-09-02")).all()  # 60 days from 4 July
    fig = milestone_distributions(milestones, SORTIES)
    texts = {ax.get_title(): " ".join(t.get_text().replace("\n", " ") for t in ax.texts) for ax in fig.axes}
    empty = [m for m in history.SWEEP_RECORD if milestones[m.key].isna().all()]
    assert empty  # the 3 November share at least: no run lasts to it
    for m in empty:
        if m.kind == "share":
            assert "measured in no run: runs end on 2 Sep 2017, before 3 Nov 2017" in texts[m.label]
        elif m.historical is not None:  # every dated milestone of the record comes after 2 September
            on_record = f"{m.historical.day} {m.historical:%b %Y}"
            assert ("no run lasted long enough to reach it: runs end on 2 Sep 2017, the record has it on "
                    f"{on_record}") in texts[m.label], texts[m.label]
        else:
            assert "no run reached it by the end (runs end on 2 Sep 2017" in texts[m.label]
