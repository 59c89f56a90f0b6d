"""`escsim run --history EVENTS.csv --map MAP.yaml`: a forecast that starts the
day after the data end, carrying the data as the scenario's history."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app

REPO = Path(__file__).resolve().parents[2]
POISSON = REPO / "scenarios" / "reference" / "poisson_count.yaml"
RUN = ["-n", "100", "-w", "1", "--no-progress"]
runner = CliRunner()


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "s.yaml").write_text(POISSON.read_text())
    rows = ["date,type"] + [f"2024-03-{d:02d},A" for d in (3, 9, 9, 20, 28)] + ["2024-03-05,B"]
    (tmp_path / "e.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "m.yaml").write_text(
        "data: e.csv\nperiod: {from: 2024-03-01, to: 2024-03-31}\n"
        "events:\n  attack: {where: {type: A}}\n"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_run_starts_the_day_after_the_data_with_them_as_history(here: Path):
    result = runner.invoke(
        app, ["run", "s.yaml", *RUN, "--history", "e.csv", "--map", "m.yaml", "--out", "r"]
    )
    assert result.exit_code == 0, result.output
    assert "starting on 2024-04-01" in result.stderr
    summary = json.loads((here / "r" / "summary.json").read_text())
    assert summary["start_date"] == "2024-04-01"
    resolved = yaml.safe_load((here / "r" / "scenario.resolved.yaml").read_text())
    assert resolved["history"]["events"]["attack"] == [
        "2024-03-03",
        "2024-03-09",
        "2024-03-09",
        "2024-03-20",
        "2024-03-28",
    ]
    assert "e.csv" in resolved["history"]["assumption"]
    assert "from history to 2024-03-31" in (here / "r" / "report.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--history", "e.csv"], "--history and --map go together"),
        (["--map", "m.yaml"], "--history and --map go together"),
        (["--history", "missing.csv", "--map", "m.yaml"], "missing.csv"),
    ],
)
def test_bad_history_options_are_refused_and_write_nothing(here: Path, args, message):
    before = sorted(p.name for p in here.iterdir())
    result = runner.invoke(app, ["run", "s.yaml", *RUN, *args, "--out", "r"])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert sorted(p.name for p in here.iterdir()) == before


def test_a_map_naming_an_event_the_scenario_lacks_is_located(here: Path):
    (here / "m.yaml").write_text(
        "data: e.csv\nperiod: {from: 2024-03-01, to: 2024-03-31}\n"
        "events:\n  attack: {where: {type: A}}\n  bombing: {where: {type: B}}\n"
    )
    result = runner.invoke(app, ["run", "s.yaml", *RUN, "--history", "e.csv", "--map", "m.yaml"])
    assert result.exit_code == 2, result.output
    assert "m.yaml:5: events.bombing: expected an event id of scenario" in " ".join(
        result.stderr.split()
    )


def test_trace_starts_from_the_same_history_as_run(here: Path):
    """`trace --history --map` is replication N of `run --history --map`: a
    self-exciting stream starts from the data's excitation, so its counts
    depend on the history and match only when both read it."""
    hawkes = REPO / "scenarios" / "reference" / "hawkes_count.yaml"
    (here / "h.yaml").write_text(hawkes.read_text())
    data = ["--history", "e.csv", "--map", "m.yaml"]
    result = runner.invoke(app, ["run", "h.yaml", "-n", "12", "-w", "1", *data, "--out", "r"])
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(here / "r" / "replications.parquet")
    for rep in (0, 7, 11):
        out = f"t{rep}"
        traced = runner.invoke(
            app, ["trace", "h.yaml", "--rep", str(rep), "--reps", "12", *data, "--out", out]
        )
        assert traced.exit_code == 0, traced.output
        assert "starting on 2024-04-01" in traced.stderr
        log = pd.read_csv(here / out / "log.csv")
        assert (log["event"] == "attack").sum() == rows.loc[rep, "n_attack"]
