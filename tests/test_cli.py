"""The command line: outputs of a run, and one-line errors that write nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from conftest import JULY, ROOT

RUN = [sys.executable, str(ROOT / "run.py")]


def cli(*args, cwd=None):
    return subprocess.run([*RUN, *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "results"
    done = cli("run", JULY, "--seed", 4, "--days", 45, "--cell-km", 20, "--out", out)
    assert done.returncode == 0, done.stderr
    return out


def test_run_writes_every_output(outputs):
    for name in ["daily.csv", "events.csv", "strikes.csv", "control.geojson", "territory.png", "map.png",
                 "daily_governorate.csv"]:
        assert (outputs / name).stat().st_size > 0, name


def test_daily_is_tidy(outputs):
    daily = pd.read_csv(outputs / "daily.csv", parse_dates=["date"])
    for column in ["date", "step", "faction", "area_km2", "cells", "population", "strength",
                   "manoeuvre", "overstretch"]:
        assert column in daily
    assert len(daily) == 4 * 46 and set(daily.faction) == {"ISIS", "SAA", "SDF", "ISF"}
    assert daily.groupby("step").size().eq(4).all()
    assert daily.date.min() == pd.Timestamp("2017-07-04")


def test_events_name_places_from_the_table(outputs):
    events = pd.read_csv(outputs / "events.csv", keep_default_na=False)
    assert list(events.columns[:6]) == ["date", "step", "event", "place", "faction", "detail"]
    captured = events[events.event == "captured"]
    assert len(captured) > 0
    from simulation.geography import load_geography

    names = {p.name for p in load_geography().places}
    assert set(captured.place) <= names
    assert set(captured.faction) <= {"ISIS", "SAA", "SDF", "ISF"}


def test_strikes_and_control_map(outputs):
    strikes = pd.read_csv(outputs / "strikes.csv")
    assert {"date", "air_arm", "lat", "lon", "target_faction"} <= set(strikes.columns)
    assert set(strikes.air_arm) <= {"coalition", "russia"} and len(strikes) > 0
    control = json.loads((outputs / "control.geojson").read_text())
    assert {f["properties"]["faction"] for f in control["features"]} <= {"ISIS", "SAA", "SDF", "ISF"}


def test_the_runs_map_is_the_days_map_as_plot_control_map_draws_it(outputs):
    """run.py's plot helper lays the map out while the model runs and colours it after: the same file as
    drawing the last day's map whole, to the byte."""
    from analysis.plots import besieged_cells, map_title, plot_control_map
    from simulation import ConflictModel, load_scenario

    scenario = load_scenario(JULY)
    model = ConflictModel(scenario, seed=4, cell_km=20).run(45)
    plot_control_map(model.theatre, model.control, outputs.parent / "whole.png", besieged=besieged_cells(model),
                     title=map_title(model.date, scenario.name, 4, scenario.start))
    assert (outputs / "map.png").read_bytes() == (outputs.parent / "whole.png").read_bytes()


def test_no_arguments_runs_the_july_scenario_into_results(tmp_path):
    done = subprocess.run(RUN, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    daily = pd.read_csv(tmp_path / "results" / "daily.csv")
    assert daily.date.max() == "2017-12-31"


def test_a_shipped_scenario_is_run_and_validated_by_its_name(tmp_path):
    out = tmp_path / "out"
    done = cli("run", "2017-07-04_raqqa", "--days", 2, "--cell-km", 20, "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out / "daily.csv")) == 4 * 3
    done = cli("validate", "variants/no_russian_air", "2017-09-05_deir_ez_zor", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["OK  variants/no_russian_air", "OK  2017-09-05_deir_ez_zor"]
    done = cli("validate", "no_such_scenario", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr == "run.py: error: no_such_scenario: no such scenario file\n"


@pytest.mark.parametrize("args, message", [
    (["run", "missing.yaml"], "missing.yaml: no such scenario file"),
    (["run", JULY, "--seed", "-1"], "--seed: must not be negative"),
    (["run", JULY, "--days", "0"], "--days: must be at least 1"),
    (["run", JULY, "--cell-km", "1"], "--cell-km: must be between 2 and 50 km"),
    (["run", JULY, "--seed", "x"], "--seed: expected a whole number"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_user_mistakes_get_one_line_exit_2_and_no_output(tmp_path, args, message):
    out = tmp_path / "out"
    done = cli(*args, "--out", out) if args[0] == "run" else cli(*args)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert not out.exists()


@pytest.mark.parametrize("text, message", [
    ("name: x\nstart: 2017-07-04\nend: [\n", "not valid YAML"),
    ("- a list\n", "a scenario must be a mapping"),
    ("!!python/object/apply:os.system ['true']\n", "tag '!!python/object/apply:os.system' is not allowed"),
])
def test_malformed_scenarios_are_refused(tmp_path, text, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    out = tmp_path / "out"
    done = cli("run", bad, "--out", out)
    assert done.returncode == 2 and message in done.stderr and not out.exists()


def test_bad_values_name_the_key(tmp_path):
    text = JULY.read_text().replace("manpower: 50000", "manpower: -50000")
    bad = tmp_path / "negative.yaml"
    bad.write_text(text)
    done = cli("run", bad, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert f"{bad}:" in done.stderr and "sdf.manpower: must be a number ≥ 0, got -50000" in done.stderr
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(JULY.read_text().replace("place: Hajin, weight: 1}", "place: Atlantis, weight: 1}"))
    done = cli("run", unknown, "--out", tmp_path / "out2")
    assert done.returncode == 2 and "unknown place 'Atlantis'" in done.stderr
