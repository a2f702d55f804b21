"""The 2017 Euphrates campaign model: theatre, rules, scenario format and the Mesa model.

What a notebook needs imports from here::

    from simulation import ConflictModel, load_scenario

This package holds several layers (docs/ARCHITECTURE.md): the core types and the
scenario at the bottom, the rules above them, and the model on top, with the agents
(a package of their own) in between. Importing a lower module, as the agents and the
rules do, must not pull in the model above it, so this façade resolves its names
when they are first used (PEP 562), not when the package is imported.

Importing the package also arranges that Mesa, when first imported, leaves the
libraries it loads for features this model does not use (pandas, networkx,
scipy.spatial) until they are used: :mod:`simulation.mesa_compat`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation.lazy_exports import lazy_exports
from simulation.mesa_compat import defer_mesa_extras

defer_mesa_extras()

# Public name -> the module that defines it.
_EXPORTS = {
    "AirArm": "simulation.factions",
    "Faction": "simulation.factions",
    "Posture": "simulation.factions",
    "ConflictModel": "simulation.model",
    "Scenario": "simulation.scenario",
    "ScenarioError": "simulation.scenario",
    "load_scenario": "simulation.scenario",
    "shipped_scenarios": "simulation.scenario",
}

__all__ = ["AirArm", "ConflictModel", "Faction", "Posture", "Scenario", "ScenarioError", "load_scenario",
           "shipped_scenarios"]

if TYPE_CHECKING:
    from simulation.factions import AirArm, Faction, Posture
    from simulation.model import ConflictModel
    from simulation.scenario import Scenario, ScenarioError, load_scenario, shipped_scenarios

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
