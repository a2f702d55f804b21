"""Running a sweep on Dask: a local cluster by default, or an existing one by address.

With no scheduler address, a local cluster of worker processes (one thread each)
bound to 127.0.0.1 runs the sweep; with ``tcp://host:port`` the runs go to that
cluster unchanged (its workers must see the output folder at the same path). A
scheduler's address is checked, and the scheduler asked to answer within
:data:`CONNECT_TIMEOUT` seconds, before the output folder is made: a malformed or
unreachable address leaves nothing behind. The local cluster's workers load the
model as they start (:mod:`analysis.sweep_worker`) and run with glibc's default
memory settings (:data:`LOCAL_WORKER_CONFIG`); it serves no dashboard and takes no
fixed port. Each run is one task (:func:`analysis.sweep_results.execute_run`) that
writes its own Parquet file, verified before it is moved into place, so only small
status dicts come back and memory stays flat however many runs there are. Dask
runs a task again whose worker died (and a failed or unverified write, up to twice);
the atomic write makes a second attempt harmless: a run's file is there once.

What a sweep reports done is what is on disk: the runs whose files verify against
the plan (:func:`analysis.sweep_results.results_on_disk`), counted after the cluster
has stopped. ``--resume`` runs again every run with no file or a file that does not
verify (naming each such file), and refuses a folder holding a Parquet file of no
planned run.

Ctrl-C cancels what has not finished, stops the cluster, keeps what has finished, and
says how many runs are on disk and how to resume. The terminal sends Ctrl-C to every
process of its group, the local workers included: they are started with SIGINT
blocked (the cluster's thread, which starts and restarts them, has it blocked, and a
child inherits its mask), and ignore it besides (:mod:`analysis.sweep_worker`), so only
this process acts on it, and no worker prints a traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import sweep_results as results

if TYPE_CHECKING:
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
# Seconds a scheduler given by address has to answer before the sweep is refused: a
# refused connection is tried again for this long (a scheduler started just before the
# sweep), and Dask's handshake then has as long again; Dask's own default is 30 s.
CONNECT_TIMEOUT = 5.0
# A scheduler address: tcp:// (the default), tls://, ws:// or wss://, then HOST:PORT.
ADDRESS = re.compile(r"(?:(?P<scheme>tcp|tls|ws|wss)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>\d{1,5})")


class SweepError(ValueError):
    """A mistake in what was asked for (the output folder, --resume, --scheduler) or a fault: one line."""


@dataclass
class SweepOutcome:
    """How a sweep ended: runs on disk (verified) and failed, of all, and whether it was interrupted."""

    done: int
    failed: int
    total: int
    interrupted: bool = False


# ---- the scheduler ---------------------------------------------------------------------------


def address_problem(address: str) -> str | None:
    """What is wrong with a scheduler address as written, or None (nothing is imported or connected)."""
    match = ADDRESS.fullmatch(address)
    if match is None:
        return "not a Dask scheduler's address (expected tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786)"
    if not 0 < int(match["port"]) < 65536:
        return f"port {match['port']} is out of range (1 to 65535)"
    return None


def connect_scheduler(address: str, timeout: float = CONNECT_TIMEOUT):
    """A Dask client of the scheduler at ``address``, which must answer within ``timeout`` seconds.

    A refused connection is tried again until ``timeout`` (a scheduler started just
    before), and Dask's handshake then has ``timeout`` seconds more.

    Raises:
        SweepError: the address is malformed, or no scheduler answers there (one line naming it).
    """
    problem = address_problem(address)
    if problem:
        raise SweepError(f"--scheduler {address}: {problem}")
    match = ADDRESS.fullmatch(address)
    host, port = match["host"].strip("[]"), int(match["port"])
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=max(deadline - time.monotonic(), 0.1)).close()
            break
        except socket.gaierror:  # an unknown host is an answer: say so at once
            raise SweepError(f"--scheduler {address}: no such host ({host})") from None
        except ConnectionRefusedError:
            if time.monotonic() >= deadline:
                raise SweepError(f"--scheduler {address}: no scheduler answers there (connection refused "
                                 f"for {timeout:g} s)") from None
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
        except TimeoutError:
            raise SweepError(f"--scheduler {address}: no scheduler answers there (no answer within "
                             f"{timeout:g} s)") from None
        except OSError as exc:
            raise SweepError(f"--scheduler {address}: no scheduler answers there "
                             f"({(exc.strerror or str(exc)).lower()})") from None
    from distributed import Client

    url = address if "://" in address else f"tcp://{address}"
    with _quiet_dask():
        try:
            _handshake(url, timeout)  # Dask's own connect waits for the handshake without a limit
            return Client(url, timeout=f"{timeout}s")
        except TimeoutError:
            raise SweepError(f"--scheduler {address}: no Dask scheduler answers there (no handshake within "
                             f"{timeout:g} s)") from None
        except OSError as exc:
            raise SweepError(f"--scheduler {address}: no Dask scheduler answers there "
                             f"({results.one_line(exc)})") from None
        except Exception:  # e.g. a length read from a web server's reply: an absurd allocation
            raise SweepError(f"--scheduler {address}: what answers there is not a Dask scheduler "
                             "(its reply is not Dask's protocol)") from None


def _handshake(url: str, timeout: float) -> None:
    """Connect to a Dask server and exchange Dask's handshake, all within ``timeout`` seconds.

    In a thread of its own, with an event loop of its own (the caller may be running one: a notebook).

    Raises:
        TimeoutError: no handshake in time (a port held by something that does not answer).
        OSError: the connection failed.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect

    async def probe():
        comm = await asyncio.wait_for(connect(url, timeout=timeout), timeout)
        await comm.close()

    with ThreadPoolExecutor(1, thread_name_prefix="scheduler-handshake") as pool:
        pool.submit(asyncio.run, probe()).result()


