"""Fuzzing the readers: whatever text a user gives, the answer is a checked object or the project's own error.

Random text and bytes, and random mutations of the real July scenario and of a real
sweep file, go through the same functions ``run.py`` calls: the scenario reader
(``read_scenario_data``, ``load_scenario``), the ``--set KEY=VALUE`` parser and overrides,
and the sweep reader (``read_sweep``, ``plan_sweep``). Each must end in a checked object
or a :class:`ScenarioError` (one line per problem), each call within a time bound,
never any other exception. The example budget is fixed and derandomized, so a run in
CI is reproducible; the whole file takes well under a minute.

A failure found here is fixed at its root in the reader or the checks, and its minimal
example kept in ``REGRESSIONS`` below.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_arguments import JULY, ROOT

from analysis.sweep import plan_sweep, read_sweep
from run import _key_value
from simulation.scenario import ScenarioError, load_scenario, parse_value, read_scenario_data

JULY_TEXT = (ROOT / "scenarios" / f"{JULY}.yaml").read_text(encoding="utf-8")
SWEEP_TEXT = (ROOT / "sweeps" / "russian_air_grid.yaml").read_text(encoding="utf-8") \
    .replace("../scenarios/2017-07-04_raqqa.yaml", JULY)  # a shipped name: the file may be anywhere
SECONDS = 2.0  # per call: generous (each takes well under 0.2 s here); an alias bomb took minutes
MAX_RUNS = 50  # a sweep planned in a test: larger ones are refused as run.py refuses them without --allow-large

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# What YAML gives meaning to, so that random text is often almost YAML.
YAML_CHARS = list(":-[]{},&*!|>'\"%@`#?.~ \n\t") + list("0123456789aeEnx+_") + ["<<", "!!", "\r", "\0", "\x1b",
                                                                                 "\ufeff", "\x85", "\u2028", "\ufffe"]
yaml_ish = st.lists(st.one_of(st.sampled_from(YAML_CHARS), st.text(max_size=3)), max_size=40).map("".join)
SCENARIO_KEYS = ["name", "start", "end", "cell_km", "extends", "sdf", "sdf.manpower", "sdf.units.0.strength",
                 "sdf.units.0.at", "isis.units.3.place", "air.russia.sorties_per_day", "air.russia.priority.SDF",
                 "rules.combat.substeps", "rules.deconfliction.line", "control.areas.0.faction", "x", ""]


REFUSED = object()


def within_time(call, *args, **kwargs):
    """``call(*args)``: its result, or REFUSED where it raised ScenarioError (one line per problem); in time."""
    start = time.monotonic()
    try:
        return call(*args, **kwargs)
    except ScenarioError as exc:
        assert exc.problems and all(p and "\n" not in p and "Traceback" not in p for p in exc.problems), exc.problems
        return REFUSED
    finally:
        assert time.monotonic() - start < SECONDS, f"{call.__name__} took {time.monotonic() - start:.1f} s"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder for the files the examples are written to; the first load done (its imports are not timed)."""
    load_scenario(JULY)
    return tmp_path_factory.mktemp("fuzz")


@st.composite
def mutated(draw, text: str) -> str:
    """``text`` with one to four edits: characters or lines deleted, inserted, replaced, repeated or swapped."""
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True)
        at, line = draw(st.integers(0, len(text))), draw(st.integers(0, max(len(lines) - 1, 0)))
        edit = draw(st.sampled_from(["insert", "delete", "replace", "drop line", "repeat line", "swap lines",
                                     "new line", "indent", "dedent"]))
        if edit == "insert":
            text = text[:at] + draw(yaml_ish) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
        elif edit == "replace":
            text = text[:at] + draw(st.sampled_from(YAML_CHARS)) + text[at + 1:]
        elif lines and edit == "drop line":
            text = "".join(lines[:line] + lines[line + 1:])
        elif lines and edit == "repeat line":
            text = "".join(lines[:line + 1] + lines[line:])
        elif lines and edit == "swap lines":
            other = draw(st.integers(0, len(lines) - 1))
            lines[line], lines[other] = lines[other], lines[line]
            text = "".join(lines)
        elif edit == "new line":
            key = draw(st.sampled_from(["name", "sdf", "manpower", "units", "at", "<<", "extends", "x"]))
            text = "".join(lines[:line] + [f"{' ' * draw(st.integers(0, 6))}{key}: {draw(yaml_ish)}\n"] + lines[line:])
        elif lines and edit in ("indent", "dedent"):
            lines[line] = "  " + lines[line] if edit == "indent" else lines[line][2:]
            text = "".join(lines)
    return text


# ---- (a) the scenario reader ------------------------------------------------------------------


def scenario_file(folder: Path, content: str | bytes) -> Path:
    path = folder / "scenario.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


def read_and_load(path: Path) -> None:
    data = within_time(read_scenario_data, path)
    assert data is REFUSED or isinstance(data, dict)
    scenario = within_time(load_scenario, path)
    assert scenario is REFUSED or scenario.name


@FUZZ
@given(text=st.one_of(yaml_ish, st.text(max_size=200)))
def test_random_text_is_read_or_refused(folder, text):
    read_and_load(scenario_file(folder, text))


@FUZZ
@given(content=st.binary(max_size=300))
def test_random_bytes_are_read_or_refused(folder, content):
    read_and_load(scenario_file(folder, content))


@settings(FUZZ, max_examples=300)
@given(text=mutated(JULY_TEXT))
def test_mutations_of_the_july_scenario_are_loaded_or_refused(folder, text):
    read_and_load(scenario_file(folder, text))


