"""Commands that name rows or a results folder after a file check that name as
scenario names are checked: a file named "x<newline>.yaml" gave folders with
line breaks in their names."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import files_under

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refused(here: Path, args: list[str]) -> str:
    before = files_under(here)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert files_under(here) == before
    return " ".join(result.stderr.split())


def test_compare_refuses_a_scenario_file_name_that_is_no_name(here: Path):
    poisson = (REPO / "scenarios" / "reference" / "poisson_count.yaml").read_text()
    (here / "a\n.yaml").write_text(poisson)
    (here / "b.yaml").write_text(poisson)
    message = refused(here, ["compare", "a\n.yaml", "b.yaml", "-n", "20", "-w", "1"])
    assert "the file's name is no name for its results" in message


def test_a_question_set_file_name_that_is_no_name_is_refused(here: Path):
    example = REPO / "backtests" / "example.yaml"
    text = example.read_text().replace("../scenarios/", f"{REPO}/scenarios/")
    (here / "x\n.yaml").write_text(text)
    message = refused(here, ["backtest", "x\n.yaml", "--reps", "20", "--workers", "1"])
    assert "the file's name is no name for its results" in message
