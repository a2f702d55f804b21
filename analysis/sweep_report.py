"""The report of a sweep, from its results on disk alone.

A sweep folder holds ``_manifest.json`` (the sweep file and every planned run), one
Parquet file per finished run and ``_failed/<run_id>.json`` per run that raised.
:func:`write_report` reads them and writes into ``DIR/_report/`` (the underscore keeps
``pandas.read_parquet(DIR)`` reading runs only): fan charts of territory, milestone
dates against each parameter, Sobol indices for Sobol designs, and a summary table
(CSV and Markdown). The report is built in a scratch folder and moved in whole.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.history import SWEEP_RECORD, sweep_milestones
from analysis.record import load_record
from analysis.sweep_scores import point_scores, record_markdown, run_record_days
from analysis.sweep_plots import fan_chart, milestone_distributions, indices_plot

MANIFEST = "_manifest.json"
FAILED = "_failed"
REPORT = "_report"
DAILY_COLUMNS = ("run_id", "kind", "date", "step", "faction", "area_km2")


class SweepReportError(ValueError):
    """A sweep folder that cannot be reported on: missing, empty, or without a manifest."""


@dataclass
class Sweep:
    """What a sweep folder holds: its manifest, each run's milestones and daily areas."""

    folder: Path
    manifest: dict
    milestones: pd.DataFrame  # one row per finished run (analysis.history.sweep_milestones)
    daily: pd.DataFrame  # the daily rows: run_id, date, faction, area_km2 and the parameters
    failed: list[str]  # run ids with a _failed/<run_id>.json
    record_days: pd.DataFrame  # one row per run: its day for each dated event of the record

    @property
    def parameters(self) -> list[str]:
        return list(self.manifest.get("parameters") or self.manifest["sweep"].get("parameters", {}))

    def spec(self, key: str):
        """A parameter's entry in the sweep file: a list of values or {low, high}."""
        return self.manifest["sweep"].get("parameters", {}).get(key)

    def is_range(self, key: str) -> bool:
        return isinstance(self.spec(key), dict)


def read_sweep(folder) -> Sweep:
    """Read a sweep folder run by run (one Parquet file at a time, so memory holds only what the report needs).

    Raises:
        SweepReportError: the folder is missing or empty, has no manifest, or no finished run.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SweepReportError(f"{folder}: no such sweep folder")
    if not any(folder.iterdir()):
        raise SweepReportError(f"{folder}: the folder is empty, not a sweep's results")
    if not (folder / MANIFEST).is_file():
        raise SweepReportError(f"{folder}: no {MANIFEST}; not a sweep's results")
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SweepReportError(f"{folder}: cannot read {MANIFEST}: {exc}") from None
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise SweepReportError(f"{folder}: no finished runs (no .parquet files) to report on")
    milestones, daily, record_days, record = [], [], [], load_record()
    for path in files:
        run = pd.read_parquet(path)
        milestones.append(sweep_milestones(run))
        record_days.append(run_record_days(run, record))
        params = [c for c in manifest.get("parameters", []) if c in run]
        daily.append(run.loc[run["kind"] == "daily", [*DAILY_COLUMNS, *params]])
    failed = sorted(p.stem for p in (folder / FAILED).glob("*.json")) if (folder / FAILED).is_dir() else []
    return Sweep(folder, manifest, pd.concat(milestones, ignore_index=True), pd.concat(daily, ignore_index=True),
                 failed, pd.DataFrame(record_days))


# ---- the summary --------------------------------------------------------------------
def _quantile(days: np.ndarray, q: float) -> float:
    """A quantile over runs that is one run's value: NaN (never) sorts after every day."""
    filled = np.where(np.isnan(days), np.inf, days)
    value = np.quantile(filled, q, method="inverted_cdf")
    return np.nan if np.isinf(value) else float(value)


def _date(start: pd.Timestamp, days: float) -> str:
    return "never" if pd.isna(days) else (start + pd.Timedelta(days=days)).date().isoformat()


def _failed_in(sweep: Sweep, key: str | None, value) -> int:
    if key is None:
        return len(sweep.failed)
    planned = {r["run_id"]: r.get("parameters", {}) for r in sweep.manifest.get("runs", [])}
    return sum(1 for run_id in sweep.failed if planned.get(run_id, {}).get(key) == value)


