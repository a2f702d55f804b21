"""Command line for the 2017 Euphrates campaign model.

    python run.py [OPTIONS]            # the July 2017 scenario (options as run's), seed 1, into results/
    python run.py run SCENARIO [--seed N] [--out DIR] [--cell-km K] [--days N] [--set KEY=VALUE ...]
                       [--animate] [--quiet]
    python run.py --version
    python run.py validate SCENARIO [SCENARIO ...] [--set KEY=VALUE ...]
    python run.py schema               # the scenario format as JSON Schema, for editors
    python run.py calibrate SCENARIO [--out DIR] [--population N] [--generations G] [--max-simulations M]
                            [--min-epsilon DAYS] [--cell-km K] [--workers W | --scheduler ADDRESS] [--resume]
                            [--parameters FILE] [--seed S]
    python run.py score SCENARIO [--seeds N] [--first-seed S] [--out DIR] [--workers W] [--cell-km K]
    python run.py sweep FILE --out DIR [--workers N] [--scheduler ADDRESS] [--resume] [--allow-large]
    python run.py sweep FILE --dry-run  # count the runs and check every point; run nothing
    python run.py report DIR           # a sweep's report, from its results on disk, into DIR/_report/
    python run.py viz [SCENARIO] [--port P]  # the interactive map in the browser, on 127.0.0.1
    python run.py viz --replay DIR [--port P]  # a finished run's folder in the browser, read-only

SCENARIO is a YAML file or a shipped scenario's name (``2017-07-04_raqqa``,
``variants/no_russian_air``).

A user's mistake (a missing file, a bad scenario, a negative seed) prints one line
per problem, ``run.py: error: ...``, and exits with code 2, writing nothing.

Start-up is kept short: each command imports what it needs when it needs it, so
``--help`` and a bad argument load none of the model's libraries, a missing or
malformed scenario file is refused before the schema, the map or the model are
loaded, and matplotlib comes in only to draw the plots (``benchmarks/bench_cli.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

DEFAULT_SCENARIO = Path(__file__).parent / "scenarios" / "2017-07-04_raqqa.yaml"
DEFAULT_OUT = Path("results")
OUTPUT_FILES = ("daily.csv", "daily_governorate.csv", "events.csv", "strikes.csv", "history.npz",
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


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def _cell_km(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of km, got '{text}'") from None
    if not 2.0 <= value <= 50.0:
        raise argparse.ArgumentTypeError(f"must be between 2 and 50 km, got {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got '{text}'") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535 (0: any free port), got {value}")
    return value


def _key_value(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. sdf.manpower=30000), got '{text}'")
    return key.strip(), value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: subcommands ``run``, ``validate``, ``schema``, ``calibrate`` and ``sweep``."""
    parser = _Parser(prog="run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=version_text(),
                        help="print the model's version (and Mesa's and Python's) and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = sub.add_parser("run", help="run one scenario with one seed and write its outputs")
    run.add_argument("scenario", type=Path, help="scenario YAML file, or a shipped scenario's name")
    run.add_argument("--seed", type=_non_negative_int, default=1, help="random seed (default 1)")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default results/)")
    run.add_argument("--cell-km", type=_cell_km, default=None, help="hex cell size in km (default: the scenario's)")
    run.add_argument("--days", type=_positive_int, default=None, help="days to run (default: to the end date)")
    run.add_argument("--animate", action="store_true",
                     help="also write control.mp4 (control.gif without ffmpeg): the map, a frame a day")
    run.add_argument("--quiet", action="store_true",
                     help="no progress bar and a one-line summary (the full one is in summary.json)")
    validate = sub.add_parser("validate", help="check scenario files and report every problem")
    validate.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO",
                          help="scenario YAML files, or shipped scenarios' names")
    for command in (run, validate):
        command.add_argument("--set", dest="overrides", type=_key_value, action="append", default=[],
                             metavar="KEY=VALUE", help="set a dotted scenario key, value read as YAML "
                                                       "(e.g. sdf.manpower=30000); repeatable")
    sub.add_parser("schema", help="print the scenario format as JSON Schema")
    calibrate = sub.add_parser(
        "calibrate", help="fit the free parameters to the record's training events by ABC-SMC (pyabc, on Dask)",
        description="Fit the parameters of analysis/inference/parameters.yaml (or --parameters) to the training "
                    "events of analysis/record/record_2017.yaml by ABC-SMC, and write the posterior, its "
                    "marginals and a report into --out. Exit codes: 0 done; 2 a mistake in the command or the "
                    "parameter table, nothing run; 130 interrupted (finished generations kept; go on with --resume).")
    calibrate.add_argument("scenario", type=Path, help="scenario YAML file, or a shipped scenario's name")
    calibrate.add_argument("--out", type=Path, default=Path("calibration"), metavar="DIR",
                           help="output folder (default calibration/): the report, and the fit's database")
    calibrate.add_argument("--population", type=_positive_int, default=None, metavar="N",
                           help="particles per generation (default 200; on --resume, the fit's)")
    calibrate.add_argument("--generations", type=_positive_int, default=8, metavar="G",
                           help="generations in all, counting those a resumed fit has done (default 8)")
    calibrate.add_argument("--max-simulations", type=_positive_int, default=None, metavar="M",
                           help="stop after the generation that takes the simulations in all past this")
    calibrate.add_argument("--min-epsilon", type=_non_negative_float, default=0.0, metavar="DAYS",
                           help="stop after the first generation with epsilon (mean days off) at or below this")
    calibrate.add_argument("--cell-km", type=_cell_km, default=None, metavar="K",
                           help="hex cell size in km (default: the scenario's; on --resume, the fit's)")
    calibrate.add_argument("--workers", type=_positive_int, default=None, metavar="W",
                           help="local Dask worker processes (default: one per CPU; 1: in this process)")
    calibrate.add_argument("--scheduler", default=None, metavar="ADDRESS",
                           help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786, instead of a local cluster")
    calibrate.add_argument("--resume", action="store_true", help="go on with the fit in --out")
    calibrate.add_argument("--parameters", type=Path, default=None, metavar="FILE",
                           help="the free parameters and their priors (default analysis/inference/parameters.yaml;"
                                " on --resume, the fit's)")
    calibrate.add_argument("--seed", type=_non_negative_int, default=None, metavar="S",
                           help="the fit's seed, from which each simulation's derives (default 1)")
    score = sub.add_parser("score", help="run many seeds and score them against the sourced record of 2017",
                           description="Score a scenario's runs against every dated event and quantity of "
                                       "analysis/record/record_2017.yaml: median and error, the 10-90%% band, "
                                       "CRPS in days, training and test apart, and map skill against persistence.")
    score.add_argument("scenario", type=Path, help="scenario YAML file, or a shipped scenario's name")
    score.add_argument("--seeds", type=_positive_int, default=20, help="seeds to run (default 20)")
    score.add_argument("--first-seed", type=_non_negative_int, default=1, help="first seed (default 1)")
    score.add_argument("--out", type=Path, default=Path("score"), help="output folder (default score/)")
    score.add_argument("--workers", type=_positive_int, default=None,
                       help="processes to run seeds in (default: one per CPU)")
    score.add_argument("--cell-km", type=_cell_km, default=None, help="hex cell size in km (default: the scenario's)")
    sweep = sub.add_parser(
        "sweep", help="run a sweep file's parameter points and seeds on Dask, one Parquet file per run",
        description="Run every run of a sweep file (see analysis/sweep.py) on a local Dask cluster or an "
                    "existing one. Exit codes: 0 every run finished; 1 some runs raised (recorded in "
                    "DIR/_failed/, retried by --resume); 2 a mistake in the sweep file or the command, "
                    "nothing run; 130 interrupted (finished runs kept; go on with --resume).")
    sweep.add_argument("sweep", type=Path, metavar="FILE", help="sweep YAML file")
    sweep.add_argument("--out", type=Path, default=None,
                       help="output folder (read it with pandas.read_parquet); required unless --dry-run")
    sweep.add_argument("--workers", type=_positive_int, default=None,
                       help="local worker processes (default: one per CPU; not with --scheduler)")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (its workers must see --out); "
                            "it must answer within 5 s, before anything is written")
    sweep.add_argument("--resume", action="store_true",
                       help="go on with the sweep in --out: run what is missing, and again any run whose file "
                            "does not verify (each named)")
    sweep.add_argument("--allow-large", action="store_true",
                       help="run a sweep of 100,000 runs or more (refused without it: days of computing)")
    sweep.add_argument("--dry-run", action="store_true",
                       help="print the planned run count and check every point; run and write nothing")
    report = sub.add_parser("report", help="write a sweep's report (fan charts, milestones, summary) into DIR/_report/")
    report.add_argument("folder", type=Path, metavar="DIR", help="a sweep's results folder")
    viz = sub.add_parser("viz", help="serve the interactive map in the browser (Mesa's SolaraViz, on 127.0.0.1)")
    viz.add_argument("scenario", type=Path, nargs="?", default=None,
                     help="scenario YAML file, or a shipped scenario's name, to open on "
                          "(default: the July 2017 scenario)")
    viz.add_argument("--port", type=_port, default=8765, help="port to serve on (default 8765; 0: any free port)")
    viz.add_argument("--replay", type=Path, default=None, metavar="DIR",
                     help="show a finished run's folder (from run.py run) day by day, read-only, instead of a model")
    return parser


