"""`escsim trace`: one replication told as a story, with its causal chains."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.app import (
    MAX_REPLICATIONS,
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
from sim.cli.run import (
    DEFAULT_DESIGN,
    DEFAULT_REPS_PER_DRAW,
    Design,
    HistoryOpt,
    MapOpt,
    plan_design,
    with_history,
)
from sim.errors import UsageError

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

RepOpt = Annotated[
    int,
    typer.Option(
        help="Which replication (as numbered in a run: 0 to the run's replications - 1).",
        min=0,
        max=MAX_REPLICATIONS - 1,
    ),
]
RepsOpt = Annotated[
    int | None,
    typer.Option(
        "--reps",
        "-n",
        help="The run was plain (escsim run --reps N, or --precision): each replication "
        "drew its own parameters. N is the run's replications (any number above --rep for "
        "a --precision run).",
        min=1,
        max=MAX_REPLICATIONS,
        show_default=False,
    ),
]
ParamDrawsOpt = Annotated[
    int | None,
    typer.Option(
        "--param-draws",
        help="The run's --param-draws K (nested design) [default: as escsim run: with "
        f"uncertain parameters the nested design, {DEFAULT_DESIGN}].",
        min=1,
        show_default=False,
    ),
]
RepsPerDrawOpt = Annotated[
    int | None,
    typer.Option(
        "--reps-per-draw",
        help="The run's --reps-per-draw M: replication N took parameter draw N // M "
        f"[default: {DEFAULT_REPS_PER_DRAW}].",
        min=1,
        show_default=False,
    ),
]


@app.command()
def trace(
    scenario: ScenarioArg,
    rep: RepOpt = 0,
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
    reps: RepsOpt = None,
    param_draws: ParamDrawsOpt = None,
    reps_per_draw: RepsPerDrawOpt = None,
    history: HistoryOpt = None,
    map_file: MapOpt = None,
) -> None:
    """Tell the story of one replication: its events in dates and actors, and the
    causal chain that led to each outcome. Replication N here is exactly
    replication N of `escsim run` with the same seed and the same --reps,
    --param-draws and --reps-per-draw (defaults included): with uncertain
    parameters it runs with that replication's drawn values, which it prints;
    with --history and --map it starts from the same data as `run` would.

    \b
    Examples:
      escsim trace scenarios/iraq_2024_israel_threat.yaml --rep 7
      escsim trace scenarios/iraq_2024_israel_threat.yaml --rep 7 --reps 2000
    """  # noqa: D301, RUF100 (\b: click's "keep these lines as written")
    from sim.experiments.trace import trace as make_trace
    from sim.scenario.workload import check_workload
    from sim.writers import folder as io
    from sim.writers.trace import write_trace

    def action() -> None:
        s = load(scenario, set_)
        design = plan_design(bool(s.uncertain), reps, param_draws, reps_per_draw)
        s = with_history(s, history, map_file)  # as run does: the same replication
        given = reps is not None or param_draws is not None or reps_per_draw is not None
        _check_rep(rep, design, s, given)
        folder = out_dir or default_folder(f"{s.name}-trace-s{seed}-r{rep}")
        check_workload(s, 1, allow_large)
        with io.reserve(folder, force):
            t = make_trace(s, seed, rep, design.draw_size)
            written = write_trace(t, folder, force)
        log = t.log()
        out.print(
            f"[bold]{text(s.title or s.name)}[/]: replication {rep}, seed {seed}: "
            f"{len(log):,} events",
            highlight=False,
        )
        if s.uncertain:
            say(f"as in escsim run with {design.describe()}")
            say("\n".join(t.parameter_lines()))
        for index in range(min(limit, len(log))):
            say(t.describe(index))
        if len(log) > limit:
            say(f"... {len(log) - limit:,} more in {folder}/log.csv")
        out.print("\n[bold]Causal chains to the outcomes[/]")
        say("\n".join(t.chains()))
        say(f"wrote {folder}/: " + ", ".join(p.name for p in written))

    guarded(action)


def _check_rep(rep: int, design: Design, s: Scenario, given: bool) -> None:
    """Refuse a replication the run does not have, when which run is known: the
    design was given, or uncertain parameters make the design matter (a draw
    past the run's K would be a world the run never drew).

    Raises:
        UsageError: `rep` is not below the design's replications.
    """
    if (given or s.uncertain) and rep >= design.replications:
        raise UsageError(
            f"--rep: expected a replication of the run, 0 to {design.replications - 1:,} "
            f"({design.describe()}), found {rep:,}; give the run's --reps, or --param-draws "
            "and --reps-per-draw"
        )
