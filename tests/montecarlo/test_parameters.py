"""Propagating uncertain parameters (issue 10): closed forms for mixtures,
exact reproduction of fixed-parameter runs, invariance to workers and
chunking, and common random numbers across scenarios."""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import numpy as np
from scipy import integrate, stats

from sim.engine import compile_model, simulate
from sim.experiments.uncertainty import parameter_frame
from sim.montecarlo.grid import make_layout
from sim.montecarlo.parameters import Parameters
from sim.montecarlo.runner import RunTable, run_table, summarise
from sim.scenario import load_scenario
from sim.scenario.distributions import Beta
from sim.scenario.overrides import with_overrides
from tests.conftest import tweaked

HORIZON = 50.0


def poisson_scenario(rate: Any, probability: Any = 1.0) -> dict[str, Any]:
    """A Poisson trigger stream and a rule that answers each trigger at once
    with `probability`: P(response by T | p) = 1 - exp(-rate p T)."""
    return {
        "name": "poisson",
        "start_date": "2024-01-01",
        "horizon_days": HORIZON,
        "actors": {"a": {"name": "A", "kind": "other"}, "b": {"name": "B", "kind": "other"}},
        "ladder": ["calm", "hit", "answered"],
        "events": {
            "trigger": {"actor": "a", "rung": 1},
            "response": {"actor": "b", "rung": 2},
        },
        "streams": {"trigger": {"rate": rate, "assumption": "test"}},
        "rules": {
            "answer": {
                "actor": "b",
                "on": ["trigger"],
                "probability": probability,
                "then": [{"emit": "response"}],
                "assumption": "test",
            }
        },
        "outcomes": {"triggered": {"event": "trigger"}, "answered": {"event": "response"}},
    }


def assert_same_tables(a: RunTable, b: RunTable) -> None:
    for f in fields(RunTable):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert np.array_equal(x, y, equal_nan=True), f.name


def test_a_gamma_rate_gives_a_negative_binomial_count(write_scenario):
    """N(T) | rate ~ Poisson(rate T), rate ~ Gamma(mean m, cv c): N(T) is negative
    binomial with mean m T and P(N >= 1) = 1 - (1 + m T c^2)^(-1/c^2). Its
    P(N >= 1) = 0.5 here, 16 standard errors from the fixed-rate 0.632."""
    mean, cv, n = 0.02, 1.0, 3000
    s = load_scenario(
        write_scenario(data=poisson_scenario({"dist": "gamma", "mean": mean, "cv": cv}))
    )
    table = run_table(s, seed=11, reps=range(n))
    counts = table.counts[:, 0]
    p_closed = 1 - (1 + mean * HORIZON * cv**2) ** (-1 / cv**2)
    p_hat = float(np.mean(counts >= 1))
    assert abs(p_hat - p_closed) < 4 * math.sqrt(p_closed * (1 - p_closed) / n)
    variance = mean * HORIZON + (mean * HORIZON * cv) ** 2
    assert abs(counts.mean() - mean * HORIZON) < 4 * math.sqrt(variance / n)
    fixed_rate = 1 - math.exp(-mean * HORIZON)
    assert abs(p_hat - fixed_rate) > 4 * math.sqrt(p_closed * (1 - p_closed) / n)
    assert table.parameters.shape == (n, 1)
    assert abs(table.parameters.mean() - mean) < 4 * mean * cv / math.sqrt(n)


def test_a_beta_probability_averages_the_closed_form(write_scenario):
    """P(answered by T) = integral of (1 - exp(-rate p T)) over p's beta density."""
    rate, n = 0.04, 3000
    law = {"dist": "beta", "mean": 0.3, "sd": 0.15}
    s = load_scenario(write_scenario(data=poisson_scenario(rate, law)))
    a, b = Beta(dist="beta", mean=0.3, sd=0.15).shapes()
    closed, _ = integrate.quad(
        lambda p: (1 - math.exp(-rate * p * HORIZON)) * stats.beta.pdf(p, a, b), 0, 1
    )
    table = run_table(s, seed=5, reps=range(n))
    p_hat = float(np.mean(~np.isnan(table.outcome_days[:, 1])))
    assert abs(p_hat - closed) < 4 * math.sqrt(closed * (1 - closed) / n)


def test_fixed_parameters_run_exactly_as_before(write_scenario):
    """No uncertain parameter: the runner's rows are the engine's, untouched,
    and the table carries no parameters."""
    s = load_scenario(write_scenario())
    model = compile_model(s)
    reps = range(40)
    expected = summarise((simulate(model, 3, r) for r in reps), model, make_layout(s), len(reps))
    table = run_table(s, 3, reps, workers=2, chunk=15)
    assert table.parameters.shape == (40, 0)
    assert_same_tables(table, expected)
    assert list(parameter_frame(s, table).columns) == ["rep"]


def test_a_drawn_replication_is_the_fixed_replication_at_its_draw(write_scenario):
    """Replication i with drawn theta_i is bit for bit replication i of the
    scenario with theta_i fixed: draws use their own generators, and injecting
    values into the compiled model equals validating them in a file."""
    changes = {
        "streams.attack.rate": {"dist": "gamma", "mean": 0.5, "cv": 0.3},
        "streams.attack.excited_by.strike.branching": {"dist": "uniform", "low": 0, "high": 1},
        "rules.respond.probability": {"dist": "beta", "mean": 0.2, "sd": 0.1},
        "rules.respond.delay.mean": {"dist": "lognormal", "median": 2, "sigma": 0.5},
        "rules.respond.then[1].scale.factor": {"dist": "pert", "low": 0, "mode": 0.5, "high": 1},
        "rules.respond.cooldown_days": {"dist": "uniform", "low": 0, "high": 3},
    }
    s = load_scenario(write_scenario(tweaked(changes)))
    table = run_table(s, 9, range(6))
    names = list(s.uncertain)
    frame = parameter_frame(s, table)
    assert list(frame.columns) == ["rep", *names]
    for row in range(6):
        values = dict(zip(names, table.parameters[row].tolist(), strict=True))
        fixed = with_overrides(s, values)
        assert fixed.uncertain == {}
        alone = run_table(fixed, 9, [row])
        assert np.array_equal(alone.outcome_days[0], table.outcome_days[row], equal_nan=True)
        assert np.array_equal(alone.counts[0], table.counts[row])
        assert np.array_equal(alone.level_by_day[0], table.level_by_day[row])


