"""The one way to load a checked scenario: read, merge ``extends``, override, validate, check.

:func:`load_scenario` runs every stage, a file's (or a shipped scenario's) YAML, its
``extends`` chain, the overrides, the schema and the checks against the map, and
raises one :class:`~simulation.scenario.problems.ScenarioError` naming every problem
of the first stage that has any, one line each: ``FILE:LINE: dotted.key: what was
expected``. :func:`check_scenario` runs the last two stages on data built in code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.scenario.checks import scenario_problems
from simulation.scenario.files import SCENARIO_DIR, read_scenario, scenario_file, shipped_name, shipped_scenarios
from simulation.scenario.messages import schema_problems
from simulation.scenario.overrides import apply_overrides
from simulation.scenario.problems import problem_at, raise_problems
from simulation.scenario.schema import ScenarioFields

__all__ = ["SCENARIO_DIR", "WITH_OVERRIDES", "Scenario", "check_scenario", "load_scenario", "scenario_file",
           "scenario_json_schema", "shipped_name", "shipped_scenarios"]

WITH_OVERRIDES = "with_overrides"  # how problems from Scenario.with_overrides are located


class Scenario(ScenarioFields):
    """A whole scenario: the situation on one date and how long to run it."""

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A copy with dotted keys set, checked exactly as ``run.py run --set`` checks them.

        Args:
            overrides: dotted keys and their values, e.g. ``{"sdf.manpower": 30000}``
                (fighters) or ``{"air.russia.sorties_per_day": 0}`` (sorties per day);
                list items by index (``"isis.units.0.strength"``).

        Returns:
            A new Scenario; this one is unchanged.

        Raises:
            ScenarioError: every problem, one line each, e.g.
                ``with_overrides: sdf.manpower: must be a number ≥ 0, got -5``.
        """
        data = apply_overrides(self.model_dump(mode="json"), overrides, source=f"{WITH_OVERRIDES}:")
        return check_scenario(data, source=WITH_OVERRIDES)


def load_scenario(scenario: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """The scenario in a file, checked exactly as ``run.py validate`` checks it.

    Args:
        scenario: a scenario YAML file, as the user named it (messages repeat it), or
            the name of a shipped one: ``"2017-07-04_raqqa"``,
            ``"variants/no_russian_air"`` (see ``scenarios/``).
        overrides: dotted keys to set, as ``run.py run --set`` takes them, e.g.
            ``{"sdf.manpower": 30000}`` (fighters).

    Returns:
        The validated and checked :class:`Scenario`.

    Raises:
        ScenarioError: every problem of the first stage that has any (reading, the
            schema, then the checks against the map), one line each
            (``FILE:LINE: key: what was expected``).
    """
    data, source = read_scenario(scenario, overrides)
    return check_scenario(data, source=source)


def check_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate scenario data against the schema, then check it against the map.

    Args:
        data: scenario data as read from YAML (with its lines) or built in code.
        source: what problems without a line of their own are attributed to.

    Raises:
        ScenarioError: every problem of the first stage that has any, one line each.
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise_problems(schema_problems(exc, data, source))
        raise  # not reached: there is always at least one problem
    raise_problems([problem_at(data, key, message, source) for key, message in scenario_problems(scenario)])
    return scenario


def scenario_json_schema() -> dict:
    """The JSON Schema of a scenario file (``extends`` included), for editors."""
    schema = Scenario.model_json_schema()
    extends = {"type": "string", "title": "Extends",
               "description": "a scenario file this one starts from, relative to this file; "
                              "mappings merge key by key, lists and scalars replace"}
    schema["properties"] = {"extends": extends, **schema["properties"]}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
