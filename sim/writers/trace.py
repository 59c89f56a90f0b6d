"""A traced replication's folder: the full log, the causal chains and the timeline."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pandas as pd

from sim.charts.style import figure
from sim.experiments.trace import Trace
from sim.writers import folder as io
from sim.writers.report import Chart, Page, Table, write_report


def trace_page(t: Trace) -> Page:
    """The report.html page of a traced replication: whether and when the
    headline outcome happened in it, the timeline chart, the causal chains and
    the full log, and with uncertain parameters the draw it ran with; it says
    plainly that one replication is not a forecast."""
    s = t.scenario
    headline_day = t.replication.outcome_days[s.headline]
    happened = (
        f"happened on {s.date_of(headline_day):%Y-%m-%d}"
        if headline_day is not None
        else "did not happen"
    )
    return Page(
        kind="trace",
        title=f"{s.title or s.name}: replication {t.replication.rep} (seed {t.seed})",
        question="One replication told as a story: what happened, when, and which earlier "
        "event led to each outcome. It is one possible history, not a forecast.",
        headline=f"In this replication, {s.outcome_label(s.headline)} {happened}.",
        interval_note="A single replication has no interval: run the scenario for probabilities.",
        charts=[
            Chart(
                "timeline.png",
                "Every event of the replication; red: the causal chain to the headline outcome.",
            )
        ],
        tables=[
            Table("Causal chains to the outcomes", _chains_frame(t)),
            *_parameter_tables(t),
            Table("Event log", t.log().drop(columns=["event_order", "event"])),
        ],
    )


def _parameter_tables(t: Trace) -> list[Table]:
    """The drawn parameters as a table ([] when every parameter is fixed): the
    story happened in that world, not in the scenario's nominal one."""
    if t.draw is None:
        return []
    frame = pd.DataFrame({"parameter": list(t.parameters), "value": list(t.parameters.values())})
    return [Table(f"Uncertain parameters: {t.draw_text()}", frame)]


def _chains_frame(t: Trace) -> pd.DataFrame:
    return cast(pd.DataFrame, pd.DataFrame({"chain": t.chains()}))


def write_trace(t: Trace, folder: Path, force: bool = False) -> list[Path]:
    """Write log.csv, chains.txt, timeline.png and the manifest, atomically."""
    s = t.scenario
    with io.staged_folder(folder, force) as staging:
        io.write_json(
            staging / io.MANIFEST,
            io.manifest(
                s,
                seed=t.seed,
                replication=t.replication.rep,
                parameter_draw=t.draw,
                reps_per_draw=t.reps_per_draw if t.draw is not None else None,
                parameters=t.parameters or None,
                overrides=s.overrides,
            ),
        )
        io.write_table(t.log().drop(columns=["event_order"]), staging / "log.csv")
        io.write_text(staging / "chains.txt", "\n".join(t.chains()) + "\n")
        fig, ax = figure((10, 0.5 * max(len(s.events), 4) + 1.6))
        t.plot(ax=ax)
        io.save_figure(fig, staging / "timeline")
        write_report(trace_page(t), staging)
    return [folder / "log.csv", folder / "chains.txt", folder / "timeline.png"]
