"""The calibration report: many seeds of a scenario against the historical record.

Each seed runs the scenario to its end date in its own process and hands back only
its milestones (:mod:`analysis.history`) and the control map on the start dates of
the later scenarios beside it. The report sets the spread of milestone dates over
seeds against the dates the news reports of 5 September and 3 November 2017 give,
checks the calibration targets set for the 4 July scenario, and measures how far a
run's map on a later scenario's start date agrees with that scenario's initial map.

    write_calibration_report("scenarios/2017-07-04_raqqa.yaml", seeds=20, out=Path("calibration"))

writes ``calibration.md``, ``calibration.csv``, ``runs.csv``, ``consistency.csv``
and ``calibration.png``. The targets and whether runs meet them are
:mod:`analysis.calibration_targets`; the map comparison is :mod:`analysis.consistency`;
the figure and the Markdown text are :mod:`analysis.calibration_report`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import history
from analysis.calibration_report import CalibrationResult, markdown_report, plot_calibration
from analysis.calibration_targets import TARGET_KEYS  # noqa: F401 (re-exported: the keys of targets_met)
from analysis.calibration_targets import (DATED, ORDER_TARGET, ordering_days, quantile_days, raqqa_before_deir_ez_zor,
                                          target_text, targets_met)
from analysis.consistency import QUANTILES, consistency_frame, later_scenarios
from analysis.history import BEFORE_START, NEVER, NOT_APPLICABLE, RECORD
from simulation import ConflictModel, Scenario, load_scenario
from simulation.export import write_csv, written_together

OUTPUT_FILES = ("calibration.md", "calibration.csv", "runs.csv", "consistency.csv", "calibration.png")


class CalibrationError(ValueError):
    """A mistake in what was asked for (seeds, workers, output folder): one line."""


@dataclass(frozen=True)
class RunResult:
    """What one seed hands back: milestone outcomes and maps on the later start dates."""

    seed: int
    outcomes: dict[str, object]
    maps: dict[dt.date, np.ndarray]


# ---- running the seeds ---------------------------------------------------------------
def run_seed(scenario: Scenario, seed: int, cell_km: float, map_dates: tuple[dt.date, ...] = ()) -> RunResult:
    """Run one seed to the scenario's end; its milestones and its maps on ``map_dates``.

    A top-level function, so that spawned worker processes can import it.
    """
    model = ConflictModel(scenario, seed=seed, cell_km=cell_km)
    at_start = history.reached_at_start(model)
    inside = model.theatre.in_theatre
    maps = {}
    while model.steps < scenario.days:
        model.step()
        if model.date in map_dates:
            maps[model.date] = model.control[inside].copy()
    outcomes = history.run_outcomes(model.events, model.daily_by_governorate, at_start,
                                    scenario.start, scenario.end)
    return RunResult(seed, outcomes, maps)


def _run_task(task: tuple) -> RunResult:
    return run_seed(*task)


def simulate(scenario: Scenario, seeds: list[int], cell_km: float, map_dates=(), workers: int | None = None
             ) -> list[RunResult]:
    """Run the seeds, in parallel spawned processes unless ``workers`` is 1; in seed order."""
    tasks = [(scenario, s, cell_km, tuple(map_dates)) for s in seeds]
    workers = min(workers or os.cpu_count() or 1, len(tasks))
    if workers <= 1:
        return [_run_task(t) for t in tasks]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_run_task, tasks))


def check_request(seeds: int, workers: int | None, first_seed: int) -> list[int]:
    """The seeds to run; CalibrationError for seeds or workers below 1, or a negative first seed."""
    if int(seeds) < 1:
        raise CalibrationError(f"--seeds: must be at least 1, got {seeds}")
    if workers is not None and int(workers) < 1:
        raise CalibrationError(f"--workers: must be at least 1, got {workers}")
    if int(first_seed) < 0:
        raise CalibrationError(f"first seed must not be negative, got {first_seed}")
    return list(range(int(first_seed), int(first_seed) + int(seeds)))


def runs_frame(results: list[RunResult], scenario: Scenario) -> pd.DataFrame:
    """One row per seed: each dated milestone (date, status) and the 3 November share.

    Columns: ``seed, start, end``, then per dated milestone ``<key>`` (the date, NaT
    unless dated in the run) and ``<key>_status`` (``date``, ``before start`` or
    ``never``), then ``isis_share_deir_ez_zor`` (0-1, NaN when n/a) and its status.
    """
    rows = []
    for r in results:
        row = {"seed": r.seed, "start": pd.Timestamp(scenario.start), "end": pd.Timestamp(scenario.end)}
        for m in RECORD:
            value = r.outcomes[m.key]
            dated = not isinstance(value, str)
            row[m.key] = value if dated else (np.nan if m.kind == "share" else pd.NaT)
            row[f"{m.key}_status"] = ("measured" if m.kind == "share" else "date") if dated else value
        rows.append(row)
    frame = pd.DataFrame(rows)
    for m in DATED:
        frame[m.key] = pd.to_datetime(frame[m.key])
    return frame


def calibration_runs(scenario_path, seeds: int, workers: int | None = None, cell_km: float | None = None,
                     first_seed: int = 1) -> pd.DataFrame:
    """Run seeds ``first_seed``.. ``first_seed + seeds - 1`` of a scenario; one row per seed.

    Args:
        scenario_path: the scenario YAML file.
        seeds: how many seeds to run.
        workers: processes to run them in (default one per CPU; 1 runs them here).
        cell_km: hex cell size in km (default the scenario's).
        first_seed: the first seed.

    Returns:
        The table of :func:`runs_frame`.
    """
    seed_list = check_request(seeds, workers, first_seed)
    scenario = load_scenario(scenario_path)
    results = simulate(scenario, seed_list, float(cell_km or scenario.cell_km), workers=workers)
    return runs_frame(results, scenario)


# ---- milestones over seeds -----------------------------------------------------------
def day_label(day: float, start: dt.date, days: int) -> str:
    """A summary day as an ISO date, or ``before start`` / ``never`` past either end."""
    if np.isnan(day):
        return NOT_APPLICABLE
    if day < 0:
        return BEFORE_START
    if day > days:
        return NEVER
    return (start + dt.timedelta(days=int(day))).isoformat()


def milestone_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per milestone: the record, median and 10-90% range over runs, and the target.

    Dates are ISO strings (or ``before start`` / ``never``); shares are 0-1.
    ``days_off`` is the median's distance from the historical date (+ later).
    """
    start = pd.Timestamp(runs["start"].iloc[0]).date()
    days = (pd.Timestamp(runs["end"].iloc[0]).date() - start).days
    met = targets_met(runs)
    rows = []
    for m in RECORD:
        status = runs[f"{m.key}_status"]
        row = {"milestone": m.key, "label": m.label, "runs": len(runs)}
        if m.kind == "share":
            shares = runs[m.key].dropna().to_numpy()
            q = dict(zip(("p10", "median", "p90"), np.quantile(shares, QUANTILES))) if len(shares) else {}
            row.update(historical=round(m.historical, 3),
                       **{k: round(float(q[k]), 3) if q else NOT_APPLICABLE for k in ("median", "p10", "p90")},
                       reached=len(shares), before_start=0, never=0,
                       not_applicable=int((status == NOT_APPLICABLE).sum()),
                       days_off=np.nan)
        else:
            q = quantile_days(ordering_days(runs, m.key))
            dated = 0 <= q["median"] <= days
            row.update(historical=m.historical.isoformat(),
                       **{k: day_label(q[k], start, days) for k in ("median", "p10", "p90")},
                       reached=int((status == "date").sum()), before_start=int((status == BEFORE_START).sum()),
                       never=int((status == NEVER).sum()), not_applicable=0,
                       days_off=(start + dt.timedelta(days=int(q["median"])) - m.historical).days if dated else np.nan)
        key = "raqqa_before_deir_ez_zor" if m.key == ORDER_TARGET[0] else m.key
        row["target"], row["met"] = (target_text(key), met[key]) if key in met else ("", None)
        if key == "raqqa_before_deir_ez_zor":
            row["target"] += f"; holds in {raqqa_before_deir_ez_zor(runs)[0]} of {len(runs)} runs"
        rows.append(row)
    columns = ["milestone", "label", "historical", "median", "p10", "p90", "runs", "reached", "before_start",
               "never", "not_applicable", "days_off", "target", "met"]
    return pd.DataFrame(rows, columns=columns).astype({"days_off": "Int64"})


# ---- the report ----------------------------------------------------------------------
@contextlib.contextmanager
def report_folder(out: Path, names):
    """A scratch folder for a report's files, moved into ``out`` when the block succeeds.

    The folder is made on entry, so an ``out`` that cannot be written is refused, as a
    CalibrationError in one line, before any run.
    """
    if out.exists() and not out.is_dir():
        raise CalibrationError(f"--out {out}: exists and is not a folder")
    with contextlib.ExitStack() as stack:
        try:
            tmp = stack.enter_context(written_together(out, names))
        except OSError as exc:
            raise CalibrationError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
        yield tmp


def write_calibration_report(scenario_path, seeds: int, out: Path, workers: int | None = None,
                             cell_km: float | None = None, first_seed: int = 1) -> CalibrationResult:
    """Run the seeds and write the calibration report into ``out``, all files or none.

    Args:
        scenario_path: the scenario YAML file.
        seeds: how many seeds to run (``first_seed`` onwards).
        out: the output folder (made if missing; its report files are replaced).
        workers: processes to run the seeds in (default one per CPU; 1 runs them here).
        cell_km: hex cell size in km (default the scenario's).
        first_seed: the first seed.

    Returns:
        The :class:`CalibrationResult` the report was written from.

    Raises:
        CalibrationError: bad seeds, workers or output folder (before any run).
        ScenarioError: the scenario does not load.
    """
    seed_list = check_request(seeds, workers, first_seed)
    scenario = load_scenario(scenario_path)
    cell = float(cell_km or scenario.cell_km)
    with report_folder(Path(out), OUTPUT_FILES) as tmp:
        later, notes = later_scenarios(scenario_path, scenario, cell)
        results = simulate(scenario, seed_list, cell, [s.start for s in later], workers)
        runs = runs_frame(results, scenario)
        result = CalibrationResult(out, scenario, Path(scenario_path), cell, runs, milestone_summary(runs),
                                   consistency_frame(results, later), targets_met(runs), notes)
        write_csv(result.runs, tmp / "runs.csv")
        write_csv(result.milestones, tmp / "calibration.csv")
        write_csv(result.consistency, tmp / "consistency.csv")
        plot_calibration(runs, tmp / "calibration.png", title=f"{scenario.name}: {len(runs)} seeds, {cell:g} km cells")
        (tmp / "calibration.md").write_text(markdown_report(result), encoding="utf-8")
    return result

