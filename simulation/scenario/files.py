"""Where scenarios are: a file as the user named it, or a shipped scenario by its name; and reading one.

Nothing here needs the schema or the map (no pydantic, shapely or theatre), so the
command line can find and read a scenario, and refuse a missing or malformed file,
before it loads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulation.scenario.overrides import apply_overrides
from simulation.scenario.yaml_reader import read_scenario_data

# The scenarios shipped with the project (beside the package in a clone or an
# editable install).
SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"


def scenario_file(name: str | Path) -> Path:
    """A scenario's file: the path itself if it exists, else the shipped scenario of that name."""
    path = Path(name)
    if path.exists() or path.suffix:
        return path
    shipped = SCENARIO_DIR / f"{name}.yaml"
    return shipped if shipped.is_file() else path


def read_scenario(scenario: str | Path, overrides: dict[str, Any] | None = None) -> tuple[dict, str]:
    """A scenario's located data, ``extends`` merged and overrides applied, and the source its problems name.

    The first stages of :func:`~simulation.scenario.load_scenario`: a file is named as
    the user gave it, a shipped scenario by its file.

    Raises:
        ScenarioError: every reading problem (a missing file, YAML syntax, a tag, a
            duplicate key, a bad ``extends``) or override problem, one line each.
    """
    path = scenario_file(scenario)
    source = scenario if path == Path(scenario) else path  # a file is named as the user gave it
    data = read_scenario_data(source)
    if overrides:
        data = apply_overrides(data, overrides)
    return data, str(source)


def shipped_scenarios() -> list[str]:
    """Names of the shipped scenarios and variants, e.g. ``"variants/no_russian_air"``."""
    files = sorted(SCENARIO_DIR.glob("*.yaml")) + sorted((SCENARIO_DIR / "variants").glob("*.yaml"))
    return [shipped_name(f) for f in files]


def shipped_name(path: str | Path) -> str | None:
    """The name :func:`load_scenario` knows a shipped scenario file by, or None for any other file."""
    resolved = Path(path).resolve()
    if resolved.suffix == ".yaml" and resolved.is_relative_to(SCENARIO_DIR):
        return resolved.relative_to(SCENARIO_DIR).with_suffix("").as_posix()
    return None
