"""The library API a notebook uses: scenarios changed in code, a model inspected day by day,
maps on any day, displays that summarise, and a sweep run from Python."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import (first_order_indices, indices_plot, plot_map, plot_territory, run_sweep, sobol_indices,
                      sweep_milestones)
from simulation import ConflictModel, Faction, ScenarioError, load_scenario, shipped_scenarios

ROOT = Path(__file__).resolve().parent.parent
JULY = ROOT / "scenarios" / "2017-07-04_raqqa.yaml"


@pytest.fixture(scope="module")
def run30():
    """The July scenario at 20 km, 30 days in."""
    return ConflictModel(load_scenario("2017-07-04_raqqa"), seed=4, cell_km=20).run(30)


def test_load_scenario_takes_a_shipped_name_or_a_path_and_checks_the_map():
    assert load_scenario("2017-07-04_raqqa") == load_scenario(JULY)
    assert load_scenario("variants/sdf_30000").sdf.manpower == 30000
    assert set(shipped_scenarios()) >= {"2017-07-04_raqqa", "2017-09-05_deir_ez_zor", "variants/no_russian_air"}
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario("2017-07-04_raqqqa")
    with pytest.raises(ScenarioError, match=r"unknown place 'Raqa' \(did you mean 'Raqqa'\?\)"):
        load_scenario(JULY, {"sdf.objectives.0.place": "Raqa"})  # a map check, not the schema's


def test_with_overrides_equals_loading_with_the_same_overrides():
    base = load_scenario(JULY)
    changes = {"sdf.manpower": 30000, "air.russia.sorties_per_day": 0, "rules.deconfliction.enabled": False}
    changed = base.with_overrides(changes)
    assert changed == load_scenario(JULY, changes)
    assert base.sdf.manpower == 50000 and changed.sdf.manpower == 30000  # the original is untouched
    assert "SDF 30,000" in repr(changed) and "Russia 0" in repr(changed)


def test_with_overrides_reports_every_problem_in_one_line_each():
    base = load_scenario(JULY)
    with pytest.raises(ScenarioError) as caught:
        base.with_overrides({"sdf.manpower": -5, "sdf.manpwer": 3})
    assert caught.value.problems[0] == "with_overrides: sdf.manpower: must be a number ≥ 0, got -5"
    assert "did you mean" in caught.value.problems[1] or "unknown key 'manpwer'" in caught.value.problems[1]
    with pytest.raises(ScenarioError, match="sdf.fixed_commitment: must not exceed sdf.manpower"):
        base.with_overrides({"sdf.fixed_commitment": 90000})


def test_a_model_is_inspected_by_place_faction_and_day(run30):
    model = run30
    assert model.control_at("Raqqa", 0) == Faction.ISIS
    assert model.control_at("Hasakah") == Faction.SDF
    assert model.control_at("raqqa", "2017-07-04") == model.control_at("Raqqa", 0)
    for day in (0, 10, 30):
        assert np.array_equal(model.control_on(day), model.control_history[day])
    assert np.array_equal(model.control_on(), model.control)
    assert model.control_at("Mosul", 0) == Faction.ISIS and model.control_at("Mosul") == Faction.ISF
    with pytest.raises(ValueError, match=r"unknown place 'Raqa' \(did you mean 'Raqqa'\?\)"):
        model.control_at("Raqa")
    with pytest.raises(ValueError, match="the run covers 2017-07-04 \\(day 0\\) to 2017-08-03 \\(day 30\\)"):
        model.control_on(31)
    sdf = model.faction("SDF")
    assert sdf == model.faction(Faction.SDF) == model.faction("sdf")
    assert sdf.area_km2 == pytest.approx(model.area_held(Faction.SDF))
    assert sdf.units == len(model.units_of(Faction.SDF))
    assert sdf.overstretch == model.overstretch[Faction.SDF] and 0 < sdf.overstretch < 2
    assert sdf.date == model.date and 0 <= sdf.supplied_share <= 1
    with pytest.raises(ValueError, match="unknown faction 'SFD'"):
        model.faction("SFD")


def test_the_control_history_is_the_run_replayed():
    scenario = load_scenario(JULY)
    whole = ConflictModel(scenario, seed=2, cell_km=20).run(12)
    for day in (0, 5, 12):
        partial = ConflictModel(scenario, seed=2, cell_km=20).run(day)
        assert np.array_equal(whole.control_on(day), partial.control)
    with pytest.raises(ValueError):
        whole.control_history[3][0] = 1  # kept read-only


def test_displays_summarise(run30):
    text = repr(run30)
    assert "3 August 2017: day 30 of 180" in text
    for f in Faction:
        assert f.name in text
    assert "units" in text and "km²" in text and "deconfliction in force" in text
    assert str(Faction.SDF) == "SDF"
    faction = repr(run30.faction("ISIS"))
    assert faction.startswith("ISIS on 2017-08-03:") and "overstretch" in faction and "fighters" in faction
    assert repr(run30.spec).startswith("Scenario('4 July 2017: the battle for Raqqa': 2017-07-04 to 2017-12-31")


def test_maps_on_any_day_and_territory_from_the_model(run30):
    fig = plot_map(run30, "2017-07-14")
    assert fig.axes[0].get_title().startswith("Control on 14 Jul 2017 (day 10) · The battle for Raqqa")
    assert plot_map(run30).axes[0].get_title().startswith("Control on 3 Aug 2017 (day 30) · ")
    with pytest.raises(ValueError):
        plot_map(run30, 45)
    assert len(plot_territory(run30).axes[0].collections) == len(plot_territory(run30.daily).axes[0].collections)


def test_run_sweep_from_a_dict_matches_the_command_line(tmp_path):
    sweep = {"scenario": "2017-07-04_raqqa", "replicates": 2, "seed": 5, "days": 8, "cell_km": 20,
             "parameters": {"sdf.manpower": [30000, 50000]}}
    table = run_sweep(sweep, out=tmp_path / "py", workers=2, progress=False)
    assert table.attrs["folder"] == str(tmp_path / "py")
    assert sorted(table["run_id"].unique()) == ["p0000-r00", "p0000-r01", "p0001-r00", "p0001-r01"]
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(yaml.safe_dump({**sweep, "scenario": str(JULY)}))
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(sweep_file), "--out",
                           str(tmp_path / "cli"), "--workers", "2"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    cli = pd.read_parquet(tmp_path / "cli")
    key = ["run_id", "kind", "date", "faction", "governorate", "event", "place"]
    pd.testing.assert_frame_equal(table.sort_values(key).reset_index(drop=True),
                                  cli.sort_values(key).reset_index(drop=True), check_like=True)
    milestones = sweep_milestones(table)
    assert len(milestones) == 4 and set(milestones["sdf.manpower"]) == {30000.0, 50000.0}
    with pytest.raises(ValueError, match="No parameter is a range"):
        sobol_indices(table)
    with pytest.raises(ScenarioError, match="sdf.manpower"):
        run_sweep({**sweep, "parameters": {"sdf.manpower": [-1]}}, out=tmp_path / "bad", progress=False)
    assert not (tmp_path / "bad").exists()


def test_first_order_indices_find_the_parameter_that_drives_the_outcome():
    """Over 12 synthetic Latin hypercubes of 48 runs: a date driven by one parameter plus noise."""
    n, driver_s1, idle_s1, idle_covered = 48, [], [], 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        driver, idle = ((rng.permutation(n) + rng.uniform(size=n)) / n for _ in range(2))
        milestones = pd.DataFrame({
            "run_id": [f"r{i}" for i in range(n)], "point": range(n), "replicate": 0, "seed": range(n),
            "driver": driver, "idle": idle, "start": pd.Timestamp("2017-07-04"),
            "end": pd.Timestamp("2017-12-01"), "siege_broken": 40 + 60 * driver + rng.normal(0, 2, n),
        })
        indices = first_order_indices(milestones, outcomes=["siege_broken"], seed=seed).set_index("parameter")
        assert list(indices.index) == ["driver", "idle"]  # found without being named
        driver_s1.append(indices.loc["driver", "S1"])
        idle_s1.append(indices.loc["idle", "S1"])
        idle_covered += abs(indices.loc["idle", "S1"]) <= indices.loc["idle", "S1_conf"]
    assert np.mean(driver_s1) > 0.9 and min(driver_s1) > 0.8
    assert abs(np.mean(idle_s1)) < 0.08  # no bias for a parameter that does nothing
    assert idle_covered >= 10  # its interval holds 0 in most designs
    assert len(indices_plot(indices.reset_index()).axes) >= 1
