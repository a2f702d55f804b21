"""The scenario format: a pydantic schema, YAML loading, ``extends`` overlays and overrides.

A scenario states a date, the four factions (manpower, units, objectives, supply
sources), initial control, the air budgets and every rule's parameters. Rule
parameters have defaults here, with their units and the fact they rest on, so a
scenario file only states what it changes.

A file may begin from another with ``extends: PATH`` (relative to the file that says
it): mappings merge key by key, lists and scalars replace, and chains are allowed.
Every problem is reported as one complete line, ``FILE:LINE: dotted.key: what was
expected`` (``--set dotted.key: ...`` for a command-line override), and all the
problems of a stage (reading, then the schema) are reported together in one
:class:`ScenarioError`. Checks that need the map (place names, points in rivers)
live in :mod:`simulation.validation`; this module imports nothing of the project's.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]
PlaceName = Annotated[str, Field(description="a place in simulation/data/places.csv, by name or alias")]
FactionName = Literal["ISIS", "SAA", "SDF", "ISF"]
SupportedFaction = Literal["SAA", "SDF", "ISF"]
FACTION_KEYS = ("isis", "saa", "sdf", "isf")
OVERRIDE_SOURCE = "--set"
WITH_OVERRIDES = "with_overrides"  # how problems from Scenario.with_overrides are located


class ScenarioError(ValueError):
    """Problems with a scenario, one complete line each; ``str()`` joins them with newlines.

    Args:
        problems: each a line (``FILE:LINE: dotted.key: what was expected``) or a
            :class:`Problem`.
    """

    def __init__(self, *problems: str | Problem):
        self.problems = list(dict.fromkeys(str(p) for p in problems))
        super().__init__("\n".join(self.problems))


# ---- the schema ---------------------------------------------------------------------


class Strict(BaseModel):
    """Base: unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitSpec(Strict):
    """One ground formation at the start date: give exactly one of ``place`` or ``at``."""

    name: str = Field(description="the formation's name, as it appears in records")
    strength: Positive = Field(description="fighters in the formation")
    place: PlaceName | None = Field(None, description="named place it stands at")
    at: LonLat | None = Field(None, description="[lon, lat] in degrees it stands at, if not at a named place")
    morale: Fraction = Field(0.7, description="morale, 0 (broken) to 1")
    supply: Fraction = Field(1.0, description="supply level, 0 (none) to 1 (full)")
    posture: Literal["hold", "attack", "withdraw"] | None = Field(
        None, description="opening posture (default: hold for ISIS and for units tied to an objective, else attack)")
    objective: PlaceName | None = Field(None, description="place it is tied to (else its commander picks)")
    air_supplied: bool = Field(False, description="supplied by air when cut off (besieged garrisons)")

    @model_validator(mode="after")
    def _one_location(self):
        if (self.place is None) == (self.at is None):
            raise ValueError("give exactly one of 'place' or 'at'")
        return self


class ObjectiveSpec(Strict):
    """A place a commander wants (for ISIS: wants to keep), with its relative weight."""

    place: PlaceName = Field(description="the place")
    weight: Positive = Field(1.0, description="relative weight among the faction's objectives")


class FactionSpec(Strict):
    """A faction's forces in the theatre."""

    manpower: NonNegative = Field(description="fighters in the theatre, units and garrisons together")
    fixed_commitment: NonNegative = Field(0.0, description="fighters tied down elsewhere (e.g. the Turkish border)")
    recruits_per_day: NonNegative = Field(0.0, description="fighters added to the pool per day")
    supply_sources: list[PlaceName | LonLat] = Field(
        default_factory=list, description="places or [lon, lat] its supply comes from (at least one)")
    objectives: list[ObjectiveSpec] = Field(default_factory=list, description="places its commander wants")
    operations: Annotated[int, Field(ge=1)] | None = Field(
        None, description="objectives its commander pursues at once (none: every open one)")
    operation_pause_days: Annotated[int, Field(ge=0)] = Field(
        0, description="days its commander regroups after taking an objective before the next attack")
    units: list[UnitSpec] = Field(default_factory=list, description="its ground formations at the start date")


