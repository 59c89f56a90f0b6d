"""Problems found in user input, reported the way a compiler reports them.

A scenario file is written by hand, so a user needs every problem at once,
each pointing at the file, the line and the dotted path, with what was
expected and what was found. `ScenarioError` carries that list; the CLI prints
it and exits with code 2, never with a traceback.

`str(problem)` is plain text, user text included as written (a label
"US strike [unconfirmed]" stays so): whoever renders it with markup (rich)
must escape it or print it with markup off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with user input: `file:line: path: expected X, found Y`."""

    file: str
    line: int | None
    path: str
    expected: str
    found: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        path = f" {self.path}:" if self.path else ""
        return f"{where}:{path} expected {self.expected}, found {self.found}"


class ScenarioError(Exception):
    """Raised when input breaks the contract; holds every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(Exception):
    """Bad command-line or API usage that is not about a scenario's content
    (an existing results folder, a resume against a changed sweep...)."""


def describe(value: object, limit: int = 60) -> str:
    """Render a found value briefly, with its type when that is the point."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 3] + "..."
        return repr(text)
    if isinstance(value, bool):
        return f"{value}"
    if isinstance(value, (int, float)):
        return f"{value!r}"
    if isinstance(value, dict):
        return (
            f"a mapping ({', '.join(map(str, list(value)[:4]))}{'...' if len(value) > 4 else ''})"
        )
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    return f"{type(value).__name__} {value!r}"[:limit]