@contextlib.contextmanager
def _quiet_dask(level: int = logging.ERROR):
    """Log records below ``level`` dropped in this process for the block (Dask's, tornado's, asyncio's)."""
    before = logging.root.manager.disable
    logging.disable(max(before, level - 1))
    try:
        yield
    finally:
        logging.disable(before)


# ---- the folder ------------------------------------------------------------------------------


def prepare_folder(out: Path, manifest: dict, resume: bool) -> bool:
    """Check the output folder against the sweep and write the manifest if it is new.

    Returns:
        Whether the manifest was written now (a new sweep), rather than found (a resumed one).

    A folder that cannot be made or written is refused in one line, leaving nothing behind.
    """
    from analysis.report_files import out_folder_problem

    try:
        problem = out_folder_problem(out)
        if problem:
            raise SweepError(f"--out {out}: {problem}")
        try:
            existing = results.read_manifest(out) if out.is_dir() else None
        except (ValueError, UnicodeDecodeError):
            raise SweepError(f"--out {out}: its {results.MANIFEST} cannot be read; use another --out") from None
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
            return True
    except OSError as exc:
        raise SweepError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
    if not resume:
        raise SweepError(f"--out {out}: already holds a sweep; use --resume or another --out")
    if not results.same_sweep(existing, manifest):
        raise SweepError(f"--out {out}: its {results.MANIFEST} is for a different sweep "
                         "(the sweep file or its scenario has changed); use another --out")
    if existing != manifest:  # the sweep file moved: say where it is now
        results.write_manifest(out, manifest)
    results.remove_stale_temporaries(out)
    return False


def check_results(out: Path, plan: SweepPlan, records: list[dict], stream) -> set[str]:
    """The runs whose files in ``out`` verify; a file that does not is named on ``stream`` and removed.

    Raises:
        SweepError: ``out`` holds a Parquet file named for no run of the plan.
    """
    done, damaged, strays = results.results_on_disk(out, records, plan.column_types)
    if strays:
        more = f" (and {len(strays) - 1} more)" if len(strays) > 1 else ""
        raise SweepError(f"--out {out}: {strays[0].name}{more} is not a run of this sweep; move it away "
                         "(pandas.read_parquet of the folder would read it with the runs)")
    for path, problem in damaged:
        stream.write(f"run.py: note: {path} is damaged ({problem}); running it again\n")
        path.unlink(missing_ok=True)
    stream.flush()
    return done


# ---- progress --------------------------------------------------------------------------------


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

    def show(self, end: str = "", stopped: bool = False) -> None:
        elapsed = time.monotonic() - self.start
        finished = self.done + self.failed - self.first_done
        left = self.total - self.done - self.failed
        eta = _clock(elapsed / finished * left) if finished else "?"
        self.stream.write(f"\rsweep: {self.done}/{self.total} done, {self.failed} failed, "
                          f"{_clock(elapsed)} elapsed" + ("" if stopped else f", {eta} left") + f"   {end}")
        self.stream.flush()


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# ---- running ---------------------------------------------------------------------------------


