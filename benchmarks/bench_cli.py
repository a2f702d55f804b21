"""Command-line speed: start-up, one-line errors, validate, and a whole run with its breakdown.

    python benchmarks/bench_cli.py [--repeats 5] [--run-repeats 3] [--cell-km 10] [--baseline COMMIT]

Prints the wall time (best of ``--repeats``, each a fresh ``python run.py ...``
process, as a user types it) of:

- ``run.py --help``;
- two one-line errors: a missing scenario file, and a bad ``--seed``;
- ``run.py validate`` of the July 2017 scenario;
- a whole ``run.py run`` of the July scenario (seed 1, to its end date) with every
  table and both plots, into a temporary folder.

With ``--baseline COMMIT`` (or a folder holding a copy of the project) the whole run
is also timed in a scratch git worktree of that commit, its runs taken in turn with
this checkout's (after one untimed run in each, which fills numba's cache), so the two
are side by side in one sitting. The whole run is timed twice: in the environment as it
is, then with Python writing and reading its bytecode cache (in a scratch folder,
``PYTHONPYCACHEPREFIX``), as it does by default. Where ``PYTHONDONTWRITEBYTECODE`` is set
(as on the development machines) and a checkout has never been compiled, every process
compiles the project's modules from source: the first line pays that, the second does
not, as a user's machine does not after its first run.

Then the breakdown of that run, measured inside one fresh process that takes the steps
``run.py run`` takes (best of ``--run-repeats`` processes, per step): importing what
checking a scenario needs, checking it, importing the model, building it, running it,
importing and writing the tables (CSV, history, GeoJSON), and what ``run.py``'s plot
helper does (importing matplotlib, laying the map out and importing pandas while Mesa
and numba load and the model runs; after it, the summary and the territory plot in one
process and the map drawn in another, beside the tables being written): the whole run is
less than the sum. Targets (issue "Ten times faster"): at most 0.4 s for ``--help`` and
each one-line error, at most 1.5 s for the whole run at 10 km (the issue measured about
4.6 s then). With a baseline, the line also gives how many times as fast this checkout's
run is: ``--baseline d5b1599``, the tree before the speed work, puts the seconds beside
a ratio of runs taken in turn, which share this machine's drift from minute to minute.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_model import baseline_tree  # (this folder is on the path when a benchmark runs)

ROOT = Path(__file__).resolve().parents[1]
JULY = ROOT / "scenarios" / "2017-07-04_raqqa.yaml"

# One run, step by step as command_run takes them; prints its timings as JSON.
BREAKDOWN = r"""
import json, sys, time
from pathlib import Path
times, t = {}, time.perf_counter()

def lap(name):
    global t
    now = time.perf_counter()
    times[name] = now - t
    t = now

path, out, cell_km = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
sys.path.insert(0, sys.argv[4])
from simulation.scenario import read_scenario
lap("import scenario reader (yaml)")
data, source = read_scenario(path)
lap("read scenario")
from simulation.scenario import check_scenario  # pydantic, the schema, the map checks
lap("import schema and map checks")
scenario = check_scenario(data, source=source)
lap("check scenario")
from simulation import ConflictModel
lap("import model (mesa, numba, rules)")
model = ConflictModel(scenario, seed=1, cell_km=cell_km)
lap("build model (numba's kernels loaded)")
model.run()
lap("run model")
from simulation.export import control_geojson, write_json, write_tables
from simulation.records import write_history
lap("import export")
out.mkdir(parents=True, exist_ok=True)
write_tables(model, out)
lap("write CSV tables (no pandas)")
write_history(model, out / "history.npz")
lap("write history.npz")
write_json(control_geojson(model.theatre, model.control), out / "control.geojson")
lap("write control.geojson")
# What run.py's helper process does beside the run (imports, the map's layout) and after it (the rest).
from analysis.map_plot import ControlMap
lap("helper: import the map (matplotlib)")
laid_out = ControlMap(model.theatre)
lap("helper: lay the map out")
from analysis.plots import plot_territory
from analysis.run_summary import run_summary
lap("helper: import the territory plot and summary (pandas)")
run_summary(model, 1, [])
lap("helper: summary")
plot_territory(model.daily, out / "territory.png", title="x")
lap("helper: plot territory.png")
laid_out.draw(model.control, out / "map.png", title="x")
lap("helper: draw map.png (a process of its own)")
print(json.dumps(times))
"""


def wall(args: list[str], repeats: int, expect: int | None = None, cwd: Path = ROOT, tree: Path = ROOT,
         env: dict | None = None) -> float:
    """Best wall time (s) of ``python TREE/run.py ARGS`` over ``repeats`` fresh processes (in ``env``, if given)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(tree / "run.py"), *args], cwd=cwd, capture_output=True, text=True,
                              env=env)
        best = min(best, time.perf_counter() - start)
        if expect is not None and done.returncode != expect:
            raise SystemExit(f"{tree / 'run.py'} {' '.join(args)}: exit {done.returncode}, expected {expect}: "
                             f"{done.stderr.strip()[-500:]}")
    return best


