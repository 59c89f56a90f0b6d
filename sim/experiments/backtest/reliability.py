"""Calibration and sharpness tables for binary forecasts.

Calibration: among the questions given probability about p, the event should
happen about a share p of the time. The reliability table bins the forecasts
and sets each bin's mean forecast beside its observed frequency, with a 95%
Wilson interval for the frequency (Brocker & Smith 2007, Wea. Forecasting
22:651 argue for showing this sampling uncertainty). With few questions, bins
would hold one or two each and their frequencies mean little, so the table
then has one row per question (its forecast against 0 or 1). Sharpness: how
far from the base rate the forecasts dare to go (Gneiting, Balabdaoui &
Raftery 2007), shown as a histogram of the forecasts.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from sim.stats import wilson_interval

SPARSE_BELOW = 10
"""Under this many forecasts the reliability table lists each question."""


def _bin_edges(bins: int) -> np.ndarray:
    if bins < 1:
        raise ValueError("need at least one bin")
    return np.linspace(0.0, 1.0, bins + 1)


def _bin_of(probability: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index with the right edge closed on the last bin (so p = 1 counts)."""
    return np.clip(np.searchsorted(edges, probability, side="right") - 1, 0, edges.size - 2)


def reliability_table(
    forecasts: pd.DataFrame, bins: int = 10, sparse_below: int = SPARSE_BELOW
) -> pd.DataFrame:
    """Forecast probability against observed frequency.

    Args:
        forecasts: columns `probability` (the forecast) and `happened` (0/1);
            `id` if present labels sparse rows.
        bins: equal-width bins on [0, 1].
        sparse_below: with fewer forecasts than this, one row per forecast.

    Returns:
        Columns `kind` ('bin' or 'question'), `label`, `bin_lower`,
        `bin_upper`, `forecasts`, `forecast` (mean forecast), `observed`
        (frequency), `lower`, `upper` (95% Wilson interval of the frequency).
    """
    p = forecasts["probability"].to_numpy(dtype=float)
    o = forecasts["happened"].to_numpy(dtype=float)
    if p.size < sparse_below:
        lower, upper = wilson_interval(o, np.ones_like(o))
        labels = forecasts["id"] if "id" in forecasts else pd.Series(range(p.size))
        return cast(
            pd.DataFrame,
            pd.DataFrame(
                {
                    "kind": "question",
                    "label": labels.astype(str).to_numpy(),
                    "bin_lower": np.nan,
                    "bin_upper": np.nan,
                    "forecasts": 1,
                    "forecast": p,
                    "observed": o,
                    "lower": lower,
                    "upper": upper,
                }
            ),
        )
    edges = _bin_edges(bins)
    index = _bin_of(p, edges)
    rows = []
    for b in range(bins):
        chosen = index == b
        n = int(chosen.sum())
        if n == 0:
            continue
        hits = int(o[chosen].sum())
        lower, upper = wilson_interval(hits, n)
        rows.append(
            {
                "kind": "bin",
                "label": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                "bin_lower": edges[b],
                "bin_upper": edges[b + 1],
                "forecasts": n,
                "forecast": float(p[chosen].mean()),
                "observed": hits / n,
                "lower": float(lower),
                "upper": float(upper),
            }
        )
    return cast(pd.DataFrame, pd.DataFrame(rows))


def sharpness_table(forecasts: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """How many forecasts fall in each probability bin (all bins listed)."""
    p = forecasts["probability"].to_numpy(dtype=float)
    edges = _bin_edges(bins)
    counts = np.bincount(_bin_of(p, edges), minlength=bins) if p.size else np.zeros(bins, int)
    return cast(
        pd.DataFrame,
        pd.DataFrame(
            {"bin_lower": edges[:-1], "bin_upper": edges[1:], "forecasts": counts.astype(int)}
        ),
    )
