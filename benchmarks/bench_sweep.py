"""Sweep throughput: runs per minute with 1 and 2 local Dask workers, and the overhead per run.

    python benchmarks/bench_sweep.py [--runs 16] [--days 180] [--cell-km 10] [--workers 1 2] [--memory]

Each measurement runs ``run.py sweep`` as a user would (a fresh local cluster, Parquet
files written per run) on a grid sweep of the July scenario, and compares it with the
same runs done one after another in this process (model only, nothing written). The
overhead per run is (sweep time x workers - in-process time) / runs: what Dask, the
processes and the Parquet writing add to each run's own work. ``--memory`` also prints
the peak memory of a sweep as its number of runs grows, which stays flat because each
run's results go to disk from the worker.
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


def sweep_file(folder: Path, runs: int, days: int, cell_km: float) -> Path:
    """A grid sweep of ``runs`` runs: 4 Russian air budgets x runs/4 replicates."""
    path = folder / "bench_sweep.yaml"
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


def in_process_seconds(runs: int, days: int, cell_km: float) -> float:
    """The same number of runs, one after another in this process."""
    from simulation import ConflictModel, load_scenario

    scenario = load_scenario(JULY)
    start = time.perf_counter()
    for i in range(runs):
        ConflictModel(scenario, seed=1 + i, cell_km=cell_km).run(days)
    return time.perf_counter() - start


def sweep_seconds(path: Path, workers: int) -> float:
    """Wall time of ``run.py sweep`` with ``workers`` local workers, start-up included.

    The sweep runs in a child process so that its memory can be read afterwards.
    """
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out",
                               str(Path(out) / "sweep"), "--workers", str(workers)],
                              capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"sweep failed: {done.stderr.strip().splitlines()[-1:]}")
    return seconds


def memory_by_runs(folder: Path, days: int, cell_km: float) -> list[tuple[int, float]]:
    """Peak memory of a 1-worker sweep process as the number of runs grows (results stream to disk)."""
    out = []
    for runs in (4, 16, 48):
        path = sweep_file(folder, runs, days, cell_km)
        done = subprocess.run([sys.executable, "-c",
                               "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True,"
                               " capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN)"
                               ".ru_maxrss / 1024)",
                               sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out",
                               str(folder / f"mem{runs}"), "--workers", "1"],
                              capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"sweep failed: {done.stderr.strip().splitlines()[-1:]}")
        out.append((runs, float(done.stdout.strip())))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--cell-km", type=float, default=10.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--memory", action="store_true", help="also measure peak memory for 4, 16 and 48 runs")
    args = parser.parse_args()
    runs = 4 * max(1, args.runs // 4)
    with tempfile.TemporaryDirectory() as tmp:
        path = sweep_file(Path(tmp), runs, args.days, args.cell_km)
        alone = in_process_seconds(runs, args.days, args.cell_km)
        print(f"{runs} runs of {args.days} days at {args.cell_km:g} km on {os.cpu_count()} CPUs")
        print(f"in one process: {alone:.1f} s ({60 * runs / alone:.1f} runs/min)")
        print("workers  wall_s  runs_per_min  speedup_vs_1  overhead_s_per_run")
        base = None
        for workers in args.workers:
            seconds = sweep_seconds(path, workers)
            base = base or seconds
            overhead = (seconds * workers - alone) / runs
            print(f"{workers:7d}  {seconds:6.1f}  {60 * runs / seconds:12.1f}  {base / seconds:12.2f}"
                  f"  {overhead:18.2f}")
        if args.memory:
            print("runs  peak_MiB (largest process of a 1-worker sweep, 60 days at 20 km)")
            for n, mib in memory_by_runs(Path(tmp), 60, 20.0):
                print(f"{n:4d}  {mib:8.1f}")


if __name__ == "__main__":
    main()
