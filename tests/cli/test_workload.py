"""Runaway work is refused before anything runs, by every command that
simulates, unless the user says --allow-large (issue 7, item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app

REPO = Path(__file__).resolve().parents[2]
POISSON = REPO / "scenarios" / "reference" / "poisson_count.yaml"
runner = CliRunner()


@pytest.fixture
def runaway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The Poisson reference at 50,000 attacks a day: 5 million per replication."""
    doc = yaml.safe_load(POISSON.read_text())
    doc["streams"]["attack"]["rate"] = 50_000
    doc["observed"] = {
        "attack": [{"from": "2024-01-01", "to": "2024-01-31", "count": 10, "assumption": "test"}]
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    (tmp_path / "w.yaml").write_text(
        "base: s.yaml\ndesign: grid\nreplications: 10\n"
        "parameters:\n  streams.attack.rate: {low: 10, high: 50000, levels: 2}\n"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["run", "s.yaml", "-n", "10", "-w", "1", "--no-progress"],
        ["trace", "s.yaml"],
        ["compare", "s.yaml", "--variant", "v:streams.attack.rate=1", "-n", "10", "-w", "1"],
        ["calibrate", "s.yaml", "--fit", "streams.attack.rate", "--reps", "20"],
        ["sweep", "w.yaml", "-w", "1", "--no-progress"],
    ],
    ids=["run", "trace", "compare", "calibrate", "sweep"],
)
def test_runaway_work_is_refused_up_front(runaway: Path, args: list[str]):
    before = sorted(p.name for p in runaway.iterdir())
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert "--allow-large" in message
    assert "Traceback" not in result.output
    assert sorted(p.name for p in runaway.iterdir()) == before
