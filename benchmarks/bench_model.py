"""Model time, side by side: this tree, the tree before the speed work, and a bare Mesa model.

Times the July 2017 scenario over 180 days (seed 1; the model built first, then timed
while it runs; its building is timed apart, in a process that has built one before)
at 10 and 5 km cells, in this tree and in a scratch git worktree of
the commit before the speed work (``--baseline``), best of ``--repeats``. Each tree
runs in its own process, kept for the cell size, and the two take their runs in turn
(this tree, then the baseline, and again): this machine's speed drifts by a quarter
from one minute to the next, and runs taken in turn see the same drift. Beside them,
the yardstick: a bare Mesa model of the same size (a 58 x 58 ``HexGrid`` with 300
``CellAgent``s that look at their neighbours, fight, move and claim cells) run for 180
steps. Prints seconds per run and the ratios the
performance targets are stated in; beside the best-against-best speed-up, the median and
range of the ratios of runs taken in turn, to show how far the machine's drift moves it.

Usage: ``python benchmarks/bench_model.py [--repeats 3] [--baseline COMMIT | --baseline DIR | --baseline none]``
(a folder holding a copy of the project, e.g. a snapshot of a working tree taken before a change,
is timed in place).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The last commit before the model was made faster ("One home for each idea" and its docs).
BASELINE = "d5b1599"
DAYS = 180

# Runs in an interpreter with a tree's packages first on the path: one model per line read.
TIMER = """
import json, sys, time
sys.path.insert(0, {tree!r})
from simulation import ConflictModel, load_scenario
scenario = load_scenario({scenario!r})
model = ConflictModel(scenario, seed=1, cell_km={cell_km}).run(2)  # warm caches and compiled kernels
print(json.dumps({{"cells": int(model.theatre.in_theatre.sum())}}), flush=True)
for _ in sys.stdin:
    t = time.perf_counter()
    model = ConflictModel(scenario, seed=1, cell_km={cell_km})
    built = time.perf_counter() - t
    t = time.perf_counter()
    model.run({days})
    print(json.dumps({{"seconds": time.perf_counter() - t, "build": built}}), flush=True)
"""


class TreeTimer:
    """A process that runs one tree's model at one cell size, a run each time it is asked."""

    def __init__(self, tree: Path, cell_km: float):
        code = TIMER.format(tree=str(tree), scenario=str(tree / "scenarios" / "2017-07-04_raqqa.yaml"),
                            cell_km=cell_km, days=DAYS)
        self.process = subprocess.Popen([sys.executable, "-c", code], cwd=tree, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.cells = self._answer()["cells"]
        self.times: list[float] = []
        self.builds: list[float] = []  # seconds to build the model, before each run

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the timing process stopped (exit {self.process.wait()})")
        return json.loads(line)

    def time_once(self) -> float:
        """Run the model once more; its seconds."""
        self.process.stdin.write("run\n")
        self.process.stdin.flush()
        answer = self._answer()
        self.times.append(answer["seconds"])
        self.builds.append(answer["build"])
        return self.times[-1]

    @property
    def best(self) -> float:
        return min(self.times)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def yardstick(repeats: int) -> float:
    """Best time of the bare Mesa model over 180 steps."""
    import mesa
    from mesa.discrete_space import CellAgent, HexGrid

    class Fighter(CellAgent):
        def __init__(self, model, cell, side):
            super().__init__(model)
            self.cell, self.side, self.strength = cell, side, 100.0

        def step(self):
            enemies = [a for c in self.cell.neighborhood for a in c.agents if a.side != self.side]
            if enemies:  # fight the weakest enemy next door
                target = min(enemies, key=lambda a: a.strength)
                target.strength -= 0.05 * self.strength
                if target.strength <= 0:
                    target.remove()
            else:  # move on and claim the cell
                self.cell = self.cell.neighborhood.select_random_cell()
                self.model.owner[self.cell.coordinate] = self.side

    class Bare(mesa.Model):
        def __init__(self, seed):
            super().__init__(rng=seed)
            self.grid = HexGrid((58, 58), torus=False, random=self.random)
            self.owner = {}
            cells = list(self.grid.all_cells)
            for i in range(300):
                Fighter(self, cells[int(self.rng.integers(len(cells)))], i % 4)

        def step(self):
            self.agents.shuffle_do("step")

    best = float("inf")
    for seed in range(1, repeats + 1):
        model = Bare(seed)
        t = time.perf_counter()
        for _ in range(DAYS):
            model.step()
        best = min(best, time.perf_counter() - t)
    return best


@contextlib.contextmanager
def baseline_tree(baseline: str, scratch: Path):
    """The project as it was at ``baseline``: a folder holding a copy of it, used in place, or a
    commit, checked out in a git worktree under ``scratch`` for the block and removed after it."""
    if Path(baseline).is_dir():
        yield Path(baseline).resolve()
        return
    folder = scratch / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), baseline],
                   check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (best is reported)")
    parser.add_argument("--baseline", default=BASELINE,
                        help=f"commit or project folder to compare with (default {BASELINE}; 'none')")
    args = parser.parse_args()
    bare = yardstick(args.repeats)
    print(f"bare Mesa model (58 x 58 HexGrid, 300 CellAgents, {DAYS} steps): {bare:.3f} s")
    with tempfile.TemporaryDirectory(prefix="bench_model_") as scratch, contextlib.ExitStack() as stack:
        old = None if args.baseline == "none" else stack.enter_context(baseline_tree(args.baseline, Path(scratch)))
        print(f"{'cell_km':>7} {'cells':>6} {'now_s':>7} {'ms/day':>7} {'x bare':>7}"
              + (f" {'before_s':>9} {'speed-up':>9}" if old else ""))
        now_by_km, builds = {}, []
        for cell_km in (10.0, 5.0):
            timers = [TreeTimer(ROOT, cell_km)] + ([TreeTimer(old, cell_km)] if old else [])
            try:
                for repeat in range(args.repeats):  # in turn; the baseline once at 5 km (it takes a quarter-minute)
                    for timer in timers[:1 if (cell_km < 10 and repeat > 0) else 2]:
                        timer.time_once()
            finally:
                for timer in timers:
                    timer.close()
            now = timers[0].best
            now_by_km[cell_km] = now
            line = f"{cell_km:7.0f} {timers[0].cells:6d} {now:7.3f} {1000 * now / DAYS:7.2f} {now / bare:7.1f}"
            if old:
                before = timers[1].best
                line += f" {before:9.3f} {before / now:8.1f}x"
                if len(timers[1].times) > 1:  # each pair of runs taken in turn: how far the ratio drifts
                    paired = sorted(b / n for n, b in zip(timers[0].times, timers[1].times))
                    line += (f"  (runs in turn: median {statistics.median(paired):.1f}x, "
                             f"{paired[0]:.1f}-{paired[-1]:.1f}x)")
            print(line, flush=True)
            builds.append(f"{cell_km:.0f} km {1000 * min(timers[0].builds):.0f} ms"
                          + (f" (before: {1000 * min(timers[1].builds):.0f} ms)" if old else ""))
        print(f"5 km / 10 km: {now_by_km[5.0] / now_by_km[10.0]:.2f}")
        print("building the model, best (not in the times above): " + "; ".join(builds))


if __name__ == "__main__":
    main()
