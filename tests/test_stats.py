"""Statistics: Wilson intervals and curves (known values and properties)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.stats import (
    Z95,
    clustered_wilson_interval,
    dkw_band,
    dkw_half_width,
    independent_difference,
    paired_difference,
    probability_by_day,
    wilson_interval,
)


def test_wilson_known_values():
    # k = 0: the upper bound is z^2 / (n + z^2).
    lo, hi = wilson_interval(0, 10)
    assert lo == 0 and hi == pytest.approx(Z95**2 / (10 + Z95**2))
    # k = n/2 is symmetric around 0.5.
    lo, hi = wilson_interval(50, 100)
    assert 0.5 - lo == pytest.approx(hi - 0.5)
    # A textbook value: 81 of 263 -> [0.2553, 0.3662] (Wilson 95%).
    lo, hi = wilson_interval(81, 263)
    assert (float(lo), float(hi)) == pytest.approx((0.2553, 0.3662), abs=5e-4)


@given(st.integers(1, 5000), st.data())
def test_wilson_contains_the_estimate_and_stays_in_unit_interval(n, data):
    k = data.draw(st.integers(0, n))
    lo, hi = wilson_interval(k, n)
    assert 0 <= lo <= k / n + 1e-12 and k / n - 1e-12 <= hi <= 1


def test_wilson_coverage_is_close_to_nominal():
    rng = np.random.default_rng(0)
    n, p, trials = 200, 0.1, 20_000
    k = rng.binomial(n, p, trials)
    lo, hi = wilson_interval(k, n)
    coverage = np.mean((lo <= p) & (p <= hi))
    # Wilson's actual coverage at n=200, p=0.1 is within a point of 95%;
    # the Monte Carlo SE of the coverage estimate is ~0.0015.
    assert abs(coverage - 0.95) < 0.01 + 4 * math.sqrt(0.95 * 0.05 / trials)


@given(st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=1, max_size=50))
def test_probability_by_day_is_a_monotone_cdf(first):
    days = np.array([np.nan if d is None else d for d in first])
    grid = np.arange(0, 101, 5.0)
    p = probability_by_day(days, grid)
    assert np.all(np.diff(p) >= 0) and p[0] >= 0 and p[-1] <= 1
    assert p[-1] == pytest.approx(np.mean(~np.isnan(days)))


def test_paired_difference_of_identical_outcomes_is_exactly_zero():
    a = np.array([1, 0, 1, 1, 0])
    diff, lo, hi = paired_difference(a, a)
    bound = Z95**2 / (5 + Z95**2)  # Wilson upper limit of 0 differing pairs in 5
    assert diff == 0.0 and lo == pytest.approx(-bound) and hi == pytest.approx(bound)


@pytest.mark.parametrize("n", [1, 10, 2000])
def test_differences_at_the_boundaries_are_never_degenerate(n):
    """One scenario always sees the outcome, the other never (issue 7): the
    difference is -1, and both intervals stay inside [-1, 1] with width > 0."""
    never, always = np.zeros(n, dtype=int), np.ones(n, dtype=int)
    for diff, lo, hi in (
        paired_difference(always, never),
        independent_difference(n, n, 0, n),
    ):
        assert diff == -1.0
        assert lo == -1.0 and hi > lo
        if n >= 10:
            assert hi < 0.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_difference_intervals_contain_the_estimate_inside_minus_one_one(pairs):
    a = np.array([p[0] for p in pairs], dtype=int)
    b = np.array([p[1] for p in pairs], dtype=int)
    n = len(pairs)
    for diff, lo, hi in (
        paired_difference(a, b),
        independent_difference(int(a.sum()), n, int(b.sum()), n),
    ):
        assert -1.0 <= lo <= diff <= hi <= 1.0
        assert hi > lo


def test_paired_interval_covers_at_the_nominal_rate():
    """Coverage by simulation: correlated pairs with known margins 0.3 and 0.35
    (difference 0.05); 2,000 samples of 200 pairs. The 95% interval should cover
    in 95% +- 4 binomial standard errors (0.0049 each) of the samples."""
    rng = np.random.default_rng(20261124)
    covered = 0
    trials, n = 2000, 200
    for _ in range(trials):
        u = rng.random(n)
        a = (u < 0.30).astype(int)
        b = (u < 0.35).astype(int)  # strongly correlated, as with common random numbers
        flip = rng.random(n) < 0.1
        b = np.where(flip, (rng.random(n) < 0.35).astype(int), b)
        _, lo, hi = paired_difference(a, b)
        covered += lo <= 0.05 <= hi
    share = covered / trials
    assert abs(share - 0.95) < 4 * np.sqrt(0.95 * 0.05 / trials)


def test_wilson_is_exact_at_zero_and_all():
    lo, hi = wilson_interval(np.array([0, 60]), np.array([60, 60]))
    assert lo[0] == 0.0 and hi[1] == 1.0
    assert hi[0] < 1 and lo[1] > 0


# --- simultaneous and clustered bands (issue 10, item 6) ----------------------

HORIZON = 180.0
DAYS = np.arange(0.0, HORIZON + 1)
REPEATS = 400
NOMINAL = 0.95
# The coverage of 400 repeats estimates a probability near 0.95 with standard
# error sqrt(0.95 * 0.05 / 400) ~ 0.011: a band is accepted if its coverage is
# no more than 4 of those below nominal.
COVERAGE_SLACK = 4 * math.sqrt(NOMINAL * (1 - NOMINAL) / REPEATS)


def _empirical(first: np.ndarray) -> np.ndarray:
    """(repeats, days) share of each repeat's replications whose time to the
    event is at most each day (times past the horizon: never, censored)."""
    return np.asarray(np.mean(first[:, :, None] <= DAYS, axis=1))


def test_the_dkw_band_covers_the_whole_curve_and_the_pointwise_band_does_not() -> None:
    """Exponential time to an event (mean 120 days) censored at a 180-day horizon,
    200 replications per run: the DKW band holds the whole true curve in at
    least ~95% of 400 runs; the pointwise Wilson band, 95% per day, holds it
    far less often (measured here: about 55%), which is why charts must say
    which band they draw."""
    rng = np.random.default_rng(20)
    n = 200
    truth = 1 - np.exp(-DAYS / 120)
    curves = _empirical(rng.exponential(120, (REPEATS, n)))
    lo, hi = dkw_band(curves, n)
    simultaneous = np.mean(np.all((lo <= truth) & (truth <= hi), axis=1))
    wlo, whi = wilson_interval(np.rint(curves * n), n)
    pointwise = np.mean(np.all((wlo <= truth) & (truth <= whi), axis=1))
    assert simultaneous >= NOMINAL - COVERAGE_SLACK
    assert pointwise < NOMINAL - COVERAGE_SLACK
    assert dkw_half_width(n) == pytest.approx(math.sqrt(math.log(40) / 400))


@pytest.mark.parametrize(("sigma", "per_draw"), [(0.8, 20), (0.1, 5)])
def test_nested_bands_count_draws_not_replications(sigma: float, per_draw: int) -> None:
    """K = 40 draws of an exponential rate (lognormal, median 1/120 a day) x M
    replications each. The predictive curve is E[1 - exp(-rate d)] (Gauss-Hermite
    quadrature). With n = K the DKW band holds the whole curve in ~95% of runs
    or more, whether the draws dominate (sigma 0.8) or replication noise does
    (sigma 0.1, M = 5); the clustered Wilson interval at the horizon keeps
    about 95% coverage where the plain Wilson on K M replications, blind to
    the clusters, falls short when the draws dominate."""
    rng = np.random.default_rng(21)
    draws = 40
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    rates = np.exp(np.log(1 / 120) + sigma * nodes)
    truth = (weights / weights.sum()) @ (1 - np.exp(-np.outer(rates, DAYS)))
    rate = np.exp(np.log(1 / 120) + sigma * rng.standard_normal((REPEATS, draws, 1)))
    first = rng.exponential(1 / rate, (REPEATS, draws, per_draw))
    shares = np.mean(first[..., None] <= DAYS, axis=2)  # (repeats, draws, days)
    curves = shares.mean(axis=1)
    lo, hi = dkw_band(curves, draws)
    assert np.mean(np.all((lo <= truth) & (truth <= hi), axis=1)) >= NOMINAL - COVERAGE_SLACK
    end = truth[-1]
    covered = [
        float(a) <= end <= float(b)
        for a, b in (clustered_wilson_interval(s[:, -1], per_draw) for s in shares)
    ]
    assert abs(np.mean(covered) - NOMINAL) < COVERAGE_SLACK + 0.02  # Wilson's own error
    if sigma > 0.5:
        n = draws * per_draw
        plo, phi = wilson_interval(np.rint(curves[:, -1] * n), n)
        assert np.mean((plo <= end) & (end <= phi)) < NOMINAL - COVERAGE_SLACK


def test_clustered_wilson_is_plain_wilson_for_single_replication_clusters() -> None:
    shares = np.array([1.0, 0, 0, 1, 1, 0, 1, 1])
    lo, hi = clustered_wilson_interval(shares, 1)
    plo, phi = wilson_interval(5, 8)
    assert (float(lo), float(hi)) == pytest.approx((float(plo), float(phi)))
