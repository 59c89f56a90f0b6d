"""Pydantic's validation errors as the contract's located problems.

The one converter (scenario, evidence and sweep files all use it): each error
becomes `file:line: path: expected X, found Y`, with the path as the file
writes it (aliases, no pydantic union member names) and the wording of the
contract rather than pydantic's.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, describe
from sim.scenario.base import PATTERN_WORDS
from sim.scenario.fields import format_path, get_path, known_keys
from sim.scenario.yamlmap import Located

_SIMPLE = {
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "date_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_inexact": "a date YYYY-MM-DD",
    "date_type": "a date YYYY-MM-DD",
    "finite_number": "a finite number",
}
_BOUNDS = {
    "greater_than_equal": ">= {ge}",
    "greater_than": "> {gt}",
    "less_than_equal": "<= {le}",
    "less_than": "< {lt}",
}
_MAPPING_KINDS = {"model_type", "model_attributes_type", "dict_type"}


def _is_sequence_member(key: object) -> bool:
    return isinstance(key, str) and key.startswith(("tuple[", "list["))


def _written_union_members(
    errors: list[dict[str, Any]], data: Any, one_or_many: str
) -> list[dict[str, Any]]:
    """Errors for a value that may be one item or a list of them (`source`,
    `count`, `total`, a sweep parameter) as the user wrote it.

    Pydantic reports such a value against every member of the union, naming the
    member in `loc` ('Count', 'tuple[Count, ...]', 'constrained-str'). Keep only
    the errors of the member the value was written as (a list or not), with the
    member's name dropped, so the path is the file's and no problem is spurious.
    A scalar where only a mapping or a list fits is one problem, `one_or_many`.
    """
    unions = {
        tuple(e["loc"][:i])
        for e in errors
        for i, key in enumerate(e["loc"])
        if _is_sequence_member(key)
    }
    kept: list[dict[str, Any]] = []
    scalar_unions: set[tuple[Any, ...]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        inside = [u for u in unions if len(loc) > len(u) and loc[: len(u)] == u]
        if not inside:
            kept.append(error)
            continue
        union = max(inside, key=len)
        value = get_path(data, list(union))
        written_as_list = isinstance(value, list)
        if _is_sequence_member(loc[len(union)]) != written_as_list:
            continue
        is_scalar = not isinstance(value, (list, dict)) and len(loc) == len(union) + 1
        if is_scalar and error["type"] in _MAPPING_KINDS:
            if union not in scalar_unions:
                scalar_unions.add(union)
                kept.append(
                    {
                        "type": "contract",
                        "loc": union,
                        "input": value,
                        "ctx": {"expected": one_or_many, "found": describe(value)},
                    }
                )
            continue
        kept.append({**error, "loc": union + loc[len(union) + 1 :]})
    return kept


def _translate(error: dict[str, Any], doc: Located, display: str, root: type[BaseModel]) -> Problem:
    """One pydantic error as 'file:line: path: expected X, found Y'."""
    # "[key]" marks a refused mapping key: the problem is the key's own path.
    loc = [k for k in error["loc"] if not (isinstance(k, str) and "[" in k)]
    path = format_path(loc)
    file, line = doc.where(path, display)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind in ("contract", "refused"):
        return Problem(file, line, path, ctx["expected"], ctx["found"])
    if kind == "extra_forbidden":
        allowed = known_keys(root, loc[:-1])
        expected = "one of: " + ", ".join(allowed) if allowed else "no such key"
        return Problem(file, line, path, expected, f"unknown key '{loc[-1]}'")
    if kind == "missing":
        return Problem(file, line, path, "a value (required)", "nothing")
    if kind in _BOUNDS:
        return Problem(file, line, path, "a number " + _BOUNDS[kind].format(**ctx), describe(value))
    if kind.startswith("date") and isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\d", value):
        return Problem(
            file, line, path, "a date YYYY-MM-DD", f"{describe(value)}, not a calendar date"
        )
    if kind in _SIMPLE:
        return Problem(file, line, path, _SIMPLE[kind], describe(value))
    if kind == "literal_error":
        return Problem(file, line, path, f"one of {ctx.get('expected')}", describe(value))
    if kind == "string_pattern_mismatch":
        words = PATTERN_WORDS.get(str(ctx.get("pattern")), f"text matching {ctx.get('pattern')}")
        return Problem(file, line, path, words, describe(value))
    if kind == "too_short":
        return Problem(file, line, path, f"at least {ctx['min_length']} item(s)", describe(value))
    if kind == "too_long":
        noun = "character(s)" if isinstance(value, str) else "item(s)"
        return Problem(file, line, path, f"at most {ctx['max_length']} {noun}", describe(value))
    return Problem(file, line, path, str(error["msg"]), describe(value))


def _as_written(exc: ValidationError) -> list[dict[str, Any]]:
    """The errors, without a length error about a list the user wrote long
    enough: pydantic counts a list's items after validating them, so a list of
    one refused item is also "too short" (0 valid items), which would
    contradict the file; the item's own problem says what is wrong."""
    return [dict(e) for e in exc.errors() if not _length_of_valid_items(dict(e))]


def _length_of_valid_items(error: dict[str, Any]) -> bool:
    """A too_short / too_long error whose written input meets the bound."""
    value, ctx = error.get("input"), error.get("ctx") or {}
    if not isinstance(value, (list, tuple, dict)):
        return False
    if error["type"] == "too_short":
        return len(value) >= int(ctx.get("min_length", 0))
    if error["type"] == "too_long":
        return len(value) <= int(ctx.get("max_length", len(value)))
    return False


def problems_from(
    exc: ValidationError,
    doc: Located,
    display: str,
    root: type[BaseModel],
    one_or_many: str = "a mapping or a list of them",
) -> list[Problem]:
    """Every validation error of `doc` (validated as `root`), located, each once."""
    errors = _written_union_members(_as_written(exc), doc.data, one_or_many)
    return unique([_translate(e, doc, display, root) for e in errors])


def refused_paths(exc: ValidationError, data: Any) -> frozenset[str]:
    """Paths whose value the schema refused (not a combination of values, which
    a `contract` error from a model validator reports at the model)."""
    errors = _written_union_members(_as_written(exc), data, "")
    return frozenset(
        format_path([k for k in e["loc"] if not (isinstance(k, str) and "[" in k)])
        for e in errors
        if e["type"] != "contract"
    )


def unique(problems: list[Problem]) -> list[Problem]:
    """Problems in order, each once."""
    return list(dict.fromkeys(problems))
