"""Reading scenario YAML with the file and line of every value, and ``extends`` overlays.

A file may begin from another with ``extends: PATH`` (relative to the file that says
it): mappings merge key by key, lists and scalars replace, and chains are allowed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import yaml

from simulation.scenario.located import Where, YamlList, YamlMap
from simulation.scenario.problems import Problem, ScenarioError, dotted, raise_problems, show_kind, show_value


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
            loader.problems.append(Problem(where, "", f"a key must be text, got {show_value(key)}"))
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


def load_yaml(text: str, source: str, key: str | None = None):
    """Located data from YAML text, or a ScenarioError with every reading problem.

    Safe YAML only: tags are refused, never constructed, and a key given twice is a
    problem. Sweep files are read with it too.

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
    data = load_yaml(text, display)
    if not isinstance(data, YamlMap):
        line = getattr(data, "where", Where(display, 1)).line
        got = "an empty file" if data is None else show_kind(data)
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
        raise ScenarioError(Problem(where, "extends", f"expected the path of a scenario file, got {show_value(base_name)}"))
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
