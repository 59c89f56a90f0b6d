"""Results folders are complete or absent, never half-written or silently replaced;
and what a run records about itself."""

from __future__ import annotations

import _thread
import datetime as dt
import json
import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.errors import UsageError
from sim.scenario import load_scenario, with_overrides
from sim.writers import folder as io
from tests.conftest import files_under


class Boom(Exception):
    pass


def test_staged_folder_appears_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "results" / "run"
    with io.staged_folder(target, force=False) as staging:
        assert staging != target
        assert staging.parent == target.parent
        assert not target.exists()
        (staging / "a.txt").write_text("done")
    assert (target / "a.txt").read_text() == "done"
    assert files_under(tmp_path / "results") == {"run", "run/a.txt"}  # no staging left


def test_staged_folder_leaves_nothing_when_the_block_raises(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(Boom), io.staged_folder(target, force=False) as staging:
        (staging / "half.txt").write_text("partial")
        raise Boom
    assert not target.exists()
    assert files_under(tmp_path) == set()  # no hidden partial folder either


def test_staged_folder_leaves_nothing_on_keyboard_interrupt(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt), io.staged_folder(target, force=False) as staging:
        (staging / "half.txt").write_text("partial")
        raise KeyboardInterrupt
    assert files_under(tmp_path) == set()


def escsim_folder(target: Path) -> Path:
    """A folder as escsim leaves it: with its manifest."""
    target.mkdir()
    io.write_json(target / "manifest.json", {"versions": {"escalation-sim": "0.1.0"}})
    return target


def test_failed_replacement_keeps_the_existing_folder(tmp_path):
    target = escsim_folder(tmp_path / "run")
    (target / "old.txt").write_text("old")
    with pytest.raises(Boom), io.staged_folder(target, force=True) as staging:
        (staging / "new.txt").write_text("new")
        raise Boom
    assert files_under(tmp_path) == {"run", "run/manifest.json", "run/old.txt"}


def test_existing_folder_is_refused_without_force(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "old.txt").write_text("old")
    ran = False
    with (
        pytest.raises(UsageError, match=r"already exists.*--force"),
        io.staged_folder(target, False),
    ):
        ran = True
    assert not ran, "the block must not run when the folder exists"
    assert files_under(tmp_path) == {"run", "run/old.txt"}
    assert (target / "old.txt").read_text() == "old"


def test_existing_folder_is_replaced_with_force(tmp_path):
    target = escsim_folder(tmp_path / "run")
    (target / "old.txt").write_text("old")
    with io.staged_folder(target, force=True) as staging:
        (staging / "new.txt").write_text("new")
    assert files_under(tmp_path) == {"run", "run/new.txt"}


@pytest.mark.parametrize("step", ["rename", "rmtree"])
def test_a_ctrl_c_during_the_replacement_is_too_late_to_stop_it(tmp_path, monkeypatch, step):
    """Held from the first rename to the old copy's removal, then dropped: the
    new folder is in place, no hidden copy is left (the old one is not half
    deleted), and no KeyboardInterrupt reports "nothing written" over it."""
    target = escsim_folder(tmp_path / "run")
    (target / "old.txt").write_text("old")
    original = getattr(io.os if step == "rename" else io.shutil, step)

    def then_ctrl_c(*args, **kwargs):
        original(*args, **kwargs)
        _thread.interrupt_main(signal.SIGINT)

    monkeypatch.setattr(io.os if step == "rename" else io.shutil, step, then_ctrl_c)
    with io.staged_folder(target, force=True) as staging:
        (staging / "new.txt").write_text("new")
    assert files_under(tmp_path) == {"run", "run/new.txt"}


def test_a_failed_second_rename_puts_the_old_folder_back(tmp_path, monkeypatch):
    target = escsim_folder(tmp_path / "run")
    (target / "old.txt").write_text("old")
    rename = os.rename

    def second_fails(source, destination):
        if Path(source).name.startswith(".run.partial-"):
            raise OSError("disk gone")
        rename(source, destination)

    monkeypatch.setattr(io.os, "rename", second_fails)
    with pytest.raises(OSError, match="disk gone"), io.staged_folder(target, True) as staging:
        (staging / "new.txt").write_text("new")
    assert files_under(tmp_path) == {"run", "run/manifest.json", "run/old.txt"}


def test_a_target_refused_after_the_block_leaves_no_staging(tmp_path):
    """Another process created the folder while this one computed."""
    target = tmp_path / "run"
    with (
        pytest.raises(UsageError, match="already exists"),
        io.staged_folder(target, False) as staging,
    ):
        (staging / "new.txt").write_text("new")
        target.mkdir()
    assert files_under(tmp_path) == {"run"}


def test_check_target(tmp_path):
    io.check_target(tmp_path / "absent", force=False)
    mine = escsim_folder(tmp_path / "mine")
    io.check_target(mine, force=True)
    with pytest.raises(UsageError, match="already exists"):
        io.check_target(mine, force=False)
    with pytest.raises(UsageError, match="not written by escsim"):
        io.check_target(tmp_path, force=True)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(UsageError, match="is not a folder"):
        io.check_target(a_file, force=True)


def test_write_json_handles_numpy_dates_and_paths(tmp_path):
    path = tmp_path / "x.json"
    io.write_json(
        path,
        {
            "n": np.int64(3),
            "x": np.float32(0.5),
            "day": dt.date(2024, 1, 2),
            "when": pd.Timestamp("2024-01-02 03:04"),
            "where": tmp_path,
        },
    )
    assert json.loads(path.read_text()) == {
        "n": 3,
        "x": 0.5,
        "day": "2024-01-02",
        "when": "2024-01-02T03:04:00",
        "where": str(tmp_path),
    }
    with pytest.raises(TypeError, match="cannot write object"):
        io.write_json(path, {"x": object()})


@pytest.mark.parametrize("nan", [float("nan"), np.float64("nan")])
def test_write_json_writes_nan_as_null(tmp_path, nan):
    path = tmp_path / "x.json"
    io.write_json(path, {"nan": nan})
    assert "NaN" not in path.read_text()
    assert json.loads(path.read_text()) == {"nan": None}


def test_write_table_by_suffix(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1 / 3]})
    io.write_table(frame, tmp_path / "t.parquet")
    io.write_table(frame, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), frame)
    assert (tmp_path / "t.csv").read_text().splitlines() == ["a,b", "1,0.5", "2,0.333333"]