class AreaSpec(Strict):
    """One area of initial control: governorates, a polygon, or a disc round a place."""

    faction: FactionName = Field(description="who holds the area")
    governorates: list[str] | None = Field(
        None, description="whole governorates: Aleppo, Raqqa, Hasakah, Deir ez-Zor, Homs, Nineveh, Anbar, Salah ad-Din")
    polygon: list[LonLat] | None = Field(
        None, min_length=3, description="[lon, lat] corners (at least 3); cells whose centres lie inside")
    place: PlaceName | None = Field(None, description="centre of a disc (with radius_km)")
    radius_km: Positive | None = Field(None, description="radius of the disc round place, km")
    note: str | None = Field(None, description="free text: what the area is and the source")

    @model_validator(mode="after")
    def _one_shape(self):
        given = [self.governorates is not None, self.polygon is not None, self.place is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of 'governorates', 'polygon' or 'place'")
        if (self.place is None) != (self.radius_km is None):
            raise ValueError("'place' and 'radius_km' go together")
        return self


class ControlSpec(Strict):
    """Initial control: a default holder, then areas in order (later ones win)."""

    default: FactionName = Field("ISIS", description="holder of every cell no area covers")
    areas: list[AreaSpec] = Field(default_factory=list, description="areas of control, applied in order")


class AirArmSpec(Strict):
    """An air component's daily budget over the theatre."""

    sorties_per_day: NonNegative = Field(description="sorties flown over the theatre per day")
    strikes_per_sortie: NonNegative = Field(1.0, description="weapons released per sortie")
    supports: list[SupportedFaction] = Field(description="ground factions it flies for")
    priority: dict[SupportedFaction, Positive] = Field(
        default_factory=dict, description="relative weight of each supported faction's targets (default 1)")


class AirSpec(Strict):
    """The two air components."""

    coalition: AirArmSpec = Field(description="the US-led coalition (supports SDF and ISF in 2017)")
    russia: AirArmSpec = Field(description="the Russian Aerospace Forces (support the SAA)")


class MovementRules(Strict):
    """Movement on least-cost distance fields (costs in km-equivalents)."""

    march_km_per_day: Positive = Field(
        18.0, description="km-equivalents a unit covers per day at full supply, halts, mines and ambushes allowed for")
    hostile_ground_cost: Positive = Field(
        14.0, description="cost factor on enemy ground (clearing it): a column enters it at about march_km_per_day / (0.5 (1 + this)) km/day")
    valley_cost: Positive = Field(1.3, description="cost factor in river valleys (irrigated, built up)")
    urban_cost: Positive = Field(3.0, description="cost factor in towns")
    river_crossing_km: NonNegative = Field(30.0, description="km-equivalents added to cross a river")
    zone_of_control_km: Positive = Field(15.0, description="reach of attacking units' pull on empty enemy cells, km")
    sweep_km_per_day: Positive = Field(
        3.5, description="how fast a front rolls over undefended enemy ground, km/day (the SAA's 2017 desert drive averaged 3-5)")
    hold_reach_km: Positive = Field(40.0, description="ground with none of its holder's units this close is unheld, km")
    unheld_sweep_share: Fraction = Field(
        0.4, description="pace at which unheld enemy ground erodes from its edges, as a share of a sweep")
    logistics_reach_km: Positive = Field(
        100.0, description="road distance from its supply sources at which a force advances at half speed, km")
    unsupported_advance_cost: Annotated[float, Field(ge=1.0)] = Field(
        1.6, description="extra cost factor on enemy ground without air cover (at least 1)")
    air_cover_strikes: Positive = Field(40.0, description="strikes a day in a faction's support for full air cover")


class CombatRules(Strict):
    """Lanchester square-law attrition with terrain modifiers and noise."""

    kill_rate_per_day: Positive = Field(0.004, description="fighters killed per fighter per day (square law)")
    urban_defence: Positive = Field(2.0, description="defence factor in towns")
    urban_defence_reference_people: Positive = Field(
        50_000.0, description="a town this size gives urban_defence; bigger cities more, with the square root of their people")
    urban_frontage: Positive = Field(2.0, description="attackers per defender who can engage at once in a town")
    urban_frontage_per_1000_people: NonNegative = Field(
        12.0, description="attackers who can engage at once in a town per 1,000 inhabitants (when more than per defender)")
    river_defence: Positive = Field(1.5, description="defence factor against attackers crossing a river")
    hold_defence: Positive = Field(1.2, description="defence factor when all defenders hold")
    noise_sd: NonNegative = Field(0.25, description="log-normal noise on each side's kill rate (log-sd)")
    substeps: Annotated[int, Field(ge=1, le=50)] = Field(4, description="Euler steps per day (1-50)")
    break_ratio: Positive = Field(2.0, description="the defence breaks when attackers outnumber it this much")
    unit_destroyed_below: NonNegative = Field(50.0, description="units under this many fighters are removed")


class SupplyRules(Strict):
    """Supply traced through held ground from each faction's sources."""

    decay_per_day: Fraction = Field(0.08, description="supply lost per day when cut off")
    air_supplied_decay_per_day: Fraction = Field(0.01, description="supply lost per day when cut off but air-supplied")
    recovery_per_day: Fraction = Field(0.25, description="supply regained per day when connected")
    unsupplied_attrition_per_day: Fraction = Field(0.005, description="share of strength lost per day at zero supply")


class MoraleRules(Strict):
    """Morale: falls with losses, strikes, hunger and overstretch; recovers at rest."""

    loss_sensitivity: NonNegative = Field(0.5, description="morale lost per share of strength lost in a fight")
    recovery_per_day: Fraction = Field(0.02, description="morale regained per day at rest and supplied")
    unsupplied_loss_per_day: Fraction = Field(0.003, description="morale lost per day when supply is below 0.3")
    overstretch_loss_per_day: Fraction = Field(0.01, description="morale lost per day at overstretch 2 or more")
    break_morale: Fraction = Field(0.15, description="a defence below this morale breaks")
    place_loss_shock: Fraction = Field(0.02, description="morale every unit loses when its side loses a named place")


class ReinforcementRules(Strict):
    """Units are topped up from, or drained to garrisons by, the faction's pool."""

    top_up_per_day: Fraction = Field(0.03, description="share of establishment a unit may regain per day")
    drain_per_day: Fraction = Field(0.02, description="share of the garrison deficit drained from units per day")


class CommandRules(Strict):
    """When commanders attack, hold or withdraw."""

    attack_min_morale: Fraction = Field(0.35, description="units attack only with at least this morale")
    attack_min_supply: Fraction = Field(0.3, description="units attack only with at least this supply")
    withdraw_below_strength: Fraction = Field(0.25, description="units below this share of establishment withdraw")
    attack_force_ratio: Positive = Field(1.5, description="fighters sent per defender before an attack goes in")
    counterattack_ratio: Positive = Field(
        1.5, description="units strike enemy units within reach, and garrisons sortie, when this many times stronger")
    counterattack_reach_km: Positive = Field(25.0, description="reach for counter-attacks and force ratios, km")


class AirSupportRules(Strict):
    """What a strike does."""

    fighters_per_strike: NonNegative = Field(0.5, description="fighters killed by a first strike on a target")
    repeat_decay: Fraction = Field(0.97, description="effect of each further strike on the same target, relative")
    urban_effect: Fraction = Field(0.3, description="effect of strikes in towns, relative (cover)")
    morale_per_strike: Fraction = Field(0.0003, description="morale lost per strike")
    reach_km: Positive = Field(30.0, description="strikes go to enemies within this distance of friendly units, km")
    harm_per_strike_per_1000_people: NonNegative = Field(
        0.01, description="civilian-harm indicator per strike per 1,000 people in the cell")


class OverstretchRules(Strict):
    """Garrisons needed to hold ground, and the insurgency where they are short."""

    garrison_per_km2: NonNegative = Field(0.02, description="garrison fighters per km2 held")
    garrison_per_1000_people: NonNegative = Field(
        8.0, description="garrison fighters per 1,000 people held (times hostility)")
    hostility: dict[FactionName, dict[Literal["arab", "kurdish", "mixed"], NonNegative]] = Field(
        default_factory=lambda: {
            "ISIS": {"arab": 0.15, "kurdish": 3.0, "mixed": 1.0},
            "SAA": {"arab": 1.5, "kurdish": 2.0, "mixed": 1.5},
            "SDF": {"arab": 2.5, "kurdish": 0.5, "mixed": 1.2},
            "ISF": {"arab": 1.0, "kurdish": 0.5, "mixed": 1.0},
        },
        description="hostility of each community to each holder (multiplies the garrison per people)",
    )
    garrison_loss_on_capture: Fraction = Field(0.3, description="share of a lost cell's garrison lost with it")
    stall_exponent: NonNegative = Field(2.0, description="tempo is 1 / overstretch to this power")
    insurgency_rate: Fraction = Field(0.02, description="daily chance scale of a thinly held cell rising for ISIS")
    insurgency_reach_km: Positive = Field(30.0, description="insurgency only within this distance of ISIS ground, km")


class DeconflictionRules(Strict):
    """The US-Russia split of the air space, and its breakdown."""

    enabled: bool = Field(True, description="whether the arrangement is in force at the start")
    line: Literal["euphrates"] | list[LonLat] = Field(
        "euphrates", description="the dividing line: 'euphrates', or [lon, lat] points (at least 2)")
    incident_rate: Fraction = Field(0.0005, description="chance of an incident per SAA-SDF unit contact per day")
    breakdown_incidents: Annotated[int, Field(ge=1)] = Field(5, description="incidents that end the arrangement")
    contact_km: Positive = Field(15.0, description="SAA and SDF units closer than this are in contact, km")


class Rules(Strict):
    """Every rule's parameters."""

    movement: MovementRules = Field(MovementRules(), description="movement (rules/movement.py)")
    combat: CombatRules = Field(CombatRules(), description="combat (rules/combat.py)")
    supply: SupplyRules = Field(SupplyRules(), description="supply (rules/supply.py)")
    morale: MoraleRules = Field(MoraleRules(), description="morale")
    reinforcement: ReinforcementRules = Field(ReinforcementRules(), description="reinforcement and drain")
    command: CommandRules = Field(CommandRules(), description="commanders' decisions (agents/commander.py)")
    air_support: AirSupportRules = Field(AirSupportRules(), description="air strikes (rules/air_support.py)")
    overstretch: OverstretchRules = Field(OverstretchRules(), description="garrisons (rules/overstretch.py)")
    deconfliction: DeconflictionRules = Field(DeconflictionRules(), description="SAA-SDF line (rules/deconfliction.py)")


class Scenario(Strict):
    """A whole scenario: the situation on one date and how long to run it."""

    name: str = Field(description="title, used in plots and the run's summary line")
    start: dt.date = Field(description="the date of the opening situation (step 0), YYYY-MM-DD")
    end: dt.date = Field(description="the last day to run to, YYYY-MM-DD (after start)")
    cell_km: Annotated[float, Field(ge=2.0, le=50.0)] = Field(
        10.0, description="hex cell size, km centre to centre (2-50)")
    isis: FactionSpec = Field(description="the Islamic State")
    saa: FactionSpec = Field(description="the Syrian government and its allies")
    sdf: FactionSpec = Field(description="the Syrian Democratic Forces")
    isf: FactionSpec = Field(description="Iraqi forces and the Popular Mobilisation Forces")
    control: ControlSpec = Field(ControlSpec(), description="who holds what on the start date")
    air: AirSpec = Field(description="the air components' budgets")
    rules: Rules = Field(Rules(), description="every rule's parameters (defaults in docs/ODD.md)")

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: dt.date, info):
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"must come after start ({start}), got {end}")
        return end

    @property
    def days(self) -> int:
        """Number of days (steps) from start to end."""
        return (self.end - self.start).days

    def faction(self, key: str) -> FactionSpec:
        """The spec of a faction by key ('sdf') or name ('SDF')."""
        return getattr(self, key.lower())

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
                ``with_overrides: sdf.manpower: must be at least 0, got -5``.
        """
        # The checks against the map need the geography; imported here so that this
        # module stays free of the rest of the package.
        from simulation.validation import check_scenario

        data = apply_overrides(self.model_dump(mode="json"), overrides, source=f"{WITH_OVERRIDES}:")
        return check_scenario(data, source=WITH_OVERRIDES)

    def __repr__(self) -> str:
        fighters = ", ".join(f"{key.upper()} {self.faction(key).manpower:,.0f}" for key in FACTION_KEYS)
        return (f"Scenario({self.name!r}: {self.start} to {self.end}, {self.days} days, {self.cell_km:g} km cells; "
                f"fighters {fighters}; sorties per day coalition {self.air.coalition.sorties_per_day:g}, "
                f"Russia {self.air.russia.sorties_per_day:g})")

    __str__ = __repr__


def scenario_json_schema() -> dict:
    """The JSON Schema of a scenario file (``extends`` included), for editors."""
    schema = Scenario.model_json_schema()
    extends = {"type": "string", "title": "Extends",
               "description": "a scenario file this one starts from, relative to this file; "
                              "mappings merge key by key, lists and scalars replace"}
    schema["properties"] = {"extends": extends, **schema["properties"]}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


# ---- where each value was given ----------------------------------------------------------


class Where(NamedTuple):
    """Where a value was given: a file and line, or a command-line override."""

    source: str
    line: int | None = None
    override: bool = False


class YamlMap(dict):
    """A mapping read from YAML that remembers where it and each of its keys were given."""

    def __init__(self, *args, where: Where | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.where = where
        self.key_where: dict[Any, Where] = {}
        self.duplicates: list[tuple[Any, Where, int]] = []  # (key, where repeated, line first given)


class YamlList(list):
    """A list read from YAML that remembers where it and each of its items were given."""

    def __init__(self, *args, where: Where | None = None):
        super().__init__(*args)
        self.where = where
        self.item_where: list[Where] = []


@dataclass(frozen=True)
class Problem:
    """One problem: where it was given, the dotted key and what was expected."""

    where: Where
    key: str
    message: str

    def __str__(self) -> str:
        if self.where.override:
            return f"{self.where.source} {self.key}: {self.message}"
        at = f"{self.where.source}:{self.where.line}" if self.where.line else self.where.source
        return f"{at}: {self.key}: {self.message}" if self.key else f"{at}: {self.message}"


def dotted(path) -> str:
    """A key path as the user writes it: ``sdf.units.3.place``."""
    return ".".join(str(p) for p in path)


def locate(data, path) -> Where | None:
    """Where the value at ``path`` was given, or its nearest given parent."""
    where = getattr(data, "where", None)
    node = data
    for part in path:
        if isinstance(node, YamlMap) and part in node:
            where, node = node.key_where.get(part, where), node[part]
        elif isinstance(node, YamlList) and isinstance(part, int) and 0 <= part < len(node):
            where, node = node.item_where[part], node[part]
        else:
            break
    return where


def problem_at(data, path, message: str, source: str = "<scenario>") -> Problem:
    """A problem at a key path of (located) scenario data."""
    return Problem(locate(data, path) or Where(source), dotted(path), message)


def raise_problems(problems) -> None:
    """Raise one ScenarioError for all the problems, in file and line order (if any)."""
    if problems:
        order = sorted(problems, key=lambda p: (not p.where.override, p.where.source, p.where.line or 0))
        raise ScenarioError(*order)


# ---- reading YAML ---------------------------------------------------------------------


class _Disallowed(NamedTuple):
    """Stands in for a tagged value that is never constructed."""

    tag: str
    where: Where


class ScenarioLoader(yaml.SafeLoader):
    """Safe YAML that records each key's file and line, and never constructs tagged objects."""

    def __init__(self, stream, source: str, override: bool = False):
        super().__init__(stream)
        self.source = source
        self.override = override
        self.problems: list[Problem] = []

    def where(self, node) -> Where:
        """Where a node was given."""
        if self.override:
            return Where(self.source, None, True)
        return Where(self.source, node.start_mark.line + 1)


