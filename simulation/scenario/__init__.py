"""The scenario format: its schema, YAML with ``extends`` overlays, overrides and checks.

A scenario states a date, the four factions (manpower, units, objectives, supply
sources), initial control, the air budgets and every rule's parameters. Load one with
:func:`load_scenario` (a file or a shipped name); it is read (:mod:`.yaml_reader`),
overridden (:mod:`.overrides`), validated against the schema (:mod:`.schema`,
:mod:`.rule_params`, with problems worded by :mod:`.messages`) and checked against
the map (:mod:`.checks`), every problem reported as one line (:mod:`.problems`).
This package sits below the model: it imports only the theatre and geography.

Names resolve on first use (PEP 562), as in ``simulation/__init__.py``: reading a
file, parsing a ``--set`` value or reporting a problem needs neither pydantic nor
the map, so ``run.py`` can refuse a missing file or a bad argument without loading
them (``from simulation.scenario import ScenarioError`` loads only
:mod:`.problems`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation.lazy_exports import lazy_exports

_PACKAGE = "simulation.scenario"
# Public name -> the module (of this package) that defines it.
_EXPORTS = {
    "scenario_problems": "checks",
    "check_scenario": "load", "load_scenario": "load", "scenario_json_schema": "load", "Scenario": "load",
    "SCENARIO_DIR": "files", "read_scenario": "files", "scenario_file": "files", "shipped_name": "files",
    "shipped_scenarios": "files",
    "Where": "located", "YamlList": "located", "YamlMap": "located", "locate": "located",
    "apply_overrides": "overrides", "parse_value": "overrides",
    "Problem": "problems", "ScenarioError": "problems", "did_you_mean": "problems", "dotted": "problems",
    "problem_at": "problems", "raise_problems": "problems",
    **dict.fromkeys(["AirSupportRules", "CollapseRules", "CombatRules", "CommandRules", "DeconflictionRules", "MoraleRules",
                     "MovementRules", "OverstretchRules", "ReinforcementRules", "Rules", "SupplyRules"],
                    "rule_params"),
    **dict.fromkeys(["AirArmSpec", "AirSpec", "AreaSpec", "ControlSpec", "FactionSpec", "ObjectiveSpec",
                     "ScenarioFields", "UnitSpec"], "schema"),
    **dict.fromkeys(["FACTION_KEYS", "FactionName", "Fraction", "LonLat", "NonNegative", "PlaceName", "Positive"],
                    "values"),
    "load_yaml": "yaml_reader", "merge": "yaml_reader", "read_scenario_data": "yaml_reader",
}

__all__ = [
    "FACTION_KEYS", "SCENARIO_DIR", "AirArmSpec", "AirSpec", "AirSupportRules", "AreaSpec", "CollapseRules", "CombatRules",
    "CommandRules", "ControlSpec", "DeconflictionRules", "FactionName", "FactionSpec", "Fraction", "LonLat",
    "MoraleRules", "MovementRules", "NonNegative", "ObjectiveSpec", "OverstretchRules", "PlaceName", "Positive",
    "Problem", "ReinforcementRules", "Rules", "Scenario", "ScenarioError", "ScenarioFields", "SupplyRules",
    "UnitSpec", "Where", "YamlList", "YamlMap", "apply_overrides", "check_scenario", "did_you_mean", "dotted",
    "load_scenario", "load_yaml", "locate", "merge", "parse_value", "problem_at", "raise_problems",
    "read_scenario", "read_scenario_data", "scenario_file", "scenario_json_schema", "scenario_problems",
    "shipped_name", "shipped_scenarios",
]

if TYPE_CHECKING:
    from simulation.scenario.checks import scenario_problems
    from simulation.scenario.files import (SCENARIO_DIR, read_scenario, scenario_file, shipped_name,
                                           shipped_scenarios)
    from simulation.scenario.load import Scenario, check_scenario, load_scenario, scenario_json_schema
    from simulation.scenario.located import Where, YamlList, YamlMap, locate
    from simulation.scenario.overrides import apply_overrides, parse_value
    from simulation.scenario.problems import (Problem, ScenarioError, did_you_mean, dotted, problem_at,
                                              raise_problems)
    from simulation.scenario.rule_params import (AirSupportRules, CollapseRules, CombatRules, CommandRules,
                                                 DeconflictionRules, MoraleRules, MovementRules, OverstretchRules,
                                                 ReinforcementRules, Rules, SupplyRules)
    from simulation.scenario.schema import (AirArmSpec, AirSpec, AreaSpec, ControlSpec, FactionSpec,
                                            ObjectiveSpec, ScenarioFields, UnitSpec)
    from simulation.scenario.values import (FACTION_KEYS, FactionName, Fraction, LonLat, NonNegative, PlaceName,
                                            Positive)
    from simulation.scenario.yaml_reader import load_yaml, merge, read_scenario_data

__getattr__, __dir__ = lazy_exports(__name__, {name: f"{_PACKAGE}.{module}" for name, module in _EXPORTS.items()},
                                    __all__)
