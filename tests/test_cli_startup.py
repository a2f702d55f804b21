"""The command line starts light: what ``run.py`` imports to print help or refuse a mistake,
and a run's outputs whether its plots are drawn in the helper process or in the run's own."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys

import pytest

from conftest import JULY, ROOT

# Libraries a run needs that printing help or refusing a mistake must not load.
HEAVY = ("mesa", "pandas", "matplotlib", "scipy", "dask", "distributed", "pyarrow", "numba", "SALib", "solara")
# ... and those a scenario's own checks need, which refusing a bad argument or a missing file must not load.
CHECKING = ("pydantic", "shapely", "numpy", "simulation.theatre", "simulation.model")


def imported(*args, cwd=ROOT) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``run.py ARGS`` and return it with the top-level packages and project modules it imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "run.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            names.add(name if name.startswith("simulation") else name.split(".")[0])
    return done, names


@pytest.mark.parametrize("args", [
    ["--help"],
    ["run", "--help"],
    ["run", JULY, "--seed", "-1"],
    ["run", JULY, "--cell-km", "1"],
    ["fly"],
    ["run", "missing.yaml"],
    ["validate", "no_such_scenario"],
], ids=["help", "run-help", "bad-seed", "bad-cell-km", "bad-command", "missing-file", "missing-name"])
def test_help_and_one_line_errors_load_no_heavy_library(tmp_path, args):
    done, names = imported(*args, cwd=tmp_path)
    assert done.returncode == (0 if "--help" in args else 2)
    assert not names & {*HEAVY, *CHECKING}, sorted(names & {*HEAVY, *CHECKING})


def test_a_bad_scenario_is_refused_before_the_model_or_matplotlib_are_loaded(tmp_path):
    bad = tmp_path / "negative.yaml"
    bad.write_text(JULY.read_text().replace("manpower: 50000", "manpower: -50000"))
    done, names = imported("run", bad, "--out", tmp_path / "out")
    assert done.returncode == 2 and "sdf.manpower: must be a number ≥ 0" in done.stderr
    assert not names & set(HEAVY), sorted(names & set(HEAVY))
    assert "simulation.model" not in names and not (tmp_path / "out").exists()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux CPU affinity")
def test_outputs_are_the_same_whether_plots_are_drawn_in_the_helper_or_in_the_run(tmp_path):
    args = [sys.executable, str(ROOT / "run.py"), "run", JULY, "--seed", 2, "--days", 30, "--cell-km", 20]
    helper = subprocess.run([*map(str, args), "--out", str(tmp_path / "helper")], capture_output=True, text=True)
    assert helper.returncode == 0, helper.stderr
    one_cpu = subprocess.run([*map(str, args), "--out", str(tmp_path / "alone")], capture_output=True, text=True,
                             preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}))
    assert one_cpu.returncode == 0, one_cpu.stderr
    names = ["daily.csv", "daily_governorate.csv", "events.csv", "strikes.csv", "control.geojson",
             "territory.png", "map.png"]
    same, different, missing = filecmp.cmpfiles(tmp_path / "helper", tmp_path / "alone", names, shallow=False)
    assert same == names, (different, missing)


def test_validate_checks_the_map_without_building_the_grid_or_loading_the_model():
    done, names = imported("validate", JULY)
    assert done.returncode == 0 and done.stdout.startswith("OK  ")
    loaded = names & {*HEAVY, "simulation.theatre", "simulation.model"}
    assert not loaded, sorted(loaded)
