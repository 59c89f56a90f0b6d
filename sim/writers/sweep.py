"""A sweep's folder: each point written the moment it is done, then the
table, the analyses, the charts and the manifest.

A point file is written under a temporary name and renamed, so a sweep killed
at any moment (even `kill -9`) leaves only whole points; `--resume` runs the
missing ones. `run_sweep` is the whole path `escsim sweep` takes, for
notebooks too: a sweep lives in its folder, which is what makes it resumable.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import matplotlib.pyplot as plt
import pandas as pd

from sim.charts import sweep as sweep_charts
from sim.charts.labels import parameter_label
from sim.charts.style import figure
from sim.errors import UsageError
from sim.experiments.sweep import analysis
from sim.experiments.sweep.runner import run_points
from sim.montecarlo.executors import executor_for, executor_name
from sim.montecarlo.fast.select import resolve_engine
from sim.sweep.spec import Range, Sweep, load_sweep
from sim.writers import folder as io
from sim.writers.report import Chart, Page, Table, write_report

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep as it stands in its folder: the sweep, where it lives,
    the table of points and the analyses written beside it. Its methods
    recompute analyses or draw charts for a notebook; they write nothing."""

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
        """Boxes of parameter space where `outcome` (default: the headline) reaches
        `threshold` (default: the sweep file's), found by a shallow decision tree;
        empty when no point, or every point, reaches it."""
        return analysis.discover(self.sweep, self.table, outcome, threshold)

    def plot(self, outcome: str | None = None) -> Figure:
        """The sweep's headline chart for `outcome` (default: the first outcome),
        parameters in words; a new figure, since its layout depends on how many
        parameters were swept."""
        return sweep_figure(self.sweep, self.table, outcome)

    def plot_sensitivity(self, outcome: str | None = None, ax: Axes | None = None) -> Axes:
        """The Sobol indices of `outcome` (default: the headline), parameters in
        words; sobol designs only (see `sensitivity`)."""
        return sensitivity_chart(self.sweep, self.sensitivity(), outcome, ax)


def chart_parameters(sweep: Sweep) -> list[sweep_charts.Parameter]:
    """Each swept parameter as the charts take it: column, words, range."""
    return [
        sweep_charts.Parameter(
            path,
            parameter_label(sweep.base, path),
            *((r.low, r.high, r.log) if isinstance(r, Range) else (min(r), max(r), False)),
        )
        for path, r in sweep.spec.parameters.items()
    ]


def sweep_figure(
    sweep: Sweep, table: pd.DataFrame, outcome: str | None = None, boxes: pd.DataFrame | None = None
) -> Figure:
    """The headline chart of a sweep (see `sim.charts.sweep.sweep_figure`)."""
    return sweep_charts.sweep_figure(
        table,
        chart_parameters(sweep),
        {o: sweep.base.outcome_label(o) for o in sweep.outcomes},
        sweep_charts.design_note(sweep.spec.design, len(table), sweep.spec.replications),
        outcome,
        boxes,
    )


def sensitivity_chart(
    sweep: Sweep, indices: pd.DataFrame, outcome: str | None = None, ax: Axes | None = None
) -> Axes:
    """The Sobol indices of one outcome, parameters in words."""
    chosen = outcome or sweep.outcomes[0]
    return sweep_charts.sensitivity_chart(
        indices,
        chosen,
        {path: parameter_label(sweep.base, path) for path in sweep.paths},
        sweep.base.outcome_label(chosen),
        ax=ax,
    )


