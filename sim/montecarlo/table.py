"""The per-replication table of a run, as columnar arrays, and how a chunk of
replications is reduced to it. Both engines (SimPy and the compiled fast
path) return this table; every experiment reads it."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from sim.engine import CompiledModel
from sim.engine.records import Replication
from sim.montecarlo.grid import Layout


@dataclass(frozen=True)
class RunTable:
    """One row per replication, in replication order, as columnar arrays."""

    reps: np.ndarray
    outcome_days: np.ndarray
    """(n, outcomes) first time of each outcome; NaN where it did not happen."""
    counts: np.ndarray
    """(n, events) occurrences per event type."""
    max_level: np.ndarray
    final_level: np.ndarray
    level_by_day: np.ndarray
    """(n, days) level in force at each day of the layout's grid."""
    monthly_counts: np.ndarray
    """(n, events, months) occurrences per calendar month."""
    window_counts: np.ndarray
    """(n, windows) occurrences in each observed window."""
    simpy_events: np.ndarray
    parameters: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    """(n, uncertain parameters) each replication's drawn values, columns in the
    order of `scenario.uncertain`; no columns when every parameter is fixed (issue 10)."""

    def __len__(self) -> int:
        return int(self.reps.shape[0])

    @staticmethod
    def concat(parts: Sequence[RunTable]) -> RunTable:
        """Chunks' tables stacked in the order given (replication order)."""
        fields = RunTable.__dataclass_fields__
        return RunTable(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})


def summarise(
    replications: Iterable[Replication], model: CompiledModel, layout: Layout, n: int
) -> RunTable:
    """Reduce `n` replications to the layout's arrays, one at a time as they
    come (a generator keeps only one replication's event lists alive).

    Occurrence times are sorted lists, and the month edges, windows and level
    changes are a handful each: `bisect_left` on the lists (numpy's
    `searchsorted`, whose default side is left) and one array write per row
    and per level change cost less than turning each list into an array,
    which was 6% of a SimPy replication."""
    events, outcomes = model.events, model.outcomes
    edges = layout.month_edges.tolist()
    grid = layout.day_grid.tolist()
    no_months = [0] * (len(edges) - 1)
    reps = np.zeros(n, dtype=np.int64)
    outcome_days = np.full((n, len(outcomes)), np.nan)
    counts = np.zeros((n, len(events)), dtype=np.int64)
    max_level = np.zeros(n, dtype=np.int16)
    final_level = np.zeros(n, dtype=np.int16)
    level_by_day = np.zeros((n, layout.day_grid.size), dtype=np.int8)
    monthly = np.zeros((n, len(events), layout.month_edges.size - 1), dtype=np.int32)
    windows = np.zeros((n, len(layout.windows)), dtype=np.int32)
    simpy_events = np.zeros(n, dtype=np.int64)
    for row, rep in enumerate(replications):
        reps[row], max_level[row], final_level[row] = rep.rep, rep.max_level, rep.final_level
        simpy_events[row] = rep.simpy_events
        days = rep.outcome_days
        outcome_days[row] = [np.nan if days[o] is None else days[o] for o in outcomes]
        # Each level holds from its day on, until a later change: written in
        # order, a later change overwrites the days it covers (the first change
        # is at day 0, where the grid starts).
        levels = level_by_day[row]
        for day, level in rep.level_changes:
            levels[bisect_left(grid, day) :] = level
        times_by_event = [rep.event_times_days[event] for event in events]
        counts[row] = [len(times) for times in times_by_event]
        monthly[row] = [
            [b - a for a, b in pairwise([bisect_left(times, edge) for edge in edges])]
            if times
            else no_months
            for times in times_by_event
        ]
        for col, (event, lo, hi, _) in enumerate(layout.windows):
            times = rep.event_times_days[event]
            windows[row, col] = bisect_left(times, hi) - bisect_left(times, lo)
    return RunTable(
        reps=reps,
        outcome_days=outcome_days,
        counts=counts,
        max_level=max_level,
        final_level=final_level,
        level_by_day=level_by_day,
        monthly_counts=monthly,
        window_counts=windows,
        simpy_events=simpy_events,
        parameters=np.empty((n, 0)),
    )
