"""The historical record the model is checked against, and the milestones of a run.

Milestone dates are read from a run's tables alone (its event log and its daily
figures per governorate), so they work the same on one model in memory, on a run's
CSV files and on a sweep's Parquet files (:func:`sweep_milestones`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.sweep_results import RUN_COLUMNS, TABLE_COLUMNS

SHARE_DATE = dt.date(2017, 11, 3)


@dataclass(frozen=True)
class Milestone:
    """One thing the record dates, and how to find it in a run."""

    key: str
    label: str
    kind: str  # siege_broken | falls | cleared | share | area_below
    place: str
    historical: dt.date | float | None
    note: str


# What the news reports of 4 July, 5 September and 3 November 2017 record. Raqqa is
# reported taken "weeks before" 3 November; the SDF declared it on 17 October.
RECORD = (
    Milestone("siege_broken", "Deir ez-Zor siege broken", "siege_broken", "Deir ez-Zor",
              dt.date(2017, 9, 5), "SAA columns link up with the 137th Regiment's enclave"),
    Milestone("raqqa_falls", "Raqqa falls", "falls", "Raqqa",
              dt.date(2017, 10, 17), "SDF takes the city weeks before 3 November"),
    Milestone("deir_ez_zor_cleared", "Deir ez-Zor city fully taken", "cleared", "Deir ez-Zor",
              dt.date(2017, 11, 3), "the last ISIS neighbourhoods fall to the SAA"),
    Milestone("al_qaim_falls", "al-Qaim falls", "falls", "al-Qaim",
              dt.date(2017, 11, 3), "Iraqi forces take most of al-Qaim and the crossing"),
    Milestone("isis_share_deir_ez_zor", "ISIS share of Deir ez-Zor governorate on 3 Nov", "share",
              "Deir ez-Zor", 1 / 3, "ISIS keeps about a third of the province"),
)


# Milestones a sweep reports beyond the calibration ones. Abu Kamal, taken by the SAA
# on 9 November 2017, was lost to an ISIS counter-attack and retaken on 19 November.
# The area milestone is not dated by the record: the faction's theatre area falls below
# AREA_FRACTION of its area on the scenario's first day.
AREA_FRACTION = 0.05
SWEEP_EXTRA = (
    Milestone("abu_kamal_falls", "Abu Kamal falls", "falls", "Abu Kamal",
              dt.date(2017, 11, 19), "SAA and allies retake the town after an ISIS counter-attack"),
    Milestone("isis_below_5pct", "ISIS below 5% of its starting area", "area_below", "ISIS",
              None, "first day ISIS holds under 5% of the theatre area it held on day 0"),
)
# Every milestone a sweep reports: the dated ones of the record, the extra ones, then the share.
SWEEP_RECORD = tuple(m for m in RECORD if m.kind != "share") + SWEEP_EXTRA + tuple(
    m for m in RECORD if m.kind == "share")


def milestone_date(events: pd.DataFrame, milestone: Milestone) -> pd.Timestamp:
    """The date a dated milestone was reached for good in one run (NaT if never).

    ``falls``: the last capture of the place from ISIS, if ISIS never took it back
    (events must be in step order, as :func:`run_milestones` sorts them).
    ``cleared``: the last day ISIS lost its last ground round the city, if it never returned.
    ``siege_broken``: the first day the SAA's besieged pocket holding the place rejoined its side.
    """
    ev = events[events.place == milestone.place]
    if milestone.kind == "siege_broken":
        hit = ev[(ev.event == "siege_broken") & (ev.faction == "SAA")]
        return pd.Timestamp(hit.date.min()) if len(hit) else pd.NaT
    if milestone.kind == "falls":
        caps = ev[ev.event == "captured"]
        if caps.empty or caps.iloc[-1].faction == "ISIS":
            return pd.NaT
        # Not a later hand-over between ISIS's enemies (SDF to SAA): the capture from ISIS.
        from_isis = caps[caps.detail == "from ISIS"]
        return pd.Timestamp(from_isis.iloc[-1].date) if len(from_isis) else pd.NaT
    if milestone.kind == "cleared":
        ev = ev[ev.event.isin(["city_cleared", "isis_returns"])]
        if ev.empty or ev.iloc[-1].event != "city_cleared":
            return pd.NaT
        return pd.Timestamp(ev.iloc[-1].date)
    raise ValueError(f"{milestone.key} is not a dated milestone")


def isis_share(by_governorate: pd.DataFrame, governorate: str, on: dt.date) -> float:
    """ISIS's share (0-1) of a governorate's area on a date (NaN if the run misses it)."""
    day = by_governorate[(by_governorate.governorate == governorate)
                         & (pd.to_datetime(by_governorate.date) == pd.Timestamp(on))]
    total = day.area_km2.sum()
    if total <= 0:
        return float("nan")
    return float(day.loc[day.faction == "ISIS", "area_km2"].sum() / total)


def in_step_order(events: pd.DataFrame) -> pd.DataFrame:
    """A run's events with calendar dates, in the order they happened."""
    return events.assign(date=pd.to_datetime(events.date)).sort_values("step", kind="stable")


