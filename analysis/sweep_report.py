"""The report of a sweep, from its results on disk alone.

A sweep folder holds ``_manifest.json`` (the sweep file and every planned run), one
Parquet file per finished run and ``_failed/<run_id>.json`` per run that raised.
:func:`write_report` reads them and writes into ``DIR/_report/`` (the underscore keeps
``pandas.read_parquet(DIR)`` reading runs only): fan charts of territory, milestone
dates against each parameter, Sobol indices for Sobol designs, and a summary table
(CSV and Markdown). The report is built in a scratch folder and moved in whole.

Every run's file is read whole; a file that cannot be read, or that holds another
run than its name says (or a run the manifest does not plan), is named in one line
(:class:`SweepReportError`) and no report is written: ``run.py sweep --resume`` runs
it again. A sweep with runs neither finished nor failed is reported on what it has;
the report, and a note on stderr, say how many and how to resume it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import sweep_results as results
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

    @property
    def planned(self) -> int:
        return len(self.manifest.get("runs", []))

    @property
    def missing(self) -> int:
        """Planned runs neither finished nor failed: an interrupted sweep's."""
        return max(self.planned - len(self.milestones) - len(self.failed), 0)

    @property
    def resume_command(self) -> str:
        return resume_command(self.folder, self.manifest)


def resume_command(folder: Path, manifest: dict) -> str:
    """``python run.py sweep FILE --out DIR --resume`` for this folder (FILE as the manifest has it)."""
    sweep_file = manifest.get("sweep_file")
    if sweep_file and not Path(sweep_file).is_file():  # a sweep run from Python, from a dict
        sweep_file = None
    if sweep_file:
        relative = os.path.relpath(sweep_file)
        sweep_file = shlex.quote(relative if not relative.startswith("..") else sweep_file)
    return f"python run.py sweep {sweep_file or 'FILE'} --out {shlex.quote(str(folder))} --resume"


def read_sweep(folder) -> Sweep:
    """Read a sweep folder run by run (one Parquet file at a time, so memory holds only what the report needs).

    Raises:
        SweepReportError: the folder is missing or empty, has no manifest (or one that is not a
            sweep's), no finished run, or a run's file that is damaged or not this sweep's (named).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SweepReportError(f"{folder}: no such sweep folder")
    if not any(folder.iterdir()):
        raise SweepReportError(f"{folder}: the folder is empty, not a sweep's results")
    if not (folder / MANIFEST).is_file():
        raise SweepReportError(f"{folder}: no {MANIFEST}; not a sweep's results")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SweepReportError(f"{folder / MANIFEST}: cannot be read ({results.one_line(exc)})") from None
    if not (isinstance(manifest, dict) and isinstance(manifest.get("sweep"), dict)
            and isinstance(manifest.get("runs"), list) and all(isinstance(r, dict) and "run_id" in r
                                                               for r in manifest["runs"])):
        raise SweepReportError(f"{folder / MANIFEST}: not a sweep's manifest (no sweep, or no runs with a run_id)")
    files = results.result_files(folder)
    if not files:
        raise SweepReportError(f"{folder}: no finished runs (no .parquet files) to report on; "
                               f"resume with: {resume_command(folder, manifest)}")
    planned = {r["run_id"]: r for r in manifest["runs"]}
    milestones, daily, record_days, record = [], [], [], load_record()
    for path in files:
        run = read_run(path, planned, resume_command(folder, manifest))
        milestones.append(sweep_milestones(run))
        record_days.append(run_record_days(run, record))
        params = [c for c in manifest.get("parameters", []) if c in run]
        daily.append(run.loc[run["kind"] == "daily", [*DAILY_COLUMNS, *params]])
    failed = sorted(results.failed_runs(folder) - {p.stem for p in files})  # not those that finished since
    return Sweep(folder, manifest, pd.concat(milestones, ignore_index=True), pd.concat(daily, ignore_index=True),
                 failed, pd.DataFrame(record_days))


def read_run(path: Path, planned: dict[str, dict], resume: str) -> pd.DataFrame:
    """A run's file, read whole and checked to be the planned run its name says.

    Raises:
        SweepReportError: the file cannot be read, or holds another run (one line naming it).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def refuse(problem: str) -> SweepReportError:
        return SweepReportError(f"{path}: {problem}; run it again with: {resume}")

    if path.stem not in planned:
        raise SweepReportError(f"{path}: is not a run of this sweep (its manifest plans no {path.stem}); "
                               "move it away")
    try:
        table = pq.read_table(path)
        run = table.to_pandas()
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise refuse(f"is damaged ({results.short_reason(exc)})") from None
    missing = [c for c in ("run_id", "kind", *DAILY_COLUMNS) if c not in run]
    if missing:
        raise refuse(f"is not a run's table (no column {missing[0]})")
    held = set(run["run_id"].unique())
    if held != {path.stem}:
        other = sorted(map(str, held - {path.stem})) or ["none"]
        raise refuse(f"holds rows of run {other[0]}, not only of {path.stem}")
    stored = (table.schema.metadata or {}).get(results.RUN_METADATA.encode())
    if stored is not None:  # written by the sweep: its record says what it is and how many rows
        try:
            written = json.loads(stored)
        except ValueError:
            raise refuse("is damaged (its run record cannot be read)") from None
        expected = results.run_record(planned[path.stem])
        for key in results.RUN_RECORD_KEYS:
            if written.get(key) != expected[key]:
                raise refuse(f"is not this sweep's run {path.stem} (its {key} is {json.dumps(written.get(key))}, "
                             f"the manifest's {json.dumps(expected[key])})")
        if written.get("rows") != len(run):
            raise refuse(f"is damaged ({len(run)} rows, {written.get('rows')} written)")
    return run


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
             f"{sweep.missing} missing",
             *([(f"- **Unfinished**: {sweep.missing} of {planned} runs have not run; "
                 f"this report is of the {len(sweep.milestones)} that finished. Resume it with "
                 f"`{sweep.resume_command}`, then report again.")] if sweep.missing else []),
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


def write_report(folder, out=None, note: Callable[[str], None] | None = None) -> Path:
    """Write the report of the sweep in ``folder`` into ``out`` (default ``folder/_report``).

    Args:
        folder: a sweep's results folder (manifest, Parquet files, ``_failed/``).
        out: the report folder; replaced whole, written in a scratch folder beside it first.
        note: called with a line for the user where the sweep is unfinished (how to resume it).

    Returns:
        The report folder: ``summary.csv``, ``summary.md``, ``milestones.csv`` (one row per
        run), ``record_scores.csv`` (per point, its runs scored against the record of 2017), ``fan_all.png``, ``fan_<key>.png`` and ``milestones_<key>.png`` per parameter,
        and for Sobol designs ``sobol_indices.csv`` and ``sobol_indices.png``.

    Raises:
        SweepReportError: the folder is missing or empty, has no manifest, or no finished run, or
            a run's file is damaged or not this sweep's (:func:`read_sweep`).
    """
    sweep = read_sweep(folder)
    if sweep.missing and note is not None:
        note(f"{len(sweep.milestones)} of {sweep.planned} runs finished"
             + (f" ({len(sweep.failed)} failed)" if sweep.failed else "")
             + f"; resume with: {sweep.resume_command}")
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
