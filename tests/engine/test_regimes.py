"""Regimes and hazard rules against closed forms (docs/MODEL.md, Regimes and
Hazard rules), and the common-random-numbers guarantee that a scenario whose
regimes never switch on runs exactly as one without them.

Tolerance: 4 Monte Carlo standard errors computed in each test.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.engine import compile_model, simulate
from sim.experiments.trace import trace
from sim.montecarlo.runner import run_table
from sim.scenario import load_scenario
from sim.stats import probability_by_day
from tests.engine.helpers import one_off, scenario

REFERENCE = Path(__file__).resolve().parents[2] / "scenarios" / "reference"
K = 4.0


def mean_close(sample: np.ndarray, expected: float) -> None:
    se = sample.std(ddof=1) / math.sqrt(sample.size)
    assert abs(sample.mean() - expected) < K * se, (sample.mean(), expected, se)


def probability_close(p_hat: float, p: float, n: int) -> None:
    se = math.sqrt(p * (1 - p) / n)
    assert abs(p_hat - p) < K * se, (p_hat, p, se)


def poisson(rate: float) -> dict[str, Any]:
    return {"rate": rate, "assumption": "test"}


def regime(onset: dict[str, Any], **effects: Any) -> dict[str, Any]:
    return {"onset": onset, "assumption": "test", **effects}


def test_reference_regime_switch_count_and_onset_curve():
    s = load_scenario(REFERENCE / "regime_switch.yaml")
    n, r, h, horizon = 2000, 2.0, 0.02, 100.0
    table = run_table(s, seed=21, reps=range(n))
    mean_close(table.counts[:, 0].astype(float), r * (1 - math.exp(-h * horizon)) / h)
    days = np.array([10.0, 50.0, 100.0])
    for p_hat, d in zip(probability_by_day(table.outcome_days[:, 0], days), days, strict=True):
        probability_close(p_hat, 1 - math.exp(-h * d), n)


def test_a_partial_factor_on_a_stream_and_a_rule():
    # A regime with hazard h multiplies the attack stream by f and the rule
    # answering every attack by g: E[attacks] = r (f T + (1-f) A) with
    # A = (1 - e^-hT)/h, and each attack at time t draws a response with
    # probability 1 before the onset and g after it, so
    # E[responses] = r (f g T + (1 - f g) A).
    r, h, f, g, horizon = 1.0, 0.03, 0.5, 0.4, 100.0
    s = scenario(
        streams={"attack": poisson(r)},
        rules={
            "respond": {
                "actor": "b",
                "on": ["attack"],
                "then": [{"emit": "strike"}],
                "assumption": "test",
            }
        },
        regimes={
            "pressure": regime(
                {"hazard": h}, streams={"attack": {"factor": f}}, rules={"respond": {"factor": g}}
            )
        },
    )
    table = run_table(s, seed=22, reps=range(1500))
    a = (1 - math.exp(-h * horizon)) / h
    mean_close(table.counts[:, 0].astype(float), r * (f * horizon + (1 - f) * a))
    mean_close(table.counts[:, 1].astype(float), r * (f * g * horizon + (1 - f * g) * a))


def test_a_regime_with_an_exponential_duration_is_a_two_state_markov_chain():
    # Off -> on at rate h, on -> off at rate mu (exponential duration, mean 1/mu),
    # the stream off while on: P(on at t) = h/(h+mu) (1 - e^{-(h+mu)t}), so
    # E[N(T)] = r (T - h/(h+mu) (T - (1 - e^{-(h+mu)T})/(h+mu))).
    r, h, mean, horizon = 1.0, 0.05, 10.0, 100.0
    mu = 1 / mean
    s = scenario(
        streams={"attack": poisson(r)},
        regimes={
            "truce": regime(
                {"hazard": h},
                duration={"dist": "exponential", "mean": mean},
                streams={"attack": {"factor": 0}},
            )
        },
    )
    table = run_table(s, seed=23, reps=range(1500))
    k = h + mu
    expected = r * (horizon - h / k * (horizon - (1 - math.exp(-k * horizon)) / k))
    mean_close(table.counts[:, 0].astype(float), expected)


def test_a_gamma_duration_gives_gamma_spells():
    # Spells starting early enough that truncation at the horizon is negligible
    # (P(D > 200) for mean 20, cv 0.5 is about 1e-9) follow the gamma law.
    mean, cv = 20.0, 0.5
    s = scenario(
        horizon_days=400,
        streams={"attack": poisson(0.1)},
        regimes={
            "suspension": regime(
                {"hazard": 0.05},
                duration={"dist": "gamma", "mean": mean, "cv": cv},
                streams={"attack": {"factor": 0}},
            )
        },
    )
    model = compile_model(s)
    spells = [
        span.off_day - span.on_day
        for rep in range(150)
        for span in simulate(model, 24, rep).regimes
        if span.on_day < 200 and span.off_day is not None
    ]
    durations = np.array(spells)
    assert durations.size > 500
    shape = 1 / cv**2
    assert stats.kstest(durations, stats.gamma(shape, scale=mean / shape).cdf).pvalue > 1e-3


def test_a_triggered_onset_is_a_thinned_delayed_poisson_process():
    # Strikes at rate s; each starts an onset with probability p after an
    # exponential delay of mean m: the first onset is the first point of a
    # Poisson process with mean Lambda(t) = p s (t - m (1 - e^{-t/m})).
    rate, p, m = 0.3, 0.2, 5.0
    s = scenario(
        streams={"strike": poisson(rate), "attack": poisson(1.0)},
        regimes={
            "suspension": regime(
                {"on": ["strike"], "probability": p, "delay": {"dist": "exponential", "mean": m}},
                streams={"attack": {"factor": 0}},
            )
        },
        outcomes={"suspended": {"regime": "suspension"}},
    )
    n = 2000
    table = run_table(s, seed=25, reps=range(n))
    days = np.array([10.0, 30.0, 60.0])
    for p_hat, t in zip(probability_by_day(table.outcome_days[:, 0], days), days, strict=True):
        probability_close(p_hat, 1 - math.exp(-p * rate * (t - m * (1 - math.exp(-t / m)))), n)


def test_a_hazard_and_a_trigger_together_start_at_the_first_of_the_two():
    # Onset by hazard h or, with probability p at once, by a strike (Poisson
    # rate s): the first onset is the first point of the superposition, a
    # Poisson process of rate h + p s, so P(by t) = 1 - e^{-(h + p s) t}.
    h, rate, p = 0.01, 0.1, 0.3
    s = scenario(
        streams={"strike": poisson(rate), "attack": poisson(1.0)},
        regimes={
            "halt": regime(
                {"hazard": h, "on": ["strike"], "probability": p},
                streams={"attack": {"factor": 0}},
            )
        },
        outcomes={"halt": {"regime": "halt"}},
    )
    n = 2000
    table = run_table(s, seed=32, reps=range(n))
    days = np.array([5.0, 20.0, 50.0])
    for p_hat, t in zip(probability_by_day(table.outcome_days[:, 0], days), days, strict=True):
        probability_close(p_hat, 1 - math.exp(-(h + p * rate) * t), n)


def test_a_regime_onset_waits_for_its_condition_and_stops_with_it():
    # The level reaches 1 at day 10 (one attack) and decays back to 0 at day 40
    # (ladder_decay_days 30): a hazard h while level >= 1 runs only on [10, 40),
    # so P(onset) = 1 - e^{-30h}, and every onset lies in that interval.
    h = 0.03
    s = scenario(
        ladder_decay_days=30,
        streams={"attack": one_off(10.0)},
        regimes={
            "crackdown": regime(
                {"hazard": h, "while": {"level_at_least": 1}}, streams={"attack": {"factor": 0}}
            )
        },
        outcomes={"crackdown": {"regime": "crackdown"}},
    )
    n = 2000
    days = run_table(s, seed=26, reps=range(n)).outcome_days[:, 0]
    happened = days[~np.isnan(days)]
    probability_close(happened.size / n, 1 - math.exp(-30 * h), n)
    assert happened.min() >= 10.0 and happened.max() < 40.0 + 1e-6


def test_a_hazard_rule_while_a_count_holds_fires_only_in_its_window():
    # One attack at day 10; the rule's hazard h runs while an attack lies in the
    # last 30 days, i.e. on [10, 40): P(strike) = 1 - e^{-30h}, never after 40.
    h = 0.03
    s = scenario(
        streams={"attack": one_off(10.0)},
        rules={
            "strike": {
                "actor": "b",
                "hazard": h,
                "if": {"count": {"event": "attack", "within_days": 30, "at_least": 1}},
                "then": [{"emit": "strike"}],
                "assumption": "test",
            }
        },
        outcomes={"strike": {"event": "strike"}},
    )
    n = 2000
    days = run_table(s, seed=27, reps=range(n)).outcome_days[:, 0]
    happened = days[~np.isnan(days)]
    probability_close(happened.size / n, 1 - math.exp(-30 * h), n)
    assert happened.min() >= 10.0 and happened.max() < 40.0 + 1e-6


def test_a_hazard_rule_from_day_0_fires_by_t_with_one_minus_exp():
    # No condition: decisions at rate h from day 0; with a cooldown longer than
    # the horizon it fires at most once, first at Exponential(h).
    h, n = 0.01, 2000
    s = scenario(
        rules={
            "strike": {
                "actor": "b",
                "hazard": h,
                "cooldown_days": 1000,
                "then": [{"emit": "strike"}],
                "assumption": "test",
            }
        },
        outcomes={"strike": {"event": "strike"}},
    )
    table = run_table(s, seed=28, reps=range(n))
    assert table.counts[:, 1].max() == 1
    days = np.array([20.0, 100.0])
    for p_hat, t in zip(probability_by_day(table.outcome_days[:, 0], days), days, strict=True):
        probability_close(p_hat, 1 - math.exp(-h * t), n)


def test_hazard_against_lottery_over_many_attacks():
    # The horizon implication in docs/MODEL.md: a 2% lottery on each of ~300
    # attacks fires almost surely; a hazard of 0.002/day while attacks run
    # fires with 1 - e^{-0.2} over 100 days, whatever the number of attacks.
    lottery = scenario(
        streams={"attack": poisson(3.0)},
        rules={
            "strike": {
                "actor": "b",
                "on": ["attack"],
                "probability": 0.02,
                "then": [{"emit": "strike"}],
                "assumption": "test",
            }
        },
        outcomes={"strike": {"event": "strike"}},
    )
    hazard = scenario(
        streams={"attack": poisson(3.0)},
        rules={
            "strike": {
                "actor": "b",
                "hazard": 0.002,
                "then": [{"emit": "strike"}],
                "assumption": "test",
            }
        },
        outcomes={"strike": {"event": "strike"}},
    )
    n = 400
    p_lottery = np.mean(~np.isnan(run_table(lottery, 29, range(n)).outcome_days[:, 0]))
    p_hazard = np.mean(~np.isnan(run_table(hazard, 29, range(n)).outcome_days[:, 0]))
    probability_close(p_lottery, 1 - math.exp(-0.02 * 3.0 * 100), n)
    probability_close(p_hazard, 1 - math.exp(-0.2), n)


BASE: dict[str, Any] = {
    "streams": {
        "attack": {
            "rate": 0.5,
            "self_excitation": {"branching": 0.5, "decay_days": 3},
            "excited_by": {"strike": {"branching": 1.0, "decay_days": 5}},
            "assumption": "test",
        }
    },
    "rules": {
        "respond": {
            "actor": "b",
            "on": ["attack"],
            "probability": 0.1,
            "delay": {"dist": "gamma", "mean": 4, "cv": 0.5},
            "then": [{"emit": "strike"}],
            "assumption": "test",
        }
    },
}


@pytest.mark.parametrize(
    "onset",
    [
        {"hazard": 0.0},
        {"hazard": 0.5, "while": {"level_at_least": 3}},
        {"on": ["strike"], "probability": 0.0},
    ],
    ids=["zero-hazard", "condition-never-holds", "zero-probability"],
)
def test_a_regime_that_never_starts_changes_nothing(onset):
    # Common random numbers: a regime draws only from its own component, so a
    # run where it never switches on equals the run without it, bit for bit.
    without = compile_model(scenario(**BASE))
    with_regime = compile_model(
        scenario(
            **BASE,
            regimes={
                "never": regime(
                    onset, streams={"attack": {"factor": 0}}, rules={"respond": {"factor": 0}}
                )
            },
        )
    )
    for rep in range(20):
        a, b = simulate(without, 30, rep), simulate(with_regime, 30, rep)
        assert a.event_times_days == b.event_times_days
        assert a.level_changes == b.level_changes
        assert b.regimes == ()


def test_a_disabled_rule_drops_responses_due_while_it_is_off():
    # The rule responds to the attack at day 1 after 10 days; the regime starts
    # at day 5 (the same attack, after 4 days) and disables the rule: no strike.
    s = scenario(
        streams={"attack": one_off(1.0)},
        rules={
            "respond": {
                "actor": "b",
                "on": ["attack"],
                "delay": {"dist": "fixed", "days": 10},
                "then": [{"emit": "strike"}],
                "assumption": "test",
            }
        },
        regimes={
            "calm": regime(
                {"on": ["attack"], "delay": {"dist": "fixed", "days": 4}},
                rules={"respond": {"factor": 0}},
            )
        },
    )
    rep = simulate(s, 31, 0)
    assert rep.counts["strike"] == 0
    (span,) = rep.regimes
    assert span.cause == "trigger" and span.on_day == pytest.approx(5.0, abs=1e-5)


def test_a_trace_names_hazard_decisions_and_regime_spells():
    s = scenario(
        streams={"attack": poisson(0.5)},
        rules={
            "strike": {
                "actor": "b",
                "hazard": 0.05,
                "if": {"count": {"event": "attack", "within_days": 30, "at_least": 5}},
                "then": [{"emit": "strike"}],
                "assumption": "test",
            }
        },
        regimes={
            "suspension": regime(
                {"on": ["strike"], "probability": 0.7, "delay": {"dist": "exponential", "mean": 3}},
                label="faction suspends attacks",
                duration={"dist": "gamma", "mean": 20, "cv": 0.5},
                streams={"attack": {"factor": 0.1}},
            )
        },
        outcomes={"suspended": {"regime": "suspension"}},
    )
    t = trace(s, seed=0, rep=1)
    strike = next(i for i, o in enumerate(t.replication.log or ()) if o.event == "strike")
    assert "decision (rule strike, a hazard)" in t.describe(strike)
    lines = t.chains()
    span = t.replication.regimes[0]
    assert span.cause == "trigger" and span.caused_by == strike
    assert "    regime on: faction suspends attacks" in lines
    assert any(
        line.startswith("    faction suspends attacks: on ") and f"a response to #{strike}" in line
        for line in lines
    )


def hazard_rule(h: float, **extra: Any) -> dict[str, Any]:
    return {"actor": "b", "hazard": h, "then": [{"emit": "strike"}], "assumption": "test", **extra}


def test_a_hazard_rule_between_after_day_and_before_day():
    # The hazard runs on [20, 50) only: P(strike) = 1 - e^{-30h}, all inside.
    h, n = 0.02, 2000
    s = scenario(
        rules={"strike": hazard_rule(h, **{"if": {"after_day": 20, "before_day": 50}})},
        outcomes={"strike": {"event": "strike"}},
    )
    days = run_table(s, seed=33, reps=range(n)).outcome_days[:, 0]
    happened = days[~np.isnan(days)]
    probability_close(happened.size / n, 1 - math.exp(-30 * h), n)
    assert happened.min() >= 20.0 and happened.max() < 50.0


def test_a_hazard_rule_with_a_cooldown_is_a_delayed_renewal_process():
    # Firings at Exp(h), then after each a cooldown c and another Exp(h):
    # P(N(T) >= k) = P(Gamma(k, h) <= T - (k-1) c), and E N(T) is their sum.
    h, c, horizon = 0.1, 10.0, 100.0
    s = scenario(rules={"strike": hazard_rule(h, cooldown_days=c)})
    counts = run_table(s, seed=34, reps=range(1500)).counts[:, 1].astype(float)
    expected = sum(
        stats.gamma(k, scale=1 / h).cdf(horizon - (k - 1) * c)
        for k in range(1, 12)
        if horizon - (k - 1) * c > 0
    )
    mean_close(counts, expected)


def test_a_regime_factor_scales_a_hazard_rule():
    # A regime starting at day 10 (one attack, no delay) halves the rule's
    # hazard h: P(no strike by T) = exp(-h 10 - h/2 (T - 10)).
    h, n, horizon = 0.01, 2000, 100.0
    s = scenario(
        streams={"attack": one_off(10.0)},
        rules={"strike": hazard_rule(h)},
        regimes={"calm": regime({"on": ["attack"]}, rules={"strike": {"factor": 0.5}})},
        outcomes={"strike": {"event": "strike"}},
    )
    days = run_table(s, seed=35, reps=range(n)).outcome_days[:, 0]
    p = 1 - math.exp(-h * 10 - h / 2 * (horizon - 10))
    probability_close(float(np.mean(~np.isnan(days))), p, n)