def prepare_folder(sweep: Sweep, folder: Path, resume: bool, force: bool) -> set[int]:
    """Create or reopen the sweep folder; returns the points already done."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder; choose another --out")
    fingerprint = sweep.fingerprint()
    record = folder / "sweep.json"
    if folder.exists() and resume:
        if not record.exists():
            raise UsageError(f"{folder} is not a sweep folder (no sweep.json); cannot resume")
        began = json.loads(record.read_text())
        changes = describe_changes(began, fingerprint)
        if changes:
            raise UsageError(
                "the sweep changed since it began, so its points would not "
                "match; refusing to resume:\n  "
                + "\n  ".join(changes)
                + f"\nRun it afresh with --force (discarding {folder}) or "
                "restore the sweep file."
            )
        for leftover in (folder / "points").glob(".*.partial-*"):
            leftover.unlink()  # a point killed mid-write; it is run again
        for leftover in folder.glob(".*.partial-*"):
            leftover.unlink()  # a table or chart killed mid-write; written again
        return done_points(folder)
    if resume:
        raise UsageError(f"nothing to resume: {folder} does not exist")
    if folder.exists():
        if not force:
            raise UsageError(
                f"sweep folder {folder} already exists; --resume to finish it, "
                "or --force to discard it and start again"
            )
        io.check_target(folder, force)  # only an escsim folder, never `.` or a parent
        shutil.rmtree(folder)
    io.check_location(folder.parent)  # a file in the way or no room: said, not a traceback
    (folder / "points").mkdir(parents=True)
    io.write_text(
        record,
        json.dumps(
            {**fingerprint, "points": len(sweep.points), "sweep_file": str(sweep.file)}, indent=2
        ),
    )
    return set()


def describe_changes(began: dict[str, Any], now: dict[str, str]) -> list[str]:
    """What differs between the fingerprint recorded when a sweep began and the
    sweep file now, one line per changed setting (and one if the resolved base
    scenario's hash changed); empty when resuming is safe."""
    changes = []
    before, after = json.loads(began["spec"]), json.loads(now["spec"])
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes.append(f"{key}: {json.dumps(before.get(key))} -> {json.dumps(after.get(key))}")
    if began.get("base_sha256") != now["base_sha256"]:
        changes.append(
            "the base scenario (or a file it extends) changed: resolved SHA-256 "
            f"{began.get('base_sha256', '?')[:12]} -> {now['base_sha256'][:12]}"
        )
    return changes


def done_points(folder: Path) -> set[int]:
    """Indices of the points already written to `folder`/points (whole files
    only: partial writes have hidden temporary names)."""
    return {int(p.stem) for p in (folder / "points").glob(io.FINISHED_JSON)}


def collect(folder: Path) -> pd.DataFrame:
    """The sweep table from its point files, in point order."""
    rows = [json.loads(p.read_text()) for p in sorted((folder / "points").glob(io.FINISHED_JSON))]
    return cast(pd.DataFrame, pd.DataFrame(rows).sort_values("point", ignore_index=True))


def write_point(folder: Path, index: int, row: dict[str, Any]) -> None:
    """One finished point, atomically (a killed sweep leaves only whole points)."""
    io.write_text(folder / "points" / f"{index:06d}.json", json.dumps(row))


def finalise(
    sweep: Sweep,
    folder: Path,
    table: pd.DataFrame,
    wall_seconds: float,
    executor_name: str,
    engine: str = "simpy",
) -> dict[str, pd.DataFrame]:
    """Write the table, the analyses and the charts; return the analyses."""
    io.write_table(table, folder / "sweep.parquet")
    io.write_table(table, folder / "sweep.csv")
    out: dict[str, pd.DataFrame] = {}
    boxes = analysis.discover(sweep, table)
    out["discovery"] = boxes
    io.write_table(boxes, folder / "discovery.csv")
    if sweep.spec.design == "sobol":
        indices = analysis.sobol_indices(sweep, table)
        out["sensitivity"] = indices
        io.write_table(indices, folder / "sensitivity.csv")
        for outcome in indices["outcome"].unique():
            fig, ax = figure(sweep_charts.sensitivity_chart_size(indices, outcome))
            sensitivity_chart(sweep, indices, outcome, ax=ax)
            io.save_figure(fig, folder / f"sensitivity_{outcome}")
    fig = sweep_figure(sweep, table, boxes=boxes if len(sweep.paths) == 2 else None)
    io.save_figure(fig, folder / "sweep")
    plt.close(fig)
    if len(boxes):
        fig, ax = figure(sweep_charts.discovery_chart_size(boxes, len(sweep.paths)))
        sweep_charts.discovery_chart(
            boxes,
            chart_parameters(sweep),
            sweep.base.outcome_label(str(boxes["outcome"].iloc[0])),
            ax=ax,
        )
        io.save_figure(fig, folder / "discovery")
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
            engine=engine,
            wall_seconds=round(wall_seconds, 3),
        ),
    )
    write_report(sweep_page(sweep, table, out), folder)
    return out


