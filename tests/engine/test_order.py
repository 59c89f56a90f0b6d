"""Layer 1: exact event order and timing with fixed delays.

Each test builds a tiny scenario whose every time is determined (one-off
triggers, fixed delays), so the expected log is written down by hand.
"""

from __future__ import annotations

import itertools

import pytest

from sim.engine import simulate
from tests.engine.helpers import one_off, rule, scenario

EPS = 1e-5


def events_of(rep):
    return [(o.event, o.time_days) for o in rep.log]


def test_rule_with_fixed_delay_fires_exactly_after_its_trigger():
    s = scenario(
        streams={"attack": one_off(10)},
        rules={"r": rule("attack", [{"emit": "strike"}], delay={"dist": "fixed", "days": 3})},
        outcomes={"strike": {"event": "strike"}},
    )
    rep = simulate(s, seed=1, rep=0, keep_log=True)
    (e1, t1), (e2, t2) = events_of(rep)
    assert (e1, e2) == ("attack", "strike")
    assert t1 == pytest.approx(10, abs=EPS)
    assert t2 == pytest.approx(t1 + 3, abs=1e-12)
    assert rep.log[1].cause == "rule:r" and rep.log[1].caused_by == 0
    assert rep.outcome_days["strike"] == pytest.approx(t2)
    assert rep.chain_to(1) == [rep.log[0], rep.log[1]]


def test_same_instant_events_are_handled_in_scheduling_order():
    # Two rules answer the same trigger with zero delay: declaration order is
    # scheduling order; the second rule's emission triggers a third rule,
    # whose response comes after both first-round responses.
    s = scenario(
        streams={"attack": one_off(5)},
        rules={
            "first": rule("attack", [{"emit": "strike"}]),
            "second": rule("attack", [{"emit": "big"}]),
            "third": rule("big", [{"emit": "strike"}]),
        },
    )
    rep = simulate(s, seed=1, rep=0, keep_log=True)
    assert [(o.event, o.cause) for o in rep.log] == [
        ("attack", "baseline"),
        ("strike", "rule:first"),
        ("big", "rule:second"),
        ("strike", "rule:third"),
    ]
    assert len({o.time_days for o in rep.log}) == 1
    assert rep.log[3].caused_by == 2


def test_cooldown_blocks_triggers_and_due_responses():
    s = scenario(
        streams={
            "attack": {"rate": 50, "active": {"from_day": 0, "to_day": 20}, "assumption": "test"}
        },
        rules={
            "r": rule(
                "attack", [{"emit": "strike"}], delay={"dist": "fixed", "days": 1}, cooldown_days=7
            )
        },
    )
    rep = simulate(s, seed=3, rep=0, keep_log=True)
    strikes = [o.time_days for o in rep.log if o.event == "strike"]
    assert len(strikes) >= 2
    gaps = [b - a for a, b in itertools.pairwise(strikes)]
    assert min(gaps) >= 7
    # With 50 attacks a day, the first strike follows the first attack by exactly 1 day.
    first_attack = rep.event_times_days["attack"][0]
    assert strikes[0] == pytest.approx(first_attack + 1)


def test_max_pending_bounds_scheduled_responses():
    s = scenario(
        streams={
            "attack": {"rate": 100, "active": {"from_day": 0, "to_day": 1}, "assumption": "test"}
        },
        rules={
            "r": rule(
                "attack", [{"emit": "strike"}], delay={"dist": "fixed", "days": 10}, max_pending=3
            )
        },
    )
    rep = simulate(s, seed=2, rep=0)
    assert rep.counts["attack"] > 50
    # Only the first three triggers are scheduled; none frees a place before day 10.
    assert rep.counts["strike"] == 3


def test_recheck_drops_a_response_whose_condition_no_longer_holds():
    s = scenario(
        ladder_decay_days=2,
        streams={"attack": one_off(1)},
        rules={
            "needs_level": rule(
                "attack",
                [{"emit": "big"}],
                delay={"dist": "fixed", "days": 5},
                **{"if": {"level_at_least": 1}},
                recheck=True,
            ),
            "without_recheck": rule(
                "attack",
                [{"emit": "strike"}],
                delay={"dist": "fixed", "days": 5},
                **{"if": {"level_at_least": 1}},
            ),
        },
    )
    rep = simulate(s, seed=1, rep=0, keep_log=True)
    # The level decays from 1 to 0 at day ~3, before the responses are due at ~6.
    assert rep.counts["big"] == 0
    assert rep.counts["strike"] == 1


