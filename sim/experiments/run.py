"""A finished Monte Carlo run and everything a user reads from it.

`RunResult` holds the scenario, the seed and the per-replication table; its
methods give tidy frames and charts (`ax=` in, `ax` out) for notebooks, and
`sim.writers.run.write_run` turns it into a results folder.

With uncertain parameters (docs/MODEL.md, Uncertain parameters) a plain run
draws them afresh per replication: its probabilities are predictive, with a
Monte Carlo interval. A nested design (`param_draws` K x `reps_per_draw` M)
adds the parameter band: how the probability conditional on the parameters
spreads across the draws (`sim.experiments.uncertainty`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from sim.errors import UsageError
from sim.experiments import tables as frames
from sim.experiments.uncertainty import (
    BAND_COLUMNS,
    DEFAULT_REPS_PER_DRAW,
    NOISY_BAND,
    NestedResult,
    run_nested,
)
from sim.montecarlo.fast.select import resolve_engine
from sim.montecarlo.grid import Layout, make_layout
from sim.montecarlo.runner import Progress, headline_half_width, run_adaptive, run_table
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
    fixed count) and `max_reps` where it stopped trying. The `--set` values are
    the scenario's own `overrides` (recorded once, on the scenario), shown in
    the title."""

    scenario: Scenario
    seed: int
    table: RunTable
    workers: int = 1
    wall_seconds: float = float("nan")
    precision: float | None = None
    engine: str = "simpy"
    """The engine that ran it ("simpy" or "fast"); the manifest records it."""
    reps_per_draw: int | None = None
    """M of a nested design (replication r took parameter draw r // M); None for
    a plain run, where each replication draws its own parameters."""
    max_reps: int | None = None
    """With `precision`: the most replications the run was allowed."""

    @cached_property
    def nested(self) -> NestedResult | None:
        """The nested design's view of the table (conditional probabilities per
        draw, the parameter band), or None when the run has no parameter band."""
        per = self.reps_per_draw
        if per is None:
            return None
        result = NestedResult(self.scenario, self.seed, self.table, len(self.table) // per, per)
        return result if result.has_band else None

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
        """P(outcome by day) per outcome, with its pointwise 95% Wilson band
        (`lower`, `upper`) and the simultaneous 95% DKW band for the whole
        curve (`simultaneous_lower`, `simultaneous_upper`); with a nested
        design, both count draws (see `NestedResult.curves`) and the
        parameter band's quantiles (`cond_*`) follow."""
        if self.nested is not None:
            return self.nested.curves()
        return frames.outcome_curves(self.scenario, self.layout, self.table)

    def summary(self) -> pd.DataFrame:
        """Per outcome: probability by the horizon, its 95% Monte Carlo interval,
        timing quantiles; with a nested design also the parameter band (median,
        50% and 90% of the conditional probability across draws), the share of
        that spread which is replication noise, and K and M."""
        summary = frames.outcome_summary(self.scenario, self.table)
        if self.nested is None:
            return summary
        band = self.nested.summary()
        summary["lower"], summary["upper"] = band["lower"], band["upper"]
        for column in (*BAND_COLUMNS, "noise_share"):
            summary[column] = band[column]
        summary["param_draws"] = self.nested.param_draws
        summary["reps_per_draw"] = self.nested.reps_per_draw
        return summary

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
        """The headline in one sentence: probability, interval and how it was
        computed; with a nested design, the parameter band too."""
        s, head = self.scenario, self.headline()
        how = f"seed {self.seed}, {self.wall_seconds:.1f} s on {self.workers} worker(s)" + (
            " (fast engine)" if self.engine == "fast" else ""
        )
        start = (
            f"{head['label']} by {s.date_of(s.horizon_days):%Y-%m-%d}: {head['probability']:.3f}"
        )
        if self.nested is not None:
            k, m = self.nested.param_draws, self.nested.reps_per_draw
            return (
                f"{start} predictive (95% Monte Carlo interval {head['lower']:.3f}-"
                f"{head['upper']:.3f}); parameter band: median {head['cond_median']:.3f}, "
                f"50% {head['cond_p25']:.3f}-{head['cond_p75']:.3f}, "
                f"90% {head['cond_p05']:.3f}-{head['cond_p95']:.3f}; "
                f"from {k:,} parameter draws x {m:,} replications, {how}"
            )
        drawn = (
            f", each drawing {len(s.uncertain)} uncertain parameter(s) (predictive; "
            "--param-draws gives the parameter band)"
            if s.uncertain
            else ""
        )
        return (
            f"{start} (95% CI {head['lower']:.3f}-{head['upper']:.3f}, "
            f"Wilson) from {self.replications:,} replications{drawn}, {how}"
        )

    def half_width(self) -> float:
        """Half the width of the headline's 95% Wilson interval: what `precision`
        is held to (the same measure `run_adaptive` stops on)."""
        return headline_half_width(self.table, self.scenario)

    def precision_document(self) -> dict[str, object] | None:
        """For summary.json: the `precision` target, the half-width reached,
        whether it was reached and `max_reps` (None for a fixed count)."""
        if self.precision is None:
            return None
        reached = self.half_width()
        return {
            "target": self.precision,
            "half_width": reached,
            "reached": reached <= self.precision,
            "max_reps": self.max_reps,
        }

    def precision_warnings(self) -> list[str]:
        """A sentence when the `precision` target was not reached (the run
        stopped at `max_reps`): the interval printed is wider than asked, and
        nothing else would say so."""
        if self.precision is None or self.half_width() <= self.precision:
            return []
        cap = f" (--max-reps {self.max_reps:,})" if self.max_reps is not None else ""
        return [
            f"--precision {self.precision:g} not reached: the headline's 95% interval is "
            f"+-{self.half_width():.4f} after {self.replications:,} replications{cap}; "
            "raise --max-reps for a narrower one"
        ]

    def band_warnings(self) -> list[str]:
        """A sentence per outcome whose parameter band is mostly replication
        noise (`noise_share` at or above `NOISY_BAND`): M is too small for the
        band to show the parameters' effect."""
        if self.nested is None:
            return []
        per = self.nested.reps_per_draw
        summary = self.summary()
        noisy = summary[summary["noise_share"] >= NOISY_BAND]
        return [
            _noise_warning(row["label"], row["noise_share"], per) for _, row in noisy.iterrows()
        ]

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
        """One row per replication, with the parameters it drew; a nested
        design adds `draw`, the index of its parameter draw (rep // M)."""
        rows = frames.replication_rows(self.scenario, self.table)
        if self.nested is not None:
            rows.insert(1, "draw", rows["rep"] // self.nested.reps_per_draw)
        return rows

    def plot_probability(
        self, outcomes: Sequence[str] | None = None, ax: Axes | None = None
    ) -> Axes:
        """P(outcome by day), one curve per outcome, with its 95% pointwise
        (Wilson) and simultaneous (DKW) Monte Carlo bands, each labelled; with a
        nested design also the parameter band.

        Args:
            outcomes: Outcome ids to draw (default: all, in scenario order).
            ax: Axes to draw on (default: a new figure's).
        """
        if self.nested is not None:
            from sim.charts import uncertainty as bands

            return bands.probability_bands_chart(self.curves(), self.title, outcomes, ax=ax)
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


def _noise_warning(label: str, share: float, per: int) -> str:
    """Why a parameter band is mostly replication noise, in words. Its variance is
    the parameters' plus the noise's, so its width is 1 / sqrt(1 - share) times
    what the parameters alone give; at a share of 1 or more (noise estimated
    above the whole spread) nothing of the parameters' effect is left to see."""
    if share >= 1:
        effect = "replication noise accounts for all of the spread across draws: the band "
        effect += "shows no effect of the parameters"
    else:
        effect = (
            f"replication noise is {share:.0%} of the spread across draws, so the band is "
            f"about {(1 - share) ** -0.5 - 1:.0%} wider than the parameters alone make it"
        )
    return f"{label}: with {per:,} replications per draw, {effect}; raise --reps-per-draw"


def run(
    scenario: Scenario,
    seed: int = 0,
    reps: int | Sequence[int] = 1000,
    workers: int = 1,
    precision: float | None = None,
    progress: Progress | None = None,
    max_reps: int = 200_000,
    engine: str = "simpy",
    param_draws: int | None = None,
    reps_per_draw: int | None = None,
) -> RunResult:
    """Run a Monte Carlo experiment, plain or as a nested design.

    Args:
        scenario: a validated scenario (`load_scenario`).
        seed: the run's seed; replication i uses (seed, i).
        reps: how many replications (or which indices).
        workers: processes; results are identical for any number.
        precision: if given, add replications until the headline probability's
            95% interval is within +-precision (`reps` is then the first batch,
            at most `max_reps`), stopping at `max_reps`
            (`RunResult.precision_warnings` says when that came first).
        progress: called with the number of replications just finished (for a
            progress bar); never changes a result.
        max_reps: with `precision`, the most replications to run.
        engine: "simpy" (the model's definition) or "fast" (compiled, bit-identical
            tables; refuses scenario parts it does not implement, uncertain
            parameters among them).
        param_draws: K, for the nested design: K parameter draws x
            `reps_per_draw` replications each, in place of `reps` (see
            `check_design`). With every parameter fixed, or M = 1, it is a plain
            run of K M replications.
        reps_per_draw: M (default `DEFAULT_REPS_PER_DRAW`); ignored without
            `param_draws`.

    Raises:
        UsageError: a design `check_design` refuses, a first batch above
            `max_reps`, or an engine that cannot run the scenario.
    """
    check_design(param_draws, reps_per_draw, precision)
    engine = resolve_engine(engine, scenario)
    if param_draws is not None:
        per = reps_per_draw or DEFAULT_REPS_PER_DRAW
        if scenario.uncertain and per > 1:
            started = time.perf_counter()
            nested = run_nested(scenario, seed, param_draws, per, workers, progress, engine)
            return RunResult(
                scenario,
                seed,
                nested.table,
                workers,
                time.perf_counter() - started,
                engine=engine,
                reps_per_draw=per,
            )
        reps = param_draws * per
    indices = range(reps) if isinstance(reps, int) else reps
    started = time.perf_counter()
    if precision is not None:
        first = len(indices)
        if first > max_reps:
            raise UsageError(
                f"--reps: with --precision it is the first batch, at most --max-reps "
                f"({max_reps:,}); found --reps {first:,}"
            )
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
        max_reps=max_reps if precision is not None else None,
    )


def check_design(
    param_draws: int | None, reps_per_draw: int | None, precision: float | None
) -> None:
    """Refuse a nested design that cannot give a parameter band, before anything runs.

    The design fixes the number of replications (K x M), so it does not mix
    with `precision`, which keeps adding replications to the predictive
    probability (use `precision` alone for that: without `param_draws` each
    replication draws its own parameters).

    Raises:
        UsageError: K below 2 (one draw has no spread), M below 1, or K with
            `precision`.
    """
    if param_draws is None:
        return
    if param_draws < 2:
        raise UsageError(
            f"--param-draws: expected at least 2 (a band across draws needs several; "
            f"100 or more is usual), found {param_draws}"
        )
    if reps_per_draw is not None and reps_per_draw < 1:
        raise UsageError(f"--reps-per-draw: expected at least 1, found {reps_per_draw}")
    if precision is not None:
        raise UsageError(
            "--precision: does not combine with --param-draws (the nested design runs "
            "exactly K x M replications); use --precision without --param-draws for the "
            "predictive probability to a given precision"
        )