def sweep_page(sweep: Sweep, table: pd.DataFrame, analyses: dict[str, pd.DataFrame]) -> Page:
    """The report.html page of a sweep: the range of the headline probability
    across the points (with where its lowest and highest are), the charts that
    were drawn, the 20 highest points and the non-empty analyses."""
    headline = sweep.outcomes[0]
    p = table[f"p_{headline}"]
    low, high = table.iloc[int(p.to_numpy().argmin())], table.iloc[int(p.to_numpy().argmax())]

    def where(row: pd.Series) -> str:
        return ", ".join(f"{path}={row[path]:.4g}" for path in sweep.paths)

    label = sweep.base.outcome_label(headline)
    charts = [Chart("sweep.png", f"P({label}) across the design's points.")]
    if "sensitivity" in analyses:
        charts += [
            Chart(f"sensitivity_{o}.png", f"Sobol indices for {o}: which parameters drive it.")
            for o in analyses["sensitivity"]["outcome"].unique()
        ]
    if len(analyses["discovery"]):
        charts.append(
            Chart(
                "discovery.png",
                "Boxes of parameter space where the headline "
                f"probability reaches {sweep.spec.threshold:g}.",
            )
        )
    tables = [
        Table(
            "Points, highest headline probability first",
            table.sort_values(f"p_{headline}", ascending=False).head(20),
        )
    ]
    tables += [Table(name.capitalize(), frame) for name, frame in analyses.items() if len(frame)]
    return Page(
        kind="sweep",
        title=f"{sweep.name}: {sweep.spec.design} sweep of {sweep.base.title or sweep.base.name}",
        question=f"How does P({label}) change across {', '.join(sweep.paths)}?",
        headline=f"P({label}) ranges from {p.min():.3f} ({where(low)}) to {p.max():.3f} "
        f"({where(high)}) over {len(table)} points of {sweep.spec.replications:,} "
        "replications each.",
        interval_note="Each point's interval is a 95% Wilson interval for Monte Carlo noise; "
        "points share their random numbers (common random numbers).",
        charts=charts,
        tables=tables,
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
    engine: str = "simpy",
) -> SweepResult:
    """Run (or resume) a sweep into `folder` and return its table and analyses.

    `on_start(done, total)` is told how many points were already done before
    the run and may return a function called with each point index finished
    (the CLI's progress bar). `engine`: "simpy" or "fast" (identical tables;
    the manifest records which ran).
    """
    spec = sweep if isinstance(sweep, Sweep) else load_sweep(Path(sweep))
    engine = resolve_engine(engine, spec.base)
    out = Path(folder)
    started = time.perf_counter()
    with executor_for(workers, dask, scheduler) as executor:
        done = prepare_folder(spec, out, resume, force)
        tick = on_start(len(done), len(spec.points)) if on_start else None

        def on_point(index: int, row: dict[str, Any]) -> None:
            write_point(out, index, row)
            if tick:
                tick(index)

        run_points(spec, executor, workers, done, on_point, engine)
    table = collect(out)
    analyses = finalise(
        spec,
        out,
        table,
        time.perf_counter() - started,
        executor_name(workers, dask, scheduler),
        engine,
    )
    return SweepResult(spec, out, table, analyses)
