"""Running a sweep from Python (notebooks): the same path as `escsim sweep`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.distributed import executor_for, executor_name
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
    analyses: dict[str, pd.DataFrame]
    """As written beside the table: 'discovery' always, 'sensitivity' for sobol designs."""

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
    on_start: Callable[[int, int], Callable[[int], None] | None] | None = None,
) -> SweepResult:
    """Run (or resume) a sweep into `folder` and return its table and analyses.

    `on_start(done, total)` is told how many points were already done before
    the run and may return a function called with each point index finished
    (the CLI's progress bar).
    """
    spec = sweep if isinstance(sweep, Sweep) else load_sweep(Path(sweep))
    out = Path(folder)
    started = time.perf_counter()
    with executor_for(workers, dask, scheduler) as executor:
        done = prepare_folder(spec, out, resume, force)
        on_point = on_start(len(done), len(spec.points)) if on_start else None
        run_points(spec, out, executor, workers, done, on_point)
    table = collect(out)
    analyses = finalise(
        spec, out, table, time.perf_counter() - started, executor_name(workers, dask, scheduler)
    )
    return SweepResult(spec, out, table, analyses)
