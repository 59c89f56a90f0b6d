"""Uncertain parameters through the command line: `validate` lists them, and a
run's folder records their laws in the manifest and each replication's draws
in `replications.parquet` (issue 10, items 1 and 6); `run --param-draws K
--reps-per-draw M` gives the parameter band beside the Monte Carlo interval,
and `--sobol N` ranks the parameters (items 2, 3 and 6)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.uncertainty import FIXED_NOTE
from tests.montecarlo.test_parameters import poisson_scenario

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


# --- the nested design, the bands and "what to research next" through `escsim run`


def _write(folder: Path, rate: Any, probability: Any) -> Path:
    path = folder / "n.yaml"
    path.write_text(yaml.safe_dump(poisson_scenario(rate, probability), sort_keys=False))
    return path


GAMMA = {"dist": "gamma", "mean": 0.02, "cv": 0.8}
BETA = {"dist": "beta", "mean": 0.5, "sd": 0.2}


@pytest.fixture
def two_uncertain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return _write(tmp_path, GAMMA, BETA)


def _run(*args: str) -> Any:
    return runner.invoke(app, ["run", *args, "-w", "1", "--no-progress", "--out", "r"])


def test_a_nested_run_prints_and_writes_both_bands_and_the_draws_manifest(
    two_uncertain: Path,
) -> None:
    result = _run("n.yaml", "--param-draws", "12", "--reps-per-draw", "25")
    assert result.exit_code == 0, result.output
    headline = result.stdout.splitlines()[0]
    assert "predictive (95% Monte Carlo interval" in headline
    assert "parameter band: median" in headline and "12 parameter draws x 25" in headline
    assert "50% band" in result.stdout and "90% band" in result.stdout
    folder = two_uncertain.parent / "r"
    summary = json.loads((folder / "summary.json").read_text())
    design = summary["uncertainty"]
    assert (design["design"], design["param_draws"], design["reps_per_draw"]) == ("nested", 12, 25)
    assert [p["path"] for p in design["parameters"]] == [
        "streams.trigger.rate",
        "rules.answer.probability",
    ]
    head = summary["headline"]
    assert head["cond_p05"] <= head["cond_p25"] <= head["cond_median"] <= head["cond_p75"]
    assert head["cond_p75"] <= head["cond_p95"] and head["lower"] <= head["probability"]
    assert summary["replications"] == 300
    outcomes = pd.read_csv(folder / "outcomes.csv")
    assert {"cond_median", "noise_share", "param_draws", "uncertain_parameters"} <= set(outcomes)
    assert "gamma" in outcomes["uncertain_parameters"].iloc[0]
    rows = pd.read_parquet(folder / "replications.parquet")
    assert list(rows.columns[:2]) == ["rep", "draw"]
    assert (rows["draw"] == rows["rep"] // 25).all()
    assert (rows.groupby("draw")["streams.trigger.rate"].nunique() == 1).all()
    curves = pd.read_csv(folder / "probability_by_day.csv")
    assert (curves["simultaneous_lower"] <= curves["lower"] + 1e-12).all()
    assert (curves["upper"] <= curves["simultaneous_upper"] + 1e-12).all()
    report = (folder / "report.html").read_text()
    assert "parameter band" in report and "simultaneous" in report


def test_without_param_draws_uncertain_parameters_give_the_predictive_probability(
    two_uncertain: Path,
) -> None:
    result = _run("n.yaml", "-n", "200")
    assert result.exit_code == 0, result.output
    assert "each drawing 2 uncertain parameter(s)" in result.stdout
    assert "parameter band:" not in result.stdout
    summary = json.loads((two_uncertain.parent / "r" / "summary.json").read_text())
    assert summary["uncertainty"]["design"] == "per replication"
    assert "cond_median" not in summary["headline"]


def test_a_plain_run_of_an_uncertain_scenario_reports_both_bands_by_default(
    two_uncertain: Path,
) -> None:
    """No --reps, --param-draws or --precision: the default nested design
    (100 draws x 100), said in a note, so the headline never shows the Monte
    Carlo interval alone; a fixed scenario keeps the plain default run."""
    result = _run("n.yaml")
    assert result.exit_code == 0, result.output
    assert "ran the nested design, 100 parameter draws x 100 replications" in result.output
    assert "parameter band:" in result.stdout
    summary = json.loads((two_uncertain.parent / "r" / "summary.json").read_text())
    assert summary["uncertainty"]["param_draws"] == 100
    assert summary["uncertainty"]["reps_per_draw"] == 100
    fixed = _write(two_uncertain.parent, 0.02, 0.5)
    result = runner.invoke(app, ["run", str(fixed), "-w", "1", "--no-progress", "--out", "f"])
    assert result.exit_code == 0, result.output
    assert "nested design" not in result.stdout and "2,000 replications" in result.stdout


def test_param_draws_on_fixed_parameters_say_so_and_run_as_usual(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, 0.02, 0.5)
    result = _run("n.yaml", "--param-draws", "4", "--reps-per-draw", "30")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("\n") == 1 and FIXED_NOTE in result.stderr
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["replications"] == 120 and summary["uncertainty"]["design"] == "fixed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param-draws", "0"], "--param-draws"),
        (["--param-draws", "1"], "--param-draws: expected at least 2"),
        (["--param-draws", "4", "--reps-per-draw", "0"], "--reps-per-draw"),
        (
            ["--reps-per-draw", "20", "-n", "50"],
            "--reps-per-draw: goes with the nested design (--param-draws, or no --reps and "
            "--precision) or --sobol; found it with --reps, a plain run",
        ),
        (
            ["--param-draws", "5", "-n", "10"],
            "--param-draws 5 --reps-per-draw 100 the run has 500 replications (K x M); "
            "found --reps 10 (leave --reps out, or give --reps-per-draw 2)",
        ),
        (
            ["--precision", "0.01", "--max-reps", "500", "-n", "1000"],
            "--reps: with --precision it is the first batch, at most --max-reps (500); "
            "found --reps 1,000",
        ),
        (["--param-draws", "4", "--precision", "0.05"], "--precision: does not combine"),
        (["--param-draws", "4", "--reps-per-draw", "5", "-n", "30"], "found --reps 30"),
        (["--param-draws", "4000000", "--reps-per-draw", "5"], "found 4,000,000 x 5 = 20,000,000"),
        (["--sobol", "4194304", "-n", "10"], "--sobol: expected at most 10,000,000"),
        (["--sobol", "48"], "--sobol: expected a power of 2"),
    ],
)
def test_bad_designs_are_refused_before_anything_is_written(
    two_uncertain: Path, args: list[str], message: str
) -> None:
    result = _run("n.yaml", *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert not (two_uncertain.parent / "r").exists()


def test_sobol_ranks_the_parameters_and_writes_its_table_and_chart(two_uncertain: Path) -> None:
    result = _run("n.yaml", "-n", "100", "--sobol", "8", "--reps-per-draw", "20")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("what to research next"))
    assert "1. " in line and "2. " in line and "rules.answer.probability" in line
    folder = two_uncertain.parent / "r"
    indices = pd.read_csv(folder / "sobol.csv")
    assert set(indices["parameter"]) == {"streams.trigger.rate", "rules.answer.probability"}
    # `triggered` depends on the rate alone: the probability's total index is ~0.
    triggered = indices[indices["outcome"] == "triggered"].set_index("parameter")
    assert triggered.loc["rules.answer.probability", "ST"] == pytest.approx(0, abs=1e-9)
    assert (folder / "research.png").is_file()
    assert "What to research next" in (folder / "report.html").read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sobol_base_samples"] == 8 * 4


def test_sobol_with_one_uncertain_parameter_is_skipped_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, GAMMA, 0.5)
    result = _run("n.yaml", "-n", "100", "--sobol", "8")
    assert result.exit_code == 0, result.output
    assert "--sobol: skipped" in result.stderr
    assert not (tmp_path / "r" / "sobol.csv").exists()


@pytest.mark.parametrize(
    ("args", "replications"),
    [
        (["--param-draws", "4000", "--reps-per-draw", "100"], "400,000"),
        (["-n", "100", "--sobol", "4096"], "1,638,500"),  # 100 + 4096 x 4 points x 100
    ],
)
def test_the_workload_check_counts_the_whole_design(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], replications: str
) -> None:
    """About 7,500 events per replication (a rate of 100 a day for 50 days, half
    answered): fine for 2,000 replications, past the run's limit for the
    nested or Sobol design, which is refused before anything runs unless
    --allow-large is given."""
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"dist": "gamma", "mean": 100, "cv": 0.3}, BETA)
    result = _run("n.yaml", *args)
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert f"x {replications} replications" in message and "--allow-large" in message
    assert not (tmp_path / "r").exists()


NESTED_SMALL = ["run", "n.yaml", "--param-draws", "6", "--reps-per-draw", "20", "-w", "1"]


def test_a_nested_run_on_the_fast_engine_gives_the_simpy_table(two_uncertain: Path) -> None:
    """The nested design runs on either engine with the same replications."""
    folder = two_uncertain.parent
    tables = []
    for engine in ("simpy", "fast"):
        out = f"r-{engine}"
        result = runner.invoke(
            app,
            [*NESTED_SMALL, "--no-progress", "--engine", engine, "--out", out],
        )
        assert result.exit_code == 0, result.output
        tables.append(pd.read_parquet(folder / out / "replications.parquet"))
    pd.testing.assert_frame_equal(tables[0], tables[1])


# --- one default design, said the same way in --help and in the note


def test_the_default_design_is_one_and_the_help_and_the_note_say_it(two_uncertain: Path) -> None:
    from sim.cli.run import DEFAULT_DESIGN, DEFAULT_REPS_PER_DRAW
    from sim.experiments import run as library
    from sim.experiments.uncertainty import run_sobol

    assert DEFAULT_DESIGN == "100 parameter draws x 100 replications = 10,000"
    assert DEFAULT_REPS_PER_DRAW == library.DEFAULT_REPS_PER_DRAW == 100
    sobol_default = inspect.signature(run_sobol).parameters["reps_per_point"].default
    assert sobol_default == DEFAULT_REPS_PER_DRAW
    text = " ".join(runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).stdout.split())
    assert f"with uncertain parameters the nested design, {DEFAULT_DESIGN}" in text
    assert "[default: 100]" in text and "[default: 50]" not in text
    result = _run("n.yaml")
    assert result.exit_code == 0, result.output
    assert f"ran the nested design, {DEFAULT_DESIGN} (the default" in " ".join(
        result.stderr.split()
    )


@pytest.mark.parametrize(
    ("args", "design"),
    [(["--param-draws", "3"], (3, 100)), (["--reps-per-draw", "7"], (100, 7))],
    ids=["draws-alone", "reps-per-draw-alone"],
)
def test_one_of_k_and_m_takes_the_others_default(
    two_uncertain: Path, args: list[str], design: tuple[int, int]
) -> None:
    result = _run("n.yaml", *args)
    assert result.exit_code == 0, result.output
    summary = json.loads((two_uncertain.parent / "r" / "summary.json").read_text())
    found = summary["uncertainty"]["param_draws"], summary["uncertainty"]["reps_per_draw"]
    assert found == design and summary["replications"] == design[0] * design[1]
    assert "note:" not in result.stderr  # asked for, so nothing to say


def test_a_refused_sobol_design_prints_no_note_first(two_uncertain: Path) -> None:
    """The default design's note is printed once the run is accepted, never
    before a refusal; the refusal counts the same M the help states."""
    result = _run("n.yaml", "--sobol", "4194304")
    assert result.exit_code == 2, result.output
    assert "note:" not in result.stderr
    assert "found 16,777,216 design points x 100 = " in " ".join(result.stderr.split())


# --- --precision and --max-reps


def test_max_reps_caps_the_default_first_batch_and_an_unmet_target_is_said(
    two_uncertain: Path,
) -> None:
    result = _run("n.yaml", "--precision", "0.001", "--max-reps", "300")
    assert result.exit_code == 0, result.output
    message = " ".join(result.stderr.split())
    assert "warning: --precision 0.001 not reached: the headline's 95% interval is +-" in message
    assert "after 300 replications (--max-reps 300)" in message
    summary = json.loads((two_uncertain.parent / "r" / "summary.json").read_text())
    assert summary["replications"] == 300
    precision = summary["precision"]
    assert precision["target"] == 0.001 and precision["max_reps"] == 300
    assert precision["reached"] is False and precision["half_width"] > 0.001
    assert any("--precision 0.001 not reached" in w for w in summary["warnings"])


def test_a_reached_precision_target_is_recorded_without_a_warning(two_uncertain: Path) -> None:
    result = _run("n.yaml", "--precision", "0.2", "-n", "100")
    assert result.exit_code == 0, result.output
    assert "not reached" not in result.stderr
    summary = json.loads((two_uncertain.parent / "r" / "summary.json").read_text())
    assert summary["precision"]["reached"] is True
    assert summary["precision"]["half_width"] <= 0.2 and summary["replications"] == 100
    plain = _run("n.yaml", "-n", "50", "--force")
    assert plain.exit_code == 0, plain.output
    summary = json.loads((two_uncertain.parent / "r" / "summary.json").read_text())
    assert summary["precision"] is None
