"""`escsim trace`: one replication told as a story, with its causal chains."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import (
    AllowLargeOpt,
    ForceOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    app,
    default_folder,
    guarded,
    load,
    out,
    say,
    text,
)


@app.command()
def trace(
    scenario: ScenarioArg,
    rep: Annotated[int, typer.Option(help="Which replication (as numbered in a run).", min=0)] = 0,
    seed: SeedOpt = 0,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for the log, "
            "chains and timeline chart [default: results/<name>-trace-s<seed>-r<rep>].",
        ),
    ] = None,
    force: ForceOpt = False,
    limit: Annotated[
        int, typer.Option(help="Print at most this many log lines (the files hold all).", min=0)
    ] = 40,
    set_: SetOpt = None,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Tell the story of one replication: its events in dates and actors, and the
    causal chain that led to each outcome. Replication N here is exactly
    replication N of `escsim run` with the same seed.

    \b
    Example:
      escsim trace scenarios/iraq_2024_israel_threat.yaml --rep 7
    """  # noqa: D301, RUF100 (\b: click's "keep these lines as written")
    from sim.experiments.trace import trace as make_trace
    from sim.scenario.workload import check_workload
    from sim.writers import folder as io
    from sim.writers.trace import write_trace

    def action() -> None:
        s = load(scenario, set_)
        folder = out_dir or default_folder(f"{s.name}-trace-s{seed}-r{rep}")
        check_workload(s, 1, allow_large)
        with io.reserve(folder, force):
            t = make_trace(s, seed, rep)
            written = write_trace(t, folder, force)
        log = t.log()
        out.print(
            f"[bold]{text(s.title or s.name)}[/]: replication {rep}, seed {seed}: "
            f"{len(log):,} events",
            highlight=False,
        )
        for index in range(min(limit, len(log))):
            say(t.describe(index))
        if len(log) > limit:
            say(f"... {len(log) - limit:,} more in {folder}/log.csv")
        out.print("\n[bold]Causal chains to the outcomes[/]")
        say("\n".join(t.chains()))
        say(f"wrote {folder}/: " + ", ".join(p.name for p in written))

    guarded(action)
