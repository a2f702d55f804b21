"""Checks of a scenario's meaning, beyond its schema: places, points, force sizes, air.

The schema (:mod:`simulation.scenario`) checks that every value has the right form;
here each value is checked against the map and against common sense, so that a
scenario is refused before a model is built or anything is written:

- every place named (units, unit objectives, objectives, supply sources, areas of
  control) is in the places table, by name or alias;
- every governorate named is one of the theatre's eight;
- every unit or supply source given as [lon, lat] lies in the theatre and not in a river;
- no faction has more fighters than the theatre has people, ties down more than it
  has, or puts more into its units than it has;
- no air arm flies more sorties than any air campaign has, or gives priority to a
  faction it does not support; the deconfliction line has at least two points.

:func:`check_scenario_file` runs every stage (YAML, ``extends``, overrides, schema,
these checks) and raises one :class:`~simulation.scenario.ScenarioError` listing
every problem, one line each: ``FILE:LINE: dotted.key: what was expected``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import shapely

from simulation.geography import THEATRE_BOUNDS, Geography, load_geography, project, project_geometry
from simulation.scenario import (FACTION_KEYS, Scenario, apply_overrides, did_you_mean, problem_at,
                                 raise_problems, read_scenario_data, validate_scenario)
from simulation.theatre import theatre_map

# A point this close (km) to a river's centre line stands in the water. The Euphrates
# is 200-500 m wide in the theatre, so half its width is about 0.25 km. (The shipped
# river lines are hand-digitised to about 3 km near towns, so a wider margin would
# refuse points on the banks: the July scenario's SDF Raqqa west stands 0.46 km from
# the line, on the north bank.)
RIVER_HALF_WIDTH_KM = 0.25
# Desert Storm (1991), the largest air campaign since 1945, flew over 100,000 sorties
# of every kind in 43 days, about 2,500 a day; the coalition flew under 200 strike
# sorties a day over Iraq and Syria in 2017. A daily budget above this is a typo.
MAX_SORTIES_PER_DAY = 2000
# The theatre's population is counted on this grid (people in named places plus the
# rural density; about 8.1 million at any cell size).
POPULATION_GRID_KM = 10.0

Found = tuple[tuple, str]  # (key path, what is wrong)
# The scenarios shipped with the project (beside the package in a clone or an
# editable install).
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def check_scenario_file(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, merge, override, validate and check a scenario file: everything but the run.

    Args:
        path: the scenario YAML file, as the user named it (messages repeat it).
        overrides: dotted keys to set, e.g. ``{"sdf.manpower": 30000}``.

    Raises:
        ScenarioError: every problem of the first stage that has any (reading, the
            schema, then these checks), one line each.
    """
    data = read_scenario_data(path)
    if overrides:
        data = apply_overrides(data, overrides)
    return check_scenario(data, source=str(path))


def check_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate scenario data against the schema, then check it against the map.

    Args:
        data: scenario data as read from YAML (with its lines) or built in code.
        source: what problems without a line of their own are attributed to.

    Raises:
        ScenarioError: every problem of the first stage that has any, one line each.
    """
    scenario = validate_scenario(data, source=source)
    raise_problems([problem_at(data, key, message, source) for key, message in scenario_problems(scenario)])
    return scenario


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """The scenario in a file, checked exactly as ``run.py validate`` checks it.

    Args:
        path: a scenario YAML file, or the name of a shipped one:
            ``"2017-07-04_raqqa"``, ``"variants/no_russian_air"`` (see ``scenarios/``).
        overrides: dotted keys to set, as ``run.py run --set`` takes them, e.g.
            ``{"sdf.manpower": 30000}`` (fighters).

    Returns:
        The validated :class:`~simulation.scenario.Scenario`.

    Raises:
        ScenarioError: every problem, one line each (``FILE:LINE: key: what was expected``).
    """
    return check_scenario_file(scenario_file(path), overrides)


def scenario_file(name: str | Path) -> Path:
    """A scenario's file: the path itself if it exists, else the shipped scenario of that name."""
    path = Path(name)
    if path.exists() or path.suffix:
        return path
    shipped = SCENARIO_DIR / f"{name}.yaml"
    return shipped if shipped.is_file() else path


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


def scenario_problems(scenario: Scenario, geography: Geography | None = None) -> list[Found]:
    """Every problem of meaning in a schema-valid scenario, as (key path, message)."""
    geo = geography or load_geography()
    return [*place_problems(scenario, geo), *governorate_problems(scenario, geo), *point_problems(scenario, geo),
            *force_problems(scenario), *air_problems(scenario), *line_problems(scenario)]


def place_problems(scenario: Scenario, geo: Geography) -> Iterator[Found]:
    """Place names that are neither a place nor an alias in the places table."""
    canonical = {name.casefold(): p.name for p in geo.places for name in (p.name, *p.aliases)}
    for path, name in named_places(scenario):
        try:
            geo.place(name)
        except KeyError:
            match = difflib.get_close_matches(name.casefold(), list(canonical), n=1, cutoff=0.7)
            hint = f" (did you mean '{canonical[match[0]]}'?)" if match else " (see simulation/data/places.csv)"
            yield path, f"unknown place '{name}'{hint}"


