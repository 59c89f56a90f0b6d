"""Response delays, drawn from a rule's own delay lane.

Gamma is parameterised by mean and coefficient of variation (shape 1/cv^2)
and lognormal by median and sigma, because those are the numbers an analyst
can read off a document ("about a week, give or take half"). Each law is a
code and two numbers (`delay_law`), so the compiled engine reads the very
parameters this module computes; the variates consume the lane's uniforms
as `sim.rng` defines (exponential: one; uniform: one; lognormal: two; gamma:
Marsaglia-Tsang).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.rng import Draws
from sim.scenario.schema import Delay

DelaySampler = Callable[[Draws], float]

NONE, FIXED, EXPONENTIAL, UNIFORM, GAMMA, LOGNORMAL = range(6)


def delay_law(delay: Delay | None) -> tuple[int, float, float]:
    """(law code, first parameter, second parameter) of a rule's delay:
    fixed (days), exponential (mean), uniform (low, width), gamma (shape,
    scale), lognormal (median, sigma)."""
    if delay is None:
        return NONE, 0.0, 0.0
    if delay.dist == "fixed":
        return FIXED, float(delay.days or 0.0), 0.0
    if delay.dist == "exponential":
        return EXPONENTIAL, float(delay.mean or 0.0), 0.0
    if delay.dist == "uniform":
        low, high = float(delay.low or 0.0), float(delay.high or 0.0)
        return UNIFORM, low, high - low
    if delay.dist == "gamma":
        mean, cv = float(delay.mean or 0.0), float(delay.cv or 0.0)
        return GAMMA, 1.0 / cv**2, mean * cv**2
    return LOGNORMAL, float(delay.median or 0.0), float(delay.sigma or 0.0)


def delay_sampler(delay: Delay | None) -> DelaySampler:
    """A function drawing one delay in days from a rule's delay lane."""
    law, a, b = delay_law(delay)
    if law == NONE:
        return lambda draws: 0.0
    if law == FIXED:
        return lambda draws: a
    if law == EXPONENTIAL:
        return lambda draws: a * draws.exponential()
    if law == UNIFORM:
        return lambda draws: a + b * draws.uniform()
    if law == GAMMA:
        return lambda draws: b * draws.gamma(a)
    return lambda draws: a * math.exp(b * draws.normal())
