"""Turn a RunResult into a results folder: manifest, summary, tables, charts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.charts.style import figure
from sim.experiments.run import RunResult
from sim.scenario.sources import evidence_table
from sim.scenario.uncertain import uncertain_manifest
from sim.writers import folder as io
from sim.writers.report import Chart, Page, Table, write_report


def summary_document(result: RunResult, warnings: Sequence[str] = ()) -> dict[str, Any]:
    """The content of summary.json: the run's facts (start, horizon, seed,
    replications), every outcome's probability with its 95% Wilson interval
    (the first is the headline), each event type's count distribution, the
    share of replications reaching each ladder rung, the documented counts
    against the simulated ones and the scenario's warnings. Dates stay dates
    here; the JSON writer turns them into ISO text."""
    s = result.scenario
    outcomes = result.summary()
    counts = result.table.counts
    return {
        "scenario": s.name,
        "start_date": s.start_date,
        "horizon_days": s.horizon_days,
        "horizon_date": s.date_of(s.horizon_days),
        "replications": result.replications,
        "seed": result.seed,
        "interval": "95% Wilson score interval, pointwise",
        "headline": outcomes.iloc[0].to_dict(),
        "outcomes": outcomes.to_dict(orient="records"),
        "counts": {
            event: {
                "mean": float(counts[:, i].mean()),
                "median": float(np.median(counts[:, i])),
                "p05": float(np.quantile(counts[:, i], 0.05)),
                "p95": float(np.quantile(counts[:, i], 0.95)),
            }
            for i, event in enumerate(s.events)
        },
        "max_level_shares": {
            name: float(np.mean(result.table.max_level == i)) for i, name in enumerate(s.ladder)
        },
        "observed_vs_simulated": result.observed().to_dict(orient="records"),
        "warnings": list(warnings),
    }


def write_run(
    result: RunResult,
    folder: Path,
    force: bool = False,
    formats: Sequence[str] = ("png",),
    warnings: Sequence[str] = (),
) -> list[Path]:
    """Write the whole results folder atomically; returns the chart files."""
    s = result.scenario
    with io.staged_folder(folder, force) as out:
        io.write_json(
            out / "manifest.json",
            io.manifest(
                s,
                seed=result.seed,
                replications=result.replications,
                workers=result.workers,
                wall_seconds=round(result.wall_seconds, 3),
                precision=result.precision,
                engine=result.engine,
                uncertain=uncertain_manifest(s),
                overrides=s.overrides,
                simpy_events=int(result.table.simpy_events.sum()),
            ),
        )
        io.write_json(out / "summary.json", summary_document(result, warnings))
        io.write_scenario(s, out / "scenario.resolved.yaml")
        io.write_table(result.rows(), out / "replications.parquet")
        io.write_table(result.summary(), out / "outcomes.csv")
        io.write_table(result.curves(), out / "probability_by_day.csv")
        io.write_table(result.levels(), out / "levels_by_day.csv")
        io.write_table(result.monthly(), out / "monthly_counts.csv")
        io.write_table(result.observed(), out / "observed_vs_simulated.csv")
        evidence = evidence_table(s)
        io.write_table(evidence, out / "sources.csv")
        written = _write_charts(result, out, formats)
        write_report(run_page(result, evidence, warnings, written), out)
    return [folder / p.name for p in written]


MC_INTERVAL_NOTE = (
    "Intervals are 95% Wilson score intervals for Monte Carlo noise only: they say how "
    "precisely the replications estimate the model's probability, not how uncertain the "
    "scenario's parameters are. On the charts the band is pointwise (per day), not a band "
    "for the whole curve."
)


def question(result: RunResult) -> str:
    """The scenario's question: its description, or one built from its outcomes."""
    s = result.scenario
    if s.description:
        return s.description.strip()
    horizon = s.date_of(s.horizon_days)
    return (
        f"Starting {s.start_date:%d %B %Y}, how likely is each outcome by "
        f"{horizon:%d %B %Y} ({s.horizon_days:g} days)? The first is the headline: "
        f"{s.outcome_label(s.headline)}."
    )


def run_page(
    result: RunResult, evidence: pd.DataFrame, warnings: Sequence[str], charts: Sequence[Path]
) -> Page:
    """The report.html page of a run: the question, the headline sentence, the
    PNG charts among `charts` with what each shows, the outcome table, the
    documented counts against the model (when there are any), the evidence table
    and the scenario's warnings."""
    captions = {
        "probability": "Probability that each outcome has happened by each date.",
        "levels": "Share of replications on each rung of the escalation ladder, per day.",
        "time_to_outcome": "When each outcome first happens, among replications where it does.",
    }
    shown = [
        Chart(
            c.name,
            captions.get(
                c.stem,
                f"Monthly counts: {c.stem.removeprefix('monthly_')}, "
                "simulated (median, 5-95%) beside the documented counts.",
            ),
        )
        for c in charts
        if c.suffix == ".png"
    ]
    outcomes = result.outcome_rows()[
        ["label", "probability", "lower", "upper", "median_date", "happened", "replications"]
    ]
    tables = [Table("Outcomes by the horizon", outcomes, "lower/upper: 95% Wilson interval.")]
    observed = result.observed()
    if len(observed):
        tables.append(
            Table("Documented counts against the model", observed, "sim_*: simulated quantiles.")
        )
    return Page(
        kind="run",
        title=result.title,
        question=question(result),
        headline=result.headline_text(),
        interval_note=MC_INTERVAL_NOTE,
        charts=shown,
        tables=tables,
        evidence=evidence,
        warnings=list(warnings),
    )


def _write_charts(result: RunResult, out: Path, formats: Sequence[str]) -> list[Path]:
    written = []
    fig, ax = figure()
    result.plot_probability(ax=ax)
    written += io.save_figure(fig, out / "probability", formats)
    fig, ax = figure((10, 4.8))
    result.plot_levels(ax=ax)
    written += io.save_figure(fig, out / "levels", formats)
    fig, ax = figure()
    result.plot_time_to_outcome(ax=ax)
    written += io.save_figure(fig, out / "time_to_outcome", formats)
    for event in result.monthly_events():
        fig, ax = figure()
        result.plot_monthly(event, ax=ax)
        written += io.save_figure(fig, out / f"monthly_{event}", formats)
    return written
