"""The calibration report's figure and its Markdown text.

The figure puts each seed's date for every dated milestone on a calendar axis against
the historical date and the target window; a small panel beside it shows the spread
of ISIS's 3 November share of Deir ez-Zor governorate against the historical third.
Like :mod:`analysis.plots`, it builds a :class:`~matplotlib.figure.Figure` (no
``pyplot``) in the factions' colours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.calibration_targets import (DATE_TOLERANCE_DAYS, DATED, ORDER_TARGET, SHARE, SHARE_BAND,
                                          TARGETS_SET_FOR, ordering_days, raqqa_before_deir_ez_zor)
from analysis.plots import FACTION_COLOURS
from simulation.scenario import Scenario
from simulation.records import CITY_RING_KM

# Who reaches each milestone, for its colour.
MILESTONE_FACTION = {"siege_broken": "SAA", "raqqa_falls": "SDF", "deir_ez_zor_cleared": "SAA",
                     "al_qaim_falls": "ISF"}
JITTER = 0.18  # half-height of the band each milestone's dots are spread over (rows are 1 apart)
OUTSIDE_SHADE = "0.93"
WINDOW_SHADE = "#cfe3f7"


@dataclass
class CalibrationResult:
    """Everything a calibration report is written from (filled in by :mod:`analysis.calibration`)."""

    out: Path | None
    scenario: Scenario
    scenario_path: Path
    cell_km: float
    runs: pd.DataFrame  # one row per seed (runs.csv)
    milestones: pd.DataFrame  # one row per milestone (calibration.csv)
    consistency: pd.DataFrame  # one row per later scenario and faction (consistency.csv)
    targets: dict[str, bool]
    notes: list[str] = field(default_factory=list)


def _calendar(start: dt.date, days) -> np.ndarray:
    """Whole days from the start as numpy dates."""
    return np.datetime64(start, "D") + np.asarray(days, dtype=np.int64).astype("timedelta64[D]")


def _milestone_row(ax, y: float, runs: pd.DataFrame, m, rng) -> None:
    """One milestone: dots per run, the 10-90% bar, the median tick, the record's diamond."""
    start = pd.Timestamp(runs["start"].iloc[0]).date()
    total = (pd.Timestamp(runs["end"].iloc[0]).date() - start).days
    days = ordering_days(runs, m.key)
    colour = FACTION_COLOURS[MILESTONE_FACTION.get(m.key, "ISIS")]
    tol = DATE_TOLERANCE_DAYS.get(m.key)
    if tol is not None:
        window = _calendar(m.historical, [-tol, tol])
        ax.fill_between(window, y - 0.4, y + 0.4, color=WINDOW_SHADE, lw=0, zorder=1)
    p10, median, p90 = np.floor(np.quantile(days, (0.1, 0.5, 0.9)) + 0.5)
    ax.plot(_calendar(start, [p10, p90]), [y, y], lw=8, color=colour, alpha=0.35, solid_capstyle="butt", zorder=2)
    ys = y + rng.uniform(-JITTER, JITTER, len(days))
    inside = (days >= 0) & (days <= total)
    ax.scatter(_calendar(start, days[inside]), ys[inside], s=20, c=colour, edgecolors="black",
               linewidths=0.4, alpha=0.85, zorder=3)
    ax.scatter(_calendar(start, days[~inside]), ys[~inside], s=20, facecolors="white", edgecolors="black",
               linewidths=0.6, zorder=3)
    ax.plot(_calendar(start, [median]), [y], marker="|", ms=20, mew=2.5, color="black", zorder=4)
    ax.plot([np.datetime64(m.historical, "D")], [y], marker="D", ms=8, mfc="white", mec="black", mew=1.3, zorder=5)
    for n, x, text in (((days < 0).sum(), -1, "before"), ((days > total).sum(), total + 1, "never")):
        if n:
            ax.annotate(f"{n} {text}", (_calendar(start, [x])[0], y - 0.42), ha="center", va="top", fontsize=6.5)


