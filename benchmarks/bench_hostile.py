"""How long ``run.py`` takes to refuse each input of the hostile corpus: every case, and the worst.

The corpus is the case lists of ``tests/hostile`` (bad arguments, output folders that
cannot be written, sweep sizes, hostile YAML), each run as the tests run it: a fresh
``run.py`` in an empty folder holding only the case's input files. (The process and
scheduler faults of ``test_lifetimes`` and ``test_sweep_faults`` are no list of inputs,
and wait on purpose; they are left out.) Each answer should come within
2 s here (the tests allow 10, for a loaded CI machine).

    python benchmarks/bench_hostile.py [-k TEXT] [--timeout 60] [--run-py OTHER/run.py]

``--run-py`` runs another checkout's ``run.py`` on the same cases (e.g. one before the
limits, to measure what they save); a case still running at ``--timeout`` is stopped
and shown as ``>TIMEOUT``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "hostile"))

import test_arguments  # noqa: E402
import test_output_folders  # noqa: E402
import test_sweep_sizes  # noqa: E402
import test_yaml_limits  # noqa: E402


def corpus(folder: Path) -> list[tuple[str, tuple[str, ...], dict]]:
    """Every case of tests/hostile: its name, its run.py arguments, and the files it needs (name -> content)."""
    cases = [(" ".join(args[1:]), tuple(args), {}) for args, _ in test_arguments.CASES]
    outs = test_output_folders.bad_outs(folder)  # made in (and naming) the benchmark's own folder
    cases += [(f"{command} --out {case}", (*args, "--out", out), {})
              for command, args in test_output_folders.COMMANDS.items() for case, (out, _) in outs.items()]
    cases += [(f"sweep {name}", ("sweep", "sweep.yaml", "--out", "out"),
               {"sweep.yaml": test_sweep_sizes.sweep_text(**keys)}) for name, keys, _, _ in test_sweep_sizes.CASES]
    cases += [(case.id, case.args, case.files) for case in test_yaml_limits.CASES]
    return cases


def time_case(run_py: Path, args: tuple[str, ...], files: dict, timeout: float) -> tuple[float, int | None, str]:
    """Seconds the command took in a fresh folder, its exit code (None: stopped at the timeout), its first line."""
    with tempfile.TemporaryDirectory() as tmp:
        test_yaml_limits.write_files(Path(tmp), files)
        start = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, str(run_py), *args], cwd=tmp, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return time.perf_counter() - start, None, ""
        seconds = time.perf_counter() - start
        lines = done.stderr.splitlines()
        return seconds, done.returncode, (lines[0] if lines else "")[:100]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only cases whose name holds this text")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a case is stopped (default 60)")
    parser.add_argument("--run-py", type=Path, default=ROOT / "run.py", help="the run.py to time (default this one)")
    args = parser.parse_args()
    worst = (0.0, "")
    with tempfile.TemporaryDirectory() as folder:
        cases = [c for c in corpus(Path(folder)) if args.k in c[0]]
        print(f"{len(cases)} cases, {args.run_py}")
        for name, argv, files in cases:
            seconds, code, line = time_case(args.run_py, argv, files, args.timeout)
            shown = f">{args.timeout:.0f}" if code is None else f"{seconds:.2f}"
            print(f"{shown:>7} s  exit {'-' if code is None else code:>3}  {name[:48]:48}  {line}", flush=True)
            worst = max(worst, (seconds, name))
    print(f"worst: {worst[0]:.2f} s ({worst[1]})")


if __name__ == "__main__":
    main()
