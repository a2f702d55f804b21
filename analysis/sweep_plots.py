"""Figures of a sweep: territory fan charts, milestone dates against a parameter, Sobol indices.

They work on the tidy table of a sweep (``pandas.read_parquet(DIR)``) and on the
per-run milestones of :func:`analysis.history.sweep_milestones`, in a script or a
notebook alike. Like :mod:`analysis.plots`, they build
:class:`~matplotlib.figure.Figure` objects (no ``pyplot``) in the factions' colours.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.history import SHARE_DATE, SWEEP_RECORD
from analysis.plots import FACTION_COLOURS
from simulation.factions import Faction

MAX_PANELS = 6  # a parameter with more distinct values than this is split into quantile bins
BINS = 3
DATED = tuple(m for m in SWEEP_RECORD if m.kind != "share")
SHARE = next(m for m in SWEEP_RECORD if m.kind == "share")
EMPTY_TEXT = {"fontsize": 8, "color": "0.35", "ha": "center", "va": "center", "wrap": False}


def _date_axis(ax, first, last) -> None:
    """Months on a long axis, a few dated ticks on a short one; every label with its year."""
    if pd.Timestamp(last) - pd.Timestamp(first) >= pd.Timedelta(days=60):
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")


def _day(when) -> str:
    return f"{pd.Timestamp(when):%d %b %Y}".lstrip("0")


def why_empty(milestone, milestones: pd.DataFrame) -> str:
    """Why no run has a milestone, from the runs' last days and the record's date.

    ``no run lasted long enough to reach it: runs end on 3 Aug 2017, the record has it on
    17 Oct 2017``, or ``no run reached it by the end (runs end on 31 Dec 2017; the record has
    it on 17 Oct 2017)``; for the 3 November share, whether any run lasted to that day.
    """
    if "end" not in milestones or milestones["end"].isna().all():
        return "measured in no run" if milestone.kind == "share" else "reached in no run"
    ends = pd.to_datetime(milestones["end"])
    last = ends.max()
    runs_end = f"runs end on {_day(last)}" if ends.min() == last else f"runs end by {_day(last)}"
    if milestone.kind == "share":
        if last < pd.Timestamp(SHARE_DATE):
            return f"measured in no run: {runs_end}, before {_day(SHARE_DATE)}, when the share is taken"
        return f"measured in no run ({runs_end})"
    record = milestone.historical if isinstance(milestone.historical, dt.date) else None
    on_record = f"the record has it on {_day(record)}" if record else "the record gives no date"
    if record is not None and last < pd.Timestamp(record):
        return f"no run lasted long enough to reach it: {runs_end}, {on_record}"
    return f"no run reached it by the end ({runs_end}; {on_record})"


def _say_why(ax, text: str) -> None:
    """An empty panel's reason, wrapped to the panel, in its middle."""
    ax.text(0.5, 0.5, textwrap.fill(text, 40), transform=ax.transAxes, **EMPTY_TEXT)


def _outer_labels(axes, shown: int) -> None:
    """Date labels on the lowest shown panel of each column (a hidden panel below takes them with it)."""
    cols = axes.shape[1]
    for i, ax in enumerate(axes.flat[:shown]):
        if i + cols >= shown:
            ax.xaxis.set_tick_params(labelbottom=True)


def _value_label(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float, np.number)) else str(value)


