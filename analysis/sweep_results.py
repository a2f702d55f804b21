"""A sweep's results on disk: the manifest, one Parquet file per run, and the failures.

The folder a sweep writes to holds::

    _manifest.json        written before any run: the sweep, the scenario, the parameters,
                          the design and every run (run_id, point, replicate, seed, parameters)
    p0000-r00.parquet     one per finished run, written atomically (a hidden temporary
                          file, then ``os.replace``), so a file present is a run complete
    _failed/p0003-r01.json  one per run that raised: run_id, seed, parameters, error

Every other name starts with ``_`` or ``.``, which pyarrow's dataset reader skips, so
``pandas.read_parquet(DIR)`` (or DuckDB's ``read_parquet('DIR/*.parquet')``) reads the
whole sweep as one tidy table. Its columns:

- ``run_id`` (str), ``point``, ``replicate``, ``seed`` (int64), then one column per
  parameter named by its dotted key (float64; str for categorical values, lists as JSON);
- ``kind``: ``daily`` (one row per faction per day, as ``daily.csv``), ``governorate``
  (per faction, governorate and day, as ``daily_governorate.csv``) or ``event`` (as
  ``events.csv``);
- ``date`` (datetime64), ``step`` (int64), ``faction``, ``governorate`` (str, null but
  on governorate rows);
- ``area_km2, cells, population, strength, units, manoeuvre, garrison_need,
  overstretch, morale, supply`` (float64, NaN where a kind has no such figure:
  governorate rows have area, cells and population; event rows none);
- ``event, place, detail`` (str, null but on event rows).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

# pandas and pyarrow are imported where a run's table is made or written (in the
# workers): the process that plans and watches a sweep never needs them.

MANIFEST = "_manifest.json"
FAILED = "_failed"
RUN_COLUMNS = ("run_id", "point", "replicate", "seed")
FIGURES = ["area_km2", "cells", "population", "strength", "units", "manoeuvre", "garrison_need",
           "overstretch", "morale", "supply"]
# The columns every run's table has after its run columns and parameters, with their types.
_TABLE_FIELDS = (("kind", "string"), ("date", "timestamp"), ("step", "int64"), ("faction", "string"),
                 ("governorate", "string"), *((f, "float64") for f in FIGURES),
                 ("event", "string"), ("place", "string"), ("detail", "string"))


def table_schema(column_types: dict[str, str]) -> pa.Schema:
    """The Parquet schema of a run's table, with a column per parameter."""
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "timestamp": pa.timestamp("ns")}
    params = [pa.field(k, pa.float64() if t == "float" else pa.string()) for k, t in column_types.items()]
    run = [pa.field(name, pa.string() if name == "run_id" else pa.int64()) for name in RUN_COLUMNS]
    return pa.schema([*run, *params, *(pa.field(name, types[kind]) for name, kind in _TABLE_FIELDS)])


# The columns every run's table has besides its run columns and parameters.
TABLE_COLUMNS = frozenset(name for name, _ in _TABLE_FIELDS)


def parameter_cell(value: Any, kind: str):
    """A parameter's value as its column holds it: a float, or text (JSON unless text)."""
    if kind == "float":
        return float(value)
    return value if isinstance(value, str) else json.dumps(value)


