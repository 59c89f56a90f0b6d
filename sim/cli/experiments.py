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
    narrowed the interval."""
    from sim import charts, io
    from sim.compare import compare as run_comparison
    from sim.compare import parse_variants

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
                charts.comparison_chart(result.curves(), outcome, ax=ax)
                charts.save_figure(fig, staging / f"compare_{outcome}")
            fig, ax = charts.figure((9, 0.55 * len(diff) + 1.8))
            charts.difference_chart(diff, ax=ax)
            charts.save_figure(fig, staging / "differences")
        out.print(
            f"wrote {folder}/: differences.csv, differences.png, compare_<outcome>.png",
            highlight=False,
        )

    guarded(action)