def side_by_side(trees: list[Path], args: list[str], repeats: int, cwd: Path, env: dict | None = None) -> list[float]:
    """Best wall time (s) of ``python TREE/run.py ARGS`` for each tree, the trees' runs taken in turn.

    Each tree runs once untimed first: a checkout's first run compiles numba's kernels (and, where
    Python may write its bytecode, compiles and caches the modules).
    """
    for tree in trees:
        wall(args, 1, 0, cwd, tree, env)
    best = [float("inf")] * len(trees)
    for _ in range(repeats):
        for i, tree in enumerate(trees):
            best[i] = min(best[i], wall(args, 1, 0, cwd, tree, env))
    return best


def bytecode_cached(folder: Path) -> dict:
    """This environment, but with Python writing and reading its bytecode cache in ``folder`` (as Python does
    by default, in each package's ``__pycache__``), whatever ``PYTHONDONTWRITEBYTECODE`` says."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(folder)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def breakdown(repeats: int, cell_km: float) -> dict[str, float]:
    """Best time (s) of each step of a run, each measured in a fresh process."""
    best: dict[str, float] = {}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run([sys.executable, "-c", BREAKDOWN, str(JULY), str(Path(tmp) / "out"), str(cell_km),
                                   str(ROOT)], cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"breakdown failed: {done.stderr.strip()[-800:]}")
        for name, seconds in json.loads(done.stdout.strip().splitlines()[-1]).items():
            best[name] = min(best.get(name, float("inf")), seconds)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="processes per command (best is reported)")
    parser.add_argument("--run-repeats", type=int, default=3, help="processes for the whole run and its breakdown")
    parser.add_argument("--cell-km", type=float, default=10.0, help="cell size of the whole run (default 10)")
    parser.add_argument("--baseline", help="commit or project folder whose whole run to time beside this one")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; best of {args.repeats} (whole run: {args.run_repeats}) fresh processes")
    print(f"{'command':<58} {'wall_s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            ("run.py --help", ["--help"], 0, args.repeats),
            ("run.py run missing.yaml (missing file)", ["run", "missing.yaml", "--out", f"{tmp}/e1"], 2, args.repeats),
            ("run.py run JULY --seed -1 (bad argument)", ["run", str(JULY), "--seed", "-1", "--out", f"{tmp}/e2"], 2,
             args.repeats),
            ("run.py validate JULY", ["validate", str(JULY)], 0, args.repeats),
        ]
        for label, argv, code, repeats in rows:
            print(f"{label:<58} {wall(argv, repeats, code, cwd=Path(tmp)):7.3f}", flush=True)
        label = f"run.py run JULY --cell-km {args.cell_km:g} (180 days, tables and plots)"
        run_args = ["run", str(JULY), "--cell-km", str(args.cell_km), "--out", f"{tmp}/run"]
        cached_label = "  the same, Python's bytecode cache written and read"
        with tempfile.TemporaryDirectory() as prefix, contextlib.ExitStack() as stack:
            trees = [ROOT] + ([stack.enter_context(baseline_tree(args.baseline, Path(tmp)))] if args.baseline else [])
            for line_label, env in ((label, None), (cached_label, bytecode_cached(Path(prefix)))):
                times = side_by_side(trees, run_args, args.run_repeats, Path(tmp), env)
                beside = (f"  (baseline {args.baseline}: {times[1]:.3f}, taken in turn: {times[1] / times[0]:.2f}x)"
                          if args.baseline else "")
                print(f"{line_label:<58} {times[0]:7.3f}{beside}", flush=True)
    print(f"\nbreakdown of the run, in one fresh process (best of {args.run_repeats} per step)")
    steps = breakdown(args.run_repeats, args.cell_km)
    for name, seconds in steps.items():
        print(f"  {name:<56} {seconds:7.3f}")
    print(f"  {'sum of the steps':<56} {sum(steps.values()):7.3f}")


if __name__ == "__main__":
    main()