def version_text() -> str:
    """``run.py 0.1.0 (Mesa 3.3.1, Python 3.11.7)``: the installed package's version, else the clone's pyproject."""
    from importlib import metadata

    try:
        ours = metadata.version("euphrates2017")
    except metadata.PackageNotFoundError:  # a clone run without installing
        import tomllib

        with open(Path(__file__).with_name("pyproject.toml"), "rb") as f:
            ours = tomllib.load(f)["project"]["version"]
    try:
        mesa = f"Mesa {metadata.version('mesa')}, "
    except metadata.PackageNotFoundError:
        mesa = ""
    return f"run.py {ours} ({mesa}Python {sys.version.split()[0]})"


def overrides_of(args) -> dict:
    """The ``--set`` overrides as dotted keys and values (read as YAML; later ones win)."""
    from simulation.scenario import parse_value

    return {key: parse_value(value, key) for key, value in args.overrides}


def checked_scenario(args):
    """The scenario ``run`` takes, with its ``--set`` overrides, checked.

    The stages that need no heavy library come first: a missing or malformed file,
    or a bad ``--set``, is refused before pydantic, the map or Mesa are imported.
    """
    from simulation.scenario import read_scenario

    data, source = read_scenario(args.scenario, overrides_of(args))
    from simulation.scenario import check_scenario

    return check_scenario(data, source=source)


