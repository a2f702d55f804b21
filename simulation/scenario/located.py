"""Scenario data that remembers where each value was given: a file and line, or ``--set``.

YAML is read into :class:`YamlMap` and :class:`YamlList`, so that a problem found
later (by the schema or against the map) names the line the user wrote.
"""

from __future__ import annotations

from typing import Any, NamedTuple


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
