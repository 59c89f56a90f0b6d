"""History: events before `start_date` excite streams, count in `count`
conditions and keep rule cooldowns running, but are not counted as
simulated occurrences and leave the ladder's starting level alone.

The analytic check: a univariate Hawkes stream (rate mu, branching n, decay
d) whose history leaves excitation x0 at day 0 has mean intensity mu + x(t)
with x' = -(1-n) x / d + n mu / d, so over [0, T)

    E N(T) = mu T + x_inf T + (x0 - x_inf) d / (1-n) (1 - exp(-(1-n) T / d)),

x_inf = n mu / (1-n), x0 = sum over past u of (n/d) exp(u/d). With x0 = 0
this is the no-history formula of `expected_count_subcritical`.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.engine import simulate
from sim.engine.hawkes import expected_count_subcritical
from sim.errors import ScenarioError
from sim.montecarlo.runner import run_table
from sim.scenario import load_scenario

START = dt.date(2024, 1, 1)


def scenario_file(
    tmp_path: Path, history: dict | None, rules: dict | None = None, **stream
) -> Path:
    doc = {
        "name": "history-test",
        "start_date": START.isoformat(),
        "horizon_days": 30,
        "actors": {
            "a": {"name": "A", "kind": "armed_faction"},
            "b": {"name": "B", "kind": "state"},
        },
        "ladder": ["calm", "attacked", "answered"],
        "events": {
            "attack": {"actor": "a", "rung": 1},
            "response": {"actor": "b", "rung": 2},
        },
        "streams": {
            "attack": {
                "rate": 0.2,
                "self_excitation": {"branching": 0.5, "decay_days": 5},
                "assumption": "test",
                **stream,
            }
        },
        "rules": rules or {},
        "outcomes": {"answered": {"event": "response"}, "any": {"event": "attack"}},
    }
    if history is not None:
        doc["history"] = history
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


def test_history_excites_to_the_closed_form_mean(tmp_path: Path):
    past = [-1, -1, -2, -3, -5, -8, -13]
    s = load_scenario(
        scenario_file(
            tmp_path,
            {"events": {"attack": [day(k) for k in past]}, "assumption": "planted for the test"},
        )
    )
    mu, n, d, horizon = 0.2, 0.5, 5.0, 30.0
    x0 = sum(n / d * math.exp((k + 0.5) / d) for k in past)  # events sit mid-day
    x_inf = n * mu / (1 - n)
    expected = (
        mu * horizon
        + x_inf * horizon
        + (x0 - x_inf) * d / (1 - n) * (1 - math.exp(-(1 - n) * horizon / d))
    )
    assert expected > expected_count_subcritical(mu, n, d, horizon) + 2  # history matters
    reps = 4000
    counts = run_table(s, seed=11, reps=range(reps), workers=1).counts[:, 0]
    se = counts.std(ddof=1) / math.sqrt(reps)
    assert abs(counts.mean() - expected) < 4 * se, (counts.mean(), expected, se)


def test_history_is_not_counted_as_simulated(tmp_path: Path):
    s = load_scenario(
        scenario_file(
            tmp_path,
            {"events": {"attack": [day(-1)] * 5}, "assumption": "test"},
            rate=0.0,
            self_excitation={"branching": 0.0001, "decay_days": 1},
        )
    )
    rep = simulate(s, seed=1, rep=0)
    assert all(t >= 0 for t in rep.event_times_days["attack"])
    assert rep.counts["attack"] == len(rep.event_times_days["attack"])
    assert rep.max_level == 0 or rep.counts["attack"] > 0  # history leaves the level alone


def test_a_count_condition_sees_history_inside_its_window(tmp_path: Path):
    """Two attacks just before the start: the first attack of the run, if it
    comes before day 3.5, makes three within five days (the trigger included)
    and is answered at once; without history it never is (at_least 3 needs
    three simulated attacks)."""
    rules = {
        "answer": {
            "actor": "b",
            "on": ["attack"],
            "if": {"count": {"event": "attack", "within_days": 5, "at_least": 3}},
            "then": [{"emit": "response"}],
            "assumption": "test",
        }
    }
    hist = {"events": {"attack": [day(-2), day(-1)]}, "assumption": "test"}
    with_history = load_scenario(
        scenario_file(
            tmp_path, hist, rules, rate=0.3, self_excitation={"branching": 0.0001, "decay_days": 1}
        )
    )
    checked = 0
    for rep in range(200):
        r = simulate(with_history, seed=5, rep=rep)
        attacks = r.event_times_days["attack"]
        if attacks and attacks[0] < 3.5:
            checked += 1
            assert r.outcome_days["answered"] == attacks[0]
    assert checked > 50


def test_a_rule_that_fired_before_the_start_keeps_its_cooldown(tmp_path: Path):
    rules = {
        "answer": {
            "actor": "b",
            "on": ["attack"],
            "cooldown_days": 10,
            "then": [{"emit": "response"}],
            "assumption": "test",
        }
    }
    hist = {"fired": {"answer": [day(-2)]}, "assumption": "test"}
    s = load_scenario(scenario_file(tmp_path, hist, rules, rate=1.0))
    firsts = [simulate(s, seed=2, rep=r).outcome_days["answered"] for r in range(100)]
    # Fired at day -1.5 (mid-day): the cooldown runs to day 8.5.
    assert all(f is not None and f >= 8.5 for f in firsts)
    assert min(f for f in firsts if f is not None) < 9.0


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ({"events": {"attack": [day(0)]}, "assumption": "x"}, "a date before start_date"),
        ({"events": {"attack": [day(3)]}, "assumption": "x"}, "a date before start_date"),
        ({"events": {"bombing": [day(-3)]}, "assumption": "x"}, "an event id"),
        ({"fired": {"nope": [day(-3)]}, "assumption": "x"}, "a rule id"),
        ({"events": {"attack": ["2024-02-30"]}, "assumption": "x"}, "history.events.attack"),
        ({"events": {"attack": [day(-3)]}}, "assumption"),
    ],
    ids=[
        "on-start",
        "after-start",
        "unknown-event",
        "unknown-rule",
        "impossible-date",
        "no-source",
    ],
)
def test_bad_history_is_refused_with_its_line(tmp_path: Path, history: dict, message: str):
    path = scenario_file(tmp_path, history)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert message in text
    assert "s.yaml:" in text and "history" in text


def test_no_history_changes_nothing(tmp_path: Path):
    """A scenario without history gives bit-identical tables to one with an
    empty history: the feature costs nothing when unused."""
    plain = load_scenario(scenario_file(tmp_path, None))
    (tmp_path / "e").mkdir()
    empty = load_scenario(scenario_file(tmp_path / "e", {"events": {}, "assumption": "none"}))
    a, b = run_table(plain, 3, range(200)), run_table(empty, 3, range(200))
    np.testing.assert_array_equal(a.outcome_days, b.outcome_days)
    np.testing.assert_array_equal(a.counts, b.counts)
