"""Dotted paths (`rules.r.then[0].emit`): the one way to name a place in a file.

Overrides (`--set`), sweeps, calibration and every error message name values
by dotted path. This module parses and formats them, reads and writes plain
data (dicts and lists, as YAML gives them) at a path, and walks the schema by
path to say which keys a place allows (so "extra inputs are not permitted"
becomes "expected one of: rate, self_excitation, ...", and `--set` can name an
optional field the file left at its default).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

Key = str | int
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]|(\.)")

MISSING: Any = object()
"""Returned by `get_path` when nothing is at the path."""


def parse_path(path: str) -> list[Key]:
    """`rules.r.then[0].emit` -> ['rules', 'r', 'then', 0, 'emit'].

    Raises:
        ValueError: for text that is not a dotted path (`a..b`, `a[x]`, `a[`).
    """
    out: list[Key] = []
    pos = 0
    expect_name = True
    while pos < len(path):
        match = _PART.match(path, pos)
        if match is None:
            raise ValueError(f"not a dotted path: {path!r}")
        name, index, dot = match.groups()
        if dot:
            if expect_name:
                raise ValueError(f"not a dotted path: {path!r}")
            expect_name = True
        elif index is not None:
            if not out or expect_name:
                raise ValueError(f"not a dotted path: {path!r}")
            out.append(int(index))
        else:
            if not expect_name:
                raise ValueError(f"not a dotted path: {path!r}")
            out.append(name)
            expect_name = False
        pos = match.end()
    if expect_name and out:
        raise ValueError(f"not a dotted path: {path!r}")
    return out


def format_path(loc: Sequence[Key]) -> str:
    """['rules', 'r', 'then', 0] -> `rules.r.then[0]`."""
    text = ""
    for key in loc:
        text = f"{text}[{key}]" if isinstance(key, int) else (f"{text}.{key}" if text else str(key))
    return text


def _child(node: Any, key: Key) -> Any:
    if isinstance(node, dict):
        return node.get(key, MISSING)
    if isinstance(node, (list, tuple)) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return MISSING


def get_path(data: Any, loc: Sequence[Key] | str) -> Any:
    """The value at a path in plain data, or `MISSING`."""
    keys = parse_path(loc) if isinstance(loc, str) else loc
    node = data
    for key in keys:
        node = _child(node, key)
        if node is MISSING:
            return MISSING
    return node


def set_path(
    data: Any, loc: Sequence[Key], value: Any, may_create: typing.Callable[[int], bool]
) -> int | None:
    """Set `value` at a path in plain data; return None, or the depth at which
    the path leaves the data.

    `may_create(depth)` says whether a missing mapping at `loc[: depth + 1]` may
    be created on the way (overrides create optional parts the schema knows).
    """
    node = data
    for depth, key in enumerate(loc[:-1]):
        child = _child(node, key)
        if (child is MISSING or child is None) and isinstance(node, dict) and may_create(depth):
            child = node[key] = {}
        if child is MISSING or child is None:
            return depth
        node = child
    leaf = loc[-1]
    if isinstance(node, list) and isinstance(leaf, int) and 0 <= leaf < len(node):
        node[leaf] = value
        return None
    if (
        isinstance(node, dict)
        and isinstance(leaf, str)
        and (leaf in node or may_create(len(loc) - 1))
    ):
        node[leaf] = value
        return None
    return len(loc) - 1


def delete_path(data: Any, loc: Sequence[Key]) -> bool:
    """Remove the key or item at a path; False when nothing is there."""
    if not loc:
        return False
    parent = get_path(data, loc[:-1])
    leaf = loc[-1]
    if isinstance(parent, dict) and leaf in parent:
        del parent[leaf]
        return True
    if isinstance(parent, list) and isinstance(leaf, int) and 0 <= leaf < len(parent):
        del parent[leaf]
        return True
    return False


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete alternatives of an annotation (Optional, unions, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                out.extend(_unwrap(arg))
        return out
    return [annotation]


def _step(annotation: Any, key: Key) -> list[Any]:
    found: list[Any] = []
    for alt in _unwrap(annotation):
        origin = typing.get_origin(alt)
        if isinstance(alt, type) and issubclass(alt, BaseModel) and isinstance(key, str):
            field = _field_by_key(alt, key)
            if field is not None:
                found.extend(_unwrap(field.annotation))
        elif origin is dict and isinstance(key, str):
            found.extend(_unwrap(typing.get_args(alt)[1]))
        elif origin in (tuple, list) and isinstance(key, int):
            found.extend(_unwrap(typing.get_args(alt)[0]))
    return found


def _field_by_key(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            return field
    return None


def models_at(root: type[BaseModel], loc: Sequence[Key]) -> list[type[BaseModel]]:
    """Model classes that may stand at `loc` below `root`."""
    current: list[Any] = [root]
    for key in loc:
        current = [nxt for ann in current for nxt in _step(ann, key)]
    return [c for c in current if isinstance(c, type) and issubclass(c, BaseModel)]


def known_keys(root: type[BaseModel], loc: Sequence[Key]) -> list[str]:
    """The keys (aliases where set) a mapping at `loc` below `root` may hold."""
    keys: list[str] = []
    for model in models_at(root, loc):
        for name, field in model.model_fields.items():
            key = field.alias or name
            if key not in keys:
                keys.append(key)
    return keys
