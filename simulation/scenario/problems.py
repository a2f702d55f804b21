"""Problems with a scenario, each one complete line, and the words they are written in.

A problem reads ``FILE:LINE: dotted.key: what was expected`` (``--set dotted.key:
...`` for a command-line override); all the problems of a stage are raised together
in one :class:`ScenarioError`.
"""

from __future__ import annotations

import decimal
import difflib
import re
from dataclasses import dataclass

from simulation.scenario.located import Where, locate


# Control characters, and what str.splitlines splits at: shown escaped, as \n, so that a problem is one line.
_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    return _LINE_BREAKING.sub(lambda m: repr(m.group())[1:-1], text)


class ScenarioError(ValueError):
    """Problems with a scenario, one complete line each; ``str()`` joins them with newlines.

    Args:
        problems: each a line (``FILE:LINE: dotted.key: what was expected``) or a
            :class:`Problem`.
    """

    def __init__(self, *problems: str | Problem):
        self.problems = list(dict.fromkeys(str(p) for p in problems))
        super().__init__("\n".join(self.problems))


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
    return ".".join(_one_line(str(p)) for p in path)


def problem_at(data, path, message: str, source: str = "<scenario>") -> Problem:
    """A problem at a key path of (located) scenario data."""
    return Problem(locate(data, path) or Where(source), dotted(path), message)


def raise_problems(problems) -> None:
    """Raise one ScenarioError for all the problems, in file and line order (if any)."""
    if problems:
        order = sorted(problems, key=lambda p: (not p.where.override, p.where.source, p.where.line or 0))
        raise ScenarioError(*order)


def did_you_mean(given, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or nothing."""
    if not isinstance(given, str):
        return ""
    by_fold = {str(c).casefold(): c for c in choices}
    match = difflib.get_close_matches(given.casefold(), list(by_fold), n=1, cutoff=0.6)
    return f" (did you mean '{by_fold[match[0]]}'?)" if match else ""


def show_value(value, limit: int = 60) -> str:
    """A value as the user would write it in YAML (shortened)."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f"'{_one_line(value)}'"
    elif isinstance(value, dict):
        text = "a mapping"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(show_value(v, limit) for v in value) + "]"
    elif isinstance(value, (int, float)):
        text = show_number(value)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show_kind(value) -> str:
    """What kind of value was given, in words: ``a list``, ``text``, ``the value 5``."""
    kinds = {list: "a list", dict: "a mapping", str: "text", bool: "true or false"}
    return next((k for t, k in kinds.items() if isinstance(value, t)), f"the value {show_value(value)}")


def show_number(x) -> str:
    """A number as written: 30000, not 30000.0; a huge or tiny one in short form (1e+300, not 300 digits)."""
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x != 0 and not 1e-6 <= abs(x) < 1e15:
        try:
            return f"{x:.4g}"
        except OverflowError:  # a whole number past a float's range (1e+400, read from 400 digits)
            return f"{decimal.Context(prec=4).create_decimal(x).normalize():e}"
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)