def build_model(args, scenario=None):
    """The checked scenario and the model, as ``run`` builds them (nothing is written)."""
    scenario = checked_scenario(args) if scenario is None else scenario
    from simulation import ConflictModel

    return ConflictModel(scenario, seed=args.seed, cell_km=args.cell_km)


# The two plots and the summary are made in a helper process, forked from this one once
# the scenario is checked and the theatre built (it shares them). While this process loads
# Mesa and numba and the model runs, the helper imports matplotlib, lays the map out (all
# but the holders' colours; its labels are measured and placed one by one, about 0.1 s)
# and imports pandas, about 0.6 s in all: forked after Mesa and numba had loaded, it was
# still at it when a quick run ended. After the run it forks
# once more, so that the map is coloured and drawn in one process while the territory
# plot and the summary are made in the other (both share the imports), as this process
# writes the tables (as plain columns: the run's own process never loads pandas). One
# after the other the three took about 0.6 s after the run; side by side, about 0.35-0.45 s.
# (A second helper forked from this process would import matplotlib again, on the core
# the run needs.) Where forking is not safe (not Linux, threads running) or there is one
# CPU, they are made here, after the tables.


_laid_out_map = None  # in the plot helper: the run's control map, laid out while the model runs


def _plot_helper_starts(tmap) -> None:
    """The helper's first work, before the run's data arrive: import what drawing needs, lay out the
    run's map on ``tmap`` (the theatre), then import what the summary and the territory plot need."""
    global _laid_out_map
    from analysis.map_plot import ControlMap  # (matplotlib)

    try:
        _laid_out_map = ControlMap(tmap)
    except Exception:  # noqa: BLE001  (the map job then draws it whole, and tells of any failure as it always has)
        _laid_out_map = None
    import analysis.history  # (the record's milestones, for the summary)
    import analysis.plots  # noqa: F401  (pandas)


