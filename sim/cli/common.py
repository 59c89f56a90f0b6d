"""Shared pieces of the `escsim` command line: the app, options, error handling.

Exit codes: 0 success; 1 a computation that did not succeed (e.g. calibration
that did not converge); 2 bad input, with every problem printed as
`file:line: path: expected X, found Y` and nothing written.
"""

from __future__ import annotations

import contextlib
import os
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
# soft_wrap: a message is one line however narrow the terminal, so it can be
# grepped. Piped output (logs, CI) gets 120 columns rather than rich's 80, unless
# COLUMNS says otherwise, so tables stay readable.
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120
out = Console(soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, soft_wrap=True, width=_WIDTH)
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


def write_frame_table(frame, title: str, columns: dict[str, str]) -> Table:
    """A rich table of selected frame columns (column -> header)."""
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    for header in columns.values():
        table.add_column(header)
    for row in frame.to_dict(orient="records"):
        table.add_row(*[_cell(row[c]) for c in columns])
    return table


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
