"""Small wrongs of `escsim calibrate` found by the hostile-input trial (issue 7,
item 10): an empty `--fit` is refused, the calibrated copy kept in the chart
folder `extends` its original correctly, and "Regenerate with" names `--out`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
POISSON = REPO / "scenarios" / "reference" / "poisson_count.yaml"
runner = CliRunner()


@pytest.fixture
def observed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    doc = yaml.safe_load(POISSON.read_text())
    doc["observed"] = {
        "attack": [{"from": "2024-01-01", "to": "2024-01-31", "count": 14, "assumption": "test"}]
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("fit", [",", " , ,", ""])
def test_an_empty_fit_is_refused(observed: Path, fit: str):
    result = runner.invoke(app, ["calibrate", "s.yaml", "--fit", fit])
    assert result.exit_code == 2, result.output
    assert "--fit names no parameter" in " ".join(result.stderr.split())
    assert sorted(p.name for p in observed.iterdir()) == ["s.yaml"]


@pytest.mark.slow  # a small calibration (a few seconds)
def test_the_copy_in_the_chart_folder_loads_and_names_its_out(observed: Path):
    (observed / "fitted").mkdir()
    args = ["calibrate", "s.yaml", "--fit", "streams.attack.rate", "--reps", "20"]
    result = runner.invoke(
        app, [*args, "--max-evals", "8", "-w", "1", "--out", "fitted/s.fit.yaml"]
    )
    assert result.exit_code in (0, 1), result.output  # 1: unconverged, best point kept
    target = observed / "fitted" / "s.fit.yaml"
    copy = observed / "results" / "s.fit" / "calibrated.yaml"
    for path in (target, copy):
        assert load_scenario(path).streams["attack"].rate > 0  # `extends` resolves from there
        assert "--out fitted/s.fit.yaml" in path.read_text()
