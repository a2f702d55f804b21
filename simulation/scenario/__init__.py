"""The scenario format: its schema, YAML with ``extends`` overlays, overrides and checks.

A scenario states a date, the four factions (manpower, units, objectives, supply
sources), initial control, the air budgets and every rule's parameters. Load one with
:func:`load_scenario` (a file or a shipped name); it is read (:mod:`.yaml_reader`),
overridden (:mod:`.overrides`), validated against the schema (:mod:`.schema`,
:mod:`.rule_params`, with problems worded by :mod:`.messages`) and checked against
the map (:mod:`.checks`), every problem reported as one line (:mod:`.problems`).
This package sits below the model: it imports only the theatre and geography.
"""

from simulation.scenario.checks import scenario_problems
from simulation.scenario.load import (SCENARIO_DIR, Scenario, check_scenario, load_scenario, scenario_file,
                                      scenario_json_schema, shipped_name, shipped_scenarios)
from simulation.scenario.located import Where, YamlList, YamlMap, locate
from simulation.scenario.overrides import apply_overrides, parse_value
from simulation.scenario.problems import Problem, ScenarioError, did_you_mean, dotted, problem_at, raise_problems
from simulation.scenario.rule_params import (AirSupportRules, CombatRules, CommandRules, DeconflictionRules,
                                             MoraleRules, MovementRules, OverstretchRules, ReinforcementRules,
                                             Rules, SupplyRules)
from simulation.scenario.schema import (AirArmSpec, AirSpec, AreaSpec, ControlSpec, FactionSpec, ObjectiveSpec,
                                        ScenarioFields, UnitSpec)
from simulation.scenario.values import FACTION_KEYS, FactionName, Fraction, LonLat, NonNegative, PlaceName, Positive
from simulation.scenario.yaml_reader import load_yaml, merge, read_scenario_data

__all__ = [
    "FACTION_KEYS", "SCENARIO_DIR", "AirArmSpec", "AirSpec", "AirSupportRules", "AreaSpec", "CombatRules",
    "CommandRules", "ControlSpec", "DeconflictionRules", "FactionName", "FactionSpec", "Fraction", "LonLat",
    "MoraleRules", "MovementRules", "NonNegative", "ObjectiveSpec", "OverstretchRules", "PlaceName", "Positive",
    "Problem", "ReinforcementRules", "Rules", "Scenario", "ScenarioError", "ScenarioFields", "SupplyRules",
    "UnitSpec", "Where", "YamlList", "YamlMap", "apply_overrides", "check_scenario", "did_you_mean", "dotted",
    "load_scenario", "load_yaml", "locate", "merge", "parse_value", "problem_at", "raise_problems",
    "read_scenario_data", "scenario_file", "scenario_json_schema", "scenario_problems", "shipped_name",
    "shipped_scenarios",
]
