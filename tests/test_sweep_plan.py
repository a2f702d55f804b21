"""Planning a sweep: its size counted from the file alone, and each point checked quickly yet exactly
as ``load_scenario`` checks it (the same Scenario, or the same problem lines)."""

from __future__ import annotations

import json
import os

import pytest
from conftest import JULY

from analysis.sweep import plan_sweep, read_sweep, sweep_size
from simulation.scenario import ScenarioError, load_scenario


def sweep_file(folder, parameters: dict, **extra):
    spec = {"scenario": os.path.relpath(JULY, folder), "replicates": 2, "seed": 1, "design": "grid",
            "parameters": parameters} | extra
    path = folder / "sweep.yaml"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


@pytest.mark.parametrize("parameters, extra", [
    ({}, {}),
    ({"sdf.manpower": [30000, 40000, 50000], "air.russia.sorties_per_day": [0, 26]}, {}),
    ({"sdf.manpower": {"low": 30000, "high": 50000}, "rules.deconfliction.line": ["euphrates"]},
     {"design": "lhs", "samples": 7}),
    ({"sdf.manpower": {"low": 30000, "high": 50000}, "air.russia.sorties_per_day": {"low": 0, "high": 52},
      "isis.recruits_per_day": {"low": 0.5, "high": 2.5}}, {"design": "sobol", "samples": 4}),
], ids=["no parameters", "grid", "lhs", "sobol"])
def test_the_size_is_counted_without_drawing_the_points(tmp_path, parameters, extra):
    path = sweep_file(tmp_path, parameters, **extra)
    size = sweep_size(read_sweep(path)[0])
    announced = []
    plan = plan_sweep(path, announce=announced.append)
    assert announced == [size] == [plan.size]
    assert (size.points, size.runs) == (len(plan.points), len(plan.runs))


# Points that set keys all through the scenario, good and bad: a section's number, a rule,
# a unit's place or position, a whole unit, the dates, a key that leads nowhere.
POINTS = [
    {"sdf.manpower": 40000, "air.russia.sorties_per_day": 3.5},
    {"isis.units.0.strength": 700, "sdf.units.0.at": [39.1, 35.97], "rules.morale.recovery_ceiling": 0.6},
    {"rules.deconfliction.line": [[38.0, 36.0], [39.0, 35.5], [38.0, 36.1]], "rules.combat.noise_sd": 0.1},
    {"isis.units.1.place": "Raqqa", "sdf.objectives.0.weight": 3, "control.default": "SDF"},
    {"isis.units.0": {"name": "x", "place": "Raqqa", "strength": 5}, "air.coalition.priority.SDF": 2},
    {"end": "2017-09-01", "cell_km": 15},
    {"sdf.manpower": -5},
    {"sdf.units.0.place": "Atlantis"},
    {"sdf.units.0.at": [50, 50], "air.russia.sorties_per_day": 5000},
    {"sdf.units.0.at": [39.0, 35.95]},
    {"sdf.units.0.strength": 1e9},
    {"rules.morale.recovery_ceiling": 2, "rules.deconfliction.line": [[38, 36]]},
    {"sdf.units.0.bogus": 1, "name.first": "x"},
    {"isis.units.0.at": [39.0, 36.0]},
    {"sdf.manpower": True},
    {"isis.units.0.place": "Atlantis", "sdf.manpower": -1},
    {"end": "2017-07-01"},
]


@pytest.mark.parametrize("point", POINTS, ids=[json.dumps(p)[:60] for p in POINTS])
def test_a_point_is_checked_as_load_scenario_checks_it(tmp_path, point):
    path = sweep_file(tmp_path, {key: [value] for key, value in point.items()}, replicates=1)
    try:  # the scenario named as the sweep file names it, so that the problem lines name it alike
        expected = load_scenario(tmp_path / os.path.relpath(JULY, tmp_path), point)
    except ScenarioError as refused:
        with pytest.raises(ScenarioError) as ours:
            plan_sweep(path)
        assert ours.value.problems == [f"{path}: point 0 ({p}): {line}" for line in refused.problems
                                       for p in [", ".join(f"{k}={json.dumps(v)}" for k, v in point.items())]]
        return
    scenario = plan_sweep(path).scenarios[0]
    assert scenario == expected
    assert scenario.model_dump() == expected.model_dump()
    assert scenario.model_fields_set == expected.model_fields_set
    assert scenario.rules.model_fields_set == expected.rules.model_fields_set


def test_points_share_what_they_do_not_change(tmp_path):
    plan = plan_sweep(sweep_file(tmp_path, {"air.russia.sorties_per_day": [0, 13, 26]}))
    first, second = plan.scenarios[:2]
    assert first.air.russia.sorties_per_day == 0 and second.air.russia.sorties_per_day == 13
    assert first.sdf is second.sdf and first.rules is second.rules  # not copied for each point
    assert first.air.coalition is second.air.coalition


def test_days_past_the_end_of_a_points_scenario_are_refused(tmp_path):
    with pytest.raises(ScenarioError) as refused:
        plan_sweep(sweep_file(tmp_path, {"end": ["2017-12-31", "2017-08-01"]}, days=100))
    (line,) = refused.value.problems
    assert line.startswith(f"{tmp_path / 'sweep.yaml'}: point 1 (end=\"2017-08-01\"): ")
    assert line.endswith("days: 100 is past the scenario's end (2017-08-01, 28 days after its start); run at most "
                         "28, or leave days out to run to the end")