def run_table(model, run: dict, column_types: dict[str, str]) -> pa.Table:
    """One run's daily figures, governorate figures and events as one tidy table."""
    import pandas as pd
    import pyarrow as pa

    parts = [model.daily.assign(kind="daily"), model.daily_by_governorate.assign(kind="governorate"),
             model.events.assign(kind="event")]
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True)
    schema = table_schema(column_types)
    columns = {"run_id": run["run_id"], "point": run["point"], "replicate": run["replicate"], "seed": run["seed"]}
    columns |= {k: parameter_cell(run["parameters"][k], t) for k, t in column_types.items()}
    arrays = []
    for field in schema:
        if field.name in columns:
            arrays.append(pa.array([columns[field.name]] * len(frame), type=field.type))
        elif field.name in frame:
            values = frame[field.name]
            if pa.types.is_string(field.type):
                values = values.astype(object).where(values.notna(), None)
            elif field.name == "date":
                values = pd.to_datetime(values).astype("datetime64[ns]")
            else:
                values = values.astype("float64" if pa.types.is_floating(field.type) else "int64")
            arrays.append(pa.array(values, type=field.type, from_pandas=True))
        else:
            arrays.append(pa.nulls(len(frame), type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_atomically(path: Path, write) -> None:
    """Call ``write(tmp)`` on a hidden file beside ``path``, then move it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_run(table: pa.Table, out: Path, run_id: str) -> Path:
    """Write a run's table as ``out/<run_id>.parquet``, atomically."""
    import pyarrow.parquet as pq

    path = out / f"{run_id}.parquet"
    write_atomically(path, lambda tmp: pq.write_table(table, tmp))
    return path


def write_failure(out: Path, run: dict, error: str) -> Path:
    """Record a run that raised: ``out/_failed/<run_id>.json``."""
    (out / FAILED).mkdir(exist_ok=True)
    path = out / FAILED / f"{run['run_id']}.json"
    record = {k: run[k] for k in ("run_id", "point", "replicate", "seed", "parameters")} | {"error": error}
    write_atomically(path, lambda tmp: tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8"))
    return path


def one_line(exc: BaseException) -> str:
    """An exception as one line: ``ValueError: what went wrong``."""
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}"


def release_grid(model) -> None:
    """Let a finished model's grid and its layers go when the model goes.

    Mesa 3.3's grids register each grid's own cell class with ``copyreg`` (so that its
    cells pickle) and never take it back; the class holds the grid's property layers, so
    every run left a dozen arrays of the grid's size behind in its worker (about 40 KB a
    run at 20 km, 150 KB at 10 km). ``benchmarks/bench_sweep.py --memory-runs`` measures
    a worker. (Its place is ``simulation.mesa_compat``; releasing twice is harmless.)
    """
    import copyreg

    cell_class = getattr(getattr(model, "grid", None), "cell_klass", None)
    if cell_class is not None:
        copyreg.dispatch_table.pop(cell_class, None)


def execute_run(run: dict, scenario, days: int | None, cell_km: float | None, out: str,
                column_types: dict[str, str]) -> dict:
    """Run one model and write its results; a small status dict comes back.

    A top-level function, so that Dask workers in other processes can import it. A
    model that raises is recorded in ``_failed`` (and not retried here); a failure to
    write raises, so that Dask retries the run.
    """
    from simulation import ConflictModel

    out = Path(out)
    try:
        model = ConflictModel(scenario, seed=run["seed"], cell_km=cell_km).run(days)
        table = run_table(model, run, column_types)
        release_grid(model)
    except Exception as exc:  # the model rejected this point: record it, go on
        error = one_line(exc)
        write_failure(out, run, error)
        return {"run_id": run["run_id"], "ok": False, "error": error}
    write_run(table, out, run["run_id"])
    (out / FAILED / f"{run['run_id']}.json").unlink(missing_ok=True)  # failed before, done now
    return {"run_id": run["run_id"], "ok": True, "error": None}


# ---- the folder --------------------------------------------------------------------------------


def manifest_of(plan) -> dict:
    """The manifest of a sweep plan (JSON-ready)."""
    return json.loads(json.dumps({
        "sweep": plan.spec.model_dump(mode="json"),
        "scenario": str(plan.scenario_path.resolve()),
        "parameters": list(plan.spec.parameters),
        "design": plan.spec.design,
        "runs": [{"run_id": r.run_id, "point": r.point, "replicate": r.replicate, "seed": r.seed,
                  "parameters": r.parameters} for r in plan.runs],
    }))


def read_manifest(out: Path) -> dict | None:
    """The manifest in ``out``, or None."""
    path = out / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_manifest(out: Path, manifest: dict) -> None:
    """Write ``out/_manifest.json`` atomically."""
    write_atomically(out / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1) + "\n",
                                                                encoding="utf-8"))


def finished_runs(out: Path) -> set[str]:
    """Run ids with a result file in ``out``."""
    return {p.stem for p in out.glob("*.parquet") if not p.name.startswith((".", "_"))}


def failed_runs(out: Path) -> set[str]:
    """Run ids recorded as failed in ``out/_failed``."""
    return {p.stem for p in (out / FAILED).glob("*.json")}


def remove_stale_temporaries(out: Path) -> None:
    """Hidden temporary files left by runs killed while writing."""
    for tmp in out.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
