"""Turn a RunResult into a results folder: manifest, summary, tables, charts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import charts, io
from sim.results import RunResult


def summary_document(result: RunResult, warnings: Sequence[str] = ()) -> dict[str, Any]:
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
    extra_tables: dict[str, pd.DataFrame] | None = None,
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
                overrides=result.overrides,
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
        for name, frame in (extra_tables or {}).items():
            io.write_table(frame, out / name)
        written = _write_charts(result, out, formats)
    return [folder / p.name for p in written]


def _write_charts(result: RunResult, out: Path, formats: Sequence[str]) -> list[Path]:
    written = []
    fig, ax = charts.figure()
    result.plot_probability(ax=ax)
    written += charts.save_figure(fig, out / "probability", formats)
    fig, ax = charts.figure((10, 4.8))
    result.plot_levels(ax=ax)
    written += charts.save_figure(fig, out / "levels", formats)
    fig, ax = charts.figure()
    result.plot_time_to_outcome(ax=ax)
    written += charts.save_figure(fig, out / "time_to_outcome", formats)
    for event in result.monthly_events():
        fig, ax = charts.figure()
        result.plot_monthly(event, ax=ax)
        written += charts.save_figure(fig, out / f"monthly_{event}", formats)
    return written
