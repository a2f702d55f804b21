"""Reading scenario YAML with the file and line of every value, and ``extends`` overlays.

A file may begin from another with ``extends: PATH`` (relative to the file that says
it): mappings merge key by key, lists and scalars replace, and chains are allowed.

Every YAML the user gives (scenario files, ``--set`` values, sweep and parameter
files) is read here, within limits far beyond any real document, so that hostile
input is refused in one line at once rather than keeping a CPU busy for minutes
(an alias bomb), overflowing the stack (deep brackets) or ending in a traceback (a
NUL). PyYAML's pure-Python loader reads about 0.25-1 MB a second.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from simulation.scenario.located import Where, YamlList, YamlMap
from simulation.scenario.problems import Problem, ScenarioError, dotted, raise_problems, show_kind, show_value


# The shipped scenarios are 10-17 KB, about 1,000 values (keys, items and scalars),
# nested 5 collections deep, with no aliases; the record of 2017 is 45 KB and 2,400 values.
MAX_BYTES = 256 * 1024  # PyYAML reads the slowest 256 KB (few values, many lines) in about 0.25 s
MAX_VALUES = 10_000  # ten times the largest scenario; a dense 10,000 ([1,1,...]) compose in about 0.25 s
MAX_DEPTH = 100  # collections within collections; PyYAML's composer recurses, and fails near 1,000
MAX_ALIASES = 1_000  # *name references: a hand-written file repeats a formation a few dozen times
MAX_EXTENDS = 10  # files an ``extends`` chain passes through after the first (a shipped variant: one)
MAX_KEY_CHARS = 1_024  # as long as YAML lets a key be written without ``?``; each message repeats it
MAX_NUMBER_CHARS = 4_300  # longer is left as text: Python reads no longer whole number (sys.int_info), and
#                            YAML 1.1's base-60 numbers (1:30:00) take time quadratic in their length

# What YAML refuses as non-printable (PyYAML's Reader.NON_PRINTABLE), and NEL (U+0085):
# every control character but tab, newline and carriage return.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _Refused(yaml.MarkedYAMLError):
    """YAML this reader refuses: beyond its limits, a value that contains itself, or an unprintable escape."""


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
        self.depth = self.values = self.aliases = self.expanded = 0
        self.anchor_names: dict[int, str] = {}  # id(node) -> its &anchor (PyYAML forgets them)

    def where(self, node) -> Where:
        """Where a node was given."""
        if self.override:
            return Where(self.source, None, True)
        return Where(self.source, node.start_mark.line + 1)

    def compose_node(self, parent, index):
        """A node, counted as it is composed: values, aliases and depth within the limits."""
        event = self.peek_event()
        self.values += 1
        if self.values > MAX_VALUES:
            raise _Refused(problem=f"more than {MAX_VALUES} keys, items and scalars in all",
                           problem_mark=event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(problem=f"more than {MAX_ALIASES} aliases (*name)", problem_mark=event.start_mark)
            return super().compose_node(parent, index)
        nests = isinstance(event, yaml.CollectionStartEvent)
        self.depth += nests
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=event.start_mark)
            node = super().compose_node(parent, index)
        finally:
            self.depth -= nests
        if event.anchor is not None:
            self.anchor_names[id(node)] = event.anchor
        return node

    def construct_scalar(self, node):
        """A scalar's text; one that an escape in quotes (``"\\e"``, ``"\\0"``) made unprintable is refused."""
        value = super().construct_scalar(node)
        bad = _NOT_PRINTABLE.search(value)
        if bad:
            raise _Refused(problem=f"{_character(bad.group())}, written as an escape in the text at column "
                                   f"{node.start_mark.column + 1}, is not allowed", problem_mark=node.start_mark)
        return value

    def get_single_data(self):
        """The document's data, its node graph measured before anything is constructed."""
        node = self.get_single_node()
        if node is None:
            return None
        self.expanded = self.measure(node, {}, set())[0]
        return self.construct_document(node)

    def measure(self, node, done: dict, open_: set, above: int = 0) -> tuple[int, int]:
        """A node's size and depth with its aliases expanded, refused past the limits or in a cycle.

        An alias is the node it names, so the composed nodes are a graph in which one
        node may be reached many times (nine aliases of nine aliases of ... expand
        exponentially), or from within itself (``&a [*a]``). Everything after the loader
        (construction, the checks, the messages, ``extends`` merging) walks the data
        expanded. Each node is measured once (``done``: id -> (values, depth)), so this
        takes time linear in the document however far it would expand; a node is first
        met where it is written (an alias names an anchor before it), so the recursion
        is no deeper than the document.

        Args:
            above: how many collections hold this node.

        Returns:
            The node's values (keys, items and scalars) and depth (collections), expanded.
        """
        if id(node) in open_:
            name = self.anchor_names.get(id(node), "")
            raise _Refused(problem=f"the anchor &{name} holds an alias of itself (*{name}): "
                                   "a value cannot contain itself", problem_mark=node.start_mark)
        if id(node) not in done:
            values, depth = 1, 0
            open_.add(id(node))
            for child in _children(node):
                size, below = self.measure(child, done, open_, above + 1)
                values, depth = values + size, max(depth, below)
                if values > MAX_VALUES:
                    raise _Refused(problem=f"through its aliases, this value expands to more than {MAX_VALUES} "
                                           "keys, items and scalars", problem_mark=node.start_mark)
                if above + 1 + depth > MAX_DEPTH:
                    raise _Refused(problem=f"through its aliases, nested more than {MAX_DEPTH} levels deep",
                                   problem_mark=node.start_mark)
            open_.discard(id(node))
            done[id(node)] = (values, depth + (not isinstance(node, yaml.ScalarNode)))
        return done[id(node)]


