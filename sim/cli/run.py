"""`escsim run`: a Monte Carlo experiment on one scenario, into a results folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.app import (
    AllowLargeOpt,
    EngineOpt,
    ForceOpt,
    ProgressOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    WorkersOpt,
    app,
    check_replications,
    default_folder,
    err,
    guarded,
    load,
    out,
    outcome_table,
    print_warnings,
    progress_bar,
    say,
)
from sim.errors import UsageError

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


RepsOpt = Annotated[
    int,
    typer.Option("--reps", "-n", help="Replications (the first batch with --precision).", min=1),
]
PrecisionOpt = Annotated[
    float | None,
    typer.Option(
        help="Keep adding replications until the headline probability's 95% interval is "
        "within +-PRECISION, e.g. 0.01.",
        min=0.0001,
        max=0.49,
    ),
]
MaxRepsOpt = Annotated[
    int,
    typer.Option(help="With --precision: stop at this many replications.", min=1),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Results folder [default: results/<scenario name>]."),
]
SvgOpt = Annotated[bool, typer.Option("--svg", help="Also write charts as SVG.")]
HistoryOpt = Annotated[
    Path | None,
    typer.Option(
        help="Event data (CSV) to start from: the run begins the day after the data's "
        "period and carries its events as history. Needs --map.",
        show_default=False,
    ),
]
MapOpt = Annotated[
    Path | None,
    typer.Option(
        "--map",
        help="Map of the --history data to the scenario's event ids.",
        show_default=False,
    ),
]


@app.command()
def run(
    scenario: ScenarioArg,
    reps: RepsOpt = 2000,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 2,
    precision: PrecisionOpt = None,
    max_reps: MaxRepsOpt = 200_000,
    out_dir: OutOpt = None,
    force: ForceOpt = False,
    svg: SvgOpt = False,
    set_: SetOpt = None,
    history: HistoryOpt = None,
    map_file: MapOpt = None,
    progress: ProgressOpt = True,
    allow_large: AllowLargeOpt = False,
    engine: EngineOpt = "simpy",
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
        --set rules.israel_strikes_factions.hazard=0.01 --out results/cautious
      escsim run S.yaml --history events.csv --map map.yaml   # forecast from the data's end
    """  # noqa: D301, RUF100 (\b: click's "keep these lines as written")
    from sim.experiments.run import run as run_experiment
    from sim.scenario.checks import scenario_warnings
    from sim.scenario.workload import check_workload
    from sim.writers import folder as io
    from sim.writers.run import write_run

    def action() -> None:
        check_replications(max(reps, max_reps if precision else reps))
        s = load(scenario, set_)
        s = _with_history(s, history, map_file)
        folder = out_dir or default_folder(s.name)
        check_workload(s, max_reps if precision else reps, allow_large)
        with io.reserve(folder, force):
            warnings = scenario_warnings(s)
            print_warnings([f"{scenario}: {w}" for w in warnings])
            with progress_bar(reps, s.name, progress and sys.stderr.isatty()) as tick:
                result = run_experiment(
                    s,
                    seed,
                    reps,
                    workers,
                    precision,
                    progress=tick,
                    max_reps=max_reps,
                    engine=engine,
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


def _with_history(s: Scenario, history: Path | None, map_file: Path | None) -> Scenario:
    """`s` started the day after the `--history` data's period, carrying its
    events as history (and saying so on standard error); `s` itself without
    `--history`.

    Raises:
        UsageError: only one of `--history` and `--map` was given.
    """
    if (history is None) != (map_file is None):
        raise UsageError("--history and --map go together: the data and how to read it")
    if history is None or map_file is None:
        return s
    from sim.eventdata import read_events
    from sim.eventdata.history import history_overrides
    from sim.scenario import with_overrides

    s = with_overrides(s, history_overrides(read_events(history, map_file), s))
    say(f"starting on {s.start_date} from {history}: " + _history_counts(s), err)
    return s


def _history_counts(s: Scenario) -> str:
    events = s.history.events if s.history else {}
    return ", ".join(f"{len(dates):,} {s.event_label(e)}" for e, dates in events.items())
