"""The 2017 Euphrates campaign model: theatre, rules, scenario format and the Mesa model."""

from simulation.factions import AirArm, Faction, Posture
from simulation.model import ConflictModel
from simulation.scenario import Scenario, ScenarioError
from simulation.validation import load_scenario, shipped_scenarios

__all__ = ["AirArm", "ConflictModel", "Faction", "Posture", "Scenario", "ScenarioError", "load_scenario",
           "shipped_scenarios"]
