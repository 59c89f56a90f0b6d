"""`escsim backtest`: a question set and a rolling backtest into results
folders; identical tables for any worker count and after a resume (a kill
included); bad input refused with exit 2, a located message and nothing
written."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner, Result

from sim.cli import app
from sim.engine import simulate
from sim.scenario import load_scenario
from tests.conftest import ctrl_c, files_under, flat, line_of
from tests.experiments.backtest.helpers import QUESTION, question, write_questions

SCENARIO = """\
name: synthetic
start_date: 2021-01-01
horizon_days: 7
actors:
  a: {name: A, kind: armed_faction}
  b: {name: B, kind: state}
ladder: [calm, active]
events:
  attack: {actor: a, rung: 1}
  strike: {actor: b}
streams:
  attack:
    rate: 1.0
    self_excitation: {branching: 0.3, decay_days: 2}
    assumption: a test rate
  strike:
    rate: 0.2
    assumption: a test rate
outcomes:
  any_attack: {level_at_least: 1}
"""
DAYS = 175
FAST = ["--reps", "30", "--no-progress"]


def invoke(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def write_data(folder: Path, strike_until: int = DAYS) -> None:
    """The scenario, DAYS days of events it simulated (dated rows), and a map."""
    (folder / "s.yaml").write_text(SCENARIO.replace("horizon_days: 7", f"horizon_days: {DAYS}"))
    rep = simulate(load_scenario(folder / "s.yaml"), 4, 0)
    (folder / "s.yaml").write_text(SCENARIO)
    start = pd.Timestamp("2021-01-01")
    rows = [
        f"{(start + pd.Timedelta(days=int(t))).date()},{event.upper()}"
        for event, times in rep.event_times_days.items()
        for t in times
        if event == "attack" or t < strike_until
    ]
    (folder / "events.csv").write_text("date,type\n" + "\n".join(sorted(rows)) + "\n")
    (folder / "map.yaml").write_text(
        "data: events.csv\n"
        f"period: {{from: 2021-01-01, to: {(start + pd.Timedelta(days=DAYS - 1)).date()}}}\n"
        "events:\n"
        "  attack: {where: {type: ATTACK}}\n"
        "  strike: {where: {type: STRIKE}}\n"
    )


ROLLING = ["backtest", "--map", "map.yaml", "--scenario", "s.yaml", "--every", "7d", "--lead", "7"]


@pytest.fixture
def data(project: Path) -> Path:
    write_data(project)
    return project


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """A project with the data and a finished backtest in `bt/` (one worker),
    run once for the module; tests copy it."""
    folder = tmp_path_factory.mktemp("finished")
    write_data(folder)
    here = Path.cwd()
    os.chdir(folder)
    try:
        result = invoke(*ROLLING, *FAST, "--workers", "1", "--out", "bt")
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    return folder, result


@pytest.fixture
def copied(finished: tuple[Path, Result], project: Path) -> Path:
    """The finished project copied into this test's project folder."""
    for item in finished[0].iterdir():
        if item.is_dir():
            shutil.copytree(item, project / item.name)
        else:
            shutil.copy2(item, project / item.name)
    return project


def origin_files(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "origins").glob("[!.]*.json"))


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (folder / "origins").glob("[!.]*.json")}


# --- rolling ---------------------------------------------------------------------------------


def test_a_rolling_backtest_writes_its_folder(finished: tuple[Path, Result]) -> None:
    folder, result = finished[0] / "bt", finished[1]
    for name in ("scores.parquet", "skill.csv", "summary.json", "manifest.json", "report.html"):
        assert (folder / name).is_file(), name
    for event in ("attack", "strike"):
        assert (folder / f"pit_{event}.png").is_file()
        assert (folder / f"fan_{event}.png").is_file()
    scores = pd.read_parquet(folder / "scores.parquet")
    # Default origins: 8 lead windows after the data start, to the last complete window.
    origins = sorted(scores["origin"].unique())
    assert str(origins[0]) == "2021-02-26" and len(origins) == 17
    assert len(scores) == len(origins) * 2 * 4  # origins x event types x (model + 3 baselines)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["origins"] == 17 and summary["replications"] == 30
    headline = summary["headline"][0]
    assert headline.startswith("model vs trailing Poisson, log score: ")
    assert "(negative = model better" in headline
    assert headline.split(": ")[1][:5] in (folder / "report.html").read_text()
    skill = pd.read_csv(folder / "skill.csv")
    assert set(skill["baseline"]) == {"poisson", "negbin", "persistence"}
    assert "model vs trailing Poisson, log score" in flat(result.stdout)
    assert "s CPU per origin" in result.stdout


