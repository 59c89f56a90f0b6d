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

from sim.experiments.fit.likelihood import (
    Array,
    Layout,
    Prepared,
    kernel_sums,
    loglik_and_grad,
    solve_baselines,
    value_and_grad,
)

LOG_RATE_FLOOR = math.log(1e-9)
BRANCHING_CAP = 50.0
CHI2_95 = 3.841458820694124
"""95% quantile of chi-square with 1 df: the profile-likelihood cut."""


@dataclass(frozen=True)
class Maximum:
    """Where the optimiser stopped: the parameter vector (optimiser scale), its
    log-likelihood, and scipy's convergence verdict, message and iterations."""

    theta: Array
    loglik: float
    converged: bool
    message: str
    iterations: int


def bounds_for(layout: Layout, decay_low: float, decay_high: float) -> list[tuple[float, float]]:
    """Box bounds per parameter for L-BFGS-B: log baselines from a floor to 1e6
    per day, branchings in [0, BRANCHING_CAP] (0 is reachable, so 'no
    excitation' can be the estimate), log decays between the given bounds in days."""
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
    """The best point from `start`; `fixed` pins kernel parameters (profiles).

    The baselines are solved exactly for each trial of the kernels
    (likelihood.solve_baselines), so L-BFGS-B searches only the kernels'
    branchings and log decays, with the gradient of the likelihood in them
    at the solved baselines (envelope theorem).
    """
    first = layout.n_baseline
    floor = math.exp(LOG_RATE_FLOOR)
    state = {"mu": np.exp(start[:first]).reshape(layout.n_types, layout.n_pieces)}
    kernel_bounds = list(bounds[first:])
    x0 = np.clip(start[first:], [b[0] for b in kernel_bounds], [b[1] for b in kernel_bounds])
    for index, value in (fixed or {}).items():
        if index < first:
            raise ValueError("only kernel parameters can be held fixed")
        kernel_bounds[index - first] = (value, value)
        x0[index - first] = value

    def evaluate(kappa: Array) -> tuple[float, Array, Array]:
        branching, decay = kappa[0::2], np.exp(kappa[1::2])
        excitation, sums = kernel_sums(layout, data, branching, decay)
        mu = solve_baselines(layout, data, excitation, state["mu"], floor)
        state["mu"] = mu
        value, grad = value_and_grad(layout, data, mu, branching, decay, excitation, sums)
        return value, grad[first:], mu

    def objective(kappa: Array) -> tuple[float, Array]:
        value, grad, _ = evaluate(kappa)
        if not math.isfinite(value):
            return 1e300, np.zeros_like(kappa)
        return -value, -grad

    if x0.size == 0:
        value, _, mu = evaluate(x0)
        return Maximum(np.log(mu).ravel(), value, True, "baselines solved exactly", 0)
    result = optimize.minimize(
        objective,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=kernel_bounds,
        options={
            "maxiter": max_iterations,
            "maxfun": 2 * max_iterations,
            "ftol": 1e-13,
            "gtol": 1e-7,
        },
    )
    kappa = np.asarray(result.x, dtype=float)
    value, _, mu = evaluate(kappa)
    return Maximum(
        theta=np.concatenate([np.log(mu).ravel(), kappa]),
        loglik=float(value),
        converged=bool(result.success),
        message=str(result.message),
        iterations=int(result.nit),
    )


def free_parameters(theta: Array, bounds: list[tuple[float, float]]) -> np.ndarray:
    """Parameters away from their bounds, where a quadratic approximation holds."""
    low = np.array([b[0] for b in bounds])
    high = np.array([b[1] for b in bounds])
    return np.asarray((theta - low > 1e-3) & (high - theta > 1e-3))


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
