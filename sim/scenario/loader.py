"""From a file name to a validated, frozen Scenario, or every problem at once.

Steps: read YAML safely with line numbers; resolve `extends` (merge by id,
with explicit `add:` for new ids and `remove:` for deletions, so a typo in a
variant cannot silently add a component); validate against the schema; run the
whole-file checks. Nothing in a file is evaluated as code.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import Problem, ScenarioError, describe
from sim.scenario.checks import check_scenario
from sim.scenario.fields import format_path, known_keys, parse_path
from sim.scenario.schema import Scenario
from sim.scenario.uncertain import extract_uncertain
from sim.scenario.yamlmap import Located, read_yaml

SECTIONS_BY_ID = ("actors", "events", "streams", "rules", "outcomes", "observed")


def display_name(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _deep_merge(base: Any, change: Any) -> Any:
    if isinstance(base, dict) and isinstance(change, dict):
        merged = dict(base)
        for key, value in change.items():
            merged[key] = _deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(change)


def _merge(base: Located, child: Located, display: str) -> Located:
    """Apply a child document (already stripped of `extends`) to its base."""
    problems: list[Problem] = []
    data = copy.deepcopy(base.data)
    lines = dict(base.lines)
    child_data = dict(child.data)
    additions = child_data.pop("add", None) or {}
    removals = child_data.pop("remove", None) or []

    def line_of(path: str) -> int | None:
        return child.where(path, display)[1]

    for key, value in child_data.items():
        if key in SECTIONS_BY_ID and isinstance(value, dict):
            section = data.setdefault(key, {})
            for ident, part in value.items():
                if ident not in section:
                    problems.append(
                        Problem(
                            display,
                            line_of(f"{key}.{ident}"),
                            f"{key}.{ident}",
                            f"an id the base defines (new ids go under 'add: {{{key}: ...}}')",
                            f"'{ident}', which the base lacks",
                        )
                    )
                elif key == "observed":
                    section[ident] = copy.deepcopy(part)
                else:
                    section[ident] = _deep_merge(section[ident], part)
        else:
            data[key] = copy.deepcopy(value)
    if not isinstance(additions, dict):
        problems.append(
            Problem(display, line_of("add"), "add", "a mapping of sections", describe(additions))
        )
        additions = {}
    for key, value in additions.items():
        if key not in SECTIONS_BY_ID or not isinstance(value, dict):
            problems.append(
                Problem(
                    display,
                    line_of(f"add.{key}"),
                    f"add.{key}",
                    f"one of {', '.join(SECTIONS_BY_ID)} with a mapping of ids",
                    describe(key),
                )
            )
            continue
        section = data.setdefault(key, {})
        for ident, part in value.items():
            if ident in section:
                problems.append(
                    Problem(
                        display,
                        line_of(f"add.{key}.{ident}"),
                        f"add.{key}.{ident}",
                        "a new id",
                        f"'{ident}', which the base already defines",
                    )
                )
            section[ident] = copy.deepcopy(part)
    for path, where in child.lines.items():
        lines[path[4:] if path.startswith("add.") else path] = where
    if not isinstance(removals, list):
        removals = [removals]
    for index, path in enumerate(removals):
        loc = parse_path(str(path))
        parent: Any = data
        for key in loc[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or not loc or loc[-1] not in parent:
            problems.append(
                Problem(
                    display,
                    line_of(f"remove[{index}]"),
                    f"remove[{index}]",
                    "a path that exists in the base",
                    repr(str(path)),
                )
            )
        else:
            del parent[loc[-1]]
    if problems:
        raise ScenarioError(problems)
    return Located(data, lines)


def resolve_document(path: Path, chain: tuple[Path, ...] = ()) -> Located:
    """Read a scenario file and everything it extends, merged into one document."""
    display = display_name(path)
    doc = read_yaml(path, display)
    base_ref = doc.data.pop("extends", None)
    if base_ref is None:
        stray = [key for key in ("add", "remove") if key in doc.data]
        if stray:
            raise ScenarioError(
                [
                    Problem(
                        display,
                        doc.lines.get(k, (display, None))[1],
                        k,
                        "'add'/'remove' only in a file that 'extends' another",
                        f"'{k}' without 'extends'",
                    )
                    for k in stray
                ]
            )
        return doc
    line = doc.lines.get("extends", (display, None))[1]
    if not isinstance(base_ref, str) or not base_ref.strip():
        raise ScenarioError([Problem(display, line, "extends", "a file name", describe(base_ref))])
    base_path = (path.parent / base_ref).resolve()
    here = path.resolve()
    if base_path in (*chain, here):
        cycle = " -> ".join(display_name(p) for p in (*chain, here, base_path))
        raise ScenarioError(
            [Problem(display, line, "extends", "a chain without cycles", f"the cycle {cycle}")]
        )
    if not base_path.exists():
        raise ScenarioError(
            [
                Problem(
                    display,
                    line,
                    "extends",
                    "an existing base file",
                    f"no file {display_name(base_path)}",
                )
            ]
        )
    base = resolve_document(base_path, (*chain, here))
    return _merge(base, doc, display)


def _translate(error: dict[str, Any], doc: Located, display: str) -> Problem:
    """A pydantic error as the contract's 'file:line: path: expected X, found Y'."""
    loc = [k for k in error["loc"] if not (isinstance(k, str) and "[" in k)]
    path = format_path(loc)
    file, line = doc.where(path, display)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "contract":
        return Problem(file, line, path, ctx["expected"], ctx["found"])
    if kind == "extra_forbidden":
        allowed = known_keys(Scenario, loc[:-1])
        expected = "one of: " + ", ".join(allowed) if allowed else "no such key"
        return Problem(file, line, path, expected, f"unknown key '{loc[-1]}'")
    if kind == "missing":
        return Problem(file, line, path, "a value (required)", "nothing")
    bounds = {
        "greater_than_equal": ">= {ge}",
        "greater_than": "> {gt}",
        "less_than_equal": "<= {le}",
        "less_than": "< {lt}",
    }
    if kind in bounds:
        return Problem(file, line, path, "a number " + bounds[kind].format(**ctx), describe(value))
    simple = {
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
        "date_type": "a date YYYY-MM-DD",
        "finite_number": "a finite number",
    }
    if kind in simple:
        return Problem(file, line, path, simple[kind], describe(value))
    if kind == "literal_error":
        return Problem(file, line, path, f"one of {ctx.get('expected')}", describe(value))
    if kind == "string_pattern_mismatch":
        expected = (
            "a source 'seeds/<file>.yaml#<fact-id>'"
            if "source" in path
            else "an id: letters, digits, '_' or '-', starting with a letter or '_'"
        )
        return Problem(file, line, path, expected, describe(value))
    if kind == "too_short":
        return Problem(file, line, path, f"at least {ctx['min_length']} item(s)", describe(value))
    if kind == "too_long":
        return Problem(file, line, path, f"at most {ctx['max_length']} item(s)", describe(value))
    return Problem(file, line, path, error["msg"], describe(value))


