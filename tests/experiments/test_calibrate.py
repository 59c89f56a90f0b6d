"""Calibration: parameter recovery, the likelihood, outputs and bad input."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

from sim.cli import app
from sim.engine import simulate
from sim.errors import ScenarioError
from sim.experiments import calibrate as calibration
from sim.experiments.calibrate import (
    CHI2_95,
    IMPOSSIBLE,
    Objective,
    calibrate,
    fit_parameters,
    negbin_logpmf,
    poisson_logpmf,
    window_loglik,
)
from sim.scenario import load_scenario
from sim.writers.calibrate import write_calibration

TRUE_RATE, TRUE_BRANCHING = 0.5, 0.4


def write_scenario(folder: Path, rate: float, branching: float, observed: list[int] | None) -> Path:
    months = [dt.date(2024, m, 1) for m in range(1, 8)]
    doc = {
        "name": "recovery",
        "start_date": "2024-01-01",
        "horizon_days": 182,
        "actors": {"a": {"name": "A", "kind": "armed_faction"}},
        "ladder": ["calm", "active"],
        "events": {"attack": {"actor": "a", "rung": 1}},
        "streams": {
            "attack": {
                "rate": rate,
                "self_excitation": {"branching": branching, "decay_days": 2.0},
                "assumption": "start values for the recovery test",
            }
        },
        "outcomes": {"any": {"level_at_least": 1}},
    }
    if observed is not None:
        doc["observed"] = {
            "attack": [
                {
                    "from": str(months[i]),
                    "to": str(months[i + 1] - dt.timedelta(days=1)),
                    "count": c,
                    "assumption": "simulated from known parameters",
                }
                for i, c in enumerate(observed)
            ]
        }
    path = folder / "recovery.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def recovery(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recovery")
    truth = load_scenario(write_scenario(folder, TRUE_RATE, TRUE_BRANCHING, None))
    # Six monthly counts from one replication of the true model (seed fixed in advance).
    rep = simulate(truth, seed=2024, rep=0)
    times = np.array(rep.event_times_days["attack"])
    edges = [(dt.date(2024, m, 1) - dt.date(2024, 1, 1)).days for m in range(1, 8)]
    observed = np.histogram(times, bins=edges)[0].tolist()
    s = load_scenario(write_scenario(folder, 1.0, 0.2, observed))
    paths = ["streams.attack.rate", "streams.attack.self_excitation.branching"]
    return s, calibrate(s, paths, reps=100, seed=7)


@pytest.mark.slow
def test_known_parameters_are_recovered_within_their_reported_intervals(recovery):
    _, result = recovery
    assert result.converged
    (rate_lo, rate_hi), (b_lo, b_hi) = result.intervals
    assert rate_lo <= TRUE_RATE <= rate_hi
    assert b_lo <= TRUE_BRANCHING <= b_hi
    assert rate_lo < result.estimates[0] < rate_hi and b_lo < result.estimates[1] < b_hi
    assert result.loglik_fit > result.loglik_start


@pytest.mark.slow
def test_the_fitted_model_matches_the_observed_total(recovery):
    _, result = recovery
    fitted_total = result.windows["fit_mean"].sum()
    observed_total = result.windows["observed"].sum()
    start_total = result.windows["start_mean"].sum()
    assert abs(fitted_total - observed_total) < abs(start_total - observed_total)
    # The total's MC error with 100 replications is small next to the misfit at the start.
    assert abs(fitted_total - observed_total) / observed_total < 0.25


def test_poisson_likelihood_is_the_sum_of_poisson_log_pmfs():
    counts = np.array([[3, 10], [5, 12], [4, 11]], dtype=float)
    observed = np.array([4, 9])
    expected = stats.poisson.logpmf(4, 4.0) + stats.poisson.logpmf(9, 11.0)
    assert window_loglik(counts, observed, "poisson") == pytest.approx(expected)


def test_negative_binomial_matches_simulated_mean_and_variance():
    counts = np.array([[0.0], [10.0], [2.0], [8.0]])
    mean, var = 5.0, counts.var(ddof=1)
    size = mean**2 / (var - mean)
    expected = stats.nbinom.logpmf(3, size, size / (size + mean))
    assert window_loglik(counts, np.array([3]), "negbin") == pytest.approx(expected)


def test_the_log_pmfs_are_scipy_stats_own_bits():
    # Written without scipy.stats (its import and argument checks were a tenth of
    # a fast calibration); the objective, and so every fit, must not move.
    rng = np.random.default_rng(3)
    for k in [0, 1, 2, 5, 17, 35, 47, 120, 1_000]:
        for mu in np.concatenate([rng.uniform(1e-3, 200, 40), [0.0025, 1.0, 47.0]]):
            assert poisson_logpmf(float(k), mu) == float(stats.poisson.logpmf(float(k), mu))
            for size in rng.uniform(0.05, 80, 5):
                p = size / (size + mu)
                expected = float(stats.nbinom.logpmf(float(k), size, p))
                assert negbin_logpmf(float(k), size, p) == expected
    assert float(stats.chi2.ppf(0.95, 1)) == CHI2_95


def test_a_runaway_candidate_scores_impossible_without_being_simulated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # A posterior's moves proposed a rate of 800,000 a day: 61 million events a
    # replication, hours of simulation for one candidate. Past the workload
    # limit a candidate is refused before any simulation, unless allow_large.
    s = load_scenario(write_scenario(tmp_path, 0.5, 0.4, [10, 12, 9, 11, 10, 12]))
    params = fit_parameters(s, ["streams.attack.rate"])

    def no_simulation(*args, **kwargs):
        raise AssertionError("a runaway candidate was simulated")

    monkeypatch.setattr(calibration, "run_table", no_simulation)
    objective = Objective(s, params, 20, 1, "negbin")
    runaway = np.array([math.log(1e7)])  # 1e7 a day over 182 days
    assert objective.negative(runaway) == IMPOSSIBLE
    with pytest.raises(ScenarioError, match="events per replication"):
        objective.candidate([1e7])
    assert Objective(s, params, 20, 1, "negbin", allow_large=True).candidate([1e7])
    objective.candidate([2.0])  # an ordinary candidate passes


def test_a_window_the_model_never_fills_is_unlikely_not_impossible():
    assert math.isfinite(window_loglik(np.zeros((50, 1)), np.array([4]), "negbin"))


@pytest.mark.slow  # uses the calibration fixture (about a minute)
def test_calibrated_file_extends_the_original_and_records_the_fit(recovery, tmp_path):
    _s, result = recovery
    target = tmp_path / "fitted.yaml"
    write_calibration(result, target, tmp_path / "charts", force=False)
    fitted = load_scenario(target)
    assert fitted.streams["attack"].rate == pytest.approx(result.estimates[0], rel=1e-5)
    assert "extends:" in target.read_text()
    assert "Calibrated by escsim calibrate" in (fitted.streams["attack"].assumption or "")
    assert (tmp_path / "charts" / "observed_vs_fitted.png").exists()
    assert (tmp_path / "charts" / "profiles.png").exists()


@pytest.mark.slow  # uses the calibration fixture (about a minute)
def test_fit_paths_must_name_numeric_stream_or_rule_parameters(recovery):
    s, _ = recovery
    with pytest.raises(ScenarioError) as info:
        fit_parameters(s, ["streams.attack.nope", "name", "streams.attack.rate"])
    assert len(info.value.problems) == 2
    assert "numeric parameter" in str(info.value)


@pytest.mark.slow  # uses the calibration fixture (about a minute)
def test_cli_refuses_a_non_numeric_fit_and_writes_nothing(recovery, tmp_path, monkeypatch):
    s, _ = recovery
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["calibrate", str(s.origin), "--fit", "name", "--out", str(tmp_path / "x.yaml")]
    )
    assert result.exit_code == 2
    assert "expected a numeric parameter" in result.output
    assert not (tmp_path / "x.yaml").exists() and not (tmp_path / "results").exists()


@pytest.mark.slow  # seconds of simulation; runs in make test
def test_cli_reports_non_convergence_keeps_the_best_point_and_exits_1(
    recovery, tmp_path, monkeypatch
):
    s, _ = recovery
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "best.yaml"
    result = CliRunner().invoke(
        app,
        [
            "calibrate",
            str(s.origin),
            "--fit",
            "streams.attack.rate",
            "--reps",
            "40",
            "--max-evals",
            "3",
            "--workers",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "did not converge" in result.output
    assert "NOT CONVERGED" in out.read_text()
    load_scenario(out)
