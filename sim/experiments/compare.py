"""Policy comparison with common random numbers.

Every scenario is run with the same seed and replication indices, so a stream
or rule with the same id draws the same random numbers in each: replication i
of A and replication i of B differ only where the policy makes them differ.
The paired difference of an outcome's probability (B - A) then has a much
smaller variance than the difference of two independent estimates:
Var(d) = Var(A) + Var(B) - 2 Cov(A, B). We report both intervals and their
ratio, so a user sees what the pairing bought.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.experiments.run import RunResult
from sim.montecarlo.runner import run_table
from sim.montecarlo.table import RunTable
from sim.scenario.base import NAME_PATTERN, PATTERN_WORDS
from sim.scenario.overrides import with_overrides
from sim.scenario.schema import Scenario
from sim.stats import independent_difference, paired_difference, wilson_interval

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class Comparison:
    """Scenarios run on the same replications (common random numbers), aligned
    to a common start, horizon and set of outcomes.

    `labels[i]` names `results[i]` (file stem or variant name; the first is the
    baseline every difference is taken against); `outcomes` are the outcome ids
    all scenarios share; `notes` say what alignment changed (a shortened horizon,
    outcomes left out), for the user to read beside the numbers."""

    labels: list[str]
    results: list[RunResult]
    outcomes: list[str]
    notes: list[str]

    @property
    def baseline(self) -> RunResult:
        """The first scenario's run: what every difference is measured from."""
        return self.results[0]

    def titles(self) -> list[str]:
        """Each scenario's title for charts: its `title`, or its label when it
        has none or shares an earlier scenario's title (a variant keeps its
        variant name, since it inherits its base's title)."""
        seen: set[str] = set()
        out = []
        for label, result in zip(self.labels, self.results, strict=True):
            title = result.scenario.title
            out.append(label if not title or title in seen else title)
            if title:
                seen.add(title)
        return out

    def differences(self) -> pd.DataFrame:
        """Each scenario against the first: paired and unpaired 95% intervals of
        the difference in each outcome's probability by the (common) horizon."""
        rows = []
        base = self.baseline
        titles = self.titles()
        n = base.replications
        for label, title, result in zip(self.labels[1:], titles[1:], self.results[1:], strict=True):
            for outcome in self.outcomes:
                a = hit(base, outcome)
                b = hit(result, outcome)
                diff, lo, hi = paired_difference(a, b)
                pa, pb = a.mean(), b.mean()
                _, un_lo, un_hi = independent_difference(int(a.sum()), n, int(b.sum()), n)
                rows.append(
                    {
                        "scenario": label,
                        "baseline": self.labels[0],
                        "scenario_title": title,
                        "baseline_title": titles[0],
                        "outcome": outcome,
                        "label": base.scenario.outcome_label(outcome),
                        "p_baseline": pa,
                        "p_scenario": pb,
                        "difference": diff,
                        "paired_lower": lo,
                        "paired_upper": hi,
                        "unpaired_lower": un_lo,
                        "unpaired_upper": un_hi,
                        "narrowing": (un_hi - un_lo) / (hi - lo),
                        "replications_differing": int(np.sum(a != b)),
                        "replications": n,
                    }
                )
        return cast(pd.DataFrame, pd.DataFrame(rows))

    def curves(self) -> pd.DataFrame:
        """Each scenario's probability curves, with its label and its title."""
        frames = []
        for label, title, result in zip(self.labels, self.titles(), self.results, strict=True):
            c = result.curves()
            frames.append(
                c[c["outcome"].isin(self.outcomes)].assign(scenario=label, scenario_title=title)
            )
        return cast(pd.DataFrame, pd.concat(frames, ignore_index=True))

    def plot_curves(self, outcome: str | None = None, ax: Axes | None = None) -> Axes:
        """One outcome's probability curve per scenario (default: the headline)."""
        from sim.charts import compare as experiment_charts

        return experiment_charts.comparison_chart(self.curves(), outcome or self.outcomes[0], ax=ax)

    def plot_differences(self, ax: Axes | None = None) -> Axes:
        """Forest plot of the differences with paired and unpaired intervals."""
        from sim.charts import compare as experiment_charts

        return experiment_charts.difference_chart(self.differences(), ax=ax)

    def summary(self) -> pd.DataFrame:
        """Each scenario's probability of each shared outcome by the common horizon,
        with its 95% Wilson interval (unpaired: one scenario at a time)."""
        rows = []
        for label, result in zip(self.labels, self.results, strict=True):
            for outcome in self.outcomes:
                h = hit(result, outcome)
                lo, hi = wilson_interval(int(h.sum()), h.size)
                rows.append(
                    {
                        "scenario": label,
                        "outcome": outcome,
                        "probability": h.mean(),
                        "lower": float(lo),
                        "upper": float(hi),
                    }
                )
        return cast(pd.DataFrame, pd.DataFrame(rows))