def summary_row(runs: pd.DataFrame, failed: int) -> dict:
    """Runs, failed runs, and per milestone the median, 10% and 90% (dates) and the share reaching it."""
    row: dict = {"runs": len(runs), "failed": failed}
    start = pd.to_datetime(runs["start"]).min() if len(runs) else pd.NaT
    for m in SWEEP_RECORD:
        values = runs[m.key].to_numpy(dtype=float)
        if m.kind == "share":
            ok = values[~np.isnan(values)]
            quantiles = np.quantile(ok, (0.5, 0.1, 0.9)) if len(ok) else (np.nan,) * 3
            row.update({f"{m.key}_{name}": round(float(v), 3) for name, v in zip(("median", "p10", "p90"), quantiles)})
            row[f"{m.key}_measured"] = round(len(ok) / len(values), 3) if len(values) else np.nan
            continue
        for name, q in (("median", 0.5), ("p10", 0.1), ("p90", 0.9)):
            row[f"{m.key}_{name}"] = _date(start, _quantile(values, q)) if len(values) else ""
        row[f"{m.key}_reached"] = round(float(np.mean(~np.isnan(values))), 3) if len(values) else np.nan
    return row


def summary_table(sweep: Sweep) -> pd.DataFrame:
    """One row for all runs, then one per value of each parameter given as a list."""
    rows = [{"parameter": "all runs", "value": "", **summary_row(sweep.milestones, _failed_in(sweep, None, None))}]
    for key in sweep.parameters:
        if sweep.is_range(key) or key not in sweep.milestones:
            continue
        for value in (sweep.spec(key) or sorted(sweep.milestones[key].unique())):
            runs = sweep.milestones[sweep.milestones[key] == value]
            rows.append({"parameter": key, "value": value, **summary_row(runs, _failed_in(sweep, key, value))})
    return pd.DataFrame(rows)


def summary_markdown(sweep: Sweep, summary: pd.DataFrame, sobol_note: str, scores: pd.DataFrame) -> str:
    """The summary as Markdown: the sweep, then a row per group with each milestone's median and range."""
    spec = sweep.manifest.get("sweep", {})
    planned = len(sweep.manifest.get("runs", []))
    lines = [f"# Sweep report: {sweep.folder.name}", "",
             f"- Scenario: `{sweep.manifest.get('scenario', spec.get('scenario', ''))}`; design "
             f"{sweep.manifest.get('design', spec.get('design', ''))}; {spec.get('replicates', '?')} replicates",
             f"- Runs: {planned} planned, {len(sweep.milestones)} finished, {len(sweep.failed)} failed, "
             f"{max(planned - len(sweep.milestones) - len(sweep.failed), 0)} missing",
             "- Parameters: " + ", ".join(f"`{k}` {sweep.spec(k)}" for k in sweep.parameters), "",
             "Each cell: the median date over finished runs, the 10-90% range, and the share of runs that "
             "reach the milestone (a run that never does counts as later than any date). The share row: "
             "ISIS's share of Deir ez-Zor governorate on 3 November 2017.", ""]
    header = ["parameter", "value", "runs", "failed", *(m.label for m in SWEEP_RECORD)]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in summary.to_dict("records"):
        cells = [str(row["parameter"]), str(row["value"]), str(row["runs"]), str(row["failed"])]
        for m in SWEEP_RECORD:
            med, p10, p90 = (row[f"{m.key}_{n}"] for n in ("median", "p10", "p90"))
            if m.kind == "share":
                fmt = (lambda v: "n/a" if pd.isna(v) else f"{100 * v:.0f}%")
                cells.append(f"{fmt(med)} ({fmt(p10)} to {fmt(p90)}), measured in {fmt(row[m.key + '_measured'])}")
            else:
                reached = row[f"{m.key}_reached"]
                share = "n/a" if pd.isna(reached) else f"{100 * reached:.0f}%"
                cells.append("never" if reached == 0 else f"{med} ({p10} to {p90}), {share} reach it")
        lines.append("| " + " | ".join(cells) + " |")
    point_parameters = {int(r["point"]): ", ".join(f"{k} = {v}" for k, v in r.get("parameters", {}).items())
                        for r in sweep.manifest.get("runs", [])}
    lines += ["", *record_markdown(scores, point_parameters)]
    lines += ["", "## Figures", "", "![Territory over all runs](fan_all.png)", ""]
    for key in sweep.parameters:
        slug = slug_of(key)
        lines += [f"### `{key}`", "", f"![Territory by {key}](fan_{slug}.png)", "",
                  f"![Milestones against {key}](milestones_{slug}.png)", ""]
    if sobol_note:
        lines += ["## Sobol indices", "", sobol_note, ""]
    return "\n".join(lines)


