"""`escsim run`: a Monte Carlo experiment on one scenario, into a results folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import (
    ForceOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    WorkersOpt,
    app,
    check_replications,
    default_folder,
    guarded,
    load,
    out,
    outcome_table,
    print_warnings,
    progress_bar,
    say,
)


@app.command()
def run(
    scenario: ScenarioArg,
    reps: Annotated[
        int,
        typer.Option(
            "--reps", "-n", help="Replications (the first batch with --precision).", min=1
        ),
    ] = 2000,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 2,
    precision: Annotated[
        float | None,
        typer.Option(
            help="Keep adding replications until the headline probability's 95% interval is "
            "within +-PRECISION, e.g. 0.01.",
            min=0.0001,
            max=0.49,
        ),
    ] = None,
    max_reps: Annotated[
        int,
        typer.Option(help="With --precision: stop at this many replications.", min=1),
    ] = 200_000,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder [default: results/<scenario name>]."),
    ] = None,
    force: ForceOpt = False,
    svg: Annotated[bool, typer.Option("--svg", help="Also write charts as SVG.")] = False,
    set_: SetOpt = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run a Monte Carlo experiment and write a results folder.

    The folder holds report.html (open it in a browser), manifest.json (versions,
    seed, scenario hash), summary.json, replications.parquet (one row per
    replication), CSV tables and PNG charts. It is never overwritten without
    --force.

    \b
    Examples:
      escsim run scenarios/iraq_2024_israel_threat.yaml
      escsim run scenarios/iraq_2024_israel_threat.yaml --precision 0.01 --out results/precise
      escsim run scenarios/iraq_2024_israel_threat.yaml \\
        --set rules.israel_strikes_factions.probability=0.01 --out results/cautious
    """
    from sim.experiments.run import run as run_experiment
    from sim.scenario.checks import scenario_warnings
    from sim.writers import folder as io
    from sim.writers.run import write_run

    def action() -> None:
        check_replications(max(reps, max_reps if precision else reps))
        s, overrides = load(scenario, set_)
        folder = out_dir or default_folder(s.name)
        with io.reserve(folder, force):
            warnings = scenario_warnings(s)
            print_warnings([f"{scenario}: {w}" for w in warnings])
            with progress_bar(reps, s.name, progress and sys.stderr.isatty()) as tick:
                result = run_experiment(
                    s, seed, reps, workers, precision, tick, overrides, max_reps
                )
            charts_written = write_run(
                result, folder, force, ("png", "svg") if svg else ("png",), warnings
            )
        say(result.headline_text())
        out.print(outcome_table(result.outcome_rows(), "All outcomes by the horizon"))
        say(
            f"wrote {folder}/: report.html, "
            + ", ".join(p.name for p in charts_written)
            + ", summary.json, replications.parquet, ..."
        )

    guarded(action)
