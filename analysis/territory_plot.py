"""The run's ground over time: what each side won and lost, then the whole, with the milestones.

The top panel is the change in ground held since the first day, per faction: the
contested story (ISIS's collapse, the SAA's, SDF's and ISF's gains), which a stacked
area of the whole theatre squeezes under Iraq's 150,000 km² of static hinterland. The
stacked whole follows, smaller. The days the run reached each milestone of the
record (:data:`analysis.history.SWEEP_RECORD`) are solid lines with filled badges;
the record's dates are dashed lines with hollow badges; a key beside the panels
lists both dates for each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedFormatter, FixedLocator, FuncFormatter
from matplotlib.transforms import blended_transform_factory

from analysis.figure_inputs import day_month
from analysis.history import SWEEP_RECORD, Milestone, area_below_date, in_step_order, milestone_date
from analysis.plot_style import FACTION_COLOURS, save_figure
from simulation.factions import Faction

MODEL_COLOUR = "0.15"  # the run's milestone lines and badges
RECORD_COLOUR = "0.40"  # the record's
RECORD_DASHES = (0, (3, 2))
# Badge rows above the change panel, in its axes fraction: the run's, then the record's.
MODEL_ROW, RECORD_ROW = 1.125, 1.05
BADGE_PX = 18  # about a badge's width: badges nearer than this share one ("3,4")
SHORT_RUN_DAYS = 62  # under about two months the weeks are marked, and labelled by their day
KEY_X = 0.755  # the key's left edge, in figure fraction: right of the panels


@dataclass(frozen=True)
class MilestoneMark:
    """One milestone as the figure marks it: its number, the run's date and the record's."""

    number: int
    milestone: Milestone
    model: pd.Timestamp | None  # the day the run reached it, None if it did not
    record: pd.Timestamp | None  # the record's date, None if the record gives none


def plot_territory(daily, path=None, title: str | None = None, events=None, milestones=None) -> Figure:
    """Ground won and lost per faction since the first day, the stacked whole, and the milestones.

    Args:
        daily: a model (its ``model.daily`` and ``model.events`` are used) or a tidy
            daily table: columns ``date`` (calendar date), ``faction`` (name),
            ``area_km2`` (km²) and ``step``.
        path: where to save a PNG; not saved if None.
        title: figure title; a default one if None.
        events: the run's event log (``model.events``), to find the days it reached the
            record's milestones; without it only the ISIS-below-5% day is the run's own.
        milestones: the milestones to mark (:class:`~analysis.history.Milestone`);
            default the dated ones of :data:`~analysis.history.SWEEP_RECORD`.

    Returns:
        The Figure: axes 0 the change since the first day (thousand km², lines per
        faction), axes 1 the stacked whole (thousand km²), both on month ticks from the
        start's month; the key (figure legends and texts) to their right. Milestone lines
        carry gids ``model:KEY`` and ``record:KEY``, the key's lines ``key:KEY``.
    """
    if hasattr(daily, "daily"):
        events = daily.events if events is None else events
        daily = daily.daily
    wide = (daily.assign(date=pd.to_datetime(daily["date"])).groupby(["date", "faction"])["area_km2"].sum()
            .unstack("faction", fill_value=0.0))  # as a pivot table, in a fraction of its time
    names = [f.name for f in Faction if f.name in wide.columns]
    fig = Figure(figsize=(11, 6.4), dpi=120)
    grid = fig.add_gridspec(2, 1, height_ratios=(2.3, 1.0), left=0.085, right=KEY_X - 0.025, top=0.83,
                            bottom=0.09, hspace=0.12)
    change_ax = fig.add_subplot(grid[0])
    whole_ax = fig.add_subplot(grid[1], sharex=change_ax)
    start, end = wide.index.min(), wide.index.max()
    _draw_change(change_ax, wide, names)
    _draw_whole(whole_ax, wide, names)
    _month_axis(whole_ax, start, end)
    change_ax.tick_params(axis="x", which="both", labelbottom=False)
    marks = milestone_marks(daily, events, start, end, milestones)
    _mark_milestones(change_ax, whole_ax, marks, start, end)
    _key(fig, wide, names, marks, start, end, with_events=events is not None)
    fig.suptitle(title or "Ground held by faction", y=0.985)
    return save_figure(fig, path, crop=False)  # laid out to fill its canvas


def _draw_change(ax, wide: pd.DataFrame, names: list[str]) -> None:
    """Lines of each faction's ground won (+) or lost (-) since the first day, thousand km²."""
    change = (wide - wide.iloc[0]) / 1000.0
    for name in names:
        ax.plot(change.index, change[name], color=FACTION_COLOURS[name], linewidth=2.0, label=name, zorder=3)
    ax.axhline(0.0, color="0.3", linewidth=0.8)
    low, high = float(change.to_numpy().min()), float(change.to_numpy().max())
    pad = 0.08 * max(high - low, 1.0)
    ax.set_ylim(min(low, 0.0) - pad, max(high, 0.0) + pad)
    ax.set_ylabel(f"won (+) or lost (−) since {day_month(wide.index[0])}\n(thousand km²)")
    ax.grid(axis="y", alpha=0.3)


