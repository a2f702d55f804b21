"""First-order sensitivity of milestone dates from a Latin hypercube sweep (RBD-FAST).

A Sobol analysis needs Saltelli's special design and hundreds of runs before its
intervals narrow. RBD-FAST (random balance designs with the Fourier amplitude
sensitivity test: Tarantola, Gatelli and Mara 2006; Plischke 2010, with SALib's bias
correction) estimates first-order indices from any sample that covers each range
evenly, so the runs of an ``lhs`` sweep serve as they are, and a few dozen runs give
usable intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.history import SWEEP_RECORD
from analysis.sweep_results import RUN_COLUMNS

# Harmonics of the Fourier spectrum counted as the parameter's signal. SALib's default
# of 10 suits hundreds of runs; with a few dozen, the higher harmonics are mostly noise
# and inflate both the index and its interval.
HARMONICS = 4
NOT_PARAMETERS = {*RUN_COLUMNS, "start", "end", *(m.key for m in SWEEP_RECORD)}


def first_order_indices(milestones: pd.DataFrame, parameters: list[str] | None = None,
                        outcomes: list[str] | None = None, resamples: int = 200, seed: int = 0) -> pd.DataFrame:
    """First-order (RBD-FAST) indices of milestone dates over a sampled sweep's runs.

    A run that never reaches a milestone counts as the day after its last day. The
    indices of one outcome need not sum to 1: what the parameters leave unexplained is
    interaction and the run's own chance (each run has its own seed).

    Args:
        milestones: one row per run (:func:`analysis.sweep_milestones`) with the
            parameters' columns, from an ``lhs`` sweep (each range covered evenly).
        parameters: the sampled parameter columns (dotted keys); default every numeric
            column that is not a run, date or milestone column.
        outcomes: milestone keys, e.g. ``["deir_ez_zor_cleared"]``; default every dated
            milestone of :data:`analysis.SWEEP_RECORD`.
        resamples: bootstrap resamples for the intervals.
        seed: seed of the bootstrap.

    Returns:
        One row per outcome and parameter: ``S1``, the share (0-1) of the outcome's
        variance over runs explained by the parameter alone, and ``S1_conf``, the
        half-width of its 95% bootstrap interval. NaN where the outcome does not vary.
    """
    from SALib.analyze import rbd_fast

    if parameters is None:
        parameters = [c for c in milestones.columns
                      if c not in NOT_PARAMETERS and pd.api.types.is_numeric_dtype(milestones[c])]
    if outcomes is None:
        outcomes = [m.key for m in SWEEP_RECORD if m.kind != "share"]
    x = milestones[parameters].to_numpy(dtype=float)
    problem = {"num_vars": len(parameters), "names": parameters,
               "bounds": [[float(lo), float(hi)] for lo, hi in zip(x.min(axis=0), x.max(axis=0))]}
    last_day = (pd.to_datetime(milestones["end"]) - pd.to_datetime(milestones["start"])).dt.days + 1
    rows = []
    for outcome in outcomes:
        y = milestones[outcome].fillna(last_day).to_numpy(dtype=float)
        if np.nanstd(y) == 0:
            result = {"S1": [np.nan] * len(parameters), "S1_conf": [np.nan] * len(parameters)}
        else:
            result = rbd_fast.analyze(problem, x, y, M=HARMONICS, num_resamples=resamples, seed=seed)
        rows += [{"outcome": outcome, "parameter": p, "S1": float(result["S1"][i]),
                  "S1_conf": float(result["S1_conf"][i])} for i, p in enumerate(parameters)]
    return pd.DataFrame(rows)
