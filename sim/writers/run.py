"""Turn a RunResult into a results folder: manifest, summary, tables, charts,
and with `--sobol` the ranked Sobol indices ("what to research next")."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.charts.style import figure
from sim.charts.uncertainty import research_size
from sim.experiments.run import RunResult
from sim.experiments.uncertainty import SobolResult
from sim.scenario.sources import evidence_table
from sim.scenario.uncertain import uncertain_manifest
from sim.writers import folder as io
from sim.writers.report import Chart, Page, Table, write_report


def summary_document(result: RunResult, warnings: Sequence[str] = ()) -> dict[str, Any]:
    """The content of summary.json: the run's facts (start, horizon, seed,
    replications; with `--precision` its target, the half-width reached and
    whether it was), the parameter uncertainty (design and the draws' manifest),
    every outcome's probability with its 95% Monte Carlo interval and, with a
    nested design, its parameter band (the first is the headline), each event
    type's count distribution, the share of replications reaching each ladder
    rung, the documented counts against the simulated ones and the scenario's
    warnings. Dates stay dates here; the JSON writer turns them into ISO text."""
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
        "interval": interval_text(result),
        "precision": result.precision_document(),
        "uncertainty": uncertainty_document(result),
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


def interval_text(result: RunResult) -> str:
    """What `lower` and `upper` are, in words, for summary.json and the report."""
    if result.nested is None:
        return "95% Wilson score interval, pointwise (Monte Carlo noise only)"
    return (
        "95% Monte Carlo interval: Wilson at the effective sample size of "
        f"{result.nested.param_draws:,} parameter draws x {result.nested.reps_per_draw:,} "
        "replications (replications sharing a draw are correlated), pointwise"
    )


def uncertainty_document(result: RunResult) -> dict[str, Any]:
    """How parameter uncertainty entered the run: `design` ("fixed": no
    uncertain parameter; "per replication": each replication draws its own, the
    probabilities are predictive; "nested": K draws x M replications, with a
    parameter band), K and M, the bands' definitions, and the draws' manifest
    (each uncertain parameter, its law and generator key)."""
    s = result.scenario
    nested = result.nested
    design = "nested" if nested else "per replication" if s.uncertain else "fixed"
    return {
        "design": design,
        "param_draws": nested.param_draws if nested else None,
        "reps_per_draw": nested.reps_per_draw if nested else None,
        "simultaneous_band": "95% DKW band for the whole curve (probability_by_day.csv: "
        "simultaneous_lower, simultaneous_upper), n = "
        + ("parameter draws" if nested else "replications"),
        "parameter_band": "quantiles 5, 25, 50, 75, 95% across draws of P(outcome | parameters) "
        "(cond_p05 ... cond_p95); noise_share: the part of their variance that is replication "
        "noise"
        if nested
        else None,
        "parameters": uncertain_manifest(s),
    }


def outcomes_table(result: RunResult) -> pd.DataFrame:
    """outcomes.csv: the summary, with the draws' manifest in one column when
    parameters are uncertain (`path ~ law`, separated by "; ")."""
    table = result.summary()
    s = result.scenario
    if s.uncertain:
        table["uncertain_parameters"] = "; ".join(
            f"{path} ~ {dist.describe()}" for path, dist in s.uncertain.items()
        )
    return table


def write_run(
    result: RunResult,
    folder: Path,
    force: bool = False,
    formats: Sequence[str] = ("png",),
    warnings: Sequence[str] = (),
    sobol: SobolResult | None = None,
) -> list[Path]:
    """Write the whole results folder atomically; returns the chart files.

    With `sobol`, also sobol.csv (the indices of every outcome) and the ranked
    chart of the headline's indices, research.png. A `--precision` target not
    reached and a parameter band that is mostly replication noise are warned
    about with the scenario's `warnings`.
    """
    s = result.scenario
    warnings = [*warnings, *result.precision_warnings(), *result.band_warnings()]
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
                param_draws=result.nested.param_draws if result.nested else None,
                reps_per_draw=result.nested.reps_per_draw if result.nested else None,
                sobol_base_samples=len(sobol.design) if sobol else None,
                uncertain=uncertain_manifest(s),
                overrides=s.overrides,
                simpy_events=int(result.table.simpy_events.sum()),
            ),
        )
        io.write_json(out / "summary.json", summary_document(result, warnings))
        io.write_scenario(s, out / "scenario.resolved.yaml")
        io.write_table(result.rows(), out / "replications.parquet")
        io.write_table(outcomes_table(result), out / "outcomes.csv")
        io.write_table(result.curves(), out / "probability_by_day.csv")
        io.write_table(result.levels(), out / "levels_by_day.csv")
        io.write_table(result.monthly(), out / "monthly_counts.csv")
        io.write_table(result.observed(), out / "observed_vs_simulated.csv")
        evidence = evidence_table(s)
        io.write_table(evidence, out / "sources.csv")
        written = _write_charts(result, out, formats)
        if sobol is not None:
            io.write_table(sobol.indices(), out / "sobol.csv")
            fig, ax = figure(research_size(sobol.indices(), s.headline))
            sobol.plot_research(ax=ax)
            written += io.save_figure(fig, out / "research", formats)
        write_report(run_page(result, evidence, warnings, written, sobol), out)
    return [folder / p.name for p in written]


MC_INTERVAL_NOTE = (
    "Intervals are 95% Wilson score intervals for Monte Carlo noise only: they say how "
    "precisely the replications estimate the model's probability, not how uncertain the "
    "scenario's parameters are. On the probability chart the shaded band is pointwise (each "
    "day on its own) and the dashed lines are the simultaneous DKW band, which holds the "
    "whole curve at once."
)
NESTED_INTERVAL_NOTE = (
    "Two kinds of uncertainty. The Monte Carlo interval says how precisely the "
    "replications estimate the predictive probability (the average over what is not known "
    "about the parameters); more replications shrink it. The parameter band says how the "
    "probability would differ if the parameters were known: the median and the 50% and 90% "
    "ranges, across parameter draws, of the probability given the draw; more replications "
    "do not shrink it, only better evidence on the parameters does. On the probability "
    "chart, hatched: 95% pointwise Monte Carlo band; dashed: 95% simultaneous band for the "
    "whole curve (DKW); shaded: the parameter band."
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
    result: RunResult,
    evidence: pd.DataFrame,
    warnings: Sequence[str],
    charts: Sequence[Path],
    sobol: SobolResult | None = None,
) -> Page:
    """The report.html page of a run: the question, the headline sentence
    (with the parameter band after a nested design), the PNG charts among
    `charts` with what each shows, the outcome table, the Sobol indices (with
    `sobol`), the documented counts against the model (when there are any),
    the evidence table and the scenario's warnings."""
    nested = result.nested is not None
    captions = {
        "probability": "Predictive probability that the headline outcome has happened by "
        "each date (every outcome's bands: outcomes.csv, probability_by_day.csv): "
        "hatched, 95% pointwise Monte Carlo band (Wilson, clustered by draw); dashed, 95% "
        "simultaneous band for the whole curve (DKW); shaded, the parameter band (50% and 90% "
        "of the probability given the parameters, across draws)."
        if nested
        else "Probability that each outcome has happened by each date: shaded, 95% pointwise "
        "band (Wilson, each day on its own); dashed, 95% simultaneous band for the whole "
        "curve (DKW).",
        "research": "What to research next: the uncertain parameters ranked by their total "
        "Sobol index for the headline outcome (first-order beside it): the share of the "
        "variance of its probability that knowing the parameter would remove.",
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
    columns = ["label", "probability", "lower", "upper"]
    if nested:
        columns += ["cond_p05", "cond_p25", "cond_median", "cond_p75", "cond_p95", "noise_share"]
    columns += ["median_date", "happened", "replications"]
    outcomes = result.outcome_rows()[columns]
    tables = [
        Table(
            "Outcomes by the horizon",
            outcomes,
            "lower/upper: 95% Monte Carlo interval (Wilson"
            + (
                ", clustered by draw); cond_*: quantiles of the probability given the "
                "parameters across draws (the parameter band); noise_share: the part of their "
                "variance that is replication noise."
                if nested
                else ")."
            ),
        )
    ]
    if sobol is not None:
        tables.append(
            Table(
                "What to research next: Sobol indices",
                sobol.indices(),
                "S1: first-order, ST: total Sobol index of P(outcome by the horizon) per "
                "uncertain parameter, 95% bootstrap half-widths (*_conf); parameter_share: the "
                "part of the outcome's variance the parameters carry.",
            )
        )
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
        interval_note=NESTED_INTERVAL_NOTE if nested else MC_INTERVAL_NOTE,
        charts=shown,
        tables=tables,
        evidence=evidence,
        warnings=list(warnings),
    )


def _write_charts(result: RunResult, out: Path, formats: Sequence[str]) -> list[Path]:
    written = []
    fig, ax = figure()
    # A nested design's bands overlap unreadably across outcomes: the chart
    # shows the headline's (every outcome's are in outcomes.csv and
    # probability_by_day.csv).
    result.plot_probability([result.scenario.headline] if result.nested else None, ax=ax)
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
