"""One replication told as a story: its events in dates and actor names, and
the causal chain that led to each outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import pandas as pd

from sim.engine import compile_model, simulate
from sim.engine.records import Replication
from sim.montecarlo.parameters import Parameters
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class Trace:
    """One replication with its full event log, for reading rather than counting:
    replication `replication.rep` of `seed` is the same draw as in a Monte Carlo
    run with that seed and design, so a surprising row of a run can be told as
    a story.

    With uncertain parameters the replication ran with the values of parameter
    draw `draw` (`rep // reps_per_draw`, as in the run: 1 for a plain run, where
    each replication draws its own; M for a nested design), kept in
    `parameters` so a reader sees which world the story happened in."""

    scenario: Scenario
    seed: int
    replication: Replication
    draw: int | None = None
    """The parameter draw used (None: every parameter fixed)."""
    reps_per_draw: int = 1
    """M of the run's design: replication r took parameter draw r // M."""
    parameters: dict[str, float] = field(default_factory=dict)
    """Each uncertain parameter's drawn value, by dotted path."""

    def log(self) -> pd.DataFrame:
        """Every occurrence with its date, actor, cause and the level after it."""
        s, log = self.scenario, self.replication.log or ()
        order = {e: i for i, e in enumerate(s.events)}
        return cast(
            pd.DataFrame,
            pd.DataFrame(
                {
                    "index": [o.index for o in log],
                    "day": [o.time_days for o in log],
                    "date": [
                        (pd.Timestamp(s.start_date) + pd.Timedelta(days=o.time_days)).round("s")
                        for o in log
                    ],
                    "event": [o.event for o in log],
                    "event_order": [order[o.event] for o in log],
                    "label": [s.event_label(o.event) for o in log],
                    "actor": [s.actors[o.actor].name for o in log],
                    "cause": [o.cause for o in log],
                    "caused_by": pd.array([o.caused_by for o in log], dtype="Int64"),
                    "level": [o.level_after for o in log],
                    "rung": [s.ladder[o.level_after] for o in log],
                }
            ),
        )

    def draw_text(self) -> str:
        """Which parameter draw the replication used and why that one, in words
        ("" when every parameter is fixed)."""
        if self.draw is None:
            return ""
        rep, per = self.replication.rep, self.reps_per_draw
        how = (
            "a plain run: each replication draws its own"
            if per == 1
            else f"replication {rep:,} // {per:,} replications per draw"
        )
        return f"draw {self.draw:,} ({how})"

    def parameter_lines(self) -> list[str]:
        """The draw (`draw_text`) and each drawn value, one line each ([] when
        every parameter is fixed)."""
        if self.draw is None:
            return []
        lines = [f"parameters: {self.draw_text()}"]
        lines += [f"    {path} = {value:.6g}" for path, value in self.parameters.items()]
        return lines

    def chain(self, outcome: str) -> list[int]:
        """Log indices from the root cause to the occurrence that made `outcome` happen."""
        index = self.replication.outcome_causes[outcome]
        if index is None:
            return []
        return [o.index for o in self.replication.chain_to(index)]

    def describe(self, index: int) -> str:
        """One log line as a sentence: date, day offset, actor and event, what
        caused it (spontaneous, provoked by occurrence #k, a rule's response to #k,
        or history before the start) and the ladder level after it.

        Args:
            index: Position in the replication's log (its `#` number).
        """
        s = self.scenario
        o = (self.replication.log or ())[index]
        date = s.date_of(o.time_days)
        cause = {
            "baseline": "spontaneous",
            "excitation": f"provoked by #{o.caused_by}",
            "history": "provoked by an event before the start (history)",
        }.get(o.cause, f"{o.cause.replace('rule:', 'response (rule ')}) to #{o.caused_by}")
        if o.cause.startswith("rule:") and o.caused_by is None:
            cause = f"decision (rule {o.cause.removeprefix('rule:')}, a hazard)"
        return (
            f"#{o.index:<5} {date:%Y-%m-%d} day {o.time_days:7.2f}  "
            f"{s.actors[o.actor].name}: {s.event_label(o.event)}  [{cause}; "
            f"level {o.level_after} {s.ladder[o.level_after]}]"
        )

    def chains(self) -> list[str]:
        """Each outcome's date and the causal chain that led to it, as text lines."""
        s, lines = self.scenario, []
        for outcome in s.outcomes:
            day = self.replication.outcome_days[outcome]
            if day is None:
                lines.append(f"{s.outcome_label(outcome)}: did not happen")
                continue
            lines.append(f"{s.outcome_label(outcome)}: {s.date_of(day):%Y-%m-%d} (day {day:.1f})")
            regime = s.outcomes[outcome].regime
            start = "    (initial level)" if regime is None else "    (its onset hazard)"
            lines += ["    " + self.describe(i) for i in self.chain(outcome)] or [start]
            if regime is not None:
                lines.append(f"    regime on: {s.regime_label(regime)}")
        return lines + self.regime_lines()

    def regime_lines(self) -> list[str]:
        """Each spell of each regime (docs/MODEL.md, Regimes): when it switched
        on and what switched it on (its hazard, or a response to occurrence #k),
        and when it switched off."""
        s, spans = self.scenario, self.replication.regimes
        if not s.regimes:
            return []
        lines = ["Regimes:" if spans else "Regimes: none switched on"]
        for span in spans:
            cause = "its hazard" if span.cause == "hazard" else f"a response to #{span.caused_by}"
            end = (
                f"off {s.date_of(span.off_day):%Y-%m-%d} (day {span.off_day:.1f})"
                if span.off_day is not None
                else "on to the horizon"
            )
            lines.append(
                f"    {s.regime_label(span.regime)}: on {s.date_of(span.on_day):%Y-%m-%d} "
                f"(day {span.on_day:.1f}, {cause}), {end}"
            )
        return lines

    def plot(self, ax: Axes | None = None) -> Axes:
        """The replication's events on a timeline, with the causal chain to the
        headline outcome highlighted, drawn on `ax` or a new figure's axes."""
        s = self.scenario
        title = f"{s.title or s.name}: replication {self.replication.rep} (seed {self.seed})"
        from sim.charts.trace import timeline_chart

        return timeline_chart(self.log(), self.chain(s.headline), title, ax=ax)


def trace(scenario: Scenario, seed: int, rep: int, reps_per_draw: int = 1) -> Trace:
    """Replication `rep` of `seed`, exactly as in a Monte Carlo run, with its log.

    Uncertain parameters take the run's values for that replication: parameter
    draw `rep // reps_per_draw` (1, the default: a plain run, where each
    replication draws its own; M: the nested design of M replications per
    draw). With the scenario's fixed values instead, the story would be of a
    replication the run never had.
    """
    if reps_per_draw < 1:
        raise ValueError(f"reps_per_draw must be at least 1, found {reps_per_draw}")
    model = compile_model(scenario)
    if not scenario.uncertain:
        return Trace(scenario, seed, simulate(model, seed, rep, keep_log=True))
    params = Parameters.of(model)
    draw = rep // reps_per_draw
    values = params.draw(seed, [draw])[0]
    replication = simulate(params.apply(values), seed, rep, keep_log=True)
    drawn = {name: float(v) for name, v in zip(params.names, values, strict=True)}
    return Trace(scenario, seed, replication, draw, reps_per_draw, drawn)
