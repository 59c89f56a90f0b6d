"""Tidy tables (pandas) from a run's arrays: what charts, files and notebooks read.

Each function takes the scenario, its layout and the run table and returns a
long-format frame with calendar dates beside day offsets, so charts never
recompute statistics and a user can filter or join without reshaping.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from sim.montecarlo.grid import Layout
from sim.montecarlo.table import RunTable
from sim.scenario.schema import Scenario
from sim.stats import (
    dkw_band,
    level_shares,
    probability_by_day,
    quantile_band,
    wilson_interval,
)


def dates(s: Scenario, days: np.ndarray | list[float]) -> pd.DatetimeIndex:
    """Calendar timestamps of day offsets from the scenario's start (day 0 is
    `start_date` at midnight; fractional days give times of day)."""
    return cast(
        pd.DatetimeIndex,
        pd.Timestamp(s.start_date) + pd.to_timedelta(np.asarray(days, dtype=float), unit="D"),
    )


def outcome_curves(s: Scenario, layout: Layout, table: RunTable) -> pd.DataFrame:
    """P(outcome by day d) per outcome, with two 95% bands: `lower`/`upper`,
    the pointwise Wilson interval (each day on its own), and
    `simultaneous_lower`/`simultaneous_upper`, the DKW band that holds the
    whole curve at once (`sim.stats.dkw_band`)."""
    n = len(table)
    frames = []
    for col, outcome in enumerate(s.outcomes):
        p = probability_by_day(table.outcome_days[:, col], layout.day_grid)
        lo, hi = wilson_interval(np.rint(p * n), n)
        slo, shi = dkw_band(p, n)
        frames.append(
            pd.DataFrame(
                {
                    "outcome": outcome,
                    "label": s.outcome_label(outcome),
                    "day": layout.day_grid,
                    "date": dates(s, layout.day_grid),
                    "probability": p,
                    "lower": lo,
                    "upper": hi,
                    "simultaneous_lower": slo,
                    "simultaneous_upper": shi,
                    "replications": n,
                }
            )
        )
    return cast(pd.DataFrame, pd.concat(frames, ignore_index=True))


def outcome_summary(s: Scenario, table: RunTable) -> pd.DataFrame:
    """Per outcome: probability by the horizon with its interval, and the
    distribution of the time it happens (among replications where it does)."""
    n = len(table)
    rows = []
    for col, outcome in enumerate(s.outcomes):
        days = table.outcome_days[:, col]
        hit = days[~np.isnan(days)]
        lo, hi = wilson_interval(hit.size, n)
        q = np.quantile(hit, [0.05, 0.25, 0.5, 0.75, 0.95]) if hit.size else [np.nan] * 5
        rows.append(
            {
                "outcome": outcome,
                "label": s.outcome_label(outcome),
                "replications": n,
                "happened": int(hit.size),
                "probability": hit.size / n,
                "lower": float(lo),
                "upper": float(hi),
                "day_p05": q[0],
                "day_p25": q[1],
                "day_median": q[2],
                "day_p75": q[3],
                "day_p95": q[4],
            }
        )
    return cast(pd.DataFrame, pd.DataFrame(rows))


def first_times(s: Scenario, table: RunTable) -> pd.DataFrame:
    """Long table of each replication's first time per outcome (NaN: never)."""
    return cast(
        pd.DataFrame,
        pd.DataFrame(
            {
                "rep": np.repeat(table.reps, len(s.outcomes)),
                "outcome": np.tile(list(s.outcomes), len(table)),
                "day": table.outcome_days.reshape(-1),
            }
        ),
    )


def level_distribution(s: Scenario, layout: Layout, table: RunTable) -> pd.DataFrame:
    """Share of replications at each ladder rung, per day."""
    shares = level_shares(table.level_by_day, len(s.ladder))
    frame = pd.DataFrame(shares, columns=list(s.ladder))
    frame.insert(0, "date", dates(s, layout.day_grid))
    frame.insert(0, "day", layout.day_grid)
    return cast(
        pd.DataFrame,
        frame.melt(id_vars=["day", "date"], var_name="rung_name", value_name="share").assign(
            rung=lambda f: f["rung_name"].map({name: i for i, name in enumerate(s.ladder)})
        ),
    )