def test_any_worker_count_gives_the_same_tables(copied: Path) -> None:
    two = invoke(*ROLLING, *FAST, "--workers", "2", "--out", "two")
    assert two.exit_code == 0, two.output
    pd.testing.assert_frame_equal(
        pd.read_parquet(copied / "bt" / "scores.parquet"),
        pd.read_parquet(copied / "two" / "scores.parquet"),
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(copied / "bt" / "skill.csv"), pd.read_csv(copied / "two" / "skill.csv")
    )


def test_the_fast_engine_gives_the_same_scores_and_is_recorded(copied: Path) -> None:
    # Each origin restarts the scenario with its history: the fast engine runs
    # history bit for bit as SimPy does, so the scores are the same.
    fast = invoke(*ROLLING, *FAST, "--workers", "1", "--engine", "fast", "--out", "fast")
    assert fast.exit_code == 0, fast.output
    pd.testing.assert_frame_equal(
        pd.read_parquet(copied / "bt" / "scores.parquet"),
        pd.read_parquet(copied / "fast" / "scores.parquet"),
    )
    assert json.loads((copied / "fast" / "manifest.json").read_text())["engine"] == "fast"
    assert json.loads((copied / "bt" / "manifest.json").read_text())["engine"] == "simpy"


def test_an_event_with_no_rows_in_a_window_is_scored_as_zero(project: Path) -> None:
    write_data(project, strike_until=120)
    result = invoke(*ROLLING, *FAST, "--workers", "1", "--out", "bt", "--from", "2021-04-30")
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(project / "bt" / "scores.parquet")
    late = scores[(scores["event"] == "strike") & (scores["origin"] >= dt.date(2021, 5, 1))]
    assert len(late) and (late["observed"] == 0).all()
    assert late["log_score"].notna().all()


@pytest.fixture
def interrupted(copied: Path) -> pd.DataFrame:
    """The finished backtest with four origins removed, as a backtest
    interrupted near its end leaves it; and the finished table."""
    whole = pd.read_parquet(copied / "bt" / "scores.parquet")
    for name in origin_files(copied / "bt")[-4:]:
        (copied / "bt" / "origins" / name).unlink()
    (copied / "bt" / "scores.parquet").unlink()
    return whole


def test_resume_runs_only_the_missing_origins(interrupted: pd.DataFrame, copied: Path) -> None:
    kept = mtimes(copied / "bt")
    result = invoke(*ROLLING, *FAST, "--workers", "2", "--out", "bt", "--resume")
    assert result.exit_code == 0, result.output
    assert "(13 already done)" in flat(result.stderr)
    assert {k: v for k, v in mtimes(copied / "bt").items() if k in kept} == kept
    assert len(origin_files(copied / "bt")) == 17
    pd.testing.assert_frame_equal(pd.read_parquet(copied / "bt" / "scores.parquet"), interrupted)


@pytest.mark.parametrize(
    ("change", "named"),
    [(["--reps", "40"], "replications: 30 -> 40"), (["--seed", "3"], "seed: 0 -> 3")],
    ids=["reps", "seed"],
)
def test_resume_refuses_changed_inputs(interrupted, copied: Path, change, named) -> None:
    before = files_under(copied)
    args = [*ROLLING, "--no-progress", "--reps", "30", *change, "--out", "bt", "--resume"]
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert "the backtest changed since it began" in message and named in message
    assert files_under(copied) == before


