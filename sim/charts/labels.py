"""Human names for a scenario's dotted paths, for chart axes and titles.

A chart read in a briefing says "faction drone attack on Israel: baseline
rate (per day)", not `streams.drone_attack_israel.rate`: streams are named by
their event type's `label` (`Scenario.event_label`), rules by their id in
words, and each field by what it means in docs/MODEL.md, with its unit.
"""

from __future__ import annotations

from sim.scenario.fields import parse_path
from sim.scenario.schema import Scenario

TOP_LEVEL = {
    "horizon_days": "horizon (days)",
    "initial_level": "initial ladder level",
    "ladder_decay_days": "ladder decay (days without events)",
}
STREAM = {
    "rate": "baseline rate (per day)",
    "max_events": "most events per replication",
}
KERNEL = {"branching": "branching", "decay_days": "decay (days)"}
ACTIVE = {"from_day": "active from day", "to_day": "active until day"}
RULE = {
    "probability": "probability",
    "cooldown_days": "cooldown (days)",
    "max_pending": "most pending responses",
}
DELAY = {
    "days": "delay (days)",
    "mean": "mean delay (days)",
    "cv": "delay coefficient of variation",
    "median": "median delay (days)",
    "sigma": "delay log-scale sigma",
    "low": "shortest delay (days)",
    "high": "longest delay (days)",
}
CONDITION = {
    "level_at_least": "if level at least",
    "level_at_most": "if level at most",
    "after_day": "if on or after day",
    "before_day": "if before day",
}
COUNTED = {"within_days": "window (days)", "at_least": "at least"}
ACTION = {"factor": "scale factor", "days": "scale duration (days)", "set_level": "set level"}
OUTCOME = {
    "count_at_least": "count needed",
    "level_at_least": "ladder level needed",
}
EVENT = {"rung": "ladder rung"}


def words(key: str | int) -> str:
    """An id or key as words: `israel_strikes_factions` -> "israel strikes factions"."""
    return str(key).replace("_", " ")


def parameter_label(scenario: Scenario, path: str) -> str:
    """A dotted path of `scenario` in words, with its unit.

    `streams.drone_attack_israel.rate` -> "faction drone attack on Israel:
    baseline rate (per day)"; `rules.israel_strikes_factions.probability` ->
    "rule israel strikes factions: probability";
    `streams.drone_attack_israel.self_excitation.branching` -> "faction drone
    attack on Israel: self-excitation branching". A path this does not know
    is put in words rather than refused: a label never stops a chart.
    """
    try:
        loc = [int(k) if isinstance(k, str) and k.isdigit() else k for k in parse_path(path)]
    except ValueError:
        return path
    if len(loc) == 1 and loc[0] in TOP_LEVEL:
        return TOP_LEVEL[str(loc[0])]
    if len(loc) < 3:
        return " ".join(words(k) for k in loc)
    part, ident, rest = loc[0], str(loc[1]), loc[2:]
    if part == "streams":
        return f"{_event(scenario, ident)}: {_stream_field(scenario, rest)}"
    if part == "rules":
        return f"rule {words(ident)}: {_rule_field(rest)}"
    if part == "outcomes":
        name = scenario.outcome_label(ident) if ident in scenario.outcomes else words(ident)
        return f"outcome {name}: {_field(OUTCOME, rest)}"
    if part == "events":
        return f"{_event(scenario, ident)}: {_field(EVENT, rest)}"
    return " ".join(words(k) for k in loc)


def _event(scenario: Scenario, ident: str) -> str:
    return scenario.event_label(ident) if ident in scenario.events else words(ident)


def _field(names: dict[str, str], rest: list[str | int]) -> str:
    key = rest[-1]
    head = " ".join(words(k) for k in rest[:-1])
    name = names.get(str(key), words(key))
    return f"{head} {name}" if head else name


def _stream_field(scenario: Scenario, rest: list[str | int]) -> str:
    if rest[0] == "self_excitation" and len(rest) == 2:
        return f"self-excitation {KERNEL.get(str(rest[1]), words(rest[1]))}"
    if rest[0] == "excited_by" and len(rest) == 3:
        source = _event(scenario, str(rest[1]))
        return f"excitation by {source}, {KERNEL.get(str(rest[2]), words(rest[2]))}"
    if rest[0] == "active" and len(rest) == 2:
        return ACTIVE.get(str(rest[1]), words(rest[1]))
    return _field(STREAM, rest)


def _rule_field(rest: list[str | int]) -> str:
    if rest[0] == "delay" and len(rest) == 2:
        return DELAY.get(str(rest[1]), words(rest[1]))
    if rest[0] == "if":
        counted = [k for k in rest[1:] if k in ("count", "total")]
        if counted:
            return f"if {counted[0]} {COUNTED.get(str(rest[-1]), words(rest[-1]))}"
        return CONDITION.get(str(rest[-1]), words(rest[-1]))
    if rest[0] == "then" and len(rest) >= 2 and isinstance(rest[1], int):
        return f"action {rest[1] + 1} {ACTION.get(str(rest[-1]), words(rest[-1]))}"
    return _field(RULE, rest)
