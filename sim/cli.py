"""The `escsim` command line: parse, call the library, print, set the exit code.

Exit codes: 0 success; 1 a computation that did not succeed (e.g. calibration
that did not converge); 2 bad input, with every problem printed as
`file:line: path: expected X, found Y` and nothing written.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim.errors import ScenarioError, UsageError

app = typer.Typer(
    name="escsim",
    help="Estimate how likely a regional conflict is to spill over into a country trying to "
    "stay out of it: scenario files in, spillover probabilities with honest error bars out.\n\n"
    "Start with:  escsim run scenarios/iraq_2024_israel_threat.yaml",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]
SeedOpt = Annotated[int, typer.Option(help="Seed; replication i uses (seed, i).", min=0)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a value by dotted path, e.g. --set streams.drone_attack_israel.rate=0.3"
        " (repeatable).",
        show_default=False,
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing results folder.")]


def guarded(action: Callable[[], T]) -> T:
    """Run `action`; turn input problems into messages and exit code 2."""
    try:
        return action()
    except ScenarioError as exc:
        err.print(f"[bold red]error:[/] {len(exc.problems)} problem(s)", highlight=False)
        for problem in exc.problems:
            err.print(str(problem), highlight=False, markup=False)
        raise typer.Exit(2) from None
    except UsageError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


def load(path: Path, assignments: list[str] | None):
    from sim.scenario import load_scenario, parse_assignments

    overrides = parse_assignments(assignments or [])
    return load_scenario(path, overrides), overrides


@contextlib.contextmanager
def progress_bar(total: int, label: str, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.advance(task, done)


def print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)


def outcome_table(summary, title: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    for column in ("outcome", "probability", "95% interval", "median date", "happened"):
        table.add_column(column, justify="left" if column == "outcome" else "right")
    for row in summary.itertuples():
        table.add_row(
            row.label,
            f"{row.probability:.3f}",
            f"[{row.lower:.3f}, {row.upper:.3f}]",
            row.median_date,
            f"{row.happened:,} / {row.replications:,}",
        )
    return table


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
    workers: Annotated[
        int,
        typer.Option(
            "--workers", "-w", help="Processes (results are identical for any number).", min=1
        ),
    ] = 2,
    precision: Annotated[
        float | None,
        typer.Option(
            help="Keep adding replications until the headline probability's 95% interval is "
            "within +-PRECISION, e.g. 0.01.",
            min=0.0001,
            max=0.49,
        ),
    ] = None,
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

    The folder holds manifest.json (versions, seed, scenario hash), summary.json,
    replications.parquet (one row per replication), CSV tables and PNG charts.
    It is never overwritten without --force.
    """
    from sim import io, report
    from sim.results import run as run_experiment
    from sim.scenario.checks import scenario_warnings

    def action() -> None:
        s, overrides = load(scenario, set_)
        folder = out_dir or Path("results") / s.name
        io.check_target(folder, force)
        warnings = scenario_warnings(s)
        print_warnings(warnings)
        with progress_bar(reps, f"{s.name}", progress and sys.stderr.isatty()) as tick:
            result = run_experiment(s, seed, reps, workers, precision, tick, overrides)
        extra = _evidence_tables(s)
        charts_written = report.write_run(
            result, folder, force, ("png", "svg") if svg else ("png",), warnings, extra
        )
        summary = result.summary()
        summary["median_date"] = [
            "-" if d != d else f"{s.date_of(d):%Y-%m-%d}" for d in summary["day_median"]
        ]
        head = summary.iloc[0]
        out.print(
            f"[bold]{head['label']}[/] by {s.date_of(s.horizon_days):%Y-%m-%d}: "
            f"[bold]{head['probability']:.3f}[/] (95% CI {head['lower']:.3f}-{head['upper']:.3f}, "
            f"Wilson) from {result.replications:,} replications, seed {seed}, "
            f"{result.wall_seconds:.1f} s on {workers} worker(s)",
            highlight=False,
        )
        out.print(outcome_table(summary, "All outcomes by the horizon"))
        out.print(
            f"wrote {folder}/: "
            + ", ".join(p.name for p in charts_written)
            + ", summary.json, replications.parquet, ...",
            highlight=False,
        )

    guarded(action)


def _evidence_tables(s):
    from sim.sources import evidence_table

    return {"sources.csv": evidence_table(s)}


@app.command()
def validate(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario YAML files.", show_default=False)
    ],
    set_: SetOpt = None,
) -> None:
    """Check scenario files against the contract without running anything.

    Prints every problem as file:line: path: expected X, found Y, and warnings
    (e.g. feedback loops whose expected offspring reach 1).
    """
    from sim.scenario.checks import scenario_warnings

    failed = False
    for path in scenarios:
        try:
            s, _ = load(path, set_)
        except ScenarioError as exc:
            failed = True
            for problem in exc.problems:
                err.print(str(problem), highlight=False, markup=False)
            continue
        print_warnings(scenario_warnings(s))
        out.print(
            f"{path}: ok ({len(s.events)} event types, {len(s.streams)} streams, "
            f"{len(s.rules)} rules, {len(s.outcomes)} outcomes)",
            highlight=False,
        )
    if failed:
        raise typer.Exit(2)


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
) -> None:
    """Tell the story of one replication: its events in dates and actors, and the
    causal chain that led to each outcome. Replication N here is exactly
    replication N of `escsim run` with the same seed."""
    from sim import charts, io
    from sim.trace import trace as make_trace

    def action() -> None:
        s, _ = load(scenario, set_)
        folder = out_dir or Path("results") / f"{s.name}-trace-s{seed}-r{rep}"
        io.check_target(folder, force)
        t = make_trace(s, seed, rep)
        log = t.log()
        out.print(
            f"[bold]{s.title or s.name}[/]: replication {rep}, seed {seed}: {len(log):,} events",
            highlight=False,
        )
        for index in range(min(limit, len(log))):
            out.print(t.describe(index), highlight=False, markup=False)
        if len(log) > limit:
            out.print(f"... {len(log) - limit:,} more in {folder}/log.csv", highlight=False)
        lines = []
        for outcome in s.outcomes:
            day = t.replication.outcome_days[outcome]
            if day is None:
                lines.append(f"{s.outcome_label(outcome)}: did not happen")
                continue
            lines.append(f"{s.outcome_label(outcome)}: {s.date_of(day):%Y-%m-%d} (day {day:.1f})")
            chain = t.chain(outcome)
            lines += ["    " + t.describe(i) for i in chain] or ["    (initial level)"]
        out.print("\n[bold]Causal chains to the outcomes[/]")
        out.print("\n".join(lines), highlight=False, markup=False)
        with io.staged_folder(folder, force) as staging:
            io.write_table(log.drop(columns=["event_order"]), staging / "log.csv")
            (staging / "chains.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
            fig, ax = charts.figure((10, 0.5 * max(len(s.events), 4) + 1.6))
            t.plot(ax=ax)
            charts.save_figure(fig, staging / "timeline")
        out.print(f"wrote {folder}/: log.csv, chains.txt, timeline.png", highlight=False)

    guarded(action)


def main() -> None:
    app()
