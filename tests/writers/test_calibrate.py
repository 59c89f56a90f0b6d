"""Where a calibrated scenario may be written: never over the scenario or a
file it extends, and with `force` only over a calibrated scenario escsim
wrote, recognised by the header `calibrated_document` itself writes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.errors import UsageError
from sim.experiments.calibrate import CalibrationResult, fit_parameters
from sim.scenario import load_scenario
from sim.writers.calibrate import (
    calibrated_document,
    check_calibrated_target,
    is_calibrated_file,
)

REPO = Path(__file__).resolve().parents[2]
POISSON = REPO / "scenarios" / "reference" / "poisson_count.yaml"
RATE = "streams.attack.rate"


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    doc = yaml.safe_load(POISSON.read_text())
    doc["observed"] = {
        "attack": [{"from": "2024-01-01", "to": "2024-01-31", "count": 14, "assumption": "test"}]
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def written_by_escsim(scenario: Path, target: Path) -> Path:
    """`target` holding what the calibration writer puts in a calibrated file
    (a result made up, nothing simulated)."""
    s = load_scenario(scenario)
    result = CalibrationResult(
        scenario=s,
        params=fit_parameters(s, [RATE]),
        estimates=[0.45],
        intervals=[(0.4, 0.5)],
        loglik_start=-3.0,
        loglik_fit=-2.0,
        converged=True,
        message="",
        evaluations=12,
        likelihood="negbin",
        reps=20,
        seed=0,
        windows=pd.DataFrame({"from": [], "to": []}),
        profile=pd.DataFrame(columns=["path", "value", "loglik"]),
    )
    target.write_text(calibrated_document(result, target))
    return target


def test_what_the_writer_writes_is_recognised_as_its_own(scenario: Path):
    assert is_calibrated_file(written_by_escsim(scenario, scenario.with_name("c.yaml")))


@pytest.mark.parametrize(
    "text",
    [
        "name: mine\n",
        "",
        "# Calibrated variant of s.yaml.\n",
        "# Calibrated by escsim calibrate on 2024-01-01\n# Calibrated variant of s.yaml.\n",
    ],
)
def test_a_file_a_user_wrote_is_not(tmp_path: Path, text: str):
    path = tmp_path / "user.yaml"
    path.write_text(text)
    assert not is_calibrated_file(path)


def test_a_link_to_a_calibrated_file_or_a_folder_is_not(scenario: Path):
    real = written_by_escsim(scenario, scenario.with_name("c.yaml"))
    link = scenario.with_name("link.yaml")
    link.symlink_to(real.name)
    assert not is_calibrated_file(link)
    assert not is_calibrated_file(scenario.parent)


@pytest.mark.parametrize("force", [False, True])
def test_the_scenario_and_its_bases_are_refused_even_with_force(scenario: Path, force: bool):
    child = scenario.with_name("child.yaml")
    child.write_text("extends: s.yaml\nname: child\n")
    os.link(scenario, scenario.with_name("hard.yaml"))
    for target, what in (
        (child, "the scenario being calibrated"),
        (scenario, "a file the scenario extends"),
        (scenario.with_name("hard.yaml"), "a file the scenario extends"),
    ):
        with pytest.raises(UsageError, match=f"is {what}.*not even with --force"):
            check_calibrated_target(target, child, force)


def test_force_replaces_only_a_calibrated_file_escsim_wrote(scenario: Path):
    ours = written_by_escsim(scenario, scenario.with_name("c.yaml"))
    check_calibrated_target(ours, scenario, force=True)
    with pytest.raises(UsageError, match="already exists"):
        check_calibrated_target(ours, scenario, force=False)
    theirs = scenario.with_name("theirs.yaml")
    theirs.write_text("name: theirs\n")
    with pytest.raises(UsageError, match=r"theirs\.yaml exists and is not a calibrated scenario"):
        check_calibrated_target(theirs, scenario, force=True)
    check_calibrated_target(scenario.with_name("new.yaml"), scenario, force=False)
