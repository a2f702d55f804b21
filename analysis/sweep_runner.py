"""Running a sweep on Dask: a local cluster by default, or an existing one by address.

With no scheduler address, a local cluster of worker processes (one thread each)
bound to 127.0.0.1 runs the sweep; with ``tcp://host:port`` the runs go to that
cluster unchanged (its workers must see the output folder at the same path). The
local cluster's workers load the model as they start (:mod:`analysis.sweep_worker`)
and run with glibc's default memory settings (:data:`LOCAL_WORKER_CONFIG`); it
serves no dashboard and takes no fixed port. Each run
is one task (:func:`analysis.sweep_results.execute_run`) that writes its own Parquet
file, so only small status dicts come back and memory stays flat however many runs
there are. Dask retries a task whose worker died (and a failed write) up to twice; the
atomic write makes a second attempt harmless. Ctrl-C cancels what has not finished,
keeps what has, and says how to resume.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from analysis import sweep_results as results
from analysis.report_files import out_folder_problem
from analysis.sweep import SweepPlan


# Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536, so that glibc hands
# freed memory back to the system at once. The model allocates and frees many short-lived
# numpy arrays every day, and with that setting a run takes about a quarter longer (0.96
# against 0.77 s for 180 days at 10 km; fifty times the page faults). A worker's memory
# stays flat without it, since each finished model is let go (``simulation.mesa_compat``,
# ``sweep_results.release_grid``; ``benchmarks/bench_sweep.py --memory-runs`` measures a
# worker over many runs). The nanny's other settings (one BLAS/OpenMP thread per worker)
# stay; a value set in the environment by the user still wins. Dask's statistical
# profiler (a thread sampling every worker's stack 100 times a second, for the dashboard
# this cluster does not serve) is off: it took CPU from the runs and kept growing its
# call trees as runs went by.
LOCAL_WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                       "distributed.worker.profile.enabled": False}
# Imported by every local worker as it starts (a Dask worker preload).
WORKER_PRELOAD = "analysis.sweep_worker"


class SweepError(ValueError):
    """A mistake in what was asked for (the output folder, --resume): one line."""


@dataclass
class SweepOutcome:
    """How a sweep ended: runs finished and failed, of all, and whether it was interrupted."""

    done: int
    failed: int
    total: int
    interrupted: bool = False


def prepare_folder(out: Path, manifest: dict, resume: bool) -> None:
    """Check the output folder against the sweep and write the manifest if it is new.

    A folder that cannot be made or written is refused in one line, leaving nothing behind.
    """
    try:
        problem = out_folder_problem(out)
        if problem:
            raise SweepError(f"--out {out}: {problem}")
        existing = results.read_manifest(out) if out.is_dir() else None
        if existing is None:
            if out.is_dir() and any(out.iterdir()):
                raise SweepError(f"--out {out}: is not empty and holds no sweep (no {results.MANIFEST}); "
                                 "use another --out")
            made = not out.exists()
            try:
                out.mkdir(parents=True, exist_ok=True)
                results.write_manifest(out, manifest)
            except OSError:
                if made:
                    shutil.rmtree(out, ignore_errors=True)
                raise
            return
    except OSError as exc:
        raise SweepError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
    if not resume:
        raise SweepError(f"--out {out}: already holds a sweep; use --resume or another --out")
    if existing != manifest:
        raise SweepError(f"--out {out}: its {results.MANIFEST} is for a different sweep "
                         "(the sweep file or its scenario has changed); use another --out")
    results.remove_stale_temporaries(out)


class Progress:
    """A one-line progress report on stderr: done, failed, of all, elapsed, time left."""

    def __init__(self, total: int, done: int, stream=None):
        self.total, self.done, self.failed = total, done, 0
        self.first_done, self.start = done, time.monotonic()
        self.stream = stream or sys.stderr

    def update(self, ok: bool) -> None:
        self.done += ok
        self.failed += not ok
        self.show()

    def show(self, end: str = "") -> None:
        elapsed = time.monotonic() - self.start
        finished = self.done + self.failed - self.first_done
        left = self.total - self.done - self.failed
        eta = _clock(elapsed / finished * left) if finished else "?"
        self.stream.write(f"\rsweep: {self.done}/{self.total} done, {self.failed} failed, "
                          f"{_clock(elapsed)} elapsed, {eta} left   {end}")
        self.stream.flush()


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def run_plan(plan: SweepPlan, out: Path, workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, stream=None) -> SweepOutcome:
    """Run every run of the plan that has no result file in ``out``.

    Args:
        plan: a checked sweep (:func:`analysis.sweep.plan_sweep`).
        out: the output folder.
        workers: local worker processes (default: one per CPU); ignored with ``scheduler``.
        scheduler: address of a running Dask scheduler, e.g. ``tcp://127.0.0.1:8786``.
        resume: go on with a sweep already begun in ``out``.

    Raises:
        SweepError: the folder holds another sweep, or a sweep and no ``resume``.
    """
    manifest = results.manifest_of(plan)
    out = Path(out)
    prepare_folder(out, manifest, resume)
    finished = results.finished_runs(out)
    todo = [r for r in plan.runs if r.run_id not in finished]
    progress = Progress(len(plan.runs), len(plan.runs) - len(todo), stream)
    if not todo:
        progress.show("\n")
        return SweepOutcome(progress.done, 0, progress.total)
    # Keys unique to this sweep and folder: a shared scheduler may hold another sweep's.
    token = hashlib.sha1(json.dumps([manifest, str(out.resolve())]).encode()).hexdigest()[:8]
    cluster, client = _connect(scheduler, min(workers or os.cpu_count() or 1, len(todo)))
    pending = {}
    try:
        from distributed import as_completed

        for run in todo:  # the scenario goes with each task: scattered data dies with its worker
            record = {"run_id": run.run_id, "point": run.point, "replicate": run.replicate, "seed": run.seed,
                      "parameters": run.parameters}
            future = client.submit(results.execute_run, record, plan.scenarios[run.point], plan.spec.days,
                                   plan.spec.cell_km, str(out.resolve()), plan.column_types,
                                   key=f"{run.run_id}-{token}", retries=2, pure=False)
            pending[future.key] = (future, record)
        progress.show()
        for future in as_completed([f for f, _ in pending.values()]):
            _, record = pending.pop(future.key)
            status = _status(future, out, record)
            future.release()
            progress.update(status["ok"])
        progress.show("\n")
        return SweepOutcome(progress.done, progress.failed, progress.total)
    except KeyboardInterrupt:
        progress.show("\n")
        client.cancel([f for f, _ in pending.values()], force=True)
        done = len(results.finished_runs(out))
        return SweepOutcome(done, len(results.failed_runs(out)), progress.total, interrupted=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _status(future, out: Path, record: dict) -> dict:
    """A finished task's status; a task that errored past its retries counts as failed."""
    if future.status == "finished":
        return future.result()
    error = results.one_line(future.exception()) if future.status == "error" else f"task {future.status}"
    results.write_failure(out, record, error)
    return {"run_id": record["run_id"], "ok": False, "error": error}


def _connect(scheduler: str | None, workers: int):
    """A client of the given scheduler, or of a new local cluster (and that cluster)."""
    from distributed import Client

    if scheduler:
        try:
            return None, Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"--scheduler {scheduler}: cannot connect ({results.one_line(exc)})") from None
    return local_cluster(workers)


def local_cluster(workers: int):
    """A new local cluster of ``workers`` one-thread worker processes, and a client of it."""
    import logging

    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(LOCAL_WORKER_CONFIG):  # read by each nanny as it is made
        # No dashboard; the scheduler's HTTP server (health checks) on any free port of
        # 127.0.0.1, not Dask's default 8787, which another cluster may hold.
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                               preload=[WORKER_PRELOAD], silence_logs=logging.ERROR)
    return cluster, Client(cluster)