def _side_by_side(jobs: list[tuple]) -> list:
    """Do ``jobs`` (function, args, kwargs) at once: the first in a process forked from this
    one, the rest here in turn. Returns their results (None for the first: it makes a file)."""
    import traceback
    import warnings

    (first, first_args, first_kwargs), rest = jobs[0], jobs[1:]
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():
        # Python 3.12 warns of any fork from a process with threads besides its own. Those here
        # are native pools that numpy's BLAS and pyarrow start at import and that sit idle now,
        # as they do at the helper's own fork from the run (whose warning, in multiprocessing, is
        # not shown); the map's process touches neither.
        warnings.filterwarnings("ignore", r"This process .* is multi-threaded", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: its job, then out at once (the helper's own state is not its to tidy)
        code = 1
        try:
            first(*first_args, **first_kwargs)
            code = 0
        except BaseException:  # noqa: BLE001  (any failure: told above, and by the exit code)
            traceback.print_exc()
        finally:
            os._exit(code)
    try:
        results = [None] + [job(*a, **kw) for job, a, kw in rest]
    finally:
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{first_args[0] if first is _draw else first.__name__} failed in its process (above)")
    return results


def _draw(plot: str, *args, **kwargs) -> None:
    """Draw one plot of :mod:`analysis.plots` (or the film of :mod:`analysis.animation`) into its file
    (in the helper: the figure stays there)."""
    if plot == "plot_territory":  # its tables come as plain columns (the run's process needs no pandas)
        from simulation.records import columns_frame

        args, kwargs = (columns_frame(args[0]), *args[1:]), {**kwargs, "events": columns_frame(kwargs["events"])}
    if plot == "plot_control_map" and _laid_out_map is not None:  # in the helper: laid out on the run's theatre
        _laid_out_map.draw(*args[1:], **kwargs)
        return
    if plot == "write_film":
        from analysis.animation import write_film as draw
    else:
        from analysis import plots

        draw = getattr(plots, plot)
    draw(*args, **kwargs)


@contextmanager
def _plot_helper(tmap):
    """A process pool of one forked helper to draw plots of a run on the theatre ``tmap`` in, or None (drawn
    in this process)."""
    import threading

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    main_thread = threading.current_thread() is threading.main_thread()
    if cpus < 2 or not sys.platform.startswith("linux") or threading.active_count() > 1 or not main_thread:
        yield None
        return
    import multiprocessing
    import signal
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=_plot_helper_starts,
                               initargs=(tmap,))
    sys.stdout.flush()  # nothing buffered here is written twice
    sys.stderr.flush()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the helper ignores Ctrl-C: this process handles it
    try:
        pool.submit(int)  # forks the helper now
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _output_folder(out: Path, names):
    """``run``'s scratch folder for its files (moved into ``out`` when all are written); a bad ``--out`` is one line."""
    from analysis.report_files import ReportError, report_folder

    try:
        with report_folder(out, names) as tmp:
            yield tmp
    except ReportError as exc:
        raise UsageError(str(exc)) from None


def command_run(args) -> int:
    """Run one scenario and write its tables, map and plots to ``args.out``."""
    out = args.out
    _refuse_unwritable(out)  # at once; the scratch folder made below is the full check
    scenario = checked_scenario(args)  # refuses a bad scenario before anything is written
    if args.days is not None and args.days > scenario.days:
        raise UsageError(f"--days {args.days}: the scenario ends on {scenario.end}, {scenario.days} days after its "
                         f"start; run at most {scenario.days}, or move its end with --set end=YYYY-MM-DD")
    _check_memory(scenario, args.cell_km)
    # What is loaded by now, and later the model's own modules, are left out of the garbage collector's
    # full passes, one of which building the model sets off (analysis.long_lived).
    from analysis.long_lived import freeze_loaded
    from simulation.theatre import theatre_for

    tmap = theatre_for(scenario, args.cell_km)  # built here, before the helper that lays the map out on it
    freeze_loaded()

    files = OUTPUT_FILES + ("summary.json",)
    if args.animate:
        from analysis.animation import film_name, video_encoder

        encoder = video_encoder()
        files += (film_name(encoder),)
    with _plot_helper(tmap) as helper, _output_folder(out, files) as tmp:
        # The helper starts on matplotlib as this process loads Mesa and numba. The scratch folder is made
        # before the run: an --out that cannot be written is refused first.
        from simulation import ConflictModel

        freeze_loaded()
        model = ConflictModel(scenario, seed=args.seed, cell_km=args.cell_km)
        _run_with_progress(model, scenario.days if args.days is None else args.days, quiet=args.quiet)
        # None of these load matplotlib or pandas.
        from analysis.figure_inputs import besieged_cells, map_title, territory_title
        from analysis.run_summary import SUMMARY_TABLES, run_facts, summary_lines, summary_of
        from simulation.export import control_geojson, write_json, write_tables
        from simulation.records import plain_table, write_history

        tables = {name: plain_table(model, name) for name in SUMMARY_TABLES}  # plain columns: no pandas here
        plots = [("plot_territory", (tables["daily"], tmp / "territory.png"),
                  {"title": territory_title(scenario.name, args.seed, scenario.start), "events": tables["events"]}),
                 ("plot_control_map", (model.theatre, model.control.copy(), tmp / "map.png"),
                  {"title": map_title(model.date, scenario.name, args.seed, scenario.start),
                   "besieged": besieged_cells(model)})]
        if args.animate:
            plots.append(("write_film", (model.theatre, model.control_history, model.event_log, scenario.start,
                                         tmp / files[-1], f"{scenario.name} · seed {args.seed}", encoder), {}))
        # The longest first (the film, else the map), then the rest, then the summary (it loads pandas).
        jobs = [(_draw, (plot, *a), kw) for plot, a, kw in reversed(plots)]
        jobs.append((summary_of, (run_facts(model), tables, args.seed, list(files)), {}))
        made = helper.submit(_side_by_side, jobs) if helper else None
        try:
            write_tables(model, tmp)
            write_history(model, tmp / "history.npz")  # every day's map, for run.py viz --replay
            write_json(control_geojson(model.theatre, model.control), tmp / "control.geojson")
            # A helper's error is raised here.
            results = made.result() if made else [job(*a, **kw) for job, a, kw in jobs]
            summary = results[-1]
            write_json(summary, tmp / "summary.json")
        finally:
            if helper:  # done writing into the scratch folder before it is moved or removed
                helper.shutdown(wait=True, cancel_futures=True)
    if args.animate and not encoder:
        print(f"run.py: note: no video encoder (ffmpeg) here, so the film is {out}/control.gif; for MP4 "
              "install one: pip install imageio-ffmpeg", file=sys.stderr)
    if args.quiet:
        print(f"{scenario.name}: {model.steps} days, seed {args.seed} -> {out}/")
    else:
        print("\n".join(summary_lines(summary, str(out))))
    return 0


def _check_memory(scenario, cell_km: float | None, at_once: int = 1) -> None:
    """Refuse, before any work, runs whose cell size would not fit in the memory free now."""
    from simulation.sizing import memory_problem

    problem = memory_problem(scenario, cell_km, at_once)
    if problem:
        raise UsageError(problem)


def _run_with_progress(model, days: int, quiet: bool) -> None:
    """Step the model ``days`` days, with a progress bar on stderr when it is a terminal (not with --quiet)."""
    if quiet or not sys.stderr.isatty():
        model.run(days=days)
        return
    import threading

    from tqdm import tqdm

    # A thread lock, not tqdm's default multiprocessing one: that would start a resource
    # tracker, which warns of a leaked semaphore when this process ends with os._exit.
    tqdm.set_lock(threading.RLock())
    with tqdm(total=days, file=sys.stderr, unit="day", desc="running", leave=False) as bar:
        for _ in range(days):
            model.step()
            bar.set_postfix_str(f"{model.date}", refresh=False)
            bar.update()


def command_validate(args) -> int:
    """Check each scenario file: ``OK  path`` for each valid one, every problem line for the rest."""
    from simulation.scenario import ScenarioError, read_scenario

    overrides = overrides_of(args)
    reported, failed = set(), False
    for path in args.scenarios:
        try:  # load_scenario's stages: a file that cannot be read is refused before the schema is loaded
            data, source = read_scenario(path, overrides)
            from simulation.scenario import check_scenario

            check_scenario(data, source=source)
            print(f"OK  {path}")
        except ScenarioError as exc:
            failed = True
            fresh = [line for line in exc.problems if line not in reported]  # a base file's are reported once
            reported.update(fresh)
            _print_problems(fresh)
    return 2 if failed else 0


# A document of thousands of wrong keys would print thousands of lines: the first ones
# say what is wrong, and the count says how much more there is.
MAX_PROBLEM_LINES = 50


def _print_problems(lines: list[str]) -> None:
    """Each problem as an error line, at most :data:`MAX_PROBLEM_LINES`, then how many more there were."""
    shown = lines if len(lines) <= MAX_PROBLEM_LINES else lines[:MAX_PROBLEM_LINES - 1]
    for line in shown:
        print(f"run.py: error: {line}", file=sys.stderr)
    if len(shown) < len(lines):
        print(f"run.py: error: ... and {len(lines) - len(shown):,} more problems like these", file=sys.stderr)


def command_schema(args) -> int:
    """Print the scenario format as JSON Schema."""
    from simulation.scenario import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False))
    return 0


