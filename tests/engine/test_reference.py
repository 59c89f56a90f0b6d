"""Layer 2: analytic truth. The reference scenarios in scenarios/reference/
carry their closed-form answers (derivations in their header comments); the
engine must agree within a few Monte Carlo standard errors computed here.

Tolerance: 4 standard errors, so a correct engine fails a given check with
probability about 6e-5; seeds are fixed, so results are reproducible.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from sim.engine import compile_model, simulate
from sim.engine.hawkes import expected_count_subcritical
from sim.montecarlo.runner import run_table
from sim.scenario import load_scenario
from sim.stats import probability_by_day

REFERENCE = Path(__file__).resolve().parents[2] / "scenarios" / "reference"
K = 4.0


def within_standard_errors(sample: np.ndarray, expected: float) -> None:
    se = sample.std(ddof=1) / math.sqrt(sample.size)
    assert abs(sample.mean() - expected) < K * se, (sample.mean(), expected, se)


def probability_close(p_hat: float, p: float, n: int) -> None:
    se = math.sqrt(p * (1 - p) / n)
    assert abs(p_hat - p) < K * se, (p_hat, p, se)


def test_poisson_stream_count_mean_and_variance():
    s = load_scenario(REFERENCE / "poisson_count.yaml")
    table = run_table(s, seed=11, reps=range(3000))
    counts = table.counts[:, 0].astype(float)
    within_standard_errors(counts, 50.0)
    # Var[N] = 50; the sample variance's SE is about sqrt(2/(n-1)) * 50 (near-normal counts).
    assert abs(counts.var(ddof=1) - 50.0) < K * 50.0 * math.sqrt(2 / (counts.size - 1))


def test_poisson_outcome_curves_match_erlang_and_exponential_cdfs():
    s = load_scenario(REFERENCE / "poisson_count.yaml")
    n = 3000
    table = run_table(s, seed=12, reps=range(n))
    days = np.array([5.0, 15.0, 20.0, 30.0])
    tenth = probability_by_day(table.outcome_days[:, 0], days)
    first = probability_by_day(table.outcome_days[:, 1], np.array([1.0, 2.0, 4.0]))
    for p_hat, d in zip(tenth, days, strict=True):
        probability_close(p_hat, stats.poisson.sf(9, 0.5 * d), n)
    for p_hat, d in zip(first, [1.0, 2.0, 4.0], strict=True):
        probability_close(p_hat, 1 - math.exp(-0.5 * d), n)


def test_hawkes_expected_count_on_a_finite_horizon():
    s = load_scenario(REFERENCE / "hawkes_count.yaml")
    table = run_table(s, seed=13, reps=range(3000))
    expected = expected_count_subcritical(0.2, 0.6, 4.0, 200.0)
    assert expected == pytest.approx(97.0, abs=1e-6)
    within_standard_errors(table.counts[:, 0].astype(float), expected)


def test_hawkes_closed_form_agrees_with_the_mean_intensity_ode():
    # The mean intensity m(t) = E[lambda(t)] solves m' = (mu - (1-n) m)/d with
    # m(0) = mu (no parents yet); E[N(0, T)] is its integral.
    mu, n, d, horizon = 0.2, 0.6, 4.0, 50.0
    sol = integrate.solve_ivp(
        lambda t, y: [(mu - (1 - n) * y[0]) / d, y[0]],
        (0, horizon),
        [mu, 0.0],
        rtol=1e-10,
        atol=1e-12,
    )
    assert sol.y[1, -1] == pytest.approx(expected_count_subcritical(mu, n, d, horizon), rel=1e-7)


def test_hawkes_branching_structure_attributes_one_minus_n_to_the_baseline():
    s = load_scenario(REFERENCE / "hawkes_count.yaml")
    model = compile_model(s)
    baseline = []
    for rep in range(300):
        log = simulate(model, seed=14, rep=rep, keep_log=True).log or ()
        baseline += [o.cause == "baseline" for o in log]
        assert all(o.caused_by is None or o.caused_by < o.index for o in log)
    share = np.mean(baseline)
    # Expected share: immigrants / all = mu*T / E[N] (finite-horizon exact).
    expected = 0.2 * 200 / expected_count_subcritical(0.2, 0.6, 4.0, 200.0)
    # Causes are correlated within a replication; use replication-level
    # clustering loosely: SE from the binomial inflated by 3 (design effect).
    se = 3 * math.sqrt(expected * (1 - expected) / len(baseline))
    assert abs(share - expected) < K * se


def test_rule_with_probability_and_delay_on_a_poisson_trigger():
    s = load_scenario(REFERENCE / "rule_response.yaml")
    n = 4000
    table = run_table(s, seed=15, reps=range(n))

    def cumulative(t: float) -> float:
        return 0.2 * 0.3 * (t - 5 * (1 - math.exp(-t / 5)))

    responses = table.counts[:, list(s.events).index("retaliation")].astype(float)
    within_standard_errors(responses, cumulative(100))
    assert cumulative(100) == pytest.approx(5.70, abs=1e-6)
    days = np.array([5.0, 10.0, 25.0, 50.0])
    p_hat = probability_by_day(table.outcome_days[:, 0], days)
    for p, d in zip(p_hat, days, strict=True):
        probability_close(p, 1 - math.exp(-cumulative(d)), n)
