"""`--set PATH=VALUE`: the one way to change a validated scenario.

Overrides, sweep points and calibration candidates all come through
`with_overrides`, which returns a new scenario validated and checked exactly
like a file, so no code path can run a scenario the validator never saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError, describe
from sim.scenario.fields import format_path, known_keys, parse_path, set_path
from sim.scenario.schema import Scenario
from sim.scenario.uncertain import with_uncertain
from sim.scenario.validate import validate_document
from sim.scenario.yamlmap import Located, ScenarioLoader


def parse_assignments(items: list[str]) -> dict[str, str]:
    """`['a.b=1', ...]` -> {'a.b': '1'}; a missing '=' is a usage problem."""
    out: dict[str, str] = {}
    problems = []
    for item in items:
        path, eq, value = item.partition("=")
        if not eq or not path.strip():
            problems.append(Problem("--set", None, item, "PATH=VALUE", repr(item)))
            continue
        out[path.strip()] = value.strip()
    if problems:
        raise ScenarioError(problems)
    return out


def parse_value(text: str) -> Any:
    """Values are read as YAML scalars (so 0.3 is a number and true a bool)."""
    try:
        return yaml.load(text, Loader=ScenarioLoader) if text != "" else None
    except yaml.YAMLError:
        return text


def _assign(data: dict[str, Any], path: str, value: Any) -> Problem | None:
    display = f"--set {path}"
    try:
        loc = parse_path(path)
    except ValueError:
        return Problem(display, None, path, "a dotted path like streams.ID.rate", repr(path))
    if not loc:
        return Problem(display, None, path, "a dotted path like streams.ID.rate", "an empty path")

    def may_create(depth: int) -> bool:
        key = loc[depth]
        return isinstance(key, str) and key in known_keys(Scenario, loc[:depth])

    stop = set_path(data, loc, value, may_create)
    if stop is None:
        return None
    if stop < len(loc) - 1:
        found = f"nothing at '{format_path(loc[: stop + 1])}'"
    else:
        found = f"no '{loc[-1]}' at '{format_path(loc[:-1]) or 'top level'}'"
    return Problem(display, None, path, "a path that exists in the scenario", found)


def _with_lists(value: Any) -> Any:
    """The dumped scenario with its tuples as lists, so `then[0].emit` or
    `on[1]` can be assigned like in the file."""
    if isinstance(value, dict):
        return {key: _with_lists(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_with_lists(item) for item in value]
    return value


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new validated scenario with values replaced by dotted path.

    Values given as text are parsed as YAML scalars; other values are used as
    they are (sweeps pass numbers).
    """
    data = _with_lists(scenario.model_dump(by_alias=True, exclude_unset=True))
    problems = []
    for path, raw in overrides.items():
        value = parse_value(raw) if isinstance(raw, str) else raw
        problem = _assign(data, path, value)
        if problem:
            problems.append(problem)
    if problems:
        raise ScenarioError(problems)
    label = "--set " + " ".join(
        f"{k}={describe(v) if not isinstance(v, str) else v}" for k, v in overrides.items()
    )
    # Evidence anchors were resolved when the scenario was loaded; resolving them
    # again (reading every evidence file) is only needed if an override named one.
    touches_sources = any("source" in path for path in overrides)
    changed = validate_document(
        Located(data),
        label,
        scenario.origin,
        touches_sources,
        overrides={**scenario.overrides, **overrides},
    )
    # issue 10: uncertain parameters not overridden stay uncertain.
    kept = {p: d for p, d in scenario.uncertain.items() if p not in overrides}
    if kept:
        changed = with_uncertain(changed, {**kept, **changed.uncertain})
    return changed
