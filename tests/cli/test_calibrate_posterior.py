"""`escsim calibrate --posterior` (issue 10, item 4): settings that make no
sense are refused before any simulation with nothing written, and a short run
writes the draws that the calibrated scenario then draws from."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
POISSON = REPO / "scenarios" / "reference" / "poisson_count.yaml"
RATE = "streams.attack.rate"
runner = CliRunner()


@pytest.fixture
def observed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    doc = yaml.safe_load(POISSON.read_text())
    doc["horizon_days"] = 40
    doc["observed"] = {
        "attack": [
            {"from": "2024-01-01", "to": "2024-01-20", "count": 9, "assumption": "test"},
            {"from": "2024-01-21", "to": "2024-02-09", "count": 12, "assumption": "test"},
        ]
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def stderr(result: object) -> str:
    return " ".join(result.stderr.split())  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--walkers", "0"], "--walkers: expected an even number of at least 4"),
        (["--walkers", "3"], "--walkers: expected an even number of at least 4"),
        (["--steps", "0"], "--steps: expected at least 1 step, found 0"),
        (["--steps", "10", "--burn", "10"], "--burn: expected 0 to 0 (at least 10 of --steps 10"),
        (["--steps", "10", "--burn", "-2"], "--burn: expected 0 to 0 (at least 10 of --steps 10"),
    ],
)
def test_settings_that_make_no_sense_are_refused_before_anything_runs(
    observed: Path, options: list[str], message: str
):
    result = runner.invoke(app, ["calibrate", "s.yaml", "--fit", RATE, "--posterior", *options])
    assert result.exit_code == 2, result.output
    assert message in stderr(result)
    assert "Traceback" not in result.output
    assert sorted(p.name for p in observed.iterdir()) == ["s.yaml"]


def test_walkers_fewer_than_twice_the_parameters_are_refused(observed: Path):
    doc = yaml.safe_load((observed / "s.yaml").read_text())
    doc["streams"]["attack"]["self_excitation"] = {"branching": 0.3, "decay_days": 2}
    (observed / "s.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    fit = (
        f"{RATE},streams.attack.self_excitation.branching,streams.attack.self_excitation.decay_days"
    )
    result = runner.invoke(
        app, ["calibrate", "s.yaml", "--fit", fit, "--posterior", "--walkers", "4"]
    )
    assert result.exit_code == 2, result.output
    assert "at least 6 (twice the 3 fitted parameter(s)" in stderr(result)
    assert sorted(p.name for p in observed.iterdir()) == ["s.yaml"]


def test_a_fitted_parameter_written_as_a_distribution_is_refused(observed: Path):
    doc = yaml.safe_load((observed / "s.yaml").read_text())
    doc["streams"]["attack"]["rate"] = {"dist": "lognormal", "median": 0.5, "sigma": 0.3}
    (observed / "u.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    result = runner.invoke(app, ["calibrate", "u.yaml", "--fit", RATE, "--posterior"])
    assert result.exit_code == 2, result.output
    assert "--fit streams.attack.rate: streams.attack.rate: expected a fixed number" in stderr(
        result
    )
    assert sorted(p.name for p in observed.iterdir()) == ["s.yaml", "u.yaml"]


def test_a_short_posterior_run_writes_draws_the_calibrated_scenario_uses(observed: Path):
    args = ["calibrate", "s.yaml", "--fit", RATE, "--reps", "20", "--max-evals", "10", "-w", "1"]
    result = runner.invoke(app, [*args, "--posterior", "--walkers", "4", "--steps", "40"])
    assert result.exit_code in (0, 1), result.output  # 1: unconverged, best point kept
    folder = observed / "results" / "s.calibrated"
    draws = pd.read_csv(folder / "posterior.csv")
    summary = json.loads((folder / "summary.json").read_text())
    post = summary["posterior"]
    assert list(draws.columns) == [RATE]
    assert len(draws) == post["draws"] == 4 * (40 - 13) // post["thin"]
    assert post["burn"] == 13 and post["walkers"] == 4 and post["steps"] == 40
    assert 0 <= post["acceptance_mean"] <= 1
    assert post["effective_sample_size"][RATE] > 0
    assert summary["loglik_noise_sd"] > 0
    assert {"trace.png", "pair.png", "fit.csv", "calibrated.yaml"} <= {
        p.name for p in folder.iterdir()
    }
    out = " ".join(result.stdout.split())
    assert "Posterior (90% credible intervals)" in out and "acceptance fraction" in out
    assert "tip: --engine fast" in stderr(result)  # the reference scenario allows it
    for path in (observed / "s.calibrated.yaml", folder / "calibrated.yaml"):
        s = load_scenario(path)
        law = s.uncertain[RATE]
        assert law.values.tolist() == draws[RATE].tolist()  # every draw, at full precision
        assert s.streams["attack"].rate == pytest.approx(draws[RATE].median())
