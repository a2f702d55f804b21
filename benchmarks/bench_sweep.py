"""Sweep speed: runs per second on the default local Dask cluster, checking 1,000 points, and worker memory.

    python benchmarks/bench_sweep.py [--runs 16] [--days 180] [--cell-km 10] [--repeats 1]
                                     [--points 1000] [--memory-runs 0] [--memory-cell-km 20]

Three measurements (issue "Ten times faster": at least 1.5 runs/s for 16 or 32 runs of
180 days at 10 km on two cores; at most 2 s to check 1,000 points; flat worker memory):

1. Throughput. ``run.py sweep`` as a user runs it (a fresh local cluster with one
   worker per CPU, each run written as a Parquet file) on a grid sweep of the July
   scenario, wall time from the command to its exit; and the same runs one after
   another in this process (model only, nothing written). The overhead per run is
   (sweep time x workers - in-process time) / runs: what Dask, the processes, the
   start-up and the Parquet writing add to each run's own work.
2. Checking points. ``plan_sweep`` of a Latin-hypercube sweep of ``--points`` points
   (three levers), in a fresh process: the first call (imports included) and a second.
3. Worker memory (``--memory-runs N``, e.g. 1000): ``run.py sweep`` of N runs at
   ``--memory-cell-km`` (20 km keeps it quick) with one worker; the worker's resident
   memory (RSS) is sampled as the runs finish and printed at a few run counts. Flat
   means Mesa's per-model counters and the runs' tables are let go.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JULY = ROOT / "scenarios" / "2017-07-04_raqqa.yaml"
sys.path.insert(0, str(ROOT))  # this checkout's model, as run.py (run from here) uses


def sweep_file(folder: Path, runs: int, days: int, cell_km: float, name: str = "bench_sweep.yaml") -> Path:
    """A grid sweep of ``runs`` runs: 4 Russian air budgets x runs/4 replicates."""
    path = folder / name
    path.write_text(
        f"scenario: {JULY}\n"
        f"replicates: {max(1, runs // 4)}\n"
        "seed: 1\n"
        f"days: {days}\n"
        f"cell_km: {cell_km}\n"
        "design: grid\n"
        "parameters:\n"
        "  air.russia.sorties_per_day: [0, 13, 26, 39]\n", encoding="utf-8")
    return path


def points_file(folder: Path, points: int) -> Path:
    """A Latin-hypercube sweep of ``points`` points over three levers, one replicate each."""
    path = folder / "bench_points.yaml"
    path.write_text(
        f"scenario: {JULY}\n"
        "replicates: 1\n"
        "seed: 3\n"
        "design: lhs\n"
        f"samples: {points}\n"
        "parameters:\n"
        "  air.russia.sorties_per_day: {low: 0, high: 52}\n"
        "  air.coalition.sorties_per_day: {low: 40, high: 200}\n"
        "  sdf.manpower: {low: 30000, high: 50000}\n", encoding="utf-8")
    return path


def in_process_seconds(runs: int, days: int, cell_km: float) -> float:
    """The same number of runs, one after another in this process (the first one built beforehand)."""
    from simulation import ConflictModel, load_scenario

    scenario = load_scenario(JULY)
    ConflictModel(scenario, seed=0, cell_km=cell_km).run(1)  # imports, the theatre, compiled kernels
    start = time.perf_counter()
    for i in range(runs):
        ConflictModel(scenario, seed=1 + i, cell_km=cell_km).run(days)
    return time.perf_counter() - start


def sweep_seconds(path: Path, out: Path, workers: int | None = None) -> float:
    """Wall time of ``run.py sweep`` on a fresh local cluster, start-up and shut-down included."""
    command = [sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out", str(out)]
    command += ["--workers", str(workers)] if workers else []
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"sweep failed: {done.stderr.strip().splitlines()[-3:]}")
    return seconds


PLAN = r"""
import json, sys, time
t = time.perf_counter()
sys.path.insert(0, sys.argv[2])
from analysis.sweep import plan_sweep
imported = time.perf_counter() - t
t = time.perf_counter(); plan = plan_sweep(sys.argv[1]); first = time.perf_counter() - t
t = time.perf_counter(); plan_sweep(sys.argv[1]); second = time.perf_counter() - t
print(json.dumps({"points": len(plan.points), "import": imported, "first": first, "second": second}))
"""


def plan_seconds(path: Path) -> dict:
    """``plan_sweep`` of a sweep file in a fresh process: import, first call, second call (s)."""
    import json

    done = subprocess.run([sys.executable, "-c", PLAN, str(path), str(ROOT)], capture_output=True, text=True,
                          cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"plan failed: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker_memory(path: Path, out: Path, runs: int) -> list[tuple[int, float]]:
    """Resident memory (MiB) of a 1-worker sweep's worker process as its runs finish."""
    import psutil

    sweep = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out", str(out),
                              "--workers", "1"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    marks = sorted({m for m in (1, 10, 50, 100, 250, 500, 750, 1000, 2000, runs) if m <= runs})
    samples: list[tuple[int, float]] = []
    parent, worker = psutil.Process(sweep.pid), None
    while sweep.poll() is None:
        done = sum(1 for p in out.glob("p*.parquet"))
        try:  # the worker: the largest process the sweep started, once it has run a model
            if worker is None and done:
                worker = max(parent.children(recursive=True), key=lambda c: c.memory_info().rss, default=None)
            rss = worker.memory_info().rss if worker is not None else 0
        except psutil.Error:  # gone: the sweep is closing (what is left is not the worker)
            break
        if rss and (not samples or done > samples[-1][0]):
            samples.append((done, rss / 2**20))
        time.sleep(0.2)
    sweep.wait()
    if sweep.returncode != 0:
        raise SystemExit(f"sweep failed: {sweep.stderr.read().strip().splitlines()[-3:]}")
    shown = []
    for mark in marks:  # the sample at or after each mark
        later = [s for s in samples if s[0] >= mark]
        if later and later[0] not in shown:
            shown.append(later[0])
    if samples and samples[-1] not in shown:  # the last one taken (the worker may leave before the last file)
        shown.append(samples[-1])
    return shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16, help="runs in the throughput sweep (a multiple of 4)")
    parser.add_argument("--days", type=int, default=180, help="days per run (default 180)")
    parser.add_argument("--cell-km", type=float, default=10.0, help="cell size of the throughput sweep")
    parser.add_argument("--repeats", type=int, default=1, help="throughput sweeps (best is reported)")
    parser.add_argument("--points", type=int, default=1000, help="points of the sweep whose checks are timed (0: skip)")
    parser.add_argument("--memory-runs", type=int, default=0, help="runs of the worker-memory sweep (0: skip)")
    parser.add_argument("--memory-cell-km", type=float, default=20.0, help="cell size of the worker-memory sweep")
    parser.add_argument("--memory-days", type=int, default=None, help="days per memory run (default --days)")
    args = parser.parse_args()
    runs = 4 * max(1, args.runs // 4) if args.runs else 0
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if runs:
            path = sweep_file(tmp, runs, args.days, args.cell_km)
            alone = in_process_seconds(runs, args.days, args.cell_km)
            wall = min(sweep_seconds(path, tmp / f"sweep{i}") for i in range(args.repeats))
            print(f"{runs} runs of {args.days} days at {args.cell_km:g} km; default local cluster: "
                  f"{workers} workers on {workers} CPUs; best of {args.repeats}")
            print(f"  in one process, model only: {alone:6.2f} s  {runs / alone:5.2f} runs/s  "
                  f"({alone / runs:.2f} s per run)")
            print(f"  run.py sweep (Parquet):     {wall:6.2f} s  {runs / wall:5.2f} runs/s  "
                  f"(overhead {(wall * workers - alone) / runs:+.2f} s per run over the loop)")
        if args.points:
            plan = plan_seconds(points_file(tmp, args.points))
            print(f"checking {plan['points']} points (lhs, 3 levers), fresh process: import {plan['import']:.2f} s, "
                  f"first plan_sweep {plan['first']:.2f} s, second {plan['second']:.2f} s "
                  f"({1000 * plan['second'] / plan['points']:.2f} ms per point)")
        if args.memory_runs:
            days = args.memory_days or args.days
            path = sweep_file(tmp, args.memory_runs, days, args.memory_cell_km, name="bench_memory.yaml")
            n = 4 * max(1, args.memory_runs // 4)
            print(f"worker memory over {n} runs of {days} days at {args.memory_cell_km:g} km (1 worker)")
            print("   runs  worker_RSS_MiB")
            for done, mib in worker_memory(path, tmp / "memory", n):
                print(f"  {done:5d}  {mib:14.1f}")


if __name__ == "__main__":
    main()
