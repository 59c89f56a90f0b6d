"""The `escsim` command line.

Bad input: exit code 2, every problem printed as `file:line: path: expected X,
found Y`, no traceback, nothing written. Good input: the results folder and
the trace files, with what a run records about itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from sim.cli import app
from sim.scenario import load_scenario
from sim.writers import folder as io
from tests.conftest import (
    BAD_CASES,
    REPO,
    SCENARIOS,
    Bad,
    dump,
    files_under,
    flat,
    line_of,
    problems_of,
    tweaked,
)

RUN = ["--reps", "50", "--workers", "1", "--no-progress"]
POISSON = SCENARIOS / "reference" / "poisson_count.yaml"


def invoke(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_refused(result: Result, project: Path, before: set[str]) -> str:
    """Exit code 2, no traceback, nothing written; returns stderr, whitespace collapsed."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert files_under(project) == before, "a refused command must write nothing"
    return flat(result.stderr)


def command_args(command: str, file: Path | str) -> list[object]:
    return ["run", file, *RUN, "--out", "out"] if command == "run" else ["validate", file]


# --- bad scenario files --------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize("case", BAD_CASES, ids=lambda c: c.id)
def test_bad_scenario_is_refused(case: Bad, command, write_scenario, project):
    file = write_scenario(case.changes)
    problems = problems_of(file)
    before = files_under(project)
    message = assert_refused(invoke(*command_args(command, file.name)), project, before)
    line = line_of(file, *case.line)
    assert f"scenario.yaml:{line}: {case.path}: expected " in message
    for problem in problems:  # every problem, each as the library words it
        assert flat(str(problem)) in message
    if command == "run":
        assert f"error: {len(problems)} problem(s)" in message


def test_run_without_out_creates_no_results_folder(write_scenario, project):
    file = write_scenario({"streams.attack.rate": -1})
    before = files_under(project)
    message = assert_refused(invoke("run", file.name, *RUN), project, before)
    assert "streams.attack.rate: expected a number >= 0.0, found -1" in message
    assert not (project / "results").exists()


def test_multiple_problems_are_all_printed(write_scenario, project):
    file = write_scenario(
        {"streams.attack.rate": -1, "streams.attack.foo": 1, "rules.respond.probability": 2}
    )
    before = files_under(project)
    message = assert_refused(invoke("run", file.name, *RUN, "--out", "out"), project, before)
    assert "error: 3 problem(s)" in message
    for path in ("streams.attack.rate", "streams.attack.foo", "rules.respond.probability"):
        assert f": {path}: expected " in message


@pytest.mark.parametrize("command", ["run", "validate"])
def test_each_problem_is_printed_on_one_line(command, write_scenario, project):
    file = write_scenario({"streams.attack.rat": 0.3})  # a message of about 130 characters
    (problem,) = problems_of(file)
    assert len(str(problem)) > 100
    result = invoke(*command_args(command, file.name))
    assert result.exit_code == 2
    assert str(problem) in result.stderr.splitlines()


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [1, 2\n", "scenario.yaml:2: expected valid YAML, found "),
        ("", "scenario.yaml: expected a scenario mapping, found an empty file"),
        ("- a\n- b\n", "scenario.yaml:1: expected a mapping of scenario keys, found a list of 2"),
    ],
    ids=["not-yaml", "empty", "list"],
)
def test_file_that_is_not_a_scenario(command, text, expected, write_scenario, project):
    file = write_scenario(text=text)
    before = files_under(project)
    message = assert_refused(invoke(*command_args(command, file.name)), project, before)
    assert expected in message


@pytest.mark.parametrize("command", ["run", "validate"])
def test_duplicate_keys(command, write_scenario, project):
    text = dump(tweaked()).replace("    rate: 0.5\n", "    rate: 0.5\n    rate: 0.7\n")
    file = write_scenario(text=text)
    before = files_under(project)
    message = assert_refused(invoke(*command_args(command, file.name)), project, before)
    line = line_of(file, "rate: 0.7")
    assert f"scenario.yaml:{line}: streams.attack.rate: expected each key once, found a " in (
        message
    )


@pytest.mark.parametrize("command", ["run", "validate", "trace"])
def test_missing_file(command, project):
    args = ["trace", "absent.yaml", "--out", "out"] if command == "trace" else None
    before = files_under(project)
    result = invoke(*(args or command_args(command, "absent.yaml")))
    message = assert_refused(result, project, before)
    assert "absent.yaml: expected an existing file, found no such file" in message


