"""``run.py calibrate``: calibration by ABC-SMC (pyabc on Dask) against the record's training events.

Real runs throughout: the shipped parameter table against the July scenario, the
command line's one-line refusals, the statistics of a real simulation, and a tiny
real fit on a local Dask cluster that is interrupted, refused and resumed.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid

import numpy as np
import pandas as pd
import psutil
import pytest
import yaml
from conftest import JULY, ROOT

from analysis.inference.distance import DAYS_PER_DOUBLING, RecordDistance, error_days
from analysis.inference.parameters import MAX_PARAMETERS, ParameterError, check_against, load_parameters
from analysis.inference.posterior import weighted_quantiles
from analysis.inference.summaries import Simulator, Target, particle_seed, targets, training_record
from analysis.record import load_record
from analysis.scoring import event_ranks
from simulation import load_scenario

RUN = [sys.executable, str(ROOT / "run.py")]
TINY = ["--cell-km", "20", "--population", "6", "--workers", "2"]
REPORT = ["posterior.csv", "posterior.yaml", "generations.csv", "posterior.png", "fit.md"]


def run_py(*args, env=None, **kwargs):
    return subprocess.run([*RUN, *map(str, args)], capture_output=True, text=True, env=env, **kwargs)


def with_marker(marker: str) -> dict:
    """The environment with a marker that every process the command starts inherits."""
    return {**os.environ, "EUPHRATES_TEST_MARKER": marker}


def processes_marked(marker: str, within_s: float = 0.0) -> list[int]:
    """Processes still alive that inherited the marker (a fit's Dask scheduler, nannies, workers),
    after waiting up to ``within_s`` seconds for them to go."""
    deadline = time.monotonic() + within_s
    while True:
        found = []
        for proc in psutil.process_iter(["pid"]):
            try:
                if proc.environ().get("EUPHRATES_TEST_MARKER") == marker and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc.pid)
            except (psutil.Error, OSError):
                continue
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)


# ---- the parameter table ------------------------------------------------------------------
def dotted_get(data, key):
    for part in key.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def test_the_shipped_table_loads_and_each_key_is_a_real_override_of_the_july_scenario(july):
    table = check_against(load_parameters(), july)
    assert 1 <= len(table) <= MAX_PARAMETERS
    assert len({p.key for p in table}) == len(table)
    for p in table:
        assert p.low < p.high and p.scale in ("linear", "log") and len(p.basis.split()) >= 8, p.key
        middle = p.override((p.to_fit(p.low) + p.to_fit(p.high)) / 2)
        before = dotted_get(july.model_dump(), p.key)
        after = dotted_get(july.with_overrides({p.key: middle}).model_dump(), p.key)
        assert after == pytest.approx(middle) and after != before, p.key
        assert p.from_fit(p.to_fit(p.low)) == pytest.approx(p.low)


@pytest.mark.parametrize("entry, message", [
    ({"key": "rules.combat.kill_rate", "low": 0.001, "high": 0.01, "scale": "log", "basis": "x"},
     "not a key of the scenario (did you mean 'rules.combat.kill_rate_per_day'?)"),
    ({"key": "rules.deconfliction.enabled", "low": 0, "high": 1, "scale": "linear", "basis": "x"}, "not a number"),
    ({"key": "rules.supply.decay_per_day", "low": 0.01, "high": 1.5, "scale": "linear", "basis": "x"},
     "1.5 is refused by the scenario's checks: must be at most 1"),
])
def test_keys_are_checked_against_the_scenario(july, entry, message):
    from analysis.inference.parameters import parameters_from

    with pytest.raises(ParameterError, match=re.escape(message)):
        check_against(parameters_from([entry], "p.yaml"), july, "p.yaml")


def test_whole_number_keys_are_rounded(july):
    from analysis.inference.parameters import parameters_from

    table = check_against(parameters_from([{"key": "rules.combat.substeps", "low": 2, "high": 8, "scale": "linear",
                                            "basis": "x"}]), july)
    assert table[0].whole and table[0].override(3.6) == 4 and isinstance(table[0].override(3.6), int)


# ---- one-line refusals, before anything runs ------------------------------------------------
GOOD = {"key": "rules.combat.kill_rate_per_day", "low": 0.001, "high": 0.016, "scale": "log", "basis": "a reason"}


def table_file(tmp_path, entries) -> str:
    path = tmp_path / "parameters.yaml"
    path.write_text(yaml.safe_dump(entries))
    return str(path)


@pytest.mark.parametrize("case, message", [
    ("unknown key", "not a key of the scenario"),
    ("low above high", "low (0.02) must be below high (0.01)"),
    ("log with low 0", "a log scale needs low > 0, got 0"),
    ("eleven parameters", f"11 parameters; a fit takes at most {MAX_PARAMETERS}"),
    ("no basis", "missing basis"),
    ("missing table", "no such parameter file"),
    ("out is a file", "exists and is not a folder"),
    ("out holds something else", "is not empty and holds no fit"),
    ("resume without a fit", "holds no fit to resume"),
    ("workers and scheduler", "--workers: not with --scheduler"),
    ("population of one", "--population: must be at least 2"),
    ("negative min epsilon", "--min-epsilon: must not be negative"),
])
def test_mistakes_are_one_line_exit_2_and_leave_no_folder(tmp_path, case, message):
    out, extra = tmp_path / "fit", []
    entries = {"unknown key": [{**GOOD, "key": "rules.combat.kill_rate"}],
               "low above high": [{**GOOD, "low": 0.02, "high": 0.01}],
               "log with low 0": [{**GOOD, "low": 0}],
               "eleven parameters": [{**GOOD, "key": f"rules.combat.k{i}"} for i in range(11)],
               "no basis": [{k: v for k, v in GOOD.items() if k != "basis"}]}
    if case in entries:
        extra = ["--parameters", table_file(tmp_path, entries[case])]
    elif case == "missing table":
        extra = ["--parameters", tmp_path / "nowhere.yaml"]
    elif case == "out is a file":
        out.write_text("keep me")
    elif case == "out holds something else":
        out.mkdir()
        (out / "notes.txt").write_text("keep me")
    elif case == "resume without a fit":
        extra = ["--resume"]
    elif case == "workers and scheduler":
        extra = ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]
    elif case == "population of one":
        extra = ["--population", "1"]
    else:
        extra = ["--min-epsilon", "-1"]
    before = sorted(p.name for p in tmp_path.iterdir())
    done = run_py("calibrate", JULY, "--out", out, *extra)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("run.py: error: ") and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no folder made, nothing beside
    if case in ("out is a file", "out holds something else"):
        kept = out if out.is_file() else out / "notes.txt"
        assert kept.read_text() == "keep me"


def test_calibrate_help_loads_neither_pyabc_nor_the_model():
    done = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "run.py"), "calibrate", "--help"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "--resume" in done.stdout and "--max-simulations" in done.stdout
    loaded = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in done.stderr.splitlines()
              if line.startswith("import time:") and "|" in line}
    assert not loaded & {"pyabc", "dask", "distributed", "pandas", "mesa", "matplotlib", "pydantic"}


# ---- the statistics: training events only ---------------------------------------------------
def test_the_fit_sees_the_training_events_only(july):
    record = load_record()
    training = training_record()
    test_ids = {e.id for e in record if e.split == "test"}
    assert test_ids and {e.split for e in training.events} == {"training"}
    assert [e.id for e in training.events] == [e.id for e in record if e.split == "training"]
    fit_targets = targets(training.events, july.start, july.end)
    assert {t.id for t in fit_targets} == {e.id for e in training.events}  # July shows all 34
    assert not {t.id for t in fit_targets} & test_ids
    with pytest.raises(ValueError, match="training events only"):
        targets(record, july.start, july.end)  # the whole record, test events in it, is refused


def test_counterparts_are_counted_over_the_whole_record():
    # Abu Kamal's second SAA capture is training, the first test: it is still the second capture in a run.
    ranks = training_record().ranks
    full = event_ranks(load_record())
    assert ranks == {k: full[k] for k in ranks}
    assert ranks["abu_kamal_captured_saa_second"] == 2 and ranks["incident_sdf_shelling_claim_sep21"] == 3


def test_a_later_scenario_leaves_out_what_it_cannot_show():
    sep = load_scenario("2017-09-05_deir_ez_zor")
    ids = {t.id for t in targets(training_record().events, sep.start, sep.end)}
    assert "mosul_city_cleared" not in ids and "raqqa_sdf_share_jul24" not in ids
    assert "deir_ez_zor_city_cleared" in ids and "raqqa_sdf_share_sep20" in ids


def test_one_simulation_gives_each_training_statistic_and_repeats_exactly(july):
    table = check_against(load_parameters(), july)
    simulator = Simulator(july, table, 20.0, training_record(), fit_seed=3)
    point = {p.name: float(np.mean(p.fit_bounds)) for p in table}
    stats = simulator(point)
    assert list(stats) == [t.id for t in simulator.targets]
    for t in simulator.targets:
        value = stats[t.id]
        if t.kind == "day":
            assert 0 <= value <= july.days + 1 and value == int(value)
        elif t.kind.startswith("share_"):
            assert 0 <= value <= 1
        else:
            assert value >= 0
    assert simulator(point) == stats  # the seed comes from the point
    assert simulator.seed_of(point) == particle_seed(3, [point[p.name] for p in table]) != particle_seed(4, [0.0])
    distance = RecordDistance(simulator.targets)(stats)
    assert 0 <= distance < math.inf


# ---- the distance and the weighted quantiles --------------------------------------------------
@pytest.mark.parametrize("target, value, days", [
    (Target("a", "day", 10, 14), 12, 0.0),
    (Target("a", "day", 10, 14), 20, 6.0),
    (Target("a", "day", 10, 14), 4, 6.0),
    (Target("a", "share_of_city", 0.4, 0.5), 0.6, 10.0),
    (Target("a", "share_of_governorate", 0.3, 0.3), 0.25, 5.0),
    (Target("a", "isis_fighters", 1400, 2000), 1600, 0.0),
    (Target("a", "isis_fighters", 300, 300), 700, DAYS_PER_DOUBLING),
    (Target("a", "isis_fighters", 300, 300), 0, DAYS_PER_DOUBLING * 2),
    (Target("a", "day", 0, 1), float("nan"), math.inf),
])
def test_error_in_days(target, value, days):
    assert error_days(target, value) == pytest.approx(days)


def test_the_distance_is_the_mean_error():
    ts = (Target("a", "day", 10, 10), Target("b", "share_of_city", 0.5, 0.5))
    assert RecordDistance(ts)({"a": 16, "b": 0.5, "c": 999}) == pytest.approx(3.0)


def test_weighted_quantiles():
    values = np.arange(1, 101, dtype=float)
    q = weighted_quantiles(values, np.ones(100), [0.05, 0.5, 0.95])
    assert q == pytest.approx(np.quantile(values, [0.05, 0.5, 0.95]), abs=0.6)
    assert weighted_quantiles([1.0, 2.0, 3.0], [0.0, 1.0, 0.0], [0.05, 0.5, 0.95]).tolist() == [2.0, 2.0, 2.0]


# ---- a tiny real fit on a local Dask cluster ------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_fit(tmp_path_factory):
    """Two generations of six particles at 20 km on two Dask workers; then resumed to three."""
    out = tmp_path_factory.mktemp("fit") / "tiny"
    marker = uuid.uuid4().hex
    first = run_py("calibrate", JULY, *TINY, "--generations", "2", "--out", out, env=with_marker(marker))
    assert first.returncode == 0, first.stderr
    two = {name: (out / name).read_bytes() for name in ("generations.csv", "posterior.csv")}
    left = processes_marked(marker)
    return out, first, two, left


def test_the_fit_writes_every_file_and_stops_its_cluster(tiny_fit):
    out, first, _, left = tiny_fit
    assert sorted(p.name for p in out.iterdir()) == sorted([*REPORT, "fit.db", "fit.json"])
    for name in REPORT:
        assert (out / name).stat().st_size > 0, name
    assert "2 generations" in first.stdout and "fit.md" in first.stdout
    assert first.stderr.count("calibrate: generation ") == 2  # one line each, no bar off a terminal
    assert not left, f"processes of the fit still running: {left}"


def test_the_posterior_lies_inside_the_priors(tiny_fit, july):
    out, _, two, _ = tiny_fit
    table = check_against(load_parameters(), july)
    posterior = pd.read_csv(io.BytesIO(two["posterior.csv"]))
    assert len(posterior) == 6 and posterior.weight.sum() == pytest.approx(1.0)
    for p in table:
        assert posterior[p.key].between(p.low, p.high).all(), p.key
    generations = pd.read_csv(io.BytesIO(two["generations.csv"]))
    assert list(generations.generation) == [1, 2] and (generations.accepted == 6).all()
    assert math.isinf(generations.epsilon_days[0]) and generations.epsilon_days[1] > 0
    assert (generations.simulations >= 6).all()


def test_a_posterior_particle_reruns_alone_to_its_stored_statistics(tiny_fit, july):
    import pyabc

    out, *_ = tiny_fit
    history = pyabc.History(f"sqlite:///{out / 'fit.db'}", create=False)
    assert set(history.observed_sum_stat()) == {e.id for e in training_record().events}  # no test event stored
    population = history.get_population(t=history.max_t)
    particle = population.particles[0]
    table = check_against(load_parameters(), july)
    simulator = Simulator(july, table, 20.0, training_record(), fit_seed=1)
    assert simulator(dict(particle.parameter)) == pytest.approx(dict(particle.sum_stat))


def test_the_report_states_the_marginals(tiny_fit):
    out, *_ = tiny_fit
    doc = yaml.safe_load((out / "posterior.yaml").read_text())
    table = load_parameters()
    assert list(doc["parameters"]) == [p.key for p in table]
    for p in table:
        entry = doc["parameters"][p.key]
        assert entry["ci90"][0] <= entry["ci50"][0] <= entry["estimate"] <= entry["ci50"][1] <= entry["ci90"][1]
        assert entry["prior"] == {"low": p.low, "high": p.high, "scale": p.scale} and entry["basis"] == p.basis
    text = (out / "fit.md").read_text()
    assert "training" in text and "posterior.png" in text and "| `rules.combat.kill_rate_per_day` |" in text


def test_a_folder_holding_a_fit_is_refused_and_resume_goes_on_from_it(tiny_fit):
    out, _, two, _ = tiny_fit
    before = (out / "fit.db").read_bytes()
    refused = run_py("calibrate", JULY, "--out", out, *TINY)
    assert refused.returncode == 2 and "already holds a fit; go on with it with --resume" in refused.stderr
    other = run_py("calibrate", JULY, "--out", out, "--resume", "--population", "9")
    assert other.returncode == 2 and "--population 9: the fit in" in other.stderr
    assert (out / "fit.db").read_bytes() == before
    resumed = run_py("calibrate", JULY, "--out", out, "--resume", "--generations", "3", "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.count("calibrate: generation ") == 1 and "generation 3/3" in resumed.stderr
    generations = pd.read_csv(out / "generations.csv")
    assert list(generations.generation) == [1, 2, 3]  # went on, did not start again
    kept = pd.read_csv(io.BytesIO(two["generations.csv"]))
    pd.testing.assert_frame_equal(generations.iloc[:2], kept)
    assert generations.epsilon_days[2] <= generations.epsilon_days[1]
    done = run_py("calibrate", JULY, "--out", out, "--resume", "--generations", "3")
    assert done.returncode == 0 and "already done" in done.stdout  # nothing to run: the report again


def test_an_interrupted_fit_keeps_its_generations_and_says_how_to_resume(tmp_path):
    out, marker = tmp_path / "cut", uuid.uuid4().hex
    fit = subprocess.Popen([*RUN, "calibrate", str(JULY), "--cell-km", "20", "--population", "4", "--workers", "2",
                            "--generations", "5", "--out", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=with_marker(marker),
                           start_new_session=True,  # Ctrl-C reaches the whole group, as at a terminal
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while stored_generations(out) < 1 and fit.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        os.killpg(fit.pid, signal.SIGINT)
        _, stderr = fit.communicate(timeout=60)
    finally:
        if fit.poll() is None:
            os.killpg(fit.pid, signal.SIGKILL)
    assert fit.returncode == 130, stderr
    assert "go on with: python run.py calibrate" in stderr and "--resume --generations 5" in stderr
    assert "Traceback" not in stderr
    assert stored_generations(out) >= 1 and not (out / "fit.md").exists()
    assert json.loads((out / "fit.json").read_text())["population"] == 4
    assert not processes_marked(marker, within_s=20)  # a loaded machine takes a while to reap them


def stored_generations(out) -> int:
    if not (out / "fit.db").is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{out / 'fit.db'}?mode=ro", uri=True) as db:
            return db.execute("select count(*) from populations where t >= 0").fetchone()[0]
    except sqlite3.Error:
        return 0


# ---- the shipped posterior ------------------------------------------------------------------
POSTERIOR_FILE = ROOT / "analysis" / "inference" / "posterior.yaml"


def test_the_shipped_defaults_are_the_posterior_estimates(july):
    """Every free parameter's default (all three dated scenarios use the defaults) is the
    fit's point estimate to three significant figures, inside its 90% interval."""
    posterior = yaml.safe_load(POSTERIOR_FILE.read_text(encoding="utf-8"))
    assert posterior["scenario"] == "2017-07-04_raqqa" and posterior["simulations"] > 1000
    shipped = {p.key for p in load_parameters()}
    assert set(posterior["parameters"]) == shipped
    rules = july.rules.model_dump()
    for key, fitted in posterior["parameters"].items():
        section, name = key.split(".")[1:]
        default = rules[section][name]
        assert default == pytest.approx(float(f"{fitted['estimate']:.3g}"), rel=1e-9), key
        low, high = fitted["ci90"]
        assert low <= default <= high, key


def test_effective_sample_size():
    from analysis.inference.posterior import effective_sample_size

    assert effective_sample_size([1.0] * 8) == pytest.approx(8.0)
    assert effective_sample_size([5.0, 0.0, 0.0]) == pytest.approx(1.0)
    assert effective_sample_size([3.0, 1.0]) == pytest.approx(16 / 10)


def test_a_ctrl_c_stops_the_simulations_at_once_and_waits_out_a_database_write():
    # pyabc writes each generation to its database between simulations: a KeyboardInterrupt inside
    # SQLAlchemy was logged with its traceback, or left the database locked and the fit hung.
    from analysis.inference.progress import FitProgress, ctrl_c_kept

    progress = FitProgress(5, 4, stream=io.StringIO())
    with ctrl_c_kept(progress):
        with pytest.raises(KeyboardInterrupt), progress.simulating():
            signal.raise_signal(signal.SIGINT)
            raise AssertionError("not stopped at once")
        progress.interrupted = False
        signal.raise_signal(signal.SIGINT)  # as a generation is written: nothing raised here
        written = True
        assert written and progress.interrupted
        with pytest.raises(KeyboardInterrupt), progress.simulating():  # the next generation's simulations
            raise AssertionError("not stopped as the simulations began")
    assert not progress.sampling


def test_a_ctrl_c_python_would_drop_in_a_finaliser_still_stops_the_fit(capsys):
    # A Ctrl-C that lands in a finaliser is only printed by Python ("Exception ignored in")
    # and the fit would go on; under ctrl_c_kept it is silent there and raised at the next result.
    from analysis.inference.progress import FitProgress, ctrl_c_kept

    class PressedWhileCollected:
        def __del__(self):
            signal.raise_signal(signal.SIGINT)  # the handler runs here, inside the finaliser

    before = signal.getsignal(signal.SIGINT)  # Python's own, or SIG_IGN in a job started in the background
    progress = FitProgress(5, 4, stream=io.StringIO())
    with ctrl_c_kept(progress):
        with progress.simulating():  # waiting on simulations, where a press raises at once
            PressedWhileCollected()  # collected at once: the KeyboardInterrupt is raised and dropped in __del__
            assert progress.interrupted
            with pytest.raises(KeyboardInterrupt):
                progress.particle(accepted=True)
    assert "Exception ignored" not in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before  # put back as it was
    progress.interrupted = False
    progress.particle(accepted=True)  # outside a press, results count as before
    assert progress.simulated == 1