def hit(result: RunResult, outcome: str) -> np.ndarray:
    """1 where the outcome happened by the horizon, per replication."""
    column = list(result.scenario.outcomes).index(outcome)
    return np.asarray((~np.isnan(result.table.outcome_days[:, column])).astype(int))


def parse_variants(base: Scenario, specs: Sequence[str]) -> list[tuple[str, Scenario]]:
    """`name:PATH=VALUE,PATH=VALUE` -> (name, scenario with those overrides).

    Raises:
        UsageError: a spec not of that form, or a name that is not a scenario
            `name:` (it names the results folder, so it must be one path
            component of safe characters: checked as a name, never as a path).
    """
    out = []
    for spec in specs:
        name, colon, assignments = spec.partition(":")
        if not colon or not name.strip() or "=" not in assignments:
            raise UsageError(f"--variant expects NAME:PATH=VALUE[,PATH=VALUE...], got {spec!r}")
        if not re.fullmatch(NAME_PATTERN, name.strip()):
            raise UsageError(
                f"--variant {spec!r}: expected NAME to be {PATTERN_WORDS[NAME_PATTERN]}, "
                f"found {name.strip()!r}"
            )
        pairs = [a.split("=", 1) for a in assignments.split(",") if a.strip()]
        if any(len(pair) != 2 or not pair[0].strip() for pair in pairs):
            raise UsageError(f"--variant expects NAME:PATH=VALUE[,PATH=VALUE...], got {spec!r}")
        changes = dict(pairs)
        out.append(
            (name.strip(), with_overrides(base, {k.strip(): v.strip() for k, v in changes.items()}))
        )
    return out


def align(
    named: Sequence[tuple[str, Scenario]],
) -> tuple[list[tuple[str, Scenario]], list[str], list[str]]:
    """Put scenarios on a common footing: the same start date (required), the
    common horizon (the shortest; said in a note), the outcomes they share."""
    if len(named) < 2:
        raise UsageError("a comparison needs at least two scenarios (or a --variant)")
    notes = []
    starts = {s.start_date for _, s in named}
    if len(starts) > 1:
        raise UsageError(
            "the scenarios start on different dates ("
            + ", ".join(f"{n}: {s.start_date}" for n, s in named)
            + "); paired replications need a common day 0"
        )
    horizons = {s.horizon_days for _, s in named}
    if len(horizons) > 1:
        common = min(horizons)
        notes.append(
            f"horizons differ ({', '.join(f'{n}: {s.horizon_days:g}' for n, s in named)}"
            f" days); compared on the common horizon of {common:g} days"
        )
        named = [(n, _truncated(s, common) if s.horizon_days != common else s) for n, s in named]
    shared = [o for o in named[0][1].outcomes if all(o in s.outcomes for _, s in named)]
    dropped = sorted({o for _, s in named for o in s.outcomes} - set(shared))
    if not shared:
        raise UsageError("the scenarios share no outcome id to compare")
    if dropped:
        notes.append(f"outcomes not in every scenario are left out: {', '.join(dropped)}")
    return list(named), shared, notes


def _truncated(s: Scenario, horizon: float) -> Scenario:
    """`s` ending at `horizon`, without the observed windows that no longer fit
    (they are only drawn beside simulated counts, never compared)."""
    changes: dict[str, object] = {"horizon_days": horizon}
    if any(s.day_of(w.to) + 1 > horizon for ws in s.observed.values() for w in ws):
        changes["observed"] = {
            ident: kept
            for ident, ws in s.observed.items()
            if (
                kept := [
                    w.model_dump(by_alias=True, exclude_unset=True)
                    for w in ws
                    if s.day_of(w.to) + 1 <= horizon
                ]
            )
        }
    return with_overrides(s, changes)


def compare(
    named: Sequence[tuple[str, Scenario]],
    seed: int,
    reps: int,
    workers: int = 1,
    executor: Executor | None = None,
    engine: str = "simpy",
) -> Comparison:
    """Run every scenario on the same replications (common random numbers)."""
    aligned, outcomes, notes = align(named)
    results = []
    for _, s in aligned:
        table: RunTable = run_table(s, seed, range(reps), workers, executor=executor, engine=engine)
        results.append(RunResult(s, seed, table, workers))
    return Comparison([n for n, _ in aligned], results, outcomes, notes)