def command_calibrate(args) -> int:
    """Fit the free parameters by ABC-SMC and write the posterior and its report to ``args.out``."""
    if args.scheduler and args.workers:
        raise UsageError("--workers: not with --scheduler (the cluster has its own workers)")
    _refuse_unwritable(args.out)  # at once: pyabc and the model take seconds to import
    from analysis.inference.fit import FitError, ParameterError, prepare_fit, run_fit
    from analysis.report_files import ReportError

    try:  # every check before anything runs or is written
        request = prepare_fit(args.scenario, args.out, resume=args.resume, parameters=args.parameters,
                              population=args.population, generations=args.generations,
                              max_simulations=args.max_simulations, min_epsilon=args.min_epsilon,
                              cell_km=args.cell_km, seed=args.seed)
        _check_memory(request.scenario, request.cell_km, args.workers or os.cpu_count() or 1)
        outcome = run_fit(request, workers=args.workers, scheduler=args.scheduler)
    except (FitError, ParameterError, ReportError) as exc:
        raise UsageError(str(exc)) from None
    if outcome.interrupted:
        limits = "".join(f" {option} {value:g}" for option, value, default in (
            ("--generations", args.generations, 8), ("--max-simulations", args.max_simulations, None),
            ("--min-epsilon", args.min_epsilon, 0.0)) if value != default)
        print(f"run.py: interrupted: {outcome.generations} generations kept in {args.out}/fit.db; go on with: "
              f"python run.py calibrate {args.scenario} --out {args.out} --resume{limits}", file=sys.stderr)
        return 130
    epsilon = "inf (the prior)" if outcome.epsilon == float("inf") else f"{outcome.epsilon:.1f} days"
    print(f"{request.scenario.name}: {outcome.generations} generations, {outcome.simulations} simulations, "
          f"epsilon {epsilon} ({outcome.stopped}) -> {args.out}/fit.md")
    return 0


