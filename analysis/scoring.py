"""Scores of a model's runs against the sourced record of 2017 (:mod:`analysis.record`).

For every dated event of the record, each run gives the day it happened in the run
(its counterpart, read from the run's event log), or "never" by the run's end. Over
the runs: the median day and its error against the record, whether the record falls
inside the runs' 10-90% band, and the continuous ranked probability score (CRPS, in
days). A run that never reaches an event is kept: it counts as the day after the run
ends, the earliest it could still come, so its CRPS is a lower bound, never a gap.
Reported quantities (a side's share of a city or a governorate, ISIS fighters round a
city) are set against the runs' values on their dates.

How a record event is found in a run:

- ``captured``: the n-th time the run's ``faction`` takes the place, where the event is
  the n-th capture of that place by that faction in the record (Abu Kamal changed hands
  three times);
- ``city_cleared``: the last day ISIS lost its last ground round the city, if it never
  returned (as :func:`analysis.history.milestone_date`);
- ``siege_broken`` / ``siege_formed``: the first such event of the faction at the place;
- ``incident``: the k-th incident across the deconfliction line in the run, where the
  event is the k-th in the record (the model's incidents are SAA-SDF contacts; the
  record's also count Russian and coalition aircraft).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.history import in_step_order
from analysis.record import RecordEvent
from simulation.factions import Faction
from simulation.records import CITY_RING_KM

QUANTILES = (0.1, 0.5, 0.9)
DATED = ("captured", "city_cleared", "siege_broken", "siege_formed", "incident")
# Measures a run's tables alone give (a sweep's Parquet files); the others need the map.
TABLE_MEASURES = ("share_of_governorate",)
BEFORE_START = -1  # a run's day for an event the scenario starts after


def event_ranks(record) -> dict[str, int]:
    """Per dated event: which occurrence of its kind it is (1 = first), counted as its counterpart is.

    Captures count per place and captor; incidents over the whole theatre; the rest are first occurrences.
    """
    ranks, seen = {}, {}
    for e in record:
        key = (e.kind, e.place, e.faction) if e.kind == "captured" else (e.kind,) if e.kind == "incident" else None
        if key is not None:
            seen[key] = seen.get(key, 0) + 1
        ranks[e.id] = seen.get(key, 1) if key is not None else 1
    return ranks


def counterpart_date(events: pd.DataFrame, event: RecordEvent, rank: int = 1) -> pd.Timestamp:
    """The date a record event happened in one run (NaT if it never did).

    Args:
        events: the run's event log (date, step, event, place, faction, detail).
        event: a dated record event.
        rank: which occurrence it is (:func:`event_ranks`).
    """
    ev = in_step_order(events)
    if event.kind == "incident":
        hits = ev[ev.event == "incident"]
    elif event.kind == "city_cleared":
        ring = ev[(ev.place == event.place) & ev.event.isin(["city_cleared", "isis_returns"])]
        if ring.empty or ring.iloc[-1].event != "city_cleared":
            return pd.NaT
        return pd.Timestamp(ring.iloc[-1].date)
    else:
        hits = ev[(ev.place == event.place) & (ev.event == event.kind) & (ev.faction == event.faction)]
    return pd.Timestamp(hits.iloc[rank - 1].date) if len(hits) >= rank else pd.NaT


def run_days(events: pd.DataFrame, record, start, end, ranks: dict[str, int] | None = None) -> dict[str, float]:
    """Per dated record event: the run's day for it (days since ``start``), NaN if never, -1 if before start.

    ``ranks``: each event's occurrence (:func:`event_ranks`) counted over the whole
    record, for a ``record`` that is only part of it (a fit's training events).
    """
    ranks = event_ranks(record) if ranks is None else ranks
    start, days = pd.Timestamp(start), (pd.Timestamp(end) - pd.Timestamp(start)).days
    out = {}
    for e in record:
        if e.kind not in DATED:
            continue
        if pd.Timestamp(e.latest) <= start:
            out[e.id] = BEFORE_START
            continue
        date = counterpart_date(events, e, ranks[e.id])
        out[e.id] = float((date - start).days) if not pd.isna(date) and (date - start).days <= days else np.nan
    return out


def crps_days(record_day: float, run_days_: np.ndarray, never_day: float) -> float:
    """CRPS (days) of the runs' days for an event against the record's day; never counts as ``never_day``."""
    import scoringrules  # about 2 s to import (its backends): only when something is scored

    ensemble = np.where(np.isnan(run_days_), never_day, run_days_)
    return float(scoringrules.crps_ensemble(float(record_day), ensemble))


def event_scores(days: pd.DataFrame, record, start, end) -> pd.DataFrame:
    """One row per dated record event scored in the runs.

    Args:
        days: one row per run, one column per event id (:func:`run_days`).
        start, end: the scenario's first and last day.

    Returns:
        Columns ``id, kind, place, faction, split, confidence, earliest, latest, runs,
        never, p10, median, p90, error_days, miss_days, in_band, crps_days``: dates as
        days since ``start`` (NaN where the runs' quantile is "never"); ``error_days``
        the median's distance from the record's range (positive: the model is late; NaN
        if the median is never); ``miss_days`` its size with a "never" median counted as
        the day after the run ends (as the CRPS counts it); ``in_band`` whether the
        record's range meets the 10-90% band.
    """
    start = pd.Timestamp(start)
    last = (pd.Timestamp(end) - start).days
    rows = []
    for e in record:
        if e.id not in days or (days[e.id] == BEFORE_START).all():
            continue
        d = days[e.id].to_numpy(float)
        early, late = (pd.Timestamp(e.earliest) - start).days, (pd.Timestamp(e.latest) - start).days
        # "Never" sorts after every day: a quantile that lands among the never-runs is never.
        q = np.quantile(np.where(np.isnan(d), np.inf, d), QUANTILES, method="inverted_cdf")
        q = np.where(np.isinf(q), np.nan, q)
        median = q[1]
        error = np.nan if np.isnan(median) else max(0.0, median - late) - max(0.0, early - median)
        miss = abs(error) if not np.isnan(error) else max(0.0, last + 1 - late)
        band_low, band_high = q[0], (np.inf if np.isnan(q[2]) else q[2])
        rows.append({
            "id": e.id, "kind": e.kind, "place": e.place, "faction": e.faction, "split": e.split,
            "confidence": e.confidence, "earliest": e.earliest.isoformat(), "latest": e.latest.isoformat(),
            "runs": len(d), "never": float(np.isnan(d).mean()), "p10": q[0], "median": median, "p90": q[2],
            "error_days": error, "miss_days": miss, "in_band": bool(not np.isnan(band_low) and band_low <= late and early <= band_high),
            "crps_days": crps_days((early + late) / 2, d, last + 1)})
    return pd.DataFrame(rows, columns=["id", "kind", "place", "faction", "split", "confidence", "earliest",
                                       "latest", "runs", "never", "p10", "median", "p90", "error_days",
                                       "miss_days", "in_band", "crps_days"])


def aggregates(scores: pd.DataFrame) -> pd.DataFrame:
    """Per split (training, test, all): events scored, median |error| (days, over events the
    median reaches), mean |error| and the share within 14 days (a never median counted as
    the day after the run ends), share of events never reached by the median, share in
    band, mean CRPS."""
    rows = []
    for split, part in (("training", scores[scores.split == "training"]), ("test", scores[scores.split == "test"]),
                        ("all", scores)):
        rows.append({"split": split, "events": len(part),
                     "median_abs_error_days": float(part.error_days.abs().median()) if len(part) else np.nan,
                     "mean_abs_error_days": float(part.miss_days.mean()) if len(part) else np.nan,
                     "within_14_days": float((part.miss_days <= 14).mean()) if len(part) else np.nan,
                     "median_never": float(part["median"].isna().mean()) if len(part) else np.nan,
                     "in_band": float(part.in_band.mean()) if len(part) else np.nan,
                     "mean_crps_days": float(part.crps_days.mean()) if len(part) else np.nan})
    return pd.DataFrame(rows)


# ---- quantities and maps, measured on a model while it runs ----------------------------
def measure(model, event: RecordEvent) -> float:
    """A record quantity's counterpart in a model today.

    ``share_of_city``: the share of the city's cells (within ``CITY_RING_KM`` of it) the
    faction holds; ``isis_fighters``: ISIS fighters in units within that ring;
    ``share_of_governorate``: the faction's share of the governorate's area.
    """
    tmap = model.theatre
    centre = tmap.place_cell[tmap.geography.place(event.place).name]
    if event.measure == "share_of_governorate":
        governorate = tmap.governorate == tmap.governorate[centre]
        area = tmap.cell_area_km2[governorate]
        return float(area[model.control[governorate] == Faction[event.faction]].sum() / area.sum())
    ring = tmap.in_theatre & (tmap.distance_km(centre, np.arange(tmap.n_cells))[0] <= CITY_RING_KM)
    ring[centre] = True
    if event.measure == "share_of_city":
        return float((model.control[ring] == Faction[event.faction]).mean())
    return float(sum(u.strength for u in model.units_of(Faction.ISIS) if ring[u.k]))


def quantity_scores(values: pd.DataFrame, record) -> pd.DataFrame:
    """One row per record quantity measured in the runs: the record's range and the runs' band.

    Args:
        values: one row per run, one column per quantity id (NaN where not measured).
    """
    import scoringrules  # about 2 s to import: only when something is scored

    rows = []
    for e in record:
        if e.kind != "quantity" or e.id not in values or values[e.id].isna().all():
            continue
        v = values[e.id].dropna().to_numpy(float)
        q = np.quantile(v, QUANTILES)
        rows.append({"id": e.id, "measure": e.measure, "place": e.place, "faction": e.faction, "split": e.split,
                     "date": e.date.isoformat(), "low": e.low, "high": e.high, "runs": len(v),
                     "p10": q[0], "median": q[1], "p90": q[2],
                     "in_band": bool(q[0] <= e.high and e.low <= q[2]),
                     "crps": float(scoringrules.crps_ensemble(e.value, v))})
    return pd.DataFrame(rows, columns=["id", "measure", "place", "faction", "split", "date", "low", "high", "runs",
                                       "p10", "median", "p90", "in_band", "crps"])


def map_skill(agreement: float, persistence: float) -> float:
    """Skill of a map against persistence: 1 perfect, 0 no better than no change, < 0 worse."""
    return (agreement - persistence) / (1.0 - persistence) if persistence < 1.0 else float("nan")
