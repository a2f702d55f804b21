"""Scenario checking on the command line: the malformed corpus, ``--set``, ``validate``, ``schema``.

Each file in ``tests/malformed/`` breaks one thing; ``expected.yaml`` holds the exact
line ``run.py validate`` must print for it, with the path as given on the command line
(from the repository root) and the line number.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from conftest import JULY, ROOT
from simulation import Faction

MALFORMED = ROOT / "tests" / "malformed"
EXPECTED = yaml.safe_load((MALFORMED / "expected.yaml").read_text(encoding="utf-8"))
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))
PREFIX = "run.py: error: "


def cli(*args):
    """run.py from the repository root, so paths print as given."""
    return subprocess.run([sys.executable, "run.py", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def problem_lines(done) -> list[str]:
    lines = done.stderr.splitlines()
    assert all(line.startswith(PREFIX) for line in lines), done.stderr
    return [line.removeprefix(PREFIX) for line in lines]


def test_every_malformed_file_has_its_expected_message():
    files = {p.name for p in MALFORMED.glob("*.yaml")} - {"expected.yaml"}
    assert files == set(EXPECTED) and len(files) >= 24


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    """For each malformed file, ``run.py validate FILE`` and ``run.py run FILE --out DIR``.

    The 2 x 37 commands are independent, so they run side by side (a second each,
    mostly imports); each test below then reads its own file's outcome.
    """
    base = tmp_path_factory.mktemp("refused")
    commands = {}
    for name in EXPECTED:
        commands[name, "validate"] = ("validate", f"tests/malformed/{name}")
        commands[name, "run"] = ("run", f"tests/malformed/{name}", "--out", base / name / "out")
        (base / name).mkdir()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        done = dict(zip(commands, pool.map(lambda args: cli(*args), commands.values())))
    return base, done


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_prints_the_exact_problem(refusals, name):
    done = refusals[1][name, "validate"]
    assert done.returncode == 2
    assert EXPECTED[name] in problem_lines(done)
    assert "Traceback" not in done.stderr and "OK" not in done.stdout


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_run_refuses_before_writing(refusals, name):
    base, results = refusals
    done = results[name, "run"]
    assert done.returncode == 2
    assert EXPECTED[name] in problem_lines(done)
    assert not (base / name / "out").exists() and list((base / name).iterdir()) == []


def test_python_tags_are_never_constructed(tmp_path):
    marker = tmp_path / "constructed"
    bad = tmp_path / "tag.yaml"
    bad.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    done = cli("validate", bad)
    assert done.returncode == 2 and "is not allowed" in done.stderr
    assert not marker.exists()


def test_every_problem_is_reported_one_per_line(tmp_path):
    bad = tmp_path / "three.yaml"
    bad.write_text(f"extends: {JULY}\nsdf:\n  manpower: -5\n  recruits_per_day: many\nnmae: x\n")
    lines = problem_lines(cli("validate", bad))
    assert lines == [f"{bad}:3: sdf.manpower: must be a number ≥ 0, got -5",
                     f"{bad}:4: sdf.recruits_per_day: expected a number, got 'many'",
                     f"{bad}:5: nmae: unknown key 'nmae' (did you mean 'name'?)"]


def test_every_shipped_scenario_is_valid():
    assert SCENARIOS
    done = cli("validate", *[p.relative_to(ROOT) for p in SCENARIOS])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"OK  {p.relative_to(ROOT)}" for p in SCENARIOS]


def test_validate_reports_each_file_and_fails_if_any_is_bad():
    done = cli("validate", "scenarios/2017-07-04_raqqa.yaml", "tests/malformed/negative_manpower.yaml")
    assert done.returncode == 2
    assert done.stdout.splitlines() == ["OK  scenarios/2017-07-04_raqqa.yaml"]
    assert problem_lines(done) == [EXPECTED["negative_manpower.yaml"]]


def test_set_changes_the_model_as_run_builds_it(july):
    import run

    args = run.build_parser().parse_args(["run", str(JULY), "--cell-km", "20", "--set", "sdf.manpower=30000",
                                          "--set", "isis.units.0.strength=2500"])
    model = run.build_model(args)
    assert model.manpower[Faction.SDF] == 30000 and model.spec.sdf.manpower == 30000
    assert model.spec.isis.units[0].strength == 2500
    assert model.manpower[Faction.SAA] == july.saa.manpower  # the rest as the file says


@pytest.mark.parametrize("setting, message", [
    ("sdf.manpower=-5", "--set sdf.manpower: must be a number ≥ 0, got -5"),
    ("nonsense=1", "--set nonsense: unknown key 'nonsense'"),
    ("sdf.manpwer=1", "--set sdf.manpwer: unknown key 'manpwer' (did you mean 'manpower'?)"),
    ("isis.units.0.place=Atlantis", "--set isis.units.0.place: unknown place 'Atlantis'"),
    ("name.first=x", "--set name.first: 'name' is not a section"),
    ("sdf.manpower=!!python/object/apply:os.system [true]",
     "--set sdf.manpower: tag '!!python/object/apply:os.system' is not allowed"),
])
def test_bad_overrides_are_named_and_write_nothing(tmp_path, setting, message):
    out = tmp_path / "out"
    done = cli("run", JULY, "--set", setting, "--out", out)
    assert done.returncode == 2 and not out.exists()
    assert any(line.startswith(message) for line in problem_lines(done)), done.stderr


def test_set_without_equals_is_a_usage_error(tmp_path):
    done = cli("validate", JULY, "--set", "sdf.manpower")
    assert done.returncode == 2
    assert problem_lines(done) == ["argument --set: expected KEY=VALUE (e.g. sdf.manpower=30000), got 'sdf.manpower'"]


def test_set_values_are_read_as_yaml():
    done = cli("validate", JULY, "--set", "sdf.supply_sources=[Qamishli, [40.0, 36.5]]", "--set", "sdf.manpower=30000")
    assert done.returncode == 0, done.stderr


def test_schema_is_json_schema_for_editors():
    done = cli("schema")
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    assert {"isis", "air", "rules", "extends", "name", "start", "end"} <= set(schema["properties"])
    assert schema["properties"]["extends"]["type"] == "string"
    assert schema["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        for key, prop in definition.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{key} has no description"