def test_ladder_raises_and_decays_one_rung_per_quiet_period():
    s = scenario(
        ladder_decay_days=10,
        streams={"big": one_off(5)},
        outcomes={"high": {"level_at_least": 3}, "any": {"level_at_least": 1}},
    )
    rep = simulate(s, seed=1, rep=0)
    t0 = rep.event_times_days["big"][0]
    times = [t for t, _ in rep.level_changes]
    levels = [lv for _, lv in rep.level_changes]
    assert levels == [0, 3, 2, 1, 0]
    assert times[1] == pytest.approx(t0)
    assert times[2:] == pytest.approx([t0 + 10, t0 + 20, t0 + 30])
    assert rep.max_level == 3 and rep.final_level == 0
    assert rep.outcome_days["high"] == rep.outcome_days["any"] == pytest.approx(t0)


def test_supporting_events_restart_the_decay_clock():
    s = scenario(
        ladder_decay_days=10,
        streams={"strike": one_off(5), "attack": one_off(12)},
        rules={"again": rule("attack", [{"emit": "strike"}], delay={"dist": "fixed", "days": 1})},
    )
    rep = simulate(s, seed=1, rep=0)
    # strike at ~5 raises to 2; the attack (rung 1) does not support rung 2,
    # but the strike it provokes at ~13 does: decay to 1 at ~23, 0 at ~33.
    second_strike = rep.event_times_days["strike"][1]
    assert [lv for _, lv in rep.level_changes] == [0, 2, 1, 0]
    assert rep.level_changes[2][0] == pytest.approx(second_strike + 10)


def test_set_level_sets_the_level_outright():
    s = scenario(
        streams={"big": one_off(5)},
        rules={"ceasefire": rule("big", [{"set_level": 0}], delay={"dist": "fixed", "days": 2})},
    )
    rep = simulate(s, seed=1, rep=0)
    t0 = rep.event_times_days["big"][0]
    assert rep.level_changes[-1] == pytest.approx((t0 + 2, 0))


def test_scale_zero_pauses_a_stream_for_its_days():
    s = scenario(
        streams={"attack": {"rate": 20, "assumption": "test"}, "strike": one_off(10)},
        rules={"truce": rule("strike", [{"scale": {"stream": "attack", "factor": 0, "days": 30}}])},
    )
    rep = simulate(s, seed=4, rep=0)
    t0 = rep.event_times_days["strike"][0]
    attacks = rep.event_times_days["attack"]
    assert not [t for t in attacks if t0 < t < t0 + 30]
    assert [t for t in attacks if t < t0] and [t for t in attacks if t > t0 + 30]


def test_cross_excitation_wakes_a_silent_stream():
    # `strike` has no baseline: only attacks excite it, so every strike is
    # the offspring of an attack, and none can precede the first attack.
    s = scenario(
        streams={
            "attack": one_off(20),
            "strike": {
                "rate": 0,
                "excited_by": {"attack": {"branching": 5, "decay_days": 1}},
                "assumption": "test",
            },
        },
    )
    reps = [simulate(s, seed=9, rep=i, keep_log=True) for i in range(50)]
    assert sum(r.counts["strike"] for r in reps) > 100
    for r in reps:
        for o in r.log:
            if o.event == "strike":
                assert o.cause == "excitation" and o.caused_by == 0
                assert o.time_days > r.log[0].time_days


def test_active_window_bounds_a_stream():
    s = scenario(
        streams={
            "attack": {"rate": 5, "active": {"from_day": 30, "to_day": 40}, "assumption": "test"}
        }
    )
    rep = simulate(s, seed=1, rep=0)
    times = rep.event_times_days["attack"]
    assert times and min(times) >= 30 and max(times) < 40
