"""Running a sweep from Python (notebooks): the same path as `escsim sweep`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.distributed import executor_for
from sim.sweep import analysis
from sim.sweep import charts as sweep_charts
from sim.sweep.report import finalise
from sim.sweep.runner import collect, prepare_folder, run_points
from sim.sweep.spec import Sweep, load_sweep


@dataclass(frozen=True)
class SweepResult:
    sweep: Sweep
    folder: Path
    table: pd.DataFrame
    """One row per point: parameters, probabilities with 95% intervals, mean counts."""

    def sensitivity(self) -> pd.DataFrame:
        """Sobol indices (sobol designs only)."""
        return analysis.sobol_indices(self.sweep, self.table)

    def discovery(self, outcome: str | None = None, threshold: float | None = None) -> pd.DataFrame:
        return analysis.discover(self.sweep, self.table, outcome, threshold)

    def plot(self, outcome: str | None = None) -> Figure:
        return sweep_charts.sweep_figure(self.sweep, self.table, outcome)

    def plot_sensitivity(self, outcome: str | None = None, ax: Axes | None = None) -> Axes:
        return sweep_charts.sensitivity_chart(
            self.sensitivity(), outcome or self.sweep.outcomes[0], ax=ax
        )


def run_sweep(
    sweep: Sweep | str | Path,
    folder: str | Path,
    workers: int = 2,
    resume: bool = False,
    force: bool = False,
    dask: str | None = None,
    scheduler: str | None = None,
) -> SweepResult:
    """Run (or resume) a sweep into `folder` and return its table and analyses."""
    spec = sweep if isinstance(sweep, Sweep) else load_sweep(Path(sweep))
    out = Path(folder)
    started = time.perf_counter()
    with executor_for(workers, dask, scheduler) as executor:
        done = prepare_folder(spec, out, resume, force)
        run_points(spec, out, executor, workers, done)
    table = collect(out)
    finalise(
        spec,
        out,
        table,
        time.perf_counter() - started,
        scheduler or ("dask-local" if dask else f"workers={workers}"),
    )
    return SweepResult(spec, out, table)
