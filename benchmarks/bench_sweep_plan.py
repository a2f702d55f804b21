"""Planning a sweep: the seconds to read a sweep file and check its points, and the memory it takes.

    python benchmarks/bench_sweep_plan.py [--points 100 1000] [--compare OLD_SWEEP_PY] [--cli]
                                          [--repeats 3]

Every point of a sweep is checked as ``run.py run --set`` would check it before any
run starts (``analysis.sweep.plan_sweep``); the target (issues 12 and 15) is at most
2 s for 1,000 points. Two sweeps of the July scenario, each at every ``--points``:

- ``levers``: a Latin hypercube over three levers (Russian and coalition sorties, SDF
  manpower), as ``sweeps/sobol_three_levers.yaml`` varies them;
- ``mixed``: one over an ISIS unit's strength, an SDF unit's position ([lon, lat],
  checked against the map), the deconfliction line and a morale rule.

Each is planned in a fresh process: the import, the first ``plan_sweep`` (which also
loads the map) and a second one, with the process's peak memory; the best of
``--repeats`` processes is shown (other work on the machine only ever adds time).
``--compare FILE`` times another version of ``analysis/sweep.py`` the same way (before
and after), e.g.::

    git show HEAD:analysis/sweep.py > /tmp/sweep_before.py
    python benchmarks/bench_sweep_plan.py --compare /tmp/sweep_before.py

``--cli`` also times ``run.py sweep FILE --dry-run`` (start-up, planning, checking) as
a user runs it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JULY = ROOT / "scenarios" / "2017-07-04_raqqa.yaml"

SWEEPS = {
    "levers": ("  air.russia.sorties_per_day: {low: 0, high: 52}\n"
               "  air.coalition.sorties_per_day: {low: 40, high: 200}\n"
               "  sdf.manpower: {low: 30000, high: 50000}\n"),
    "mixed": ("  isis.units.0.strength: {low: 500, high: 2900}\n"
              "  sdf.units.0.at: [[39.0, 36.0], [39.1, 35.97]]\n"
              "  rules.deconfliction.line: [euphrates, [[38.0, 36.0], [39.0, 35.5], [38.0, 36.1]]]\n"
              "  rules.morale.recovery_ceiling: {low: 0.5, high: 0.9}\n"),
}

PLAN = r"""
import importlib.util, json, resource, sys, time
sys.path.insert(0, sys.argv[2])
t = time.perf_counter()
if sys.argv[3]:
    spec = importlib.util.spec_from_file_location("sweep_under_test", sys.argv[3])
    module = sys.modules["sweep_under_test"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plan_sweep = module.plan_sweep
else:
    from analysis.sweep import plan_sweep
imported = time.perf_counter() - t
t = time.perf_counter(); plan = plan_sweep(sys.argv[1]); first = time.perf_counter() - t
t = time.perf_counter(); plan_sweep(sys.argv[1]); second = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"points": len(plan.points), "import": imported, "first": first, "second": second, "peak": peak}))
"""


def sweep_file(folder: Path, name: str, points: int) -> Path:
    path = folder / f"{name}_{points}.yaml"
    path.write_text(f"scenario: {JULY}\nreplicates: 1\nseed: 3\ndesign: lhs\nsamples: {points}\n"
                    f"parameters:\n{SWEEPS[name]}", encoding="utf-8")
    return path


def plan_seconds(path: Path, module: str = "") -> dict:
    """``plan_sweep`` of a sweep file in a fresh process: import, first and second call (s), peak RSS (MiB)."""
    done = subprocess.run([sys.executable, "-c", PLAN, str(path), str(ROOT), module], capture_output=True,
                          text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"plan failed: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cli_seconds(path: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--dry-run"],
                          capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"run.py sweep --dry-run failed: {done.stderr.strip()[-800:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[100, 1000], help="points per sweep")
    parser.add_argument("--compare", type=Path, default=None, metavar="OLD_SWEEP_PY",
                        help="another analysis/sweep.py to time the same way (e.g. the last commit's)")
    parser.add_argument("--cli", action="store_true", help="also time run.py sweep FILE --dry-run")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per measurement (best is shown)")
    args = parser.parse_args()
    versions = {"this checkout": ""}
    if args.compare:
        versions = {f"{args.compare.name}": str(args.compare.resolve()), **versions}
    print("sweep   points  version                 import_s  first_s  second_s  ms/point  peak_MiB", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in SWEEPS:
            for points in args.points:
                path = sweep_file(Path(tmp), name, points)
                for label, module in versions.items():
                    tries = [plan_seconds(path, module) for _ in range(max(1, args.repeats))]
                    r = {key: min(t[key] for t in tries) for key in tries[0]}
                    print(f"{name:7s} {r['points']:6d}  {label:22s} {r['import']:8.2f} {r['first']:8.2f} "
                          f"{r['second']:9.2f} {1000 * r['second'] / r['points']:9.2f} {r['peak']:9.0f}", flush=True)
                if args.cli:
                    wall = min(cli_seconds(path) for _ in range(max(1, args.repeats)))
                    print(f"{name:7s} {points:6d}  run.py sweep --dry-run: {wall:.2f} s wall", flush=True)


if __name__ == "__main__":
    main()