def _construct_map(loader: ScenarioLoader, node):
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(None, None, "expected a mapping", node.start_mark)
    data = YamlMap(where=loader.where(node))
    yield data
    explicit = {id(k) for k, _ in node.value}  # keys merged in with << may be given again
    loader.flatten_mapping(node)
    given = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        where = loader.where(key_node)
        try:
            hash(key)
        except TypeError:
            loader.problems.append(Problem(where, "", f"a key must be text, got {_show(key)}"))
            continue
        if id(key_node) in explicit:
            if key in given:
                data.duplicates.append((key, where, data.key_where[key].line))
            given.add(key)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_where[key] = where


def _construct_list(loader: ScenarioLoader, node):
    if not isinstance(node, yaml.SequenceNode):
        raise yaml.constructor.ConstructorError(None, None, "expected a list", node.start_mark)
    data = YamlList(where=loader.where(node))
    yield data
    for item in node.value:
        data.append(loader.construct_object(item, deep=True))
        data.item_where.append(loader.where(item))


def _construct_timestamp(loader: ScenarioLoader, node):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:  # 2017-13-01: left as text, for the schema to refuse by name
        return loader.construct_scalar(node)


def _construct_disallowed(loader: ScenarioLoader, node):
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return _Disallowed(tag, loader.where(node))


ScenarioLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
ScenarioLoader.add_constructor("tag:yaml.org,2002:seq", _construct_list)
ScenarioLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
ScenarioLoader.add_constructor(None, _construct_disallowed)


def _load_yaml(text: str, source: str, key: str | None = None):
    """Located data from YAML text, or a ScenarioError with every reading problem.

    Args:
        text: the YAML.
        source: the file it came from, as given (for messages).
        key: for a command-line override, the dotted key it sets (``source`` is then
            ``--set`` and problems are named by key alone).
    """
    loader = ScenarioLoader(text, source, override=key is not None)
    prefix = () if key is None else (key,)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark and key is None else None
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
        context, opened = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and problem.startswith("but "):
            problem = f"{context}, {problem}"
        elif context and problem != context and opened and key is None and opened.line != mark.line:
            problem += f" ({context} on line {opened.line + 1})"
        raise ScenarioError(Problem(Where(source, line, key is not None), dotted(prefix),
                                    f"not valid YAML: {problem}")) from None
    finally:
        loader.dispose()
    raise_problems(loader.problems + list(_reading_problems(data, prefix)))
    return data


def _reading_problems(value, path=()):
    """Tags and duplicate keys anywhere in located data."""
    if isinstance(value, _Disallowed):
        yield Problem(value.where, dotted(path), f"tag '{value.tag}' is not allowed: "
                                                 "a scenario holds plain mappings, lists, text, numbers and dates")
    elif isinstance(value, YamlMap):
        for key, where, first in value.duplicates:
            again = f" (first given on line {first})" if first else ""
            yield Problem(where, dotted((*path, key)), f"duplicate key{again}")
        for key, item in value.items():
            if isinstance(key, _Disallowed):
                yield from _reading_problems(key, path)
            yield from _reading_problems(item, (*path, key))
    elif isinstance(value, YamlList):
        for i, item in enumerate(value):
            yield from _reading_problems(item, (*path, i))