def test_a_second_run_needs_resume_or_force(copied: Path) -> None:
    before = files_under(copied)
    again = invoke(*ROLLING, *FAST, "--workers", "1", "--out", "bt")
    assert again.exit_code == 2 and "already exists" in flat(again.stderr)
    assert files_under(copied) == before
    forced = invoke(*ROLLING, *FAST, "--workers", "2", "--out", "bt", "--force")
    assert forced.exit_code == 0, forced.output


@pytest.mark.slow
def test_a_killed_backtest_resumes_to_the_uninterrupted_table(data: Path) -> None:
    args = [*ROLLING, "--reps", "400", "--no-progress", "--every", "3d"]
    reference = invoke(*args, "--workers", "1", "--out", "whole")
    assert reference.exit_code == 0, reference.output
    total = len(origin_files(data / "whole"))
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", *args, "--workers", "2", "--out", "cut"],
        cwd=data,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the pool's workers die with it
    )
    cut = data / "cut"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if (cut / "origins").is_dir() and len(origin_files(cut)) >= 3:
                break
            time.sleep(0.005)
        assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        process.stderr.close()  # type: ignore[union-attr]
    done = mtimes(cut)
    assert 0 < len(done) < total, len(done)
    assert not (cut / "scores.parquet").exists()
    for name in done:  # whatever was written is a whole origin
        json.loads((cut / "origins" / name).read_text())
    result = invoke(*args, "--workers", "2", "--out", "cut", "--resume")
    assert result.exit_code == 0, result.output
    assert f"({len(done)} already done)" in flat(result.stderr)
    assert {k: v for k, v in mtimes(cut).items() if k in done} == done
    pd.testing.assert_frame_equal(
        pd.read_parquet(cut / "scores.parquet"), pd.read_parquet(data / "whole" / "scores.parquet")
    )


@pytest.mark.slow
def test_ctrl_c_exits_130_and_keeps_the_finished_origins(data: Path) -> None:
    args = [*ROLLING, "--reps", "400", "--no-progress", "--every", "3d", "--out", "cut"]
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", *args, "--workers", "2"],
        cwd=data,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal job
    )
    cut = data / "cut"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (cut / "origins").is_dir() and len(origin_files(cut)) >= 2:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the backtest ended before it could be interrupted"
    stderr = ctrl_c(process, timeout=60)
    assert process.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    assert origin_files(cut) and not list((cut / "origins").glob(".*partial*"))
    assert not (cut / "scores.parquet").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "0"], "--every: expected a positive number of days, found '0'"),
        (["--every", "-7d"], "--every: expected a positive number of days, found '-7d'"),
        (["--lead", "0d"], "--lead: expected a positive number of days, found '0d'"),
        (["--lead", "-7"], "--lead: expected a positive number of days, found '-7'"),
        (["--every", "week"], "--every: expected a number of days such as 7d or 7, found 'week'"),
        (["--from", "2021-01-03"], "origin 2021-01-03 has no training data"),
        (["--from", "2020-06-01"], "origin 2020-06-01 has no training data"),
        (["--to", "2021-06-22"], "runs past the end of the event data (2021-06-24)"),
        (["--refit-window", "3d"], "--refit-window must be at least the lead"),
        (["--from", "2021-13-01"], "--from: expected a date YYYY-MM-DD, found '2021-13-01'"),
        (["--lead", "3000000d"], "--lead: expected at most 36525 days (100 years)"),
        (["--lead", "9" * 20 + "d"], "--lead: expected at most 36525 days (100 years)"),
        (["--every", "9" * 5000], "--every: expected at most 36525 days (100 years)"),
        (["--refit-window", "9" * 20 + "d"], "--refit-window: expected at most 36525 days"),
        (["--trailing", "1000000"], "'--trailing': Input should be less than or equal to 36525"),
        (["--at-least", "9" * 20], "'--at-least': Input should be less than or equal to 1000000"),
        (["--lead", "100d"], "the longest lead possible is 87 days"),
        (["--trailing", "30"], "--trailing 30: 30 windows of 7 days before the first origin"),
    ],
    ids=[
        "every-zero",
        "every-negative",
        "lead-zero",
        "lead-negative",
        "every-word",
        "origin-before-a-window",
        "origin-before-the-data",
        "window-past-the-data",
        "refit-shorter-than-lead",
        "bad-date",
        "lead-past-the-calendar",
        "lead-past-a-machine-int",
        "every-of-5000-digits",
        "refit-past-a-machine-int",
        "trailing-past-the-calendar",
        "threshold-past-int64",
        "lead-longer-than-half-the-data",
        "trailing-windows-longer-than-the-data",
    ],
)
def test_bad_rolling_input_exits_2_and_writes_nothing(data: Path, args, message) -> None:
    before = files_under(data)
    result = invoke(*ROLLING, *FAST, *args, "--out", "bt")
    assert result.exit_code == 2, result.output
    assert message in flat(result.stderr)
    assert "Traceback" not in result.output
    assert files_under(data) == before


