"""Checks of a scenario's meaning, beyond its schema: places, points, force sizes, air.

The schema checks that every value has the right form; here each value is checked
against the map and against common sense, so that a scenario is refused before a
model is built or anything is written:

- every place named (units, unit objectives, objectives, supply sources, areas of
  control) is in the places table, by name or alias;
- every governorate named is one of the theatre's eight;
- every unit or supply source given as [lon, lat] lies in the theatre and not in a river;
- no faction has more fighters than the theatre has people, ties down more than it
  has, or puts more into its units than it has;
- no air arm flies more sorties than any air campaign has, or gives priority to a
  faction it does not support; the deconfliction line has at least two points.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import shapely

from simulation.geography import THEATRE_BOUNDS, Geography, load_geography, project, project_geometry
from simulation.scenario.problems import did_you_mean, show_number
from simulation.scenario.schema import ScenarioFields
from simulation.scenario.values import FACTION_KEYS

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


def scenario_problems(scenario: ScenarioFields, geography: Geography | None = None) -> list[Found]:
    """Every problem of meaning in a schema-valid scenario, as (key path, message)."""
    geo = geography or load_geography()
    return [*place_problems(scenario, geo), *governorate_problems(scenario, geo), *point_problems(scenario, geo),
            *force_problems(scenario), *air_problems(scenario), *line_problems(scenario)]


@dataclass(frozen=True)
class _MapFacts:
    """What the checks look up in a geography, worked out once per geography (a sweep checks many points)."""

    canonical: dict[str, str]  # every name and alias, casefolded -> the place's name
    outline: object  # the theatre's outline (lon/lat), prepared for point tests
    rivers: dict[str, object]  # river -> its line projected to km


_FACTS: dict[int, tuple[Geography, _MapFacts]] = {}


def _map_facts(geo: Geography) -> _MapFacts:
    """The lookups of ``geo``, made on first use (keyed by the object: a Geography is immutable)."""
    cached = _FACTS.get(id(geo))
    if cached is None or cached[0] is not geo:
        outline = geo.theatre_outline
        shapely.prepare(outline)
        facts = _MapFacts({name.casefold(): p.name for p in geo.places for name in (p.name, *p.aliases)},
                          outline, {name: project_geometry(line) for name, line in geo.rivers.items()})
        cached = _FACTS[id(geo)] = (geo, facts)  # holds geo, so its id is not reused
    return cached[1]


def place_problems(scenario: ScenarioFields, geo: Geography) -> Iterator[Found]:
    """Place names that are neither a place nor an alias in the places table."""
    canonical = _map_facts(geo).canonical  # a name is known iff geo.place(name) finds it
    for path, name in named_places(scenario):
        if name.casefold() not in canonical:
            match = difflib.get_close_matches(name.casefold(), list(canonical), n=1, cutoff=0.7)
            hint = f" (did you mean '{canonical[match[0]]}'?)" if match else " (see simulation/data/places.csv)"
            yield path, f"unknown place '{name}'{hint}"


def named_places(scenario: ScenarioFields) -> Iterator[tuple[tuple, str]]:
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


def governorate_problems(scenario: ScenarioFields, geo: Geography) -> Iterator[Found]:
    """Governorate names not among the theatre's (names are matched exactly)."""
    known = list(geo.governorates)
    for i, area in enumerate(scenario.control.areas):
        for j, name in enumerate(area.governorates or []):
            if name not in known:
                hint = did_you_mean(name, known) or f" (expected one of: {', '.join(known)})"
                yield ("control", "areas", i, "governorates", j), f"unknown governorate '{name}'{hint}"


def point_problems(scenario: ScenarioFields, geo: Geography) -> Iterator[Found]:
    """Units and supply sources given as [lon, lat] outside the theatre or in a river."""
    facts = _map_facts(geo)
    outline, rivers = facts.outline, facts.rivers
    lon0, lat0, lon1, lat1 = THEATRE_BOUNDS
    for path, (lon, lat) in given_points(scenario):
        at = f"[{show_number(lon)}, {show_number(lat)}]"
        if not outline.contains(shapely.Point(lon, lat)):
            yield path, (f"{at} lies outside the theatre (the eight governorates within "
                         f"{show_number(lon0)}-{show_number(lon1)} E, {show_number(lat0)}-{show_number(lat1)} N)")
            continue
        point = shapely.Point(*project(lon, lat))
        for name, line in rivers.items():
            km = line.distance(point)
            if km <= RIVER_HALF_WIDTH_KM:
                yield path, f"{at} stands in the {name} ({km:.2f} km from its course); put it on one bank"


def given_points(scenario: ScenarioFields) -> Iterator[tuple[tuple, tuple[float, float]]]:
    """Every unit and supply source given as [lon, lat], with its key path."""
    for key in FACTION_KEYS:
        spec = scenario.faction(key)
        for i, source in enumerate(spec.supply_sources):
            if not isinstance(source, str):
                yield (key, "supply_sources", i), source
        for i, unit in enumerate(spec.units):
            if unit.at is not None:
                yield (key, "units", i, "at"), unit.at


def theatre_population() -> float:
    """People in the theatre (named places plus the rural density), counted on the 10 km grid."""
    from simulation.theatre import theatre_map  # the grid only when a force is that large: see below

    tmap = theatre_map(POPULATION_GRID_KM)
    return float(tmap.population[tmap.in_theatre].sum())


@lru_cache(maxsize=1)
def _people_in_places() -> float:
    """People in the named places: every one lies in a theatre cell, so the theatre has at least as many."""
    return float(sum(p.population for p in load_geography().places))


def force_problems(scenario: ScenarioFields) -> Iterator[Found]:
    """Force sizes that cannot be: more than the population, commitments, or units."""
    for key in FACTION_KEYS:
        spec = scenario.faction(key)
        # The grid (and scipy) are needed only for a force larger than the places' people
        # alone (about 4.8 of 8.1 million): a plain check or a sweep point never builds it.
        if spec.manpower > _people_in_places() and spec.manpower > (people := theatre_population()):
            yield (key, "manpower"), (f"must not exceed the theatre's whole population "
                                      f"(about {people / 1e6:.0f} million people), got {show_number(spec.manpower)}")
        if spec.fixed_commitment > spec.manpower:
            yield (key, "fixed_commitment"), (f"must not exceed {key}.manpower ({show_number(spec.manpower)}), "
                                              f"got {show_number(spec.fixed_commitment)}")
        in_units = sum(u.strength for u in spec.units)
        if in_units > spec.manpower:
            yield (key, "units"), (f"the units' strengths add up to {show_number(in_units)}, "
                                   f"more than {key}.manpower ({show_number(spec.manpower)})")
        if not spec.supply_sources:
            yield (key, "supply_sources"), "needs at least one supply source (a place or [lon, lat])"


def air_problems(scenario: ScenarioFields) -> Iterator[Found]:
    """Air budgets past any campaign's, and priorities for factions an arm does not support."""
    for arm in ("coalition", "russia"):
        spec = getattr(scenario.air, arm)
        if spec.sorties_per_day > MAX_SORTIES_PER_DAY:
            yield ("air", arm, "sorties_per_day"), (f"must be at most {MAX_SORTIES_PER_DAY}, "
                                                    f"got {show_number(spec.sorties_per_day)}")
        for faction in spec.priority:
            if faction not in spec.supports:
                supports = ", ".join(spec.supports) or "none"
                yield ("air", arm, "priority", faction), (f"{faction} is not supported by this arm "
                                                          f"(air.{arm}.supports: {supports})")


def line_problems(scenario: ScenarioFields) -> Iterator[Found]:
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