def _read_file(path: Path, display: str) -> YamlMap:
    """One file's located mapping (its ``extends`` still in it)."""
    if not path.is_file():
        raise ScenarioError(f"{display}: no such scenario file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{display}: not a text file (expected UTF-8 YAML)") from None
    data = _load_yaml(text, display)
    if not isinstance(data, YamlMap):
        line = getattr(data, "where", Where(display, 1)).line
        got = "an empty file" if data is None else _kind(data)
        message = f"a scenario must be a mapping of keys to values, got {got}"
        raise ScenarioError(Problem(Where(display, line), "", message))
    data.where = Where(display)  # a missing top-level key is the file's, not a line's
    return data


def _read_chain(path: Path, display: str, chain: tuple[tuple[Path, str], ...]) -> YamlMap:
    """A file's mapping merged onto the chain of files it extends."""
    data = _read_file(path, display)
    if "extends" not in data:
        return data
    base_name, where = data.pop("extends"), data.key_where.pop("extends")
    if not isinstance(base_name, str) or not base_name.strip():
        raise ScenarioError(Problem(where, "extends", f"expected the path of a scenario file, got {_show(base_name)}"))
    base_path = path.parent / base_name
    base_display = os.path.normpath(os.path.join(os.path.dirname(display), base_name))
    here = path.resolve()
    seen = (*chain, (here, display))
    if base_path.resolve() == here:
        raise ScenarioError(Problem(where, "extends", "the file extends itself"))
    if any(base_path.resolve() == p for p, _ in chain):
        loop = " -> ".join([d for _, d in seen] + [base_display])
        raise ScenarioError(Problem(where, "extends", f"loops back to {base_display} ({loop})"))
    if not base_path.is_file():
        raise ScenarioError(Problem(where, "extends", f"no such scenario file {base_display}"))
    return merge(_read_chain(base_path, base_display, seen), data)