def named_places(scenario: Scenario) -> Iterator[tuple[tuple, str]]:
    """Every place the scenario names, with its key path."""
    for key in FACTION_KEYS:
        spec = scenario.faction(key)
        for i, source in enumerate(spec.supply_sources):
            if isinstance(source, str):
                yield (key, "supply_sources", i), source
        for i, objective in enumerate(spec.objectives):
            yield (key, "objectives", i, "place"), objective.place
        for i, unit in enumerate(spec.units):
            if unit.place is not None:
                yield (key, "units", i, "place"), unit.place
            if unit.objective is not None:
                yield (key, "units", i, "objective"), unit.objective
    for i, area in enumerate(scenario.control.areas):
        if area.place is not None:
            yield ("control", "areas", i, "place"), area.place


def governorate_problems(scenario: Scenario, geo: Geography) -> Iterator[Found]:
    """Governorate names not among the theatre's (names are matched exactly)."""
    known = list(geo.governorates)
    for i, area in enumerate(scenario.control.areas):
        for j, name in enumerate(area.governorates or []):
            if name not in known:
                hint = did_you_mean(name, known) or f" (expected one of: {', '.join(known)})"
                yield ("control", "areas", i, "governorates", j), f"unknown governorate '{name}'{hint}"


def point_problems(scenario: Scenario, geo: Geography) -> Iterator[Found]:
    """Units and supply sources given as [lon, lat] outside the theatre or in a river."""
    outline = geo.theatre_outline
    rivers = {name: project_geometry(line) for name, line in geo.rivers.items()}
    lon0, lat0, lon1, lat1 = THEATRE_BOUNDS
    for path, (lon, lat) in given_points(scenario):
        at = f"[{_n(lon)}, {_n(lat)}]"
        if not outline.contains(shapely.Point(lon, lat)):
            yield path, (f"{at} lies outside the theatre (the eight governorates within "
                         f"{_n(lon0)}-{_n(lon1)} E, {_n(lat0)}-{_n(lat1)} N)")
            continue
        point = shapely.Point(*project(lon, lat))
        for name, line in rivers.items():
            km = line.distance(point)
            if km <= RIVER_HALF_WIDTH_KM:
                yield path, f"{at} stands in the {name} ({km:.2f} km from its course); put it on one bank"


def given_points(scenario: Scenario) -> Iterator[tuple[tuple, tuple[float, float]]]:
    """Every unit and supply source given as [lon, lat], with its key path."""
    for key in FACTION_KEYS:
        spec = scenario.faction(key)
        for i, source in enumerate(spec.supply_sources):
            if not isinstance(source, str):
                yield (key, "supply_sources", i), source
        for i, unit in enumerate(spec.units):
            if unit.at is not None:
                yield (key, "units", i, "at"), unit.at


def force_problems(scenario: Scenario) -> Iterator[Found]:
    """Force sizes that cannot be: more than the population, commitments, or units."""
    tmap = theatre_map(POPULATION_GRID_KM)
    people = float(tmap.population[tmap.in_theatre].sum())
    for key in FACTION_KEYS:
        spec = scenario.faction(key)
        if spec.manpower > people:
            yield (key, "manpower"), (f"must not exceed the theatre's whole population "
                                      f"(about {people / 1e6:.0f} million people), got {_n(spec.manpower)}")
        if spec.fixed_commitment > spec.manpower:
            yield (key, "fixed_commitment"), (f"must not exceed {key}.manpower ({_n(spec.manpower)}), "
                                              f"got {_n(spec.fixed_commitment)}")
        in_units = sum(u.strength for u in spec.units)
        if in_units > spec.manpower:
            yield (key, "units"), (f"the units' strengths add up to {_n(in_units)}, "
                                   f"more than {key}.manpower ({_n(spec.manpower)})")
        if not spec.supply_sources:
            yield (key, "supply_sources"), "needs at least one supply source (a place or [lon, lat])"


def air_problems(scenario: Scenario) -> Iterator[Found]:
    """Air budgets past any campaign's, and priorities for factions an arm does not support."""
    for arm in ("coalition", "russia"):
        spec = getattr(scenario.air, arm)
        if spec.sorties_per_day > MAX_SORTIES_PER_DAY:
            yield ("air", arm, "sorties_per_day"), (f"must be at most {MAX_SORTIES_PER_DAY}, "
                                                    f"got {_n(spec.sorties_per_day)}")
        for faction in spec.priority:
            if faction not in spec.supports:
                supports = ", ".join(spec.supports) or "none"
                yield ("air", arm, "priority", faction), (f"{faction} is not supported by this arm "
                                                          f"(air.{arm}.supports: {supports})")


def line_problems(scenario: Scenario) -> Iterator[Found]:
    """A deconfliction line of fewer than two points, or with a point given twice running."""
    line = scenario.rules.deconfliction.line
    if isinstance(line, str):
        return
    if len(set(line)) < 2:
        yield ("rules", "deconfliction", "line"), f"needs at least 2 different [lon, lat] points, got {len(set(line))}"
        return
    for i in range(1, len(line)):
        if line[i] == line[i - 1]:
            yield ("rules", "deconfliction", "line", i), "repeats the point before it"


def _n(x: float) -> str:
    """A number as written: 30000, not 30000.0."""
    return str(int(x)) if float(x).is_integer() else str(x)
