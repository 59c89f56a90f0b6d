"""The `escsim` command line: parse, call the library, write, print, set the exit code.

Each module here registers its commands on the one typer app (`sim.cli.app`),
which also documents the exit codes.
"""

import contextlib
import os
import sys

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
from sim.cli.app import EXIT_INTERRUPTED, app
from sim.interrupts import deliver_lost_interrupts


def main() -> None:
    """The `escsim` console script (pyproject's [project.scripts]): runs the typer app.

    An interrupted command has already cleaned up (workers ended, staging
    folders removed, "interrupted" printed) when it reaches here; it then
    leaves with exit code 130 at once. The interpreter's own shutdown is
    skipped because it could change that ending: a KeyboardInterrupt that
    passed through C code on its way marks the process, and Python then ends
    it by SIGINT (exit status -2 to a parent process; measured in 7 of 40
    interrupts timed at a backtest's pool start), and the 3.11 exit hook of
    an ended process pool can print an `OSError: Bad file descriptor`
    traceback after the message."""
    deliver_lost_interrupts()
    try:
        app()
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):  # a closed pipe (| head)
                    stream.flush()
            os._exit(EXIT_INTERRUPTED)
        raise


__all__ = ["app", "main"]
