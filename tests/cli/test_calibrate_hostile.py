"""`escsim calibrate` against hostile options: the calibrated file never
replaces the scenario or a file it extends, `--force` replaces only a
calibrated scenario escsim wrote, the results folder is a plain name inside
`results/`, a posterior chain too short is refused before the fit (not after
it), a posterior that fails after the fit leaves the fit written, and the
evaluations printed say which are the fit's."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import UsageError
from sim.scenario import load_scenario

RATE = "streams.attack.rate"
QUICK = ["--fit", RATE, "--reps", "20", "--max-evals", "10", "-w", "1", "--engine", "fast"]
"""A calibration of a few seconds."""
runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding cal.yaml (60 days, one stream, two observed
    months) and another escsim run in results/other."""
    doc = {
        "name": "cal",
        "start_date": "2024-01-01",
        "horizon_days": 60,
        "actors": {"a": {"name": "A", "kind": "other"}},
        "ladder": ["calm", "attacked"],
        "events": {"attack": {"actor": "a", "rung": 1}},
        "streams": {"attack": {"rate": 0.5, "assumption": "test"}},
        "outcomes": {"any_attack": {"level_at_least": 1}},
        "observed": {
            "attack": [
                {"from": "2024-01-01", "to": "2024-01-31", "count": 20, "assumption": "test"},
                {"from": "2024-02-01", "to": "2024-02-29", "count": 25, "assumption": "test"},
            ]
        },
    }
    (tmp_path / "cal.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    other = tmp_path / "results" / "other"
    other.mkdir(parents=True)
    (other / "manifest.json").write_text(json.dumps({"versions": {"escalation-sim": "0"}}))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (symbolic links by their target)."""
    return {
        str(p.relative_to(folder)): os.readlink(p).encode() if p.is_symlink() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


def stderr(result: object) -> str:
    return " ".join(result.stderr.split())  # type: ignore[attr-defined]


def refused(folder: Path, args: list[str]) -> str:
    """Run `args`; check it exits 2 without a traceback and changes no file;
    return its standard error on one line."""
    before = snapshot(folder)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert snapshot(folder) == before
    return stderr(result)


@pytest.mark.parametrize("out", ["cal.yaml", "./cal.yaml", "link.yaml", "hard.yaml"])
def test_the_scenario_itself_is_never_replaced_even_with_force(folder: Path, out: str):
    (folder / "link.yaml").symlink_to("cal.yaml")
    os.link(folder / "cal.yaml", folder / "hard.yaml")
    message = refused(folder, ["calibrate", "cal.yaml", *QUICK, "--out", out, "--force"])
    assert f"--out {Path(out)} is the scenario being calibrated" in message
    assert "not even with --force" in message


def test_a_file_the_scenario_extends_is_never_replaced_even_with_force(folder: Path):
    (folder / "child.yaml").write_text("extends: cal.yaml\nname: child\n")
    (folder / "grandchild.yaml").write_text("extends: child.yaml\nname: grandchild\n")
    for out in ("cal.yaml", "child.yaml"):
        args = ["calibrate", "grandchild.yaml", *QUICK, "--out", out, "--force"]
        assert f"--out {out} is a file the scenario extends" in refused(folder, args)


@pytest.mark.parametrize(
    "text",
    [
        "name: mine\n",  # a user's scenario
        "# Calibrated variant of cal.yaml.\nname: edited\n",  # half a header is not ours
        "# my notes\n# Calibrated variant of cal.yaml.\n# Calibrated by escsim calibrate on x\n",
    ],
)
def test_force_refuses_a_yaml_file_escsim_did_not_write(folder: Path, text: str):
    (folder / "mine.yaml").write_text(text)
    message = refused(folder, ["calibrate", "cal.yaml", *QUICK, "--out", "mine.yaml", "--force"])
    assert "mine.yaml exists and is not a calibrated scenario escsim wrote" in message


def test_without_force_an_existing_file_is_refused(folder: Path):
    (folder / "mine.yaml").write_text("name: mine\n")
    message = refused(folder, ["calibrate", "cal.yaml", *QUICK, "--out", "mine.yaml"])
    assert "mine.yaml already exists; choose another --out or pass --force" in message


@pytest.mark.parametrize("out", ["..yaml", "...yaml", ".x.yaml", "a b.yaml", "x\n.yaml"])
def test_a_file_name_that_is_no_folder_name_is_refused(folder: Path, out: str):
    for force in ([], ["--force"]):
        message = refused(folder, ["calibrate", "cal.yaml", *QUICK, "--out", out, *force])
        assert "the file's name is no folder name for the results" in message
        assert "starting with a letter or digit" in message
    assert (folder / "results" / "other" / "manifest.json").exists()


def test_the_file_cannot_be_inside_the_folder_the_calibration_replaces(folder: Path):
    (folder / "results" / "x").mkdir()
    message = refused(folder, ["calibrate", "cal.yaml", *QUICK, "--out", "results/x/x.yaml"])
    assert "is inside results/x, the results folder this calibration writes" in message


@pytest.mark.parametrize(
    ("options", "advice"),
    [
        (["--steps", "6"], "keeps 4 step(s) per walker; expected at least 10 after burn-in"),
        (["--steps", "3"], "use --steps 14 or more"),
        (["--steps", "20", "--burn", "15"], "--burn: expected 0 to 10 (at least 10 of --steps 20"),
    ],
)
def test_a_posterior_chain_too_short_is_refused_before_the_fit(
    folder: Path, options: list[str], advice: str
):
    args = ["calibrate", "cal.yaml", *QUICK, "--posterior", "--walkers", "4", *options]
    assert advice in refused(folder, args)


@pytest.mark.slow  # one small calibration (a few seconds)
def test_force_replaces_the_calibrated_scenario_escsim_wrote(folder: Path):
    first = runner.invoke(app, ["calibrate", "cal.yaml", *QUICK])
    assert first.exit_code in (0, 1), first.output  # 1: unconverged, best point kept
    written = folder / "cal.calibrated.yaml"
    written.write_text(written.read_text().replace("cal-calibrated", "stale"))
    again = runner.invoke(app, ["calibrate", "cal.yaml", *QUICK])
    assert again.exit_code == 2 and "already exists" in stderr(again)
    forced = runner.invoke(app, ["calibrate", "cal.yaml", *QUICK, "--force"])
    assert forced.exit_code in (0, 1), forced.output
    assert load_scenario(written).name == "cal-calibrated"
    assert (folder / "results" / "other" / "manifest.json").exists()


@pytest.mark.slow  # one small calibration (a few seconds)
def test_a_posterior_failing_after_the_fit_warns_and_keeps_the_fit(
    folder: Path, monkeypatch: pytest.MonkeyPatch
):
    def fails(*_args: object, **_kwargs: object) -> None:
        raise UsageError("no starting point for the sampler")

    monkeypatch.setattr("sim.experiments.posterior.sample_posterior", fails)
    args = ["calibrate", "cal.yaml", *QUICK, "--posterior", "--walkers", "4", "--steps", "14"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert (
        "warning: the posterior could not be sampled (no starting point for the sampler); "
        "the point fit is written without it." in stderr(result)
    )
    fitted = load_scenario(folder / "cal.calibrated.yaml")
    assert fitted.streams["attack"].rate != 0.5 and RATE not in fitted.uncertain
    assert (folder / "results" / "cal.calibrated" / "fit.csv").exists()
    assert not (folder / "results" / "cal.calibrated" / "posterior.csv").exists()


@pytest.mark.slow  # one small calibration (a few seconds)
def test_the_evaluations_printed_separate_the_fit_from_the_profiles(folder: Path):
    result = runner.invoke(app, ["calibrate", "cal.yaml", *QUICK])
    assert result.exit_code in (0, 1), result.output
    found = re.search(
        r"(\d+) model evaluations for the fit, (\d+) for the profile-likelihood intervals",
        " ".join(result.stdout.split()),
    )
    assert found, result.stdout
    fit, profiles = int(found[1]), int(found[2])
    assert 0 < fit <= 10 + 2  # --max-evals 10 (Nelder-Mead may finish its last step)
    assert profiles > 0
    summary = json.loads((folder / "results" / "cal.calibrated" / "summary.json").read_text())
    assert (summary["fit_evaluations"], summary["profile_evaluations"]) == (fit, profiles)
    assert summary["evaluations"] == fit + profiles


@pytest.mark.slow  # one small calibration (a few seconds)
def test_a_missing_out_folder_is_made_as_other_commands_make_theirs(folder: Path):
    """A fresh clone has no results/: the README's `--out results/flagship-fit.yaml`
    was refused with "create it first" whenever nothing had run before it."""
    result = runner.invoke(app, ["calibrate", "cal.yaml", *QUICK, "--out", "new/fit.yaml"])
    # QUICK's few evaluations may end unconverged (exit 1, said); never refused (2).
    assert result.exit_code in (0, 1), result.output
    assert "wrote new/fit.yaml" in result.output
    assert (folder / "new" / "fit.yaml").is_file()


def test_an_out_folder_that_is_a_file_is_refused(folder: Path):
    (folder / "afile").write_text("not a folder")
    message = refused(folder, ["calibrate", "cal.yaml", *QUICK, "--out", "afile/fit.yaml"])
    assert "cannot create afile: a file of that name exists" in message


def test_a_results_folder_holding_the_scenario_is_never_replaced(folder: Path):
    """Calibrating the copy an earlier calibration left in results/x/ with
    `--out x.yaml --force` replaced that folder, deleting the scenario being
    read, and the new files extended themselves."""
    earlier = folder / "results" / "x"
    earlier.mkdir()
    (earlier / "manifest.json").write_text(json.dumps({"versions": {"escalation-sim": "0"}}))
    (earlier / "calibrated.yaml").write_text((folder / "cal.yaml").read_text())
    args = ["calibrate", "results/x/calibrated.yaml", *QUICK, "--out", "x.yaml", "--force"]
    message = refused(folder, args)
    assert "its results folder results/x holds" in message


def test_a_refused_calibration_leaves_no_folders(folder: Path):
    """The --out folder is made only when the file is written: a refusal
    after its check (here the file's name) left new/deep behind."""
    message = refused(folder, ["calibrate", "cal.yaml", *QUICK, "--out", "new/deep/x y.yaml"])
    assert "no folder name" in message
    assert not (folder / "new").exists()
