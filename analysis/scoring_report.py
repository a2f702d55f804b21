"""``run.py score``: a scenario's seeds scored against the sourced record, as a report.

Writes, all together or not at all: ``score.md`` (the protocol, aggregates kept apart
for training and test, every event, the quantities and the map skill), ``events.csv``,
``quantities.csv``, ``map_skill.csv``, ``runs.csv`` (each run's day for each event)
and ``forecast.png`` (per event, the runs' 10-90% band and median against the
record's date, coloured by training or test).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis import scoring, scoring_runs
from analysis.consistency import control_agreement, later_scenarios
from analysis.record import RECORD_FILE, load_record
from analysis.report_files import ReportError, report_folder
from simulation.export import write_csv
from simulation.records import CITY_RING_KM
from simulation.scenario import Scenario, load_scenario
from simulation.setup import initial_control
from simulation.theatre import theatre_map

OUTPUT_FILES = ("score.md", "events.csv", "quantities.csv", "map_skill.csv", "runs.csv", "forecast.png")
SPLIT_COLOURS = {"training": "#1f77b4", "test": "#e66101"}


# A mistake in what was asked for (seeds, workers, output folder): one line, exit code 2.
ScoreError = ReportError


@dataclass
class ScoreResult:
    """Everything a score report is written from."""

    scenario: Scenario
    seeds: list[int]
    cell_km: float
    days: pd.DataFrame  # per run and dated event: its day (NaN never, -1 before start)
    events: pd.DataFrame  # scoring.event_scores
    aggregates: pd.DataFrame  # scoring.aggregates
    quantities: pd.DataFrame  # scoring.quantity_scores
    skill: pd.DataFrame  # map skill per later scenario
    notes: list[str]


def check_request(seeds: int, workers: int | None, first_seed: int) -> list[int]:
    """The seeds to run; ScoreError for seeds or workers below 1, or a negative first seed."""
    if int(seeds) < 1:
        raise ScoreError(f"--seeds: must be at least 1, got {seeds}")
    if workers is not None and int(workers) < 1:
        raise ScoreError(f"--workers: must be at least 1, got {workers}")
    if int(first_seed) < 0:
        raise ScoreError(f"first seed must not be negative, got {first_seed}")
    return list(range(int(first_seed), int(first_seed) + int(seeds)))


def map_skill_frame(scenario: Scenario, cell_km: float, later, runs) -> pd.DataFrame:
    """Per later scenario: persistence (the start map's agreement with its map) and the runs' skill.

    Skill = (agreement - persistence) / (1 - persistence), per run; the median and
    10-90% range over runs. Agreement is the share of theatre cells with the same holder.
    """
    tmap = theatre_map(cell_km)
    start_map = initial_control(tmap, scenario)[tmap.in_theatre]
    rows = []
    for s in later:
        persistence = control_agreement(start_map, s.control)["all"]
        agreement = np.array([control_agreement(r.maps[s.start], s.control)["all"] for r in runs])
        skill = np.array([scoring.map_skill(a, persistence) for a in agreement])
        q = np.quantile(skill, scoring.QUANTILES)
        rows.append({"scenario": s.path.name, "date": s.start.isoformat(), "persistence": persistence,
                     "agreement_median": float(np.median(agreement)), "skill_p10": q[0], "skill_median": q[1],
                     "skill_p90": q[2]})
    return pd.DataFrame(rows, columns=["scenario", "date", "persistence", "agreement_median", "skill_p10",
                                       "skill_median", "skill_p90"])


def score_scenario(scenario_path, seeds: list[int], cell_km: float | None = None, workers: int | None = None,
                   record_path=RECORD_FILE, scenario: Scenario | None = None) -> ScoreResult:
    """Run and score the seeds of a scenario against the record (``scenario``: the file's, if already loaded)."""
    scenario = scenario or load_scenario(scenario_path)
    cell = float(cell_km or scenario.cell_km)
    record = load_record(record_path)
    later, notes = later_scenarios(scenario_path, scenario, cell)
    runs = scoring_runs.observe_runs(scenario, seeds, cell, record, [s.start for s in later], workers)
    days = scoring_runs.days_frame(runs)
    events = scoring.event_scores(days, record, scenario.start, scenario.end)
    quantities = scoring.quantity_scores(scoring_runs.quantities_frame(runs), record)
    return ScoreResult(scenario, seeds, cell, days, events, scoring.aggregates(events), quantities,
                       map_skill_frame(scenario, cell, later, runs), notes)


def write_score_report(scenario_path, seeds: int, out: Path, workers: int | None = None,
                       cell_km: float | None = None, first_seed: int = 1) -> ScoreResult:
    """Run the seeds, score them and write the report into ``out``, all files or none.

    Raises:
        ScoreError: bad seeds, workers or output folder (before any run).
        ScenarioError: the scenario does not load.
    """
    seed_list = check_request(seeds, workers, first_seed)
    scenario = load_scenario(scenario_path)  # refuses a bad scenario before the output folder is touched
    with report_folder(Path(out), OUTPUT_FILES) as tmp:
        result = score_scenario(scenario_path, seed_list, cell_km, workers, scenario=scenario)
        write_csv(result.events, tmp / "events.csv")
        write_csv(result.quantities, tmp / "quantities.csv")
        write_csv(result.skill, tmp / "map_skill.csv")
        write_csv(result.days.reset_index(), tmp / "runs.csv")
        plot_forecast(result, tmp / "forecast.png")
        (tmp / "score.md").write_text(markdown_report(result), encoding="utf-8")
    return result


# ---- the forecast chart ----------------------------------------------------------------
def plot_forecast(result: ScoreResult, path=None) -> Figure:
    """Per scored event (rows, in record order): the runs' 10-90% band and median against the record."""
    events, start = result.events, pd.Timestamp(result.scenario.start)
    end = pd.Timestamp(result.scenario.end)
    fig = Figure(figsize=(10, 0.26 * len(events) + 1.6))
    ax = fig.add_subplot()
    day = lambda d: start + pd.Timedelta(days=float(d))  # noqa: E731
    for y, row in enumerate(events.itertuples()):
        colour = SPLIT_COLOURS[row.split]
        if not np.isnan(row.p10):
            high = end + pd.Timedelta(days=4) if np.isnan(row.p90) else day(row.p90)
            ax.plot([day(row.p10), high], [y, y], color=colour, lw=4, alpha=0.45, solid_capstyle="butt")
        if not np.isnan(row.median):
            ax.plot([day(row.median)], [y], "o", color=colour, ms=5)
        else:
            ax.text(end + pd.Timedelta(days=6), y, "never", va="center", fontsize=7, color=colour)
        ax.plot([pd.Timestamp(row.earliest), pd.Timestamp(row.latest) + pd.Timedelta(hours=12)], [y, y],
                color="black", lw=1.5, marker="|", ms=9)
    ax.set_yticks(range(len(events)), [f"{r.place}: {r.kind.replace('_', ' ')} ({r.faction})" for r in
                                       events.itertuples()], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(start, end + pd.Timedelta(days=22))
    ax.axvline(end, color="0.6", lw=0.8, ls=":")
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.grid(axis="x", color="0.9")
    handles = [Line2D([], [], color=SPLIT_COLOURS["training"], lw=4, alpha=0.45, label="runs' 10-90%, training"),
               Line2D([], [], color=SPLIT_COLOURS["test"], lw=4, alpha=0.45, label="runs' 10-90%, test"),
               Line2D([], [], color="0.3", marker="o", lw=0, label="runs' median"),
               Line2D([], [], color="black", marker="|", ms=9, lw=1.5, label="record (date or range)")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.6 / fig.get_figheight()), ncol=4,
              fontsize=8, frameon=False)
    ax.set_title(f"{result.scenario.name}: {len(result.seeds)} runs against the record of 2017", fontsize=10)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


# ---- the Markdown ----------------------------------------------------------------------
def _day(result: ScoreResult, d) -> str:
    if np.isnan(d):
        return "never"
    return (result.scenario.start + dt.timedelta(days=float(d))).strftime("%d %b")


def _record_dates(row) -> str:
    early, late = dt.date.fromisoformat(row.earliest), dt.date.fromisoformat(row.latest)
    return early.strftime("%d %b") if early == late else f"{early:%d %b}-{late:%d %b}"


def markdown_report(result: ScoreResult) -> str:
    """The score report as Markdown."""
    agg = result.aggregates.set_index("split")
    counts = "; ".join(f"{split} {int(agg.loc[split, 'events'])}" for split in ("training", "test"))
    lines = [f"# {result.scenario.name}: scored against the record of 2017", "",
             f"{len(result.seeds)} runs (seeds {result.seeds[0]}-{result.seeds[-1]}), {result.cell_km:g} km cells, "
             f"{result.scenario.start} to {result.scenario.end}. Record: {RECORD_FILE.name} ({counts} dated events "
             "scored here). A run that never reaches an event counts as the day after the run ends.", "",
             "## Aggregates", "",
             "Mean abs. error and within 14 days count a median that never reaches an event as the day after "
             "the run ends; the median abs. error is over the events the median reaches.", "",
             "| split | events | mean abs. error (days) | within 14 days | median abs. error where reached (days) "
             "| median never | record in 10-90% band | mean CRPS (days) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for split, row in agg.iterrows():
        lines.append(f"| {split} | {int(row.events)} | {row.mean_abs_error_days:.1f} | {row.within_14_days:.0%} | "
                     f"{row.median_abs_error_days:.0f} | {row.median_never:.0%} | "
                     f"{row.in_band:.0%} | {row.mean_crps_days:.1f} |")
    lines += ["", "## Events", "",
              "| event | split | record | runs' median | 10-90% | error (days) | in band | CRPS (days) |",
              "|---|---|---|---|---|---:|---|---:|"]
    for row in result.events.itertuples():
        error = "never" if np.isnan(row.error_days) else f"{row.error_days:+.0f}"
        lines.append(f"| {row.place}: {row.kind.replace('_', ' ')} ({row.faction}) | {row.split} | "
                     f"{_record_dates(row)} | {_day(result, row.median)} | {_day(result, row.p10)} to "
                     f"{_day(result, row.p90)} | {error} | {'yes' if row.in_band else 'no'} | {row.crps_days:.1f} |")
    lines += ["", "## Quantities", "",
              f"Shares of a city count its cells within {CITY_RING_KM:g} km of the centre; ISIS fighters are "
              "those in units within that ring.", "",
              "| quantity | split | date | record | runs' median | 10-90% | in band |", "|---|---|---|---|---|---|---|"]
    for row in result.quantities.itertuples():
        fmt = (lambda x: f"{x:.0%}") if row.measure != "isis_fighters" else (lambda x: f"{x:,.0f}")
        record = fmt(row.low) if row.low == row.high else f"{fmt(row.low)}-{fmt(row.high)}"
        lines.append(f"| {row.place}: {row.measure.replace('_', ' ')} ({row.faction}) | {row.split} | {row.date} | "
                     f"{record} | {fmt(row.median)} | {fmt(row.p10)}-{fmt(row.p90)} | "
                     f"{'yes' if row.in_band else 'no'} |")
    lines += ["", "## Maps against persistence", "",
              "Skill = (agreement - persistence) / (1 - persistence): 1 is the later scenario's opening map, 0 "
              "no better than the start map unchanged, below 0 worse.", "",
              "| later scenario | date | persistence | runs' agreement (median) | skill: median (10-90%) |",
              "|---|---|---:|---:|---|"]
    for row in result.skill.itertuples():
        lines.append(f"| {row.scenario} | {row.date} | {row.persistence:.3f} | {row.agreement_median:.3f} | "
                     f"{row.skill_median:+.2f} ({row.skill_p10:+.2f} to {row.skill_p90:+.2f}) |")
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"
