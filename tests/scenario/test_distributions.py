"""The laws' inverse CDFs call scipy.special directly (scipy.stats' argument
checking cost more than the draws); their bits must stay scipy.stats' own,
or every seeded result of an uncertain scenario would move."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.scenario.distributions import U_MAX, U_MIN, Beta, Gamma, LogNormal, Pert

U = np.concatenate([np.random.default_rng(5).random(200_000), [U_MIN, U_MAX, 0.5]])


def pert_reference(low: float, mode: float, high: float):
    width = high - low
    a, b = 1 + 4 * (mode - low) / width, 1 + 4 * (high - mode) / width
    return stats.beta(a, b, loc=low, scale=width)


BETA_A = Beta(dist="beta", mean=0.3, sd=0.1)
BETA_B = Beta(dist="beta", mean=0.9, sd=0.25)


@pytest.mark.parametrize(
    ("law", "reference"),
    [
        (LogNormal(dist="lognormal", median=0.2, sigma=0.5), stats.lognorm(0.5, scale=0.2)),
        (LogNormal(dist="lognormal", median=3.0, sigma=1.2), stats.lognorm(1.2, scale=3.0)),
        (Gamma(dist="gamma", mean=3.0, cv=0.5), stats.gamma(1 / 0.5**2, scale=3.0 * 0.5**2)),
        (Gamma(dist="gamma", mean=2.0, cv=3.0), stats.gamma(1 / 3.0**2, scale=2.0 / (1 / 3.0**2))),
        (BETA_A, stats.beta(*BETA_A.shapes())),
        (BETA_B, stats.beta(*BETA_B.shapes())),
        (Pert(dist="pert", low=0.0, mode=1.0, high=4.0), pert_reference(0.0, 1.0, 4.0)),
        (Pert(dist="pert", low=0.02, mode=0.05, high=0.3), pert_reference(0.02, 0.05, 0.3)),
    ],
    ids=lambda x: getattr(x, "dist", ""),
)
def test_draws_are_scipy_stats_bit_for_bit(law, reference):
    assert np.array_equal(law.ppf(U), reference.ppf(U))


def test_attainable_is_the_inverse_cdf_at_the_extreme_uniforms():
    law = LogNormal(dist="lognormal", median=2.0, sigma=0.5)
    low, high = law.attainable()
    assert (low, high) == tuple(stats.lognorm(0.5, scale=2.0).ppf([U_MIN, U_MAX]))
    assert law.attainable() is law.attainable()  # remembered: candidates re-check it
