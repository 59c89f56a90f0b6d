"""Each delay law draws with the mean and variance its parameters promise.

The analytic moments (docs/MODEL.md's parameterisations: gamma by mean and
coefficient of variation, lognormal by median and sigma) are compared with
20,000 draws, within 4 Monte Carlo standard errors computed here: for the
mean sd/sqrt(n), for the variance sqrt((m4 - s^4)/n) from the sample's own
fourth central moment.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.delays import delay_sampler
from sim.rng import Draws
from sim.scenario.schema import Delay

N = 20_000


def moments(delay: Delay) -> tuple[float, float]:
    """Mean and variance of the law, in days."""
    if delay.dist == "fixed":
        return float(delay.days or 0), 0.0
    if delay.dist == "exponential":
        m = float(delay.mean or 0)
        return m, m**2
    if delay.dist == "uniform":
        lo, hi = float(delay.low or 0), float(delay.high or 0)
        return (lo + hi) / 2, (hi - lo) ** 2 / 12
    if delay.dist == "gamma":
        m, cv = float(delay.mean or 0), float(delay.cv or 0)
        return m, (cv * m) ** 2
    median, sigma = float(delay.median or 0), float(delay.sigma or 0)
    mu = math.log(median)
    return math.exp(mu + sigma**2 / 2), (math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2)


LAWS = [
    Delay(dist="fixed", days=3.5),
    Delay(dist="exponential", mean=5.0),
    Delay(dist="uniform", low=2.0, high=9.0),
    Delay(dist="gamma", mean=7.0, cv=0.5),
    Delay(dist="gamma", mean=2.0, cv=1.8),  # shape < 1: a different sampling branch
    Delay(dist="lognormal", median=4.0, sigma=0.6),
]


@pytest.mark.parametrize("delay", LAWS, ids=lambda d: f"{d.dist}")
def test_delay_law_mean_and_variance(delay: Delay):
    draw = delay_sampler(delay)
    draws = Draws(20261124, 0, f"rule:test-{delay.dist}")
    x = np.array([draw(draws) for _ in range(N)])
    mean, variance = moments(delay)
    assert np.all(x >= 0)
    if variance == 0:
        assert np.all(x == mean)
        return
    s2 = x.var(ddof=1)
    m4 = float(np.mean((x - x.mean()) ** 4))
    assert abs(x.mean() - mean) < 4 * math.sqrt(s2 / N), (x.mean(), mean)
    assert abs(s2 - variance) < 4 * math.sqrt(max(m4 - s2**2, 0) / N), (s2, variance)


def test_no_delay_is_zero():
    assert delay_sampler(None)(Draws(1, 0, "rule:x")) == 0.0
