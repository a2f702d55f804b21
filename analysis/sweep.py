"""Scenario sweeps: a declarative sweep file, its design, and its runs, checked up front.

A sweep file names a scenario and the dotted keys to vary (the same keys as
``run.py run --set``), in the manner of an EMA Workbench experiment::

    scenario: ../scenarios/2017-07-04_raqqa.yaml   # relative to this file's folder, or a shipped name
    replicates: 10            # seeds per parameter point
    seed: 1                   # base seed; each run's seed derives from it
    days: 180                 # optional, else to the scenario's end date
    cell_km: 20               # optional, else the scenario's cell size
    design: grid              # grid | lhs | sobol
    samples: 64               # for lhs and sobol
    parameters:
      sdf.manpower: [30000, 40000, 50000]             # a list: these values
      air.russia.sorties_per_day: {low: 0, high: 60}  # a range: sampled by the design

Designs:

- ``grid``: every combination of the lists, in the order given (ranges are refused).
- ``lhs``: ``samples`` points of a Latin hypercube (scipy's ``LatinHypercube``, seeded
  by ``seed``); a range is sampled uniformly, a list is a categorical choice.
- ``sobol``: Saltelli's extension of the Sobol sequence (``SALib.sample.sobol``, first
  and total order only, ``N = samples``, a power of 2), so ``samples * (D + 2)`` points
  for D ranges, in SALib's order: ``SALib.analyze.sobol`` reads the outcomes point by point.
  Lists are refused: Sobol indices need ranges.

A parameter is rounded to whole numbers where the scenario's value at that key is a
whole number (``sdf.manpower: 50000``) or both bounds of its range are.

Each run's seed is ``SeedSequence([seed, point, replicate]).generate_state(1)[0]``
(numpy; a whole number below 2**32): the same for the same sweep on any machine, and
independent of how many points or replicates the sweep has. Runs are named
``p0003-r02`` (point 3, replicate 2). Every point is checked as ``run.py run --set``
would check it before any run starts (:func:`plan_sweep`).

Sizes are checked before any point is drawn: ``samples`` and ``replicates`` are whole
numbers from 1 to 10 million, a range's bounds finite numbers within ±1e15, and the
planned count (:func:`sweep_size`: points × replicates, worked out without drawing
them) at most 10 million runs. ``run.py sweep`` prints that count first and asks for
``--allow-large`` from 100,000 runs (:data:`LARGE_SWEEP_RUNS`).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, ValidationError

from simulation.scenario import (Problem, Scenario, ScenarioError, Where, apply_overrides, check_scenario,
                                 did_you_mean, load_yaml, locate, raise_problems, read_scenario, scenario_file)
from simulation.scenario.yaml_reader import read_yaml_file

MAX_COUNT = 10_000_000  # samples, replicates and runs: past this a sweep would run for months, or not fit in memory
LARGE_SWEEP_RUNS = 100_000  # from this many runs ``run.py sweep`` asks for --allow-large
MAX_BOUND = 1e15  # a range's bounds: doubles hold every whole number up to 2**53 (about 9e15)


def _show(value) -> str:
    """A value as written in YAML: true, .inf, 1e+09, 'text'."""
    from simulation.scenario.problems import show_value

    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return show_value(value)


def _number(value):
    """A number as given: true/false refused (pydantic reads true as 1), text read as a number (YAML 1.1
    reads ``1e9``, an exponent without a dot, as text)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {_show(value)}")
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {_show(value)}") from None
    return value


def _whole(value):
    """A whole number as given: ``1000``, ``1e3`` or ``1000.0``; not true, 2.5 or .inf."""
    try:
        number = _number(value)
    except ValueError:
        raise ValueError(f"expected a whole number, got {_show(value)}") from None
    if isinstance(number, float):
        if not (math.isfinite(number) and number.is_integer()):
            raise ValueError(f"expected a whole number, got {_show(number)}")
        return int(number)
    return number


def _at_most(limit: int) -> AfterValidator:
    def check(value: int) -> int:
        if value > limit:
            raise ValueError(f"must be at most {limit:,}, got {_show(value)}")
        return value
    return AfterValidator(check)


def _bound(value):
    """A range's bound: a finite number within ±MAX_BOUND (wider ranges overflow when sampled)."""
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {_show(value)}")
    if abs(value) > MAX_BOUND:
        raise ValueError(f"must be between -1e15 and 1e15, got {_show(float(value))}")
    return value


Number = int | float
Bound = Annotated[Number, BeforeValidator(_number), AfterValidator(_bound)]
Count = Annotated[int, BeforeValidator(_whole), Field(ge=1), _at_most(MAX_COUNT)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """A range of values, sampled uniformly by the lhs and sobol designs."""

    low: Bound = Field(description="lowest value (a finite number within ±1e15)")
    high: Bound = Field(description="highest value (above low)")


def _kind(value) -> str:
    """Which form a parameter takes: a {low, high} mapping is a range, anything else a list of values."""
    return "range" if isinstance(value, (dict, Range)) else "values"


# A parameter is a list of values or a range, told apart by its form: a mistake in one is
# reported as that one's, not as a failed match of both.
Values = Annotated[list[Any], Field(min_length=1)]
Parameter = Annotated[Annotated[Values, Tag("values")] | Annotated[Range, Tag("range")], Discriminator(_kind)]


class SweepSpec(_Strict):
    """A sweep file: the scenario, the design, and the parameters it varies."""

    scenario: str = Field(description="scenario YAML file, relative to the sweep file's folder, or a shipped "
                                      "scenario's name (2017-07-04_raqqa)")
    replicates: Count = Field(description="seeds per parameter point (1 to 10 million)")
    seed: Annotated[int, BeforeValidator(_whole), Field(ge=0)] = Field(
        description="base seed; each run's seed derives from it")
    days: Annotated[int, BeforeValidator(_whole), Field(ge=1)] | None = Field(
        None, description="days to run (default: to the end date)")
    cell_km: Annotated[float, BeforeValidator(_number), Field(ge=2, le=50)] | None = Field(
        None, description="hex cell size in km (default: the scenario's)")
    design: Literal["grid", "lhs", "sobol"] = Field("grid", description="how points are chosen")
    samples: Count | None = Field(None, description="points (lhs) or base samples N (sobol), 1 to 10 million")
    parameters: dict[str, Parameter] = Field(
        default_factory=dict, description="dotted scenario keys: a list of values or a {low, high} range")


@dataclass(frozen=True)
class Run:
    """One run of a sweep: a parameter point and a replicate, with its seed."""

    run_id: str
    point: int
    replicate: int
    seed: int
    parameters: dict[str, Any]


@dataclass
class SweepPlan:
    """A checked sweep: the spec, the scenario of every point, and every run."""

    path: Path
    spec: SweepSpec
    scenario_path: Path
    points: list[dict[str, Any]]
    scenarios: list[Scenario]  # the checked scenario of each point
    runs: list[Run]
    column_types: dict[str, str]  # parameter key -> "float" or "str"

    @property
    def size(self) -> SweepSize:
        return SweepSize(len(self.points), self.spec.replicates)


# ---- reading the sweep file ----------------------------------------------------------------


def read_sweep(path: str | Path) -> tuple[SweepSpec, Any]:
    """The sweep spec of a file and its located data; ScenarioError with every problem."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such sweep file")
    data = load_yaml(read_yaml_file(path, str(path)), str(path))
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a sweep file must be a mapping of keys to values")
    try:
        spec = SweepSpec.model_validate(_plain(data))
    except ValidationError as exc:
        raise_problems([_problem(data, err, path) for err in exc.errors()])
        raise
    raise_problems([Problem(locate(data, key) or Where(str(path)), ".".join(map(str, key)), message)
                    for key, message in spec_problems(spec)])
    return spec, data


def _problem(data, err: dict, path: Path) -> Problem:
    loc = tuple(err["loc"])
    if loc[:1] == ("parameters",) and len(loc) > 2:
        loc = loc[:2] + loc[3:]  # the form's tag (values or range) is no key of the file
    got = _show(err["input"]) if "input" in err and not isinstance(err["input"], dict) else None
    if err["type"] == "extra_forbidden":
        known = list((Range if len(loc) == 3 else SweepSpec).model_fields)
        hint = did_you_mean(loc[-1], known) or f" (expected one of: {', '.join(known)})"
        message = f"unknown key '{loc[-1]}'{hint}"
    elif err["type"] == "value_error":
        message = str(err["ctx"]["error"])
    elif err["type"] == "greater_than_equal":
        message = f"must be at least {err['ctx']['ge']}, got {got}"
    elif err["type"] == "list_type" and loc[:1] == ("parameters",) and len(loc) == 2:
        message = f"expected a list of values or a {{low, high}} range, got {got}"
    else:
        message = err["msg"][0].lower() + err["msg"][1:]
        if got is not None:
            message += f", got {got}"
    return Problem(locate(data, loc) or Where(str(path)), ".".join(map(str, loc)), message)


def spec_problems(spec: SweepSpec) -> list[tuple[tuple, str]]:
    """What the schema cannot say: which designs take which parameters, and samples."""
    problems = []
    ranges = {k for k, v in spec.parameters.items() if isinstance(v, Range)}
    for key in ranges:
        r = spec.parameters[key]
        if not r.low < r.high:
            problems.append((("parameters", key), f"low ({r.low}) must be below high ({r.high})"))
    if spec.design == "grid":
        problems += [(("parameters", k), "a grid takes a list of values; a {low, high} range needs "
                                         "design lhs or sobol") for k in ranges]
        if spec.samples is not None:
            problems.append((("samples",), "a grid takes no samples (it runs every combination)"))
        return problems
    if spec.samples is None:
        problems.append((("design",), f"design {spec.design} needs samples (points to draw)"))
    if not spec.parameters:
        problems.append((("parameters",), f"design {spec.design} needs at least one parameter"))
    if spec.design == "sobol":
        problems += [(("parameters", k), "sobol takes ranges {low, high} only, not lists")
                     for k in spec.parameters if k not in ranges]
        if spec.samples is not None and spec.samples & (spec.samples - 1):
            problems.append((("samples",), f"sobol needs a power of 2 (e.g. {2 ** round(math.log2(spec.samples))}), "
                                           f"got {spec.samples}"))
    return problems


def _plain(value):
    """Located YAML data as plain dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ---- the design ------------------------------------------------------------------------


def design_points(spec: SweepSpec, whole: set[str]) -> list[dict[str, Any]]:
    """The parameter points of the design, in order; keys in ``whole`` are rounded."""
    keys = list(spec.parameters)
    values = [spec.parameters[k] for k in keys]
    if spec.design == "grid":
        rows = [list(combo) for combo in itertools.product(*[_plain(v) for v in values])]
    elif spec.design == "lhs":
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(keys), seed=spec.seed).random(spec.samples)
        rows = [[_scale(v, x) for v, x in zip(values, row)] for row in u]
    else:
        from SALib.sample import sobol

        problem = {"num_vars": len(keys), "names": keys, "bounds": [[v.low, v.high] for v in values]}
        rows = sobol.sample(problem, spec.samples, calc_second_order=False, seed=spec.seed).tolist()
    return [{k: (int(round(x)) if k in whole else x) for k, x in zip(keys, row)} for row in rows]


def _scale(values, u: float):
    if isinstance(values, Range):
        return float(values.low + u * (values.high - values.low))
    items = _plain(values)
    return items[min(int(u * len(items)), len(items) - 1)]


def whole_number_keys(spec: SweepSpec, scenario_data, scenario: Scenario) -> set[str]:
    """Parameters to round: the scenario's value there is whole, or both bounds are."""
    whole = set()
    dumped = scenario.model_dump()
    for key, values in spec.parameters.items():
        if isinstance(values, Range):
            if not isinstance(values.low, int) or not isinstance(values.high, int):
                if not any(_is_int(_at(d, key)) for d in (scenario_data, dumped)):
                    continue
            whole.add(key)
    return whole


def _at(data, key: str):
    for part in key.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, (list, tuple)) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def run_seed(base: int, point: int, replicate: int) -> int:
    """The seed of a run: from the base seed, the point and the replicate (numpy SeedSequence)."""
    return int(np.random.SeedSequence([base, point, replicate]).generate_state(1)[0])


def column_type(values: list) -> str:
    """``float`` for a parameter whose values are all numbers, else ``str`` (categorical)."""
    return "float" if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) else "str"


def describe_point(point: dict[str, Any]) -> str:
    """``sdf.manpower=-5, air.russia.sorties_per_day=30`` (values as JSON)."""
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in point.items()) or "no parameters"


# ---- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepSize:
    """How many points and runs a sweep plans, worked out from its spec alone."""

    points: int
    replicates: int

    @property
    def runs(self) -> int:
        return self.points * self.replicates

    def __str__(self) -> str:
        def count(n: int, word: str) -> str:
            return f"{n:,} {word}{'' if n == 1 else 's'}"

        return (f"{count(self.runs, 'run')} planned "
                f"({count(self.points, 'point')} × {count(self.replicates, 'replicate')})")


def sweep_size(spec: SweepSpec) -> SweepSize:
    """Points and runs of a (read) sweep, counted without drawing a point.

    grid: the product of the lists' lengths; lhs: ``samples``; sobol: ``samples * (D + 2)``
    for D ranges (Saltelli, first and total order).
    """
    if spec.design == "grid":
        points = math.prod(len(v) for v in spec.parameters.values() if not isinstance(v, Range))
    elif spec.design == "lhs":
        points = spec.samples or 0
    else:
        points = (spec.samples or 0) * (len(spec.parameters) + 2)
    return SweepSize(points, spec.replicates)


@functools.cache
def _parts(model: type[BaseModel]) -> dict[str, tuple[str, type[BaseModel]]]:
    """The fields of a model that a point may re-validate on their own: a model (``"model"``)
    or a list of models (``"list"``) that no validator of ``model`` looks at. Empty when a
    validator looks at the whole (then any change re-validates all of it)."""
    decorators = model.__pydantic_decorators__
    watched = {f for d in decorators.field_validators.values() for f in d.info.fields}
    if decorators.model_validators or "*" in watched:
        return {}
    parts = {}
    for name, field in model.model_fields.items():
        tp, args = field.annotation, typing.get_args(field.annotation)
        if name in watched or field.metadata:
            continue
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            parts[name] = ("model", tp)
        elif typing.get_origin(tp) is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            parts[name] = ("list", args[0])
    return parts


def _revalidated(obj: BaseModel, data, keys: dict) -> BaseModel:
    """``obj`` with the parts named in ``keys`` (a tree of the dotted keys set; None where a key
    ends) validated again from ``data``, the overridden data at ``obj``'s place; the rest shared.

    The smallest model that holds each key is validated whole, as the schema would
    validate it. Raises pydantic's ValidationError.
    """
    parts = _parts(type(obj))
    update = {}
    for name, below in keys.items():
        kind = parts[name][0] if name in parts else None
        if below is None or kind is None:  # the key ends here, or leads into no model: this one whole
            return type(obj).model_validate(data)
        if kind == "model":
            update[name] = _revalidated(getattr(obj, name), data[name], below)
        else:
            items = list(getattr(obj, name))
            if not all(str(i).isdigit() and int(i) < len(items) and below[i] is not None for i in below):
                return type(obj).model_validate(data)
            for i, item_keys in below.items():
                items[int(i)] = _revalidated(items[int(i)], data[name][int(i)], item_keys)
            update[name] = items
    return obj.model_copy(update=update)


def _key_tree(keys) -> dict:
    """``{"sdf": {"manpower": None, "units": {"0": {"at": None}}}}`` from dotted keys."""
    tree: dict = {}
    for key in keys:
        node, parts = tree, str(key).split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):  # a key set whole, then one inside it: the inner one
                node[part] = {}                        # is validated with its holder all the same
            node = node[part]
        if parts[-1] not in node:
            node[parts[-1]] = None
    return tree


