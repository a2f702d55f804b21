"""Faults in sweeps: a killed worker, Ctrl-C, damaged result files, and schedulers that are not there.

Each test runs the real command line on a small sweep of the July scenario (20 km
cells, a few weeks) on a real local Dask cluster. Whatever happens, the runs on disk
prove themselves: every planned run is there exactly once, its file reads back whole
with pyarrow and holds that run alone, and no temporary file is left
(:func:`assert_every_run_once`). Ctrl-C is sent as a terminal sends it, to the whole
process group (the sweep's workers too).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_arguments import JULY, ROOT, run_py

FACTIONS = 4  # daily rows per day of a run: one per faction


def sweep_file(folder: Path, replicates: int, days: int = 30) -> Path:
    """A 2-point grid of the July scenario at 20 km (JSON is YAML)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sweep.yaml"
    path.write_text(json.dumps({"scenario": JULY, "replicates": replicates, "seed": 1, "days": days, "cell_km": 20,
                                "design": "grid", "parameters": {"sdf.manpower": [30000, 45000]}}), encoding="utf-8")
    return path


def planned_runs(path: Path) -> set[str]:
    from analysis.sweep import plan_sweep

    return {run.run_id for run in plan_sweep(path).runs}


def verified_runs(out: Path) -> set[str]:
    """The run ids of the files in ``out`` that read back whole and hold their own run only."""
    found = set()
    for path in out.glob("*.parquet"):
        try:
            table = pq.read_table(path)
        except (OSError, ValueError, pa.ArrowException):  # damaged: not a verified run
            continue
        if set(table.column("run_id").unique().to_pylist()) == {path.stem}:
            found.add(path.stem)
    return found


def assert_every_run_once(out: Path, plan: set[str], days: int) -> None:
    """Every planned run on disk exactly once, verified; nothing else; no temporaries."""
    files = sorted(out.glob("*.parquet"))
    assert sorted(p.stem for p in files) == sorted(plan)
    daily = {}
    for path in files:
        table = pq.read_table(path).to_pandas()  # the whole file reads back
        assert set(table.run_id) == {path.stem}, path
        daily[path.stem] = int((table.kind == "daily").sum())
    assert set(daily.values()) == {(days + 1) * FACTIONS}, daily  # no run written twice into one file
    assert not [p.name for p in out.rglob(".*") if p.name != "."], "temporary files left"
    assert not (out / "_failed").exists() or not any((out / "_failed").iterdir())