def _children(node) -> list:
    """A node's keys and values (a mapping), items (a list), or nothing (a scalar)."""
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


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
        if isinstance(key, str) and len(key) > MAX_KEY_CHARS:
            loader.problems.append(Problem(where, "", f"key {show_value(key)} is too long: {len(key)} characters "
                                                      f"(at most {MAX_KEY_CHARS})"))
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


_SCALARS = {f"tag:yaml.org,2002:{name}": getattr(yaml.SafeLoader, f"construct_yaml_{name}")
            for name in ("int", "float", "bool", "timestamp")}


def _construct_or_text(loader: ScenarioLoader, node):
    """A number, true/false or date as YAML reads it; else the text as written, for the schema to refuse by name.

    Python cannot make some of what YAML reads as one (2017-13-01, a number of 5,000
    digits, ``1:1:...:1.5`` past a float's range), and a tag may be put on any text
    (``!!int abc``, ``!!timestamp soon``), where PyYAML fails with an IndexError,
    KeyError, AttributeError, ValueError or OverflowError of its own.
    """
    if len(node.value) <= MAX_NUMBER_CHARS:
        try:
            return _SCALARS[node.tag](loader, node)
        except (ValueError, ArithmeticError, LookupError, AttributeError):
            pass
    return loader.construct_scalar(node)


def _construct_disallowed(loader: ScenarioLoader, node):
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return _Disallowed(tag, loader.where(node))


ScenarioLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
ScenarioLoader.add_constructor("tag:yaml.org,2002:seq", _construct_list)
for _tag in _SCALARS:
    ScenarioLoader.add_constructor(_tag, _construct_or_text)
ScenarioLoader.add_constructor(None, _construct_disallowed)
for _tag in ("binary", "set", "omap", "pairs"):  # bytes, sets and pairs: no plain value (and bytes hide a NUL)
    ScenarioLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct_disallowed)


def load_yaml(text: str, source: str, key: str | None = None):
    """Located data from YAML text, or a ScenarioError with every reading problem.

    Safe YAML only: tags are refused, never constructed, and a key given twice is a
    problem. Sweep files are read with it too.

    Args:
        text: the YAML.
        source: the file it came from, as given (for messages).
        key: for a command-line override, the dotted key it sets (``source`` is then
            ``--set`` and problems are named by key alone).

    Raises:
        ScenarioError: beyond the limits (``MAX_BYTES``, ``MAX_VALUES``, ``MAX_DEPTH``,
            ``MAX_ALIASES``, a recursive alias), a character YAML refuses, YAML syntax, a
            tag or a duplicate key.
    """
    return _load(text, source, key)[0]


def _load(text: str, source: str, key: str | None = None) -> tuple[Any, int]:
    """:func:`load_yaml`'s data, and how many values it holds (keys, items and scalars, aliases expanded)."""
    prefix = () if key is None else (key,)
    _check_text(text, source, key)  # first: PyYAML's Reader raises on a NUL as the loader is made
    loader = ScenarioLoader(text, source, override=key is not None)
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
        message = problem if isinstance(exc, _Refused) else f"not valid YAML: {problem}"
        raise ScenarioError(Problem(Where(source, line, key is not None), dotted(prefix), message)) from None
    finally:
        loader.dispose()
    raise_problems(loader.problems + list(_reading_problems(data, prefix)))
    return data, loader.expanded


