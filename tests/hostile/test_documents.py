"""No traceback for predictable input: impossible dates, alias bombs, deep
nesting, huge numbers. Each gets its own located message, in bounded time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.scenario.yamlmap import MAX_DEPTH, MAX_NODES
from sim.sweep.spec import MAX_POINTS, load_sweep
from tests.conftest import REPO, dump, line_of, tweaked
from tests.hostile.helpers import assert_cli_refused, invoke, one_at, refused, refused_file
from tests.sweep import copy_poisson, write_sweep

# --- dates ---------------------------------------------------------------------------


@pytest.mark.parametrize("date", ["2024-02-30", "2023-02-29", "2024-13-01", "2024-04-31"])
def test_calendar_impossible_start_date(write_scenario, date):
    file = write_scenario({"start_date": date})
    problem = one_at(refused_file(file), "start_date")
    assert problem.line == line_of(file, "start_date:")
    assert problem.expected == "a date YYYY-MM-DD"
    assert problem.found == f"'{date}', not a calendar date"


def test_impossible_observation_date_is_located_with_the_rest(write_scenario):
    file = write_scenario({"observed.attack[0].to": "2024-02-30", "horizon_days": -1})
    problems = refused_file(file)
    assert one_at(problems, "observed.attack[0].to").found == "'2024-02-30', not a calendar date"
    assert one_at(problems, "horizon_days").expected == "a number > 0.0"


def test_impossible_date_in_an_evidence_file(write_scenario, project: Path):
    from tests.conftest import EVIDENCE, EVIDENCE_REF

    (project / "seeds" / "test_facts.yaml").write_text(
        EVIDENCE.replace("date_to: 2024-01-31", "date_to: 2024-01-32"), encoding="utf-8"
    )
    file = write_scenario({"streams.attack.source": EVIDENCE_REF})
    problem = one_at(refused_file(file), "streams.attack.source")
    assert "facts[0].date_to: expected a date YYYY-MM-DD" in problem.found


def test_horizon_past_the_last_calendar_date(write_scenario):
    file = write_scenario({"start_date": "9999-12-01", "observed": {}})
    problem = one_at(refused_file(file), "horizon_days")
    assert problem.expected.startswith("a horizon ending by 9999-12-31")


# --- alias bombs, nesting --------------------------------------------------------------


def bomb(levels: int = 9, width: int = 9) -> str:
    """ "Billion laughs": each level lists the previous one `width` times."""
    lines = ["name: bomb", 'l0: &l0 ["lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast(write_scenario):
    file = write_scenario(text=bomb())
    started = time.perf_counter()
    (problem,) = refused_file(file, seconds=10)
    assert time.perf_counter() - started < 2.0
    assert problem.expected.startswith("a document within the reader's limits")
    assert problem.found.startswith(f"more than {MAX_NODES:,} values with aliases expanded")
    assert problem.line is not None


def test_alias_bomb_under_a_memory_cap(write_scenario):
    # A child with 1 GiB of address space: a bomb expanded in memory would die
    # with MemoryError; refused before expansion, it exits with the message.
    file = write_scenario(text=bomb(levels=12))
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))\n"
        "from sim.errors import ScenarioError\n"
        "from sim.scenario import load_scenario\n"
        "try:\n"
        f"    load_scenario({str(file)!r})\n"
        "except ScenarioError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(2)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "aliases expanded" in done.stdout
    assert "Traceback" not in done.stderr


def test_recursive_alias(write_scenario):
    (problem,) = refused_file(write_scenario(text="name: x\nloop: &a [1, *a]\n"))
    assert problem.found == "a recursive alias (a value containing itself)"


@pytest.mark.parametrize(
    "text",
    [
        "name: x\nactors: " + "[" * 5000 + "]" * 5000 + "\n",
        "name: x\nactors: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
        "name: x\nactors:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)),
    ],
    ids=["lists", "flow-mappings", "block-mappings"],
)
def test_deep_nesting_is_refused(write_scenario, text):
    (problem,) = refused_file(write_scenario(text=text))
    assert problem.found == f"nesting deeper than {MAX_DEPTH} levels"
    assert problem.line is not None


# --- huge numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "path", "expected"),
    [
        ({"horizon_days": 1e15}, "horizon_days", "a number <= 36500"),
        ({"horizon_days": float("inf")}, "horizon_days", "a finite number"),
        (
            {"rules.respond.probability": float("nan")},
            "rules.respond.probability",
            "a finite number",
        ),
        (
            {"outcomes.strike.count_at_least": 10**15},
            "outcomes.strike.count_at_least",
            "<= 1000000000",
        ),
        ({"streams.attack.max_events": 10**30}, "streams.attack.max_events", "<= 1000000000"),
        ({"initial_level": 10**20}, "initial_level", "<= 1000000000"),
        (
            {"streams.attack.self_excitation.decay_days": 1e-300},
            "streams.attack.self_excitation.decay_days",
            "a number >= 1e-06",
        ),
    ],
    ids=["horizon-1e15", "horizon-inf", "probability-nan", "count", "max-events", "level", "decay"],
)
def test_huge_numbers(write_scenario, changes, path, expected):
    problem = one_at(refused_file(write_scenario(changes)), path)
    assert expected in problem.expected


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1" * 400, "0x" + "f" * 200])
def test_numbers_beyond_float_range(write_scenario, literal):
    text = dump(tweaked()).replace("horizon_days: 100", f"horizon_days: {literal}")
    problems = refused_file(write_scenario(text=text))
    assert len(problems) == 1
    (problem,) = problems
    assert "horizon_days" in problem.path or "digits" in problem.found


def sweep(project: Path, body: str) -> Path:
    copy_poisson(project)
    return write_sweep(project, body)


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [
        (
            "parameters:\n  streams.attack.rate: {low: 0.1, high: 0.2}\ndesign: lhs\n"
            "samples: 1000000000000\n",
            "samples",
            f"<= {MAX_POINTS}",
        ),
        (
            "parameters:\n  streams.attack.rate: {low: 0.1, high: 0.2, levels: 1000000000000}\n"
            "design: grid\n",
            "parameters.streams.attack.rate.levels",
            f"<= {MAX_POINTS}",
        ),
        (
            "parameters:\n  streams.attack.rate: {low: 0.1, high: 0.2, levels: 1000}\n"
            "  horizon_days: {low: 50, high: 100, levels: 1000}\ndesign: grid\n",
            "parameters",
            f"a design of at most {MAX_POINTS:,} points",
        ),
        (
            "parameters:\n  streams.attack.rate: {low: 0.1, high: 0.2}\n"
            "  horizon_days: {low: 50, high: 100}\ndesign: sobol\nsamples: 65536\n",
            "samples",
            f"a design of at most {MAX_POINTS:,} points",
        ),
        (
            "parameters:\n  streams.attack.rate: [0.1]\ndesign: grid\n"
            "replications: 10000000000000\n",
            "replications",
            "<= 1000000",
        ),
        (
            "parameters:\n  streams.attack.rate: {low: -1e400, high: 0.2}\ndesign: grid\n",
            "parameters.streams.attack.rate.low",
            "a finite number",
        ),
    ],
    ids=["lhs-samples", "grid-levels", "grid-product", "sobol-points", "replications", "inf-low"],
)
def test_huge_sweeps_are_refused_before_any_point_is_made(project: Path, body, path, expected):
    file = sweep(project, body)
    problem = one_at(refused(lambda: load_sweep(file), seconds=10), path)
    assert expected in problem.expected


def test_cli_impossible_date_exits_2(write_scenario):
    file = write_scenario({"start_date": "2024-02-30"})
    result = invoke("run", str(file), "--reps", "5", "--workers", "1", "--no-progress")
    assert_cli_refused(result, "start_date: expected a date YYYY-MM-DD, found '2024-02-30'")


def test_cli_alias_bomb_exits_2(write_scenario):
    file = write_scenario(text=bomb())
    assert_cli_refused(invoke("validate", str(file)), "aliases expanded")
