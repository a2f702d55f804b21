"""A sweep's results on disk: the manifest, one Parquet file per run, and the failures.

The folder a sweep writes to holds::

    _manifest.json        written before any run: the sweep, the scenario, the parameters,
                          the design and every run (run_id, point, replicate, seed, parameters)
    p0000-r00.parquet     one per finished run, written atomically (a hidden temporary
                          file, verified, then ``os.replace``), so a file present is a run complete
    _failed/p0003-r01.json  one per run that raised: run_id, seed, parameters, error

A run's file proves itself: its Parquet metadata holds the run's record (run_id, point,
replicate, seed, parameters and the rows written, under ``euphrates.run``), and
:func:`file_problem` checks a file against its planned run from the footer alone (a
fraction of a millisecond): a footer that cannot be read (a truncated file), no record
(a file the sweep did not write), another run's record or parameters, other columns,
or a row count other than the one written. The worker checks each file so before
moving it into place; ``--resume`` checks every file so and runs again any that fails
(:func:`results_on_disk`), and the runs a sweep reports done are the files that pass.

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
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow is imported where a run's table is made or written (in the workers): the
# process that plans and watches a sweep never needs it. Neither loads pandas.

MANIFEST = "_manifest.json"
FAILED = "_failed"
RUN_METADATA = "euphrates.run"  # the key of a run's record in its Parquet file's metadata
RUN_RECORD_KEYS = ("run_id", "point", "replicate", "seed", "parameters")
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
    """One run's daily figures, governorate figures and events as one tidy table.

    Made from the model's plain columns (:func:`simulation.records.plain_table`), not its
    DataFrames (2 ms a run, not 20): a cell a part has no column for is null, and so is a
    figure that is NaN, as when pyarrow reads them from pandas.
    """
    import numpy as np
    import pyarrow as pa

    from simulation.records import plain_table

    parts = [(kind, plain_table(model, name)) for kind, name in RUN_TABLE_PARTS]
    parts = [(kind, columns, len(columns["date"])) for kind, columns in parts if columns["date"]]
    rows = sum(size for _, _, size in parts)
    schema = table_schema(column_types)
    constants = {"run_id": run["run_id"], "point": run["point"], "replicate": run["replicate"], "seed": run["seed"]}
    constants |= {k: parameter_cell(run["parameters"][k], t) for k, t in column_types.items()}
    arrays = []
    for field in schema:
        if field.name in constants:
            arrays.append(pa.array([constants[field.name]] * rows, type=field.type))
            continue
        values = [value for kind, columns, size in parts
                  for value in ([kind] * size if field.name == "kind" else columns.get(field.name, [None] * size))]
        if field.name == "date":  # ISO dates, as midnight timestamps
            values = np.array(values, dtype="datetime64[ns]")
        arrays.append(pa.array(values, type=field.type, from_pandas=True))  # from_pandas: a NaN figure is null
    return pa.Table.from_arrays(arrays, schema=schema)


# The parts of a run's table, in order: the value of its ``kind`` column and the model's table it comes from.
RUN_TABLE_PARTS = (("daily", "daily"), ("governorate", "daily_governorate"), ("event", "events"))


def write_atomically(path: Path, write) -> None:
    """Call ``write(tmp)`` on a hidden file beside ``path``, then move it into place.

    The temporary name is unique to this process and call (two workers on two machines
    may run the same run at once), and ends in ``.tmp`` (:func:`remove_stale_temporaries`).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class UnverifiedResult(OSError):
    """A run's file that did not read back as written (raised in the worker, so Dask runs it again)."""


def run_record(run: dict) -> dict:
    """What a run's file must say it is: its run_id, point, replicate, seed and parameters (as JSON has them)."""
    return json.loads(json.dumps({k: run[k] for k in RUN_RECORD_KEYS}))


def write_run(table: pa.Table, out: Path, run: dict) -> Path:
    """Write a run's table as ``out/<run_id>.parquet``: atomically, and verified before it is moved into place.

    The table's metadata takes the run's record and its row count; the temporary file's
    footer is read back and checked against them and the table's columns
    (:func:`file_problem`). A file that does not verify raises :class:`UnverifiedResult`.
    """
    import pyarrow.parquet as pq

    record = run_record(run) | {"rows": table.num_rows}
    table = table.replace_schema_metadata({RUN_METADATA: json.dumps(record)})
    path = out / f"{run['run_id']}.parquet"

    def write(tmp: Path) -> None:
        pq.write_table(table, tmp)
        problem = file_problem(tmp, run, table.schema, rows=table.num_rows)
        if problem:
            raise UnverifiedResult(f"{path.name}: written, but does not read back as written ({problem})")

    write_atomically(path, write)
    return path