def test_uncertain_runs_do_not_depend_on_workers_or_chunks(write_scenario):
    s = load_scenario(
        write_scenario(
            {
                "streams.attack.rate": {"dist": "lognormal", "median": 0.5, "sigma": 0.4},
                "rules.respond.probability": {"dist": "beta", "mean": 0.2, "sd": 0.1},
            }
        )
    )
    serial = run_table(s, 4, range(60))
    assert_same_tables(serial, run_table(s, 4, range(60), workers=2, chunk=7))
    assert_same_tables(serial, run_table(s, 4, range(60), chunk=25))
    tail = run_table(s, 4, range(30, 60))
    assert np.array_equal(tail.parameters, serial.parameters[30:])


def test_scenarios_sharing_an_uncertain_parameter_share_its_draws(write_scenario):
    """Common random numbers: the same path and law give the same draws in
    another scenario, whatever else differs (here the rule's probability)."""
    rate = {"dist": "gamma", "mean": 0.5, "cv": 0.5}
    a = load_scenario(write_scenario({"streams.attack.rate": rate}, name="a.yaml"))
    b = load_scenario(
        write_scenario(
            {
                "streams.attack.rate": rate,
                "rules.respond.probability": {"dist": "uniform", "low": 0.5, "high": 0.9},
            },
            name="b.yaml",
        )
    )
    ta, tb = run_table(a, 2, range(50)), run_table(b, 2, range(50))
    assert np.array_equal(ta.parameters[:, 0], tb.parameters[:, 0])
    swept = with_overrides(b, {"rules.respond.probability": 0.7})
    assert np.array_equal(run_table(swept, 2, range(50)).parameters, ta.parameters)


def test_columns_of_a_samples_file_are_drawn_from_the_same_row(write_scenario, project):
    rows = np.arange(1, 201)
    (project / "post.csv").write_text("rate,p\n" + "".join(f"{r / 400},{r / 1000}\n" for r in rows))
    s = load_scenario(
        write_scenario(
            {
                "streams.attack.rate": {"samples": "post.csv", "column": "rate"},
                "rules.respond.probability": {"samples": "post.csv", "column": "p"},
            }
        )
    )
    values = Parameters.of(compile_model(s)).draw(1, range(100))
    assert np.allclose(values[:, 0] * 400, values[:, 1] * 1000)
    assert len(np.unique(values[:, 0])) > 50


def test_precision_works_on_the_predictive_probability(write_scenario):
    """`--precision` adds replications until the marginal (predictive)
    probability's interval is narrow enough; every replication keeps its draw."""
    from sim.montecarlo.runner import headline_half_width, run_adaptive

    s = load_scenario(
        write_scenario({"rules.respond.probability": {"dist": "beta", "mean": 0.3, "sd": 0.1}})
    )
    table = run_adaptive(s, seed=1, precision=0.03, first=200)
    assert headline_half_width(table, s) <= 0.03
    assert table.parameters.shape == (len(table), 1)
    assert np.array_equal(table.parameters, run_table(s, 1, range(len(table))).parameters)


def test_remembered_quantiles_are_the_laws_own_and_cannot_be_altered():
    """Calibration candidates and sweep points draw the same uniforms for the
    parameters they share: the second call is served from memory, gives the
    same values, and hands out an array no caller can overwrite."""
    from sim.montecarlo.parameters import _QUANTILES, QUANTILES_BYTES, quantiles
    from sim.scenario.distributions import Pert

    law = Pert(dist="pert", low=0.1, mode=0.2, high=0.7)
    u = np.random.default_rng(3).random((50, 2))[:, 1]  # a strided column, as in `values`
    first = quantiles(law, u)
    assert np.array_equal(first, law.ppf(u))
    assert quantiles(law, u.copy()) is first
    assert not first.flags.writeable
    other = quantiles(law, u[::-1])
    assert other is not first and np.array_equal(other, law.ppf(u[::-1]))
    assert _QUANTILES.held() <= QUANTILES_BYTES


def test_remembered_quantiles_stay_within_their_memory(monkeypatch):
    from sim.montecarlo import parameters
    from sim.montecarlo.remembered import RememberedArrays
    from sim.scenario.distributions import Pert

    monkeypatch.setattr(parameters, "_QUANTILES", RememberedArrays(4 * 800))
    law = Pert(dist="pert", low=0.1, mode=0.2, high=0.7)
    rng = np.random.default_rng(4)
    draws = [rng.random(100) for _ in range(5)]  # 800 bytes of quantiles each
    for u in draws:
        parameters.quantiles(law, u)
    assert len(parameters._QUANTILES) == 4  # the oldest dropped
    kept = parameters.quantiles(law, draws[-1])
    assert kept is parameters.quantiles(law, draws[-1])
    parameters.quantiles(law, rng.random(1000))  # over a quarter of the budget: not kept
    assert len(parameters._QUANTILES) == 4