def merge(base, overlay):
    """``overlay`` merged onto ``base``: mappings key by key (recursively); lists and scalars replace."""
    if not (isinstance(base, dict) and isinstance(overlay, dict)):
        return overlay
    out = YamlMap(base, where=getattr(overlay, "where", None))
    out.key_where = dict(getattr(base, "key_where", {}))
    for key, value in overlay.items():
        out[key] = merge(base[key], value) if key in base else value
        if key in getattr(overlay, "key_where", {}):
            out.key_where[key] = overlay.key_where[key]
    return out


def read_scenario_data(path: str | Path) -> dict:
    """The raw (located) mapping of a scenario file, with its ``extends`` chain merged in.

    Raises:
        ScenarioError: every reading problem (a missing file, YAML syntax, a tag, a
            duplicate key, a bad ``extends``), one line each.
    """
    return _read_chain(Path(path), str(path), ())


# ---- overrides ---------------------------------------------------------------------


def parse_value(text: str, key: str | None = None) -> Any:
    """A command-line value, read as YAML (so 30000 is a number, [a, b] a list).

    Args:
        text: the value as typed.
        key: the dotted key it sets; given, problems are reported as ``--set KEY: ...``.
    """
    return _load_yaml(text, OVERRIDE_SOURCE, key=key or "value")


