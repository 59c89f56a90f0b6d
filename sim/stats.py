"""Statistics over replications: probabilities with Wilson intervals, bands.

Wilson score intervals (Wilson 1927, JASA 22:209) are used pointwise, per day:
they stay inside [0, 1] and keep close to nominal coverage for the small and
large probabilities spillover questions produce, where the normal
approximation fails. A pointwise band is not a simultaneous band; charts say so.
"""

from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054


def wilson_interval(
    hits: np.ndarray | int, n: np.ndarray | int, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson score interval for hits out of n (elementwise)."""
    k = np.asarray(hits, dtype=float)
    m = np.asarray(n, dtype=float)
    p = np.divide(k, m, out=np.zeros_like(k), where=m > 0)
    denom = 1 + z**2 / m
    centre = (p + z**2 / (2 * m)) / denom
    half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
    # Exact at the edges (rounding would otherwise leave 1e-18 or 1 - 1e-16).
    lower = np.where(k <= 0, 0.0, np.clip(centre - half, 0, 1))
    upper = np.where(k >= m, 1.0, np.clip(centre + half, 0, 1))
    return lower, upper


def probability_by_day(first_days: np.ndarray, day_grid: np.ndarray) -> np.ndarray:
    """Share of replications whose first time is <= each day (NaN: never)."""
    done = np.sort(first_days[~np.isnan(first_days)])
    return np.searchsorted(done, day_grid, side="right") / max(first_days.size, 1)


def level_shares(level_by_day: np.ndarray, levels: int) -> np.ndarray:
    """(days, levels): share of replications at each rung on each day."""
    out = np.zeros((level_by_day.shape[1], levels))
    for rung in range(levels):
        out[:, rung] = np.mean(level_by_day == rung, axis=0)
    return out


def quantile_band(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and 5-95% band across replications (along `axis`), returned as
    (median, 5%, 95%): the median first, not in the quantiles' order."""
    q = np.quantile(values, [0.05, 0.5, 0.95], axis=axis)
    return q[1], q[0], q[2]


def paired_difference(a: np.ndarray, b: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """Difference of paired 0/1 outcomes, mean(b) - mean(a), with a 95% interval.

    Newcombe's hybrid score interval for paired proportions (Newcombe 1998,
    Stat Med 17:2635, method 10): it combines each margin's Wilson interval
    with the correlation of the pairs, so it stays inside [-1, 1] and is never
    degenerate at 0 or 1, unlike the normal interval of the differences (which
    gave [-1, -1] when every pair differed the same way). When no pair differs
    the difference is exactly 0, and its interval is bounded by the Wilson
    upper limit of the rate of differing pairs (0 of n): a difference can only
    come from pairs that differ.
    """
    x, y = a.astype(bool), b.astype(bool)
    n = x.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    e, f, g, h = (int(np.sum(v)) for v in (x & y, x & ~y, ~x & y, ~x & ~y))
    diff = (g - f) / n
    if f == 0 and g == 0:
        bound = float(wilson_interval(0, n, z)[1])
        return 0.0, -bound, bound
    p1, p2 = (e + f) / n, (e + g) / n
    l1, u1 = (float(v) for v in wilson_interval(e + f, n, z))
    l2, u2 = (float(v) for v in wilson_interval(e + g, n, z))
    margins = (e + f) * (g + h) * (e + g) * (f + h)
    phi = (e * h - f * g) / np.sqrt(margins) if margins > 0 else 0.0
    lower = diff - np.sqrt(
        max((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2, 0.0)
    )
    upper = diff + np.sqrt(
        max((u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2, 0.0)
    )
    return diff, float(max(lower, -1.0)), float(min(upper, 1.0))


def independent_difference(
    hits_a: int, n_a: int, hits_b: int, n_b: int, z: float = Z95
) -> tuple[float, float, float]:
    """Difference of two independent proportions, b - a, with Newcombe's hybrid
    score interval (Newcombe 1998, Stat Med 17:873, method 10): inside [-1, 1]
    and not degenerate when a proportion is 0 or 1 (the Wald interval is)."""
    p1, p2 = hits_a / n_a, hits_b / n_b
    l1, u1 = (float(v) for v in wilson_interval(hits_a, n_a, z))
    l2, u2 = (float(v) for v in wilson_interval(hits_b, n_b, z))
    diff = p2 - p1
    lower = diff - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = diff + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return diff, float(max(lower, -1.0)), float(min(upper, 1.0))
