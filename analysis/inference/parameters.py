"""The free parameters of a fit: a table of dotted scenario keys with prior ranges.

``parameters.yaml`` beside this module lists what ``run.py calibrate`` may move: each
entry has a ``key`` (a dotted scenario key, exactly as ``run.py run --set KEY=VALUE``
takes it), a prior range ``low``..``high`` in the key's own unit, a ``scale``
(``linear``: uniform between the bounds; ``log``: uniform in log10, for a quantity
known only to a factor) and a ``basis`` (where the range comes from). :func:`load_parameters`
reads and checks the table by itself; :func:`check_against` checks it against a
scenario (each key leads to a number there, and both bounds pass the scenario's own
checks, so every value in between does: the scenario's constraints on a number are
bounds). Every problem is one line naming the file and the entry.

The fit works in "fit space": the value itself on a linear scale, its log10 on a log
scale (:meth:`FreeParameter.to_fit`, :meth:`FreeParameter.from_fit`), so that pyabc's
uniform priors and Gaussian perturbations act on the scale the range was given on.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from simulation.scenario.problems import ScenarioError
from simulation.scenario.yaml_reader import load_yaml, read_yaml_file

PARAMETERS_FILE = Path(__file__).with_name("parameters.yaml")
MAX_PARAMETERS = 10
SCALES = ("linear", "log")
FIELDS = ("key", "low", "high", "scale", "basis")


class ParameterError(ValueError):
    """A problem with the parameter table: one line naming the file and the entry."""


@dataclass(frozen=True)
class FreeParameter:
    """One parameter the fit may move.

    Attributes:
        key: a dotted scenario key (``rules.combat.kill_rate_per_day``).
        low, high: the prior range, in the key's unit.
        scale: ``linear`` or ``log`` (uniform in log10).
        basis: the source or reasoning for the range.
        whole: the scenario's value there is a whole number, so values are rounded.
    """

    key: str
    low: float
    high: float
    scale: str
    basis: str
    whole: bool = False

    @property
    def name(self) -> str:
        """The parameter's name in the fit (pyabc's database): the key, or ``log10(key)``."""
        return f"log10({self.key})" if self.scale == "log" else self.key

    @property
    def fit_bounds(self) -> tuple[float, float]:
        """The prior range in fit space."""
        return self.to_fit(self.low), self.to_fit(self.high)

    def to_fit(self, value: float) -> float:
        """A value in the key's unit, in fit space."""
        return math.log10(value) if self.scale == "log" else float(value)

    def from_fit(self, x: float) -> float:
        """A fit-space value in the key's unit (rounded for a whole-number key)."""
        value = 10.0 ** float(x) if self.scale == "log" else float(x)
        return float(round(value)) if self.whole else value

    def override(self, x: float):
        """The ``--set`` value for a fit-space value: an int for a whole-number key."""
        value = self.from_fit(x)
        return int(value) if self.whole else value

    def as_dict(self) -> dict:
        """The table entry as written in the file."""
        return {k: v for k, v in asdict(self).items() if k in FIELDS}


