"""Shared helpers for the scenario, CLI, evidence and io tests.

`minimal_scenario()` is a small valid scenario (two actors, two event types,
a self- and cross-excited stream, one rule with a delay, two outcomes, one
observed window) whose parts rest on `assumption:` so it needs no evidence.
The `project` fixture turns `tmp_path` into a project folder (with a tiny
`seeds/` evidence file) and makes it the working folder, so file names in
messages are short and nothing is written inside the repository.
`write_scenario` writes a tweaked copy of the minimal scenario there.
"""

from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.errors import Problem, ScenarioError
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
SEEDS = REPO / "seeds"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"

DELETE = object()
"""A tweak value meaning 'remove this key'."""

EVIDENCE = """\
document: test_article.txt
title: A test article
outlet: Test Outlet
published: 2024-01-15
facts:
  - id: attacks-jan-2024
    summary: Ten attacks in January 2024.
    actors: [a]
    date_from: 2024-01-01
    date_to: 2024-01-31
    figures: {attacks: 10}
    grade: reported
    quote: "there were ten attacks in January"
"""
EVIDENCE_REF = "seeds/test_facts.yaml#attacks-jan-2024"


def minimal_scenario() -> dict[str, Any]:
    """A fresh copy of a small valid scenario as plain data."""
    return copy.deepcopy(
        {
            "name": "mini",
            "start_date": "2024-01-01",
            "horizon_days": 100,
            "actors": {
                "a": {"name": "Actor A", "kind": "armed_faction"},
                "b": {"name": "Actor B", "kind": "state"},
            },
            "ladder": ["calm", "attacked", "struck"],
            "events": {
                "attack": {"actor": "a", "target": "b", "rung": 1},
                "strike": {"actor": "b", "target": "a", "rung": 2},
            },
            "streams": {
                "attack": {
                    "rate": 0.5,
                    "self_excitation": {"branching": 0.3, "decay_days": 2},
                    "excited_by": {"strike": {"branching": 0.5, "decay_days": 5}},
                    "assumption": "a test rate",
                }
            },
            "rules": {
                "respond": {
                    "actor": "b",
                    "on": ["attack"],
                    "probability": 0.1,
                    "delay": {"dist": "exponential", "mean": 2},
                    "then": [
                        {"emit": "strike"},
                        {"scale": {"stream": "attack", "factor": 0.5, "days": 3}},
                    ],
                    "assumption": "a test response",
                }
            },
            "outcomes": {
                "struck_level": {"level_at_least": 2},
                "strike": {"event": "strike"},
            },
            "observed": {
                "attack": [
                    {"from": "2024-01-01", "to": "2024-01-31", "count": 10, "assumption": "test"}
                ]
            },
        }
    )


