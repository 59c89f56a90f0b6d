"""The compiled engine gives exactly the SimPy engine's tables.

Every shipped scenario, hand-built scenarios for same-instant ordering and
each rule feature, and a few hundred hypothesis-generated scenarios run
through both engines; every column of the RunTable must be equal: outcome
days as equal floats (NaN where none), counts, maximum and final levels,
levels by day, monthly and window counts, and the number of SimPy events
dispatched (the kernel replays SimPy's queue, so this checks the schedule
itself, stale timeouts and interruptions included). No feature needs a
statistical comparison instead: all of docs/MODEL.md is matched bit for bit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.engine import compile_model
from sim.montecarlo.fast.run import run_fast_chunk
from sim.montecarlo.fast.select import unsupported_features
from sim.montecarlo.runner import RunTable, run_chunk
from sim.scenario import load_scenario
from sim.scenario.schema import Scenario
from sim.scenario.workload import expected_events
from tests.engine.helpers import one_off, rule, scenario

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))


def assert_identical(fast: RunTable, simpy: RunTable) -> None:
    for name in RunTable.__dataclass_fields__:
        a, b = getattr(fast, name), getattr(simpy, name)
        assert a.shape == b.shape, name
        if a.dtype.kind == "f":
            assert np.array_equal(a, b, equal_nan=True), name
        else:
            assert np.array_equal(a, b), name


def both(s: Scenario, seed: int, reps: range) -> None:
    model = compile_model(s)
    simpy = run_chunk(model, seed, reps)
    fast = run_fast_chunk(model, seed, reps)
    assert_identical(fast, simpy)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_scenario_is_identical(path):
    s = load_scenario(path)
    assert unsupported_features(s) == [], "the fast engine must run every shipped scenario"
    both(s, seed=7, reps=range(150))


def test_same_instant_zero_delay_responses_and_several_rules_on_one_trigger():
    # Three rules answer each attack at once (no delay), one of them emits an
    # event that triggers two more rules, one sets the level, one scales the
    # attack stream to zero for a day: all at the trigger's instant, in
    # scheduling order, with the stream interrupted and redrawing.
    s = scenario(
        streams={
            "attack": {
                "rate": 2.0,
                "self_excitation": {"branching": 0.5, "decay_days": 1},
                "assumption": "test",
            }
        },
        rules={
            "first": rule("attack", [{"emit": "strike"}], probability=0.5),
            "second": rule("attack", [{"emit": "big"}], probability=0.2, cooldown_days=3),
            "third": rule("big", [{"emit": "strike"}, {"set_level": 1}]),
            "fourth": rule("big", [{"scale": {"stream": "attack", "factor": 0.0, "days": 1}}]),
            "fifth": rule("strike", [{"set_level": 3}], probability=0.1, cooldown_days=2),
        },
        outcomes={
            "high": {"level_at_least": 3},
            "strikes": {"event": "strike", "count_at_least": 5},
            "big": {"event": "big"},
        },
        ladder_decay_days=2,
    )
    both(s, seed=3, reps=range(300))


def test_every_delay_law_condition_and_cap_is_identical():
    s = scenario(
        horizon_days=80,
        streams={
            "attack": {
                "rate": 1.0,
                "self_excitation": {"branching": 0.6, "decay_days": 2},
                "excited_by": {"strike": {"branching": 0.8, "decay_days": 3}},
                "active": {"from_day": 2, "to_day": 70},
                "assumption": "test",
            },
            "big": one_off(30),
        },
        rules={
            "exp": rule(
                "attack",
                [{"emit": "strike"}],
                probability=0.3,
                cooldown_days=1,
                delay={"dist": "exponential", "mean": 2},
                **{
                    "if": {
                        "count": [
                            {"event": "attack", "within_days": 5, "at_least": 2},
                            {"event": "attack", "within_days": 1, "at_least": 1},
                        ],
                        "after_day": 5,
                        "before_day": 60,
                    }
                },
            ),
            "gamma": rule(
                "attack",
                [{"emit": "strike"}],
                probability=0.2,
                max_pending=2,
                delay={"dist": "gamma", "mean": 3, "cv": 1.5},
                recheck=True,
                **{"if": {"level_at_most": 2, "total": {"event": "attack", "at_least": 3}}},
            ),
            "gamma_big_shape": rule(
                "strike",
                [{"set_level": 0}],
                probability=0.3,
                delay={"dist": "gamma", "mean": 2, "cv": 0.3},
            ),
            "lognormal": rule(
                "strike",
                [{"scale": {"stream": "attack", "factor": 0.5, "days": 4}}],
                delay={"dist": "lognormal", "median": 1, "sigma": 0.8},
                cooldown_days=3,
                **{"if": {"level_at_least": 2}},
            ),
            "uniform": rule(
                "big",
                [{"emit": "strike"}, {"emit": "strike"}],
                delay={"dist": "uniform", "low": 0, "high": 2},
            ),
            "fixed": rule(
                "strike",
                [{"scale": {"stream": "attack", "factor": 2.0, "days": 2}}],
                delay={"dist": "fixed", "days": 0.5},
                cooldown_days=5,
                recheck=True,
                **{"if": {"count": {"event": "strike", "within_days": 3, "at_least": 2}}},
            ),
        },
        outcomes={
            "mid": {"level_at_least": 2},
            "top": {"level_at_least": 3},
            "strikes": {"event": "strike", "count_at_least": 3},
        },
        observed={
            "attack": [{"from": "2024-01-05", "to": "2024-01-20", "count": 5, "assumption": "test"}]
        },
        ladder_decay_days=4,
        initial_level=1,
    )
    both(s, seed=11, reps=range(300))


# --- hypothesis: small random scenarios ---------------------------------------

EVENTS = {"attack": "a", "raid": "a", "strike": "b", "big": "b"}
RUNGS = {"attack": 1, "raid": None, "strike": 2, "big": 3}


@st.composite
def delays(draw: st.DrawFn) -> dict[str, Any] | None:
    law = draw(st.sampled_from(["none", "fixed", "exponential", "gamma", "lognormal", "uniform"]))
    positive = st.floats(0.1, 5, allow_nan=False)
    if law == "none":
        return None
    if law == "fixed":
        return {"dist": "fixed", "days": draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))}
    if law == "exponential":
        return {"dist": "exponential", "mean": draw(positive)}
    if law == "gamma":
        return {"dist": "gamma", "mean": draw(positive), "cv": draw(st.floats(0.2, 2.0))}
    if law == "lognormal":
        return {"dist": "lognormal", "median": draw(positive), "sigma": draw(st.floats(0, 1.5))}
    low = draw(st.floats(0, 2))
    return {"dist": "uniform", "low": low, "high": low + draw(st.floats(0.01, 3))}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    c: dict[str, Any] = {}
    events = st.sampled_from(sorted(EVENTS))
    if draw(st.booleans()):
        c["count"] = [
            {
                "event": draw(events),
                "within_days": draw(st.floats(0.5, 10)),
                "at_least": draw(st.integers(0, 3)),
            }
            for _ in range(draw(st.integers(1, 2)))
        ]
    if draw(st.booleans()):
        c["total"] = {"event": draw(events), "at_least": draw(st.integers(0, 4))}
    if draw(st.booleans()):
        c["level_at_least"] = draw(st.integers(0, 3))
    if draw(st.booleans()):
        c["level_at_most"] = draw(st.integers(0, 3))
    if draw(st.booleans()):
        c["after_day"] = draw(st.sampled_from([0.0, 3.0, 10.5]))
    if draw(st.booleans()):
        c["before_day"] = draw(st.sampled_from([5.0, 20.0, 30.0]))
    return c


@st.composite
def rules(draw: st.DrawFn, stream_ids: list[str]) -> dict[str, Any]:
    actor = draw(st.sampled_from(["a", "b"]))
    own = sorted(e for e, a in EVENTS.items() if a == actor)
    actions = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["emit", "emit", "scale", "set_level"]))
        if kind == "emit":
            actions.append({"emit": draw(st.sampled_from(own))})
        elif kind == "scale":
            actions.append(
                {
                    "scale": {
                        "stream": draw(st.sampled_from(stream_ids)),
                        "factor": draw(st.sampled_from([0.0, 0.5, 2.0])),
                        "days": draw(st.sampled_from([0.5, 1.0, 4.0])),
                    }
                }
            )
        else:
            actions.append({"set_level": draw(st.integers(0, 3))})
    r: dict[str, Any] = {
        "actor": actor,
        "on": draw(st.lists(st.sampled_from(sorted(EVENTS)), min_size=1, max_size=2)),
        "then": actions,
        "probability": draw(st.sampled_from([1.0, 0.5, 0.2])),
        # A cooldown keeps chains of zero-delay emissions finite.
        "cooldown_days": draw(st.sampled_from([0.5, 1.0, 3.0])),
        "recheck": draw(st.booleans()),
        "assumption": "test",
    }
    if draw(st.booleans()):
        r["if"] = draw(conditions())
    delay = draw(delays())
    if delay is not None:
        r["delay"] = delay
    if draw(st.booleans()):
        r["max_pending"] = draw(st.integers(1, 3))
    return r


@st.composite
def streams(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    s: dict[str, Any] = {"rate": draw(st.sampled_from([0.0, 0.3, 1.0, 3.0])), "assumption": "t"}
    if draw(st.booleans()):
        s["self_excitation"] = {
            "branching": draw(st.floats(0, 0.8)),
            "decay_days": draw(st.floats(0.2, 5)),
        }
    sources = draw(st.lists(st.sampled_from(sorted(EVENTS)), max_size=2, unique=True))
    s["excited_by"] = {
        e: {"branching": draw(st.floats(0, 0.8)), "decay_days": draw(st.floats(0.2, 5))}
        for e in sources
        if e != ident
    }
    if draw(st.booleans()):
        start = draw(st.floats(0, 15))
        s["active"] = {"from_day": start, "to_day": start + draw(st.floats(1, 30))}
    if draw(st.booleans()):
        s["max_events"] = draw(st.integers(1, 30))
    return s


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    ids = draw(st.lists(st.sampled_from(["attack", "raid"]), min_size=1, max_size=2, unique=True))
    rule_ids = [f"r{i}" for i in range(draw(st.integers(0, 4)))]
    return scenario(
        horizon_days=draw(st.sampled_from([20, 33.5, 45])),
        events={
            e: {"actor": a, **({"rung": RUNGS[e]} if RUNGS[e] is not None else {})}
            for e, a in EVENTS.items()
        },
        streams={i: draw(streams(i)) for i in ids},
        rules={i: draw(rules(ids)) for i in rule_ids},
        outcomes={
            "any": {"level_at_least": 1},
            "top": {"level_at_least": 3},
            "strikes": {"event": "strike", "count_at_least": draw(st.integers(1, 4))},
        },
        ladder_decay_days=draw(st.sampled_from([None, 1.0, 5.0])),
        initial_level=draw(st.integers(0, 2)),
    )


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios(), st.integers(0, 2**64 - 1))
def test_generated_scenarios_are_identical(s, seed):
    # Two streams exciting each other (branching up to 0.8 each way) can be
    # supercritical: millions of events in 45 days, which the CLI refuses
    # (sim/scenario/workload.py) and which hung this test once its examples
    # changed with the tests run before it. Such draws are not run here.
    assume(expected_events(s) <= 20_000)
    both(s, seed=seed, reps=range(6))


def test_a_replication_outgrowing_the_working_arrays_is_repeated_identically():
    # ~3,000 occurrences (arrays start at 1,024 per event type), dozens of
    # scale factors in force at once (16) and level changes (256): the runner
    # doubles the arrays and repeats the replication, with the same result.
    s = scenario(
        streams={"attack": {"rate": 30.0, "assumption": "test"}},
        rules={
            "slow": rule(
                "attack",
                [{"scale": {"stream": "attack", "factor": 0.999, "days": 5}}],
                probability=0.3,
            ),
            "up": rule("attack", [{"set_level": 3}], probability=0.05),
        },
        ladder_decay_days=0.05,
    )
    both(s, seed=5, reps=range(4))
