"""Fingerprints of a few runs, to check that a speed change moves no result.

Runs the July 2017 scenario for seeds 1-3 at 20 km (180 days), seed 1 at 10 km
(180 days) and seed 1 at 5 km (60 days), and prints one SHA-256 per run over its
daily table, governorate table, events, strikes, engagements, every day's control
map and the units' final state, then one over all of them. Each part's own digest
is printed with ``--parts``, to see which one moved.

Record the output before a change and compare after it (``--check FILE`` does the
comparison and exits 1 on any difference)::

    python benchmarks/fingerprint.py > /tmp/before.txt
    ... change ...
    python benchmarks/fingerprint.py --check /tmp/before.txt

The tables are hashed over the columns they had when this script was written, so
that a column added later (an output, not a result) does not move the fingerprint.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation import ConflictModel, load_scenario  # noqa: E402

SCENARIO = "2017-07-04_raqqa"
RUNS = [(20.0, 1, None), (20.0, 2, None), (20.0, 3, None), (10.0, 1, None), (5.0, 1, 60)]  # (cell_km, seed, days)
DAILY = ["date", "step", "faction", "area_km2", "cells", "population", "strength", "units", "manoeuvre",
         "garrison_need", "overstretch", "morale", "supply"]
GOVERNORATE = ["date", "step", "faction", "governorate", "area_km2", "cells", "population"]
EVENTS = ["date", "step", "event", "place", "faction", "detail"]
STRIKES = ["date", "step", "air_arm", "lat", "lon", "target_faction", "strikes"]
ENGAGEMENTS = ["date", "step", "attacker", "defender", "lat", "lon", "attackers", "defenders",
               "attackers_after", "defenders_after", "defence_broke"]


def _frame_digest(frame, columns) -> str:
    """SHA-256 of a DataFrame's known columns, floats written exactly (repr)."""
    h = hashlib.sha256()
    columns = [c for c in columns if c in frame.columns]
    h.update(repr(columns).encode())
    for row in frame[columns].itertuples(index=False, name=None):
        h.update(repr(tuple(float(v).hex() if isinstance(v, float) else str(v) for v in row)).encode())
    return h.hexdigest()


def _array_digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def run_parts(scenario, cell_km: float, seed: int, days: int | None) -> dict[str, str]:
    """The digest of each part of one run."""
    model = ConflictModel(scenario, seed=seed, cell_km=cell_km).run(days)
    units = sorted(model.all_units(), key=lambda u: u.unique_id)
    unit_state = np.array([[u.unique_id, u.k, u.strength, u.morale, u.supply, int(u.posture), u.objective]
                           for u in units], dtype=float)
    return {
        "daily": _frame_digest(model.daily, DAILY),
        "governorate": _frame_digest(model.daily_by_governorate, GOVERNORATE),
        "events": _frame_digest(model.events, EVENTS),
        "strikes": _frame_digest(model.strikes, STRIKES),
        "engagements": _frame_digest(model.engagements, ENGAGEMENTS),
        "control": _array_digest(model.control),
        "control_history": _array_digest(np.stack(model.control_history)),
        "units": _array_digest(unit_state),
        "manpower": _array_digest(np.array([model.manpower[f] for f in sorted(model.manpower)])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", action="store_true", help="print each part's digest too")
    parser.add_argument("--check", type=Path, help="compare with a fingerprint printed before; exit 1 on a difference")
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    lines, total = [], hashlib.sha256()
    for cell_km, seed, days in RUNS:
        parts = run_parts(scenario, cell_km, seed, days)
        run = hashlib.sha256("".join(parts.values()).encode()).hexdigest()
        total.update(run.encode())
        label = f"{cell_km:g}km seed {seed} {days or 'all'} days"
        lines.append(f"{label:<28} {run}")
        if args.parts:
            lines += [f"    {name:<16} {digest}" for name, digest in parts.items()]
    lines.append(f"{'all':<28} {total.hexdigest()}")
    print("\n".join(lines), flush=True)
    if args.check:
        before = [ln for ln in args.check.read_text().splitlines() if not ln.startswith("    ")]
        now = [ln for ln in lines if not ln.startswith("    ")]
        if before != now:
            print("FINGERPRINT MOVED", file=sys.stderr)
            for a, b in zip(before, now):
                if a != b:
                    print(f"  before: {a}\n  now:    {b}", file=sys.stderr)
            sys.exit(1)
        print("fingerprint unchanged")


if __name__ == "__main__":
    main()