def _split(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.split("."):
        name, *indices = re.split(r"\[(\d+)\]", part)
        if name:
            out.append(name)
        out.extend(int(i) for i in indices if i != "")
    return out


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with DELETE remove) `data` at a dotted path like `rules.r.then[0].emit`,
    creating missing mappings on the way."""
    keys = _split(path)
    node: Any = data
    for key in keys[:-1]:
        if isinstance(node, dict) and key not in node:
            node[key] = {}
        node = node[key]
    if value is DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value


def tweaked(changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """The minimal scenario with dotted-path changes applied."""
    data = minimal_scenario()
    for path, value in (changes or {}).items():
        set_path(data, path, value)
    return data


def dump(data: Any) -> str:
    """YAML as a person writes it: PyYAML quotes the key 'on' (a YAML 1.1 boolean),
    a person does not, and the loader must read the bare `on:` as a key."""
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return text.replace("'on':", "on:")


def line_of(file: Path, needle: str, after: str | None = None) -> int:
    """1-based number of the first line containing `needle` (after the first line
    containing `after`, if given)."""
    lines = file.read_text(encoding="utf-8").splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    for number in range(start, len(lines)):
        if needle in lines[number]:
            return number + 1
    raise AssertionError(f"{needle!r} not in {file}")


def flat(text: str) -> str:
    """Whitespace collapsed, so a message the console wrapped can still be matched."""
    return " ".join(text.split())


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`tmp_path` as a project folder with `seeds/test_facts.yaml`, and the working folder."""
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "test_facts.yaml").write_text(EVIDENCE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def write_scenario(project: Path) -> Callable[..., Path]:
    """`write_scenario(changes=None, name="scenario.yaml", data=None, text=None)`: write a
    scenario file in the project folder and return its path. `changes` maps dotted
    paths to values (or DELETE) applied to the minimal scenario; `data` replaces the
    whole document; `text` is written verbatim."""

    def write(
        changes: dict[str, Any] | None = None,
        name: str = "scenario.yaml",
        data: Any = None,
        text: str | None = None,
    ) -> Path:
        path = project / name
        if text is None:
            text = dump(data if data is not None else tweaked(changes))
        path.write_text(text, encoding="utf-8")
        return path

    return write


def files_under(folder: Path) -> set[str]:
    """Every file and folder below `folder`, hidden ones included, as relative paths."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@dataclass(frozen=True)
class Bad:
    """One way to break the minimal scenario, and the problem it must produce."""

    id: str
    changes: dict[str, Any]
    path: str
    """The dotted path the problem names."""
    expected: str
    """Text the problem's 'expected' part must contain."""
    found: str
    """Text the problem's 'found' part must contain."""
    line: tuple[str, str | None]
    """(needle, after) locating the line the problem must point at (see `line_of`)."""
    problems: int = 1
    """How many problems the file has in all."""


# Problems the schema finds (types, bounds, unknown keys, delay parameters).
SCHEMA_CASES = [
    Bad(
        "unknown-key",
        {"streams.attack.rat": 0.3},
        "streams.attack.rat",
        "one of: source, assumption, rate,",
        "unknown key 'rat'",
        ("rat: 0.3", None),
    ),
    Bad(
        "rate-not-a-number",
        {"streams.attack.rate": "abc"},
        "streams.attack.rate",
        "a number",
        "'abc'",
        ("rate: abc", None),
    ),
    Bad(
        "negative-rate",
        {"streams.attack.rate": -0.5},
        "streams.attack.rate",
        "a number >= 0",
        "-0.5",
        ("rate: -0.5", None),
    ),
    Bad(
        "probability-above-1",
        {"rules.respond.probability": 1.5},
        "rules.respond.probability",
        "a number <= 1",
        "1.5",
        ("probability: 1.5", None),
    ),
    Bad(
        "probability-below-0",
        {"rules.respond.probability": -0.1},
        "rules.respond.probability",
        "a number >= 0",
        "-0.1",
        ("probability: -0.1", None),
    ),
    Bad(
        "exponential-delay-without-mean",
        {"rules.respond.delay": {"dist": "exponential"}},
        "rules.respond.delay",
        "exponential delay with mean",
        "no mean",
        ("delay:", None),
    ),
    Bad(
        "negative-fixed-delay",
        {"rules.respond.delay": {"dist": "fixed", "days": -1}},
        "rules.respond.delay.days",
        "a number >= 0",
        "-1",
        ("days: -1", None),
    ),
    Bad(
        "uniform-delay-high-not-above-low",
        {"rules.respond.delay": {"dist": "uniform", "low": 3, "high": 2}},
        "rules.respond.delay",
        "high > low",
        "low 3, high 2",
        ("delay:", None),
    ),
    Bad(
        "horizon-zero",
        {"horizon_days": 0},
        "horizon_days",
        "a number > 0",
        "0",
        ("horizon_days: 0", None),
    ),
    Bad(
        "horizon-negative",
        {"horizon_days": -5},
        "horizon_days",
        "a number > 0",
        "-5",
        ("horizon_days: -5", None),
    ),
    Bad(
        "horizon-infinite",
        {"horizon_days": float("inf")},
        "horizon_days",
        "a finite number",
        "inf",
        ("horizon_days: .inf", None),
    ),
    Bad(
        "neither-source-nor-assumption",
        {"streams.attack.assumption": DELETE},
        "streams.attack",
        "'source: seeds/<file>.yaml#<fact-id>' or 'assumption: <reasoning>'",
        "neither",
        ("attack:", "streams:"),
    ),
]

# Problems the whole-file checks find (references, branching, windows, sources).
CHECK_CASES = [
    Bad(
        "unknown-event-in-rule-on",
        {"rules.respond.on": ["nope"]},
        "rules.respond.on[0]",
        "an event id (one of: attack, strike)",
        "'nope'",
        ("- nope", None),
    ),
    Bad(
        "unknown-event-in-emit",
        {"rules.respond.then[0].emit": "nope"},
        "rules.respond.then[0].emit",
        "an event id (one of: attack, strike)",
        "'nope'",
        ("emit: nope", None),
    ),
    Bad(
        "unknown-event-in-excited-by",
        {"streams.attack.excited_by": {"nope": {"branching": 0.2, "decay_days": 3}}},
        "streams.attack.excited_by.nope",
        "an event id (one of: attack, strike)",
        "'nope'",
        ("nope:", "excited_by:"),
    ),
    Bad(
        "unknown-event-in-outcome",
        {"outcomes.strike.event": "nope"},
        "outcomes.strike.event",
        "an event id (one of: attack, strike)",
        "'nope'",
        ("event: nope", None),
    ),
    Bad(
        "unknown-stream-in-scale",
        {"rules.respond.then[1].scale.stream": "strike"},
        "rules.respond.then[1].scale.stream",
        "a stream id (one of: attack)",
        "'strike'",
        ("stream: strike", None),
    ),
    Bad(
        "unknown-actor-in-event",
        {"events.attack.actor": "zz"},
        "events.attack.actor",
        "an actor id (one of: a, b)",
        "'zz'",
        ("actor: zz", "events:"),
    ),
    Bad(
        "unknown-actor-in-rule",
        {"rules.respond.actor": "zz"},
        "rules.respond.actor",
        "an actor id (one of: a, b)",
        "'zz'",
        ("actor: zz", "rules:"),
        problems=2,  # and then[0] emits an event carried out by another actor
    ),
    Bad(
        "explosive-own-branching",
        {"streams.attack.self_excitation.branching": 1.0},
        "streams.attack.self_excitation.branching",
        "own branching below 1 (or 'max_events'",
        "1",
        ("branching: 1.0", None),
    ),
    Bad(
        "emit-by-another-actor",
        {"rules.respond.then[0].emit": "attack"},
        "rules.respond.then[0].emit",
        "an event whose actor is the rule's ('b')",
        "'attack', carried out by 'a'",
        ("emit: attack", None),
    ),
    Bad(
        "observed-window-after-horizon",
        {
            "observed.attack": [
                {"from": "2024-03-20", "to": "2024-04-19", "count": 1, "assumption": "x"}
            ]
        },
        "observed.attack[0]",
        "a window within 2024-01-01 .. 2024-04-09",
        "2024-03-20 .. 2024-04-19",
        ("from: '2024-03-20'", None),
    ),
    Bad(
        "observed-window-before-start",
        {
            "observed.attack": [
                {"from": "2023-12-25", "to": "2024-01-05", "count": 1, "assumption": "x"}
            ]
        },
        "observed.attack[0]",
        "a window within 2024-01-01 .. 2024-04-09",
        "2023-12-25 .. 2024-01-05",
        ("from: '2023-12-25'", None),
    ),
    Bad(
        "observed-windows-overlap",
        {
            "observed.attack": [
                {"from": "2024-01-01", "to": "2024-01-20", "count": 1, "assumption": "x"},
                {"from": "2024-01-15", "to": "2024-01-31", "count": 1, "assumption": "x"},
            ]
        },
        "observed.attack[1]",
        "a window not overlapping observed.attack[0]",
        "an overlap",
        ("from: '2024-01-15'", None),
    ),
    Bad(
        "dangling-source-file",
        {"streams.attack.source": "seeds/missing.yaml#attacks-jan-2024"},
        "streams.attack.source",
        "a source naming an existing evidence file and fact",
        "no file seeds/missing.yaml",
        ("source: seeds/missing.yaml", None),
    ),
    Bad(
        "dangling-source-fact",
        {"streams.attack.source": "seeds/test_facts.yaml#no-such-fact"},
        "streams.attack.source",
        "a source naming an existing evidence file and fact",
        "no fact 'no-such-fact' in seeds/test_facts.yaml",
        ("source: seeds/test_facts.yaml", None),
    ),
]

BAD_CASES = SCHEMA_CASES + CHECK_CASES


def problems_of(path: Path, overrides: dict[str, str] | None = None) -> tuple[Problem, ...]:
    """The problems `load_scenario` refuses `path` with (it must refuse it)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    problems = info.value.problems
    assert problems, "a ScenarioError must carry at least one problem"
    assert str(info.value) == "\n".join(str(p) for p in problems)
    return problems


def assert_bad_case(case: Bad, file: Path) -> Problem:
    """Load `file` (written from `case`) and check the problem it is refused with."""
    problems = problems_of(file)
    assert len(problems) == case.problems, [str(p) for p in problems]
    matching = [p for p in problems if p.path == case.path]
    assert len(matching) == 1, [str(p) for p in problems]
    problem = matching[0]
    assert problem.file == file.name
    assert problem.line == line_of(file, *case.line)
    assert case.expected in problem.expected
    assert case.found in problem.found
    assert str(problem) == (
        f"{file.name}:{problem.line}: {case.path}: "
        f"expected {problem.expected}, found {problem.found}"
    )
    return problem


def ctrl_c(process: subprocess.Popen[str], timeout: float) -> str:
    """Send Ctrl-C to `process`'s group, as a terminal does, and return its
    stderr once it ends; fail (killing the group, so no stray process can
    break a later test) if it is still running after `timeout` seconds."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        return process.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stderr = process.communicate()[1]
        pytest.fail(f"still running {timeout:.0f} s after Ctrl-C:\n{stderr}")
