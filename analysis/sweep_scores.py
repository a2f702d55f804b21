"""A sweep's runs scored against the sourced record of 2017, point by point.

Each run's day for every dated event of the record comes from the event rows of its
Parquet file (:func:`analysis.scoring.run_days`); the runs of one sweep point are then
scored together, as ``run.py score`` scores a scenario's seeds. The record's
quantities need the model's map on their dates, which a sweep does not keep: score a
point's scenario with ``run.py score`` for those.
"""

from __future__ import annotations

import pandas as pd

from analysis import scoring
from analysis.record import load_record


def run_record_days(run: pd.DataFrame, record) -> dict:
    """One run's day for each dated record event, from its Parquet table (run_id and point first)."""
    events = run.loc[run["kind"] == "event", ["date", "step", "event", "place", "faction", "detail"]]
    dates = pd.to_datetime(run.loc[run["kind"] == "daily", "date"])
    days = scoring.run_days(events, record, dates.min().date(), dates.max().date())
    return {"run_id": run["run_id"].iloc[0], "point": int(run["point"].iloc[0]),
            "start": dates.min(), "end": dates.max(), **days}


def point_scores(record_days: pd.DataFrame, record=None) -> pd.DataFrame:
    """Per sweep point and split (training, test, all): events scored, share in band, mean CRPS (days)."""
    record = record if record is not None else load_record()
    rows = []
    for point, runs in record_days.groupby("point", sort=True):
        ids = [e.id for e in record if e.id in runs]
        scores = scoring.event_scores(runs[ids], record, runs.start.min().date(), runs.end.max().date())
        for row in scoring.aggregates(scores).itertuples():
            rows.append({"point": point, "runs": len(runs), "split": row.split, "events": row.events,
                         "median_never": row.median_never, "in_band": row.in_band,
                         "mean_crps_days": row.mean_crps_days})
    return pd.DataFrame(rows, columns=["point", "runs", "split", "events", "median_never", "in_band",
                                       "mean_crps_days"])


def record_markdown(scores: pd.DataFrame, parameters: dict[int, str]) -> list[str]:
    """The report's section on the record: per point, training and test apart.

    Args:
        scores: :func:`point_scores`.
        parameters: per point, its parameter values in words.
    """
    lines = ["## Against the record of 2017", "",
             "Each point's runs scored on the record's dated events (`analysis/record/record_2017.yaml`), "
             "training and test apart: the share of events whose record date lies inside the runs' 10-90% band, "
             "and the mean CRPS in days (a run that never reaches an event counts as the day after it ends). "
             "Quantities need the map: `run.py score` gives them.", "",
             "| point | parameters | runs | training: in band | training: CRPS | test: in band | test: CRPS |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for point, part in scores.groupby("point", sort=True):
        by = part.set_index("split")
        lines.append(f"| {point} | {parameters.get(point, '')} | {int(by.loc['all', 'runs'])} | "
                     f"{by.loc['training', 'in_band']:.0%} | {by.loc['training', 'mean_crps_days']:.1f} | "
                     f"{by.loc['test', 'in_band']:.0%} | {by.loc['test', 'mean_crps_days']:.1f} |")
    return lines
