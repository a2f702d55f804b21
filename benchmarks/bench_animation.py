"""What ``run.py run --animate`` costs: seconds per frame and in all, MP4 and GIF, and the file sizes.

Runs the July scenario once (10 km by default), then writes its film both ways.

    python benchmarks/bench_animation.py [--days 180] [--cell-km 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.animation import video_encoder, write_film  # noqa: E402
from simulation import ConflictModel, load_scenario  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--cell-km", type=float, default=10.0)
    args = parser.parse_args()
    scenario = load_scenario("2017-07-04_raqqa")
    start = time.perf_counter()
    model = ConflictModel(scenario, seed=1, cell_km=args.cell_km).run(days=args.days)
    run_s = time.perf_counter() - start
    frames = len(model.control_history)
    print(f"the run itself: {run_s:.2f} s ({args.days} days at {args.cell_km:g} km)")
    encoder = video_encoder()
    with tempfile.TemporaryDirectory() as tmp:
        for name, enc in (("control.mp4", encoder), ("control.gif", None)):
            if name.endswith(".mp4") and not enc:
                print("MP4: no ffmpeg here (pip install imageio-ffmpeg)")
                continue
            start = time.perf_counter()
            path = write_film(model.theatre, model.control_history, model.event_log, scenario.start,
                              Path(tmp) / name, "benchmark", enc)
            seconds = time.perf_counter() - start
            print(f"{name}: {frames} frames in {seconds:.1f} s ({1000 * seconds / frames:.0f} ms a frame), "
                  f"{path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