def apply_overrides(data: dict, overrides: dict[str, Any], source: str = OVERRIDE_SOURCE) -> dict:
    """A copy of scenario data with dotted keys set (``sdf.manpower``, ``isis.units.0.strength``).

    Raises:
        ScenarioError: every key that does not lead into the data, one line each.
    """
    data = _located(data, getattr(data, "where", None) or Where("<scenario>"))
    where = Where(source, None, True)
    problems = []
    for key, value in overrides.items():
        parts = str(key).split(".")
        node = data
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, YamlList) and part.isdigit() and int(part) < len(node):
                part = int(part)
                if last:
                    node[part], node.item_where[part] = _located(value, where), where
            elif isinstance(node, YamlMap) and part:
                if last or part not in node:
                    node[part] = _located(value, where) if last else YamlMap(where=where)
                    node.key_where[part] = where
            else:
                here = dotted(parts[:i]) or "the scenario"
                what = f"has no item {part}" if isinstance(node, YamlList) else "is not a section"
                message = f"'{here}' {what}" if part else "expected a dotted key such as sdf.manpower"
                problems.append(Problem(where, str(key), message))
                break
            node = node[part]
    raise_problems(problems)
    return data


def _located(value, where: Where):
    """A deep copy of plain or located data, located at ``where`` where it says nothing."""
    if isinstance(value, dict):
        out = YamlMap(where=getattr(value, "where", None) or where)
        for key, item in value.items():
            out[key] = _located(item, where)
            out.key_where[key] = getattr(value, "key_where", {}).get(key, where)
        out.duplicates = list(getattr(value, "duplicates", []))
        return out
    if isinstance(value, list):
        out = YamlList((_located(v, where) for v in value), where=getattr(value, "where", None) or where)
        out.item_where = list(getattr(value, "item_where", [])) or [where] * len(value)
        return out
    return value


# ---- the schema's problems, in plain words ------------------------------------------------------


def validate_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    """A Scenario from raw data, or a ScenarioError naming every problem, one line each."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise_problems(schema_problems(exc, data, source))
        raise  # not reached: there is always at least one problem


def schema_problems(exc: ValidationError, data, source: str = "<scenario>") -> list[Problem]:
    """pydantic's errors as problems that say what was expected, located in ``data``."""
    problems, unions_done = [], set()
    for err in exc.errors():
        path, tp, parent, union_path, union = _walk(err["loc"])
        if union is not None:
            value = _get(data, union_path)
            if not isinstance(value, (list, tuple)) or not _has_list_member(union):
                if union_path not in unions_done:
                    unions_done.add(union_path)
                    message = f"expected {_describe(union)}, got {_show(value)}"
                    problems.append(problem_at(data, union_path, message, source))
                continue
            if len(path) == len(union_path) and _origin(tp) not in (list, tuple):
                continue  # a list given: the text branch's complaint says nothing
        problems.append(problem_at(data, path, _message(err, tp, parent), source))
    return problems


def _message(err: dict, tp, parent) -> str:
    """One pydantic error in plain words."""
    kind, ctx, got = err["type"], err.get("ctx", {}), _show(err.get("input"))
    if err["loc"] and err["loc"][-1] == "[key]":
        hint = did_you_mean(err.get("input"), re.findall(r"'([^']*)'", ctx.get("expected", "")))
        return f"unknown key {got}{hint or ' (expected ' + ctx.get('expected', 'another') + ')'}"
    if kind == "missing":
        return "required key missing"
    if kind == "extra_forbidden":
        return _unknown_key(err["loc"][-1], parent)
    if kind == "invalid_key":
        return f"a key must be text, got {got}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    bounds = {"greater_than_equal": ("must be a number ≥", "ge"), "greater_than": ("must be a number >", "gt"),
              "less_than_equal": ("must be at most", "le"), "less_than": ("must be less than", "lt")}
    if kind in bounds:
        words, name = bounds[kind]
        return f"{words} {_number(ctx[name])}, got {got}"
    if kind == "literal_error":
        return f"expected {ctx['expected']}, got {got}{did_you_mean(err.get('input'), get_args(_strip(tp)))}"
    if kind in ("too_long", "too_short") and _origin(tp) is tuple:
        return f"expected {_describe(tp)} (2 numbers), got {got}"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} {_items(tp)}, got {ctx['actual_length']}"
    if kind == "too_long":
        return f"takes at most {ctx['max_length']} {_items(tp)}, got {ctx['actual_length']}"
    if kind.startswith(("float", "int", "bool", "string", "date", "list", "tuple", "dict", "model", "literal")):
        return f"expected {_describe(tp)}, got {got}"
    return f"{err['msg'][0].lower()}{err['msg'][1:]}, got {got}"


def _unknown_key(key, model) -> str:
    known = list(getattr(model, "model_fields", {}))
    if model is Scenario:
        known.append("extends")
    hint = did_you_mean(key, known)
    return f"unknown key {_show(key)}{hint or ' (expected one of: ' + ', '.join(known) + ')'}"


