"""The `escsim` command line: parse, call the library, print, set the exit code.

Exit codes: 0 success; 1 a computation that did not succeed (e.g. calibration
that did not converge); 2 bad input, with every problem printed as
`file:line: path: expected X, found Y` and nothing written. Each module here
registers its commands on the one typer app.
"""

from sim.cli import calibrate, commands, experiments  # noqa: F401  (registers commands)
from sim.cli.common import app


def main() -> None:
    app()


__all__ = ["app", "main"]
