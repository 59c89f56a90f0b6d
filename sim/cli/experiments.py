"""Commands that run many scenarios: compare (paired, common random numbers)
and sweep (designs over parameters, resumable, on a process pool or Dask)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import ForceOpt, SeedOpt, app, err, guarded, load, out, write_frame_table
from sim.errors import UsageError


@app.command()
def compare(
    scenarios: Annotated[
        list[Path],
        typer.Argument(help="Scenario files; the first is the baseline.", show_default=False),
    ],
    variant: Annotated[
        list[str] | None,
        typer.Option(
            help="Compare the first scenario with a variant of itself: "
            "NAME:PATH=VALUE[,PATH=VALUE...] (repeatable).",
            show_default=False,
        ),
    ] = None,
    reps: Annotated[int, typer.Option("--reps", "-n", min=2)] = 2000,
    seed: SeedOpt = 0,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1)] = 2,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Results folder [default: results/compare-<first>-vs-<others>]."
        ),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Compare scenarios on the same replications (common random numbers):
    overlaid probability curves, and each outcome's difference from the first
    scenario with paired and unpaired 95% intervals, and how much the pairing
    narrowed the interval.

    \b
    Examples:
      escsim compare scenarios/iraq_2024_israel_threat.yaml \\
        scenarios/policies/us_strikes_iraq_not_syria.yaml
      escsim compare scenarios/iraq_2024_israel_threat.yaml \\
        --variant cautious:rules.israel_strikes_factions.probability=0.015
    """
    from sim import charts, experiment_charts, io
    from sim.comparison import compare as run_comparison
    from sim.comparison import parse_variants

    def action() -> None:
        named = []
        for path in scenarios:
            s, _ = load(path, None)
            named.append((path.stem, s))
        if variant:
            if not named:
                raise UsageError("--variant needs a base scenario")
            named += parse_variants(named[0][1], variant)
        labels = [n for n, _ in named]
        if len(set(labels)) != len(labels):
            raise UsageError(
                f"scenario names repeat ({', '.join(labels)}); name variants differently"
            )
        folder = out_dir or Path("results") / ("compare-" + "-vs-".join(labels))[:120]
        io.check_target(folder, force)
        result = run_comparison(named, seed, reps, workers)
        for note in result.notes:
            err.print(f"[yellow]note:[/] {note}", highlight=False)
        diff = result.differences()
        out.print(
            write_frame_table(
                result.summary(),
                "Probability by the horizon",
                {
                    "scenario": "scenario",
                    "outcome": "outcome",
                    "probability": "probability",
                    "lower": "lower",
                    "upper": "upper",
                },
            )
        )
        out.print(
            write_frame_table(
                diff,
                f"Differences from {labels[0]} (paired: common random numbers)",
                {
                    "scenario": "scenario",
                    "outcome": "outcome",
                    "difference": "difference",
                    "paired_lower": "paired lo",
                    "paired_upper": "paired hi",
                    "unpaired_lower": "unpaired lo",
                    "unpaired_upper": "unpaired hi",
                    "narrowing": "narrowing x",
                },
            )
        )
        with io.staged_folder(folder, force) as staging:
            io.write_json(
                staging / "manifest.json",
                io.manifest(
                    result.baseline.scenario,
                    seed=seed,
                    replications=reps,
                    workers=workers,
                    scenarios={n: str(s.origin) for n, s in named},
                    variants=variant or [],
                    notes=result.notes,
                ),
            )
            io.write_table(diff, staging / "differences.csv")
            io.write_table(result.summary(), staging / "probabilities.csv")
            io.write_table(result.curves(), staging / "probability_by_day.csv")
            for outcome in result.outcomes:
                fig, ax = charts.figure()
                experiment_charts.comparison_chart(result.curves(), outcome, ax=ax)
                charts.save_figure(fig, staging / f"compare_{outcome}")
            fig, ax = charts.figure((9, 0.55 * len(diff) + 1.8))
            experiment_charts.difference_chart(diff, ax=ax)
            charts.save_figure(fig, staging / "differences")
        out.print(
            f"wrote {folder}/: differences.csv, differences.png, compare_<outcome>.png",
            highlight=False,
        )

    guarded(action)


@app.command()
def sweep(
    sweep_file: Annotated[
        Path,
        typer.Argument(
            help="Sweep YAML file (base scenario, parameters, design, replications, seed).",
            show_default=False,
        ),
    ],
    workers: Annotated[int, typer.Option("--workers", "-w", min=1)] = 2,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Finish an interrupted sweep: run only the points not yet written."
        ),
    ] = False,
    force: ForceOpt = False,
    dask: Annotated[
        str | None,
        typer.Option("--dask", help="'local': run on a local Dask cluster of --workers processes."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Sweep folder [default: results/<sweep name>]."),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
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
    """
    import contextlib
    import sys
    from collections.abc import Callable

    from sim.cli.common import progress_bar
    from sim.sweep.api import run_sweep
    from sim.sweep.spec import load_sweep

    def action() -> None:
        spec = load_sweep(sweep_file)
        folder = out_dir or Path("results") / spec.name
        with contextlib.ExitStack() as stack:

            def on_start(done: int, total: int) -> Callable[[int], None] | None:
                err.print(
                    f"{spec.name}: {total} points x {spec.spec.replications} "
                    f"replications ({done} already done)",
                    highlight=False,
                )
                tick = stack.enter_context(
                    progress_bar(total - done, "points", progress and sys.stderr.isatty())
                )
                return (lambda _index: tick(1)) if tick else None

            result = run_sweep(spec, folder, workers, resume, force, dask, scheduler, on_start)
        table, analyses = result.table, result.analyses
        headline = spec.outcomes[0]
        ranked = table.sort_values(f"p_{headline}")
        shown = {p: p for p in spec.paths} | {
            f"p_{headline}": f"P({headline})",
            f"lower_{headline}": "lower",
            f"upper_{headline}": "upper",
        }
        out.print(write_frame_table(ranked.tail(5)[::-1], "Highest points", shown))
        out.print(write_frame_table(ranked.head(5), "Lowest points", shown))
        if "sensitivity" in analyses:
            out.print(
                write_frame_table(
                    analyses["sensitivity"],
                    "Sobol indices (95% intervals)",
                    {
                        "outcome": "outcome",
                        "parameter": "parameter",
                        "S1": "S1",
                        "S1_conf": "+-",
                        "ST": "ST",
                        "ST_conf": "+-",
                    },
                )
            )
        boxes = analyses["discovery"]
        if len(boxes):
            out.print(
                write_frame_table(
                    boxes,
                    f"Where P({headline}) >= {spec.spec.threshold:g}",
                    {c: c for c in boxes.columns if c not in ("outcome", "threshold")},
                )
            )
        else:
            reached = int((table[f"p_{headline}"] >= spec.spec.threshold).sum())
            why = (
                "no point reaches it"
                if reached == 0
                else "every point reaches it"
                if reached == len(table)
                else f"{reached} of {len(table)} points reach it, too few to form a box"
            )
            out.print(
                f"No box for P({headline}) >= {spec.spec.threshold:g}: {why}.", highlight=False
            )
        out.print(
            f"wrote {folder}/: sweep.parquet, sweep.png, discovery.csv"
            + (", sensitivity.csv" if "sensitivity" in analyses else ""),
            highlight=False,
        )

    guarded(action)
