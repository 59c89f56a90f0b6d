"""Whole-file checks the schema cannot express: references between parts,
ladder bounds, explosive branching, rule loops that never end, overlapping
observations, and evidence anchors that must resolve.

Every problem is collected and none stops the rest, and the checks run even
when the schema refused parts of the file (a wrong rate and an unknown event
id in the same file are reported together): references and sources are read
from the file's data as written, value checks from the parts that validated
(`Draft`). A check at a place the schema already refused is skipped, so one
mistake is reported once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import TypeAdapter, ValidationError

from sim.errors import Problem
from sim.scenario.base import SOURCE_PATTERN
from sim.scenario.evidence import EvidenceLibrary, project_root
from sim.scenario.schema import Observation, Rule, Scenario, Sourced, Stream
from sim.scenario.yamlmap import Located

SECTIONS = ("actors", "events", "streams", "rules", "regimes", "outcomes", "observed")


@dataclass(frozen=True)
class Draft:
    """What the checks need of a scenario: its data as written and the parts
    of it that validated (all of them for a valid scenario)."""

    data: Mapping[str, Any]
    origin: Path | None
    ladder: tuple[str, ...] | None = None
    start_date: dt.date | None = None
    horizon_days: float | None = None
    streams: dict[str, Stream] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    observed: dict[str, tuple[Observation, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, s: Scenario, data: Mapping[str, Any]) -> Draft:
        """The draft of a valid scenario (nothing validated twice)."""
        return cls(
            data, s.origin, s.ladder, s.start_date, s.horizon_days, s.streams, s.rules, s.observed
        )

    @classmethod
    def salvage(cls, data: Mapping[str, Any], origin: Path | None) -> Draft:
        """The parts of an invalid file that validate on their own."""

        def valid(annotation: Any, value: Any) -> Any:
            try:
                return TypeAdapter(annotation).validate_python(value)
            except ValidationError:
                return None

        def section(name: str, annotation: Any) -> dict[str, Any]:
            items = data.get(name)
            if not isinstance(items, dict):
                return {}
            out = {}
            for ident, item in items.items():
                part = valid(annotation, item)
                if part is not None:
                    out[str(ident)] = part
            return out

        return cls(
            data,
            origin,
            valid(_annotated("ladder"), data.get("ladder")),
            valid(_annotated("start_date"), data.get("start_date")),
            valid(_annotated("horizon_days"), data.get("horizon_days")),
            section("streams", Stream),
            section("rules", Rule),
            section("observed", tuple[Observation, ...]),
        )

    def ids(self, section: str) -> list[str]:
        """Ids written in a section, valid parts or not."""
        items = self.data.get(section)
        return [str(k) for k in items] if isinstance(items, dict) else []

    def items(self, section: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(id, mapping) of a section's parts as written."""
        items = self.data.get(section)
        if isinstance(items, dict):
            for ident, item in items.items():
                if isinstance(item, dict):
                    yield str(ident), item


def _annotated(name: str) -> Any:
    """A scenario field's type with its constraints (`Field(gt=0)`...)."""
    info = Scenario.model_fields[name]
    if not info.metadata:
        return info.annotation
    args = (info.annotation, *info.metadata)
    return Annotated[args]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _one_or_many(value: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(value, list):
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]
    return [(path, value)] if value is not None else []


