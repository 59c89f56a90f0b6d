"""Results folders never escape where they should go, never replace what escsim
did not write, never collide, and are readable by colleagues (issue 7, items 1,
3, 7, 8). Every case runs the real CLI and checks what is on disk afterwards."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.writers import folder as io

REPO = Path(__file__).resolve().parents[2]
POISSON = REPO / "scenarios" / "reference" / "poisson_count.yaml"
RUN = ["-n", "100", "-w", "1", "--no-progress"]
runner = CliRunner()


def tree(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "s.yaml").write_text(POISSON.read_text())
    monkeypatch.chdir(work)
    return work


def refused(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.stderr.split())


def test_force_never_replaces_a_folder_escsim_did_not_write(here: Path, tmp_path: Path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.txt").write_text("years of work")
    before = tree(tmp_path)
    message = refused(["run", "s.yaml", *RUN, "--out", str(victim), "--force"])
    assert "not written by escsim" in message
    assert tree(tmp_path) == before


@pytest.mark.parametrize("out", [".", "..", "../.."])
def test_force_never_replaces_the_working_folder_or_its_parents(here: Path, out: str):
    before = tree(here.parent)
    message = refused(["run", "s.yaml", *RUN, "--out", out, "--force"])
    assert "working folder or one of its parents" in message
    assert tree(here.parent) == before


def test_force_replaces_a_folder_escsim_wrote(here: Path):
    assert runner.invoke(app, ["run", "s.yaml", *RUN, "--out", "r"]).exit_code == 0
    first = json.loads((here / "r" / "manifest.json").read_text())["created"]
    assert runner.invoke(app, ["run", "s.yaml", *RUN, "--out", "r", "--force"]).exit_code == 0
    assert (here / "r" / "report.html").is_file()
    assert json.loads((here / "r" / "manifest.json").read_text())["created"] >= first


def test_results_are_readable_by_colleagues(here: Path):
    old = os.umask(0o022)
    try:
        assert runner.invoke(app, ["run", "s.yaml", *RUN, "--out", "r"]).exit_code == 0
    finally:
        os.umask(old)
    folder = here / "r"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    assert modes and set(modes.values()) == {0o644}, modes


def test_unwritable_output_is_refused_before_any_simulation(here: Path, monkeypatch):
    if os.geteuid() == 0:
        # root writes anywhere: simulate the permission check's answer instead.
        real = os.access
        monkeypatch.setattr(
            io.os, "access", lambda path, mode: "locked" not in str(path) and real(path, mode)
        )
        (here / "locked").mkdir()
    else:
        locked = here / "locked"
        locked.mkdir(mode=0o555)
    simulated = []
    monkeypatch.setattr("sim.experiments.run.run_table", lambda *a, **k: simulated.append(1))
    message = refused(["run", "s.yaml", *RUN, "--out", "locked/r"])
    assert "permission denied" in message
    assert not simulated


def test_a_full_disk_is_refused_before_any_simulation(here: Path, monkeypatch):
    usage = type("usage", (), {"free": 1024, "total": 2**30, "used": 2**30})
    monkeypatch.setattr(io.shutil, "disk_usage", lambda path: usage)
    message = refused(["run", "s.yaml", *RUN, "--out", "r"])
    assert "MiB free" in message
    assert not (here / "r").exists() and not (here / "results").exists()


def test_a_second_run_into_the_same_folder_fails_at_once(here: Path):
    """While one run (another process) holds the folder, a second is refused
    before it computes anything."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from sim.writers import folder\n"
            "with folder.reserve(Path('r'), False):\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        cwd=here,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        message = refused(["run", "s.yaml", *RUN, "--out", "r"])
        assert "another escsim run is writing" in message
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.communicate()
    assert runner.invoke(app, ["run", "s.yaml", *RUN, "--out", "r"]).exit_code == 0


def test_leftovers_of_a_killed_run_are_cleaned_by_the_next(here: Path):
    staging = here / ".r.partial-abc123"
    staging.mkdir()
    (staging / "half.csv").write_text("x")
    (here / ".r.replaced-deadbeef").mkdir()
    assert runner.invoke(app, ["run", "s.yaml", *RUN, "--out", "r"]).exit_code == 0
    assert sorted(p.name for p in here.iterdir()) == ["r", "s.yaml"]


def test_markup_in_labels_is_printed_as_written(here: Path):
    text = (here / "s.yaml").read_text()
    text = text.replace(
        "name: reference-poisson-count",
        'name: reference-poisson-count\ntitle: "A [bold]b[/bold] [/x]"',
    )
    (here / "m.yaml").write_text(text)
    result = runner.invoke(app, ["run", "m.yaml", *RUN, "--out", "r"])
    assert result.exit_code == 0, result.output
    summary = json.loads((here / "r" / "summary.json").read_text())
    label = summary["headline"]["label"]
    assert label in result.stdout
    trace = runner.invoke(app, ["trace", "m.yaml", "--out", "t"])
    assert trace.exit_code == 0, trace.output
    assert "A [bold]b[/bold] [/x]" in trace.stdout


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_an_out_below_a_file_is_refused_without_a_traceback(here: Path, command: str):
    """A file where a parent folder should be is a usage error for every command
    (a sweep used to end in NotADirectoryError while making its points folder)."""
    (here / "afile").write_text("not a folder")
    (here / "sw.yaml").write_text(
        "name: sw\nbase: s.yaml\ndesign: grid\nreplications: 10\n"
        "parameters: {streams.attack.rate: {low: 0.1, high: 0.5}}\n"
    )
    target = ["s.yaml", *RUN] if command == "run" else ["sw.yaml", "--no-progress"]
    before = tree(here)
    message = refused([command, *target, "--out", "afile/sub"])
    assert "cannot create afile: a file of that name exists" in message
    assert tree(here) == before
