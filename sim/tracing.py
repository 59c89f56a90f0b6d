"""One replication told as a story: its events in dates and actor names, and
the causal chain that led to each outcome."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.axes import Axes

from sim import charts
from sim.engine import simulate
from sim.records import Replication
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Trace:
    scenario: Scenario
    seed: int
    replication: Replication

    def log(self) -> pd.DataFrame:
        """Every occurrence with its date, actor, cause and the level after it."""
        s, log = self.scenario, self.replication.log or ()
        order = {e: i for i, e in enumerate(s.events)}
        return pd.DataFrame(
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
        )

    def chain(self, outcome: str) -> list[int]:
        """Log indices from the root cause to the occurrence that made `outcome` happen."""
        index = self.replication.outcome_causes[outcome]
        if index is None:
            return []
        return [o.index for o in self.replication.chain_to(index)]

    def describe(self, index: int) -> str:
        s = self.scenario
        o = (self.replication.log or ())[index]
        date = s.date_of(o.time_days)
        cause = {"baseline": "spontaneous", "excitation": f"provoked by #{o.caused_by}"}.get(
            o.cause, f"{o.cause.replace('rule:', 'response (rule ')}) to #{o.caused_by}"
        )
        return (
            f"#{o.index:<5} {date:%Y-%m-%d} day {o.time_days:7.2f}  "
            f"{s.actors[o.actor].name}: {s.event_label(o.event)}  [{cause}; "
            f"level {o.level_after} {s.ladder[o.level_after]}]"
        )

    def plot(self, ax: Axes | None = None) -> Axes:
        s = self.scenario
        title = f"{s.title or s.name}: replication {self.replication.rep} (seed {self.seed})"
        return charts.timeline_chart(self.log(), self.chain(s.headline), title, ax=ax)


def trace(scenario: Scenario, seed: int, rep: int) -> Trace:
    """Replication `rep` of `seed`, exactly as in a Monte Carlo run, with its log."""
    return Trace(scenario, seed, simulate(scenario, seed, rep, keep_log=True))
