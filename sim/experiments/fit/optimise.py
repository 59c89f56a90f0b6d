"""Maximising the exact likelihood, and the curvature and profiles around the maximum.

L-BFGS-B with the analytic gradient: bounds keep baselines positive (they
are on the log scale), branchings at or above 0 (so 'no excitation' is a
point the optimiser can reach, which a log scale would forbid) and decays
inside the allowed range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from sim.experiments.fit.likelihood import Array, Layout, Prepared, loglik_and_grad

LOG_RATE_FLOOR = math.log(1e-9)
BRANCHING_CAP = 50.0
CHI2_95 = 3.841458820694124
"""95% quantile of chi-square with 1 df: the profile-likelihood cut."""


@dataclass(frozen=True)
class Maximum:
    theta: Array
    loglik: float
    converged: bool
    message: str
    iterations: int


def bounds_for(layout: Layout, decay_low: float, decay_high: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = [(LOG_RATE_FLOOR, math.log(1e6))] * layout.n_baseline
    for _ in layout.kernels:
        out += [(0.0, BRANCHING_CAP), (math.log(decay_low), math.log(decay_high))]
    return out


def maximise(
    layout: Layout,
    data: Prepared,
    start: Array,
    bounds: list[tuple[float, float]],
    fixed: dict[int, float] | None = None,
    max_iterations: int = 3000,
) -> Maximum:
    """The best point from `start`; `fixed` pins parameters (profiles)."""
    bounds = list(bounds)
    x0 = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])
    for index, value in (fixed or {}).items():
        bounds[index] = (value, value)
        x0[index] = value

    def objective(theta: Array) -> tuple[float, Array]:
        value, grad = loglik_and_grad(layout, data, theta)
        if not math.isfinite(value):
            return 1e300, np.zeros_like(theta)
        return -value, -grad

    result = optimize.minimize(
        objective,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={
            "maxiter": max_iterations,
            "maxfun": 2 * max_iterations,
            "ftol": 1e-12,
            "gtol": 1e-6,
        },
    )
    return Maximum(
        theta=np.asarray(result.x, dtype=float),
        loglik=float(-result.fun),
        converged=bool(result.success),
        message=str(result.message),
        iterations=int(result.nit),
    )


def free_parameters(theta: Array, bounds: list[tuple[float, float]]) -> np.ndarray:
    """Parameters away from their bounds, where a quadratic approximation holds."""
    low = np.array([b[0] for b in bounds])
    high = np.array([b[1] for b in bounds])
    return (theta - low > 1e-3) & (high - theta > 1e-3)


def observed_information(layout: Layout, data: Prepared, theta: Array, free: np.ndarray) -> Array:
    """Minus the Hessian over the free parameters, by central differences of
    the analytic gradient (symmetrised)."""
    indices = np.flatnonzero(free)
    hessian = np.empty((indices.size, indices.size))
    for row, i in enumerate(indices):
        step = 1e-5 * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        g_up = loglik_and_grad(layout, data, up)[1]
        g_down = loglik_and_grad(layout, data, down)[1]
        hessian[row] = (g_up[indices] - g_down[indices]) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    return np.asarray(-hessian, dtype=float)


def profile_bounds(
    layout: Layout,
    data: Prepared,
    best: Maximum,
    bounds: list[tuple[float, float]],
    index: int,
    guess_se: float,
) -> tuple[float, float, int]:
    """95% profile-likelihood interval of parameter `index` (on the optimiser's
    scale): where 2 * (max loglik - profile loglik) crosses 3.84. A bound that
    stays inside the cut is the interval's end (0 for a branching: the data
    cannot reject 'no excitation'). Returns (low, high, profile fits run)."""
    fits = 0
    estimate = float(best.theta[index])
    low_bound, high_bound = bounds[index]

    def excess(value: float) -> float:
        # The signed root of the deviance is close to linear in the parameter,
        # so root finding on it needs few profile fits.
        nonlocal fits
        fits += 1
        profile = maximise(layout, data, best.theta, bounds, {index: value})
        deviance = max(0.0, 2 * (best.loglik - max(profile.loglik, -1e300)))
        return math.sqrt(deviance) - math.sqrt(CHI2_95)

    step = guess_se if math.isfinite(guess_se) and guess_se > 0 else max(0.1, 0.5 * estimate)
    ends = []
    for direction, limit in ((-1, low_bound), (1, high_bound)):
        inside = estimate
        probe = estimate
        end = limit
        for _ in range(12):
            probe = inside + direction * step * 2.0
            probe = max(probe, limit) if direction < 0 else min(probe, limit)
            if excess(probe) > 0:
                end = optimize.brentq(excess, min(inside, probe), max(inside, probe), xtol=2e-4)
                break
            inside = probe
            if probe == limit:
                end = limit
                break
            step *= 2
        ends.append(float(end))
    return ends[0], ends[1], fits
