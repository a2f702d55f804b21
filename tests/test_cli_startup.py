"""The command line starts light: what ``run.py`` imports to print help or refuse a mistake,
and a run's outputs whether its plots are drawn in the helper process or in the run's own."""

from __future__ import annotations

import filecmp
import json
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


# What Mesa imports for features the model does not use (simulation.mesa_compat.DEFERRED):
# a run that writes its tables as CSV loads none of them. Mesa 3.5's grids and network
# need scipy.spatial (which loads scipy.sparse) and networkx while Mesa is imported, so
# those come in there. Nor does a run load scipy's sparse matrices and graph searches:
# only the kernels' references use them.
RUN_LOADS_NOT = ("pandas", "networkx", "scipy.spatial", "tqdm.auto", "asyncio", "scipy.sparse", "scipy.sparse.csgraph")
MESA_SPATIAL = ("networkx", "scipy.spatial", "scipy.sparse")
MESA_NEEDS = {"3.3": (), "3.4": MESA_SPATIAL, "3.5": MESA_SPATIAL}

A_RUN = """
import json, sys
from simulation import ConflictModel
from simulation.export import write_tables
import mesa
model = ConflictModel.from_scenario("2017-07-04_raqqa", seed=2, cell_km=20).run(days=5)
write_tables(model, sys.argv[1])
print(json.dumps({"mesa": mesa.__version__, "loaded": sorted(m for m in %r if m in sys.modules)}))
""" % (RUN_LOADS_NOT,)


def test_a_run_that_writes_its_tables_loads_no_library_mesa_only_binds(tmp_path):
    done = subprocess.run([sys.executable, "-c", A_RUN, str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    needed = MESA_NEEDS.get(".".join(found["mesa"].split(".")[:2]), MESA_SPATIAL)
    assert set(found["loaded"]) <= set(needed), found
    assert "pandas" not in found["loaded"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["daily.csv", "daily_governorate.csv", "events.csv",
                                                          "strikes.csv"]


# Mesa's features that use what it was imported without still work, in a fresh process
# whose first import of Mesa is the model's.
MESA_FEATURES = """
import sys
import simulation  # the model's package: Mesa's first import leaves its extras out
import mesa
import networkx as nx
from mesa.space import NetworkGrid

class Counter(mesa.Model):
    def __init__(self, n=1, seed=None):
        super().__init__(seed=seed)
        self.n = n
        self.datacollector = mesa.DataCollector(model_reporters={"n": "n"}, tables={"t": ["a"]})

    def step(self):
        self.datacollector.collect(self)
        self.datacollector.add_table_row("t", {"a": self.steps})

model = Counter(3)
model.step()
assert model.datacollector.get_model_vars_dataframe()["n"].tolist() == [3]
assert model.datacollector.get_table_dataframe("t")["a"].tolist() == [1]
assert NetworkGrid(nx.path_graph(3)).get_neighborhood(1, include_center=False) == [0, 2]
rows = mesa.batch_run(Counter, {"n": [1, 2]}, max_steps=2, number_processes=1, display_progress=True)
assert sorted(r["n"] for r in rows) == [1, 2]
from mesa.experimental.continuous_space import ContinuousSpace
import numpy as np
space = ContinuousSpace([[0, 1], [0, 1]], torus=False, random=model.random)
assert mesa.experimental.continuous_space.ContinuousSpace is ContinuousSpace
assert type(sys.modules["pandas"]).__name__ == "module" and "mesa.experimental" in sys.modules
print("ok")
"""


def test_mesa_features_that_use_its_deferred_imports_still_work():
    done = subprocess.run([sys.executable, "-c", MESA_FEATURES], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr
