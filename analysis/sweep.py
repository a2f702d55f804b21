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
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulation.scenario import (Problem, Scenario, ScenarioError, Where, apply_overrides, check_scenario,
                                 did_you_mean, load_yaml, locate, raise_problems, read_scenario, scenario_file)

Number = int | float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """A range of values, sampled uniformly by the lhs and sobol designs."""

    low: Number = Field(description="lowest value")
    high: Number = Field(description="highest value (above low)")


class SweepSpec(_Strict):
    """A sweep file: the scenario, the design, and the parameters it varies."""

    scenario: str = Field(description="scenario YAML file, relative to the sweep file's folder, or a shipped "
                                      "scenario's name (2017-07-04_raqqa)")
    replicates: Annotated[int, Field(ge=1)] = Field(description="seeds per parameter point")
    seed: Annotated[int, Field(ge=0)] = Field(description="base seed; each run's seed derives from it")
    days: Annotated[int, Field(ge=1)] | None = Field(None, description="days to run (default: to the end date)")
    cell_km: Annotated[float, Field(ge=2, le=50)] | None = Field(
        None, description="hex cell size in km (default: the scenario's)")
    design: Literal["grid", "lhs", "sobol"] = Field("grid", description="how points are chosen")
    samples: Annotated[int, Field(ge=1)] | None = Field(None, description="points (lhs) or base samples N (sobol)")
    parameters: dict[str, Annotated[list[Any], Field(min_length=1)] | Range] = Field(
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


# ---- reading the sweep file ----------------------------------------------------------------


def read_sweep(path: str | Path) -> tuple[SweepSpec, Any]:
    """The sweep spec of a file and its located data; ScenarioError with every problem."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such sweep file")
    data = load_yaml(path.read_text(encoding="utf-8"), str(path))
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
    loc = tuple(p for p in err["loc"] if p not in ("list[any]", "Range")
                and not str(p).startswith(("constrained-list", "list[")))
    if err["type"] == "extra_forbidden":
        known = list((Range if len(loc) == 3 else SweepSpec).model_fields)
        hint = did_you_mean(loc[-1], known) or f" (expected one of: {', '.join(known)})"
        message = f"unknown key '{loc[-1]}'{hint}"
    else:
        message = err["msg"][0].lower() + err["msg"][1:]
        if "input" in err and not isinstance(err["input"], dict):
            message += f", got {err['input']!r}"
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


def plan_sweep(path: str | Path) -> SweepPlan:
    """Read a sweep file and check every point's scenario; nothing is run or written.

    Raises:
        ScenarioError: every problem of the sweep file, or of its points (one line per
            distinct problem, naming the first point that has it).
    """
    path = Path(path)
    spec, _ = read_sweep(path)
    # A file relative to the sweep file's folder, or else a shipped scenario's name.
    relative = path.parent / spec.scenario
    scenario_path = relative if relative.exists() or Path(spec.scenario).suffix else scenario_file(spec.scenario)
    # The file is read once; each point is its data with the point's overrides, checked
    # as load_scenario(scenario_path, point) checks it (the same stages and messages).
    data, source = read_scenario(scenario_path)
    base = check_scenario(data, source=source)  # the scenario alone first
    whole = whole_number_keys(spec, _plain(data), base)
    points = design_points(spec, whole)
    scenarios, problems = [], {}
    for i, point in enumerate(points):
        try:
            scenarios.append(check_scenario(apply_overrides(data, point), source=source) if point else base)
        except ScenarioError as exc:
            for line in exc.problems:
                problems.setdefault(line, []).append(i)
    if problems:
        raise ScenarioError(*[f"{path}: point {ids[0]} ({describe_point(points[ids[0]])}): {line}"
                              + (f" (and {len(ids) - 1} more points)" if len(ids) > 1 else "")
                              for line, ids in problems.items()])
    width_p, width_r = max(4, len(str(len(points) - 1))), max(2, len(str(spec.replicates - 1)))
    runs = [Run(f"p{p:0{width_p}d}-r{r:0{width_r}d}", p, r, run_seed(spec.seed, p, r), point)
            for p, point in enumerate(points) for r in range(spec.replicates)]
    types = {k: column_type([pt[k] for pt in points]) for k in spec.parameters}
    return SweepPlan(path, spec, scenario_path, points, scenarios, runs, types)
