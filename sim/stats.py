"""Statistics over replications: probabilities with Wilson intervals, bands.

Wilson score intervals (Wilson 1927, JASA 22:209) are used pointwise, per day:
they stay inside [0, 1] and keep close to nominal coverage for the small and
large probabilities spillover questions produce, where the normal
approximation fails. A pointwise band is not a simultaneous band: at 95% per
day, the whole true curve lies inside it in only about half of all runs (the
days' errors are many chances to step out). `dkw_band` gives a band for the
whole curve at once (Dvoretzky, Kiefer & Wolfowitz 1956, with Massart's 1990
tight constant); charts say which band they draw.

In a nested design (K parameter draws x M replications each) replications
sharing a draw are correlated, so the intervals count clusters, not
replications: `clustered_wilson_interval` (Wilson with Kish's effective sample
size) and `dkw_band` with n = K.
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


def clustered_wilson_interval(
    shares: np.ndarray, per_cluster: int, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson interval of a proportion estimated from K equal clusters.

    In the nested design each of K parameter draws runs M replications; the
    replications of one draw share its parameters, so they are positively
    correlated and K M of them carry less information than K M independent
    ones. The interval is Wilson's at Kish's effective sample size
    n_eff = p (1 - p) / Var(p_hat), with Var(p_hat) = s^2 / K from the
    between-cluster variance s^2 of the clusters' shares (Kish 1965, Survey
    Sampling, ch. 8; Korn & Graubard 1998, Survey Methodology 24:193, for the
    effective-size Wilson interval). n_eff is held in [K, K M]: the design
    effect of clusters of M lies between 1 (the draws do not matter) and M
    (they decide everything). With M = 1 it is the plain Wilson interval.

    Args:
        shares: (K, ...) each cluster's share of replications in which the
            event happened (elementwise over the trailing axes, e.g. days).
        per_cluster: M, the replications per cluster.
        z: the normal quantile of the interval's level.

    Returns:
        (lower, upper), each shaped like `shares[0]`.
    """
    k = shares.shape[0]
    n = k * per_cluster
    p = shares.mean(axis=0)
    between = shares.var(axis=0, ddof=1) if k > 1 else np.zeros_like(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(between > 0, p * (1 - p) * k / between, float(n))
    n_eff = np.clip(np.nan_to_num(n_eff, nan=float(n)), k, n)
    lower, upper = wilson_interval(p * n_eff, n_eff, z)
    return np.asarray(lower), np.asarray(upper)


def dkw_half_width(n: float, alpha: float = 0.05) -> float:
    """Half-width of the simultaneous 1 - alpha band of an empirical CDF from
    n independent draws: eps = sqrt(ln(2 / alpha) / (2 n)).

    Dvoretzky-Kiefer-Wolfowitz inequality with Massart's constant (Massart
    1990, Ann. Probab. 18:1269): P(sup_t |F_n(t) - F(t)| > eps) <=
    2 exp(-2 n eps^2) for every distribution F, continuous or not, so the
    band holds for the whole probability-by-day curve at once (a time to an
    outcome, censored at the horizon, is such a distribution). It is
    conservative for a curve read on a grid of days (fewer chances to leave).
    """
    if n <= 0 or not 0 < alpha < 1:
        raise ValueError("need n > 0 and 0 < alpha < 1")
    return float(np.sqrt(np.log(2 / alpha) / (2 * n)))


def dkw_band(curve: np.ndarray, n: float, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """The simultaneous 1 - alpha band around an empirical curve from n
    independent replications (see `dkw_half_width`), clipped to [0, 1].

    For a nested design pass n = K, the number of parameter draws: the
    predictive curve is then the mean of K independent draw curves, each a
    distribution function averaging to the true curve. Writing each draw
    curve as the conditional mean of one indicator curve shows (Jensen's
    inequality) that the sup deviation of their average is smaller in convex
    order than that of the empirical CDF of K independent points, the case
    M = 1 where DKW at n = K holds exactly. So n = K is the right scale, and
    with DKW's own slack it kept at least 95% whole-curve coverage for every
    M tried (tests/test_stats.py); the price is width when the draws matter
    little and M is large, where a run without `--param-draws` gives the
    tighter band. A draw-level bootstrap of the sup
    deviation was the alternative: narrower, but it under-covers with the
    tens of draws a run affords and would make the band depend on a
    resampling seed.
    """
    eps = dkw_half_width(n, alpha)
    values = np.asarray(curve, dtype=float)
    return np.clip(values - eps, 0.0, 1.0), np.clip(values + eps, 0.0, 1.0)


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
