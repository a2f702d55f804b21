"""Sweeps: the sweep file, a real Dask cluster losing a worker, interruption and resume,
failing runs, and runs identical to ``run.py run``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.sweep import plan_sweep, run_seed
from simulation.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
JULY = ROOT / "scenarios" / "2017-07-04_raqqa.yaml"
NOT_DIVIDING = [[38.0, 36.0], [39.0, 35.5], [38.0, 36.0]]  # valid, but splits nothing at run time


def sweep_file(folder: Path, parameters: dict, name: str = "sweep.yaml", **extra) -> Path:
    spec = {"scenario": os.path.relpath(JULY, folder), "replicates": 4, "seed": 1, "days": 20, "cell_km": 20,
            "design": "grid", "parameters": parameters} | extra
    path = folder / name
    path.write_text(json.dumps(spec), encoding="utf-8")  # JSON is YAML
    return path


def run_py(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=240, **kwargs)


def start_sweep(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), "sweep", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_result(out: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not list(out.glob("p*.parquet")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no run finished in time"
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sorted_table(out: Path) -> pd.DataFrame:
    table = pd.read_parquet(out)
    return table.sort_values(["run_id", "kind", "step", "faction", "governorate", "event", "place", "detail"],
                             na_position="first").reset_index(drop=True)


# ---- the sweep file ------------------------------------------------------------------------


@pytest.mark.parametrize("change, expected", [
    ({"replicats": 3}, "replicats: unknown key 'replicats' (did you mean 'replicates'?)"),
    ({"design": "montecarlo"}, "design: input should be 'grid', 'lhs' or 'sobol'"),
    ({"parameters": {"sdf.manpower": {"low": 1, "high": 2}}}, "a grid takes a list of values"),
    ({"design": "sobol", "samples": 4, "parameters": {"sdf.manpower": [1, 2]}}, "sobol takes ranges"),
    ({"design": "lhs"}, "design lhs needs samples"),
    ({"parameters": {"sdf.manpower": [-5, 30000]}}, "point 0 (sdf.manpower=-5): --set sdf.manpower:"),
])
def test_bad_sweep_files_exit_2_with_one_line_each_and_write_nothing(tmp_path, change, expected):
    spec = {"parameters": {"sdf.manpower": [30000]}} | change
    path = sweep_file(tmp_path, **spec)
    result = run_py("sweep", path, "--out", tmp_path / "out")
    assert result.returncode == 2
    # A bad point is found after the planned count is announced (that line, then the error).
    lines = [line for line in result.stderr.strip().splitlines() if " runs planned (" not in line
             or line.startswith("run.py: error: ")]
    assert len(lines) == 1 and lines[0].startswith("run.py: error: ") and expected in lines[0], result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2
    assert not (tmp_path / "out").exists()


def test_designs_round_whole_numbers_and_seeds_derive_from_point_and_replicate(tmp_path):
    path = sweep_file(tmp_path, {"sdf.manpower": {"low": 30000, "high": 50000},
                                 "air.russia.sorties_per_day": {"low": 10.0, "high": 40.0}},
                      design="sobol", samples=4, replicates=2)
    plan = plan_sweep(path)
    assert len(plan.points) == 4 * (2 + 2)  # Saltelli, first and total order
    assert all(isinstance(p["sdf.manpower"], int) for p in plan.points)  # whole in the scenario
    assert all(isinstance(p["air.russia.sorties_per_day"], int) for p in plan.points)  # whole in the scenario
    assert plan.runs[3].run_id == "p0001-r01" and plan.runs[3].seed == run_seed(1, 1, 1)
    assert len({r.seed for r in plan.runs}) == len(plan.runs)
    lhs = plan_sweep(sweep_file(tmp_path, {"rules.deconfliction.line": ["euphrates", NOT_DIVIDING],
                                           "isis.recruits_per_day": {"low": 0.5, "high": 2.5}},
                                name="lhs.yaml", design="lhs", samples=6))
    assert [p == q for p, q in zip(lhs.points, plan_sweep(tmp_path / "lhs.yaml").points)] == [True] * 6
    assert lhs.column_types == {"rules.deconfliction.line": "str", "isis.recruits_per_day": "float"}
    with pytest.raises(ScenarioError):
        plan_sweep(sweep_file(tmp_path, {"sdf.manpwer": [1]}, name="typo.yaml"))


# ---- running ---------------------------------------------------------------------------------


def test_a_killed_worker_costs_only_a_retry(tmp_path):
    port = free_port()
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://127.0.0.1:{port}",
                                     "--nthreads", "1", "--nworkers", "1", "--no-nanny", "--no-dashboard"],
                                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for _ in range(2)]
        procs += workers
        out = tmp_path / "out"
        sweep = start_sweep(sweep_file(tmp_path, {"sdf.manpower": [30000, 40000, 50000]}), "--out", out,
                            "--scheduler", f"tcp://127.0.0.1:{port}")
        wait_for_result(out, sweep)
        workers[0].send_signal(signal.SIGKILL)
        assert len(list(out.glob("*.parquet"))) < 12  # killed mid-sweep
        stdout, stderr = sweep.communicate(timeout=180)
        assert sweep.returncode == 0, stderr
        assert "12 of 12 runs done, 0 failed" in stdout
        assert len(list(out.glob("*.parquet"))) == 12
        table = pd.read_parquet(out)
        assert table.run_id.nunique() == 12
        assert (table[table.kind == "daily"].groupby("run_id").size() == 21 * 4).all()  # no run twice
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_an_interrupted_sweep_resumes_to_the_uninterrupted_result(tmp_path):
    path = sweep_file(tmp_path, {"sdf.manpower": [30000, 50000]}, replicates=6)
    sweep = start_sweep(path, "--out", tmp_path / "cut", "--workers", "1")
    wait_for_result(tmp_path / "cut", sweep)
    sweep.send_signal(signal.SIGINT)
    _, stderr = sweep.communicate(timeout=60)
    assert sweep.returncode == 130, stderr
    assert "--resume" in stderr
    finished = list((tmp_path / "cut").glob("*.parquet"))
    assert 1 <= len(finished) < 12
    refused = run_py("sweep", path, "--out", tmp_path / "cut")
    assert refused.returncode == 2 and "use --resume or another --out" in refused.stderr
    resumed = run_py("sweep", path, "--out", tmp_path / "cut", "--resume", "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    whole = run_py("sweep", path, "--out", tmp_path / "whole", "--workers", "2")
    assert whole.returncode == 0, whole.stderr
    cut, full = sorted_table(tmp_path / "cut"), sorted_table(tmp_path / "whole")
    assert cut.run_id.nunique() == 12
    pd.testing.assert_frame_equal(cut, full)
    other = sweep_file(tmp_path, {"sdf.manpower": [30000, 40000]}, name="other.yaml", replicates=6)
    differs = run_py("sweep", other, "--out", tmp_path / "cut", "--resume")
    assert differs.returncode == 2 and "different sweep" in differs.stderr


def test_a_point_the_model_rejects_is_recorded_and_the_rest_complete(tmp_path):
    path = sweep_file(tmp_path, {"rules.deconfliction.line": ["euphrates", NOT_DIVIDING]}, replicates=2)
    out = tmp_path / "out"
    result = run_py("sweep", path, "--out", out, "--workers", "2")
    assert result.returncode == 1
    assert "2 runs failed" in result.stderr and "2 of 4 runs done, 2 failed" in result.stdout
    assert result.stderr.startswith("run.py: 4 runs planned (2 points × 2 replicates); checking each point\n")
    failed = sorted((out / "_failed").glob("*.json"))
    assert [f.stem for f in failed] == ["p0001-r00", "p0001-r01"]
    record = json.loads(failed[0].read_text())
    assert record["error"] == "ValueError: the line does not divide the theatre in two"
    assert record["parameters"] == {"rules.deconfliction.line": NOT_DIVIDING}
    table = pd.read_parquet(out)
    assert sorted(table.run_id.unique()) == ["p0000-r00", "p0000-r01"]
    assert set(table["rules.deconfliction.line"]) == {"euphrates"}


def test_a_run_equals_run_py_run_with_the_same_overrides_and_seed(tmp_path):
    path = sweep_file(tmp_path, {"sdf.manpower": [40000], "air.russia.sorties_per_day": [12.5]}, replicates=2)
    out = tmp_path / "out"
    assert run_py("sweep", path, "--out", out, "--workers", "1").returncode == 0
    manifest = json.loads((out / "_manifest.json").read_text())
    run = manifest["runs"][1]
    single = run_py("run", JULY, "--seed", run["seed"], "--days", 20, "--cell-km", 20, "--out", tmp_path / "one",
                    "--set", "sdf.manpower=40000", "--set", "air.russia.sorties_per_day=12.5")
    assert single.returncode == 0, single.stderr
    table = pd.read_parquet(out / f"{run['run_id']}.parquet")
    daily = pd.read_csv(tmp_path / "one" / "daily.csv", parse_dates=["date"])
    ours = table[table.kind == "daily"][list(daily.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, daily, check_dtype=False)
    events = pd.read_csv(tmp_path / "one" / "events.csv", parse_dates=["date"], keep_default_na=False)
    ours = table[table.kind == "event"][list(events.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, events, check_dtype=False)


def test_a_runs_table_holds_the_models_three_tables_with_nulls_where_a_part_has_no_column():
    from analysis.sweep_results import run_table
    from simulation import ConflictModel

    model = ConflictModel.from_scenario(JULY, seed=2, cell_km=20).run(40)
    run = {"run_id": "p0001-r00", "point": 1, "replicate": 0, "seed": 2, "parameters": {"sdf.manpower": 40000}}
    table = run_table(model, run, {"sdf.manpower": "float"}).to_pandas()
    parts = {"daily": model.daily, "governorate": model.daily_by_governorate, "event": model.events}
    assert len(parts["event"]) and list(table["kind"].unique()) == list(parts)  # in this order
    run_columns = {"kind", "run_id", "point", "replicate", "seed", "sdf.manpower"}
    for kind, frame in parts.items():
        ours = table[table.kind == kind].reset_index(drop=True)
        pd.testing.assert_frame_equal(ours[list(frame.columns)], frame, check_dtype=False)
        assert ours[sorted(set(table.columns) - set(frame.columns) - run_columns)].isna().all().all()
    assert (table["run_id"] == "p0001-r00").all() and (table["sdf.manpower"] == 40000.0).all()
    assert str(table["date"].dtype) == "datetime64[ns]" and str(table["step"].dtype) == "int64"


@pytest.mark.parametrize("path", sorted((ROOT / "sweeps").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_sweep_file_plans(path):
    from analysis.sweep import plan_sweep

    plan = plan_sweep(path)
    assert len(plan.runs) > 0


# ---- checking points, and the local cluster --------------------------------------------------


def test_each_point_is_checked_as_load_scenario_checks_it(tmp_path):
    from simulation.scenario import load_scenario

    path = sweep_file(tmp_path, {"sdf.manpower": {"low": 30000, "high": 50000},
                                 "isis.units.0.strength": {"low": 500, "high": 900},
                                 "rules.deconfliction.line": ["euphrates", NOT_DIVIDING]},
                      design="lhs", samples=5, replicates=1)
    plan = plan_sweep(path)
    assert [s == load_scenario(plan.scenario_path, p) for s, p in zip(plan.scenarios, plan.points)] == [True] * 5


def test_a_bad_point_is_named_with_load_scenarios_own_lines(tmp_path):
    from simulation.scenario import load_scenario

    grid = {"sdf.manpower": [-5, 40000], "sdf.units.0.place": ["Atlantis", "Kobani"], "name.first": ["x"]}
    path = sweep_file(tmp_path, grid, replicates=1)
    with pytest.raises(ScenarioError) as refused:
        plan_sweep(path)
    expected = []  # every point's own problems, each line once, naming the first point that has it
    for i, values in enumerate(__import__("itertools").product(*grid.values())):
        point = dict(zip(grid, values))
        with pytest.raises(ScenarioError) as one:
            load_scenario(JULY, point)
        expected += [(line, i) for line in one.value.problems if line not in {e for e, _ in expected}]
    assert len(refused.value.problems) == len(expected)
    for line, (problem, first) in zip(refused.value.problems, expected):
        assert line.startswith(f"{path}: point {first} (") and problem in line


def test_local_workers_start_with_the_model_loaded_and_glibcs_memory_defaults(monkeypatch):
    from analysis.sweep_runner import local_cluster

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    cluster, client = local_cluster(1)
    try:
        state = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS"),
                                    "simulation.model" in sys.modules,
                                    __import__("dask").config.get("distributed.worker.profile.enabled"),
                                    __import__("gc").get_freeze_count() > 10_000))
        # Dask's thread limits stay; what the worker loaded is out of the collector's full passes.
        assert list(state.values()) == [(None, "1", True, False, True)]
        assert cluster.scheduler.http_server.port != 8787  # no dashboard, no fixed port
        assert "MALLOC_TRIM_THRESHOLD_" not in os.environ  # nor set here by the nanny
    finally:
        client.close()
        cluster.close()


def test_a_sweep_file_may_name_a_shipped_scenario(tmp_path):
    path = sweep_file(tmp_path, {"air.russia.sorties_per_day": [0, 26]}, scenario="2017-07-04_raqqa")
    plan = plan_sweep(path)
    assert plan.scenario_path.resolve() == JULY.resolve()
    assert len(plan.scenarios) == 2
