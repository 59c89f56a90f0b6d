"""Whole-file checks the schema cannot express: references between parts,
ladder bounds, explosive branching, overlapping observations, and evidence
anchors that must resolve. Every problem is collected; none stops the rest.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from sim.errors import Problem
from sim.scenario.schema import Scenario, Sourced
from sim.scenario.yamlmap import Located


def check_scenario(
    s: Scenario, doc: Located, display: str, check_sources: bool = True
) -> list[Problem]:
    """Every whole-file problem; `check_sources=False` skips resolving evidence
    anchors (for overrides that cannot have changed them)."""
    problems: list[Problem] = []

    def add(path: str, expected: str, found: str) -> None:
        file, line = doc.where(path, display)
        problems.append(Problem(file, line, path, expected, found))

    levels = len(s.ladder)
    rung_range = f"a rung from 0 to {levels - 1} (the ladder has {levels})"

    def need(kind: str, ids: object, value: str, path: str) -> None:
        if value not in ids:  # type: ignore[operator]
            known = ", ".join(sorted(ids)) or "none"  # type: ignore[call-overload]
            article = "an" if kind[0] in "aeiou" else "a"
            add(path, f"{article} {kind} id (one of: {known})", f"'{value}'")

    if len(set(s.ladder)) != levels:
        add("ladder", "distinct rung names", "a repeated name")
    if s.initial_level >= levels:
        add("initial_level", rung_range, str(s.initial_level))
    for ident, event in s.events.items():
        need("actor", s.actors, event.actor, f"events.{ident}.actor")
        if event.target is not None:
            need("actor", s.actors, event.target, f"events.{ident}.target")
        if event.rung is not None and event.rung >= levels:
            add(f"events.{ident}.rung", rung_range, str(event.rung))
    for ident, stream in s.streams.items():
        base = f"streams.{ident}"
        need("event", s.events, ident, base)
        own = stream.self_excitation
        if own is not None and own.branching >= 1 and stream.max_events is None:
            add(
                f"{base}.self_excitation.branching",
                "own branching below 1 (or 'max_events' to cap an explosive stream)",
                f"{own.branching:g}",
            )
        for source in stream.excited_by:
            if source == ident:
                add(
                    f"{base}.excited_by.{source}",
                    "another event type (own excitation goes under self_excitation)",
                    f"'{source}'",
                )
            else:
                need("event", s.events, source, f"{base}.excited_by.{source}")
    for ident, rule in s.rules.items():
        base = f"rules.{ident}"
        need("actor", s.actors, rule.actor, f"{base}.actor")
        for i, on in enumerate(rule.on):
            need("event", s.events, on, f"{base}.on[{i}]")
        cond = rule.if_
        if cond is not None:
            for name in ("level_at_least", "level_at_most"):
                value = getattr(cond, name)
                if value is not None and value >= levels:
                    add(f"{base}.if.{name}", rung_range, str(value))
            for i, count in enumerate(cond.counts):
                path = f"{base}.if.count" + (f"[{i}]" if isinstance(cond.count, tuple) else "")
                need("event", s.events, count.event, f"{path}.event")
            for i, total in enumerate(cond.totals):
                path = f"{base}.if.total" + (f"[{i}]" if isinstance(cond.total, tuple) else "")
                need("event", s.events, total.event, f"{path}.event")
        for i, action in enumerate(rule.then):
            path = f"{base}.then[{i}]"
            if action.emit is not None:
                if action.emit not in s.events:
                    need("event", s.events, action.emit, f"{path}.emit")
                elif s.events[action.emit].actor != rule.actor:
                    add(
                        f"{path}.emit",
                        f"an event whose actor is the rule's ('{rule.actor}')",
                        f"'{action.emit}', carried out by '{s.events[action.emit].actor}'",
                    )
            if action.scale is not None:
                need("stream", s.streams, action.scale.stream, f"{path}.scale.stream")
            if action.set_level is not None and action.set_level >= levels:
                add(f"{path}.set_level", rung_range, str(action.set_level))
    for ident, outcome in s.outcomes.items():
        if outcome.level_at_least is not None and outcome.level_at_least >= levels:
            add(f"outcomes.{ident}.level_at_least", rung_range, str(outcome.level_at_least))
        if outcome.event is not None:
            need("event", s.events, outcome.event, f"outcomes.{ident}.event")
    for ident, windows in s.observed.items():
        need("event", s.events, ident, f"observed.{ident}")
        spans = []
        for i, obs in enumerate(windows):
            lo, hi = s.day_of(obs.from_), s.day_of(obs.to) + 1
            if lo < 0 or hi > s.horizon_days:
                add(
                    f"observed.{ident}[{i}]",
                    f"a window within {s.start_date} .. {s.date_of(s.horizon_days - 1)}",
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
    if s.history is not None:
        for kind, known, entries in (
            ("event", s.events, s.history.events),
            ("rule", s.rules, s.history.fired),
        ):
            section = "events" if kind == "event" else "fired"
            for ident, dates in entries.items():
                path = f"history.{section}.{ident}"
                need(kind, known, ident, path)
                for i, date in enumerate(dates):
                    if date >= s.start_date:
                        add(
                            f"{path}[{i}]",
                            f"a date before start_date ({s.start_date})",
                            str(date),
                        )
    if check_sources:
        problems.extend(_check_sources(s, doc, display))
    return problems


def sourced_parts(s: Scenario) -> Iterator[tuple[str, Sourced]]:
    """Every part that must cite evidence, with its dotted path."""
    for ident, stream in s.streams.items():
        yield f"streams.{ident}", stream
    for ident, rule in s.rules.items():
        yield f"rules.{ident}", rule
    for ident, windows in s.observed.items():
        for i, obs in enumerate(windows):
            yield f"observed.{ident}[{i}]", obs
    if s.history is not None:
        yield "history", s.history


def _check_sources(s: Scenario, doc: Located, display: str) -> list[Problem]:
    # Imported here: sim.evidence imports sim.scenario.yamlmap, whose package
    # imports this module, so a top-level import is circular when sim.evidence
    # is imported first.
    from sim.evidence import EvidenceLibrary, project_root

    library = EvidenceLibrary(project_root(s.origin))
    problems = []
    for path, part in sourced_parts(s):
        for i, ref in enumerate(part.sources):
            found = library.resolve(ref)
            if isinstance(found, str):
                where = f"{path}.source" + (f"[{i}]" if isinstance(part.source, tuple) else "")
                file, line = doc.where(where, display)
                problems.append(
                    Problem(
                        file,
                        line,
                        where,
                        "a source naming an existing evidence file and fact",
                        f"'{ref}': {found}",
                    )
                )
    return problems


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
    return warnings
