"""Where a run's compiled work goes: each kernel's time, calls and time per call inside real runs.

    python benchmarks/bench_kernels.py [--runs 4] [--cell-km 10] [--top 25]

Runs the July 2017 scenario for 180 days (seeds 1 to ``--runs``, after one untimed run
that loads the kernels) with every kernel of ``simulation/rules/kernels.py`` timed as
the rules call it, and prints, per run: the run's time, the kernels' share of it, and
each kernel's milliseconds, calls and microseconds per call, the costliest first. What
is not in a kernel is Python and numpy over the units and the cells. The timing adds
about a microsecond to each of some 16,000 calls a run, so the shares are a little high.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's model

from numba.core.registry import CPUDispatcher  # noqa: E402

from simulation import ConflictModel, load_scenario  # noqa: E402
from simulation.rules import kernels  # noqa: E402

JULY = ROOT / "scenarios" / "2017-07-04_raqqa.yaml"
DAYS = 180


def timed_kernels(seconds: Counter, calls: Counter) -> None:
    """Replace each kernel in ``kernels`` by a wrapper adding its time and calls to the counters.

    The rules call the kernels through the module (``kernels.name(...)``), so the wrappers
    are what they call; a kernel calling another inside compiled code is not counted apart.
    """
    for name in dir(kernels):
        kernel = getattr(kernels, name)
        if isinstance(kernel, CPUDispatcher):
            setattr(kernels, name, _timed(name, kernel, seconds, calls))


def _timed(name: str, kernel, seconds: Counter, calls: Counter):
    def call(*args):
        start = time.perf_counter()
        try:
            return kernel(*args)
        finally:
            seconds[name] += time.perf_counter() - start
            calls[name] += 1
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4, help="timed runs (seeds 1 to this)")
    parser.add_argument("--cell-km", type=float, default=10.0, help="cell size (default 10)")
    parser.add_argument("--top", type=int, default=25, help="kernels listed")
    args = parser.parse_args()
    scenario = load_scenario(JULY)
    seconds, calls = Counter(), Counter()
    timed_kernels(seconds, calls)
    ConflictModel(scenario, seed=0, cell_km=args.cell_km).run(DAYS)  # loads every kernel it uses
    seconds.clear()
    calls.clear()
    start = time.perf_counter()
    for seed in range(1, args.runs + 1):
        ConflictModel(scenario, seed=seed, cell_km=args.cell_km).run(DAYS)
    per_run = (time.perf_counter() - start) / args.runs
    in_kernels = sum(seconds.values()) / args.runs
    print(f"{DAYS} days at {args.cell_km:g} km, {args.runs} runs: {1000 * per_run:.0f} ms a run, "
          f"{1000 * in_kernels:.0f} ms of it in kernels ({100 * in_kernels / per_run:.0f}%)")
    print(f"{'kernel':26} {'ms/run':>7} {'share':>6} {'calls/run':>9} {'us/call':>8}")
    for name, total in seconds.most_common(args.top):
        print(f"{name:26} {1000 * total / args.runs:7.2f} {100 * total / args.runs / per_run:5.1f}% "
              f"{calls[name] / args.runs:9.0f} {1e6 * total / calls[name]:8.1f}")


if __name__ == "__main__":
    main()
