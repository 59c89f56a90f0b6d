"""The nested design (predictive and conditional probabilities) and Sobol
indices over uncertain parameters (issue 10), with their charts."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sim.charts.style import figure
from sim.charts.uncertainty import (
    MC_BAND,
    PARAMETER_BAND,
    SIMULTANEOUS_BAND,
    probability_bands_chart,
    research_chart,
)
from sim.engine import compile_model
from sim.experiments.run import run
from sim.experiments.uncertainty import FIXED_NOTE, run_nested, run_sobol
from sim.montecarlo.parameters import Parameters
from sim.montecarlo.runner import run_table
from sim.scenario import load_scenario
from sim.scenario.schema import Scenario
from sim.stats import dkw_half_width, wilson_interval
from tests.montecarlo.test_parameters import HORIZON, assert_same_tables, poisson_scenario

RATE = 0.04
LAW = {"dist": "beta", "mean": 0.3, "sd": 0.15}


@pytest.fixture
def beta_scenario(write_scenario):
    return load_scenario(write_scenario(data=poisson_scenario(RATE, LAW)))


def test_each_draw_holds_for_its_block_and_its_conditional_matches_the_closed_form(
    beta_scenario,
):
    """Per draw k with probability p_k, P(answered by T | p_k) = 1 - exp(-rate p_k T);
    the draws' estimates agree with their closed forms on average within 4
    standard errors, and each block of M replications shares its draw."""
    draws, per = 40, 50
    result = run_nested(beta_scenario, seed=3, param_draws=draws, reps_per_draw=per)
    values = result.table.parameters[:, 0].reshape(draws, per)
    assert np.all(values == values[:, :1])
    model = compile_model(beta_scenario)
    assert np.array_equal(values[:, 0], Parameters.of(model).draw(3, range(draws))[:, 0])
    truth = 1 - np.exp(-RATE * values[:, 0] * HORIZON)
    estimate = result.conditional()[:, 1, -1]
    se = math.sqrt(float(np.sum(truth * (1 - truth) / per))) / draws
    assert abs(float(np.mean(estimate - truth))) < 4 * se
    curves = result.curves()
    last = curves[(curves["outcome"] == "answered") & (curves["day"] == curves["day"].max())]
    assert float(last["cond_p05"].iloc[0]) <= float(last["cond_median"].iloc[0])
    assert float(last["cond_median"].iloc[0]) <= float(last["cond_p95"].iloc[0])
    summary = result.summary()
    assert list(summary["outcome"]) == ["triggered", "answered"]
    assert 0 < summary["noise_share"].iloc[1] < 1


def test_the_nested_design_is_the_same_for_any_worker_count(beta_scenario):
    one = run_nested(beta_scenario, 8, param_draws=6, reps_per_draw=50)
    two = run_nested(beta_scenario, 8, param_draws=6, reps_per_draw=50, workers=2)
    assert_same_tables(one.table, two.table)


def test_one_replication_per_draw_is_the_ordinary_run(beta_scenario):
    nested = run_nested(beta_scenario, 2, param_draws=120, reps_per_draw=1)
    assert_same_tables(nested.table, run_table(beta_scenario, 2, range(120)))


def test_fixed_parameters_only_say_so_and_run_as_usual(write_scenario):
    s = load_scenario(write_scenario(data=poisson_scenario(RATE, 0.3)))
    result = run_nested(s, 1, param_draws=4, reps_per_draw=30)
    assert result.fixed_only and result.note == FIXED_NOTE
    assert_same_tables(result.table, run_table(s, 1, range(120)))
    assert result.curves()["cond_median"].isna().all()
    ax = probability_bands_chart(result.curves(), "fixed", ax=figure()[1])
    shown = [t.get_text().replace("\n", " ") for t in ax.get_legend().texts]
    assert MC_BAND in shown and SIMULTANEOUS_BAND in shown and PARAMETER_BAND not in shown


def test_sobol_indices_find_the_parameter_an_outcome_depends_on(write_scenario):
    """`triggered` depends on the stream's rate only: with common random numbers
    across design points the probability's total index is exactly 0 and the
    rate's near 1; `answered` depends on both."""
    rate = {"dist": "lognormal", "median": RATE, "sigma": 0.8}
    s = load_scenario(write_scenario(data=poisson_scenario(rate, LAW)))
    result = run_sobol(s, seed=4, base_samples=32, reps_per_point=40)
    assert result.outputs.shape == (32 * 4, 2)
    frame = result.indices()
    triggered = frame[frame["outcome"] == "triggered"].set_index("parameter")
    assert triggered.loc["rules.answer.probability", "ST"] == pytest.approx(0, abs=1e-12)
    assert triggered.loc["streams.trigger.rate", "ST"] > 0.8
    assert list(triggered.index) == ["streams.trigger.rate", "rules.answer.probability"]
    answered = frame[frame["outcome"] == "answered"].set_index("parameter")
    assert (answered["ST"] > 0.1).all()
    assert 0 < answered["parameter_share"].iloc[0] < 1
    ax = research_chart(frame, "answered", ax=figure()[1])
    assert ax.get_title(loc="left") == "What to research next: answered"


