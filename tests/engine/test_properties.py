"""Layer 4: properties over randomly generated scenarios (hypothesis).

Whatever the parameters: levels stay on the ladder, outcome times lie in
[0, horizon) and agree with the log, counts agree with event times, and a
replication is a pure function of (scenario, seed, rep).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import simulate
from tests.engine.helpers import scenario

rates = st.floats(0.0, 2.0)
branchings = st.floats(0.0, 0.9)
probabilities = st.floats(0.0, 1.0)


@st.composite
def scenarios(draw):
    return scenario(
        horizon_days=draw(st.floats(1.0, 60.0)),
        ladder_decay_days=draw(st.none() | st.floats(0.5, 20.0)),
        streams={
            "attack": {
                "rate": draw(rates),
                "self_excitation": {"branching": draw(branchings), "decay_days": 2.0},
                "excited_by": {"strike": {"branching": draw(st.floats(0, 2)), "decay_days": 3}},
                "assumption": "test",
            },
        },
        rules={
            "respond": {
                "actor": "b",
                "on": ["attack"],
                "probability": draw(probabilities),
                "delay": {"dist": "gamma", "mean": draw(st.floats(0.1, 5)), "cv": 0.7},
                "cooldown_days": draw(st.floats(0, 5)),
                "then": [{"emit": "strike"}],
                "assumption": "test",
            },
            "escalate": {
                "actor": "b",
                "on": ["strike"],
                "if": {"count": {"event": "strike", "within_days": 10, "at_least": 2}},
                "probability": draw(probabilities),
                "delay": {"dist": "lognormal", "median": 1, "sigma": 0.5},
                "then": [
                    {"emit": "big"},
                    {"scale": {"stream": "attack", "factor": 0.5, "days": 5}},
                ],
                "assumption": "test",
            },
        },
        outcomes={
            "mid": {"level_at_least": 2},
            "big": {"event": "big"},
            "three_attacks": {"event": "attack", "count_at_least": 3},
        },
    )


@settings(max_examples=40, deadline=None)
@given(scenarios(), st.integers(0, 2**32 - 1), st.integers(0, 1000))
def test_invariants_hold_for_any_parameters(s, seed, rep):
    r = simulate(s, seed, rep, keep_log=True)
    levels = len(s.ladder)
    assert all(0 <= lv < levels for _, lv in r.level_changes)
    assert all(a[0] <= b[0] for a, b in zip(r.level_changes, r.level_changes[1:], strict=False))
    assert r.max_level == max(lv for _, lv in r.level_changes)
    for event, times in r.event_times_days.items():
        assert r.counts[event] == len(times)
        assert list(times) == sorted(times)
        assert all(0 <= t < s.horizon_days for t in times)
    for _outcome, day in r.outcome_days.items():
        if day is not None:
            assert 0 <= day < s.horizon_days
    if r.outcome_days["big"] is not None:
        assert r.outcome_days["big"] == r.event_times_days["big"][0]
    attacks = r.event_times_days["attack"]
    assert (r.outcome_days["three_attacks"] is None) == (len(attacks) < 3)
    assert r.log is not None and len(r.log) == sum(r.counts.values())
    again = simulate(s, seed, rep)
    assert again.event_times_days == r.event_times_days
    assert again.outcome_days == r.outcome_days
