"""From a file name to a validated, frozen Scenario, or every problem at once.

Steps: read YAML safely with line numbers (`yamlmap`); resolve `extends`
(merge by id, with explicit `add:` for new ids and `remove:` for deletions, so
a typo in a variant cannot silently add a component); validate against the
schema and run the whole-file checks (`validate`); apply `--set` overrides
(`overrides`). Nothing in a file is evaluated as code.

Problems do not stop at the first: a broken `extends`, merge problems, schema
problems and whole-file problems of one file are reported together. When a
base cannot be read, the variant's own values are still checked (those that
are wrong whatever the base holds: unknown keys, wrong types, bounds).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import Problem, ScenarioError, describe
from sim.scenario.fields import delete_path, format_path, parse_path
from sim.scenario.files import CitedAt, display_name
from sim.scenario.overrides import with_overrides
from sim.scenario.problems import problems_from, unique
from sim.scenario.schema import Scenario
from sim.scenario.validate import validate_document
from sim.scenario.yamlmap import Located, read_yaml

SECTIONS_BY_ID = ("actors", "events", "streams", "rules", "regimes", "outcomes", "observed")
SCENARIO_KEYS = frozenset(
    [*(f.alias or name for name, f in Scenario.model_fields.items()), "extends", "add", "remove"]
)
"""Top-level keys of a scenario file (a file with none of them is not one)."""

__all__ = ["display_name", "load_scenario", "resolve_document", "validate_document"]


@dataclass
class Resolved:
    """A scenario document with its `extends` chain merged, and the problems
    found on the way; `complete` is False when a base could not be read (the
    document is then the variant alone)."""

    doc: Located
    problems: list[Problem]
    complete: bool = True


def _is_law(value: Any) -> bool:
    """An uncertain value (`{dist: ...}` or `{samples: ...}`), or a delay law."""
    return isinstance(value, dict) and ("dist" in value or "samples" in value)


def _deep_merge(base: Any, change: Any) -> Any:
    """The base with the change applied key by key, except that a law replaces
    a law whole: `{dist: lognormal, ...}` over `{samples: ..., column: ...}`
    is a new belief about the number, not a mixture of both mappings' keys."""
    if _is_law(base) and _is_law(change):
        return copy.deepcopy(change)
    if isinstance(base, dict) and isinstance(change, dict):
        merged = dict(base)
        for key, value in change.items():
            merged[key] = _deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(change)


def _merge(base: Located, child: Located, display: str) -> Resolved:
    """Apply a child document (already stripped of `extends`) to its base."""
    problems: list[Problem] = []
    data = copy.deepcopy(base.data)
    lines = dict(base.lines)
    child_data = dict(child.data)
    additions = child_data.pop("add", None) or {}
    removals = child_data.pop("remove", None) or []

    def add(path: str, expected: str, found: str) -> None:
        problems.append(child.problem(path, display, expected, found))

    _apply_changes(data, child_data, add)
    _apply_additions(data, additions, add)
    for path, where in child.lines.items():
        lines[path[4:] if path.startswith("add.") else path] = where
    _apply_removals(data, removals, add)
    return Resolved(Located(data, lines, [*base.problems, *child.problems]), problems)


def _apply_changes(
    data: dict[str, Any], changes: dict[str, Any], add: Callable[[str, str, str], None]
) -> None:
    """Merge the child's own keys into `data`: ids in id sections must exist in
    the base (new ones belong under `add:`, so a typo cannot add an id)."""
    for key, value in changes.items():
        if key in SECTIONS_BY_ID and isinstance(value, dict) and isinstance(data.get(key), dict):
            section = data[key]
            for ident, part in value.items():
                if ident not in section:
                    add(
                        f"{key}.{ident}",
                        f"an id the base defines (new ids go under 'add: {{{key}: ...}}')",
                        f"'{ident}', which the base lacks",
                    )
                elif key == "observed":
                    section[ident] = copy.deepcopy(part)
                else:
                    section[ident] = _deep_merge(section[ident], part)
        else:
            data[key] = copy.deepcopy(value)


def _apply_additions(
    data: dict[str, Any], additions: Any, add: Callable[[str, str, str], None]
) -> None:
    """Add the `add:` block's new ids; an id the base already defines is refused
    (changing it belongs outside `add:`)."""
    if not isinstance(additions, dict):
        add("add", "a mapping of sections", describe(additions))
        additions = {}
    for key, value in additions.items():
        if key not in SECTIONS_BY_ID or not isinstance(value, dict):
            add(
                f"add.{key}",
                f"one of {', '.join(SECTIONS_BY_ID)} with a mapping of ids",
                describe(key),
            )
            continue
        section = data.setdefault(key, {})
        if not isinstance(section, dict):
            continue  # the base's own problem, reported by validation
        for ident, part in value.items():
            if ident in section:
                add(f"add.{key}.{ident}", "a new id", f"'{ident}', which the base already defines")
            section[ident] = copy.deepcopy(part)


