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
    """Median and 5-95% band along an axis."""
    q = np.quantile(values, [0.05, 0.5, 0.95], axis=axis)
    return q[1], q[0], q[2]


def paired_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean difference of paired 0/1 outcomes b - a with a 95% normal interval
    on the per-replication differences (valid for paired designs with common
    random numbers)."""
    d = b.astype(float) - a.astype(float)
    mean = float(d.mean())
    se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")
    return mean, mean - Z95 * se, mean + Z95 * se