def did_you_mean(given, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or nothing."""
    if not isinstance(given, str):
        return ""
    by_fold = {str(c).casefold(): c for c in choices}
    match = difflib.get_close_matches(given.casefold(), list(by_fold), n=1, cutoff=0.6)
    return f" (did you mean '{by_fold[match[0]]}'?)" if match else ""


def _walk(loc):
    """pydantic's error location through the schema's types.

    Returns the key path as the user writes it (union members' tags dropped), the
    type there, the model holding the last key, and the path and type of the first
    union the location passed through (None if it passed none).
    """
    tp, parent, path, union_path, union = Scenario, None, [], None, None
    for part in loc:
        if part == "[key]":
            break
        base = _strip(tp)
        if _is_union(base):
            if union is None:
                union_path, union = tuple(path), tp
            tp = _member(base, part)
            continue
        path.append(part)
        parent = base
        if isinstance(base, type) and issubclass(base, BaseModel):
            tp = _field_types(base).get(part)
        elif _origin(base) is dict:
            tp = get_args(base)[1]
        elif _origin(base) is list:
            tp = get_args(base)[0]
        elif _origin(base) is tuple:
            args = get_args(base)
            tp = args[part] if isinstance(part, int) and part < len(args) else None
        else:
            tp = None
    return tuple(path), tp, parent, union_path, union


def _field_types(model: type[BaseModel]) -> dict[str, Any]:
    return typing.get_type_hints(model, include_extras=True)


def _strip(tp):
    """A type without Annotated metadata or Optional."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif _is_union(tp) and len([a for a in get_args(tp) if a is not type(None)]) == 1:
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def _is_union(tp) -> bool:
    return get_origin(tp) in (typing.Union, types.UnionType)


def _origin(tp):
    tp = _strip(tp)
    return get_origin(tp) or tp


def _member(union, tag: str):
    """The union member pydantic's tag (``str``, ``tuple[...]``, ``literal[...]``) names."""
    names = {str: "str", tuple: "tuple", list: "list", dict: "dict", Literal: "literal"}
    for arg in get_args(union):
        if str(tag).startswith(names.get(_origin(arg), "?")):
            return arg
    return None


def _has_list_member(union) -> bool:
    return any(_origin(a) in (list, tuple) for a in get_args(_strip(union)))


def _describe(tp) -> str:
    """What a value of a type looks like, in words."""
    if _is_union(tp):
        members = [a for a in get_args(tp) if a is not type(None)]
        return " or ".join(_describe(a) for a in members)
    if tp == PlaceName:
        return "a place name"
    if tp == LonLat:
        return "[lon, lat]"
    if get_origin(tp) is Annotated:
        return _describe(get_args(tp)[0])
    origin = get_origin(tp) or tp
    if origin is Literal:
        return " or ".join(repr(a) for a in get_args(tp))
    if origin is list:
        item = get_args(tp)[0] if get_args(tp) else None
        return "a list of [lon, lat] points" if item == LonLat else "a list"
    if isinstance(origin, type) and issubclass(origin, BaseModel):
        return "a mapping of keys to values"
    words = {bool: "true or false", int: "a whole number", float: "a number", str: "text",
             dt.date: "a date (YYYY-MM-DD)", dict: "a mapping of keys to values", tuple: "[lon, lat]"}
    return words.get(origin, "a value")


def _items(tp) -> str:
    args = get_args(_strip(tp))
    return "[lon, lat] points" if args and args[0] == LonLat else "items"


def _get(data, path):
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _number(x) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _kind(value) -> str:
    kinds = {list: "a list", dict: "a mapping", str: "text", bool: "true or false"}
    return next((k for t, k in kinds.items() if isinstance(value, t)), f"the value {_show(value)}")


def _show(value, limit: int = 60) -> str:
    """A value as the user would write it in YAML (shortened)."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f"'{value}'"
    elif isinstance(value, dict):
        text = "a mapping"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_show(v, limit) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read a scenario file (its ``extends`` chain merged), apply overrides and validate its schema.

    The checks against the map (places, points, forces) are not made here:
    :func:`simulation.validation.load_scenario` makes them all.

    Args:
        path: the scenario YAML file.
        overrides: dotted keys to set, e.g. ``{"sdf.manpower": 30000}``.

    Raises:
        ScenarioError: every problem of the first stage that has any, one line each.
    """
    data = read_scenario_data(path)
    if overrides:
        data = apply_overrides(data, overrides)
    return validate_scenario(data, source=str(path))
