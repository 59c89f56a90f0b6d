"""Bootstrap intervals for mean scores and score differences.

Two designs:

- questions in a set are taken as exchangeable: a plain bootstrap over
  questions (Efron & Tibshirani 1993, ch. 13, percentile intervals);
- scores at successive forecast origins are serially correlated (windows
  overlap when the lead exceeds the spacing, and conflict tempo itself
  persists): a moving block bootstrap (Kunsch 1989, Ann. Stat. 17:1217)
  resamples runs of consecutive origins, all event types of an origin
  together, so both the serial and the cross-type correlation survive.

Every function takes a `numpy.random.Generator`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_REPS = 2000


def block_length(origins: int, lead_days: float, every_days: float) -> int:
    """Block length for a moving block bootstrap over forecast origins.

    ceil(lead/every) origins share part of their lead window, so a block must
    be longer than that to keep the dependence the overlap creates; one more
    origin covers the persistence of the conflict's tempo from one window to
    the next. The rate n^(1/3) is the MSE-optimal order for variance
    estimation (Hall, Horowitz & Jing 1995, Biometrika 82:561); the longer of
    the two is used, and never more than the series.
    """
    if origins < 1 or lead_days <= 0 or every_days <= 0:
        raise ValueError("block_length needs origins >= 1 and positive lead and every")
    overlap = math.ceil(lead_days / every_days) + 1
    return int(max(1, min(origins, max(overlap, math.ceil(origins ** (1 / 3))))))


def fewest_origins(lead_days: float, every_days: float) -> int:
    """The fewest origins whose moving block bootstrap resamples anything: more
    than one block (`block_length`), since with a single block every resample
    is the series itself and the "interval" has zero width; and at least three,
    as n^(1/3) rounds up to two (the cube root rule's whole series at n = 2)."""
    if lead_days <= 0 or every_days <= 0:
        raise ValueError("fewest_origins needs positive lead and every")
    return max(3, math.ceil(lead_days / every_days) + 2)


def moving_block_indices(n: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of one moving-block resample of a series of length n: blocks of
    `block` consecutive indices starting uniformly in [0, n - block], joined
    and cut to n."""
    if not 1 <= block <= n:
        raise ValueError(f"block length must lie in [1, {n}], got {block}")
    starts = rng.integers(0, n - block + 1, size=math.ceil(n / block))
    return (starts[:, None] + np.arange(block)[None, :]).ravel()[:n]


@dataclass(frozen=True)
class Interval:
    """A point estimate with a bootstrap percentile interval."""

    estimate: float
    lower: float
    upper: float
    se: float

    def as_dict(self, prefix: str) -> dict[str, float]:
        """Flat columns `prefix`, `prefix_lower`, `prefix_upper`, `prefix_se` for a
        tidy one-row-per-comparison table."""
        return {
            prefix: self.estimate,
            f"{prefix}_lower": self.lower,
            f"{prefix}_upper": self.upper,
            f"{prefix}_se": self.se,
        }


Statistic = Callable[[np.ndarray], np.ndarray]
"""Maps rows (resampled or not) to a vector of estimates."""


def _interval(estimate: float, samples: np.ndarray, level: float) -> Interval:
    finite = samples[np.isfinite(samples)]
    if finite.size < 2:
        return Interval(estimate, float("nan"), float("nan"), float("nan"))
    alpha = (1 - level) / 2
    lo, hi = np.quantile(finite, [alpha, 1 - alpha])
    return Interval(estimate, float(lo), float(hi), float(finite.std(ddof=1)))


def bootstrap(
    data: np.ndarray,
    statistic: Statistic,
    rng: np.random.Generator,
    block: int = 1,
    reps: int = BOOTSTRAP_REPS,
    level: float = 0.95,
) -> list[Interval]:
    """Percentile intervals of each entry of `statistic(data)`, resampling the
    rows of `data` (one set of resamples for all entries, so intervals of
    related quantities are computed on the same draws).

    Args:
        data: rows are the units resampled (questions, or origins in time
            order); columns are whatever the statistic needs of a row.
        statistic: maps an array shaped like `data` to a 1-D array of estimates.
        rng: the generator all resamples are drawn from.
        block: 1 for the plain bootstrap; more for a moving block bootstrap.
        reps: bootstrap resamples.
        level: coverage of the intervals.
    """
    rows = np.asarray(data)
    n = rows.shape[0]
    estimates = np.atleast_1d(np.asarray(statistic(rows), dtype=float))
    if n < 2:
        return [_interval(float(e), np.array([]), level) for e in estimates]
    samples = np.empty((reps, estimates.size))
    for i in range(reps):
        index = rng.integers(0, n, size=n) if block == 1 else moving_block_indices(n, block, rng)
        samples[i] = statistic(rows[index])
    return [_interval(float(e), samples[:, j], level) for j, e in enumerate(estimates)]


def _mean(values: np.ndarray) -> float:
    """Mean over the finite entries (the plain mean when all are, which is
    the common case and ten times cheaper than nanmean)."""
    finite = np.isfinite(values)
    if finite.all():
        return float(values.mean())
    return float(values[finite].mean()) if finite.any() else float("nan")


def mean_and_skill(score: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """[mean score, mean reference, mean difference, skill 1 - mean/mean_ref]
    over all finite entries (the statistic the backtests bootstrap)."""
    s, r = _mean(score), _mean(reference)
    return np.array([s, r, s - r, 1.0 - s / r if r != 0 else float("nan")])