@pytest.mark.parametrize(
    "args",
    [["--every", "300d"], ["--from", "2021-03-01", "--to", "2021-03-01"]],
    ids=["every-past-the-data", "from-equals-to"],
)
def test_too_few_origins_are_refused_before_computing(data: Path, args) -> None:
    """One origin cannot give skill intervals or a PIT test: refused up front
    with the counts, not after the forecasts with a traceback and a folder
    that neither --resume nor a fresh run could finish."""
    before = files_under(data)
    result = invoke(*ROLLING, *FAST, *args, "--out", "bt")
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert "1 forecast origin(s)" in message and "needs at least 3" in message
    assert "Traceback" not in result.output
    assert files_under(data) == before


def test_resuming_a_folder_with_too_few_origins_says_what_to_do(copied: Path) -> None:
    """A folder begun with settings giving one origin (as an earlier version
    left it) cannot be finished: --resume says so and names --force."""
    before = files_under(copied)
    result = invoke(*ROLLING, *FAST, "--every", "300d", "--out", "bt", "--resume")
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert "needs at least 3" in message and "--force to replace it" in message
    assert files_under(copied) == before


def test_the_wrote_line_names_every_file_written(finished: tuple[Path, Result]) -> None:
    folder, result = finished[0] / "bt", finished[1]
    line = flat(result.stdout).split("wrote ")[1]
    for item in folder.iterdir():
        assert item.name in line, item.name
    assert "origins/ (17 files)" in line and "pit.csv" in line and "fan_strike.png" in line


def test_a_map_naming_an_event_the_scenario_lacks_is_located(data: Path) -> None:
    (data / "map.yaml").write_text(
        (data / "map.yaml").read_text().replace("  strike:", "  bombing:")
    )
    before = files_under(data)
    result = invoke(*ROLLING, *FAST, "--out", "bt")
    assert result.exit_code == 2, result.output
    line = line_of(data / "map.yaml", "bombing:")
    assert f"map.yaml:{line}: events.bombing: expected an event id of scenario" in flat(
        result.stderr
    )
    assert files_under(data) == before


def test_nothing_to_resume_and_mixed_forms_are_refused(data: Path) -> None:
    before = files_under(data)
    result = invoke(*ROLLING, *FAST, "--out", "nowhere", "--resume")
    assert result.exit_code == 2 and "nothing to resume" in flat(result.stderr)
    result = invoke("backtest", "--scenario", "s.yaml")
    assert result.exit_code == 2 and "--map MAP.yaml and --scenario S.yaml" in flat(result.stderr)
    assert files_under(data) == before


# --- question sets ----------------------------------------------------------------------


