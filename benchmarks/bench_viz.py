"""How long one step plus redraw takes in the browser app (target: 300 ms at 10 km).

Starts ``run.py viz`` and drives the page in headless Chromium. Each measured step
runs from the Step button's click to the browser frame after the last message the
server sends for that step (the map, the charts, the event feed and the sidebar all
updated), so it counts the model's day, Solara's re-render, the websocket and the
browser's drawing. Times are taken in the page with ``performance.now()``.

    python benchmarks/bench_viz.py [--steps 30] [--late-day 120] [SCENARIO]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from viz.harness import chromium, served, wait_for_map  # noqa: E402

# Note when each websocket message has been handled, and the frame painted after it.
INSTRUMENT = """
window.__e17 = {last: 0, painted: 0};
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", () => setTimeout(() => {
      window.__e17.last = performance.now();
      requestAnimationFrame(() => { window.__e17.painted = performance.now(); });
    }, 0));
  }
};
"""
CLICK_STEP = """() => {
  const step = [...document.querySelectorAll("button")].find(b => b.innerText.trim().toLowerCase() === "step");
  window.__e17.t0 = performance.now();
  step.click();
}"""
QUIET_MS = 250  # no message for this long: the step's updates are all in


def timed_step(page, day: int) -> float:
    """Milliseconds from clicking Step to the frame painted after the step's last update."""
    page.evaluate(CLICK_STEP)
    wait_for_map(page, day)
    page.wait_for_function(f"() => performance.now() - window.__e17.last > {QUIET_MS} "
                           "&& window.__e17.painted >= window.__e17.last")
    return page.evaluate("() => window.__e17.painted - window.__e17.t0")


def model_step_ms(scenario: str | None, days: int) -> float:
    """Median time of the model's step alone, in this process, for reference."""
    from simulation.model import ConflictModel
    from viz.levers import DEFAULT_SCENARIO

    model = ConflictModel.from_scenario(scenario or DEFAULT_SCENARIO)
    times = []
    for _ in range(days):
        t = time.perf_counter()
        model.step()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def summary(label: str, times: list[float]) -> str:
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
    return (f"{label:<22} median {statistics.median(times):6.0f} ms   90th percentile {p90:6.0f} ms   "
            f"max {times[-1]:6.0f} ms   ({len(times)} steps)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=None, help="scenario file (default: July 2017)")
    parser.add_argument("--steps", type=int, default=30, help="steps measured in each window (default 30)")
    parser.add_argument("--late-day", type=int, default=120,
                        help="start of the second window, when charts and feed are long (default 120)")
    args = parser.parse_args()
    extra = [args.scenario] if args.scenario else []
    with served(*extra) as url, chromium() as page:
        page.add_init_script(INSTRUMENT)
        page.goto(url)
        wait_for_map(page, 0)
        early = [timed_step(page, day) for day in range(1, args.steps + 1)]
        day = args.steps
        while day < args.late_day:  # get there without measuring
            day += 1
            page.evaluate(CLICK_STEP)
            wait_for_map(page, day)
        late = [timed_step(page, d) for d in range(day + 1, day + args.steps + 1)]
    print("One step plus redraw in the browser (run.py viz, headless Chromium, 10 km grid):")
    print(summary(f"days 1-{args.steps}", early))
    print(summary(f"days {day + 1}-{day + args.steps}", late))
    print(f"the model's step alone, in-process: median {model_step_ms(args.scenario, day + args.steps):.0f} ms "
          f"over days 1-{day + args.steps}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