def test_validate_reports_each_file(write_scenario, project):
    good = write_scenario(name="good.yaml")
    bad = write_scenario({"rules.respond.probability": 1.5}, name="bad.yaml")
    result = invoke("validate", good.name, bad.name)
    assert result.exit_code == 2
    assert "good.yaml: ok (2 event types, 1 streams, 1 rules, 2 outcomes)" in flat(result.stdout)
    line = line_of(bad, "probability: 1.5")
    assert f"bad.yaml:{line}: rules.respond.probability: expected a number <= 1.0, found 1.5" in (
        flat(result.stderr)
    )


# --- --set ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "validate", "trace"])
@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        (
            "streams.nope.rate=1",
            "--set streams.nope.rate: streams.nope.rate: expected a path that exists in the "
            "scenario, found nothing at 'streams.nope'",
        ),
        (
            "streams.attack.nope=1",
            "--set streams.attack.nope: streams.attack.nope: expected a path that exists in the "
            "scenario, found no 'nope' at 'streams.attack'",
        ),
        (
            "streams.attack.rate=abc",
            "--set streams.attack.rate=abc: streams.attack.rate: expected a number, found 'abc'",
        ),
        (
            "rules.respond.probability=1.5",
            "rules.respond.probability: expected a number <= 1.0, found 1.5",
        ),
        ("nonsense", "--set: nonsense: expected PATH=VALUE, found 'nonsense'"),
    ],
    ids=["no-stream", "no-key", "not-a-number", "out-of-range", "no-equals"],
)
def test_bad_set(command, assignment, expected, write_scenario, project):
    file = write_scenario()
    args = (
        ["trace", file.name, "--out", "out"] if command == "trace" else command_args(command, file)
    )
    before = files_under(project)
    message = assert_refused(invoke(*args, "--set", assignment), project, before)
    assert expected in message


# --- results folders -----------------------------------------------------------------


def test_run_refuses_an_existing_results_folder(write_scenario, project):
    file = write_scenario()
    (project / "out").mkdir()
    (project / "out" / "mine.txt").write_text("keep me")
    before = files_under(project)
    message = assert_refused(invoke("run", file.name, *RUN, "--out", "out"), project, before)
    assert "results folder out already exists" in message and "--force" in message
    assert (project / "out" / "mine.txt").read_text() == "keep me"


def test_trace_refuses_an_existing_folder(project):
    (project / "out").mkdir()
    before = files_under(project)
    message = assert_refused(invoke("trace", POISSON, "--out", "out"), project, before)
    assert "already exists" in message


def test_run_with_force_replaces_an_existing_results_folder(write_scenario, project):
    file = write_scenario()
    assert invoke("run", file.name, *RUN, "--out", "out").exit_code == 0
    (project / "out" / "old.txt").write_text("old")
    result = invoke("run", file.name, *RUN, "--out", "out", "--force")
    assert result.exit_code == 0, result.output
    assert not (project / "out" / "old.txt").exists()
    assert (project / "out" / "manifest.json").is_file()
    assert not [p for p in project.iterdir() if p.name.startswith(".out.")]  # no staging left


# --- happy paths ---------------------------------------------------------------------


def test_help():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "validate", "trace"):
        assert command in result.stdout
    assert "spill" in result.stdout


def test_no_arguments_shows_help():
    result = invoke()
    assert "Usage" in result.output
    assert "run" in result.output


def test_run_help():
    result = invoke("run", "--help")
    assert result.exit_code == 0
    for option in ("--reps", "--seed", "--workers", "--out", "--force", "--set", "--precision"):
        assert option in result.stdout
    assert "manifest.json" in flat(result.stdout)


def test_validate_reference_scenarios():
    files = [
        SCENARIOS / "reference" / "poisson_count.yaml",
        SCENARIOS / "iraq_2024_israel_threat.yaml",
    ]
    result = invoke("validate", *files)
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert "poisson_count.yaml: ok (1 event types, 1 streams, 0 rules, 2 outcomes)" in text
    assert "iraq_2024_israel_threat.yaml: ok (" in text


