"""A finished sweep's table, analyses and charts, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from sim import charts, io
from sim.sweep import analysis
from sim.sweep import charts as sweep_charts
from sim.sweep.spec import Sweep


def write_atomic_table(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}{path.suffix}")
    io.write_table(frame, tmp)
    os.replace(tmp, path)


def finalise(
    sweep: Sweep, folder: Path, table: pd.DataFrame, wall_seconds: float, executor_name: str
) -> dict[str, pd.DataFrame]:
    """Write the table, the analyses and the charts; return the analyses."""
    write_atomic_table(table, folder / "sweep.parquet")
    write_atomic_table(table, folder / "sweep.csv")
    out: dict[str, pd.DataFrame] = {}
    boxes = analysis.discover(sweep, table)
    out["discovery"] = boxes
    write_atomic_table(boxes, folder / "discovery.csv")
    if sweep.spec.design == "sobol":
        indices = analysis.sobol_indices(sweep, table)
        out["sensitivity"] = indices
        write_atomic_table(indices, folder / "sensitivity.csv")
        for outcome in indices["outcome"].unique():
            fig, ax = charts.figure((8, 0.6 * len(sweep.paths) + 2))
            sweep_charts.sensitivity_chart(indices, outcome, ax=ax)
            charts.save_figure(fig, folder / f"sensitivity_{outcome}")
    fig = sweep_charts.sweep_figure(sweep, table, boxes=boxes if len(sweep.paths) == 2 else None)
    charts.save_figure(fig, folder / "sweep")
    sweep_charts.plt.close(fig)
    if len(boxes):
        fig, ax = charts.figure((9, 0.5 * len(sweep.paths) * len(boxes) + 1.8))
        sweep_charts.discovery_chart(sweep, boxes, ax=ax)
        charts.save_figure(fig, folder / "discovery")
    io.write_json(
        folder / "manifest.json",
        io.manifest(
            sweep.base,
            sweep_file=str(sweep.file),
            points=len(table),
            replications_per_point=sweep.spec.replications,
            seed=sweep.spec.seed,
            design=sweep.spec.design,
            executor=executor_name,
            wall_seconds=round(wall_seconds, 3),
        ),
    )
    return out
