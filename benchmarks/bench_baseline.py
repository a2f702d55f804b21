"""Time the July 2017 baseline (180 days) at 20, 10 and 5 km cells.

Prints, per cell size: cells in the theatre, seconds to build the model, seconds
per run, milliseconds per simulated day, and peak memory (tracemalloc, Python
allocations). Usage: ``python benchmarks/bench_baseline.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

from simulation import ConflictModel, load_scenario
from simulation.theatre import theatre_map

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "2017-07-04_raqqa.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per cell size (best is reported)")
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    print(f"{'cell_km':>7} {'cells':>6} {'build_s':>8} {'run_s':>7} {'ms/day':>7} {'peak_MiB':>9}")
    for cell_km in (20.0, 10.0, 5.0):
        theatre_map(cell_km)  # the fixed layers are cached per cell size; build them first
        best_build = best_run = float("inf")
        for seed in range(1, args.repeats + 1):
            t0 = time.perf_counter()
            model = ConflictModel(scenario, seed=seed, cell_km=cell_km)
            t1 = time.perf_counter()
            model.run()
            t2 = time.perf_counter()
            best_build, best_run = min(best_build, t1 - t0), min(best_run, t2 - t1)
        # Memory in a separate run: tracing allocations slows the timed runs down.
        tracemalloc.start()
        ConflictModel(scenario, seed=1, cell_km=cell_km).run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        cells = int(model.theatre.in_theatre.sum())
        print(f"{cell_km:7.0f} {cells:6d} {best_build:8.2f} {best_run:7.2f} "
              f"{1000 * best_run / scenario.days:7.1f} {peak / 2**20:9.1f}")


if __name__ == "__main__":
    main()