def file_problem(path: Path, run: dict, schema: pa.Schema, rows: int | None = None) -> str | None:
    """What is wrong with ``path`` as the result file of ``run``, from its footer alone; None if it verifies.

    Args:
        path: a run's Parquet file.
        run: the run as planned (run_id, point, replicate, seed, parameters).
        schema: the columns a run's table has (:func:`table_schema`).
        rows: the rows written, where known (the worker, just after writing).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        stored = (meta.metadata or {}).get(RUN_METADATA.encode())
        record = json.loads(stored) if stored is not None else None
        columns = meta.schema.to_arrow_schema().remove_metadata()
    except (OSError, ValueError, pa.ArrowException) as exc:
        return f"unreadable: {short_reason(exc)}"
    if not isinstance(record, dict):
        return "no run record in its metadata: not written by a sweep"
    planned = run_record(run)
    if record.get("run_id") != planned["run_id"]:
        return f"holds run {record.get('run_id')!r}, not {planned['run_id']}"
    for key in ("point", "replicate", "seed", "parameters"):
        if record.get(key) != planned[key]:
            return f"its {key} {json.dumps(record.get(key))} is not the plan's ({json.dumps(planned[key])})"
    if not columns.equals(schema.remove_metadata()):
        theirs, ours = set(columns.names), set(schema.names)
        differ = sorted(theirs ^ ours) or [f.name for f, g in zip(columns, schema) if not f.equals(g)] or ["order"]
        return f"its columns are not a run's of this sweep ({', '.join(differ[:3])})"
    expected = record.get("rows") if rows is None else rows
    if meta.num_rows != expected or sum(meta.row_group(i).num_rows for i in range(meta.num_row_groups)) != expected:
        return f"{meta.num_rows} rows, {expected} written"
    column = columns.get_field_index("run_id")
    for i in range(meta.num_row_groups):  # the data says so too: every row's run_id is this run's
        stats = meta.row_group(i).column(column).statistics
        if stats is not None and stats.has_min_max and not stats.min == stats.max == planned["run_id"]:
            other = stats.min if stats.min != planned["run_id"] else stats.max
            return f"holds rows of run {other!r}"
    return None


def write_failure(out: Path, run: dict, error: str) -> Path:
    """Record a run that raised: ``out/_failed/<run_id>.json``."""
    (out / FAILED).mkdir(exist_ok=True)
    path = out / FAILED / f"{run['run_id']}.json"
    record = {k: run[k] for k in ("run_id", "point", "replicate", "seed", "parameters")} | {"error": error}
    write_atomically(path, lambda tmp: tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8"))
    return path


def short_reason(exc: BaseException) -> str:
    """Why pyarrow could not read a file, short: its first sentence, without the file's name."""
    text = " ".join(str(exc).split())
    if text.startswith("Could not open") and "': " in text:
        text = text.split("': ", 1)[1]
    text = text.split(". ")[0].rstrip(".")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
    write, or a file that does not verify, raises, so that Dask retries the run.
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
    write_run(table, out, run)  # raises if the file does not verify: Dask runs it again
    (out / FAILED / f"{run['run_id']}.json").unlink(missing_ok=True)  # failed before, done now
    return {"run_id": run["run_id"], "ok": True, "error": None}


# ---- the folder --------------------------------------------------------------------------------


def manifest_of(plan) -> dict:
    """The manifest of a sweep plan (JSON-ready).

    ``sweep_file`` (where the sweep file was, to say how to resume) is not part of what a
    resumed sweep must match (:func:`same_sweep`): the file may have moved.
    """
    return json.loads(json.dumps({
        "sweep": plan.spec.model_dump(mode="json"),
        "scenario": str(plan.scenario_path.resolve()),
        "sweep_file": str(Path(plan.path).resolve()),
        "parameters": list(plan.spec.parameters),
        "design": plan.spec.design,
        "runs": [{"run_id": r.run_id, "point": r.point, "replicate": r.replicate, "seed": r.seed,
                  "parameters": r.parameters} for r in plan.runs],
    }))


def same_sweep(manifest: dict, other: dict) -> bool:
    """Whether two manifests are of the same sweep (wherever its sweep file was)."""
    def what(m):
        return {k: v for k, v in m.items() if k != "sweep_file"} if isinstance(m, dict) else m

    return what(manifest) == what(other)


def read_manifest(out: Path) -> dict | None:
    """The manifest in ``out``, or None."""
    path = out / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_manifest(out: Path, manifest: dict) -> None:
    """Write ``out/_manifest.json`` atomically."""
    write_atomically(out / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1) + "\n",
                                                                encoding="utf-8"))


def result_files(out: Path) -> list[Path]:
    """The run files in ``out`` (``*.parquet`` that pyarrow's dataset reader reads), sorted."""
    return sorted(p for p in out.glob("*.parquet") if not p.name.startswith((".", "_")))


def results_on_disk(out: Path, runs: list[dict], column_types: dict[str, str]
                    ) -> tuple[set[str], list[tuple[Path, str]], list[Path]]:
    """The runs whose files verify, the files that do not (and why), and files of no planned run.

    Args:
        out: a sweep's folder.
        runs: the planned runs (run_id, point, replicate, seed, parameters).
        column_types: the plan's parameter column types (:func:`table_schema`).
    """
    planned = {r["run_id"]: r for r in runs}
    schema = table_schema(column_types) if planned else None
    done, damaged, strays = set(), [], []
    for path in result_files(out):
        run = planned.get(path.stem)
        if run is None:
            strays.append(path)
        elif (problem := file_problem(path, run, schema)) is None:
            done.add(path.stem)
        else:
            damaged.append((path, problem))
    return done, damaged, strays


def failed_runs(out: Path) -> set[str]:
    """Run ids recorded as failed in ``out/_failed``."""
    return {p.stem for p in (out / FAILED).glob("*.json")}


def temporaries(out: Path) -> list[Path]:
    """Hidden temporary files of runs being written, or of runs killed while writing."""
    return sorted(p for p in [*out.glob(".*.tmp"), *(out / FAILED).glob(".*.tmp")] if p.is_file())


def remove_stale_temporaries(out: Path) -> None:
    """Hidden temporary files left by runs killed while writing (call it when no run is being written)."""
    for tmp in temporaries(out):
        tmp.unlink(missing_ok=True)
