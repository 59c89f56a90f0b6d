"""A finished Monte Carlo run and everything a user reads from it.

`RunResult` holds the scenario, the seed and the per-replication table; its
methods give tidy frames and charts (`ax=` in, `ax` out) for notebooks, and
`io.write_results` turns it into a results folder.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from sim.experiments import tables as frames
from sim.montecarlo.fast.select import resolve_engine
from sim.montecarlo.grid import Layout, make_layout
from sim.montecarlo.runner import Progress, run_adaptive, run_table
from sim.montecarlo.table import RunTable
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class RunResult:
    """A finished Monte Carlo run: the scenario as run, the seed, and one row per
    replication (`table`); every number a user reads is computed from these on demand.

    Frozen so a result can be shared between a notebook, the charts and the
    writer without one changing what the others see. `wall_seconds` and `workers`
    describe how it was computed and never change a number in it (replication i
    always uses (seed, i)). `precision` is the `--precision` target (None for a
    fixed count). The `--set` values are the scenario's own `overrides` (recorded
    once, on the scenario), shown in the title."""

    scenario: Scenario
    seed: int
    table: RunTable
    workers: int = 1
    wall_seconds: float = float("nan")
    precision: float | None = None
    engine: str = "simpy"
    """The engine that ran it ("simpy" or "fast"); the manifest records it."""

    @cached_property
    def layout(self) -> Layout:
        """The day, month and window grid the run's counts are binned on (computed
        once per result)."""
        return make_layout(self.scenario)

    @property
    def replications(self) -> int:
        """How many replications were run (with `--precision`, known only afterwards)."""
        return len(self.table)

    @property
    def title(self) -> str:
        """The scenario's title, with any values changed from its file."""
        s = self.scenario
        base = s.title or s.name
        if s.history is not None and s.history.events:
            base += f", from history to {s.date_of(-1):%Y-%m-%d}"
        changed = {
            k: v
            for k, v in s.overrides.items()
            if k not in ("start_date", "history", "observed")  # shown above
        }
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
        """The summary row of the scenario's first outcome, the one its question
        asks about (columns as in `summary`)."""
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
            + (" (fast engine)" if self.engine == "fast" else "")
        )

    def levels(self) -> pd.DataFrame:
        """Share of replications at each ladder rung, day by day (tidy: one row per
        day and rung)."""
        return frames.level_distribution(self.scenario, self.layout, self.table)

    def monthly(self) -> pd.DataFrame:
        """Simulated counts per event type and calendar month: median, 5-95% band
        across replications and mean (months cut by the start or horizon are partial)."""
        return frames.monthly_counts(self.scenario, self.layout, self.table)

    def observed(self) -> pd.DataFrame:
        """Each documented window beside the simulated count in the same window,
        then the history's calendar months (observed only); `kind` says which."""
        return frames.observed_vs_simulated(self.scenario, self.layout, self.table)

    def rows(self) -> pd.DataFrame:
        """One row per replication."""
        return frames.replication_rows(self.scenario, self.table)

    def plot_probability(
        self, outcomes: Sequence[str] | None = None, ax: Axes | None = None
    ) -> Axes:
        """P(outcome by day) with its pointwise 95% Wilson band, one curve per outcome.

        Args:
            outcomes: Outcome ids to draw (default: all, in scenario order).
            ax: Axes to draw on (default: a new figure's).
        """
        from sim.charts import run as charts

        return charts.probability_chart(self.curves(), self.title, outcomes, ax=ax)

    def plot_levels(self, ax: Axes | None = None) -> Axes:
        """Share of replications at each ladder rung over time, drawn on `ax` or a
        new figure's axes."""
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
        """Event types worth a monthly chart: those with documented counts or a
        history, or else the most frequent one."""
        s = self.scenario
        observed = [*s.observed, *(s.history.events if s.history else {})]
        if observed:
            return list(dict.fromkeys(e for e in observed if e in s.events))
        busiest = int(self.table.counts.mean(axis=0).argmax())
        return [list(self.scenario.events)[busiest]]

    def plot_time_to_outcome(
        self, outcomes: Sequence[str] | None = None, ax: Axes | None = None
    ) -> Axes:
        """When each outcome first happened, among the replications where it did
        (conditional on the outcome happening, so read it beside the probability).

        Args:
            outcomes: Outcome ids to draw (default: all, in scenario order).
            ax: Axes to draw on (default: a new figure's).
        """
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
    max_reps: int = 200_000,
    engine: str = "simpy",
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
        progress: called with the number of replications just finished (for a
            progress bar); never changes a result.
        max_reps: with `precision`, the most replications to run.
        engine: "simpy" (the model's definition) or "fast" (compiled, bit-identical
            tables; refuses scenario parts it does not implement).
    """
    indices = range(reps) if isinstance(reps, int) else reps
    engine = resolve_engine(engine, scenario)
    started = time.perf_counter()
    if precision is not None:
        first = len(indices)
        table = run_adaptive(
            scenario,
            seed,
            precision,
            workers,
            first=first,
            max_reps=max_reps,
            progress=progress,
            engine=engine,
        )
    else:
        table = run_table(scenario, seed, indices, workers, progress=progress, engine=engine)
    return RunResult(
        scenario,
        seed,
        table,
        workers,
        time.perf_counter() - started,
        precision,
        engine,
    )
