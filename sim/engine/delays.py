"""Response delays, drawn from a rule's own generator.

Gamma is parameterised by mean and coefficient of variation (shape 1/cv^2)
and lognormal by median and sigma, because those are the numbers an analyst
can read off a document ("about a week, give or take half").
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.rng import Draws
from sim.scenario.schema import Delay

DelaySampler = Callable[[Draws], float]


def delay_sampler(delay: Delay | None) -> DelaySampler:
    """A function drawing one delay in days."""
    if delay is None:
        return lambda draws: 0.0
    if delay.dist == "fixed":
        days = float(delay.days or 0.0)
        return lambda draws: days
    if delay.dist == "exponential":
        mean = float(delay.mean or 0.0)
        return lambda draws: mean * draws.exponential()
    if delay.dist == "uniform":
        low, high = float(delay.low or 0.0), float(delay.high or 0.0)
        return lambda draws: low + (high - low) * draws.uniform()
    if delay.dist == "gamma":
        mean, cv = float(delay.mean or 0.0), float(delay.cv or 0.0)
        shape, scale = 1.0 / cv**2, mean * cv**2
        return lambda draws: float(draws.generator.gamma(shape, scale))
    median, sigma = float(delay.median or 0.0), float(delay.sigma or 0.0)
    return lambda draws: median * math.exp(sigma * float(draws.generator.standard_normal()))