# ---- Sobol indices ------------------------------------------------------------------
def sobol_indices(sweep: Sweep) -> tuple[pd.DataFrame | None, str]:
    """First- and total-order indices of every milestone outcome, or None and why not.

    The outcome of a point is the mean over its replicates; a run that never reaches a
    milestone counts as the day after its last day. Runs must cover every point of
    SALib's Saltelli order (``N * (D + 2)`` points, without second order).
    """
    from SALib.analyze import sobol

    keys = [k for k in sweep.parameters if sweep.is_range(k)]
    if not keys:
        return None, "No parameter is a range: no indices."
    problem = {"num_vars": len(keys), "names": keys,
               "bounds": [[float(sweep.spec(k)["low"]), float(sweep.spec(k)["high"])] for k in keys]}
    points = sorted({int(r["point"]) for r in sweep.manifest.get("runs", [])})
    runs = sweep.milestones
    n_points = len(points) or int(runs["point"].max()) + 1
    if n_points % (len(keys) + 2):
        return None, f"{n_points} points is not a multiple of D + 2 = {len(keys) + 2}: no indices."
    done = set(runs["point"].astype(int))
    missing = [p for p in range(n_points) if p not in done]
    if missing:
        return None, f"{len(missing)} of {n_points} points have no finished run: no indices."
    last = (pd.to_datetime(runs["end"]) - pd.to_datetime(runs["start"])).dt.days + 1
    rows = []
    for m in SWEEP_RECORD:
        outcome = runs[m.key] if m.kind == "share" else runs[m.key].fillna(last)
        y = outcome.groupby(runs["point"].astype(int)).mean().reindex(range(n_points)).to_numpy(dtype=float)
        if np.isnan(y).any() or np.nanstd(y) == 0:
            result = {"S1": [np.nan] * len(keys), "S1_conf": [np.nan] * len(keys),
                      "ST": [np.nan] * len(keys), "ST_conf": [np.nan] * len(keys)}
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = sobol.analyze(problem, y, calc_second_order=False, print_to_console=False, seed=0)
        for i, key in enumerate(keys):
            rows.append({"outcome": m.key, "parameter": key,
                         **{c: float(result[c][i]) for c in ("S1", "S1_conf", "ST", "ST_conf")}})
    note = (f"From {len(runs)} runs at {n_points} points (N = {n_points // (len(keys) + 2)}); indices in "
            f"`sobol_indices.csv`, `_conf` the half-width of the 95% interval; a milestone constant over points "
            f"(or a share not measured) has none. ![Sobol indices](sobol_indices.png)")
    return pd.DataFrame(rows), note


# ---- the report ---------------------------------------------------------------------
def slug_of(key: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in key)


def write_report(folder, out=None) -> Path:
    """Write the report of the sweep in ``folder`` into ``out`` (default ``folder/_report``).

    Args:
        folder: a sweep's results folder (manifest, Parquet files, ``_failed/``).
        out: the report folder; replaced whole, written in a scratch folder beside it first.

    Returns:
        The report folder: ``summary.csv``, ``summary.md``, ``milestones.csv`` (one row per
        run), ``record_scores.csv`` (per point, its runs scored against the record of 2017), ``fan_all.png``, ``fan_<key>.png`` and ``milestones_<key>.png`` per parameter,
        and for Sobol designs ``sobol_indices.csv`` and ``sobol_indices.png``.

    Raises:
        SweepReportError: the folder is missing or empty, has no manifest, or no finished run.
    """
    sweep = read_sweep(folder)
    out = Path(out) if out is not None else sweep.folder / REPORT
    out.parent.mkdir(parents=True, exist_ok=True)
    design = sweep.manifest.get("design", sweep.manifest.get("sweep", {}).get("design"))
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}-") as tmp:
        tmp = Path(tmp)
        sweep.milestones.to_csv(tmp / "milestones.csv", index=False)
        fan_chart(sweep.daily, None, path=tmp / "fan_all.png")
        for key in sweep.parameters:
            discrete = not sweep.is_range(key)
            fan_chart(sweep.daily, key, path=tmp / f"fan_{slug_of(key)}.png")
            milestone_distributions(sweep.milestones, key, discrete=discrete,
                                    path=tmp / f"milestones_{slug_of(key)}.png")
        note = ""
        if design == "sobol":
            indices, note = sobol_indices(sweep)
            if indices is not None:
                indices.to_csv(tmp / "sobol_indices.csv", index=False)
                indices_plot(indices, path=tmp / "sobol_indices.png")
        summary = summary_table(sweep)
        summary.to_csv(tmp / "summary.csv", index=False)
        scores = point_scores(sweep.record_days)
        scores.to_csv(tmp / "record_scores.csv", index=False)
        (tmp / "summary.md").write_text(summary_markdown(sweep, summary, note, scores))
        old = out.with_name(f".{out.name}-old")
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        tmp.mkdir()  # for TemporaryDirectory's clean-up
        if old.exists():
            shutil.rmtree(old)
    return out
