"""Hazard rules and regimes give exactly the SimPy engine's tables.

docs/MODEL.md, Hazard rules and Regimes: a hazard integrates to a unit
exponential drawn from its lane 0 and is re-evaluated at every instant its
inputs can change (occurrences, level changes and ladder decay, regime
switches, `after_day`/`before_day`, a cooldown's end, an occurrence leaving a
count window); a regime switches on by its hazard (under `while`), by a
trigger (`if`, probability from lane 3, delay from lane 1) or both, lasts a
drawn duration (lane 2) and may come again; its factors multiply streams
like `scale` and rules' probabilities (capped at 1) or hazards, a factor 0
dropping responses that come due. Every RunTable column must be equal,
`parameters` included when numbers are uncertain. Each hand-written
scenario also asserts, on the SimPy engine's own records, that the feature
it is about actually happens in the replications compared, so identity is
never shown on a path nobody took.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine import compile_model, simulate
from sim.engine.records import Replication
from sim.scenario.distributions import Law, Uniform
from sim.scenario.overrides import with_overrides
from sim.scenario.schema import Scenario
from sim.scenario.uncertain import with_uncertain
from tests.engine.helpers import scenario
from tests.montecarlo.fast.test_differential import (
    EVENTS,
    RUNGS,
    conditions,
    delays,
    rule,
    rules,
    streams,
)
from tests.montecarlo.fast.test_differential_drawn import both, day, every_number_uncertain


def hazard_rule(then: list[Any], hazard: float, actor: str = "b", **extra: Any) -> dict[str, Any]:
    return {"actor": actor, "hazard": hazard, "then": then, "assumption": "test", **extra}


def replications(s: Scenario, seed: int, reps: range) -> list[Replication]:
    model = compile_model(s)
    return [simulate(model, seed, rep) for rep in reps]


# --- hand-written: one feature each --------------------------------------------


def hazard_with_window_and_cooldown() -> Scenario:
    return scenario(
        horizon_days=120,
        streams={
            "attack": {
                "rate": 0.6,
                "self_excitation": {"branching": 0.5, "decay_days": 3},
                "assumption": "test",
            }
        },
        rules={
            "decide": hazard_rule(
                [{"emit": "strike"}],
                0.3,
                cooldown_days=7,
                max_pending=1,
                recheck=True,
                delay={"dist": "gamma", "mean": 2, "cv": 0.7},
                **{
                    "if": {
                        "count": {"event": "attack", "within_days": 10, "at_least": 3},
                        "after_day": 4.5,
                        "before_day": 100,
                    }
                },
            ),
            "escalate": rule("strike", [{"set_level": 3}], probability=0.5),
        },
        outcomes={"strike": {"event": "strike"}, "top": {"level_at_least": 3}},
        ladder_decay_days=5,
    )


def test_a_hazard_rule_with_a_count_window_and_a_cooldown_is_identical():
    s = hazard_with_window_and_cooldown()
    runs = replications(s, 21, range(200))
    strikes = [r.event_times_days["strike"] for r in runs]
    assert sum(len(t) >= 2 for t in strikes) >= 10  # decisions repeat after cooldowns
    assert all(b - a >= 7 for t in strikes for a, b in itertools.pairwise(t))
    both(s, seed=21, reps=range(200))


def regimes_scenario() -> Scenario:
    return scenario(
        horizon_days=150,
        streams={
            "attack": {
                "rate": 0.8,
                "self_excitation": {"branching": 0.4, "decay_days": 2},
                "excited_by": {"strike": {"branching": 0.5, "decay_days": 4}},
                "assumption": "test",
            }
        },
        rules={
            "respond": rule(
                "attack",
                [{"emit": "strike"}],
                probability=0.4,
                delay={"dist": "fixed", "days": 3},
            ),
            "decide": hazard_rule([{"emit": "big"}], 0.02, cooldown_days=15),
        },
        regimes={
            # A hazard under `while`, with a drawn duration: may come again.
            "crackdown": {
                "onset": {"hazard": 0.05, "while": {"level_at_least": 2}},
                "duration": {"dist": "gamma", "mean": 8, "cv": 0.5},
                "streams": {"attack": {"factor": 0.3}},
                "rules": {"decide": {"factor": 3}, "respond": {"factor": 2}},
                "assumption": "test",
            },
            # A trigger with `if`, a lottery and a delay, also a hazard (whichever
            # first), disabling the rule whose responses are pending.
            "suspension": {
                "onset": {
                    "hazard": 0.005,
                    "on": ["strike"],
                    "if": {"total": {"event": "strike", "at_least": 2}},
                    "probability": 0.5,
                    "delay": {"dist": "lognormal", "median": 1, "sigma": 0.5},
                },
                "duration": {"dist": "uniform", "low": 5, "high": 20},
                "streams": {"attack": {"factor": 0}},
                "rules": {"respond": {"factor": 0}},
                "assumption": "test",
            },
            # A plain trigger at once, for the rest of the horizon.
            "truce": {
                "onset": {"on": ["big"]},
                "streams": {"attack": {"factor": 0.5}},
                "assumption": "test",
            },
        },
        outcomes={
            "crackdown": {"regime": "crackdown"},
            "suspension": {"regime": "suspension"},
            "truce": {"regime": "truce"},
            "high": {"level_at_least": 3},
        },
        ladder_decay_days=6,
    )


def test_regimes_by_hazard_trigger_or_both_with_drawn_durations_are_identical():
    s = regimes_scenario()
    runs = replications(s, 5, range(200))
    spans = [span for r in runs for span in r.regimes]
    assert {(x.regime, x.cause) for x in spans} >= {
        ("crackdown", "hazard"),
        ("suspension", "trigger"),
        ("suspension", "hazard"),
        ("truce", "trigger"),
    }
    assert any(x.off_day is not None for x in spans if x.regime == "suspension")
    again = [r for r in runs if sum(x.regime == "crackdown" for x in r.regimes) >= 2]
    assert again, "no replication has a regime switching on again"
    both(s, seed=5, reps=range(200))


def test_a_rule_disabled_by_a_regime_drops_the_responses_coming_due():
    # Every attack is answered 3 days later; a truce after the first strike (at
    # once, for 10 days) disables the answers, so answers due in the truce are
    # dropped: fewer strikes than attacks answered before the horizon.
    s = scenario(
        horizon_days=60,
        streams={"attack": {"rate": 1.0, "assumption": "test"}},
        rules={"answer": rule("attack", [{"emit": "strike"}], delay={"dist": "fixed", "days": 3})},
        regimes={
            "truce": {
                "onset": {"on": ["strike"], "probability": 0.5},
                "duration": {"dist": "fixed", "days": 10},
                "rules": {"answer": {"factor": 0}},
                "assumption": "test",
            }
        },
        outcomes={"truce": {"regime": "truce"}, "strike": {"event": "strike"}},
    )
    runs = replications(s, 9, range(60))
    answered = [sum(t <= 57 for t in r.event_times_days["attack"]) for r in runs]
    strikes = [r.counts["strike"] for r in runs]
    assert any(n < a for n, a in zip(strikes, answered, strict=True))
    both(s, seed=9, reps=range(60))


def test_same_instant_ties_are_ordered_as_simpy_orders_them():
    # Instants that coincide exactly: fixed delays, fixed durations, cooldown
    # ends, a count window's exit, ladder decay and after_day at whole days; a
    # regime switched on at once by an emission that a zero-delay rule answers
    # at the same instant; a hazard whose exponential is spent to a rounding
    # error at a wake (wait 0).
    s = scenario(
        horizon_days=60,
        streams={"attack": {"rate": 1.5, "assumption": "test"}},
        rules={
            "answer": rule(
                "attack", [{"emit": "strike"}], delay={"dist": "fixed", "days": 1}, cooldown_days=1
            ),
            "echo": rule("strike", [{"set_level": 1}]),
            "decide": hazard_rule(
                [{"emit": "big"}, {"set_level": 2}],
                0.8,
                cooldown_days=1,
                delay={"dist": "fixed", "days": 1},
                **{
                    "if": {
                        "count": {"event": "strike", "within_days": 1, "at_least": 1},
                        "after_day": 3,
                    }
                },
            ),
        },
        regimes={
            "pause": {
                "onset": {"on": ["strike"]},
                "duration": {"dist": "fixed", "days": 1},
                "streams": {"attack": {"factor": 0}},
                "rules": {"answer": {"factor": 0}, "decide": {"factor": 2}},
                "assumption": "test",
            },
            "calm": {
                "onset": {"hazard": 0.3, "while": {"level_at_least": 2, "after_day": 5}},
                "duration": {"dist": "fixed", "days": 2},
                "rules": {"decide": {"factor": 0}, "answer": {"factor": 1.5}},
                "assumption": "test",
            },
        },
        outcomes={"pause": {"regime": "pause"}, "calm": {"regime": "calm"}},
        ladder_decay_days=1,
    )
    runs = replications(s, 17, range(150))
    assert any(r.outcome_days["calm"] is not None for r in runs)
    both(s, seed=17, reps=range(150))


def test_a_hazard_rules_firing_re_evaluates_it_before_its_later_actions():
    # The firing's emission refreshes the hazards at once (its cooldown starts,
    # a wake is scheduled at its end) before the next action schedules a
    # scale's end at the same instant: the wake comes first at that instant,
    # in SimPy's order, though the emitted event is not one the rule reads.
    s = scenario(
        horizon_days=80,
        streams={"attack": {"rate": 1.0, "assumption": "test"}},
        rules={
            "decide": hazard_rule(
                [{"emit": "big"}, {"scale": {"stream": "attack", "factor": 0.5, "days": 2}}],
                0.5,
                cooldown_days=2,
                **{"if": {"count": {"event": "attack", "within_days": 2, "at_least": 1}}},
            ),
        },
        outcomes={"big": {"event": "big", "count_at_least": 3}},
    )
    runs = replications(s, 2, range(100))
    assert sum(r.counts["big"] >= 3 for r in runs) >= 50
    both(s, seed=2, reps=range(100))


# --- uncertain numbers on every regime and hazard path --------------------------


def spread(value: float) -> Law:
    low, high = 0.6 * value, 1.4 * value
    # At 0, or at a subnormal hypothesis finds (5e-324: both round to it), the
    # range would be empty; it reaches 0.5 instead.
    return Uniform(dist="uniform", low=low, high=high if high > low else 0.5)


def hazard_numbers_uncertain(s: Scenario) -> Scenario:
    """`s` with every hazard (and a hazard rule's cooldown and delay), regime
    probability, delay and duration parameter, stream factor and rule factor
    drawn around its value."""
    laws: dict[str, Law] = {}
    for ident, r in s.rules.items():
        if r.hazard is not None:
            laws[f"rules.{ident}.hazard"] = spread(r.hazard)
            if r.cooldown_days > 0:
                laws[f"rules.{ident}.cooldown_days"] = spread(r.cooldown_days)
            if r.delay is not None and r.delay.dist == "gamma":
                laws[f"rules.{ident}.delay.mean"] = spread(float(r.delay.mean or 1))
    for ident, g in s.regimes.items():
        at = f"regimes.{ident}"
        if g.onset.hazard is not None:
            laws[f"{at}.onset.hazard"] = spread(g.onset.hazard)
        if g.onset.on and g.onset.probability < 1:
            laws[f"{at}.onset.probability"] = Uniform(dist="uniform", low=0.2, high=0.9)
        for where, law in (("onset.delay", g.onset.delay), ("duration", g.duration)):
            if law is not None and law.dist == "uniform":
                laws[f"{at}.{where}.high"] = Uniform(dist="uniform", low=20, high=30)
            for name in ("days", "mean", "cv", "median", "sigma"):
                value = getattr(law, name, None)
                if value:
                    laws[f"{at}.{where}.{name}"] = spread(value)
        for stream, effect in g.streams.items():
            laws[f"{at}.streams.{stream}.factor"] = spread(effect.factor)
        for target, effect in g.rules.items():
            laws[f"{at}.rules.{target}.factor"] = spread(effect.factor)
    return with_uncertain(s, laws)


@pytest.mark.parametrize(
    "make", [hazard_with_window_and_cooldown, regimes_scenario], ids=["hazard", "regimes"]
)
def test_uncertain_hazards_factors_probabilities_delays_and_durations_are_identical(make):
    s = hazard_numbers_uncertain(make())
    assert len(s.uncertain) >= (3 if make is hazard_with_window_and_cooldown else 15)
    both(s, seed=31, reps=range(120), reps_per_draw=3)


# --- hypothesis: small random scenarios with hazard rules and regimes -----------


@st.composite
def hazard_rules(draw: st.DrawFn) -> dict[str, Any]:
    actor = draw(st.sampled_from(["a", "b"]))
    own = sorted(e for e, a in EVENTS.items() if a == actor)
    then: list[dict[str, Any]] = [{"emit": draw(st.sampled_from(own))}]
    if draw(st.booleans()):
        then.append({"set_level": draw(st.integers(0, 3))})
    r = hazard_rule(
        then,
        draw(st.sampled_from([0.05, 0.3, 1.0])),
        actor=actor,
        cooldown_days=draw(st.sampled_from([0.0, 1.0, 4.0])),
        recheck=draw(st.booleans()),
    )
    if draw(st.booleans()):
        r["if"] = draw(conditions())
    delay = draw(delays())
    if delay is not None:
        r["delay"] = delay
    if draw(st.booleans()):
        r["max_pending"] = draw(st.integers(1, 2))
    return r


@st.composite
def regimes(draw: st.DrawFn, stream_ids: list[str], rule_ids: list[str]) -> dict[str, Any]:
    onset: dict[str, Any] = {}
    how = draw(st.sampled_from(["hazard", "trigger", "both"]))
    if how != "trigger":
        onset["hazard"] = draw(st.sampled_from([0.02, 0.2, 1.0]))
        if draw(st.booleans()):
            onset["while"] = draw(conditions())
    if how != "hazard":
        onset["on"] = draw(st.lists(st.sampled_from(sorted(EVENTS)), min_size=1, max_size=2))
        if draw(st.booleans()):
            onset["if"] = draw(conditions())
        onset["probability"] = draw(st.sampled_from([1.0, 0.5]))
        delay = draw(delays())
        if delay is not None:
            onset["delay"] = delay
    g: dict[str, Any] = {"onset": onset, "assumption": "test"}
    if draw(st.booleans()):
        g["duration"] = draw(delays()) or {"dist": "fixed", "days": 2.0}
    factors = st.sampled_from([0.0, 0.3, 1.5])
    chosen = draw(st.sets(st.sampled_from(stream_ids)))
    g["streams"] = {i: {"factor": draw(factors)} for i in chosen}
    if rule_ids:
        g["rules"] = {
            i: {"factor": draw(factors)} for i in draw(st.sets(st.sampled_from(rule_ids)))
        }
    if not chosen and not g.get("rules"):
        g["streams"] = {stream_ids[0]: {"factor": draw(factors)}}
    return g


@st.composite
def hazard_scenarios(draw: st.DrawFn) -> Scenario:
    """test_differential's generated scenarios with hazard rules and regimes."""
    ids = draw(st.lists(st.sampled_from(["attack", "raid"]), min_size=1, max_size=2, unique=True))
    found = {f"r{i}": draw(rules(ids)) for i in range(draw(st.integers(0, 2)))}
    found |= {f"h{i}": draw(hazard_rules()) for i in range(draw(st.integers(0, 2)))}
    spells = {f"g{i}": draw(regimes(ids, sorted(found))) for i in range(draw(st.integers(1, 2)))}
    return scenario(
        horizon_days=draw(st.sampled_from([20, 33.5, 45])),
        events={
            e: {"actor": a, **({"rung": RUNGS[e]} if RUNGS[e] is not None else {})}
            for e, a in EVENTS.items()
        },
        streams={i: draw(streams(i)) for i in ids},
        rules=found,
        regimes=spells,
        outcomes={
            "any": {"level_at_least": 1},
            "top": {"level_at_least": 3},
            "strikes": {"event": "strike", "count_at_least": draw(st.integers(1, 4))},
        }
        | {f"on_{g}": {"regime": g} for g in spells},
        ladder_decay_days=draw(st.sampled_from([None, 1.0, 5.0])),
        initial_level=draw(st.integers(0, 2)),
    )


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hazard_scenarios(), st.integers(0, 2**64 - 1))
def test_generated_scenarios_with_hazard_rules_and_regimes_are_identical(s, seed):
    both(s, seed=seed, reps=range(6))


