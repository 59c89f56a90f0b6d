"""The one typer app and what every command shares: consoles, options, error
handling, progress bars and tables.

Exit codes: 0 success; 1 a computation that did not succeed (e.g. calibration
that did not converge); 2 bad input, with every problem printed as
`file:line: path: expected X, found Y` and nothing written; 130 interrupted
(Ctrl-C), with nothing written.

Everything a user wrote (titles, labels, ids, paths, messages that quote
them) reaches the terminal through `text()` or with markup off: `rich` would
read `[unconfirmed]` in a label as a style tag and drop it, and `[/x]` would
crash the command after its results were written.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim.errors import ScenarioError, UsageError

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

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
EXIT_INTERRUPTED = 130

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]
MAX_SEED = 2**64 - 1
"""Largest seed: the generators key on 64 bits (sim/rng), so a larger one is
refused when the option is parsed rather than deep in a run."""
SeedOpt = Annotated[
    int, typer.Option(help="Seed; replication i uses (seed, i).", min=0, max=MAX_SEED)
]
WorkersOpt = Annotated[
    int,
    typer.Option(
        "--workers", "-w", help="Processes (results are identical for any number).", min=1, max=512
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a value by dotted path, e.g. --set streams.drone_attack_israel.rate=0.3"
        " (repeatable).",
        show_default=False,
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option("--force", help="Replace an existing results folder (only one escsim wrote)."),
]
AllowLargeOpt = Annotated[
    bool,
    typer.Option(
        "--allow-large",
        help="Run even when the expected number of events is beyond the safety limit.",
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="simpy: the model's readable definition (default). fast: the compiled engine, "
        "bit-identical tables (history, uncertain parameters, hazard rules and regimes "
        "included) at about 25-30x the replications per second, after a one-time compile of "
        "~30 s (cached on disk); it would refuse a scenario part it does not implement, "
        "naming it, and falls back to simpy if numba is missing.",
    ),
]
ProgressOpt = Annotated[bool, typer.Option(help="Show a progress bar.")]
MAX_REPLICATIONS = 10_000_000
"""Replications one command accepts: 10 million flagship replications take
about 7 hours on 2 cores; beyond that, a typo (--reps 10**12) is likelier."""


def text(value: object) -> str:
    """User-written text, escaped for rich markup."""
    return escape(str(value))


def guarded(action: Callable[[], T], interrupted: str = "interrupted: nothing written") -> T:
    """Run `action`; turn input problems into messages and exit code 2, and
    Ctrl-C into `interrupted` and exit code 130 (staging folders are removed
    on the way out, so nothing half-written is left)."""
    try:
        return action()
    except ScenarioError as exc:
        err.print(f"[bold red]error:[/] {len(exc.problems)} problem(s)", highlight=False)
        for problem in exc.problems:
            err.print(str(problem), highlight=False, markup=False)
        raise typer.Exit(2) from None
    except UsageError as exc:
        err.print("[bold red]error:[/] " + text(exc), highlight=False)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print(interrupted, highlight=False, markup=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None


def load(path: Path, assignments: list[str] | None) -> Scenario:
    """Load and validate a scenario with `--set` overrides."""
    from sim.scenario import load_scenario, parse_assignments

    overrides = parse_assignments(assignments or [])
    return load_scenario(path, overrides)


def check_replications(reps: int) -> None:
    """Refuse a replication count above `MAX_REPLICATIONS` before anything runs.

    Raises:
        UsageError: `reps` is above the limit (most likely a typo); the message
            points to `--precision` as the way to ask for "enough".
    """
    if reps > MAX_REPLICATIONS:
        raise UsageError(
            f"--reps {reps:,} is more than escsim runs in one command ({MAX_REPLICATIONS:,}); "
            "use --precision to stop when the interval is narrow enough"
        )


def default_folder(*parts: str) -> Path:
    """`results/<name>...`: names are ids (checked by the loader), never paths."""
    return Path("results").joinpath(*parts)


def stem_name(path: Path) -> str:
    """A file's name without its suffix, where a command names rows or a results
    folder after it: checked as scenario names are (a file named
    "x<newline>.yaml" gave a folder name with a line break)."""
    import re

    from sim.scenario.base import NAME_PATTERN, PATTERN_WORDS

    if not re.fullmatch(NAME_PATTERN, path.stem):
        raise UsageError(
            f"{path}: the file's name is no name for its results (expected "
            f"{PATTERN_WORDS[NAME_PATTERN]}, found {path.stem!r}); rename the file"
            " or choose --out"
        )
    return path.stem


@contextlib.contextmanager
def progress_bar(total: int, label: str, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A transient progress bar on standard error, counting `total` units.

    Yields a `tick(done)` callback that advances the bar by `done` units, or
    None when `enabled` is false (no terminal, or `--no-progress`), so callers
    pass it straight on as an optional callback. The bar leaves no trace in
    the terminal once the block ends.
    """
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
        task = bar.add_task(text(label), total=total)
        yield lambda done: bar.advance(task, done)


def print_warnings(warnings: list[str]) -> None:
    """Print each warning on standard error (results still written; the user
    should read them, e.g. a feedback loop near criticality)."""
    for warning in warnings:
        err.print("[yellow]warning:[/] " + text(warning), highlight=False)


def print_notes(notes: list[str]) -> None:
    """Print each note on standard error: information about how a result was
    computed (e.g. why pairing did not narrow an interval), not a problem."""
    for note in notes:
        err.print("[yellow]note:[/] " + text(note), highlight=False)


def say(message: str, console: Console = out) -> None:
    """A plain line (standard output by default), no markup read, no highlighting."""
    console.print(message, highlight=False, markup=False)


def outcome_table(summary: Any, title: str) -> Table:
    """A rich table of a run's outcome rows: probability by the horizon with its
    95% interval, median date and the count behind it.

    Args:
        summary: A frame with columns `label`, `probability`, `lower`, `upper`,
            `median_date`, `happened` and `replications` (as from
            `RunResult.outcome_rows()`).
        title: Shown above the table, escaped (may hold user text).
    """
    table = Table(title=text(title), title_justify="left", show_edge=False, header_style="bold")
    for column in ("outcome", "probability", "95% interval", "median date", "happened"):
        table.add_column(column, justify="left" if column == "outcome" else "right")
    for row in summary.itertuples():
        table.add_row(
            text(row.label),
            f"{row.probability:.3f}",
            text(f"[{row.lower:.3f}, {row.upper:.3f}]"),
            row.median_date,
            f"{row.happened:,} / {row.replications:,}",
        )
    return table


def frame_table(frame: Any, title: str, columns: dict[str, str]) -> Table:
    """A rich table of selected frame columns (column -> header), all cells
    escaped; a cell too wide for the terminal wraps (rich's default cuts it to
    "us_strikes_iraq_n…", which hid which scenario a row was)."""
    table = Table(title=text(title), title_justify="left", show_edge=False, header_style="bold")
    for header in columns.values():
        table.add_column(text(header), overflow="fold")
    for row in frame.to_dict(orient="records"):
        table.add_row(*[text(_cell(row[c])) for c in columns])
    return table


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