def check_scenario(
    draft: Draft,
    doc: Located,
    display: str,
    check_sources: bool = True,
    refused: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every whole-file problem.

    Args:
        draft: the file's data and the parts that validated.
        doc: where each path was written.
        display: the file's name in messages.
        check_sources: False skips resolving evidence anchors (for overrides
            that cannot have changed them).
        refused: paths the schema refused; no check reports at or below them.
    """
    problems: list[Problem] = []

    def add(path: str, expected: str, found: str) -> None:
        if any(path == r or path.startswith((r + ".", r + "[")) for r in refused):
            return
        problems.append(doc.problem(path, display, expected, found))

    levels = len(draft.ladder) if draft.ladder is not None else None
    rung_range = f"a rung from 0 to {(levels or 1) - 1} (the ladder has {levels})"

    written = {section: set(draft.ids(section)) for section in SECTIONS}

    def need(kind: str, section: str, value: Any, path: str) -> None:
        ident = _str(value)
        ids = written[section]
        if section in refused or not isinstance(draft.data.get(section, {}), dict):
            return  # the section itself is wrong: its ids are unknown, not missing
        if ident is not None and ident not in ids:
            known = ", ".join(sorted(ids)) or "none"
            article = "an" if kind[0] in "aeiou" else "a"
            add(path, f"{article} {kind} id (one of: {known})", f"'{ident}'")

    def rung(value: Any, path: str) -> None:
        number = _int(value)
        if levels is not None and number is not None and number >= levels:
            add(path, rung_range, str(number))

    if draft.ladder is not None and len(set(draft.ladder)) != len(draft.ladder):
        add("ladder", "distinct rung names", "a repeated name")
    rung(draft.data.get("initial_level"), "initial_level")
    _check_horizon(draft, add)
    _check_events(draft, need, rung)
    _check_streams(draft, add, need)
    for ident, rule in draft.items("rules"):
        _check_rule(draft, ident, rule, add, need, rung)
    for ident, regime in draft.items("regimes"):
        _check_regime(ident, regime, need, rung)
    _check_outcomes(draft, need, rung)
    _check_observed(draft, add)
    _check_history(draft, add, need)
    _check_instant_loops(draft, add)
    if check_sources:
        _check_sources(draft, add)
    return problems


Add = Callable[[str, str, str], None]
Need = Callable[[str, str, Any, str], None]


def _check_events(draft: Draft, need: Need, rung: Callable[[Any, str], None]) -> None:
    """Each event type's actor and target ids exist and its rung is on the ladder."""
    for ident, event in draft.items("events"):
        need("actor", "actors", event.get("actor"), f"events.{ident}.actor")
        need("actor", "actors", event.get("target"), f"events.{ident}.target")
        rung(event.get("rung"), f"events.{ident}.rung")


def _check_outcomes(draft: Draft, need: Need, rung: Callable[[Any, str], None]) -> None:
    """Outcome levels are on the ladder; outcome and observed event ids exist."""
    for ident, outcome in draft.items("outcomes"):
        rung(outcome.get("level_at_least"), f"outcomes.{ident}.level_at_least")
        need("event", "events", outcome.get("event"), f"outcomes.{ident}.event")
        need("regime", "regimes", outcome.get("regime"), f"outcomes.{ident}.regime")
    for ident in draft.ids("observed"):
        need("event", "events", ident, f"observed.{ident}")


def _check_horizon(draft: Draft, add: Add) -> None:
    if draft.start_date is None or draft.horizon_days is None:
        return
    last = dt.date.max.toordinal() - draft.start_date.toordinal()
    if draft.horizon_days > last:
        add(
            "horizon_days",
            f"a horizon ending by {dt.date.max} (at most {last:,} days from {draft.start_date})",
            f"{draft.horizon_days:g}",
        )


def _check_streams(draft: Draft, add: Add, need: Need) -> None:
    for ident, stream in draft.items("streams"):
        base = f"streams.{ident}"
        need("event", "events", ident, base)
        valid = draft.streams.get(ident)
        own = valid.self_excitation if valid is not None else None
        if (
            valid is not None
            and own is not None
            and own.branching >= 1
            and valid.max_events is None
        ):
            add(
                f"{base}.self_excitation.branching",
                "own branching below 1 (or 'max_events' to cap an explosive stream)",
                f"{own.branching:g}",
            )
        excited_by = stream.get("excited_by")
        for source in excited_by if isinstance(excited_by, dict) else ():
            if source == ident:
                add(
                    f"{base}.excited_by.{source}",
                    "another event type (own excitation goes under self_excitation)",
                    f"'{source}'",
                )
            else:
                need("event", "events", source, f"{base}.excited_by.{source}")


def _check_rule(
    draft: Draft,
    ident: str,
    rule: dict[str, Any],
    add: Add,
    need: Need,
    rung: Callable[[Any, str], None],
) -> None:
    base = f"rules.{ident}"
    actor = _str(rule.get("actor"))
    need("actor", "actors", actor, f"{base}.actor")
    on = rule.get("on")
    for i, event in enumerate(on if isinstance(on, list) else ()):
        need("event", "events", event, f"{base}.on[{i}]")
    _check_condition(rule.get("if"), f"{base}.if", need, rung)
    _check_actions(draft, base, actor, rule.get("then"), add, need, rung)


def _check_condition(cond: Any, base: str, need: Need, rung: Callable[[Any, str], None]) -> None:
    """A condition's rungs are on the ladder and its counted events exist."""
    if not isinstance(cond, dict):
        return
    for name in ("level_at_least", "level_at_most"):
        rung(cond.get(name), f"{base}.{name}")
    for name in ("count", "total"):
        for path, item in _one_or_many(cond.get(name), f"{base}.{name}"):
            if isinstance(item, dict):
                need("event", "events", item.get("event"), f"{path}.event")


def _check_regime(
    ident: str, regime: dict[str, Any], need: Need, rung: Callable[[Any, str], None]
) -> None:
    """A regime's triggers and conditions name known events and rungs, and its
    effects name known streams and rules."""
    base = f"regimes.{ident}"
    onset = regime.get("onset")
    if isinstance(onset, dict):
        on = onset.get("on")
        for i, event in enumerate(on if isinstance(on, list) else ()):
            need("event", "events", event, f"{base}.onset.on[{i}]")
        for key in ("if", "while"):
            _check_condition(onset.get(key), f"{base}.onset.{key}", need, rung)
    for section, kind in (("streams", "stream"), ("rules", "rule")):
        effects = regime.get(section)
        for target in effects if isinstance(effects, dict) else ():
            need(kind, section, target, f"{base}.{section}.{target}")


def _check_actions(
    draft: Draft,
    base: str,
    actor: str | None,
    then: Any,
    add: Add,
    need: Need,
    rung: Callable[[Any, str], None],
) -> None:
    """A rule's actions: emitted events exist and belong to the rule's actor
    (a rule makes its own actor act), scaled streams exist, set levels are rungs."""
    events = draft.data.get("events")
    events = events if isinstance(events, dict) else {}
    for i, action in enumerate(then if isinstance(then, list) else ()):
        if not isinstance(action, dict):
            continue
        path = f"{base}.then[{i}]"
        emit = _str(action.get("emit"))
        if emit is not None and emit not in events:
            need("event", "events", emit, f"{path}.emit")
        elif emit is not None and actor is not None:
            owner = events[emit].get("actor") if isinstance(events[emit], dict) else None
            if isinstance(owner, str) and owner != actor:
                add(
                    f"{path}.emit",
                    f"an event whose actor is the rule's ('{actor}')",
                    f"'{emit}', carried out by '{owner}'",
                )
        scale = action.get("scale")
        if isinstance(scale, dict):
            need("stream", "streams", scale.get("stream"), f"{path}.scale.stream")
        rung(action.get("set_level"), f"{path}.set_level")


def _check_observed(draft: Draft, add: Add) -> None:
    start, horizon = draft.start_date, draft.horizon_days
    for ident, windows in draft.observed.items():
        spans = []
        for i, obs in enumerate(windows):
            if start is None or horizon is None:
                continue
            lo, hi = (obs.from_ - start).days, (obs.to - start).days + 1
            if lo < 0 or hi > horizon:
                last = start + dt.timedelta(days=float(horizon) - 1)
                add(
                    f"observed.{ident}[{i}]",
                    f"a window within {start} .. {last}",
                    f"{obs.from_} .. {obs.to}",
                )
            spans.append((lo, hi, i))
        spans.sort()
        for (_, hi_a, a), (lo_b, _, b) in itertools.pairwise(spans):
            if lo_b < hi_a:
                add(
                    f"observed.{ident}[{b}]",
                    f"a window not overlapping observed.{ident}[{a}]",
                    "an overlap",
                )


def _check_history(draft: Draft, add: Add, need: Need) -> None:
    """History names known events and rules, and every date lies before the start."""
    history = draft.data.get("history")
    if not isinstance(history, dict):
        return
    for section, kind, known in (("events", "event", "events"), ("fired", "rule", "rules")):
        entries = history.get(section)
        for ident, dates in entries.items() if isinstance(entries, dict) else ():
            path = f"history.{section}.{ident}"
            need(kind, known, ident, path)
            for i, written in enumerate(dates if isinstance(dates, list) else ()):
                date = _as_date(written)
                if date is not None and draft.start_date is not None and date >= draft.start_date:
                    add(f"{path}[{i}]", f"a date before start_date ({draft.start_date})", str(date))


def _as_date(value: Any) -> dt.date | None:
    """A date as written (YAML date or ISO text); None if it is not one, or
    is a date and time (the schema reports both; a datetime cannot even be
    compared with `start_date`)."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _fires_at_once_every_time(rule: Rule) -> bool:
    """A rule that, once triggered, surely responds at the same instant, again
    and again: probability 1, no delay, no condition, no cooldown, no cap."""
    instant = rule.delay is None or (rule.delay.dist == "fixed" and not rule.delay.days)
    return (
        instant
        and rule.probability == 1
        and rule.if_ is None
        and rule.cooldown_days == 0
        and rule.max_pending is None
    )


def instant_loops(rules: Mapping[str, Rule]) -> list[list[str]]:
    """Cycles of rules that re-trigger each other at one instant forever.

    Such a loop is certain to explode: the first occurrence of any of its
    events starts an infinite sequence of responses at one simulated time,
    which never returns. Each cycle is listed once, as rule ids in firing order.
    """
    sure = {ident: rule for ident, rule in rules.items() if _fires_at_once_every_time(rule)}
    triggers: dict[str, list[str]] = {}
    for ident, rule in sure.items():
        for event in rule.on:
            triggers.setdefault(event, []).append(ident)
    nxt = {
        ident: [r for a in rule.then if a.emit is not None for r in triggers.get(a.emit, [])]
        for ident, rule in sure.items()
    }
    cycles: list[list[str]] = []
    looped: set[str] = set()
    for start in sure:
        if start in looped:
            continue
        # Breadth first from the rules `start` triggers: the shortest way back.
        parent: dict[str, str] = {}
        queue = deque([start])
        while queue:
            here = queue.popleft()
            if start in parent:
                break
            for step in nxt[here]:
                if step not in parent:
                    parent[step] = here
                    queue.append(step)
        if start in parent:
            cycle = [start]
            while parent[cycle[-1]] != start:
                cycle.append(parent[cycle[-1]])
            cycle = [start, *reversed(cycle[1:])]
            looped.update(cycle)
            cycles.append(cycle)
    return cycles


def _check_instant_loops(draft: Draft, add: Add) -> None:
    for cycle in instant_loops(draft.rules):
        loop = " -> ".join([*cycle, cycle[0]])
        add(
            f"rules.{cycle[0]}",
            "a rule loop that can end (a delay, cooldown_days, max_pending, an 'if' "
            "or a probability below 1 on one of its rules)",
            f"rules {loop} trigger each other at one instant with certainty, forever",
        )


def sourced_parts(s: Scenario) -> Iterator[tuple[str, Sourced]]:
    """Every part of a valid scenario that must cite evidence, with its dotted path."""
    for ident, stream in s.streams.items():
        yield f"streams.{ident}", stream
    for ident, rule in s.rules.items():
        yield f"rules.{ident}", rule
    for ident, regime in s.regimes.items():
        yield f"regimes.{ident}", regime
    for ident, windows in s.observed.items():
        for i, obs in enumerate(windows):
            yield f"observed.{ident}[{i}]", obs
    if s.history is not None:
        yield "history", s.history


def _written_sources(draft: Draft) -> Iterator[tuple[str, str]]:
    """(path, anchor) of every well-formed `source:` as written."""
    parts: list[tuple[str, Any]] = [
        *((f"streams.{i}", p) for i, p in draft.items("streams")),
        *((f"rules.{i}", p) for i, p in draft.items("rules")),
        *((f"regimes.{i}", p) for i, p in draft.items("regimes")),
    ]
    observed = draft.data.get("observed")
    for ident, windows in observed.items() if isinstance(observed, dict) else ():
        parts.extend(_one_or_many(windows, f"observed.{ident}"))
    if isinstance(draft.data.get("history"), dict):
        parts.append(("history", draft.data["history"]))
    for path, part in parts:
        if isinstance(part, dict):
            for where, ref in _one_or_many(part.get("source"), f"{path}.source"):
                if isinstance(ref, str) and re.match(SOURCE_PATTERN, ref):
                    yield where, ref


def _check_sources(draft: Draft, add: Add) -> None:
    library = EvidenceLibrary(project_root(draft.origin))
    for where, ref in _written_sources(draft):
        found = library.resolve(ref)
        if isinstance(found, str):
            add(where, "a source naming an existing evidence file and fact", f"'{ref}': {found}")


def offspring_matrix(s: Scenario) -> tuple[list[str], np.ndarray]:
    """Expected direct offspring between event types (row: parent, column: child).

    Streams contribute their branching ratios; a rule contributes its
    probability for each `emit` (an upper bound: conditions and caps only
    lower it). Rules with a cooldown are left out: they emit at most once per
    cooldown, a bounded rate that cannot make the process explode.
    """
    names = list(s.events)
    index = {name: i for i, name in enumerate(names)}
    g = np.zeros((len(names), len(names)))
    for ident, stream in s.streams.items():
        if stream.self_excitation is not None:
            g[index[ident], index[ident]] += stream.self_excitation.branching
        for source, kernel in stream.excited_by.items():
            g[index[source], index[ident]] += kernel.branching
    for rule in s.rules.values():
        if rule.cooldown_days > 0:
            continue
        for on in rule.on:
            for action in rule.then:
                if action.emit is not None:
                    g[index[on], index[action.emit]] += rule.probability
    return names, g


def scenario_warnings(s: Scenario) -> list[str]:
    """Conditions worth a user's attention that do not make the file invalid."""
    warnings = []
    _, g = offspring_matrix(s)
    if g.size:
        radius = float(max(abs(np.linalg.eigvals(g))))
        if radius >= 1 and math.isfinite(radius):
            warnings.append(
                f"the matrix of expected direct offspring between event types has largest "
                f"eigenvalue {radius:.2f} >= 1: feedback through rules and cross-excitation may "
                "be explosive (a stream's max_events or a rule's cooldown_days bounds it)"
            )
    for ident, stream in s.streams.items():
        if stream.active is not None and stream.active.from_day >= s.horizon_days:
            warnings.append(
                f"streams.{ident} becomes active on day {stream.active.from_day:g}, "
                f"after the horizon ({s.horizon_days:g}): it never fires"
            )
        if stream.rate == 0 and not stream.excited_by and stream.self_excitation is None:
            warnings.append(f"streams.{ident} has rate 0 and nothing excites it: it never fires")
    for ident, regime in s.regimes.items():
        for target, effect in regime.streams.items():
            own = s.streams[target].self_excitation
            if own is not None and own.branching * effect.factor >= 1:
                warnings.append(
                    f"regimes.{ident}.streams.{target}.factor: while the regime is on, the "
                    f"stream's own branching becomes {own.branching * effect.factor:.2f} >= 1 "
                    "(explosive unless max_events caps it)"
                )
    return warnings