def check_results_folder(folder: Path, scenario_file: Path, reps: int, seed: int) -> None:
    s = load_scenario(scenario_file)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == seed
    assert manifest["replications"] == reps
    assert manifest["workers"] == 1
    assert manifest["wall_seconds"] >= 0
    for package in ("numpy", "simpy", "scipy"):
        assert manifest["versions"][package] not in ("", "not installed")
    assert manifest["scenario"]["resolved_sha256"] == io.scenario_sha256(s)
    assert manifest["scenario"]["name"] == s.name

    summary = json.loads((folder / "summary.json").read_text())
    assert summary["replications"] == reps and summary["seed"] == seed
    assert summary["headline"]["outcome"] == s.headline
    assert [o["outcome"] for o in summary["outcomes"]] == list(s.outcomes)

    rows = pd.read_parquet(folder / "replications.parquet")
    assert len(rows) == reps

    curves = pd.read_csv(folder / "probability_by_day.csv")
    assert set(curves["outcome"]) == set(s.outcomes)
    for _, curve in curves.groupby("outcome"):
        p = curve.sort_values("day")["probability"]
        assert p.is_monotonic_increasing
        assert p.between(0, 1).all()
    assert (curves["lower"] <= curves["probability"] + 1e-12).all()
    assert (curves["probability"] <= curves["upper"] + 1e-12).all()

    assert (folder / "probability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sources = pd.read_csv(folder / "sources.csv")
    assert {"path", "kind", "source"} <= set(sources.columns)
    assert set(sources["path"]) >= {f"streams.{i}" for i in s.streams}
    assert not [p for p in folder.parent.iterdir() if ".partial-" in p.name]


def test_run_writes_a_results_folder(write_scenario, project):
    file = write_scenario()
    result = invoke("run", file.name, "--reps", 200, "--workers", 1, "--seed", 3, "--out", "out")
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert "from 200 replications, seed 3" in text
    assert "struck level by 2024-04-10" in text
    check_results_folder(project / "out", file, reps=200, seed=3)
    sources = pd.read_csv(project / "out" / "sources.csv")
    assert set(sources["kind"]) == {"assumption"}


def test_run_records_overrides(write_scenario, project):
    file = write_scenario()
    result = invoke("run", file.name, *RUN, "--out", "out", "--set", "streams.attack.rate=0.2")
    assert result.exit_code == 0, result.output
    manifest = json.loads((project / "out" / "manifest.json").read_text())
    assert manifest["overrides"] == {"streams.attack.rate": "0.2"}
    s = load_scenario(file, {"streams.attack.rate": "0.2"})
    assert manifest["scenario"]["resolved_sha256"] == io.scenario_sha256(s)


def test_run_reference_poisson(project):
    result = invoke("run", POISSON, "--reps", 200, "--workers", 1, "--out", "out")
    assert result.exit_code == 0, result.output
    check_results_folder(project / "out", POISSON, reps=200, seed=0)


def test_trace_writes_log_chains_and_timeline(project):
    result = invoke("trace", POISSON, "--out", "trace", "--limit", 5)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "replication 0, seed 0" in text
    assert "Causal chains to the outcomes" in text
    assert "Actor A: attack" in text
    folder = project / "trace"
    assert {p.name for p in folder.iterdir()} == {
        "log.csv",
        "chains.txt",
        "timeline.png",
        "manifest.json",
        "report.html",
    }
    log = pd.read_csv(folder / "log.csv")
    assert len(log) > 0
    assert {"day", "date", "event", "actor", "level"} <= set(log.columns)
    assert log["day"].is_monotonic_increasing
    assert (log["day"] < 100).all()
    chains = (folder / "chains.txt").read_text()
    assert chains.startswith("ten attacks: ") or "ten attacks: did not happen" in chains
    assert (folder / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_trace_is_replication_n_of_run(project):
    # the same replication, told twice, is the same story
    first = invoke("trace", POISSON, "--rep", 4, "--seed", 9, "--out", "a")
    second = invoke("trace", POISSON, "--rep", 4, "--seed", 9, "--out", "b")
    assert first.exit_code == second.exit_code == 0
    assert (project / "a" / "log.csv").read_text() == (project / "b" / "log.csv").read_text()


def test_python_m_sim_help():
    done = subprocess.run(
        [sys.executable, "-m", "sim", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout
    for command in ("run", "validate", "trace"):
        assert command in done.stdout


# --- seeds and replication numbers out of range: refused as the options are read


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["run", POISSON, *RUN, "--seed", 2**64], "--seed"),
        (["compare", POISSON, "--variant", "b:streams.attack.rate=0.6", "--seed", 2**64], "--seed"),
        (["trace", POISSON, "--seed", 2**64], "--seed"),
        (["trace", POISSON, "--rep", 2**63], "--rep"),
        (["trace", POISSON, "--rep", 10_000_000], "--rep"),
        (["run", POISSON, "--precision", "0.01", "--max-reps", 10**7 + 1], "--max-reps"),
    ],
    ids=["run-seed", "compare-seed", "trace-seed", "trace-rep-int64", "trace-rep-cap", "max-reps"],
)
def test_out_of_range_seeds_and_replications_are_refused(project, args, option):
    before = files_under(project)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"Invalid value for '{option}'" in flat(result.output)
    assert files_under(project) == before


def test_the_largest_seed_is_accepted(project):
    result = invoke("trace", POISSON, "--seed", 2**64 - 1, "--rep", 9_999_999, "--out", "t")
    assert result.exit_code == 0, result.output
    assert f"replication 9999999, seed {2**64 - 1}" in result.stdout
