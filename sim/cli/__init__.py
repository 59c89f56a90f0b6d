"""The `escsim` command line: parse, call the library, write, print, set the exit code.

Each module here registers its commands on the one typer app (`sim.cli.app`),
which also documents the exit codes.
"""

from sim.cli import (  # noqa: F401  (registers commands)
    backtest,
    calibrate,
    compare,
    fit,
    run,
    scenario,
    sweep,
    trace,
)
from sim.cli.app import app
from sim.cli.interrupts import deliver_lost_interrupts


def main() -> None:
    """The `escsim` console script (pyproject's [project.scripts]): runs the typer app."""
    deliver_lost_interrupts()
    app()


__all__ = ["app", "main"]
