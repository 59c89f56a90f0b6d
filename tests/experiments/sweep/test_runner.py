"""Running a sweep: point files written whole as they finish, `--resume` after
a `kill -9` giving exactly the uninterrupted table, refusals that protect a
sweep folder, and a runner that keeps sums rather than replications."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.sweep.runner import MAX_CHUNK, run_points
from sim.montecarlo.runner import run_table
from sim.stats import wilson_interval
from sim.sweep.spec import load_sweep
from sim.writers.sweep import collect, prepare_folder, run_sweep, write_point
from tests.conftest import files_under, flat
from tests.sweep import copy_poisson, grid_sweep, invoke

QUIET = ["--workers", "1", "--no-progress"]


def point_files(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "points").glob("[!.]*.json"))


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (folder / "points").glob("[!.]*.json")}


# --- kill -9, then --resume ------------------------------------------------------------


@pytest.mark.slow
def test_resume_after_kill_gives_the_uninterrupted_table(project: Path):
    copy_poisson(project)
    # 40 points x 600 replications (two chunks each): a couple of seconds on
    # two workers, so the kill lands mid-sweep.
    points = 40
    sweep_file = grid_sweep(project, levels=points, replications=600, low=0.2, high=1.0)
    reference = run_sweep(sweep_file, project / "whole", workers=1)
    assert len(reference.table) == points

    command = [sys.executable, "-m", "sim", "sweep", sweep_file.name, "--out", "cut"]
    process = subprocess.Popen(
        [*command, "--workers", "2", "--no-progress"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the pool's workers die with it
    )
    cut = project / "cut"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if (cut / "points").is_dir() and len(point_files(cut)) >= 3:
                break
            time.sleep(0.005)
        assert process.poll() is None, (
            "the sweep ended before it could be killed: "
            + process.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
        )
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        process.stderr.close()  # type: ignore[union-attr]
    assert process.returncode == -signal.SIGKILL
    done_before = mtimes(cut)
    assert 0 < len(done_before) < points, len(done_before)
    assert not (cut / "sweep.parquet").exists()
    for name in done_before:  # whatever was written is a whole point
        json.loads((cut / "points" / name).read_text())

    result = invoke(
        "sweep", sweep_file.name, "--out", "cut", "--resume", "--workers", "2", "--no-progress"
    )
    assert result.exit_code == 0, result.output
    assert f"({len(done_before)} already done)" in flat(result.stderr)
    # Every point exactly once; the points done before the kill were not rerun.
    assert point_files(cut) == [f"{i:06d}.json" for i in range(points)]
    assert {k: v for k, v in mtimes(cut).items() if k in done_before} == done_before
    table = pd.read_parquet(cut / "sweep.parquet")
    assert list(table["point"]) == list(range(points))
    pd.testing.assert_frame_equal(table, pd.read_parquet(project / "whole" / "sweep.parquet"))
    pd.testing.assert_frame_equal(table, reference.table)


# --- refusals that protect a sweep folder -------------------------------------------


@pytest.fixture
def interrupted(project: Path) -> tuple[Path, pd.DataFrame]:
    """A finished 6-point sweep in `out/` with its last three points removed, as
    a sweep interrupted halfway leaves it; and the finished table."""
    copy_poisson(project)
    file = grid_sweep(project)
    result = invoke("sweep", file.name, "--out", "out", *QUIET)
    assert result.exit_code == 0, result.output
    whole = pd.read_parquet(project / "out" / "sweep.parquet")
    for i in (3, 4, 5):
        (project / "out" / "points" / f"{i:06d}.json").unlink()
    (project / "out" / "sweep.parquet").unlink()
    return file, whole


def test_resume_runs_only_the_missing_points(interrupted, project: Path):
    file, whole = interrupted
    kept = mtimes(project / "out")
    result = invoke("sweep", file.name, "--out", "out", "--resume", *QUIET)
    assert result.exit_code == 0, result.output
    assert "6 points x 30 replications (3 already done)" in flat(result.stderr)
    assert {k: v for k, v in mtimes(project / "out").items() if k in kept} == kept
    assert point_files(project / "out") == [f"{i:06d}.json" for i in range(6)]
    pd.testing.assert_frame_equal(pd.read_parquet(project / "out" / "sweep.parquet"), whole)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("replications: 30", "replications: 40"), "replications: 30 -> 40"),
        (("seed: 3", "seed: 4"), "seed: 3 -> 4"),
        (("levels: 6", "levels: 7"), '"levels": 6'),
    ],
    ids=["replications", "seed", "levels"],
)
def test_resume_refuses_a_changed_sweep_file(interrupted, project: Path, change, named):
    file, _ = interrupted
    file.write_text(file.read_text().replace(*change))
    before = files_under(project)
    stamps = mtimes(project / "out")
    result = invoke("sweep", file.name, "--out", "out", "--resume", *QUIET)
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert "the sweep changed since it began" in message
    assert named in message, message
    assert "--force" in message
    assert files_under(project) == before, "a refused resume must add no point"
    assert mtimes(project / "out") == stamps


def test_resume_refuses_a_changed_base_scenario(interrupted, project: Path):
    file, _ = interrupted
    base = project / "base.yaml"
    base.write_text(base.read_text().replace("horizon_days: 100", "horizon_days: 90"))
    before = files_under(project)
    result = invoke("sweep", file.name, "--out", "out", "--resume", *QUIET)
    assert result.exit_code == 2, result.output
    assert "the base scenario (or a file it extends) changed" in flat(result.stderr)
    assert files_under(project) == before


def test_resume_of_a_missing_folder_is_refused(project: Path):
    copy_poisson(project)
    file = grid_sweep(project)
    before = files_under(project)
    result = invoke("sweep", file.name, "--out", "nowhere", "--resume", *QUIET)
    assert result.exit_code == 2, result.output
    assert "nothing to resume: nowhere does not exist" in flat(result.stderr)
    assert files_under(project) == before


def test_resume_of_a_folder_that_is_not_a_sweep_is_refused(project: Path):
    copy_poisson(project)
    file = grid_sweep(project)
    (project / "other").mkdir()
    (project / "other" / "keep.txt").write_text("mine")
    before = files_under(project)
    result = invoke("sweep", file.name, "--out", "other", "--resume", *QUIET)
    assert result.exit_code == 2, result.output
    assert "not a sweep folder" in flat(result.stderr)
    assert files_under(project) == before


@pytest.mark.parametrize("flag", ["--force", "--resume"])
def test_a_file_in_the_way_is_refused(project: Path, flag: str):
    copy_poisson(project)
    file = grid_sweep(project)
    (project / "out").write_text("not a folder")
    before = files_under(project)
    result = invoke("sweep", file.name, "--out", "out", flag, *QUIET)
    assert result.exit_code == 2, result.output
    assert "out exists and is not a folder" in flat(result.stderr)
    assert files_under(project) == before
    assert (project / "out").read_text() == "not a folder"


def test_second_run_needs_resume_or_force(interrupted, project: Path):
    file, whole = interrupted
    before = files_under(project)
    stamps = mtimes(project / "out")
    result = invoke("sweep", file.name, "--out", "out", *QUIET)
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert "sweep folder out already exists" in message
    assert "--resume" in message and "--force" in message
    assert files_under(project) == before
    assert mtimes(project / "out") == stamps

    result = invoke("sweep", file.name, "--out", "out", "--force", *QUIET)
    assert result.exit_code == 0, result.output
    assert "(0 already done)" in flat(result.stderr)
    pd.testing.assert_frame_equal(pd.read_parquet(project / "out" / "sweep.parquet"), whole)


# --- what the runner keeps -----------------------------------------------------------


def test_point_rows_are_sums_of_all_chunks(project: Path):
    """A point spanning several chunks reports the same numbers as the
    replication table of its scenario, computed directly."""
    copy_poisson(project)
    reps = 2 * MAX_CHUNK + 37
    sweep = load_sweep(grid_sweep(project, levels=2, replications=reps))
    folder = project / "out"
    done = prepare_folder(sweep, folder, False, False)
    run_points(sweep, None, 1, done, lambda i, row: write_point(folder, i, row))
    table = collect(folder)
    for index in range(2):
        direct = run_table(sweep.scenario_at(index), sweep.spec.seed, range(reps))
        row = table.iloc[index]
        assert row["point"] == index
        assert row["streams.attack.rate"] == sweep.points[index, 0]
        assert row["replications"] == reps
        for k, outcome in enumerate(sweep.base.outcomes):
            hits = int(np.sum(~np.isnan(direct.outcome_days[:, k])))
            lo, hi = wilson_interval(hits, reps)
            assert row[f"hits_{outcome}"] == hits
            assert row[f"p_{outcome}"] == hits / reps
            assert row[f"lower_{outcome}"] == float(lo)
            assert row[f"upper_{outcome}"] == float(hi)
        assert row["mean_attack"] == pytest.approx(direct.counts[:, 0].mean(), rel=1e-12)
        assert row["mean_max_level"] == pytest.approx(direct.max_level.mean(), rel=1e-12)


@pytest.mark.slow
def test_runner_keeps_no_replication_data(project: Path):
    """Each point is written as one row of sums, whatever its replications: the
    file of a point run on 1,200 replications is as small as one on 20, and the
    table has one row per point (a memory benchmark is done elsewhere)."""
    copy_poisson(project)
    points = 10
    sizes = {}
    for reps in (20, 1200):
        sweep = load_sweep(
            grid_sweep(project, levels=points, replications=reps, name=f"s{reps}.yaml")
        )
        folder = project / f"r{reps}"
        finished: list[int] = []
        done = prepare_folder(sweep, folder, False, False)

        def keep(index: int, row: dict, folder: Path = folder, finished: list = finished) -> None:
            write_point(folder, index, row)
            finished.append(index)

        run_points(sweep, None, 1, done, keep)
        assert sorted(finished) == list(range(points))
        assert sorted(files_under(folder / "points")) == [f"{i:06d}.json" for i in range(points)]
        sizes[reps] = [(folder / "points" / f"{i:06d}.json").stat().st_size for i in range(points)]
        table = collect(folder)
        assert len(table) == points
        assert list(table["point"]) == list(range(points))
        assert set(table["replications"]) == {reps}
        # One row of fixed fields: the point, its values, four per outcome, the
        # replications, a mean count per event type and the mean maximum level.
        row = json.loads((folder / "points" / "000000.json").read_text())
        assert len(row) == 1 + 1 + 4 * len(sweep.outcomes) + 1 + len(sweep.base.events) + 1
    assert max(sizes[1200]) < 600
    # Only the digits of the numbers differ, never the number of fields.
    assert abs(np.mean(sizes[1200]) - np.mean(sizes[20])) < 60


def test_a_point_is_validated_once_and_fast_chunks_are_large(project: Path, monkeypatch):
    """The serial runner validated the overridden scenario once per chunk, and
    the fast engine got 100-replication tasks whose set-up outweighed the
    simulation. Now: one validation a point, fast chunks of FAST_CHUNK[0]."""
    from sim.experiments.sweep import runner
    from sim.montecarlo.runner import FAST_CHUNK

    copy_poisson(project)
    reps = FAST_CHUNK[0] + 37
    sweep = load_sweep(grid_sweep(project, levels=2, replications=reps))
    validated: list[int] = []
    chunks: list[tuple[str, int]] = []
    scenario_at, tally = sweep.scenario_at, runner.tally_chunk
    monkeypatch.setattr(
        type(sweep), "scenario_at", lambda self, i: validated.append(i) or scenario_at(i)
    )
    monkeypatch.setattr(
        runner,
        "tally_chunk",
        lambda s, seed, part, engine: (
            chunks.append((engine, len(part))) or tally(s, seed, part, engine)
        ),
    )
    rows: dict[int, dict] = {}
    for engine in ("simpy", "fast"):
        validated.clear()
        runner.run_points(sweep, None, 1, set(), rows.__setitem__, engine)
        assert validated == [0, 1]
    sizes = {engine: [n for e, n in chunks if e == engine] for engine in ("simpy", "fast")}
    assert sizes["fast"] == [FAST_CHUNK[0], 37] * 2
    assert max(sizes["simpy"]) == MAX_CHUNK and sum(sizes["simpy"]) == 2 * reps
