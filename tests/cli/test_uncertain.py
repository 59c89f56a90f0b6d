"""Uncertain parameters through the command line: `validate` lists them, and a
run's folder records their laws in the manifest and each replication's draws
in `replications.parquet` (issue 10, items 1 and 6)."""

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
runner = CliRunner()


@pytest.fixture
def uncertain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    doc = yaml.safe_load(POISSON.read_text())
    doc["streams"]["attack"]["rate"] = {"dist": "gamma", "mean": 0.1, "cv": 0.5}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_validate_lists_the_uncertain_parameters(uncertain: Path):
    result = runner.invoke(app, ["validate", "s.yaml"])
    assert result.exit_code == 0, result.output
    assert "uncertain parameters: 1" in result.stdout
    assert "streams.attack.rate" in result.stdout and "gamma" in result.stdout


def test_a_run_records_the_laws_and_each_replications_draw(uncertain: Path):
    result = runner.invoke(
        app, ["run", "s.yaml", "-n", "200", "-w", "1", "--no-progress", "--out", "r"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((uncertain / "r" / "manifest.json").read_text())
    assert [u["path"] for u in manifest["uncertain"]] == ["streams.attack.rate"]
    rows = pd.read_parquet(uncertain / "r" / "replications.parquet")
    drawn = rows["streams.attack.rate"]
    assert drawn.nunique() == 200  # a fresh draw per replication
    # Gamma(mean 0.1, cv 0.5): the draws' mean within 4 standard errors.
    assert abs(drawn.mean() - 0.1) < 4 * 0.05 / 200**0.5
    resolved = yaml.safe_load((uncertain / "r" / "scenario.resolved.yaml").read_text())
    assert resolved["streams"]["attack"]["rate"]["dist"] == "gamma"