def run_plan(plan: SweepPlan, out: Path, workers: int | None = None, scheduler: str | None = None,
             resume: bool = False, stream=None, connect_timeout: float = CONNECT_TIMEOUT,
             client=None) -> SweepOutcome:
    """Run every run of the plan that has no verified result file in ``out``.

    Args:
        plan: a checked sweep (:func:`analysis.sweep.plan_sweep`).
        out: the output folder.
        workers: local worker processes (default: one per CPU); ignored with ``scheduler``.
        scheduler: address of a running Dask scheduler, e.g. ``tcp://127.0.0.1:8786``.
        resume: go on with a sweep already begun in ``out``.
        stream: where progress and notes go (default stderr).
        connect_timeout: seconds the scheduler has to answer.
        client: a client of ``scheduler`` already connected (:func:`connect_scheduler`);
            this function closes it.

    Returns:
        The outcome, its ``done`` counted on disk once the cluster has stopped. On Ctrl-C
        (KeyboardInterrupt) it returns with ``interrupted`` set; a new folder in which no
        run finished is removed again.

    Raises:
        SweepError: the scheduler does not answer, the folder holds another sweep (or a
            sweep and no ``resume``, or a file of no planned run), or the local cluster
            cannot start. Nothing is left behind by a refusal before the first run.
    """
    stream = stream or sys.stderr
    manifest = results.manifest_of(plan)
    records = manifest["runs"]
    out = Path(out)
    if scheduler and client is None:
        client = connect_scheduler(scheduler, connect_timeout)  # before the folder is made
    cluster, made, interrupted, pending = None, False, False, {}
    progress = None
    try:
        made = prepare_folder(out, manifest, resume)
        finished = check_results(out, plan, records, stream)
        todo = [r for r in records if r["run_id"] not in finished]
        progress = Progress(len(records), len(records) - len(todo), stream)
        if todo and client is None:
            cluster, client = local_cluster(min(workers or os.cpu_count() or 1, len(todo)))
        if todo:
            _run(client, plan, out, todo, pending, progress)
    except KeyboardInterrupt:
        interrupted = True
    except BaseException:
        _stop(client, cluster, pending, quiet=True)
        if made:
            _remove_if_empty(out)
        raise
    with _holding_sigint():  # a second Ctrl-C does not cut the clean-up short
        if interrupted and cluster is not None:
            stream.write("\nsweep: interrupted; stopping the workers (the runs finished are kept)")
            stream.flush()
        _stop(client, cluster, pending, quiet=interrupted)
        outcome = _outcome_on_disk(out, plan, records, made, interrupted, local=not scheduler)
        if progress is not None:  # what is on disk, now that no run of ours is running
            progress.done, progress.failed = outcome.done, outcome.failed
            progress.show("\n", stopped=interrupted)
        return outcome


def _run(client, plan: SweepPlan, out: Path, todo: list[dict], pending: dict, progress: Progress) -> None:
    """Submit a task per run to do, and follow them to the end; ``pending`` holds those not finished."""
    from distributed import as_completed

    # Keys unique to this sweep and folder: a shared scheduler may hold another sweep's.
    what = [plan.spec.model_dump(mode="json"), str(plan.scenario_path.resolve()), str(out.resolve())]
    token = hashlib.sha1(json.dumps(what).encode()).hexdigest()[:8]
    for record in todo:  # the scenario goes with each task: scattered data dies with its worker
        future = client.submit(results.execute_run, record, plan.scenarios[record["point"]], plan.spec.days,
                               plan.spec.cell_km, str(out.resolve()), plan.column_types,
                               key=f"{record['run_id']}-{token}", retries=2, pure=False)
        pending[future.key] = (future, record)
    progress.show()
    for future in as_completed([f for f, _ in pending.values()]):
        _, record = pending.pop(future.key)
        status = _status(future, out, record)
        future.release()
        progress.update(status["ok"])


def _outcome_on_disk(out: Path, plan: SweepPlan, records: list[dict], made: bool, interrupted: bool,
                     local: bool) -> SweepOutcome:
    """Count what is on disk now that the runs have stopped; tidy the folder."""
    if not out.is_dir():
        return SweepOutcome(0, 0, len(records), interrupted)
    done, _, _ = results.results_on_disk(out, records, plan.column_types)
    if local or not interrupted:  # no worker of ours can still be writing
        results.remove_stale_temporaries(out)
    for run_id in done & results.failed_runs(out):  # failed once, done since (a worker killed mid-write)
        (out / results.FAILED / f"{run_id}.json").unlink(missing_ok=True)
    failed = results.failed_runs(out) - done
    if made and interrupted and not done and not failed:
        _remove_if_empty(out)
    return SweepOutcome(len(done), len(failed), len(records), interrupted)