def test_sobol_needs_two_uncertain_inputs(beta_scenario):
    with pytest.raises(ValueError, match="at least two uncertain inputs"):
        run_sobol(beta_scenario, 1)


def test_the_probability_chart_names_both_bands(beta_scenario):
    result = run_nested(beta_scenario, 1, param_draws=10, reps_per_draw=20)
    ax = probability_bands_chart(result.curves(), "beta", ax=figure()[1])
    labels = [t.get_text().replace("\n", " ") for t in ax.get_legend().texts]
    assert MC_BAND in labels and SIMULTANEOUS_BAND in labels and PARAMETER_BAND in labels
    assert any("parameters 90%" in label for label in labels)


def test_a_nested_run_result_counts_draws_in_its_monte_carlo_intervals(
    beta_scenario: Scenario,
) -> None:
    """`run(param_draws=K, reps_per_draw=M)` is `run_nested`'s table; its
    intervals are the clustered Wilson ones (wider than Wilson on K M
    independent replications when the draws matter), its simultaneous band is
    DKW at n = K, and each replication row says its draw."""
    draws, per = 20, 30
    result = run(beta_scenario, 4, param_draws=draws, reps_per_draw=per)
    assert_same_tables(result.table, run_nested(beta_scenario, 4, draws, per).table)
    assert result.nested is not None and result.replications == draws * per
    head = result.summary().set_index("outcome").loc["answered"]
    hits = round(head["probability"] * draws * per)
    plain_lo, plain_hi = (float(v) for v in wilson_interval(hits, draws * per))
    assert head["upper"] - head["lower"] > plain_hi - plain_lo
    curves = result.curves()
    eps = dkw_half_width(draws)
    inside = curves[(curves["probability"] > eps) & (curves["probability"] < 1 - eps)]
    assert np.allclose(inside["simultaneous_upper"] - inside["probability"], eps)
    rows = result.rows()
    assert np.array_equal(rows["draw"], np.arange(draws * per) // per)
    assert "parameter band: median" in result.headline_text()


def test_a_band_made_of_replication_noise_is_warned_about(
    write_scenario: Callable[..., Path],
) -> None:
    """With a nearly fixed probability (sd 0.005) and 10 replications per draw,
    almost all the spread across draws is binomial noise: the result says so
    and tells the user to raise M."""
    s = load_scenario(
        write_scenario(data=poisson_scenario(RATE, {"dist": "beta", "mean": 0.3, "sd": 0.005}))
    )
    result = run(s, 1, param_draws=30, reps_per_draw=10)
    warnings = result.band_warnings()
    assert any(w.startswith("answered: with 10 replications per draw") for w in warnings)
    assert all("raise --reps-per-draw" in w for w in warnings)


def test_one_replication_per_draw_or_fixed_parameters_give_no_band(
    write_scenario: Callable[..., Path], beta_scenario: Scenario
) -> None:
    assert run(beta_scenario, 1, param_draws=50, reps_per_draw=1).nested is None
    fixed = load_scenario(write_scenario(data=poisson_scenario(RATE, 0.3)))
    result = run(fixed, 1, param_draws=5, reps_per_draw=20)
    assert result.nested is None and result.replications == 100
    assert_same_tables(result.table, run_table(fixed, 1, range(100)))
