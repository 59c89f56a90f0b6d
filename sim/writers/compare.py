"""A policy comparison's folder: differences, probabilities, curves and charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.charts import compare as compare_charts
from sim.charts.style import figure
from sim.experiments.compare import Comparison
from sim.writers import folder as io
from sim.writers.report import Chart, Page, Table, write_report


def compare_page(result: Comparison, charts: list[Path]) -> Page:
    """The report.html page of a comparison: the first difference (first
    variant, headline outcome) with its paired interval as the headline, the
    charts, the difference and probability tables and the alignment notes.

    Args:
        result: The finished comparison.
        charts: The chart files written beside the page (only their names are
            used: the page lives in the same folder).
    """
    diff = result.differences()
    base = result.baseline
    first = diff.iloc[0] if len(diff) else None
    headline = (
        f"{first['label']}: {first['scenario']} minus {first['baseline']} = "
        f"{first['difference']:+.3f} (paired 95% interval {first['paired_lower']:+.3f} to "
        f"{first['paired_upper']:+.3f})"
        if first is not None
        else "No differences to report."
    )
    return Page(
        kind="compare",
        title=f"{base.title}: scenarios compared",
        question="How does each scenario change the probability of each outcome, against "
        f"the first ({result.labels[0]}), on the same {base.replications:,} replications "
        "(common random numbers)?",
        headline=headline,
        interval_note="Paired intervals use the per-replication differences (common random "
        "numbers); unpaired ones treat the runs as independent. Both cover Monte Carlo noise "
        "only, not parameter uncertainty.",
        charts=[
            Chart(
                c.name,
                "Forest plot of differences."
                if c.stem == "differences"
                else "Probability curve of one outcome in every scenario.",
            )
            for c in charts
        ],
        tables=[
            Table("Differences from the first scenario", diff),
            Table("Probability by the horizon", result.summary()),
        ],
        notes=result.notes,
    )


def write_comparison(
    result: Comparison, folder: Path, force: bool = False, **run_facts: Any
) -> list[Path]:
    """Write the comparison atomically; returns the chart files."""
    diff, curves = result.differences(), result.curves()
    charts: list[Path] = []
    with io.staged_folder(folder, force) as staging:
        io.write_json(
            staging / io.MANIFEST,
            io.manifest(
                result.baseline.scenario,
                seed=result.baseline.seed,
                replications=result.baseline.replications,
                scenarios={
                    n: str(r.scenario.origin)
                    for n, r in zip(result.labels, result.results, strict=True)
                },
                notes=result.notes,
                **run_facts,
            ),
        )
        io.write_table(diff, staging / "differences.csv")
        io.write_table(result.summary(), staging / "probabilities.csv")
        io.write_table(curves, staging / "probability_by_day.csv")
        for outcome in result.outcomes:
            fig, ax = figure()
            compare_charts.comparison_chart(curves, outcome, ax=ax)
            charts += io.save_figure(fig, staging / f"compare_{outcome}")
        fig, ax = figure(compare_charts.difference_chart_size(diff))
        compare_charts.difference_chart(diff, ax=ax)
        charts += io.save_figure(fig, staging / "differences")
        write_report(compare_page(result, charts), staging)
    return [folder / p.name for p in charts]
