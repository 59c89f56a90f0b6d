"""Goodness of fit: time-rescaling residuals, fitted vs observed daily counts,
the branching matrix.

Time rescaling (Brown et al. 2002, "The time-rescaling theorem and its
application to neural spike train data analysis", Neural Comput. 14): if the
model is right, the gaps between successive values of the compensator
Lambda_k(t_i) at a type's events are independent Exp(1). A Kolmogorov-Smirnov
test of the gaps against Exp(1) and a QQ plot check that. With
day-resolution data the compensator is evaluated at the same seeded
within-day placement the fit used (estimate.py), so the test checks the
placed times: it inherits their randomness, which matters little when
decays are a day or more. With tens of thousands of events the KS test has
the power to reject any model of real data; a rejection is reported, not
hidden, and the QQ chart shows where the fit departs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.eventdata.data import EventData
from sim.experiments.fit.likelihood import Array, Layout, Prepared, compensator_at

KS_LEVEL = 0.05
QQ_POINTS = 2000
"""At most this many quantiles per event type in the QQ frame."""


@dataclass(frozen=True)
class GoodnessOfFit:
    """Checks of a fitted process by the time-rescaling theorem (Brown et al. 2002):
    rescaled inter-event gaps of a correct model are i.i.d. Exp(1)."""

    ks: pd.DataFrame
    """event, n, statistic, p_value, passed (at the 5% level)."""
    qq: pd.DataFrame
    """event, theoretical, observed: Exp(1) quantiles against sorted rescaled gaps."""
    daily: pd.DataFrame
    """event, date, day, observed, expected: counts per day and the fitted
    expectation (the compensator's increase over the day)."""
    residuals: pd.DataFrame
    """event, time, rescaled, gap: every event's compensator value and gap."""
    warnings: tuple[str, ...]


def goodness_of_fit(
    data: EventData, events: tuple[str, ...], layout: Layout, prepared: Prepared, theta: Array
) -> GoodnessOfFit:
    """Rescaled-gap KS tests, QQ points, daily expected-vs-observed counts and
    residuals for each event type, with warnings for types that fail at 5%."""
    ks_rows, qq_parts, daily_parts, residual_parts, warnings = [], [], [], [], []
    edges = np.arange(0.0, data.period_days + 1e-9, 1.0)
    dates = [data.start + dt.timedelta(days=int(d)) for d in edges[:-1]]
    for k, event in enumerate(events):
        times = prepared.times[k]
        rescaled = compensator_at(layout, prepared, theta, k, times)
        gaps = np.diff(np.concatenate([[0.0], rescaled]))
        residual_parts.append(
            pd.DataFrame({"event": event, "time": times, "rescaled": rescaled, "gap": gaps})
        )
        test = stats.kstest(gaps, "expon")
        passed = bool(test.pvalue >= KS_LEVEL)
        ks_rows.append(
            {
                "event": event,
                "n": int(gaps.size),
                "statistic": float(test.statistic),
                "p_value": float(test.pvalue),
                "passed": passed,
            }
        )
        if not passed:
            warnings.append(
                f"{event}: the time-rescaling KS test rejects the fitted model "
                f"(D = {test.statistic:.4f}, p = {test.pvalue:.2g}, n = {gaps.size}); "
                "see the QQ chart for where it departs"
            )
        n = gaps.size
        probs = (np.arange(1, n + 1) - 0.5) / n
        keep = np.unique(np.linspace(0, n - 1, min(n, QQ_POINTS)).astype(int))
        qq_parts.append(
            pd.DataFrame(
                {
                    "event": event,
                    "theoretical": -np.log1p(-probs[keep]),
                    "observed": np.sort(gaps)[keep],
                }
            )
        )
        expected = np.diff(compensator_at(layout, prepared, theta, k, edges))
        daily_parts.append(
            pd.DataFrame(
                {
                    "event": event,
                    "date": pd.to_datetime(dates),
                    "day": edges[:-1],
                    "observed": data.daily_counts(event)[: len(dates)],
                    "expected": expected,
                }
            )
        )
    return GoodnessOfFit(
        ks=pd.DataFrame(ks_rows),
        qq=pd.concat(qq_parts, ignore_index=True),
        daily=pd.concat(daily_parts, ignore_index=True),
        residuals=pd.concat(residual_parts, ignore_index=True),
        warnings=tuple(warnings),
    )