def _remove_if_empty(out: Path) -> None:
    """Remove a folder this sweep made, if it holds nothing but its manifest (and temporaries)."""
    if out.is_dir() and all(p.name == results.MANIFEST or p.name.endswith(".tmp") for p in out.iterdir()):
        shutil.rmtree(out, ignore_errors=True)


def _stop(client, cluster, pending: dict, quiet: bool) -> None:
    """Cancel what has not finished and close the client and the local cluster (its workers stop)."""
    with _quiet_dask(logging.CRITICAL + 1 if quiet else logging.ERROR):
        if client is not None:
            with contextlib.suppress(Exception):
                if pending and cluster is None:  # a shared cluster: its workers go on with other work
                    client.cancel([f for f, _ in pending.values()], force=True)
            with contextlib.suppress(Exception):
                client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


@contextlib.contextmanager
def _holding_sigint():
    """Ctrl-C ignored in the block (the main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _status(future, out: Path, record: dict) -> dict:
    """A finished task's status; a task that errored past its retries counts as failed."""
    if future.status == "finished":
        return future.result()
    error = results.one_line(future.exception()) if future.status == "error" else f"task {future.status}"
    results.write_failure(out, record, error)
    return {"run_id": record["run_id"], "ok": False, "error": error}


def local_cluster(workers: int):
    """A new local cluster of ``workers`` one-thread worker processes, and a client of it.

    Ctrl-C is held off while the cluster starts (:func:`_sigint_deferred`): SIGINT is
    blocked in this thread, so that the cluster's thread (which spawns the workers, at
    start and when a worker dies) and so every worker process inherit it blocked, and
    Ctrl-C at the terminal reaches this process only. A Ctrl-C meanwhile closes the
    cluster once it is up, and is then raised (KeyboardInterrupt).

    Raises:
        SweepError: the cluster cannot start (one line).
    """
    import dask
    from distributed import Client, LocalCluster

    cluster = client = None
    with _sigint_deferred() as deferred:
        try:
            with dask.config.set(LOCAL_WORKER_CONFIG):  # read by each nanny as it is made
                # No dashboard; the scheduler's HTTP server (health checks) on any free port of
                # 127.0.0.1, not Dask's default 8787, which another cluster may hold. Dask's logs
                # (the workers' and this process's) are silenced: a run's error comes back with
                # its task (and goes to _failed/), and what Dask logs as it closes (a worker's
                # heartbeat racing the scheduler's close, at ERROR with a traceback) is noise.
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                       preload=[WORKER_PRELOAD], silence_logs=logging.CRITICAL)
            client = Client(cluster)
        except Exception as exc:
            _close_quietly(client, cluster)
            raise SweepError(f"cannot start a local Dask cluster of {workers} workers "
                             f"({results.one_line(exc)})") from None
    if deferred:
        _close_quietly(client, cluster)
        raise KeyboardInterrupt
    return cluster, client


def _close_quietly(client, cluster) -> None:
    """Close a client and a cluster, if any, whatever they say."""
    with _quiet_dask(logging.CRITICAL + 1):
        for closing in (client, cluster):
            if closing is not None:
                with contextlib.suppress(Exception):
                    closing.close()


@contextlib.contextmanager
def _sigint_deferred():
    """Ctrl-C held off for the block: a list, non-empty after the block if it was pressed.

    SIGINT is blocked in this thread for the block (threads and processes started from
    it inherit that), and in the main thread a handler notes it rather than raising, as
    another thread of this process (pyarrow's, numba's) may take the signal.
    """
    pressed: list[int] = []
    mask = hasattr(signal, "pthread_sigmask")
    if mask:
        # multiprocessing's resource tracker, when it first starts (from the cluster's
        # thread, as a nanny makes its queues), blocks SIGINT around the spawn and then
        # UNblocks it in that thread; started here first, it is already running then.
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
        before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum)) if main else None
    try:
        yield pressed
    finally:
        if mask and signal.SIGINT not in before:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # one pending is noted now
        if main:
            signal.signal(signal.SIGINT, previous)
