"""Command line for the 2017 Euphrates campaign model.

    python run.py                      # the July 2017 scenario, seed 1, into results/
    python run.py run SCENARIO [--seed N] [--out DIR] [--cell-km K] [--days N]

A user's mistake (a missing file, a bad scenario, a negative seed) prints one line
and exits with code 2, writing nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

DEFAULT_SCENARIO = Path(__file__).parent / "scenarios" / "2017-07-04_raqqa.yaml"
DEFAULT_OUT = Path("results")
OUTPUT_FILES = ("daily.csv", "daily_governorate.csv", "events.csv", "strikes.csv",
                "control.geojson", "territory.png", "map.png")


class UsageError(Exception):
    """A mistake in what the user asked for: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line, exit 2
        raise UsageError(message)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _cell_km(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of km, got '{text}'") from None
    if not 2.0 <= value <= 50.0:
        raise argparse.ArgumentTypeError(f"must be between 2 and 50 km, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommand ``run``; more arrive with later tools)."""
    parser = _Parser(prog="run.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = sub.add_parser("run", help="run one scenario with one seed and write its outputs")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument("--seed", type=_non_negative_int, default=1, help="random seed (default 1)")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default results/)")
    run.add_argument("--cell-km", type=_cell_km, default=None, help="hex cell size in km (default: the scenario's)")
    run.add_argument("--days", type=_positive_int, default=None, help="days to run (default: to the end date)")
    return parser


def command_run(args) -> int:
    """Run one scenario and write its tables, map and plots to ``args.out``."""
    from analysis.plots import plot_control_map, plot_territory
    from simulation import ConflictModel, load_scenario
    from simulation.export import control_geojson, write_csv, write_json

    out = args.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    scenario = load_scenario(args.scenario)
    model = ConflictModel(scenario, seed=args.seed, cell_km=args.cell_km)
    model.run(days=args.days)
    title = f"{scenario.name} (seed {args.seed})"
    # Write everything into a scratch folder beside the target, then move it in:
    # an interrupted or failed run leaves no half-written output.
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}-") as tmp:
        tmp = Path(tmp)
        write_csv(model.daily, tmp / "daily.csv")
        write_csv(model.daily_by_governorate, tmp / "daily_governorate.csv")
        write_csv(model.events, tmp / "events.csv")
        write_csv(model.strikes, tmp / "strikes.csv")
        write_json(control_geojson(model.theatre, model.control), tmp / "control.geojson")
        plot_territory(model.daily, tmp / "territory.png", title=title)
        plot_control_map(model.theatre, model.control, tmp / "map.png",
                         title=f"Control on {model.date:%d %B %Y}: {title}")
        out.mkdir(exist_ok=True)
        for name in OUTPUT_FILES:
            shutil.move(str(tmp / name), str(out / name))
    print(f"{scenario.name}: {model.steps} days, seed {args.seed} -> {out}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, dispatch, and turn user mistakes into one-line errors."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        argv = ["run", str(DEFAULT_SCENARIO)]
    from simulation.scenario import ScenarioError

    try:
        args = build_parser().parse_args(argv)
        if args.command == "run":
            return command_run(args)
        build_parser().print_help()
        return 2
    except (UsageError, ScenarioError) as exc:
        print(f"run.py: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("run.py: interrupted; nothing written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
