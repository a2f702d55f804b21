"""What the calibration is measured against: the targets and whether a set of runs meets them.

The targets were set for the 4 July 2017 scenario and are checked on the median over
seeds: each dated milestone within some days of its historical date, Raqqa falling
before Deir ez-Zor city is fully taken, and ISIS's 3 November share of Deir ez-Zor
governorate inside a band. The milestones and their historical values are the
record of :mod:`analysis.history`; a table of runs is the one of
:func:`analysis.calibration.runs_frame`. Both the report's numbers
(:mod:`analysis.calibration`) and its text and figure
(:mod:`analysis.calibration_report`) read the targets from here.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analysis.consistency import QUANTILES
from analysis.history import BEFORE_START, NEVER, RECORD

DATED = tuple(m for m in RECORD if m.kind != "share")
SHARE = next(m for m in RECORD if m.kind == "share")

# The targets set for the 4 July 2017 scenario, on the median over seeds: days either
# side of the historical date, and the band for ISIS's share of Deir ez-Zor governorate.
TARGETS_SET_FOR = dt.date(2017, 7, 4)  # the start date of the scenario they are set for
DATE_TOLERANCE_DAYS = {"siege_broken": 10, "deir_ez_zor_cleared": 14, "al_qaim_falls": 14}
SHARE_BAND = (0.20, 0.50)
ORDER_TARGET = ("raqqa_falls", "deir_ez_zor_cleared")  # the first before the second
TARGET_KEYS = ("siege_broken", "raqqa_before_deir_ez_zor", "deir_ez_zor_cleared",
               "al_qaim_falls", "isis_share_deir_ez_zor")


def ordering_days(runs: pd.DataFrame, key: str) -> np.ndarray:
    """Days from the start at which each run reached a milestone, for medians and ranges.

    A run that reached it before the start counts as day -1; one that never did as the
    day after the end (so later than any date).
    """
    start, end = pd.to_datetime(runs["start"]), pd.to_datetime(runs["end"])
    days = (pd.to_datetime(runs[key]) - start).dt.days.to_numpy(dtype=float, copy=True)
    status = runs[f"{key}_status"].to_numpy()
    days[status == BEFORE_START] = -1.0
    days[status == NEVER] = ((end - start).dt.days + 1).to_numpy()[status == NEVER]
    return days


def quantile_days(days: np.ndarray) -> dict[str, float]:
    """p10, median and p90 of run days, to the whole day (halves round up)."""
    q = np.quantile(days, QUANTILES)
    return dict(zip(("p10", "median", "p90"), np.floor(q + 0.5)))


def raqqa_before_deir_ez_zor(runs: pd.DataFrame) -> tuple[int, bool]:
    """How often Raqqa falls before Deir ez-Zor city is fully taken.

    Returns:
        The number of runs in which it falls strictly earlier, and whether it does on
        the medians.
    """
    first, second = (ordering_days(runs, k) for k in ORDER_TARGET)
    medians = [quantile_days(d)["median"] for d in (first, second)]
    return int((first < second).sum()), bool(medians[0] < medians[1])


def targets_met(runs: pd.DataFrame) -> dict[str, bool]:
    """Which calibration targets of the 4 July scenario a set of runs meets (medians).

    Siege broken within 10 days of 5 September; Raqqa falls before Deir ez-Zor city
    is fully taken; Deir ez-Zor city and al-Qaim each within 14 days of 3 November;
    ISIS holding 20-50% of Deir ez-Zor governorate on 3 November.
    """
    start = pd.Timestamp(runs["start"].iloc[0]).date()
    met = {}
    for m in DATED:
        if m.key in DATE_TOLERANCE_DAYS:
            median = quantile_days(ordering_days(runs, m.key))["median"]
            off = (start + dt.timedelta(days=int(median)) - m.historical).days
            met[m.key] = bool(abs(off) <= DATE_TOLERANCE_DAYS[m.key])
    met["raqqa_before_deir_ez_zor"] = raqqa_before_deir_ez_zor(runs)[1]
    shares = runs[SHARE.key].dropna()
    met[SHARE.key] = bool(len(shares)) and bool(SHARE_BAND[0] <= shares.median() <= SHARE_BAND[1])
    return {k: met[k] for k in TARGET_KEYS}


def target_text(key: str) -> str:
    """A target in words, for the ``target`` column of ``calibration.csv``."""
    if key in DATE_TOLERANCE_DAYS:
        m = next(m for m in RECORD if m.key == key)
        return f"within {DATE_TOLERANCE_DAYS[key]} days of {m.historical.isoformat()} (median)"
    if key == SHARE.key:
        return f"{SHARE_BAND[0]:.0%}-{SHARE_BAND[1]:.0%} (median)"
    return "before Deir ez-Zor city is fully taken (medians)"