def _apply_removals(
    data: dict[str, Any], removals: Any, add: Callable[[str, str, str], None]
) -> None:
    """Delete the `remove:` paths; a path missing from the base is refused."""
    for index, path in enumerate(removals if isinstance(removals, list) else [removals]):
        try:
            removed = delete_path(data, parse_path(str(path)))
        except ValueError:
            removed = False
        if not removed:
            add(f"remove[{index}]", "a path that exists in the base", repr(str(path)))


def _alone(doc: Located) -> Located:
    """A variant without its merge instructions, to check its own values."""
    data = {k: v for k, v in doc.data.items() if k not in ("add", "remove")}
    return Located(data, doc.lines, doc.problems)


def resolve_document(
    path: Path, chain: tuple[Path, ...] = (), cited: CitedAt | None = None
) -> Resolved:
    """Read a scenario file and everything it extends, merged into one document.

    Raises:
        ScenarioError: only when `path` itself cannot be read as a scenario
            file; every later problem is in the result.
    """
    display = display_name(path)
    doc = read_yaml(path, display, "scenario", SCENARIO_KEYS, cited)
    base_ref = doc.data.pop("extends", None)
    if base_ref is None:
        stray = [key for key in ("add", "remove") if key in doc.data]
        problems = [
            doc.problem(
                key,
                display,
                "'add'/'remove' only in a file that 'extends' another",
                f"'{key}' without 'extends'",
            )
            for key in stray
        ]
        return Resolved(_alone(doc), problems)
    line = doc.lines.get("extends", (display, None))[1]

    def broken(expected: str, found: str) -> Resolved:
        return Resolved(_alone(doc), [Problem(display, line, "extends", expected, found)], False)

    if not isinstance(base_ref, str) or not base_ref.strip():
        return broken("a file name", describe(base_ref))
    base_path = (path.parent / base_ref).resolve()
    here = path.resolve()
    if base_path in (*chain, here):
        cycle = " -> ".join(display_name(p) for p in (*chain, here, base_path))
        return broken("a chain without cycles", f"the cycle {cycle}")
    if not os.path.lexists(base_path):
        return broken("an existing base file", f"no file {display_name(base_path)}")
    try:
        base = resolve_document(base_path, (*chain, here), CitedAt(display, line, "extends"))
    except ScenarioError as exc:
        return Resolved(_alone(doc), list(exc.problems), False)
    if not base.complete:
        return Resolved(_alone(doc), base.problems, False)
    merged = _merge(base.doc, doc, display)
    return Resolved(merged.doc, [*base.problems, *merged.problems])


def own_value_problems(doc: Located, display: str) -> list[Problem]:
    """Problems of a variant's own values whatever its base holds: unknown keys,
    wrong types and bounds at paths it writes (not missing keys, nor
    combinations a model validator checks, which the base may complete)."""
    try:
        Scenario.model_validate(doc.data)
    except ValidationError as exc:
        combinations = {format_path(e["loc"]) for e in exc.errors() if e["type"] == "contract"}
        return [
            p
            for p in problems_from(exc, doc, display, Scenario)
            if p.path in doc.lines and p.found != "nothing" and p.path not in combinations
        ]
    return []


def load_scenario(
    path: str | os.PathLike[str],
    overrides: Mapping[str, Any] | None = None,
    *,
    cited: CitedAt | None = None,
) -> Scenario:
    """Load, merge, validate and check a scenario file; apply `--set` overrides.

    Args:
        path: the scenario file.
        overrides: dotted path -> value (text is read as a YAML scalar).
        cited: where the file was named (a sweep's `base:`), if in another file.

    Raises:
        ScenarioError: with every problem found, each with file, line and path.
    """
    file = Path(path)
    resolved = resolve_document(file, cited=cited)
    display = display_name(file)
    if not resolved.complete:
        own = own_value_problems(resolved.doc, display)
        raise ScenarioError(unique([*resolved.problems, *resolved.doc.problems, *own]))
    scenario = validate_document(resolved.doc, display, file.resolve(), earlier=resolved.problems)
    if overrides:
        scenario = with_overrides(scenario, overrides)
    return scenario


def extends_chain(scenario_file: Path) -> list[Path]:
    """The scenario file and every file it `extends`, resolved, nearest first:
    the files a command reads, which its outputs must never replace
    (`calibrate --out`, `fit --scenario-out`). The loader has already checked
    the chain; a file unreadable here ends it."""
    chain: list[Path] = []
    path: Path | None = scenario_file.resolve()
    while path is not None and path not in chain:
        chain.append(path)
        try:
            doc = read_yaml(path, str(path)).data
        except ScenarioError:
            break
        ref = doc.get("extends") if isinstance(doc, dict) else None
        path = (path.parent / ref).resolve() if isinstance(ref, str) and ref.strip() else None
    return chain