@st.composite
def drawn_hazard_scenarios(draw: st.DrawFn) -> Scenario:
    """A generated scenario with hazard rules and regimes, a history of past
    occurrences and fired rules (count windows and cooldowns reaching before
    day 0), and some of its numbers, hazard and regime ones among them,
    made uncertain."""
    s = draw(hazard_scenarios())
    if draw(st.booleans()):
        past = st.lists(st.integers(-30, -1), max_size=12).map(sorted)
        history: dict[str, Any] = {
            "events": {
                e: [day(k) for k in draw(past)]
                for e in draw(st.sets(st.sampled_from(sorted(s.events))))
            },
            "assumption": "test",
        }
        fired = draw(st.sets(st.sampled_from(sorted(s.rules)))) if s.rules else set()
        history["fired"] = {r: [day(draw(st.integers(-5, -1)))] for r in fired}
        s = with_overrides(s, {"history": history})
    candidates = list(hazard_numbers_uncertain(s).uncertain.items())
    candidates += list(every_number_uncertain(s).uncertain.items())
    chosen = draw(st.sets(st.integers(0, len(candidates) - 1), max_size=5)) if candidates else []
    return with_uncertain(s, dict(candidates[i] for i in sorted(chosen)))


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(drawn_hazard_scenarios(), st.integers(0, 2**64 - 1), st.sampled_from([1, 3]))
def test_generated_hazards_with_history_and_uncertain_numbers_are_identical(s, seed, m):
    both(s, seed=seed, reps=range(6), reps_per_draw=m)
