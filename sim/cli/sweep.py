"""`escsim sweep`: a design over parameters with common random numbers,
written point by point, resumable, on a process pool or Dask."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.app import (
    AllowLargeOpt,
    EngineOpt,
    ForceOpt,
    ProgressOpt,
    WorkersOpt,
    app,
    default_folder,
    err,
    frame_table,
    guarded,
    out,
    progress_bar,
    say,
)

if TYPE_CHECKING:
    import pandas as pd

    from sim.sweep.spec import Sweep


SweepArg = Annotated[
    Path,
    typer.Argument(
        help="Sweep YAML file (base scenario, parameters, design, replications, seed).",
        show_default=False,
    ),
]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume", help="Finish an interrupted sweep: run only the points not yet written."
    ),
]
DaskOpt = Annotated[
    str | None,
    typer.Option("--dask", help="'local': run on a local Dask cluster of --workers processes."),
]
SchedulerOpt = Annotated[
    str | None, typer.Option(help="Run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786.")
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Sweep folder [default: results/<sweep name>]."),
]
SOBOL_COLUMNS = {
    "outcome": "outcome",
    "parameter": "parameter",
    "S1": "S1",
    "S1_conf": "+-",
    "ST": "ST",
    "ST_conf": "+-",
}
"""Columns of the Sobol table printed (frame column -> header)."""


@app.command()
def sweep(
    sweep_file: SweepArg,
    workers: WorkersOpt = 2,
    resume: ResumeOpt = False,
    force: ForceOpt = False,
    dask: DaskOpt = None,
    scheduler: SchedulerOpt = None,
    out_dir: OutOpt = None,
    progress: ProgressOpt = True,
    allow_large: AllowLargeOpt = False,
    engine: EngineOpt = "simpy",
) -> None:
    """Run a parameter sweep (grid, Latin hypercube or Sobol design) with common
    random numbers. Each point is written as it finishes, so a killed sweep
    resumes with --resume to exactly the table an uninterrupted run gives.
    Writes sweep.parquet (one row per point: parameters, each outcome's
    probability with its 95% interval, mean counts), charts, Sobol indices
    (sobol design) and scenario-discovery boxes.

    \b
    Examples:
      escsim sweep sweeps/flagship_israel_threshold.yaml
      escsim sweep sweeps/flagship_israel_threshold.yaml --resume
      escsim sweep sweeps/flagship_israel_threshold.yaml --dask local --out results/on-dask
    """  # noqa: D301, RUF100 (\b: click's "keep these lines as written")
    from sim.sweep.spec import load_sweep
    from sim.writers.sweep import run_sweep

    def action() -> None:
        spec = load_sweep(sweep_file)
        folder = out_dir or default_folder(spec.name)
        spec.check_workload(allow_large)
        with contextlib.ExitStack() as stack:

            def on_start(done: int, total: int) -> Callable[[int], None] | None:
                err.print(
                    f"{spec.name}: {total} points x {spec.spec.replications} "
                    f"replications ({done} already done)",
                    highlight=False,
                    markup=False,
                )
                tick = stack.enter_context(
                    progress_bar(total - done, "points", progress and sys.stderr.isatty())
                )
                return (lambda _index: tick(1)) if tick else None

            result = run_sweep(
                spec, folder, workers, resume, force, dask, scheduler, on_start, engine
            )
        _print_sweep(spec, result.table, result.analyses)
        say(
            f"wrote {folder}/: report.html, sweep.parquet, sweep.png, discovery.csv"
            + (", sensitivity.csv" if "sensitivity" in result.analyses else "")
        )

    guarded(
        action,
        interrupted="interrupted: the points already finished are kept; run the same command "
        "with --resume to continue",
    )


def _print_sweep(spec: Sweep, table: pd.DataFrame, analyses: dict[str, pd.DataFrame]) -> None:
    """The five highest and lowest points by the headline probability, the
    Sobol indices (sobol designs), and the discovery boxes or why there are none."""
    headline = spec.outcomes[0]
    ranked = table.sort_values(f"p_{headline}")
    shown = {p: p for p in spec.paths} | {
        f"p_{headline}": f"P({headline})",
        f"lower_{headline}": "lower",
        f"upper_{headline}": "upper",
    }
    out.print(frame_table(ranked.tail(5)[::-1], "Highest points", shown))
    out.print(frame_table(ranked.head(5), "Lowest points", shown))
    if "sensitivity" in analyses:
        out.print(
            frame_table(analyses["sensitivity"], "Sobol indices (95% intervals)", SOBOL_COLUMNS)
        )
    boxes = analyses["discovery"]
    if len(boxes):
        out.print(
            frame_table(
                boxes,
                f"Where P({headline}) >= {spec.spec.threshold:g}",
                {c: c for c in boxes.columns if c not in ("outcome", "threshold")},
            )
        )
        return
    reached = int((table[f"p_{headline}"] >= spec.spec.threshold).sum())
    why = (
        "no point reaches it"
        if reached == 0
        else "every point reaches it"
        if reached == len(table)
        else f"{reached} of {len(table)} points reach it, too few to form a box"
    )
    say(f"No box for P({headline}) >= {spec.spec.threshold:g}: {why}.")
