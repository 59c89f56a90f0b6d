"""The exact log-likelihood of multivariate exponential-kernel Hawkes streams,
with its gradient, in O(n) per pair of event types.

The model is the one docs/MODEL.md defines for a stream: the intensity of
type k at t is

    lambda_k(t) = mu_k(t) + sum_j sum_{u in j, u < t} b_kj * exp(-(t-u)/d_kj) / d_kj

with a piecewise-constant baseline mu_k(t) and one (branching, decay) pair per
kernel (target k excited by source j). The point-process log-likelihood on
(0, T] is sum_i log lambda_{k_i}(t_i) - sum_k int_0^T lambda_k (Daley &
Vere-Jones 2003, Prop. 7.2.III). With exponential kernels the sums over the
past obey Ozaki's (1979) recursion: between two target times the sum decays by
exp(-gap/d) and each source event adds 1, so one merged pass over the target
and source times gives every A_i = sum exp(-(t_i-u)/d), and a second sum
B_i = sum (t_i-u) exp(-(t_i-u)/d) gives the derivative in d.

Why our own code and not `tick`: tick 0.8 fits exponential kernels only with
decays fixed in advance, has no piecewise baseline over arbitrary periods
(only a periodic one) and gives no intervals; and its 0.8.0.2 wheel, though
it installs on Python 3.11, fails here on first use (`HawkesExpKern.fit`:
"no settable attribute 'events'"), so it could not serve even as a check.
The exact likelihood is small; this module is its whole implementation, and
the tests check its gradient against finite differences and its estimates by
simulation with the project's own engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@numba.njit(cache=False, fastmath=False)
def pair_sums(targets: Array, sources: Array, decay: float) -> tuple[Array, Array]:
    """For each target time t: A = sum exp(-(t-u)/d) and B = sum (t-u) exp(-(t-u)/d)
    over source times u strictly before t. Both inputs ascending."""
    n = targets.shape[0]
    a_out = np.empty(n)
    b_out = np.empty(n)
    a = 0.0
    b = 0.0
    last = 0.0
    j = 0
    m = sources.shape[0]
    inv = 1.0 / decay
    for i in range(n):
        t = targets[i]
        while j < m and sources[j] < t:
            gap = sources[j] - last
            factor = np.exp(-gap * inv)
            b = factor * (b + gap * a)
            a = factor * a + 1.0
            last = sources[j]
            j += 1
        gap = t - last
        factor = np.exp(-gap * inv)
        a_out[i] = factor * a
        b_out[i] = factor * (b + gap * a)
    return a_out, b_out


@dataclass(frozen=True)
class Layout:
    """What is fitted: the event types, the baseline pieces and the kernels.

    Parameters, in the order of the vector the optimiser sees: one log
    baseline per (type, piece), then per kernel its branching (natural
    scale, bounded below by 0 so that 'no excitation' is a reachable point)
    and its log decay.
    """

    n_types: int
    breaks: tuple[float, ...]
    """Piece edges in days from 0 to T (len = pieces + 1)."""
    kernels: tuple[tuple[int, int], ...]
    """(target, source) type indices."""

    @property
    def n_pieces(self) -> int:
        """Baseline pieces per type."""
        return len(self.breaks) - 1

    @property
    def horizon(self) -> float:
        """T, the observation period in days (the last piece edge)."""
        return self.breaks[-1]

    @property
    def n_baseline(self) -> int:
        """Baseline parameters: one per (type, piece), first in the vector."""
        return self.n_types * self.n_pieces

    @property
    def size(self) -> int:
        """Length of the parameter vector: baselines, then two per kernel."""
        return self.n_baseline + 2 * len(self.kernels)

    def unpack(self, theta: Array) -> tuple[Array, Array, Array]:
        """(mu[type, piece], branching[kernel], decay[kernel]) on natural scales."""
        mu = np.exp(theta[: self.n_baseline]).reshape(self.n_types, self.n_pieces)
        rest = theta[self.n_baseline :]
        return mu, rest[0::2].copy(), np.exp(rest[1::2])

    def pack(self, mu: Array, branching: Array, decay: Array) -> Array:
        """The inverse of `unpack`: natural-scale parameters to the optimiser's vector."""
        rest = np.empty(2 * len(self.kernels))
        rest[0::2] = branching
        rest[1::2] = np.log(decay)
        return np.concatenate([np.log(np.asarray(mu, dtype=float).ravel()), rest])


@dataclass(frozen=True)
class Prepared:
    """Event times per type (ascending, in (0, T]) with each event's baseline piece."""

    times: tuple[Array, ...]
    pieces: tuple[NDArray[np.int64], ...]
    lengths: Array
    """Length of each baseline piece in days."""

    @classmethod
    def build(cls, layout: Layout, times: tuple[Array, ...]) -> Prepared:
        """Each event's baseline piece, found once so the likelihood does not search
        per evaluation; times on the last edge fall in the last piece."""
        edges = np.asarray(layout.breaks)
        pieces = tuple(
            np.clip(np.searchsorted(edges, t, side="right") - 1, 0, layout.n_pieces - 1)
            for t in times
        )
        return cls(tuple(times), pieces, np.diff(edges))


def kernel_sums(
    layout: Layout, data: Prepared, branching: Array, decay: Array
) -> tuple[list[Array], dict[int, tuple[Array, Array]]]:
    """Excitation part of the intensity at each event of each type (without
    the baseline), and each kernel's (A, B) sums."""
    excitation = [np.zeros(t.size) for t in data.times]
    sums: dict[int, tuple[Array, Array]] = {}
    for index, (k, j) in enumerate(layout.kernels):
        a, b = pair_sums(data.times[k], data.times[j], float(decay[index]))
        sums[index] = (a, b)
        excitation[k] = excitation[k] + branching[index] / decay[index] * a
    return excitation, sums


