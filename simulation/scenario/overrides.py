"""Dotted-key overrides (``sdf.manpower=30000``), as ``run.py run --set`` and sweeps give them.

An override is located on the command line (``--set KEY``), so a problem with it
names the key the user typed rather than a line of the file.
"""

from __future__ import annotations

from typing import Any

from simulation.scenario.located import Where, YamlList, YamlMap
from simulation.scenario.problems import Problem, dotted, raise_problems
from simulation.scenario.yaml_reader import load_yaml

OVERRIDE_SOURCE = "--set"


def parse_value(text: str, key: str | None = None) -> Any:
    """A command-line value, read as YAML (so 30000 is a number, [a, b] a list).

    Args:
        text: the value as typed.
        key: the dotted key it sets; given, problems are reported as ``--set KEY: ...``.
    """
    return load_yaml(text, OVERRIDE_SOURCE, key=key or "value")


def apply_overrides(data: dict, overrides: dict[str, Any], source: str = OVERRIDE_SOURCE) -> dict:
    """A copy of scenario data with dotted keys set (``sdf.manpower``, ``isis.units.0.strength``).

    Raises:
        ScenarioError: every key that does not lead into the data, one line each.
    """
    top = getattr(data, "where", None) or Where("<scenario>")
    if isinstance(data, YamlMap):
        # Located data (read from YAML, or made by this function: located throughout) is
        # copied only along the overridden keys, the rest shared with the input, unchanged
        # (a sweep overrides one scenario for each of its many points). Plain data is
        # located and copied whole.
        data = _copy_node(data, top)
        copied = {id(data)}
    else:
        data = _located(data, top)
        copied = None
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
            child = node[part]
            if copied is not None and not last and isinstance(child, (dict, list)) and id(child) not in copied:
                # shared with the input: copied before anything inside it changes
                located = isinstance(child, (YamlMap, YamlList))
                node[part] = child = _copy_node(child, top) if located else _located(child, top)
                copied.add(id(child))
            node = child
    raise_problems(problems)
    return data


def _copy_node(node, where: Where):
    """A copy of one located mapping or list (its items shared), as :func:`_located` would locate it."""
    if isinstance(node, YamlMap):
        out = YamlMap(node, where=node.where or where)
        out.key_where = {key: node.key_where.get(key, where) for key in node}
        out.duplicates = list(node.duplicates)
        return out
    out = YamlList(node, where=node.where or where)
    out.item_where = list(node.item_where) or [where] * len(node)
    return out


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