def _refuse_unwritable(out: Path) -> None:
    """Refuse at once, before any heavy import, an --out that no file can be written in:
    below a file, a file itself (:func:`~analysis.report_files.out_folder_problem`), a
    name too long, or a place that takes no files (/proc)."""
    import tempfile

    from analysis.report_files import out_folder_problem

    try:
        problem = out_folder_problem(out)
        if problem:
            raise UsageError(f"--out {out}: {problem}")
        above = next(p for p in (out, *out.parents) if p.exists())
        longest = os.pathconf(above, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
        if any(len(os.fsencode(part)) > longest for part in out.parts):
            raise OSError(36, "File name too long")
        tempfile.TemporaryDirectory(dir=above).cleanup()  # made and removed: can anything go there?
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None


def command_score(args) -> int:
    """Run the seeds and write the score report against the record (Markdown, CSV, chart) to ``args.out``."""
    _refuse_unwritable(args.out)  # at once, before the model and the record are imported
    from analysis.scoring_report import ScoreError, write_score_report
    from simulation.scenario import load_scenario

    _check_memory(load_scenario(args.scenario), args.cell_km, args.workers or min(args.seeds, os.cpu_count() or 1))
    try:
        result = write_score_report(args.scenario, args.seeds, args.out, workers=args.workers,
                                    cell_km=args.cell_km, first_seed=args.first_seed)
    except ScoreError as exc:
        raise UsageError(str(exc)) from None
    agg = result.aggregates.set_index("split")
    print(f"{result.scenario.name}: {args.seeds} seeds -> {args.out}/score.md (mean CRPS "
          f"{agg.loc['training', 'mean_crps_days']:.1f} days training, {agg.loc['test', 'mean_crps_days']:.1f} test)")
    return 0


def command_report(args) -> int:
    """Write the report of the sweep in ``args.folder`` into its ``_report/`` folder."""
    from analysis.sweep_report import SweepReportError, write_report

    try:  # an unfinished sweep is reported on what it has, with a note on how to resume it
        out = write_report(args.folder, note=lambda line: print(f"run.py: note: {line}", file=sys.stderr))
    except SweepReportError as exc:
        raise UsageError(str(exc)) from None
    print(f"{args.folder}: report -> {out}/summary.md")
    return 0


def command_sweep(args) -> int:
    """Run a sweep into ``args.out``: 0 all done, 1 some runs failed, 130 interrupted."""
    import shlex

    from analysis.sweep_runner import SweepError, address_problem, connect_scheduler, run_plan

    if args.scheduler is not None and args.workers:
        raise UsageError("--workers: not with --scheduler (the cluster has its own workers)")
    if args.scheduler is not None and (problem := address_problem(args.scheduler)):  # at once, before the points are checked
        raise UsageError(f"--scheduler {args.scheduler}: {problem}")
    if args.out is None and not args.dry_run:
        raise UsageError("--out: required (the folder the runs go into), or --dry-run to check the sweep only")
    if args.out is not None and not args.dry_run and (problem := _sweep_out_problem(args.out)):
        raise UsageError(f"--out {args.out}: {problem}")  # before the plan is counted or any point checked
    client = None
    if args.scheduler is not None and not args.dry_run:
        try:  # the scheduler answers (within a few seconds), before the points are checked or anything written
            client = connect_scheduler(args.scheduler)
        except SweepError as exc:
            raise UsageError(str(exc)) from None
    from analysis.sweep import plan_sweep

    try:
        plan = plan_sweep(args.sweep, announce=lambda size: _announce_sweep(args, size))  # nothing written yet
    except BaseException:
        if client is not None:
            client.close()
        raise
    if args.dry_run:
        print(f"{args.sweep}: {plan.size}, every point checked; nothing run (--dry-run)")
        return 0
    try:  # the scheduler answers, and the folder is this sweep's, before anything is written
        outcome = run_plan(plan, args.out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                           client=client)
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    if outcome.interrupted:  # the runs counted are the files on disk that verify
        if not args.out.is_dir():
            print("run.py: interrupted; nothing written", file=sys.stderr)
        else:
            print(f"run.py: interrupted: {outcome.done} of {outcome.total} runs finished in {args.out}/; "
                  f"go on with: python run.py sweep {shlex.quote(str(args.sweep))} --out "
                  f"{shlex.quote(str(args.out))} --resume", file=sys.stderr)
        return 130
    if outcome.failed:
        print(f"run.py: warning: {outcome.failed} runs failed; their errors are in {args.out}/_failed/",
              file=sys.stderr)
    print(f"{args.sweep}: {outcome.done} of {outcome.total} runs done, {outcome.failed} failed -> {args.out}/")
    return 1 if outcome.failed else 0


def _announce_sweep(args, size) -> None:
    """The sweep's planned run count, on stderr before any point is drawn; a large one needs --allow-large."""
    from analysis.sweep import LARGE_SWEEP_RUNS

    if size.runs >= LARGE_SWEEP_RUNS and not args.allow_large:
        raise UsageError(f"{args.sweep}: {size}; a sweep of {LARGE_SWEEP_RUNS:,} runs or more needs --allow-large "
                         "(or fewer samples or replicates)")
    print(f"run.py: {size}; checking each point", file=sys.stderr, flush=True)


def _sweep_out_problem(out: Path) -> str | None:
    """What makes ``out`` no folder for a sweep, found before planning; any folder made to try is removed."""
    from analysis.report_files import out_folder_problem

    try:
        problem = out_folder_problem(out)
        if problem is None and not out.exists():
            missing = [p for p in (out, *out.parents) if not p.exists()]  # innermost first
            out.mkdir(parents=True)
            for folder in missing:
                folder.rmdir()
    except OSError as exc:
        return f"cannot write there ({exc.strerror or exc})"
    return problem


def command_viz(args) -> int:
    """Check the scenario (or the run folder to replay), then serve ``app.py`` with Solara until Ctrl-C."""
    import os
    import socket
    import subprocess

    if args.replay is not None:
        if args.scenario is not None:
            raise UsageError(f"--replay {args.replay}: not with a SCENARIO (a replay shows its own run)")
        from viz.replay import Replay, ReplayError

        try:  # every file read and checked here, before any server starts
            Replay(args.replay)
        except ReplayError as exc:
            raise UsageError(f"--replay {args.replay}: {exc}") from None
        choice = f"replay of {args.replay}"
    else:
        from simulation.scenario import load_scenario
        from viz.levers import DEFAULT_SCENARIO as DEFAULT_CHOICE
        from viz.levers import scenario_choice

        choice = DEFAULT_CHOICE
        if args.scenario is not None:
            load_scenario(args.scenario)
            choice = scenario_choice(args.scenario)
    host = "127.0.0.1"
    with socket.socket() as probe:  # a port in use is the user's to change, not a traceback
        try:
            probe.bind((host, args.port))
        except OSError:
            raise UsageError(f"--port {args.port}: already in use on {host}; pick another with --port") from None
        port = probe.getsockname()[1]
    url = f"http://{host}:{port}/"
    print(f"run.py: serving the campaign map on {url} ({choice}); Ctrl-C to stop", flush=True)
    # No calls out: Solara would ask PyPI for a newer version (blocking start-up on an
    # air-gapped machine) and send usage telemetry.
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    env.pop("EUPHRATES2017_REPLAY", None)
    if args.replay is not None:
        env["EUPHRATES2017_REPLAY"] = str(args.replay.resolve())
    else:
        env["EUPHRATES2017_SCENARIO"] = choice
    command = [sys.executable, "-m", "solara", "run", str(Path(__file__).resolve().parent / "app.py"),
               "--host", host, "--port", str(port), "--production", "--no-open", "--no-check-version"]
    # The server runs in a process group of its own, stopped whole when this process is
    # asked to stop (Ctrl-C, SIGTERM from a supervisor or a test, SIGHUP from a closed
    # terminal): killed or hung up, ``run.py viz`` never leaves a server behind.
    server = subprocess.Popen(command, env=env, start_new_session=True)
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _stop_serving) for sig in stops}
    try:
        return server.wait()
    except _StopServing as stop:
        return 0 if stop.signum == signal.SIGINT else 128 + stop.signum
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_group(server)


