"""pydantic's validation errors reworded as problems that say what was expected, and where.

Each error is located at the line its key was given, named by its dotted key, and
said in the user's words: ``must be a number ≥ 0, got -5``, ``unknown key 'manpwer'
(did you mean 'manpower'?)``, ``expected a place name or [lon, lat], got 5``.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from simulation.scenario.problems import Problem, did_you_mean, problem_at, show_number, show_value
from simulation.scenario.schema import ScenarioFields
from simulation.scenario.values import LonLat, PlaceName


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
                    message = f"expected {_describe(union)}, got {show_value(value)}"
                    problems.append(problem_at(data, union_path, message, source))
                continue
            if len(path) == len(union_path) and _origin(tp) not in (list, tuple):
                continue  # a list given: the text branch's complaint says nothing
        problems.append(problem_at(data, path, _message(err, tp, parent), source))
    return problems


def _message(err: dict, tp, parent) -> str:
    """One pydantic error in plain words."""
    kind, ctx, got = err["type"], err.get("ctx", {}), show_value(err.get("input"))
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
        return f"{words} {show_number(ctx[name])}, got {got}"
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
    if isinstance(model, type) and issubclass(model, ScenarioFields):
        known.append("extends")
    hint = did_you_mean(key, known)
    return f"unknown key {show_value(key)}{hint or ' (expected one of: ' + ', '.join(known) + ')'}"


def _walk(loc):
    """pydantic's error location through the schema's types.

    Returns the key path as the user writes it (union members' tags dropped), the
    type there, the model holding the last key, and the path and type of the first
    union the location passed through (None if it passed none).
    """
    tp, parent, path, union_path, union = ScenarioFields, None, [], None, None
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