def ordered_levels(values: pd.Series) -> list:
    """A column's distinct values in order: a categorical's own order, else sorted (numbers first)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique().tolist())
        return [c for c in values.cat.categories if c in present]
    return sorted(values.dropna().unique().tolist(), key=lambda v: (isinstance(v, str), v))


def panel_groups(frame: pd.DataFrame, by: str | None) -> list[tuple[str, pd.Series]]:
    """Labels and row masks of the panels: all rows, one per value of ``by``, or quantile bins.

    A parameter with at most :data:`MAX_PANELS` distinct values gets a panel per value
    (a grid design's list); one with more (a sampled range) is split into
    :data:`BINS` bins of about equal run counts.
    """
    if by is None:
        return [("all runs", pd.Series(True, index=frame.index))]
    values = frame[by]
    distinct = ordered_levels(values)
    if len(distinct) <= MAX_PANELS or not pd.api.types.is_numeric_dtype(values):
        return [(f"{by} = {_value_label(v)}", values == v) for v in distinct]
    bins = pd.qcut(values, BINS, duplicates="drop")
    return [(f"{by} in {b.left:.3g} to {b.right:.3g}", bins == b) for b in bins.cat.categories]


def fan_chart(table: pd.DataFrame, by: str | None = None, path=None, title: str | None = None) -> Figure:
    """Each faction's area over time across runs: the median and the 50% and 90% bands.

    Args:
        table: a sweep's tidy table; its ``kind == "daily"`` rows are used (``run_id``,
            ``date``, ``faction``, ``area_km2`` and the parameter ``by``).
        by: a parameter column (dotted key): one panel per value (or per quantile bin
            of a sampled range); None for one panel of all runs.
        path: where to save a PNG; not saved if None.
        title: figure title; a default one if None.

    Returns:
        The Figure: area in thousand km² against calendar dates, one line (median over
        runs) and two shaded bands (25-75% and 5-95% of runs) per faction.
    """
    daily = table[table["kind"] == "daily"] if "kind" in table else table
    daily = daily.assign(date=pd.to_datetime(daily["date"]))
    groups = panel_groups(daily, by)
    n = max(len(groups), 1)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.6 * cols + 1.6, 3.4 * rows + 0.8), dpi=110, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    first, last = daily.date.min(), daily.date.max()
    factions = [f.name for f in Faction if f.name in set(daily.faction)]
    for ax, (label, mask) in zip(axes.flat, groups):
        part = daily[mask]
        for name in factions:
            wide = part[part.faction == name].pivot_table(index="date", columns="run_id", values="area_km2",
                                                          aggfunc="sum") / 1000.0
            q = wide.quantile([0.05, 0.25, 0.5, 0.75, 0.95], axis=1).T
            colour = FACTION_COLOURS[name]
            ax.fill_between(q.index, q[0.05], q[0.95], color=colour, alpha=0.15, lw=0)
            ax.fill_between(q.index, q[0.25], q[0.75], color=colour, alpha=0.35, lw=0)
            ax.plot(q.index, q[0.5], color=colour, lw=1.6, label=name)
        ax.set_title(f"{label} ({part.run_id.nunique()} runs)", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        _date_axis(ax, first, last)
        ax.set_xlim(first, last)
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    _outer_labels(axes, len(groups))
    for ax in axes[:, 0]:
        ax.set_ylabel("area held (thousand km²)")
    handles = [Line2D([], [], color=FACTION_COLOURS[f], lw=1.6, label=f"{f}, median") for f in factions]
    handles += [Patch(color="0.5", alpha=0.35, label="50% of runs"), Patch(color="0.5", alpha=0.15, label="90% of runs")]
    # Beside the panels, not over them (the layout makes room for it).
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)
    fig.suptitle(title or ("Territory held over runs" + (f" by {by}" if by else "")))
    if path is not None:
        fig.savefig(path, dpi=fig.dpi, bbox_inches="tight")
    return fig


def _is_discrete(values: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(values) or values.nunique() <= MAX_PANELS


def milestone_distributions(milestones: pd.DataFrame, parameter: str, discrete: bool | None = None,
                            path=None, title: str | None = None) -> Figure:
    """The distribution of each milestone against a parameter.

    Args:
        milestones: one row per run (:func:`analysis.history.sweep_milestones`): the
            parameter column, ``start`` and each milestone in days after the start.
        parameter: the parameter column (dotted key).
        discrete: a box and strip per value (a list of values) if True, a scatter (a
            sampled range) if False; None decides by the column (at most
            :data:`MAX_PANELS` distinct numbers, or text, is discrete).
        path: where to save a PNG; not saved if None.
        title: figure title; a default one if None.

    Returns:
        The Figure: one panel per dated milestone (calendar date of the runs that reach
        it; the count that never do written under each value) and one for ISIS's
        3 November share of Deir ez-Zor governorate (%). A panel no run reaches says why
        (:func:`why_empty`): the runs ended before the record's date, or ran past it.
    """
    values = milestones[parameter]
    discrete = _is_discrete(values) if discrete is None else discrete
    keys = [m for m in SWEEP_RECORD]
    cols = 3
    rows = math.ceil(len(keys) / cols)
    fig = Figure(figsize=(13, 3.3 * rows + 0.6), dpi=110, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    start = pd.to_datetime(milestones["start"])
    rng = np.random.default_rng(0)  # the jitter only
    levels = ordered_levels(values)
    for ax, m in zip(axes.flat, keys):
        share = m.kind == "share"
        y = milestones[m.key] * 100.0 if share else start + pd.to_timedelta(milestones[m.key], unit="D")
        y_num = (milestones[m.key] * 100.0 if share else mdates.date2num(y.where(milestones[m.key].notna())))
        y_num = pd.Series(np.asarray(y_num, dtype=float), index=milestones.index)
        if discrete:
            data = [y_num[(values == v) & y_num.notna()].to_numpy() for v in levels]
            pos = np.arange(len(levels))
            if any(len(d) for d in data):
                ax.boxplot([d if len(d) else [np.nan] for d in data], positions=pos, widths=0.5,
                           showfliers=False, medianprops={"color": "black"})
            for i, d in enumerate(data):
                ax.scatter(i + rng.uniform(-0.15, 0.15, len(d)), d, s=12, color=FACTION_COLOURS["ISIS"],
                           alpha=0.6, zorder=3)
                missing = int(((values == levels[i]) & y_num.isna()).sum())
                if missing:
                    ax.annotate(f"{missing} {'n/a' if share else 'never'}", (i, 0), xycoords=("data", "axes fraction"),
                                xytext=(0, 2), textcoords="offset points", ha="center", fontsize=7)
            ax.set_xticks(pos, [textwrap.fill(_value_label(v), 11) for v in levels], fontsize=8)
            ax.set_xlim(-0.5, len(levels) - 0.5)
        else:
            ok = y_num.notna()
            if values.notna().any() and values.min() < values.max():
                pad = 0.03 * (values.max() - values.min())
                ax.set_xlim(values.min() - pad, values.max() + pad)
            ax.scatter(values[ok], y_num[ok], s=12, color=FACTION_COLOURS["ISIS"], alpha=0.6)
            if (~ok).any():
                ax.annotate(f"{int((~ok).sum())} {'n/a' if share else 'never'}", (0.02, 0.02),
                            xycoords="axes fraction", fontsize=7)
        if y_num.isna().all():
            _say_why(ax, why_empty(m, milestones))
            ax.set_yticks([])
        elif share:
            ax.set_ylabel("ISIS share (%)")
        elif y_num.notna().any():
            ax.yaxis_date()
            ax.yaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
            ax.yaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
            low, high = y_num.min(), y_num.max()  # days; a few either side, however close the runs
            pad = max(3.0, 0.08 * (high - low))
            ax.set_ylim(low - pad, high + pad)
        ax.set_title(m.label, fontsize=9)
        ax.set_xlabel(parameter, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    fig.suptitle(title or f"Milestones against {parameter}")
    if path is not None:
        fig.savefig(path, dpi=fig.dpi, bbox_inches="tight")
    return fig


def indices_plot(indices: pd.DataFrame, path=None, title: str | None = None) -> Figure:
    """Sensitivity indices with their confidence intervals, one panel per outcome.

    Args:
        indices: one row per outcome and parameter: columns ``outcome``, ``parameter``,
            ``S1`` and ``S1_conf`` (first order), and where there are total-order
            indices (a Sobol design) ``ST`` and ``ST_conf``; ``_conf`` is the half-width
            of the 95% interval. As :func:`analysis.sobol_indices` and
            :func:`analysis.first_order_indices` return them.
        path: where to save a PNG; not saved if None.
        title: figure title; a default one if None.

    Returns:
        The Figure: per parameter a bar for the first-order index and, where given, one
        for the total order.
    """
    outcomes = list(dict.fromkeys(indices["outcome"]))
    labels = {m.key: m.label for m in SWEEP_RECORD}
    cols = min(max(len(outcomes), 1), 3)
    rows = max(math.ceil(len(outcomes) / cols), 1)
    fig = Figure(figsize=(4.3 * cols + 1.2, 3.2 * rows + 0.6), dpi=110, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    for ax, outcome in zip(axes.flat, outcomes):
        part = indices[indices["outcome"] == outcome]
        pos = np.arange(len(part))
        total = "ST" in part
        width = 0.36 if total else 0.6
        ax.bar(pos - (0.18 if total else 0.0), part["S1"], width, yerr=part["S1_conf"], capsize=3, color="0.35",
               label="first order")
        if total:
            ax.bar(pos + 0.18, part["ST"], width, yerr=part["ST_conf"], capsize=3, color=FACTION_COLOURS["SDF"],
                   label="total order")
        ax.set_xticks(pos, part["parameter"], fontsize=7, rotation=15)
        ax.axhline(0, color="black", lw=0.6)
        if part[[c for c in ("S1", "ST") if c in part]].isna().all().all():
            ax.text(0.5, 0.5, "no indices: constant over points\nor not measured", transform=ax.transAxes,
                    ha="center", va="center", fontsize=8, color="0.4")
        ax.set_title(labels.get(outcome, outcome), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.flat[len(outcomes):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("sensitivity index")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", fontsize=8, frameon=False)  # beside the panels
    fig.suptitle(title or "Sensitivity indices of the milestones (95% confidence intervals)")
    if path is not None:
        fig.savefig(path, dpi=fig.dpi, bbox_inches="tight")
    return fig
