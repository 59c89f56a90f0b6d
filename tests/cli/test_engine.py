"""`--engine fast` gives the SimPy engine's results, says so in the manifest,
and refuses what it cannot run (issue 12, item 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app

REPO = Path(__file__).resolve().parents[2]
POISSON = REPO / "scenarios" / "reference" / "poisson_count.yaml"
RUN = ["-n", "300", "-w", "1", "--no-progress", "--seed", "4"]
runner = CliRunner()


@pytest.mark.slow  # the first use compiles the kernel (about 30 s, then cached on disk)
def test_fast_engine_run_equals_simpy_and_is_recorded(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(POISSON.read_text())
    tables = {}
    for engine in ("simpy", "fast"):
        result = runner.invoke(app, ["run", "s.yaml", *RUN, "--engine", engine, "--out", engine])
        assert result.exit_code == 0, result.output
        manifest = json.loads((tmp_path / engine / "manifest.json").read_text())
        assert manifest["engine"] == engine
        tables[engine] = pd.read_parquet(tmp_path / engine / "replications.parquet")
    pd.testing.assert_frame_equal(tables["simpy"], tables["fast"])


HISTORY = (
    "history:\n  events:\n    attack: [2023-12-30, 2023-12-31]\n  assumption: planted for a test\n"
)


def test_fast_engine_runs_history_as_simpy(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(POISSON.read_text() + HISTORY)
    tables = {}
    for engine in ("simpy", "fast"):
        result = runner.invoke(app, ["run", "s.yaml", *RUN, "--engine", engine, "--out", engine])
        assert result.exit_code == 0, result.output
        tables[engine] = pd.read_parquet(tmp_path / engine / "replications.parquet")
    pd.testing.assert_frame_equal(tables["simpy"], tables["fast"])


def test_fast_engine_refuses_a_part_it_does_not_implement_naming_it(tmp_path: Path, monkeypatch):
    # Stands in for a part the kernel does not know yet (select.IMPLEMENTED).
    from sim.montecarlo.fast import select

    monkeypatch.setattr(select, "IMPLEMENTED", select.IMPLEMENTED - {"history"})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(POISSON.read_text() + HISTORY)
    result = runner.invoke(app, ["run", "s.yaml", *RUN, "--engine", "fast", "--out", "r"])
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert "history" in message and "--engine simpy" in message
    assert not (tmp_path / "r").exists()


def test_an_unknown_engine_is_refused(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(POISSON.read_text())
    result = runner.invoke(app, ["run", "s.yaml", *RUN, "--engine", "warp"])
    assert result.exit_code == 2, result.output
    assert "expected one of" in " ".join(result.stderr.split())


@pytest.mark.slow  # the kernel compiles on first use (cached on disk after)
def test_compare_and_sweep_give_the_same_tables_on_either_engine(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(POISSON.read_text())
    (tmp_path / "w.yaml").write_text(
        "base: s.yaml\ndesign: grid\nreplications: 60\nseed: 2\n"
        "parameters:\n  streams.attack.rate: {low: 0.05, high: 0.2, levels: 3}\n"
    )
    compared, swept = {}, {}
    for engine in ("simpy", "fast"):
        common = ["--engine", engine, "-w", "1"]
        done = runner.invoke(
            app,
            [
                "compare",
                "s.yaml",
                "--variant",
                "v:streams.attack.rate=0.2",
                "-n",
                "100",
                *common,
                "--out",
                f"c-{engine}",
            ],
        )
        assert done.exit_code == 0, done.output
        compared[engine] = pd.read_csv(tmp_path / f"c-{engine}" / "differences.csv")
        done = runner.invoke(
            app, ["sweep", "w.yaml", *common, "--no-progress", "--out", f"w-{engine}"]
        )
        assert done.exit_code == 0, done.output
        swept[engine] = pd.read_parquet(tmp_path / f"w-{engine}" / "sweep.parquet")
        manifest = json.loads((tmp_path / f"w-{engine}" / "manifest.json").read_text())
        assert manifest["engine"] == engine
    pd.testing.assert_frame_equal(compared["simpy"], compared["fast"])
    pd.testing.assert_frame_equal(swept["simpy"], swept["fast"])