def _check_text(text: str, source: str, key: str | None) -> None:
    """Refuse text too long to read at once, or holding a character YAML does not allow (by line and column)."""
    override, name = key is not None, dotted(() if key is None else (key,))
    if len(text) > MAX_BYTES:
        message = f"too long: {len(text)} characters (at most {MAX_BYTES})"
        raise ScenarioError(Problem(Where(source, None, override), name, message))
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        at = bad.start()
        line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        at_text = f"line {line}, column {column}" if override and line > 1 else f"column {column}"
        raise ScenarioError(Problem(Where(source, None if override else line, override), name,
                                    f"not valid YAML: {_character(bad.group())} at {at_text} is not allowed"))


def _character(char: str) -> str:
    """A character YAML does not allow, named: ``control character U+0000``, ``byte 0xFF (not UTF-8)``."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as Python passes it on from the command line
        return f"byte 0x{code - 0xDC00:02X} (not UTF-8)"
    kind = {"Cc": "control character", "Cs": "surrogate"}.get(unicodedata.category(char), "non-character")
    return f"{kind} U+{code:04X}"


def read_yaml_file(path: Path, display: str) -> str:
    """The text of a YAML file the user gave, refused by size before it is read, and unless it is UTF-8.

    Newlines are read as ``Path.read_text`` reads them (CR LF and CR as LF).

    Raises:
        ScenarioError: too large, not UTF-8 text, or not readable, in one line.
    """
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_BYTES + 1)
            size = os.fstat(file.fileno()).st_size
    except OSError as exc:
        raise ScenarioError(f"{display}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        shown = f"{size / 2 ** 20:.1f} MB" if size >= 2 ** 20 else f"{size / 1024:.0f} KB" if size > MAX_BYTES \
            else f"more than {MAX_BYTES // 1024} KB"  # a file of no stated size (/proc)
        raise ScenarioError(f"{display}: too large: {shown} (a YAML file may be at most {MAX_BYTES // 1024} KB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{display}: not a text file (expected UTF-8 YAML)") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


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


def _read_file(path: Path, display: str) -> tuple[YamlMap, tuple[int, int]]:
    """One file's located mapping (its ``extends`` still in it), and its characters and values."""
    if not path.is_file():
        raise ScenarioError(f"{display}: no such scenario file")
    text = read_yaml_file(path, display)
    data, values = _load(text, display)
    if not isinstance(data, YamlMap):
        line = getattr(data, "where", Where(display, 1)).line
        got = "an empty file" if data is None else show_kind(data)
        message = f"a scenario must be a mapping of keys to values, got {got}"
        raise ScenarioError(Problem(Where(display, line), "", message))
    data.where = Where(display)  # a missing top-level key is the file's, not a line's
    return data, (len(text), values)


def _read_chain(path: Path, display: str, chain: tuple[tuple[Path, str, tuple[int, int]], ...]) -> YamlMap:
    """A file's mapping merged onto the chain of files it extends.

    ``chain``: the files that extend this one, each with its characters and values; the
    chain as a whole is held to the limits of one file, and to ``MAX_EXTENDS`` files.
    """
    data, size = _read_file(path, display)
    here = path.resolve()
    seen = (*chain, (here, display, size))
    if sum(s[0] for *_, s in seen) > MAX_BYTES or sum(s[1] for *_, s in seen) > MAX_VALUES:
        raise ScenarioError(f"{display}: with the files that extend it, more than {MAX_BYTES // 1024} KB or "
                            f"{MAX_VALUES} keys, items and scalars in all")
    if "extends" not in data:
        return data
    base_name, where = data.pop("extends"), data.key_where.pop("extends")
    if not isinstance(base_name, str) or not base_name.strip():
        raise ScenarioError(Problem(where, "extends", f"expected the path of a scenario file, got {show_value(base_name)}"))
    base_path = path.parent / base_name
    base_display = os.path.normpath(os.path.join(os.path.dirname(display), base_name))
    if base_path.resolve() == here:
        raise ScenarioError(Problem(where, "extends", "the file extends itself"))
    if any(base_path.resolve() == p for p, *_ in chain):
        loop = " -> ".join([d for _, d, _ in seen] + [base_display])
        raise ScenarioError(Problem(where, "extends", f"loops back to {base_display} ({loop})"))
    if not base_path.is_file():
        raise ScenarioError(Problem(where, "extends", f"no such scenario file {base_display}"))
    if len(seen) > MAX_EXTENDS:
        raise ScenarioError(Problem(where, "extends", f"more than {MAX_EXTENDS} extends in a chain"))
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
