"""`escsim trace --rep N` is replication N of `escsim run` with the same seed
and design, uncertain parameters included: the trace runs with the values
replication N drew (parameter draw N // M in the nested design, its own draw
in a plain run), prints them and records them in its manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from sim.cli import app
from sim.engine import compile_model
from sim.experiments.trace import trace
from sim.montecarlo.parameters import simulate_drawn
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS, flat

RULE_RESPONSE = SCENARIOS / "reference" / "rule_response.yaml"
UNCERTAIN = {
    "    rate: 0.3\n": "    rate: {dist: lognormal, median: 0.1, sigma: 0.5}\n",
    "    probability: 0.2\n": "    probability: {dist: uniform, low: 0.05, high: 0.3}\n",
}
QUIET = ["-w", "1", "--no-progress"]


def invoke(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def unc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """rule_response.yaml with an uncertain attack rate and retaliation probability."""
    text = RULE_RESPONSE.read_text()
    for fixed, uncertain in UNCERTAIN.items():
        assert text.count(fixed) == 1
        text = text.replace(fixed, uncertain)
    (tmp_path / "unc.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "unc.yaml"


def traced(rep: int, out: str, *design: object) -> dict[str, Any]:
    """Trace replication `rep` into `out`: its counts, first days, manifest and stdout."""
    result = invoke("trace", "unc.yaml", "--rep", rep, "--seed", 3, *design, "--out", out)
    assert result.exit_code == 0, result.output
    folder = Path(out)
    log = pd.read_csv(folder / "log.csv")
    counts = log["event"].value_counts()
    return {
        "counts": {e: int(counts.get(e, 0)) for e in ("attack", "retaliation")},
        "first": log.groupby("event")["day"].min().to_dict(),
        "manifest": json.loads((folder / "manifest.json").read_text()),
        "stdout": result.stdout,
        "report": (folder / "report.html").read_text(),
    }


def assert_same_replication(row: pd.Series, story: dict[str, Any]) -> None:
    """The trace's counts, outcome day and drawn values are the run's row."""
    assert story["counts"] == {
        "attack": int(row["n_attack"]),
        "retaliation": int(row["n_retaliation"]),
    }
    day = row["day_retaliation"]
    if pd.isna(day):
        assert "retaliation" not in story["first"]
    else:
        assert story["first"]["retaliation"] == pytest.approx(day, rel=1e-5)
    drawn = story["manifest"]["parameters"]
    for path in ("streams.attack.rate", "rules.retaliate.probability"):
        assert drawn[path] == pytest.approx(row[path], rel=1e-12)
        assert f"{path} = " in story["stdout"]


def test_trace_is_the_runs_replication_in_a_plain_run(unc: Path) -> None:
    result = invoke("run", "unc.yaml", "--seed", 3, "--reps", 30, *QUIET, "--out", "r")
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(Path("r") / "replications.parquet")
    assert rows["streams.attack.rate"].nunique() == 30  # each replication its own draw
    for rep in (7, 22):
        story = traced(rep, f"t{rep}", "--reps", 30)
        assert_same_replication(rows.iloc[rep], story)
        assert story["manifest"]["parameter_draw"] == rep
        assert f"parameters: draw {rep} (a plain run" in story["stdout"]


def test_trace_is_the_runs_replication_in_the_default_nested_design(unc: Path) -> None:
    """No design options on either command: both take the default nested
    design (100 draws x 100), so replication 7 ran with draw 0 and 250 with
    draw 2, and the trace says so."""
    result = invoke("run", "unc.yaml", "--seed", 3, *QUIET, "--out", "r")
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(Path("r") / "replications.parquet")
    assert len(rows) == 10_000
    for rep in (7, 250):
        story = traced(rep, f"t{rep}")
        assert_same_replication(rows.iloc[rep], story)
        assert story["manifest"]["parameter_draw"] == rows["draw"].iloc[rep] == rep // 100
        assert story["manifest"]["reps_per_draw"] == 100
        assert "as in escsim run with 100 parameter draws x 100 replications" in story["stdout"]
        assert f"draw {rep // 100} (replication {rep} // 100" in story["stdout"]
        assert f"Uncertain parameters: draw {rep // 100}" in story["report"]


def test_trace_takes_the_runs_explicit_nested_design(unc: Path) -> None:
    design = ["--param-draws", 4, "--reps-per-draw", 6]
    result = invoke("run", "unc.yaml", "--seed", 3, *design, *QUIET, "--out", "r")
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(Path("r") / "replications.parquet")
    story = traced(20, "t", *design)
    assert_same_replication(rows.iloc[20], story)
    assert story["manifest"]["parameter_draw"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rep", 10_000], "--rep: expected a replication of the run, 0 to 9,999"),
        (["--rep", 30, "--reps", 30], "0 to 29"),
        (["--rep", 24, "--param-draws", 4, "--reps-per-draw", 6], "0 to 23"),
        (["--reps", 30, "--reps-per-draw", 6], "--reps-per-draw: goes with the nested design"),
    ],
)
def test_trace_refuses_a_replication_the_run_does_not_have(
    unc: Path, args: list[object], message: str
) -> None:
    result = invoke("trace", "unc.yaml", *args, "--out", "t")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert message in flat(result.stderr)
    assert not Path("t").exists()


def test_a_fixed_scenario_has_no_draw_and_no_bound(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("trace", RULE_RESPONSE, "--rep", 50_000, "--out", "t")
    assert result.exit_code == 0, result.output
    assert "parameters:" not in result.stdout
    assert json.loads((tmp_path / "t" / "manifest.json").read_text())["parameter_draw"] is None


@pytest.mark.parametrize("per", [1, 5])
def test_the_library_trace_is_the_drawn_replication(unc: Path, per: int) -> None:
    s = load_scenario(unc)
    [expected], values = simulate_drawn(compile_model(s), 11, [13], per)
    t = trace(s, 11, 13, per)
    assert t.replication.outcome_days == expected.outcome_days
    assert t.replication.counts == expected.counts
    assert t.draw == 13 // per
    assert list(t.parameters.values()) == values[0].tolist()