def test_a_question_set_writes_scores_skill_and_charts(project: Path) -> None:
    file = write_questions(
        project,
        {
            "questions": [
                QUESTION,
                question(
                    id="slow-stream",
                    set={"streams.attack.rate": 0.25},
                    outcome="any_attack",
                    window={"from": "2024-01-01", "to": "2024-01-04"},
                    resolution={"happened": "2024-01-02"},
                ),
                question(
                    id="no-attack-by-day-2",
                    outcome="any_attack",
                    window={"from": "2024-01-01", "to": "2024-01-02"},
                    resolution="did_not_happen",
                ),
            ]
        },
    )
    result = invoke("backtest", file, "--reps", "300", "--workers", "1", "--out", "qs")
    assert result.exit_code == 0, result.output
    folder = project / "qs"
    for name in ("scores.parquet", "skill.csv", "summary.json", "reliability.png"):
        assert (folder / name).is_file(), name
    assert (folder / "sharpness.png").is_file() and (folder / "report.html").is_file()
    wrote = flat(result.stdout).split(f"wrote {folder.name}/: ")[1]
    assert sorted(wrote.split(", ")) == sorted(p.name for p in folder.iterdir())
    scores = pd.read_parquet(folder / "scores.parquet")
    assert list(scores["id"]) == ["ten-attacks-by-day-20", "slow-stream", "no-attack-by-day-2"]
    assert "model vs a coin (0.5), log score" in flat(result.stdout)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["replications"] == 300 and manifest["engine"] == "simpy"
    fast = invoke("backtest", file, "--reps", "300", "-w", "1", "--engine", "fast", "--out", "f")
    assert fast.exit_code == 0, fast.output
    pd.testing.assert_frame_equal(scores, pd.read_parquet(project / "f" / "scores.parquet"))
    assert json.loads((project / "f" / "manifest.json").read_text())["engine"] == "fast"


BAD_QUESTIONS = [
    (
        {"scenario": "../scenarios/nowhere.yaml"},
        "questions[0].scenario: expected an existing scenario file",
        "scenario:",
    ),
    (
        {"outcome": "invasion"},
        "questions[0].outcome: expected an outcome of the scenario",
        "outcome:",
    ),
    (
        {"window": {"from": "2024-01-01", "to": "2024-06-01"}},
        "questions[0].window.to: expected a date within the scenario's horizon",
        "to:",
    ),
    (
        {"resolution": {"happened": "2024-05-02"}},
        "questions[0].resolution.happened: expected a date within the window",
        "happened:",
    ),
    (
        {"resolution": "maybe"},
        "questions[0].resolution: expected {happened: DATE}, {happened_by: DATE} or",
        "resolution:",
    ),
]


@pytest.mark.parametrize(
    ("change", "message", "needle"),
    BAD_QUESTIONS,
    ids=["missing-scenario", "missing-outcome", "window-past-horizon", "date-outside", "word"],
)
def test_a_bad_question_exits_2_located_and_writes_nothing(
    project: Path, change, message, needle
) -> None:
    file = write_questions(project, {"questions": [question(**change)]})
    before = files_under(project)
    result = invoke("backtest", file, "--reps", "50", "--workers", "1", "--out", "qs")
    assert result.exit_code == 2, result.output
    line = line_of(file, needle)
    assert f"backtests/q.yaml:{line}: {message}" in flat(result.stderr)
    assert files_under(project) == before


def test_resume_and_set_are_for_rolling_backtests(project: Path) -> None:
    file = write_questions(project, {"questions": [QUESTION]})
    result = invoke("backtest", file, "--resume")
    assert result.exit_code == 2 and "--resume is for rolling backtests" in flat(result.stderr)
    result = invoke("backtest", file, "--map", "m.yaml")
    assert result.exit_code == 2 and "not both" in flat(result.stderr)


def test_the_iraq_backtest_files_load() -> None:
    """The shipped scenario matches the shipped map's event ids."""
    root = Path(__file__).resolve().parents[2]
    s = load_scenario(root / "scenarios" / "backtests" / "iraq_2007_08_streams.yaml")
    events = yaml.safe_load((root / "data_maps" / "iraq_backtest_2007_08.yaml").read_text())
    assert set(events["events"]) <= set(s.events)
    assert all(s.streams[e].assumption for e in events["events"])
    assert np.isclose(s.horizon_days, 7)


def test_the_example_question_set_is_the_documented_one() -> None:
    """backtests/example.yaml (run by the README) is docs/questions.md's example."""
    root = Path(__file__).resolve().parents[2]
    docs = (root / "docs" / "questions.md").read_text(encoding="utf-8")
    assert (root / "backtests" / "example.yaml").read_text(encoding="utf-8") in docs