def validate_document(
    doc: Located, display: str, origin: Path | None, check_sources: bool = True
) -> Scenario:
    """Schema validation then whole-file checks; all problems at once."""
    # issue 10: numbers written as distributions are checked and replaced by
    # their medians before the schema sees the document.
    data, uncertain = extract_uncertain(
        doc.data, Scenario, where=doc.where, display=display, folder=origin and origin.parent
    )
    doc = Located(data, doc.lines)
    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        errors = _written_union_members([dict(e) for e in exc.errors()], doc.data)
        problems = [_translate(e, doc, display) for e in errors]
        raise ScenarioError(_unique(problems)) from None
    if uncertain:  # issue 10
        scenario = scenario.model_copy(update={"uncertain": uncertain})
    scenario.attach_origin(origin)
    problems = check_scenario(scenario, doc, display, check_sources)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _is_sequence_member(key: object) -> bool:
    return isinstance(key, str) and key.startswith(("tuple[", "list["))


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for key in loc:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def _written_union_members(errors: list[dict[str, Any]], data: Any) -> list[dict[str, Any]]:
    """Errors for a value that may be one item or a list of them (`source`,
    `count`, `total`) as the user wrote it.

    Pydantic reports such a value against every member of the union, naming the
    member in `loc` ('Count', 'tuple[Count, ...]', 'constrained-str'). Keep only
    the errors of the member the value was written as (a list or not), with the
    member's name dropped, so the path is the file's and no problem is spurious.
    """
    unions = {
        tuple(e["loc"][:i])
        for e in errors
        for i, key in enumerate(e["loc"])
        if _is_sequence_member(key)
    }
    kept = []
    for error in errors:
        loc = tuple(error["loc"])
        inside = [u for u in unions if len(loc) > len(u) and loc[: len(u)] == u]
        if not inside:
            kept.append(error)
            continue
        union = max(inside, key=len)
        written_as_list = isinstance(_value_at(data, union), list)
        if _is_sequence_member(loc[len(union)]) != written_as_list:
            continue
        kept.append({**error, "loc": union + loc[len(union) + 1 :]})
    return kept


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out


def load_scenario(
    path: str | os.PathLike[str], overrides: dict[str, str] | None = None
) -> Scenario:
    """Load, merge, validate and check a scenario file; apply `--set` overrides.

    Raises:
        ScenarioError: with every problem found, each with file, line and path.
    """
    file = Path(path)
    doc = resolve_document(file)
    scenario = validate_document(doc, display_name(file), file.resolve())
    if overrides:
        from sim.scenario.overrides import with_overrides

        scenario = with_overrides(scenario, overrides)
    return scenario
