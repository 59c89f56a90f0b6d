"""`escsim compare`: scenarios on the same replications (common random numbers)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.app import (
    AllowLargeOpt,
    EngineOpt,
    ForceOpt,
    SeedOpt,
    WorkersOpt,
    app,
    check_replications,
    default_folder,
    frame_table,
    guarded,
    load,
    out,
    print_notes,
    say,
    stem_name,
)
from sim.errors import UsageError

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


ScenariosArg = Annotated[
    list[Path],
    typer.Argument(help="Scenario files; the first is the baseline.", show_default=False),
]
VariantOpt = Annotated[
    list[str] | None,
    typer.Option(
        help="Compare the first scenario with a variant of itself: "
        "NAME:PATH=VALUE[,PATH=VALUE...] (repeatable).",
        show_default=False,
    ),
]
RepsOpt = Annotated[int, typer.Option("--reps", "-n", min=2)]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="Results folder [default: results/compare-<first>-vs-<others>]."
    ),
]
DIFFERENCE_COLUMNS = {
    "scenario": "scenario",
    "outcome": "outcome",
    "difference": "difference",
    "paired_lower": "paired lo",
    "paired_upper": "paired hi",
    "unpaired_lower": "unpaired lo",
    "unpaired_upper": "unpaired hi",
    "narrowing": "narrowing x",
}
"""Columns of the differences table printed (frame column -> header)."""


@app.command()
def compare(
    scenarios: ScenariosArg,
    variant: VariantOpt = None,
    reps: RepsOpt = 2000,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 2,
    out_dir: OutOpt = None,
    force: ForceOpt = False,
    allow_large: AllowLargeOpt = False,
    engine: EngineOpt = "simpy",
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
        --variant cautious:rules.israel_strikes_factions.hazard=0.015
    """  # noqa: D301, RUF100 (\b: click's "keep these lines as written")
    from sim.experiments.compare import compare as run_comparison
    from sim.scenario.workload import check_workload
    from sim.writers import folder as io
    from sim.writers.compare import write_comparison

    def action() -> None:
        check_replications(reps)
        named = _named_scenarios(scenarios, variant or [])
        labels = [n for n, _ in named]
        for _, each in named:
            check_workload(each, reps, allow_large)
        folder = out_dir or default_folder(("compare-" + "-vs-".join(labels))[:120])
        with io.reserve(folder, force):
            result = run_comparison(named, seed, reps, workers, engine=engine)
            written = write_comparison(
                result, folder, force, workers=workers, variants=variant or []
            )
        print_notes(result.notes)
        out.print(
            frame_table(
                result.summary(),
                "Probability by the horizon",
                {c: c for c in ("scenario", "outcome", "probability", "lower", "upper")},
            )
        )
        out.print(
            frame_table(
                result.differences(),
                f"Differences from {labels[0]} (paired: common random numbers)",
                DIFFERENCE_COLUMNS,
            )
        )
        say(f"wrote {folder}/: report.html, differences.csv, " + ", ".join(p.name for p in written))

    guarded(action)


def _named_scenarios(paths: list[Path], variants: list[str]) -> list[tuple[str, Scenario]]:
    """Each scenario file loaded and named by its stem, then the `--variant`s of
    the first; names must be distinct, since they label rows and charts.

    Raises:
        UsageError: a variant with no base scenario, or a repeated name.
    """
    from sim.experiments.compare import parse_variants

    named = []
    for path in paths:
        s = load(path, None)
        named.append((stem_name(path), s))
    if variants:
        if not named:
            raise UsageError("--variant needs a base scenario")
        named += parse_variants(named[0][1], variants)
    labels = [n for n, _ in named]
    if len(set(labels)) != len(labels):
        raise UsageError(f"scenario names repeat ({', '.join(labels)}); name variants differently")
    return named
