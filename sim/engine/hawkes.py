"""Pure functions for exponential-kernel Hawkes intensities.

With kernels b * exp(-(t-u)/d) / d, each kernel's contribution is a single
decaying sum S (of exp(-(t-u)/d) over past parents) that can be carried
forward in O(1). Between occurrences the intensity only decays, so its value
now is a valid Ogata thinning bound until the next jump (Ogata 1981, "On
Lewis' simulation method for point processes", IEEE Trans. Inf. Theory 27).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


class Kernel:
    """One exponential kernel of a stream: parents of one event type."""

    __slots__ = ("branching", "coef", "decay_days", "inv_decay", "source", "total", "updated_at")

    def __init__(self, source: int, branching: float, decay_days: float):
        self.source = source
        self.branching = branching
        self.decay_days = decay_days
        self.coef = branching / decay_days
        self.inv_decay = 1.0 / decay_days
        self.total = 0.0
        """Sum of exp(-(updated_at - u)/d) over parents u seen so far."""
        self.updated_at = 0.0

    def add_history(self, times: Sequence[float], cache: dict[tuple[int, float], float]) -> None:
        """Start from past parents (times before day 0): their excitation has
        decayed to exp(u/d) of a fresh parent's by day 0. The sum depends only on
        the source's history and the decay, so `cache` (the model's) keeps it."""
        key = (self.source, self.decay_days)
        total = cache.get(key)
        if total is None:
            total = cache[key] = float(sum(math.exp(u * self.inv_decay) for u in times))
        self.total = total
        self.updated_at = 0.0

    def add_parent(self, t: float) -> None:
        """Count a new parent at day t: decay the running total to t, then add one
        fresh parent (weight 1), so the intensity stays O(1) per event (Ogata 1981)."""
        self.total = self.total * math.exp((self.updated_at - t) * self.inv_decay) + 1.0
        self.updated_at = t

    def term(self, t: float) -> float:
        """This kernel's contribution to the intensity at t (before scaling)."""
        if self.total == 0.0:
            return 0.0
        return self.coef * self.total * math.exp((self.updated_at - t) * self.inv_decay)


def pick_parent(parent_times: Sequence[float], t: float, inv_decay: float, share: float) -> int:
    """Index of the parent (among `parent_times`, ascending) an offspring at t
    descends from, when `share` in [0, 1) is a uniform draw scaled to this
    kernel's total weight: parents are weighed by exp(-(t-u)/d), scanning back
    from the latest, where nearly all the weight is."""
    weights_total = sum(math.exp((u - t) * inv_decay) for u in parent_times[-64:])
    # Recent parents dominate; fall back to the full scan only if needed.
    if len(parent_times) > 64:
        older = sum(math.exp((u - t) * inv_decay) for u in parent_times[:-64])
        weights_total += older
    target = share * weights_total
    acc = 0.0
    for index in range(len(parent_times) - 1, -1, -1):
        acc += math.exp((parent_times[index] - t) * inv_decay)
        if acc > target:
            return index
    return 0


def expected_count_subcritical(
    rate: float, branching: float, decay_days: float, horizon_days: float
) -> float:
    """E[N(0, T)] for a univariate Hawkes process with exponential kernel,
    started with no history: the mean intensity m(t) solves
    m' = (rate - (1-n) m) / d with m(0) = rate, and integrating it gives
    E N(T) = rate*T/(1-n) - rate*n*d/(1-n)^2 * (1 - exp(-(1-n)T/d)).
    """
    n, d = branching, decay_days
    if n >= 1:
        raise ValueError("branching must be below 1")
    return rate * horizon_days / (1 - n) - rate * n * d / (1 - n) ** 2 * (
        1 - math.exp(-(1 - n) * horizon_days / d)
    )