def _share_panel(ax, runs: pd.DataFrame) -> None:
    """Histogram of the 3 November share over runs, in the left panel's conventions."""
    shares = runs[SHARE.key].dropna().to_numpy() * 100.0
    ax.axvspan(SHARE_BAND[0] * 100, SHARE_BAND[1] * 100, color=WINDOW_SHADE, lw=0, zorder=0)
    if len(shares):
        counts, _, _ = ax.hist(shares, bins=np.arange(0, 101, 5), color=FACTION_COLOURS["ISIS"], alpha=0.7,
                               edgecolor="white", lw=0.5, zorder=1)
        ax.axvline(np.median(shares), color="black", lw=2.5, zorder=2)
        top = max(counts.max(), 1) * 1.15
    else:
        ax.text(50, 0.5, "n/a: 3 November\nlies outside the run", ha="center", va="center", fontsize=8,
                bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.6"}, zorder=5)
        top = 1.0
    ax.set_ylim(0, top)
    ax.axvline(SHARE.historical * 100, color="black", ls="--", lw=1, zorder=3)
    ax.plot([SHARE.historical * 100], [top * 0.93], marker="D", ms=8, mfc="white", mec="black", mew=1.3, zorder=4)
    ax.set_xlim(0, 100)
    ax.set_xlabel("ISIS share of Deir ez-Zor\ngovernorate, 3 Nov 2017 (%)")
    ax.set_ylabel("runs")
    ax.yaxis.get_major_locator().set_params(integer=True)


def plot_calibration(runs: pd.DataFrame, path=None, title: str | None = None) -> Figure:
    """Milestone dates over seeds against the record, and the 3 November share.

    Args:
        runs: one row per seed (:func:`analysis.calibration.runs_frame`).
        path: where to save a PNG; not saved if None.
        title: figure title; a default one if None.

    Returns:
        The Figure: one row per dated milestone on a calendar axis (runs as jittered
        dots; hollow dots at either edge for runs before the start or never; the
        10-90% range as a bar; the median as a tick; the historical date as a diamond
        in its target window), and beside it the share's histogram, with the same marks
        for its median, the historical third and the target band.
    """
    start = pd.Timestamp(runs["start"].iloc[0]).date()
    total = (pd.Timestamp(runs["end"].iloc[0]).date() - start).days
    fig = Figure(figsize=(11, 1.0 + 0.8 * len(DATED)), dpi=120)
    grid = fig.add_gridspec(1, 2, width_ratios=(4, 1.1), wspace=0.25)
    ax, ax_share = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    rng = np.random.default_rng(0)  # the jitter only; fixed so the figure is reproducible
    ys = np.arange(len(DATED))[::-1]
    for y, m in zip(ys, DATED):
        _milestone_row(ax, float(y), runs, m, rng)
    ax.axvspan(*_calendar(start, [-4, -0.5]), color=OUTSIDE_SHADE, lw=0, zorder=0)
    ax.axvspan(*_calendar(start, [total + 0.5, total + 5]), color=OUTSIDE_SHADE, lw=0, zorder=0)
    ax.set_xlim(*_calendar(start, [-4, total + 5]))
    ax.set_ylim(-0.75, len(DATED) - 0.4)
    ax.set_yticks(ys, [m.label for m in DATED])
    if total >= 60:
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(handles=[
        Line2D([], [], ls="none", marker="o", mfc="0.6", mec="black", mew=0.4, label="one run"),
        Line2D([], [], ls="none", marker="o", mfc="white", mec="black", mew=0.6, label="before start / never"),
        Patch(color="0.6", alpha=0.5, label="10-90% of runs"),
        Line2D([], [], ls="none", marker="|", ms=10, mew=2.5, color="black", label="median"),
        Line2D([], [], ls="none", marker="D", mfc="white", mec="black", label="historical date"),
        Patch(color=WINDOW_SHADE, label="target window"),
    ], loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=6, fontsize=7, frameon=False)
    _share_panel(ax_share, runs)
    fig.suptitle(title or "Calibration against the 2017 record", x=0.5)
    if path is not None:
        fig.savefig(path, dpi=fig.dpi, bbox_inches="tight")
    return fig


# ---- the Markdown text -------------------------------------------------------------------
def _pct(value) -> str:
    return "n/a" if pd.isna(value) or isinstance(value, str) else f"{100 * float(value):.0f}%"


def _span(low, high, fmt=str) -> str:
    """A 10-90% range, or its one value when both ends agree."""
    return fmt(low) if fmt(low) == fmt(high) else f"{fmt(low)} to {fmt(high)}"


def _days_off(value) -> str:
    return "" if pd.isna(value) else f"{int(value):+d}"


def _milestone_table(result: CalibrationResult) -> list[str]:
    lines = ["| milestone | record | median | 10-90% of runs | days off (median) | dated | before start | never |",
             "|---|---|---|---|---:|---:|---:|---:|"]
    for row in result.milestones.itertuples():
        if row.milestone == SHARE.key:
            lines.append(f"| {row.label} | {_pct(row.historical)} | {_pct(row.median)} | "
                         f"{_span(row.p10, row.p90, _pct)} | | {row.reached} measured | | {row.not_applicable} n/a |")
        else:
            lines.append(f"| {row.label} | {row.historical} | {row.median} | {_span(row.p10, row.p90)} | "
                         f"{_days_off(row.days_off)} | {row.reached} | {row.before_start} | {row.never} |")
    return lines


def _target_rows(result: CalibrationResult) -> list[str]:
    table = result.milestones.set_index("milestone")
    runs = result.runs
    rows = []
    for key, met in result.targets.items():
        if key == "raqqa_before_deir_ez_zor":
            first, second = (table.loc[k, "median"] for k in ORDER_TARGET)
            holds = raqqa_before_deir_ez_zor(runs)[0]
            label = "Raqqa falls before Deir ez-Zor city is fully taken (medians)"
            value = f"{first} vs {second}; holds in {holds} of {len(runs)} runs"
        elif key == SHARE.key:
            label = (f"ISIS holds {SHARE_BAND[0]:.0%} to {SHARE_BAND[1]:.0%} of Deir ez-Zor governorate "
                     f"on 3 Nov (median)")
            value = _pct(table.loc[key, "median"])
        else:
            row = table.loc[key]
            label = f"{row.label} within {DATE_TOLERANCE_DAYS[key]} days of {row.historical} (median)"
            value = row["median"] + (f" ({int(row.days_off):+d} days)" if not pd.isna(row.days_off) else "")
        rows.append(f"| {label} | {value} | {'PASS' if met else 'FAIL'} |")
    return rows


def _consistency_lines(result: CalibrationResult) -> list[str]:
    frame = result.consistency
    lines = []
    if len(frame):
        lines += ["Agreement of each run's map with a later scenario's initial map on that scenario's start "
                  "date: `all` is the share of theatre cells whose holder agrees; a faction's column is the "
                  "share of the cells the later scenario gives that faction which the run gives it too. "
                  "Median over runs, 10-90% in brackets.", "",
                  "| later scenario | date | all cells | ISIS | SAA | SDF | ISF |", "|---|---|---|---|---|---|---|"]
        for (name, date), group in frame.groupby(["scenario", "date"], sort=False):
            cells = {r.faction: f"{_pct(r.median)} ({_span(r.p10, r.p90, _pct)})" if r.runs else "none held"
                     for r in group.itertuples()}
            lines.append(f"| `{name}` | {date} | " + " | ".join(cells.get(f, "") for f in
                                                               ("all", "ISIS", "SAA", "SDF", "ISF")) + " |")
    else:
        lines.append("No later scenario in the scenario's folder starts inside this run; nothing compared.")
    if result.notes:
        lines += ["", "Other scenario files in the folder:", ""] + [f"- {note}" for note in result.notes]
    return lines


def _ring_note(cell_km: float) -> str:
    """A warning when cells are too coarse for the ring that decides a city is cleared."""
    if cell_km <= CITY_RING_KM:
        return ""
    return (f" At {cell_km:g} km cells the {CITY_RING_KM:g} km ring that decides whether a city is cleared holds "
            f"only the city's own cell, so *fully taken* means that cell alone.")


def markdown_report(result: CalibrationResult) -> str:
    """The report as Markdown: scenario and seeds, milestones, targets, consistency, figure."""
    spec, runs = result.scenario, result.runs
    seeds = runs["seed"]
    after = spec.end + dt.timedelta(days=1)
    n_met = sum(result.targets.values())
    later_start = "" if spec.start <= TARGETS_SET_FOR else (
        f" This scenario starts on {spec.start.isoformat()}: the targets are shown for reference.")
    lines = [
        f"# Calibration: {spec.name}", "",
        f"- Scenario: `{result.scenario_path.name}`, {spec.start.isoformat()} to {spec.end.isoformat()} "
        f"({spec.days} days)",
        f"- Seeds: {len(seeds)} ({seeds.min()} to {seeds.max()}); hex cells of {result.cell_km:g} km",
        "- Record: the news reports of 5 September and 3 November 2017 (`analysis/history.py`)", "",
        "## Milestones", "", *_milestone_table(result), "",
        f"In medians and ranges a run in which a milestone never happens counts as {after.isoformat()}, the day "
        f"after the end (later than any date), and a run in which it was reached before the start as the day "
        f"before the start; they are rounded to the whole day. *Days off* is the median's date minus the "
        f"historical date (+: later than history). *Before start*: the scenario's initial state already shows it "
        f"(or the record dates it before the start) and the run did not undo it.{_ring_note(result.cell_km)}", "",
        "## Calibration targets", "",
        f"Set for the {TARGETS_SET_FOR:%-d %B %Y} scenario; {n_met} of {len(result.targets)} met.{later_start}", "",
        "| target | result | |", "|---|---|---|", *_target_rows(result), "",
        "## Consistency with later scenarios", "", *_consistency_lines(result), "",
        "## Figure", "",
        "![Milestone dates over seeds against the record, and the 3 November share](calibration.png)", "",
    ]
    return "\n".join(lines)