def monthly_counts(s: Scenario, layout: Layout, table: RunTable) -> pd.DataFrame:
    """Per event type and calendar month: median, 5-95% band and mean count
    (`from_date` and `to_date` are the month's first and last days, inclusive)."""
    rows = []
    starts, ends = layout.month_edges[:-1], layout.month_edges[1:]
    for e, event in enumerate(s.events):
        med, lo, hi = quantile_band(table.monthly_counts[:, e, :].astype(float))
        mean = table.monthly_counts[:, e, :].mean(axis=0)
        for m, label in enumerate(layout.month_labels):
            rows.append(
                {
                    "event": event,
                    "label": s.event_label(event),
                    "month": label,
                    "from_day": starts[m],
                    "to_day": ends[m],
                    "from_date": dates(s, starts[m : m + 1])[0],
                    "to_date": dates(s, ends[m : m + 1] - 1)[0],
                    "median": med[m],
                    "p05": lo[m],
                    "p95": hi[m],
                    "mean": mean[m],
                }
            )
    return cast(pd.DataFrame, pd.DataFrame(rows))


def observed_vs_simulated(s: Scenario, layout: Layout, table: RunTable) -> pd.DataFrame:
    """Each documented window beside the simulated count in the same window,
    with the share of replications at or above the documented count; then the
    history's calendar months (observed before the start, nothing simulated:
    `kind` says which), so charts show where a forecast starts from."""
    columns = [
        "kind",
        "event",
        "label",
        "from_day",
        "to_day",
        "from_date",
        "to_date",
        "observed",
        "sim_median",
        "sim_p05",
        "sim_p95",
        "sim_mean",
        "share_at_or_above_observed",
    ]
    rows = []
    for w, (event, lo, hi, observed) in enumerate(layout.windows):
        sim = table.window_counts[:, w].astype(float)
        med, p05, p95 = quantile_band(sim)
        rows.append(
            {
                "kind": "documented",
                "event": event,
                "label": s.event_label(event),
                "from_day": lo,
                "to_day": hi,
                "from_date": dates(s, [lo])[0],
                "to_date": dates(s, [hi - 1])[0],
                "observed": observed,
                "sim_median": float(med),
                "sim_p05": float(p05),
                "sim_p95": float(p95),
                "sim_mean": float(sim.mean()),
                "share_at_or_above_observed": float(np.mean(sim >= observed)),
            }
        )
    rows += history_months(s)
    return cast(pd.DataFrame, pd.DataFrame(rows, columns=columns))


def history_months(s: Scenario) -> list[dict[str, object]]:
    """Observed counts per calendar month of the history (the first month from
    the first history date, the last up to the day before the start)."""
    rows: list[dict[str, object]] = []
    if s.history is None:
        return rows
    for event, when in s.history.events.items():
        if event not in s.events or not when:
            continue
        months = pd.Series(1, index=pd.to_datetime(sorted(when))).resample("MS").sum()
        for first_day, count in months.items():
            first = pd.Timestamp(str(first_day))
            start = max(first.date(), min(when))
            end = min((first + pd.offsets.MonthEnd(0)).date(), s.date_of(-1))
            rows.append(
                {
                    "kind": "history",
                    "event": event,
                    "label": s.event_label(event),
                    "from_day": s.day_of(start),
                    "to_day": s.day_of(end) + 1,
                    "from_date": pd.Timestamp(start),
                    "to_date": pd.Timestamp(end),
                    "observed": int(count),
                    "sim_median": np.nan,
                    "sim_p05": np.nan,
                    "sim_p95": np.nan,
                    "sim_mean": np.nan,
                    "share_at_or_above_observed": np.nan,
                }
            )
    return rows


def replication_rows(s: Scenario, table: RunTable) -> pd.DataFrame:
    """One row per replication: outcome first days, counts, levels, and the
    parameters it drew (a column per uncertain parameter, by dotted path)."""
    data: dict[str, np.ndarray] = {"rep": table.reps}
    for col, outcome in enumerate(s.outcomes):
        data[f"day_{outcome}"] = table.outcome_days[:, col]
    for col, event in enumerate(s.events):
        data[f"n_{event}"] = table.counts[:, col]
    data["max_level"] = table.max_level
    data["final_level"] = table.final_level
    data["simpy_events"] = table.simpy_events
    for col, path in enumerate(s.uncertain):  # each replication's drawn parameters
        data[path] = table.parameters[:, col]
    return cast(pd.DataFrame, pd.DataFrame(data))
