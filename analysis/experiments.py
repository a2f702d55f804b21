"""Experiments from Python: a sweep run by ``run.py sweep``'s machinery, returned as a table.

A notebook describes a sweep as a dict with the keys of a sweep file (or names a
sweep file); :func:`run_sweep` checks every point, runs them on a local Dask cluster
and streams one Parquet file per run to a folder, exactly as the command line does,
then reads the folder back as one tidy DataFrame.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import yaml

from analysis import sweep_report
from analysis.sweep import plan_sweep
from analysis.sweep_runner import run_plan
from simulation.scenario import scenario_file

FOLDER = "folder"  # the key in a table's ``attrs`` naming its sweep folder


def write_sweep_file(sweep: dict, folder: str | Path) -> Path:
    """Write a sweep given as a dict to ``folder/sweep.yaml``, its scenario made an absolute path."""
    data = dict(sweep)
    if "scenario" in data:
        data["scenario"] = str(scenario_file(data["scenario"]).resolve())
    path = Path(folder) / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_sweep(sweep: str | Path | dict, out: str | Path | None = None, workers: int | None = None,
              progress: bool = True, resume: bool = False) -> pd.DataFrame:
    """Run every run of a sweep on a local Dask cluster and return the whole sweep as one table.

    Args:
        sweep: a sweep file, or its contents as a dict with the same keys: ``scenario``
            (a file, or a shipped scenario's name such as ``"2017-07-04_raqqa"``),
            ``replicates`` (seeds per point), ``seed``, optional ``days`` and
            ``cell_km`` (km), ``design`` (``grid``, ``lhs`` or ``sobol``), ``samples``,
            and ``parameters`` (dotted scenario keys: a list of values or
            ``{"low": ..., "high": ...}``).
        out: the results folder, one Parquet file per run (``run.py report`` reads it);
            default a new temporary folder.
        workers: local worker processes; default one per CPU.
        progress: print the progress line on stderr.
        resume: go on with this sweep in ``out``, running only what is missing.

    Returns:
        ``pandas.read_parquet(out)``: rows of kind ``daily`` (per faction and day),
        ``governorate`` and ``event`` for every run, with its ``run_id``, ``point``,
        ``replicate``, ``seed`` and one column per parameter. ``table.attrs["folder"]``
        is the results folder. Failed runs are left out, with a warning.

    Raises:
        ScenarioError: a problem in the sweep or in any point's scenario, one line each.
        SweepError: ``out`` holds something other than this sweep's results.
    """
    with tempfile.TemporaryDirectory(prefix="sweep-file-") as spec_folder:
        path = write_sweep_file(sweep, spec_folder) if isinstance(sweep, dict) else Path(sweep)
        plan = plan_sweep(path)
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="sweep-"))
    with open(os.devnull, "w") as quiet:
        outcome = run_plan(plan, out, workers=workers, resume=resume, stream=sys.stderr if progress else quiet)
    if outcome.interrupted:
        raise KeyboardInterrupt(f"sweep interrupted: finished runs kept in {out}; resume=True goes on")
    if outcome.failed:
        warnings.warn(f"{outcome.failed} of {outcome.total} runs failed (see {out / '_failed'}); "
                      "the table holds the others", stacklevel=2)
    table = pd.read_parquet(out)
    table.attrs[FOLDER] = str(out)
    return table


def sobol_indices(results: pd.DataFrame | str | Path) -> pd.DataFrame:
    """First- and total-order Sobol indices of every milestone date, from a ``sobol`` sweep.

    A run that never reaches a milestone counts as the day after its last day; a
    point's outcome is the mean over its replicates (SALib's Saltelli analysis).

    Args:
        results: the table :func:`run_sweep` returned, or the sweep's folder.

    Returns:
        One row per milestone (``outcome``) and parameter: ``S1``, ``S1_conf``, ``ST``
        and ``ST_conf`` (the ``_conf`` columns the half-width of the 95% interval).

    Raises:
        ValueError: the sweep is not a complete Sobol design (the reason says why).
    """
    folder = results.attrs.get(FOLDER) if isinstance(results, pd.DataFrame) else results
    if folder is None:
        raise ValueError("pass run_sweep's table as returned (it names its folder) or the folder itself")
    indices, note = sweep_report.sobol_indices(sweep_report.read_sweep(folder))
    if indices is None:
        raise ValueError(note)
    return indices