def _draw_whole(ax, wide: pd.DataFrame, names: list[str]) -> None:
    """Stacked area of the ground each faction holds, thousand km²: the whole theatre."""
    ax.stackplot(wide.index, *(wide[n] / 1000.0 for n in names), labels=names,
                 colors=[FACTION_COLOURS[n] for n in names], alpha=0.9, linewidth=0)
    ax.set_ylim(0, wide.sum(axis=1).max() / 1000.0 * 1.02)
    ax.set_ylabel("held, stacked\n(thousand km²)")
    ax.grid(axis="y", alpha=0.3)


def month_ticks(start: pd.Timestamp, end: pd.Timestamp) -> tuple[list[pd.Timestamp], list[str]]:
    """Every month start from the start's month to the end, labelled ``Jul``; the first and January with the year."""
    months = list(pd.date_range(start.to_period("M").to_timestamp(), end, freq="MS"))
    labels = [f"{m:%b}\n{m.year}" if i == 0 or m.month == 1 else f"{m:%b}" for i, m in enumerate(months)]
    return months, labels


def _month_axis(ax, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """The calendar axis: from the first of the start's month to the last day, a tick at each month start.

    A run under about two months also marks its weeks (the 8th, 15th, 22nd), labelled by the day.
    """
    months, labels = month_ticks(start, end)
    ax.xaxis.set_major_locator(FixedLocator(mdates.date2num(months)))
    ax.xaxis.set_major_formatter(FixedFormatter(labels))
    if (end - start).days < SHORT_RUN_DAYS:
        ax.xaxis.set_minor_locator(mdates.DayLocator(bymonthday=(8, 15, 22)))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda x, pos: str(mdates.num2date(x).day)))
        ax.tick_params(axis="x", which="minor", labelsize=7, colors="0.35")
    ax.set_xlim(months[0], end)


def milestone_marks(daily: pd.DataFrame, events, start, end, milestones=None) -> list[MilestoneMark]:
    """The milestones to mark, numbered in date order: each the run reached, or the record dates within the run.

    A milestone the run did not reach is left out where the record dates it on or
    before the start (history the run starts from: Raqqa's fall, for a November run)
    or after the end (a run stopped before it was due); one the run missed within its
    span is kept.
    """
    milestones = [m for m in (SWEEP_RECORD if milestones is None else milestones) if m.kind != "share"]
    ordered = in_step_order(events) if events is not None else None
    found = []
    for m in milestones:
        if m.kind == "area_below":
            model = area_below_date(daily.assign(date=pd.to_datetime(daily["date"])), m.place)
        else:
            model = milestone_date(ordered, m) if ordered is not None else pd.NaT
        model = None if pd.isna(model) else pd.Timestamp(model)
        record = None if not isinstance(m.historical, dt.date) else pd.Timestamp(m.historical)
        if model is None and (record is None or not start < record <= end):
            continue
        found.append((m, model, record))
    found.sort(key=lambda f: (f[2] if f[2] is not None else f[1], f[1] if f[1] is not None else f[2]))
    return [MilestoneMark(i + 1, m, model, record) for i, (m, model, record) in enumerate(found)]


def _mark_milestones(change_ax, whole_ax, marks: list[MilestoneMark], start, end) -> None:
    """Solid lines and filled badges on the days the run reached each; dashed and hollow ones on the record's."""
    left = change_ax.get_xlim()[0]
    for mark in marks:
        for date, colour, dashes, kind in ((mark.model, MODEL_COLOUR, "-", "model"),
                                           (mark.record, RECORD_COLOUR, RECORD_DASHES, "record")):
            if date is None or not start <= date <= end:
                continue
            for ax in (change_ax, whole_ax):
                ax.axvline(mdates.date2num(date), color=colour, linestyle=dashes, linewidth=0.8, alpha=0.75, zorder=1.5,
                           gid=f"{kind}:{mark.milestone.key}")
    days_per_badge = BADGE_PX * (mdates.date2num(end) - left) / max(change_ax.bbox.width, 1.0)
    for kind, row in (("model", MODEL_ROW), ("record", RECORD_ROW)):
        dated = [(getattr(m, kind), m.number) for m in marks if getattr(m, kind) is not None
                 and start <= getattr(m, kind) <= end]
        for date, numbers in _badge_groups(dated, days_per_badge):
            _badge(change_ax, date, row, ",".join(map(str, numbers)), filled=kind == "model")
    if marks:
        for text, row in (("run reached", MODEL_ROW), ("record", RECORD_ROW)):
            change_ax.text(-0.008, row, text, transform=change_ax.transAxes, ha="right", va="center",
                           fontsize=7.5, color="0.25")