# ---- (b) --set KEY=VALUE ---------------------------------------------------------------------


def set_and_load(argument: str) -> None:
    """``run.py validate JULY --set ARGUMENT``'s stages: argparse's KEY=VALUE, the value as YAML, the load."""
    try:
        key, text = _key_value(argument)
    except argparse.ArgumentTypeError:
        return  # argparse's own one-line error
    value = within_time(parse_value, text, key)
    if value is not REFUSED:
        scenario = within_time(load_scenario, JULY, overrides={key: value})
        assert scenario is REFUSED or scenario.name


@FUZZ
@given(key=st.one_of(st.sampled_from(SCENARIO_KEYS), st.text(max_size=20)), value=st.one_of(yaml_ish, st.text()))
def test_random_overrides_are_applied_or_refused(folder, key, value):
    set_and_load(f"{key}={value}")


@FUZZ
@given(key=st.sampled_from(SCENARIO_KEYS[:-2]), value=mutated("[0, {a: 1, b: [x, 'y']}, &z 2.5e3, *z, 2017-07-04]"))
def test_mutated_override_values_are_applied_or_refused(folder, key, value):
    set_and_load(f"{key}={value}")


# ---- (c) sweep files ---------------------------------------------------------------------------

numbers = st.one_of(st.integers(-10, 10**12), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, 1, 2, 16, 1e9, -1, 2**53 + 1]))
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=10),
                    st.sampled_from([JULY, "nowhere.yaml", "grid", "lhs", "sobol", "2017-07-04"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.sampled_from(["low", "high", "x"]), inner,
                                                                       max_size=3)), max_leaves=10)
parameters = st.dictionaries(st.sampled_from(SCENARIO_KEYS), st.one_of(
    st.lists(scalars, min_size=0, max_size=4),
    st.fixed_dictionaries({"low": numbers, "high": numbers}), values), max_size=3)
sweeps = st.fixed_dictionaries(
    {"scenario": st.one_of(st.just(JULY), scalars)},
    optional={"replicates": st.one_of(st.integers(0, 3), numbers, scalars),
              "seed": st.one_of(st.integers(0, 9), scalars), "days": st.one_of(st.integers(0, 400), scalars),
              "cell_km": st.one_of(st.sampled_from([20, 1, 60]), scalars),
              "design": st.one_of(st.sampled_from(["grid", "lhs", "sobol"]), scalars),
              "samples": st.one_of(st.sampled_from([1, 2, 4, 3]), numbers, scalars),
              "parameters": st.one_of(parameters, values), "extra": values})


def refuse_large(size) -> None:
    if size.runs > MAX_RUNS:
        raise ScenarioError(f"{size}: more than this test plans")


def read_and_plan(folder: Path, text: str) -> None:
    path = folder / "sweep.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    if within_time(read_sweep, path) is not REFUSED:
        plan = within_time(plan_sweep, path, announce=refuse_large)
        assert plan is REFUSED or len(plan.runs) <= MAX_RUNS


@FUZZ
@given(sweep=sweeps)
def test_random_sweep_documents_are_planned_or_refused(folder, sweep):
    read_and_plan(folder, yaml.safe_dump(sweep, allow_unicode=True))


@settings(FUZZ, max_examples=150)
@given(text=mutated(SWEEP_TEXT))
def test_mutations_of_a_sweep_file_are_planned_or_refused(folder, text):
    read_and_plan(folder, text)


# ---- what fuzzing found (each failed before its fix: another exception, or a problem of two lines) ----

REGRESSIONS = {
    # PyYAML's own exceptions from a value it cannot make: now left as text, for the schema to refuse by name
    "a 5,000-digit number (ValueError)": ("scenario", JULY_TEXT.replace("manpower: 50000", "manpower: " + "1" * 5000)),
    "!!int on text (ValueError)": ("scenario", JULY_TEXT.replace("manpower: 50000", "manpower: !!int a")),
    "!!int on nothing (IndexError)": ("scenario", JULY_TEXT.replace("manpower: 50000", "manpower: !!int ''")),
    "!!bool on text (KeyError)": ("scenario", JULY_TEXT.replace("manpower: 50000", "manpower: !!bool a")),
    "!!timestamp on text (AttributeError)": ("scenario",
                                             JULY_TEXT.replace("start: 2017-07-04", "start: !!timestamp a")),
    "a base-60 float past a float's range (OverflowError)": ("--set", "sdf.manpower=" + "9:" * 200 + "9.5"),
    # showing a whole number past a float's range in a message (problems.show_number)
    "400 digits (OverflowError)": ("--set", "sdf.manpower=" + "9" * 400),
    "400 digits where text is expected (OverflowError)": ("--set", "name=" + "9" * 400),
    # a line break in a value or key shown as it is: a problem of two lines (problems.show_value, dotted)
    "a line break in a value (two-line problem)": ("--set", "name=[0,{0:[]},0\r\r0]"),
    "a line break in a key (two-line problem)": ("--set", 'sdf={"a\\nb": 1}'),
    # the loader was made outside the try: PyYAML's Reader refuses a NUL as it starts (ReaderError)
    "a NUL (ReaderError)": ("scenario", "name: a\0b\n"),
    "a NUL in --set (ReaderError)": ("--set", "name=a\0b"),
    "deep brackets (RecursionError)": ("scenario", "[" * 5000),
}


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_what_fuzzing_found_is_refused_or_read(folder, name):
    kind, text = REGRESSIONS[name]
    if kind == "scenario":
        read_and_load(scenario_file(folder, text))
    else:
        set_and_load(text)
