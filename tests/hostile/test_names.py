"""Names never choose paths: a scenario's or sweep's `name:` is an id."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.sweep.spec import load_sweep
from tests.conftest import line_of
from tests.hostile.helpers import assert_cli_refused, invoke, one_at, refused, refused_file
from tests.sweep import copy_poisson, write_sweep

HOSTILE_NAMES = [
    "/etc/victim",
    "../outside",
    "a/b",
    "..",
    ".",
    ".hidden",
    "-rf",
    "[red]x[/red]",
    "US strike [unconfirmed]",
    "",
    "x" * 101,
    "tab\there",
    "new\nline",
    "C:\\\\windows",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_scenario_name_that_is_not_an_id_is_refused(name, write_scenario):
    file = write_scenario({"name": name})
    problem = one_at(refused_file(file), "name")
    assert problem.file == "scenario.yaml"
    assert problem.line == line_of(file, "name:")
    assert "a name of at most 100 letters, digits" in problem.expected


@pytest.mark.parametrize("name", ["mini", "iraq-2024.v2", "A_1", "7days", "x" * 100])
def test_ids_are_accepted_as_names(name, write_scenario):
    from sim.scenario import load_scenario

    assert load_scenario(write_scenario({"name": name})).name == name


@pytest.mark.parametrize("name", ["/tmp/victim", "..", ".x", "a/../../b"])
def test_sweep_name_that_is_not_an_id_is_refused(name, project: Path):
    copy_poisson(project)
    file = write_sweep(
        project, f"name: '{name}'\nparameters:\n  streams.attack.rate: [0.1, 0.2]\ndesign: grid\n"
    )
    problem = one_at(refused(lambda: load_sweep(file)), "name")
    assert problem.line == line_of(file, "name:")


def test_sweep_file_whose_stem_is_no_name_needs_a_name(project: Path):
    copy_poisson(project)
    file = write_sweep(
        project, "parameters:\n  streams.attack.rate: [0.1, 0.2]\ndesign: grid\n", ".hidden.yaml"
    )
    problem = one_at(refused(lambda: load_sweep(file)), "name")
    assert problem.found == "'.hidden'"


def test_cli_refuses_an_absolute_name_and_writes_nothing(write_scenario, project: Path):
    victim = project / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious", encoding="utf-8")
    file = write_scenario({"name": str(victim)})
    result = invoke("run", str(file), "--reps", "5", "--workers", "1", "--no-progress", "--force")
    assert_cli_refused(result, "scenario.yaml:1: name: expected a name of at most 100")
    assert (victim / "keep.txt").read_text(encoding="utf-8") == "precious"
    assert not (project / "results").exists()


def test_markup_in_a_name_is_printed_as_text(write_scenario):
    file = write_scenario({"name": "[bold]x[/bold]"})
    result = invoke("validate", str(file))
    assert_cli_refused(result, "found '[bold]x[/bold]'")