def run_milestones(events: pd.DataFrame, by_governorate: pd.DataFrame) -> dict[str, object]:
    """Every milestone of the record for one run: dates (or NaT) and the 3 November share."""
    events = in_step_order(events)
    out: dict[str, object] = {}
    for m in RECORD:
        if m.kind == "share":
            out[m.key] = isis_share(by_governorate, m.place, SHARE_DATE)
        else:
            out[m.key] = milestone_date(events, m)
    return out


# ---- milestones of a sweep ---------------------------------------------------------
def area_below_date(daily: pd.DataFrame, faction: str, fraction: float = AREA_FRACTION) -> pd.Timestamp:
    """The first day a faction's theatre area is below ``fraction`` of its day-0 area (NaT if never).

    Args:
        daily: a run's daily figures (``model.daily``): ``date``, ``step``, ``faction``, ``area_km2``.
        faction: the faction's name, e.g. ``"ISIS"``.
        fraction: the share (0-1) of the first day's area to fall below.
    """
    rows = daily[daily.faction == faction].sort_values("step", kind="stable")
    if rows.empty:
        return pd.NaT
    start = float(rows.area_km2.iloc[0])
    below = rows[rows.area_km2 < fraction * start]
    return pd.Timestamp(below.date.iloc[0]) if len(below) else pd.NaT


def sweep_run_milestones(events: pd.DataFrame, by_governorate: pd.DataFrame,
                         daily: pd.DataFrame) -> dict[str, object]:
    """Every milestone of :data:`SWEEP_RECORD` for one run: dates (or NaT) and the 3 November share."""
    out = run_milestones(events, by_governorate)
    events = in_step_order(events)
    for m in SWEEP_EXTRA:
        if m.kind == "area_below":
            out[m.key] = area_below_date(daily.assign(date=pd.to_datetime(daily.date)), m.place)
        else:
            out[m.key] = milestone_date(events, m)
    return {m.key: out[m.key] for m in SWEEP_RECORD}


def parameter_columns(table: pd.DataFrame) -> list[str]:
    """The parameter columns of a sweep's tidy table: every column that is not a run or table column."""
    return [c for c in table.columns if c not in RUN_COLUMNS and c not in TABLE_COLUMNS]


def sweep_milestones(table: pd.DataFrame) -> pd.DataFrame:
    """Every run's milestones from a sweep's tidy table (``pandas.read_parquet(DIR)``).

    Args:
        table: rows of kind ``daily``, ``governorate`` and ``event`` for each ``run_id``,
            with the run's point, replicate, seed and parameter columns.

    Returns:
        One row per run: ``run_id``, ``point``, ``replicate``, ``seed``, the parameter columns,
        ``start`` and ``end`` (the run's first and last days), then one column per dated milestone of
        :data:`SWEEP_RECORD` in days after the start (float; NaN if never reached) and the
        3 November ISIS share (0-1) of Deir ez-Zor governorate (NaN outside the run).
    """
    params = parameter_columns(table)
    rows = []
    for run_id, run in table.groupby("run_id", sort=True):
        daily = run[run.kind == "daily"]
        start = pd.to_datetime(daily.date).min() if len(daily) else pd.to_datetime(run.date).min()
        found = sweep_run_milestones(run[run.kind == "event"], run[run.kind == "governorate"], daily)
        first = run.iloc[0]
        end = pd.to_datetime(daily.date).max() if len(daily) else pd.to_datetime(run.date).max()
        row = {"run_id": run_id, **{c: first[c] for c in RUN_COLUMNS[1:] + tuple(params) if c in run},
               "start": start, "end": end}
        for m in SWEEP_RECORD:
            value = found[m.key]
            if m.kind == "share":
                row[m.key] = float(value)
            else:
                row[m.key] = np.nan if pd.isna(value) else float((pd.Timestamp(value) - start).days)
        rows.append(row)
    columns = ["run_id", *[c for c in RUN_COLUMNS[1:] if c in table], *params, "start", "end",
               *(m.key for m in SWEEP_RECORD)]
    return pd.DataFrame(rows, columns=columns)