class _StopServing(Exception):
    """A signal asked ``run.py viz`` to stop."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop_serving(signum, frame) -> None:
    raise _StopServing(signum)


def _stop_group(server) -> None:
    """Stop a server's whole process group: SIGTERM, then SIGKILL what is left after 10 s."""
    import subprocess

    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(server.pid, signal.SIGKILL)  # anything of the group still there
    except ProcessLookupError:
        pass
    server.wait()


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, dispatch, and turn user mistakes into error lines (one per problem)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["run", str(DEFAULT_SCENARIO), *argv]  # ``python run.py --days 30``: the default scenario
    from simulation.scenario import ScenarioError

    try:
        args = build_parser().parse_args(argv)
        commands = {"run": command_run, "validate": command_validate, "schema": command_schema,
                    "calibrate": command_calibrate, "score": command_score, "sweep": command_sweep,
                    "report": command_report, "viz": command_viz}
        if args.command in commands:
            return commands[args.command](args)
        build_parser().print_help()
        return 2
    except UsageError as exc:
        print(f"run.py: error: {exc}", file=sys.stderr)
        return 2
    except ScenarioError as exc:  # one line per problem
        _print_problems(exc.problems)
        return 2
    except KeyboardInterrupt:
        print("run.py: interrupted; nothing written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``run.py schema | head``): stop quietly, with
        # the exit status of a process a broken pipe ends. What is still buffered for the
        # closed pipe goes nowhere rather than failing again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    code = main()
    # Everything is written and closed by now (each command's files, its helper and
    # worker processes): skip the interpreter's teardown of the hundreds of modules a
    # run loads (Mesa, pandas, numba, matplotlib), about 0.3 s after a run.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # e.g. a pipe closed by its reader
            pass
    os._exit(code)
