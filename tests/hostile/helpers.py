"""Helpers for the hostile-input suite: a deadline that proves nothing blocks,
and the assertions every case makes (the error type, a located message in
plain text, no traceback)."""

from __future__ import annotations

import contextlib
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from sim.cli import app
from sim.errors import Problem, ScenarioError
from sim.scenario import load_scenario

LOCATED = re.compile(r"^(?P<file>[^:\n]+?)(?::(?P<line>\d+))?: (?:(?P<path>[^:\n]+): )?expected ")


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (rather than hang) if the block takes longer than `seconds`."""

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s: blocked or runaway")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def refused(action: Callable[[], Any], seconds: int = 10) -> tuple[Problem, ...]:
    """The problems `action` is refused with; it must raise ScenarioError in time."""
    with deadline(seconds), pytest.raises(ScenarioError) as info:
        action()
    problems = info.value.problems
    assert problems
    for problem in problems:
        assert_plain_located(problem)
    return problems


def refused_file(path: Path, seconds: int = 10) -> tuple[Problem, ...]:
    """The problems loading the scenario file `path` is refused with."""
    return refused(lambda: load_scenario(path), seconds)


def assert_plain_located(problem: Problem) -> None:
    """`str(problem)` is one line of plain text, 'file[:line]: [path: ]expected X, found Y'."""
    text = str(problem)
    assert "\n" not in text
    match = LOCATED.match(text)
    assert match, text
    assert match["file"] == problem.file
    assert ", found " in text
    assert "Traceback" not in text


def one_at(problems: tuple[Problem, ...], path: str) -> Problem:
    """The one problem at `path`."""
    matching = [p for p in problems if p.path == path]
    assert len(matching) == 1, [str(p) for p in problems]
    return matching[0]


def invoke(*args: str) -> Result:
    """Run the `escsim` command line in-process."""
    with deadline(60):
        return CliRunner().invoke(app, list(args))


def assert_cli_refused(result: Result, *fragments: str) -> str:
    """Exit code 2, no traceback, the fragments in the message."""
    output = result.output + result.stderr
    assert result.exit_code == 2, output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    message = " ".join(output.split())
    for fragment in fragments:
        assert fragment in message, message
    return message