def start_sweep(*args, log: Path) -> subprocess.Popen:
    """``run.py sweep`` in a process group of its own (as a terminal's foreground job), output to ``log``.

    SIGINT is set to its default in the child: a test runner started in the background
    (``pytest &``) has it ignored, and an ignored signal stays ignored across exec.
    """
    with open(log, "w") as stream:
        return subprocess.Popen([sys.executable, str(ROOT / "run.py"), "sweep", *map(str, args)], cwd=ROOT,
                                stdout=stream, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509


def group_members(pgid: int, settle_s: float = 5.0) -> list[psutil.Process]:
    """Processes of the group still running after ``settle_s`` seconds to finish exiting
    (a worker caught mid-exit is neither running on nor a zombie yet)."""
    members = []
    for p in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                members.append(p)
    _, alive = psutil.wait_procs(members, timeout=settle_s)
    running = []
    for p in alive:
        with contextlib.suppress(psutil.Error):
            if p.status() != psutil.STATUS_ZOMBIE:
                running.append(p)
    return running


def stop_group(proc: subprocess.Popen) -> None:
    """Kill the sweep's whole process group (the command, its workers), whatever state it is in."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def wait_for_files(out: Path, proc: subprocess.Popen, log: Path, count: int = 1, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while len(list(out.glob("p*.parquet"))) < count:
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "no run finished in time"
        time.sleep(0.05)


def workers_of(proc: subprocess.Popen) -> list[psutil.Process]:
    """The sweep's Dask worker processes (spawned by multiprocessing; not its resource tracker)."""
    return [c for c in psutil.Process(proc.pid).children(recursive=True)
            if "spawn_main" in " ".join(c.cmdline())]


@contextlib.contextmanager
def holding_port(port: int):
    """Hold ``port`` on 127.0.0.1 (if free) for the block, as another program's dashboard would."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            pass  # held already: all the better
        yield


# ---- a killed worker -----------------------------------------------------------------------


def test_a_worker_killed_mid_sweep_costs_no_run_and_duplicates_none(tmp_path):
    path = sweep_file(tmp_path, replicates=4, days=60)
    out, log = tmp_path / "out", tmp_path / "log"
    with holding_port(8787):  # Dask's default dashboard port: no dashboard is started, so no warning
        sweep = start_sweep(path, "--out", out, "--workers", "2", log=log)
        try:
            wait_for_files(out, sweep, log)
            victim = workers_of(sweep)[0]
            victim.kill()  # SIGKILL: mid-run, maybe mid-write
            assert len(list(out.glob("*.parquet"))) < 8, "killed mid-sweep"
            code = sweep.wait(timeout=240)
        finally:
            stop_group(sweep)
    output = log.read_text()
    assert code == 0, output
    assert "8 of 8 runs done, 0 failed" in output
    assert "Traceback" not in output and "already in use" not in output and "dashboard" not in output.lower(), output
    assert_every_run_once(out, planned_runs(path), days=60)


# ---- Ctrl-C --------------------------------------------------------------------------------


def test_ctrl_c_stops_cleanly_counts_what_is_on_disk_and_resume_completes(tmp_path):
    path = sweep_file(tmp_path, replicates=6)
    out, log = tmp_path / "out", tmp_path / "log"
    sweep = start_sweep(path, "--out", out, "--workers", "2", log=log)
    try:
        wait_for_files(out, sweep, log)
        os.killpg(sweep.pid, signal.SIGINT)  # Ctrl-C at a terminal: the command and its workers
        code = sweep.wait(timeout=60)
        leftover = group_members(sweep.pid)
    finally:
        stop_group(sweep)
    output = log.read_text()
    assert code == 130, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert not leftover, [p.cmdline() for p in leftover]  # the cluster is closed: no worker is left
    said = re.search(r"run\.py: interrupted: (\d+) of 12 runs finished in (.+)/; go on with: "
                     r"python run\.py sweep (.+) --out (.+) --resume", output)
    assert said, output
    assert int(said[1]) == len(verified_runs(out)) == len(list(out.glob("*.parquet"))), output
    assert 1 <= int(said[1]) < 12

    # The report says what it has, and how to resume.
    report = subprocess.run([sys.executable, str(ROOT / "run.py"), "report", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=240)
    assert report.returncode == 0, report.stderr
    notes = [line for line in report.stderr.splitlines() if line.startswith("run.py: note:")]
    resume = f"python run.py sweep {path} --out {out} --resume"
    assert notes == [f"run.py: note: {said[1]} of 12 runs finished; resume with: {resume}"], report.stderr
    assert resume in (out / "_report" / "summary.md").read_text()

    resumed = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out", str(out),
                              "--resume", "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert resumed.returncode == 0, resumed.stderr
    assert "12 of 12 runs done, 0 failed" in resumed.stdout
    assert "Traceback" not in resumed.stderr
    assert_every_run_once(out, planned_runs(path), days=30)


def test_ctrl_c_while_the_cluster_starts_leaves_nothing_half_done(tmp_path):
    path = sweep_file(tmp_path, replicates=4, days=120)
    out, log = tmp_path / "out", tmp_path / "log"
    sweep = start_sweep(path, "--out", out, "--workers", "2", log=log)
    try:
        deadline = time.monotonic() + 120
        while True:  # until the cluster is starting its workers
            assert sweep.poll() is None, log.read_text()
            if workers_of(sweep):
                break
            assert time.monotonic() < deadline, "no worker started in time"
            time.sleep(0.02)
        os.killpg(sweep.pid, signal.SIGINT)
        code = sweep.wait(timeout=60)
        leftover = group_members(sweep.pid)
    finally:
        stop_group(sweep)
    output = log.read_text()
    assert code == 130, output
    assert "Traceback" not in output and "leaked" not in output, output
    assert not leftover, [p.cmdline() for p in leftover]
    if out.exists():  # a run finished before the cluster was closed: it is counted, and resumable
        said = re.search(r"interrupted: (\d+) of 8 runs finished", output)
        assert said and int(said[1]) == len(verified_runs(out)) >= 1, output
    else:  # nothing finished: nothing is left, and the next plain run is not refused
        assert "run.py: interrupted; nothing written" in output, output


# ---- damaged results -----------------------------------------------------------------------


def test_damaged_files_are_named_by_report_and_run_again_by_resume(tmp_path):
    path = sweep_file(tmp_path, replicates=2, days=20)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out", str(out),
                           "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    truncated, emptied, foreign = out / "p0000-r01.parquet", out / "p0001-r00.parquet", out / "p0001-r01.parquet"
    os.truncate(truncated, truncated.stat().st_size // 2)  # a write cut short, a disk that filled up
    os.truncate(emptied, 0)
    foreign.write_bytes((out / "p0000-r00.parquet").read_bytes())  # another run's file under this name

    report = subprocess.run([sys.executable, str(ROOT / "run.py"), "report", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=240)
    assert report.returncode == 2
    lines = report.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"run.py: error: {truncated}: is damaged"), report.stderr
    assert "--resume" in lines[0]
    assert not (out / "_report").exists()

    resumed = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out", str(out),
                              "--resume", "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert resumed.returncode == 0, resumed.stderr
    notes = [line for line in resumed.stderr.splitlines() if line.startswith("run.py: note:")]
    assert len(notes) == 3, resumed.stderr  # one line each
    for damaged, why in ((truncated, "unreadable"), (emptied, "unreadable"), (foreign, "holds run 'p0000-r00'")):
        assert any(n.startswith(f"run.py: note: {damaged} is damaged (") and why in n
                   and n.endswith("; running it again") for n in notes), (damaged, notes)
    assert "4 of 4 runs done, 0 failed" in resumed.stdout
    assert_every_run_once(out, planned_runs(path), days=20)

    stray = out / "elsewhere.parquet"
    stray.write_bytes((out / "p0000-r00.parquet").read_bytes())
    refused = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out", str(out),
                              "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert refused.returncode == 2
    errors = [line for line in refused.stderr.splitlines() if line.startswith("run.py: error:")]
    assert errors == [(f"run.py: error: --out {out}: elsewhere.parquet is not a run of this sweep; move it away "
                       "(pandas.read_parquet of the folder would read it with the runs)")], refused.stderr


# ---- schedulers that are not there ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def silent_listener():
    """A port that takes connections and never says a word."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield f"tcp://127.0.0.1:{s.getsockname()[1]}"


@contextlib.contextmanager
def web_server():
    """A port where a web server answers (not Dask)."""
    class Quiet(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def nothing_listening():
    yield f"tcp://127.0.0.1:{free_port()}"


@pytest.mark.parametrize("place", [nothing_listening, silent_listener, web_server],
                         ids=["nothing listens", "silent port", "web server"])
def test_a_scheduler_that_does_not_answer_is_refused_in_one_line_leaving_nothing(tmp_path_factory, place):
    path = sweep_file(tmp_path_factory.mktemp("sweep"), replicates=1)
    here = tmp_path_factory.mktemp("cwd")
    with place() as address:
        code, lines, seconds = run_py("sweep", str(path), "--out", "out", "--scheduler", address, cwd=here)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith(f"run.py: error: --scheduler {address}: "), lines
    assert "answers there" in lines[0], lines
    assert not any(here.iterdir()), "nothing is written"
    assert seconds < 40  # a few seconds (connect 5 s, handshake 5 s); Dask alone waited 20 s, or for ever


@pytest.mark.parametrize("address", ["notaurl", "tcp://127.0.0.1", "tcp://127.0.0.1:99999", "http://127.0.0.1:8786",
                                     "tcp://127.0.0.1:8786/extra", ""])
def test_a_malformed_scheduler_address_is_refused_at_once(tmp_path, address):
    path = sweep_file(tmp_path / "sweep", replicates=1)
    here = tmp_path / "cwd"
    here.mkdir()
    code, lines, seconds = run_py("sweep", str(path), "--out", "out", "--scheduler", address, cwd=here)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith(f"run.py: error: --scheduler {address}: "), lines
    assert "Traceback" not in "\n".join(lines)
    assert not any(here.iterdir()), "nothing is written"
    assert seconds < 10  # before any point is checked