class _PointChecker:
    """Checks points of one scenario as ``load_scenario(file, point)`` checks them, quickly.

    The scenario is validated once. For each point only the smallest parts of it that
    hold the keys set (``rules.morale``, ``sdf``, ``isis.units.0``) are validated again,
    the rest shared with the scenario, and then the checks against the map run on the
    whole. A point that fails any of this, or sets a key that only the whole scenario
    checks (``start``, ``end``, a key that is no section), is checked in full by
    :func:`~simulation.scenario.check_scenario`, so that a bad point is refused in
    exactly the lines ``load_scenario`` would give.
    """

    def __init__(self, data, source: str, base: Scenario):
        from simulation.scenario import scenario_problems

        self.data, self.source, self.base = data, source, base
        self.problems_of = scenario_problems

    def __call__(self, point: dict[str, Any]) -> Scenario:
        if not point:
            return self.base
        data = apply_overrides(self.data, point)  # a key that leads nowhere: ScenarioError
        keys = _key_tree(point)
        if all(name in _parts(Scenario) and below is not None for name, below in keys.items()):
            try:
                scenario = _revalidated(self.base, data, keys)
            except ValidationError:
                pass  # worded below, as the whole scenario's problem
            else:
                if not self.problems_of(scenario):
                    return scenario
        return check_scenario(data, source=self.source)


def _scenario_path(path: Path, spec: SweepSpec) -> Path:
    """The sweep's scenario: a file relative to the sweep file's folder, or else a shipped scenario's name."""
    relative = path.parent / spec.scenario
    return relative if relative.exists() or Path(spec.scenario).suffix else scenario_file(spec.scenario)


def _days_problem(spec: SweepSpec, scenario: Scenario, sweep_data, path: Path) -> Problem | None:
    """``days`` past the scenario's end date (a run would step on for as many days as it says)."""
    if spec.days is None or spec.days <= scenario.days:
        return None
    return Problem(locate(sweep_data, ("days",)) or Where(str(path)), "days",
                   f"{spec.days:,} is past the scenario's end ({scenario.end}, {scenario.days} days after its "
                   f"start); run at most {scenario.days}, or leave days out to run to the end")


def plan_sweep(path: str | Path, announce: Callable[[SweepSize], None] | None = None) -> SweepPlan:
    """Read a sweep file and check every point's scenario; nothing is run or written.

    The sweep file and its scenario are checked first, then the size is counted and
    given to ``announce`` (which may refuse it by raising), and only then are the
    points drawn and checked.

    Args:
        path: the sweep file.
        announce: called with the sweep's :class:`SweepSize` before any point is drawn.

    Raises:
        ScenarioError: every problem of the sweep file, or of its points (one line per
            distinct problem, naming the first point that has it), or a sweep of more
            than :data:`MAX_COUNT` runs.
    """
    path = Path(path)
    spec, sweep_data = read_sweep(path)
    size = sweep_size(spec)
    if size.runs > MAX_COUNT:
        raise ScenarioError(f"{path}: {size}: more than a sweep may hold ({MAX_COUNT:,} runs); "
                            "lower samples or replicates, or split it into several sweeps")
    scenario_path = _scenario_path(path, spec)
    # The file is read once; each point is its data with the point's overrides, checked
    # as load_scenario(scenario_path, point) checks it (the same stages and messages).
    data, source = read_scenario(scenario_path)
    base = check_scenario(data, source=source)  # the scenario alone first
    raise_problems([p for p in [_days_problem(spec, base, sweep_data, path)] if p])
    if announce is not None:
        announce(size)
    whole = whole_number_keys(spec, _plain(data), base)
    points = design_points(spec, whole)
    check = _PointChecker(data, source, base)
    scenarios, problems = [], {}
    for i, point in enumerate(points):
        try:
            scenarios.append(scenario := check(point))
        except ScenarioError as exc:
            for line in exc.problems:
                problems.setdefault(line, []).append(i)
            continue
        if point and (days := _days_problem(spec, scenario, sweep_data, path)):  # start or end set by the point
            problems.setdefault(str(days), []).append(i)
    if problems:
        raise ScenarioError(*[f"{path}: point {ids[0]} ({describe_point(points[ids[0]])}): {line}"
                              + (f" (and {len(ids) - 1} more points)" if len(ids) > 1 else "")
                              for line, ids in problems.items()])
    width_p, width_r = max(4, len(str(len(points) - 1))), max(2, len(str(spec.replicates - 1)))
    runs = [Run(f"p{p:0{width_p}d}-r{r:0{width_r}d}", p, r, run_seed(spec.seed, p, r), point)
            for p, point in enumerate(points) for r in range(spec.replicates)]
    types = {k: column_type([pt[k] for pt in points]) for k in spec.parameters}
    return SweepPlan(path, spec, scenario_path, points, scenarios, runs, types)
