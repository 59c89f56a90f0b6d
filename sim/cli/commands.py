"""Commands that run and inspect one scenario: run, validate, trace, sources."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import (
    ForceOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    app,
    err,
    guarded,
    load,
    out,
    outcome_table,
    print_warnings,
    progress_bar,
)
from sim.errors import ScenarioError, UsageError


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

    \b
    Examples:
      escsim run scenarios/iraq_2024_israel_threat.yaml
      escsim run scenarios/iraq_2024_israel_threat.yaml --precision 0.01 --out results/precise
      escsim run scenarios/iraq_2024_israel_threat.yaml \\
        --set rules.israel_strikes_factions.probability=0.01 --out results/cautious
    """
    from sim import io, report
    from sim.results import run as run_experiment
    from sim.scenario.checks import scenario_warnings

    def action() -> None:
        s, overrides = load(scenario, set_)
        folder = out_dir or Path("results") / s.name
        io.check_target(folder, force)
        warnings = scenario_warnings(s)
        print_warnings([f"{scenario}: {w}" for w in warnings])
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
    from sim.scenario.sources import evidence_table

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
        print_warnings([f"{path}: {w}" for w in scenario_warnings(s)])
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
    replication N of `escsim run` with the same seed.

    \b
    Example:
      escsim trace scenarios/iraq_2024_israel_threat.yaml --rep 7
    """
    from sim import charts, io
    from sim.tracing import trace as make_trace

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


@app.command()
def sources(
    scenario: ScenarioArg,
    csv: Annotated[Path | None, typer.Option(help="Also write the table as CSV here.")] = None,
    set_: SetOpt = None,
) -> None:
    """Print the evidence table: for each sourced part, its values, the fact,
    its grade and quote, and the document; then the assumptions."""
    from sim.scenario.sources import evidence_table

    def action() -> None:
        s, _ = load(scenario, set_)
        table = evidence_table(s)
        evidence = table[table["kind"] == "evidence"]
        assumptions = table[table["kind"] == "assumption"]
        from rich.table import Table

        shown = Table(
            title=f"Evidence behind {s.name}",
            title_justify="left",
            show_lines=True,
            header_style="bold",
        )
        for column in ("path", "values", "fact (grade)", "quote", "document"):
            shown.add_column(column, overflow="fold")
        for row in evidence.to_dict(orient="records"):
            shown.add_row(
                row["path"],
                row["values"],
                f"{row['source'].split('#')[1]} ({row['grade']}): {row['fact']}",
                f"“{row['quote']}”",
                row["document"],
            )
        out.print(shown)
        listed = Table(
            title="Assumptions (no document gives these numbers)",
            title_justify="left",
            show_lines=True,
            header_style="bold",
        )
        for column in ("path", "values", "reasoning"):
            listed.add_column(column, overflow="fold")
        for row in assumptions.to_dict(orient="records"):
            listed.add_row(row["path"], row["values"], row["fact"])
        out.print(listed)
        cited = set(evidence["path"])
        bare = sorted(set(table["path"]) - cited)
        out.print(
            f"{len(cited)} part(s) cite evidence; {len(bare)} rest on assumptions only"
            + (f": {', '.join(bare)}" if bare else ""),
            highlight=False,
        )
        if csv is not None:
            from sim import io

            if csv.exists():
                raise UsageError(f"{csv} already exists; choose another path")
            io.write_table(table, csv)
            out.print(f"wrote {csv}", highlight=False)

    guarded(action)
