"""A finished Monte Carlo run and everything a user reads from it.

`RunResult` holds the scenario, the seed and the per-replication table; its
methods give tidy frames and charts (`ax=` in, `ax` out) for notebooks, and
`io.write_results` turns it into a results folder.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from sim.experiments import tables as frames
from sim.montecarlo.grid import Layout, make_layout
from sim.montecarlo.runner import Progress, RunTable, run_adaptive, run_table
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class RunResult:
    scenario: Scenario
    seed: int
    table: RunTable
    workers: int = 1
    wall_seconds: float = float("nan")
    precision: float | None = None
    overrides: dict[str, str] = field(default_factory=dict)

    @cached_property
    def layout(self) -> Layout:
        return make_layout(self.scenario)

    @property
    def replications(self) -> int:
        return len(self.table)

    @property
    def title(self) -> str:
        """The scenario's title, with any values changed from its file."""
        base = self.scenario.title or self.scenario.name
        changed = self.overrides or self.scenario.overrides
        if not changed:
            return base
        shown = ", ".join(f"{'.'.join(str(k).split('.')[-2:])}={v}" for k, v in changed.items())
        return f"{base} [{shown}]"

    def curves(self) -> pd.DataFrame:
        """P(outcome by day) with 95% Wilson intervals, per outcome."""
        return frames.outcome_curves(self.scenario, self.layout, self.table)

    def summary(self) -> pd.DataFrame:
        """Per outcome: probability by the horizon, interval, timing quantiles."""
        return frames.outcome_summary(self.scenario, self.table)

    def headline(self) -> pd.Series:
        return self.summary().iloc[0]

    def outcome_rows(self) -> pd.DataFrame:
        """The summary with each outcome's median date as text ("-" if it never happened)."""
        s, summary = self.scenario, self.summary()
        summary["median_date"] = [
            "-" if d != d else f"{s.date_of(d):%Y-%m-%d}" for d in summary["day_median"]
        ]
        return summary

    def headline_text(self) -> str:
        """The headline in one sentence: probability, interval and how it was computed."""
        s, head = self.scenario, self.headline()
        return (
            f"{head['label']} by {s.date_of(s.horizon_days):%Y-%m-%d}: "
            f"{head['probability']:.3f} (95% CI {head['lower']:.3f}-{head['upper']:.3f}, "
            f"Wilson) from {self.replications:,} replications, seed {self.seed}, "
            f"{self.wall_seconds:.1f} s on {self.workers} worker(s)"
        )

    def levels(self) -> pd.DataFrame:
        return frames.level_distribution(self.scenario, self.layout, self.table)

    def monthly(self) -> pd.DataFrame:
        return frames.monthly_counts(self.scenario, self.layout, self.table)

    def observed(self) -> pd.DataFrame:
        return frames.observed_vs_simulated(self.scenario, self.layout, self.table)

    def rows(self) -> pd.DataFrame:
        """One row per replication."""
        return frames.replication_rows(self.scenario, self.table)

    def plot_probability(
        self, outcomes: Sequence[str] | None = None, ax: Axes | None = None
    ) -> Axes:
        from sim.charts import run as charts

        return charts.probability_chart(self.curves(), self.title, outcomes, ax=ax)

    def plot_levels(self, ax: Axes | None = None) -> Axes:
        from sim.charts import run as charts

        return charts.level_chart(
            self.levels(), self.scenario.ladder, self.title, self.replications, ax=ax
        )

    def plot_monthly(self, event: str | None = None, ax: Axes | None = None) -> Axes:
        """Monthly counts of one event type (default: see `monthly_events`)."""
        from sim.charts import run as charts

        chosen = event or self.monthly_events()[0]
        return charts.monthly_chart(
            self.monthly(), self.observed(), chosen, self.replications, ax=ax
        )

    def monthly_events(self) -> list[str]:
        """Event types worth a monthly chart: those with documented counts, or
        else the most frequent one."""
        if self.scenario.observed:
            return list(self.scenario.observed)
        busiest = int(self.table.counts.mean(axis=0).argmax())
        return [list(self.scenario.events)[busiest]]

    def plot_time_to_outcome(
        self, outcomes: Sequence[str] | None = None, ax: Axes | None = None
    ) -> Axes:
        from sim.charts import run as charts

        summary = self.summary()
        if outcomes:
            summary = summary[summary["outcome"].isin(outcomes)]
        return charts.time_to_outcome_chart(
            frames.first_times(self.scenario, self.table),
            summary,
            pd.Timestamp(self.scenario.start_date),
            self.title,
            ax=ax,
        )


def run(
    scenario: Scenario,
    seed: int = 0,
    reps: int | Sequence[int] = 1000,
    workers: int = 1,
    precision: float | None = None,
    progress: Progress | None = None,
    overrides: dict[str, str] | None = None,
    max_reps: int = 200_000,
) -> RunResult:
    """Run a Monte Carlo experiment.

    Args:
        scenario: a validated scenario (`load_scenario`).
        seed: the run's seed; replication i uses (seed, i).
        reps: how many replications (or which indices).
        workers: processes; results are identical for any number.
        precision: if given, add replications until the headline probability's
            95% interval is within +-precision (`reps` is then the first batch),
            stopping at `max_reps`.
    """
    indices = range(reps) if isinstance(reps, int) else reps
    started = time.perf_counter()
    if precision is not None:
        first = len(indices)
        table = run_adaptive(
            scenario, seed, precision, workers, first=first, max_reps=max_reps, progress=progress
        )
    else:
        table = run_table(scenario, seed, indices, workers, progress=progress)
    return RunResult(
        scenario,
        seed,
        table,
        workers,
        time.perf_counter() - started,
        precision,
        dict(overrides or {}),
    )