def test_resolved_scenario_hash(write_scenario, project):
    s = load_scenario(write_scenario())
    same = load_scenario(write_scenario(name="copy.yaml"))
    changed = with_overrides(s, {"streams.attack.rate": "0.6"})
    assert len(io.scenario_sha256(s)) == 64
    assert io.scenario_sha256(s) == io.scenario_sha256(same)
    assert io.scenario_sha256(s) != io.scenario_sha256(changed)


def test_written_scenario_reloads_to_the_same_scenario(write_scenario, project):
    s = load_scenario(write_scenario())
    io.write_scenario(s, project / "resolved.yaml")
    text = (project / "resolved.yaml").read_text()
    assert yaml.safe_load(text)["rules"]["respond"]["cooldown_days"] == 0  # defaults included
    again = load_scenario(project / "resolved.yaml")
    assert io.scenario_sha256(again) == io.scenario_sha256(s)


def test_manifest(write_scenario):
    s = load_scenario(write_scenario())
    m = io.manifest(s, seed=7, replications=10)
    assert m["seed"] == 7 and m["replications"] == 10
    assert m["scenario"]["name"] == "mini"
    assert m["scenario"]["resolved_sha256"] == io.scenario_sha256(s)
    assert len(m["scenario"]["file_sha256"]) == 64
    for package in ("python", "numpy", "simpy", "scipy", "pandas", "pydantic"):
        assert m["versions"][package] not in ("", "not installed")
