"""The scenario format: ``extends`` overlays, where each value was given, overrides, problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import JULY
from simulation.scenario import (Rules, ScenarioError, apply_overrides, check_scenario, load_scenario, locate,
                                 read_scenario_data)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def chain(tmp_path):
    """A base, a variant of it, and a variant of the variant in a sub-folder."""
    write(tmp_path / "base.yaml", JULY.read_text(encoding="utf-8"))
    write(tmp_path / "variant.yaml", "extends: base.yaml\nname: Variant\nsdf:\n  manpower: 30000\n")
    (tmp_path / "more").mkdir()
    return write(tmp_path / "more" / "again.yaml",
                 "extends: ../variant.yaml\nsdf:\n  supply_sources: [Kobani]\nrules:\n  combat:\n    substeps: 8\n")


def test_extends_merges_mappings_and_replaces_lists(chain, july):
    scenario = load_scenario(chain)
    assert scenario.name == "Variant"
    assert scenario.sdf.manpower == 30000  # from the middle file
    assert scenario.sdf.supply_sources == ["Kobani"]  # a list replaces
    assert scenario.sdf.units == july.sdf.units  # untouched keys come from the base
    assert scenario.rules.combat.substeps == 8 and scenario.rules.combat.noise_sd == july.rules.combat.noise_sd
    assert scenario.isis == july.isis


def test_each_key_remembers_its_file_and_line(chain, tmp_path):
    data = read_scenario_data(chain)
    assert "extends" not in data
    assert locate(data, ("sdf", "supply_sources")) == (str(chain), 3, False)
    variant = str(tmp_path / "variant.yaml")
    assert locate(data, ("sdf", "manpower")) == (variant, 4, False)
    base = str(tmp_path / "base.yaml")
    line = next(i for i, text in enumerate(JULY.read_text().splitlines(), 1) if text.startswith("isis:"))
    assert locate(data, ("isis",)) == (base, line, False)
    assert locate(data, ("isis", "units", 99, "place")).source == base  # the nearest given parent


def test_problems_in_a_base_name_the_base(tmp_path):
    write(tmp_path / "base.yaml", JULY.read_text(encoding="utf-8").replace("manpower: 50000", "manpower: -1"))
    variant = write(tmp_path / "variant.yaml", "extends: base.yaml\nname: Variant\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(variant)
    line = next(i for i, text in enumerate(JULY.read_text().splitlines(), 1) if "manpower: 50000" in text)
    assert exc.value.problems == [f"{tmp_path / 'base.yaml'}:{line}: sdf.manpower: must be a number ≥ 0, got -1"]


def test_an_overlay_fixes_its_base(tmp_path):
    write(tmp_path / "base.yaml", JULY.read_text(encoding="utf-8").replace("manpower: 50000", "manpower: -1"))
    variant = write(tmp_path / "variant.yaml", "extends: base.yaml\nsdf: {manpower: 40000}\n")
    assert load_scenario(variant).sdf.manpower == 40000


def test_overrides_are_located_on_the_command_line(tmp_path):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(JULY, {"sdf.manpower": -5, "isis.units.0.strength": "lots"})
    assert exc.value.problems == ["--set isis.units.0.strength: expected a number, got 'lots'",
                                  "--set sdf.manpower: must be a number ≥ 0, got -5"]
    assert str(exc.value) == "\n".join(exc.value.problems)


def test_overrides_on_plain_data_still_work(july):
    data = apply_overrides(july.model_dump(mode="json"), {"sdf.manpower": 30000, "rules.combat.substeps": 2})
    scenario = check_scenario(data)
    assert scenario.sdf.manpower == 30000 and scenario.rules.combat.substeps == 2
    with pytest.raises(ScenarioError, match=r"^<scenario>: sdf\.manpower: must be a number ≥ 0, got -3$"):
        check_scenario({**july.model_dump(mode="json"), "sdf": {"manpower": -3}})


def test_merge_keys_are_not_duplicates(tmp_path):
    units = "sdf:\n  units:\n    - &u {name: A, place: Raqqa, strength: 1000}\n    - <<: *u\n      name: B\n"
    path = write(tmp_path / "merge.yaml", f"extends: {JULY}\n{units}")
    assert [(u.name, u.place) for u in load_scenario(path).sdf.units] == [("A", "Raqqa"), ("B", "Raqqa")]
    write(path, f"extends: {JULY}\n{units}      name: C\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert exc.value.problems == [f"{path}:7: sdf.units.1.name: duplicate key (first given on line 6)"]


@pytest.mark.parametrize("value, problem", [
    ("end: 2017-07-04", "end: must come after start (2017-07-04), got 2017-07-04"),
    ("cell_km: 1", "cell_km: must be a number ≥ 2, got 1"),
    ("rules: {deconfliction: {line: tigris}}",
     "rules.deconfliction.line: expected 'euphrates' or a list of [lon, lat] points, got 'tigris'"),
    ("isis: {supply_sources: [5]}", "isis.supply_sources.0: expected a place name or [lon, lat], got 5"),
    ("control: {areas: [{faction: SDF, place: Raqqa}]}", "control.areas.0: 'place' and 'radius_km' go together"),
    ("air: {russia: {supports: [SAA], priority: {sdf: 1}}}",
     "air.russia.priority.sdf: unknown key 'sdf' (did you mean 'SDF'?)"),
    ("rules: {combat: {substeps: 2.5}}", "rules.combat.substeps: expected a whole number, got 2.5"),
    ("control: {areas: [{faction: SDF, polygon: [[38, 36], [39, 36]]}]}",
     "control.areas.0.polygon: needs at least 3 [lon, lat] points, got 2"),
])
def test_schema_problems_say_what_was_expected(tmp_path, value, problem):
    path = write(tmp_path / "bad.yaml", f"extends: {JULY}\n{value}\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert exc.value.problems == [f"{path}:2: {problem}"]


def rule_parameters():
    """Every behaviour parameter of the rules, as ``section.name``."""
    return [f"{section}.{name}" for section, spec in Rules.model_fields.items()
            for name in spec.annotation.model_fields]


def test_every_rule_parameter_is_described_and_in_the_odd_table():
    odd = (Path(__file__).parent.parent / "docs" / "ODD.md").read_text(encoding="utf-8")
    table = odd[odd.index("## Parameter table"):]
    for key in rule_parameters():
        section, name = key.split(".")
        field = Rules.model_fields[section].annotation.model_fields[name]
        assert field.description and len(field.description) >= 10, f"{key}: no description"
        assert f"| {section}.`{name}`" in table, f"{key}: not in the ODD's parameter table"


@pytest.mark.parametrize("key, value", [("rules.command.mop_up_targets", 3), ("rules.morale.recovery_ceiling", 0.8),
                                        ("rules.air_support.engaged_target_weight", 1.0),
                                        ("rules.movement.zone_of_control_min_neighbours", 3)])
def test_behaviour_parameters_can_be_overridden(july, key, value):
    section, name = key.split(".")[1:]
    changed = july.with_overrides({key: value})
    assert getattr(getattr(changed.rules, section), name) == value
    assert getattr(getattr(july.rules, section), name) != value


def test_an_out_of_range_behaviour_parameter_is_refused(july):
    with pytest.raises(ScenarioError, match=r"rules.movement.zone_of_control_min_neighbours: must be at most 6"):
        july.with_overrides({"rules.movement.zone_of_control_min_neighbours": 7})


def _tree(value):
    """Located data as plain tuples, with where each mapping, key, list and item was given."""
    if isinstance(value, dict):
        return ("map", getattr(value, "where", None),
                [(k, getattr(value, "key_where", {}).get(k), _tree(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", getattr(value, "where", None), list(getattr(value, "item_where", [])),
                [_tree(v) for v in value])
    return value


def test_overrides_copy_what_they_change_and_leave_their_data_alone():
    data = read_scenario_data(JULY)  # a sweep overrides one reading of the file for every point
    before, strength = _tree(data), data["isis"]["units"][0]["strength"]
    one = apply_overrides(data, {"sdf.manpower": 1, "isis.units.0.strength": 2, "rules.combat.substeps": 3})
    two = apply_overrides(data, {"isis.units.0.strength": 5, "rules.combat": {"substeps": 4}})
    assert _tree(data) == before and data["isis"]["units"][0]["strength"] == strength
    assert one["isis"]["units"][0]["strength"] == 2 and two["isis"]["units"][0]["strength"] == 5
    assert one["rules"]["combat"]["substeps"] == 3 and two["rules"]["combat"] == {"substeps": 4}
    assert locate(one, ("sdf", "manpower")).override and not locate(one, ("saa", "manpower")).override
    changes = {"sdf.manpower": 40000, "isis.units.0.strength": 800}
    assert check_scenario(apply_overrides(data, changes), source=str(JULY)) == load_scenario(JULY, changes)