def load_parameters(path: str | Path = PARAMETERS_FILE) -> tuple[FreeParameter, ...]:
    """The parameter table in a file, checked on its own (not yet against a scenario).

    Raises:
        ParameterError: the first problem, in one line.
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: no such parameter file")
    try:  # a file the user may name (--parameters): read within the scenario reader's limits
        entries = load_yaml(read_yaml_file(path, str(path)), str(path))
    except ScenarioError as exc:  # too large, not text, not valid YAML, a tag, a key given twice
        raise ParameterError(exc.problems[0]) from None
    return parameters_from(entries, str(path))


def parameters_from(entries, source: str = "<parameters>") -> tuple[FreeParameter, ...]:
    """A parameter table from its entries (a list of mappings, as in the file), checked on its own."""
    if not isinstance(entries, list) or not entries:
        raise ParameterError(f"{source}: expected a list of parameters (key, low, high, scale, basis)")
    if len(entries) > MAX_PARAMETERS:
        raise ParameterError(f"{source}: {len(entries)} parameters; a fit takes at most {MAX_PARAMETERS}")
    table, keys = [], set()
    for i, entry in enumerate(entries):
        parameter = _entry(entry, f"{source}: entry {i + 1}")
        if parameter.key in keys:
            raise ParameterError(f"{source}: entry {i + 1} ({parameter.key}): the key is given twice")
        keys.add(parameter.key)
        table.append(parameter)
    return tuple(table)


def _entry(entry, where: str) -> FreeParameter:
    """One entry as a checked parameter."""
    if not isinstance(entry, dict):
        raise ParameterError(f"{where}: expected a mapping with {', '.join(FIELDS)}")
    key = entry.get("key")
    if not isinstance(key, str) or not key.strip() or any(not part for part in key.split(".")):
        raise ParameterError(f"{where}: key must be a dotted scenario key such as rules.combat.kill_rate_per_day")
    where = f"{where} ({key})"
    unknown = [k for k in entry if k not in FIELDS]
    if unknown:
        hint = difflib.get_close_matches(str(unknown[0]), FIELDS, n=1)
        raise ParameterError(f"{where}: unknown field '{unknown[0]}'"
                             + (f" (did you mean '{hint[0]}'?)" if hint else f" (expected {', '.join(FIELDS)})"))
    missing = [k for k in FIELDS if k not in entry]
    if missing:
        raise ParameterError(f"{where}: missing {', '.join(missing)}")
    low, high = (_number(entry[k], f"{where}: {k}") for k in ("low", "high"))
    scale, basis = entry["scale"], entry["basis"]
    if scale not in SCALES:
        raise ParameterError(f"{where}: scale must be linear or log, got {scale!r}")
    if not low < high:
        raise ParameterError(f"{where}: low ({low:g}) must be below high ({high:g})")
    if scale == "log" and low <= 0:
        raise ParameterError(f"{where}: a log scale needs low > 0, got {low:g}")
    if not isinstance(basis, str) or not basis.strip():
        raise ParameterError(f"{where}: basis must say where the range comes from (a sentence or two)")
    return FreeParameter(key.strip(), low, high, scale, " ".join(basis.split()))


def _number(value, where: str) -> float:
    """A finite number (a YAML string such as ``1e-3`` counts: YAML 1.1 reads it as text)."""
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ParameterError(f"{where}: expected a number, got {value!r}")
    return number


# ---- against a scenario ----------------------------------------------------------------
def check_against(table: tuple[FreeParameter, ...], scenario, source: str = "<parameters>"
                  ) -> tuple[FreeParameter, ...]:
    """The table with each key checked against a scenario, and whole-number keys marked.

    Each key must lead to a number in the scenario (not a switch, a name or a list),
    and the scenario with the key at ``low`` and at ``high`` must pass every check
    ``run.py run --set`` makes.

    Args:
        table: the parameters (:func:`load_parameters`).
        scenario: the checked :class:`~simulation.scenario.Scenario` to fit.
        source: the table's file, for messages.

    Raises:
        ParameterError: the first problem, in one line.
    """
    from simulation.scenario import ScenarioError

    data = scenario.model_dump(mode="json")
    checked = []
    for i, p in enumerate(table):
        where = f"{source}: entry {i + 1} ({p.key})"
        value = _at(data, p.key)
        if value is _MISSING:
            raise ParameterError(f"{where}: not a key of the scenario{_closest(p.key, data)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{where}: the scenario's value there is {value!r}, not a number")
        p = FreeParameter(p.key, p.low, p.high, p.scale, p.basis, whole=isinstance(value, int))
        for bound in (p.low, p.high):
            try:
                scenario.with_overrides({p.key: p.override(p.to_fit(bound))})
            except ScenarioError as exc:
                problem = exc.problems[0].split(f"{p.key}: ", 1)[-1]
                raise ParameterError(f"{where}: {bound:g} is refused by the scenario's checks: {problem}") from None
        checked.append(p)
    return tuple(checked)


_MISSING = object()


def _at(data, key: str):
    """The value at a dotted key of plain scenario data, or _MISSING."""
    for part in key.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return _MISSING
    return data


def _closest(key: str, data) -> str:
    """`` (did you mean 'x'?)`` for the nearest numeric key of the scenario, or nothing."""
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            found.append(path)

    walk(data, "")
    match = difflib.get_close_matches(key, found, n=1, cutoff=0.7)
    return f" (did you mean '{match[0]}'?)" if match else ""