def _badge_groups(dated: list[tuple[pd.Timestamp, int]], days_per_badge: float) -> list[tuple[pd.Timestamp, list]]:
    """Badges of one row, those closer than a badge's width merged into one at the first's date."""
    groups: list[tuple[pd.Timestamp, list]] = []
    for date, number in sorted(dated):
        if groups and (date - groups[-1][0]).days < days_per_badge * max(1, len(groups[-1][1])):
            groups[-1][1].append(number)
        else:
            groups.append((date, [number]))
    return groups


def _badge(ax, date: pd.Timestamp, row: float, text: str, filled: bool) -> None:
    """A numbered badge above the panel at a date: filled for the run's day, hollow and dashed for the record's."""
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    box = ({"boxstyle": "circle,pad=0.25" if len(text) == 1 else "round,pad=0.25", "fc": MODEL_COLOUR,
            "ec": MODEL_COLOUR, "lw": 0.8} if filled else
           {"boxstyle": "circle,pad=0.25" if len(text) == 1 else "round,pad=0.25", "fc": "white",
            "ec": RECORD_COLOUR, "lw": 0.9, "ls": "--"})
    ax.text(date, row, text, transform=trans, ha="center", va="center", fontsize=7, fontweight="bold",
            color="white" if filled else RECORD_COLOUR, bbox=box, clip_on=False, zorder=6)


def _key(fig, wide: pd.DataFrame, names: list[str], marks: list[MilestoneMark], start, end,
         with_events: bool) -> None:
    """Right of the panels: each faction's ground at the start and end, the two marks, and the milestones' dates."""
    first, last = wide.iloc[0] / 1000.0, wide.iloc[-1] / 1000.0
    factions = [Line2D([], [], color=FACTION_COLOURS[n], linewidth=2.5,
                       label=f"{n}  {first[n]:,.0f} → {last[n]:,.0f}") for n in names]
    fig.legend(handles=factions, loc="upper left", bbox_to_anchor=(KEY_X, 0.83), borderaxespad=0.0, frameon=False,
               fontsize=8, title=f"held, thousand km²: {day_month(start)} → {day_month(end)}", title_fontsize=8,
               alignment="left")
    styles = [Line2D([], [], color=MODEL_COLOUR, linestyle="-", marker="o", markersize=7, mfc=MODEL_COLOUR,
                     label="the day the run reached it"),
              Line2D([], [], color=RECORD_COLOUR, linestyle=RECORD_DASHES, marker="o", markersize=7,
                     mfc="white", label="the record's date")]
    if not marks:
        fig.text(KEY_X, 0.63, "milestones: none reached, nor due\nby the record, in this run", ha="left", va="top",
                 fontsize=8, color="0.25")
        return
    fig.legend(handles=styles, loc="upper left", bbox_to_anchor=(KEY_X, 0.63), borderaxespad=0.0, frameon=False,
               fontsize=8, title="milestones", title_fontsize=8, alignment="left")
    y = 0.50
    for mark in marks:
        lines = f"{mark.number}  {mark.milestone.label}\n    {_milestone_dates(mark, start, end, with_events)}"
        fig.text(KEY_X, y, lines, ha="left", va="top", fontsize=7.5, color="0.15", linespacing=1.35,
                 gid=f"key:{mark.milestone.key}")
        y -= 0.068


def _milestone_dates(mark: MilestoneMark, start, end, with_events: bool) -> str:
    """``run 12 Sep · record 5 Sep``, saying when the run missed it or the record dates it outside the run."""
    if mark.model is not None:
        run = f"run {day_month(mark.model)}"
    elif with_events or mark.milestone.kind == "area_below":
        run = f"run: not by {day_month(end)}"
    else:
        run = "run: (no event log)"
    if mark.record is None:
        record = "record: not dated"
    elif mark.record < start:
        record = f"record {day_month(mark.record)} (before the run)"
    elif mark.record > end:
        record = f"record {day_month(mark.record)} (after the run)"
    else:
        record = f"record {day_month(mark.record)}"
    if mark.model is not None and mark.record is not None:
        days = (mark.model - mark.record).days
        record += " (same day)" if days == 0 else f" ({abs(days)} days {'late' if days > 0 else 'early'})"
    return f"{run} · {record}"
