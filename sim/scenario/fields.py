"""Walk the schema by dotted path, to say which keys a place allows.

Used to turn "extra inputs are not permitted" into "expected one of: rate,
self_excitation, ...", and to let `--set` name an optional field that the file
left at its default.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel


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


def _step(annotation: Any, key: str | int) -> list[Any]:
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


def models_at(root: type[BaseModel], loc: Sequence[str | int]) -> list[type[BaseModel]]:
    """Model classes that may stand at `loc` below `root`."""
    current: list[Any] = [root]
    for key in loc:
        current = [nxt for ann in current for nxt in _step(ann, key)]
    return [c for c in current if isinstance(c, type) and issubclass(c, BaseModel)]


def known_keys(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    keys: list[str] = []
    for model in models_at(root, loc):
        for name, field in model.model_fields.items():
            key = field.alias or name
            if key not in keys:
                keys.append(key)
    return keys


def parse_path(path: str) -> list[str | int]:
    """`rules.r.then[0].emit` -> ['rules', 'r', 'then', 0, 'emit']."""
    out: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            out.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            out.append(int(index))
            rest = rest.lstrip("[")
    return out


def format_path(loc: Sequence[str | int]) -> str:
    text = ""
    for key in loc:
        text = f"{text}[{key}]" if isinstance(key, int) else (f"{text}.{key}" if text else str(key))
    return text
