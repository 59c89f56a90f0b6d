"""Proper scores and predictive laws: hand-computed values, known identities,
and the behaviour of calibrated and miscalibrated forecasters."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.experiments.backtest.scores import (
    PMF_FLOOR,
    EnsembleForecast,
    NegBinForecast,
    PoissonForecast,
    brier_scores,
    count_law,
    exceedance,
    fair_crps,
    log_scores,
    pit_uniformity,
    randomized_pit,
    ranked_probability_score,
    score_count,
    skill,
)

LEVEL = 0.01
"""Significance level of the PIT uniformity tests below."""


def test_binary_scores_match_hand_computation_on_three_questions() -> None:
    p = np.array([0.8, 0.3, 0.1])
    o = np.array([1, 0, 1])
    brier = ((0.8 - 1) ** 2 + (0.3 - 0) ** 2 + (0.1 - 1) ** 2) / 3
    log = -(math.log(0.8) + math.log(0.7) + math.log(0.1)) / 3
    assert brier_scores(p, o).mean() == pytest.approx(brier, rel=1e-12)
    assert log_scores(p, o, floor=1e-4).mean() == pytest.approx(log, rel=1e-12)
    assert skill(brier, 0.25) == pytest.approx(1 - brier / 0.25)


def test_log_score_floor_caps_a_confident_miss() -> None:
    assert log_scores(np.array([0.0]), np.array([1]), floor=0.001)[0] == pytest.approx(
        -math.log(0.001)
    )
    with pytest.raises(ValueError):
        log_scores(np.array([0.5]), np.array([1]), floor=0.0)


def test_every_score_matches_the_scoringrules_library_on_random_cases() -> None:
    """The formulas are written here; the maintained library is their oracle
    (a test dependency only: see the module's docstring)."""
    sr = pytest.importorskip("scoringrules")
    rng = np.random.default_rng(7)
    p = rng.uniform(0.01, 0.99, 200)
    o = rng.integers(0, 2, 200)
    np.testing.assert_allclose(brier_scores(p, o), sr.brier_score(o.astype(float), p), rtol=1e-12)
    np.testing.assert_allclose(
        log_scores(p, o, floor=1e-4), sr.log_score(o.astype(float), p), rtol=1e-12
    )
    for _ in range(100):
        pmf = rng.dirichlet(np.ones(int(rng.integers(2, 40))))
        y = int(rng.integers(0, pmf.size))
        assert ranked_probability_score(pmf, y) == pytest.approx(
            float(sr.rps_score(y + 1, pmf)), rel=1e-12, abs=1e-15
        )
        draws = np.sort(rng.negative_binomial(2, 0.2, int(rng.integers(2, 500))))
        y = int(rng.integers(0, 30))
        expected = float(sr.crps_ensemble(float(y), draws.astype(float), estimator="fair"))
        assert fair_crps(draws, y) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_the_package_does_not_import_scoringrules() -> None:
    """Importing it compiles ~100 numba kernels (3.3 s) on every start."""
    code = (
        "import sys, sim.cli, sim.experiments.backtest.scores, sim.experiments.backtest.rolling; "
        "print('scoringrules' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("p", "o", "message"),
    [
        ([1.5], [1], r"\[0, 1\]"),
        ([np.nan], [1], r"\[0, 1\]"),
        ([0.3], [2], "0 .* or 1"),
        ([0.3], [np.nan], "0 .* or 1"),
    ],
)
def test_binary_scores_refuse_what_is_not_a_probability_or_an_outcome(p, o, message) -> None:
    for score in (brier_scores, lambda p, o: log_scores(p, o, floor=1e-4)):
        with pytest.raises(ValueError, match=message):
            score(np.array(p), np.array(o))


def test_the_ranked_probability_score_refuses_a_category_outside_the_pmf() -> None:
    with pytest.raises(ValueError, match=r"outside the pmf's categories 0\.\.2"):
        ranked_probability_score(np.array([0.2, 0.3, 0.5]), 5)


def test_the_fair_crps_needs_two_draws() -> None:
    with pytest.raises(ValueError, match="at least two draws"):
        fair_crps(np.array([3]), 1.0)


def _crps_by_sum(law: PoissonForecast | NegBinForecast, y: int, upto: int = 400) -> float:
    """CRPS of a count law as sum_k (F(k) - 1{k >= y})^2 (Czado et al. 2009, eq. 3)."""
    k = np.arange(upto)
    return float(np.sum((law.cdf(k) - (k >= y)) ** 2))


LAWS = [
    PoissonForecast(3.5),
    PoissonForecast(10.0),
    PoissonForecast(300.0),
    NegBinForecast(4.0, 12.0),
    NegBinForecast(1.5, 20.0),  # size 0.12 < 1
    NegBinForecast(300.0, 3000.0),
]


@pytest.mark.parametrize("law", LAWS, ids=repr)
@pytest.mark.parametrize("y", [0, 3, 11, 60, 250])
def test_closed_form_laws_agree_with_their_definition(
    law: PoissonForecast | NegBinForecast, y: int
) -> None:
    """CRPS and log score follow from the law's own pmf, including the regimes
    where scoringrules 0.10's closed forms fail (large means and counts, a
    negative binomial size below 1)."""
    assert law.crps(y) == pytest.approx(_crps_by_sum(law, y, upto=20_000), rel=1e-9)
    expected = -math.log(max(float(law.pmf(np.array(y))), PMF_FLOOR))
    assert law.log_score(y) == pytest.approx(expected, rel=1e-9)
    assert float(law.cdf(np.array(100_000))) == pytest.approx(1.0)


def test_negative_binomial_has_the_stated_mean_and_variance() -> None:
    law = NegBinForecast(6.0, 20.0)
    k = np.arange(2000)
    pmf = law.pmf(k)
    assert float(np.sum(k * pmf)) == pytest.approx(6.0, rel=1e-9)
    assert float(np.sum((k - 6.0) ** 2 * pmf)) == pytest.approx(20.0, rel=1e-9)
    assert isinstance(count_law(5.0, 5.0), PoissonForecast)
    assert isinstance(count_law(5.0, 3.0), PoissonForecast)
    assert isinstance(count_law(5.0, 9.0), NegBinForecast)


def test_ensemble_law_is_a_proper_pmf_built_from_the_draws() -> None:
    draws = np.array([0, 2, 2, 3, 7, 7, 7, 9])
    law = EnsembleForecast(draws)
    n = draws.size
    k = np.arange(0, 500)
    pmf = law.pmf(k)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(pmf > 0)
    assert np.allclose(np.cumsum(pmf), law.cdf(k))
    # Silverman's bandwidth on the IQR, 0.9 (IQR/1.34) n^(-1/5), by hand.
    q75, q25 = np.percentile(draws, [75, 25])
    h = 0.9 * (q75 - q25) / 1.34 * n**-0.2
    assert law.bandwidth == pytest.approx(h)
    keep = stats.norm.sf((-0.5 - draws) / h)
    for y in (0, 7):
        inside = stats.norm.cdf((y + 0.5 - draws) / h) - stats.norm.cdf((y - 0.5 - draws) / h)
        kde = np.mean(inside / keep)
        # Inside the draws' range the pseudo-replication adds nothing.
        assert float(law.pmf(np.array(y))) == pytest.approx(n * kde / (n + 1))
    # Beyond the largest draw: the fitted law's shape, scaled to the
    # pseudo-replication's mass 1/(n+1) (plus the kernel's spill-over).
    fitted = law.tail
    beyond = float(fitted.pmf(np.array(30))) / (1 - float(fitted.cdf(np.array(9))))
    assert float(law.pmf(np.array(30))) == pytest.approx(beyond / (n + 1), rel=1e-6)
    assert law.log_score(30) < -math.log(PMF_FLOOR)


def test_a_spike_is_not_smoothed() -> None:
    """All draws equal (IQR 0): the plain frequency plus the pseudo-replication."""
    law = EnsembleForecast(np.zeros(99, dtype=int))
    assert law.bandwidth == 0
    assert float(law.pmf(np.array(0))) == pytest.approx(99 / 100)
    assert law.tail.mean == pytest.approx(1 / 99)
    assert exceedance(law, 1) == pytest.approx(1 / 100)


@pytest.mark.parametrize(("mean", "variance"), [(0.5, 2.0), (3.0, 6.0), (200.0, 8000.0)])
def test_ensemble_log_score_is_close_to_the_law_it_was_drawn_from(
    mean: float, variance: float
) -> None:
    """Mean log score over 200 cases of 500 draws, against the law's own: the
    kernel estimate costs little (measured within 0.02 nats); the raw
    frequencies cost 1.4 nats at a mean of 200, and an sd-based bandwidth
    moves P(0) of the zero-heavy law from 0.79 to 0.70. Bound: 0.1 nats, well
    above the first and far below the second; the paired difference's
    standard error here is about 0.01."""
    rng = np.random.default_rng(8)
    law = NegBinForecast(mean, variance)
    ys = rng.negative_binomial(law.size, law.prob, 200)
    d = [
        EnsembleForecast(rng.negative_binomial(law.size, law.prob, 500)).log_score(int(y))
        - law.log_score(int(y))
        for y in ys
    ]
    assert -0.05 < np.mean(d) < 0.1


def test_ensemble_crps_is_the_fair_estimator() -> None:
    """Fair CRPS (Ferro 2014): mean|x - y| - sum_{i != j}|x_i - x_j| / (2 m (m - 1))."""
    x = np.array([1.0, 2.0, 4.0, 4.0, 9.0])
    y = 3
    m = x.size
    fair = np.mean(np.abs(x - y)) - np.abs(x[:, None] - x[None, :]).sum() / (2 * m * (m - 1))
    assert EnsembleForecast(x).crps(y) == pytest.approx(fair, rel=1e-12)


def test_large_ensemble_scores_approach_the_law_it_was_drawn_from() -> None:
    rng = np.random.default_rng(5)
    truth = NegBinForecast(8.0, 30.0)
    draws = rng.negative_binomial(truth.size, truth.prob, size=200_000)
    law = EnsembleForecast(draws)
    for y in (0, 8, 25):
        assert law.crps(y) == pytest.approx(truth.crps(y), rel=0.02)
        assert exceedance(law, y) == pytest.approx(1 - float(truth.cdf(np.array(y - 1))), abs=0.01)
    for y in (8, 25):
        assert law.log_score(y) == pytest.approx(truth.log_score(y), abs=0.05)
    # At the boundary a kernel moves mass down a steep slope (P(0) = 0.021,
    # P(1) = 0.046 here): a known bias, small in the mean log score (see below).
    assert float(law.pmf(np.array(0))) == pytest.approx(float(truth.pmf(np.array(0))), rel=0.15)


def test_randomized_pit_spans_the_jump_of_the_cdf() -> None:
    law = PoissonForecast(2.0)
    low, high = stats.poisson.cdf([2, 3], 2.0)
    assert randomized_pit(law, 3, 0.0) == pytest.approx(low)
    assert randomized_pit(law, 3, 1.0) == pytest.approx(high)
    assert randomized_pit(law, 0, 0.0) == 0.0


def test_score_count_reports_exceedance_and_its_brier_score() -> None:
    row = score_count(PoissonForecast(2.0), 3, (1, 5), 0.5)
    p5 = float(stats.poisson.sf(4, 2.0))
    assert row["p_ge_5"] == pytest.approx(p5)
    assert row["brier_ge_5"] == pytest.approx(p5**2)
    assert row["brier_ge_1"] == pytest.approx((1 - float(stats.poisson.sf(0, 2.0)) - 0) ** 2)


def _ensembles(
    rng: np.random.Generator, observed: np.ndarray, law: NegBinForecast
) -> list[EnsembleForecast]:
    """One ensemble of 400 simulated counts from `law` per case."""
    return [EnsembleForecast(rng.negative_binomial(law.size, law.prob, size=400)) for _ in observed]


def _interval(d: np.ndarray) -> tuple[float, float]:
    """95% normal interval of the mean of independent differences."""
    half = 1.96 * d.std(ddof=1) / math.sqrt(d.size)
    return d.mean() - half, d.mean() + half


def _pit(
    rng: np.random.Generator, laws: list[EnsembleForecast], observed: np.ndarray
) -> np.ndarray:
    v = rng.uniform(size=observed.size)
    return np.array(
        [randomized_pit(f, int(y), u) for f, y, u in zip(laws, observed, v, strict=True)]
    )


def _log(laws: list[EnsembleForecast], observed: np.ndarray) -> np.ndarray:
    return np.array([f.log_score(int(y)) for f, y in zip(laws, observed, strict=True)])


TRUTH = NegBinForecast(6.0, 18.0)
DOUBLED = NegBinForecast(12.0, 72.0)
"""Rates doubled: every count of the law doubled in scale (mean x2, dispersion kept)."""


def test_calibrated_forecaster_has_uniform_pit_and_no_score_difference() -> None:
    """Data and forecasts from the same law: the PIT passes a chi-square test
    at the 1% level; against an independent forecaster drawn from the same law
    (the model against itself, with other random numbers) the mean log-score
    difference has a 95% interval containing 0, and against the very same
    ensembles it is exactly 0."""
    rng = np.random.default_rng(20240101)
    observed = rng.negative_binomial(TRUTH.size, TRUTH.prob, size=400)
    model = _ensembles(rng, observed, TRUTH)
    again = _ensembles(rng, observed, TRUTH)
    assert pit_uniformity(_pit(rng, model, observed)).p_value > LEVEL
    lower, upper = _interval(_log(model, observed) - _log(again, observed))
    assert lower < 0 < upper
    assert np.all(_log(model, observed) - _log(model, observed) == 0)


def test_miscalibrated_forecaster_is_detected() -> None:
    """Rates doubled: the PIT piles up below 1/2 (chi-square p far below 1%)
    and its log score is worse than a calibrated forecaster's by more than the
    95% interval of the difference."""
    rng = np.random.default_rng(20240102)
    observed = rng.negative_binomial(TRUTH.size, TRUTH.prob, size=400)
    doubled = _ensembles(rng, observed, DOUBLED)
    calibrated = _ensembles(rng, observed, TRUTH)
    pit = _pit(rng, doubled, observed)
    assert pit_uniformity(pit).p_value < LEVEL
    assert np.mean(pit < 0.5) > 0.6
    lower, _ = _interval(_log(doubled, observed) - _log(calibrated, observed))
    assert lower > 0


def test_pit_test_reduces_bins_for_small_samples() -> None:
    test = pit_uniformity(np.linspace(0.01, 0.99, 12))
    assert test.dof + 1 == 2
    assert pit_uniformity(np.linspace(0.005, 0.995, 100)).p_value > 0.99
