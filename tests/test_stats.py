"""Statistics: Wilson intervals and curves (known values and properties)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.stats import (
    Z95,
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
