"""Commands that read scenario files without simulating: validate and sources."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sim.cli.app import (
    ScenarioArg,
    SetOpt,
    app,
    err,
    guarded,
    load,
    out,
    print_warnings,
    say,
    text,
)
from sim.errors import ScenarioError, UsageError

if TYPE_CHECKING:
    import pandas as pd


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

    \b
    Example:
      escsim validate scenarios/iraq_2024_israel_threat.yaml scenarios/policies/*.yaml
    """  # noqa: D301, RUF100 (\b: click's "keep these lines as written")
    from sim.scenario.checks import scenario_warnings
    from sim.scenario.uncertain import uncertain_lines

    failed = False
    for path in scenarios:
        try:
            s = load(path, set_)
        except (ScenarioError, UsageError) as exc:
            failed = True
            problems = exc.problems if isinstance(exc, ScenarioError) else [f"{path}: {exc}"]
            for problem in problems:
                err.print(str(problem), highlight=False, markup=False)
            continue
        print_warnings([f"{path}: {w}" for w in scenario_warnings(s)])
        say(
            f"{path}: ok ({len(s.events)} event types, {len(s.streams)} streams, "
            f"{len(s.rules)} rules, {len(s.outcomes)} outcomes"
            + (f", {len(s.regimes)} regimes)" if s.regimes else ")")
        )
        if s.uncertain:
            for line in uncertain_lines(s):
                say(f"{path}: {line}")
    if failed:
        raise typer.Exit(2)


@app.command()
def sources(
    scenario: ScenarioArg,
    csv: Annotated[Path | None, typer.Option(help="Also write the table as CSV here.")] = None,
    set_: SetOpt = None,
) -> None:
    """Print the evidence table: for each sourced part, its values, the fact,
    its grade and quote, and the document; then the assumptions.

    \b
    Example:
      escsim sources scenarios/iraq_2024_israel_threat.yaml
    """  # noqa: D301, RUF100 (\b: click's "keep these lines as written")
    from sim.scenario.sources import evidence_summary, evidence_table
    from sim.writers import folder as io

    def action() -> None:
        s = load(scenario, set_)
        if csv is not None and csv.exists():
            raise UsageError(f"{csv} already exists; choose another path")
        table = evidence_table(s)
        evidence = table[table["kind"] == "evidence"]
        assumptions = table[table["kind"] == "assumption"]
        out.print(_evidence_view(s.name, evidence))
        out.print(_assumptions_view(assumptions))
        say(evidence_summary(table))
        if csv is not None:
            io.write_table(table, csv)
            say(f"wrote {csv}")

    guarded(action)


def _evidence_view(name: str, evidence: pd.DataFrame) -> Table:
    """The evidence rows as a terminal table: path, values, the fact with its id
    and grade, the quote and the document; every cell escaped, long cells folded."""
    shown = Table(
        title=text(f"Evidence behind {name}"),
        title_justify="left",
        show_lines=True,
        header_style="bold",
    )
    for column in ("path", "values", "fact (grade)", "quote", "document"):
        shown.add_column(column, overflow="fold")
    for row in evidence.to_dict(orient="records"):
        shown.add_row(
            text(row["path"]),
            text(row["values"]),
            text(f"{row['source'].split('#')[1]} ({row['grade']}): {row['fact']}"),
            text(f"“{row['quote']}”"),
            text(row["document"]),
        )
    return shown


def _assumptions_view(assumptions: pd.DataFrame) -> Table:
    """The assumption rows (numbers no document gives) with their reasoning."""
    listed = Table(
        title="Assumptions (no document gives these numbers)",
        title_justify="left",
        show_lines=True,
        header_style="bold",
    )
    for column in ("path", "values", "reasoning"):
        listed.add_column(column, overflow="fold")
    for row in assumptions.to_dict(orient="records"):
        listed.add_row(text(row["path"]), text(row["values"]), text(row["fact"]))
    return listed