def loglik_and_grad(layout: Layout, data: Prepared, theta: Array) -> tuple[float, Array]:
    """Exact log-likelihood on (0, T] and its gradient in the optimiser's space."""
    mu, branching, decay = layout.unpack(theta)
    excitation, sums = kernel_sums(layout, data, branching, decay)
    return value_and_grad(layout, data, mu, branching, decay, excitation, sums)


def value_and_grad(
    layout: Layout,
    data: Prepared,
    mu: Array,
    branching: Array,
    decay: Array,
    excitation: list[Array],
    sums: dict[int, tuple[Array, Array]],
) -> tuple[float, Array]:
    """The log-likelihood and gradient from precomputed kernel sums."""
    lam = [mu[k, data.pieces[k]] + excitation[k] for k in range(layout.n_types)]
    theta_size = layout.size
    if any(np.any(values <= 0) for values in lam):
        return -np.inf, np.zeros(theta_size)
    horizon = layout.horizon
    total = 0.0
    grad = np.zeros(theta_size)
    inverse = [1.0 / values for values in lam]
    for k in range(layout.n_types):
        total += float(np.sum(np.log(lam[k])))
        total -= float(np.dot(mu[k], data.lengths))
        per_piece = np.bincount(data.pieces[k], weights=inverse[k], minlength=layout.n_pieces)
        start = k * layout.n_pieces
        grad[start : start + layout.n_pieces] = mu[k] * (per_piece - data.lengths)
    base = layout.n_baseline
    for index, (k, j) in enumerate(layout.kernels):
        b, d = branching[index], decay[index]
        a_sum, b_sum = sums[index]
        lag = horizon - data.times[j]
        tail = np.exp(-lag / d)
        compensator = float(np.sum(1.0 - tail))
        total -= b * compensator
        grad[base + 2 * index] = float(np.dot(a_sum, inverse[k])) / d - compensator
        d_lambda_d = b / d**2 * (b_sum / d - a_sum)
        d_comp_d = -b * float(np.sum(lag * tail)) / d**2
        # Chain rule to log decay: multiply by d.
        grad[base + 2 * index + 1] = d * (float(np.dot(d_lambda_d, inverse[k])) - d_comp_d)
    return total, grad


def compensator_at(
    layout: Layout, data: Prepared, theta: Array, type_index: int, at: Array
) -> Array:
    """Lambda_k(t) = int_0^t lambda_k for ascending times `at` (time-rescaling,
    expected counts per day)."""
    mu, branching, decay = layout.unpack(theta)
    edges = np.asarray(layout.breaks)
    cumulative = np.concatenate([[0.0], np.cumsum(mu[type_index] * data.lengths)])
    piece = np.clip(np.searchsorted(edges, at, side="right") - 1, 0, layout.n_pieces - 1)
    out = cumulative[piece] + mu[type_index, piece] * (at - edges[piece])
    for index, (k, j) in enumerate(layout.kernels):
        if k != type_index:
            continue
        a_sum, _ = pair_sums(at, data.times[j], float(decay[index]))
        before = np.searchsorted(data.times[j], at, side="left")
        out = out + branching[index] * (before - a_sum)
    return np.asarray(out, dtype=np.float64)


@numba.njit(cache=False)
def _solve_piece(phi: Array, length: float, start: float, floor: float) -> float:
    """The argmax over mu >= floor of sum log(mu + phi_i) - mu * length: the root
    of g(mu) = sum 1/(mu + phi_i) - length, decreasing in mu, bracketed by
    [floor, n / length]; Newton steps, bisection when they leave the bracket."""
    n = phi.shape[0]
    if n == 0:
        return floor
    low, high = floor, n / length
    g = 0.0
    for i in range(n):
        g += 1.0 / (low + phi[i])
    if g <= length:
        return floor
    mu = min(max(start, low), high)
    for _ in range(200):
        g = 0.0
        slope = 0.0
        for i in range(n):
            inv = 1.0 / (mu + phi[i])
            g += inv
            slope -= inv * inv
        g -= length
        if g > 0:
            low = mu
        else:
            high = mu
        step = mu - g / slope
        if not (low < step < high):
            step = 0.5 * (low + high)
        if abs(step - mu) <= 1e-13 * mu:
            return float(step)
        mu = step
    return float(mu)


def solve_baselines(
    layout: Layout, data: Prepared, excitation: list[Array], start: Array, floor: float
) -> Array:
    """The baselines that maximise the likelihood given the kernels.

    For fixed kernels the likelihood separates over (type, piece), each a
    concave one-dimensional problem, so the baselines need not be searched
    by the outer optimiser: it then moves only the kernels' few parameters,
    which took a monthly two-type fit from thousands of iterations to tens.
    """
    mu = np.empty((layout.n_types, layout.n_pieces))
    edges = np.asarray(layout.breaks)
    for k in range(layout.n_types):
        cuts = np.searchsorted(data.times[k], edges[1:-1], side="left")
        bounds = np.concatenate([[0], cuts, [data.times[k].size]])
        for p in range(layout.n_pieces):
            phi = excitation[k][bounds[p] : bounds[p + 1]]
            mu[k, p] = _solve_piece(phi, float(data.lengths[p]), float(start[k, p]), floor)
    return mu
