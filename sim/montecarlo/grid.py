"""The fixed grids a run's replications are summarised on.

Every replication is reduced to the same arrays (outcome times, counts, the
level at each day, counts per calendar month and per observed window) so that
results from any number of workers stack into one table, and statistics never
need the raw event logs.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Layout:
    """The grid every replication of one scenario is binned on: days, calendar
    months and the scenario's observed windows, all as day offsets from the
    start date (day 0). Fixed by the scenario alone, so tables from any number of
    workers, or from batches added by `--precision`, stack row by row."""

    day_grid: np.ndarray
    """Days 0, 1, ..., floor(horizon) (and the horizon itself if fractional)."""
    month_edges: np.ndarray
    """Day offsets of calendar month boundaries, from 0 to the horizon."""
    month_labels: tuple[str, ...]
    """'2024-08' etc., one per month bucket; partial months are marked '*'."""
    windows: tuple[tuple[str, float, float, int], ...]
    """Observed windows: (event, first day, day after last, observed count)."""


def first_of_next_month(day: dt.date) -> dt.date:
    """The first day of the calendar month after `day`'s (December rolls over to
    January of the next year)."""
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def make_layout(s: Scenario) -> Layout:
    """The grid for scenario `s`: whole days up to its horizon, its calendar
    months (the first and last may be partial, labelled with '*'), and every
    one of its observed windows (the scenario's loader checks they fit)."""
    horizon = s.horizon_days
    grid = np.arange(0, math.floor(horizon) + 1, dtype=float)
    if grid[-1] < horizon:
        grid = np.append(grid, horizon)
    edges = [0.0]
    labels = []
    month_start = s.start_date
    while edges[-1] < horizon:
        nxt = first_of_next_month(month_start)
        edge = min(float((nxt - s.start_date).days), horizon)
        partial = month_start.day != 1 or edge < float((nxt - s.start_date).days)
        labels.append(month_start.strftime("%Y-%m") + ("*" if partial else ""))
        edges.append(edge)
        month_start = nxt
    windows = tuple(
        (event, s.day_of(obs.from_), s.day_of(obs.to) + 1.0, obs.count)
        for event, observations in s.observed.items()
        for obs in observations
    )
    return Layout(grid, np.array(edges), tuple(labels), windows)
