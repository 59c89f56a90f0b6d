"""The sweep file: every problem refused before anything runs, as
`file:line: path: expected X, found Y`, by the library and by `escsim sweep`
(exit 2, nothing written); and the designs a valid file gives."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.sweep.spec import load_sweep
from tests.conftest import files_under, flat, line_of
from tests.sweep import copy_poisson, invoke, write_sweep

TWO = "  horizon_days: {low: 50, high: 100}\n"
"""A second continuous parameter, for Sobol cases."""


@dataclass(frozen=True)
class BadSweep:
    id: str
    body: str
    """The sweep file after its `base:` line."""
    path: str
    expected: str
    found: str
    line: str
    """Text on the line the problem must point at."""
    problems: int = 1
    base: str = "base.yaml"


RATE = "parameters:\n  streams.attack.rate: "

BAD_SWEEPS = [
    BadSweep(
        "no-such-parameter",
        "parameters:\n  streams.attack.rat: {low: 0.1, high: 0.2}\ndesign: grid\n",
        "parameters.streams.attack.rat",
        "a dotted path of the base scenario",
        "no such parameter",
        "streams.attack.rat:",
    ),
    BadSweep(
        "no-such-stream",
        "parameters:\n  streams.nope.rate: [0.1, 0.2]\ndesign: grid\n",
        "parameters.streams.nope.rate",
        "a dotted path of the base scenario",
        "no such parameter",
        "streams.nope.rate:",
    ),
    BadSweep(
        "text-parameter-name",
        "parameters:\n  name: [1, 2]\ndesign: grid\n",
        "parameters.name",
        "a numeric parameter",
        "str 'reference-poisson-count'",
        "name:",
    ),
    BadSweep(
        "text-parameter-actor",
        "parameters:\n  events.attack.actor: {low: 1, high: 2}\ndesign: grid\n",
        "parameters.events.attack.actor",
        "a numeric parameter",
        "str 'a'",
        "events.attack.actor:",
    ),
    BadSweep(
        "low-above-high",
        RATE + "{low: 0.3, high: 0.2}\ndesign: grid\n",
        "parameters.streams.attack.rate",
        "low < high",
        "low 0.3, high 0.2",
        "streams.attack.rate:",
    ),
    BadSweep(
        "low-equals-high",
        RATE + "{low: 0.2, high: 0.2}\ndesign: lhs\nsamples: 8\n",
        "parameters.streams.attack.rate",
        "low < high",
        "low 0.2, high 0.2",
        "streams.attack.rate:",
    ),
    BadSweep(
        "log-with-zero-low",
        RATE + "{low: 0, high: 0.2, log: true}\ndesign: grid\n",
        "parameters.streams.attack.rate.low",
        "low > 0 with log: true",
        "0",
        "streams.attack.rate:",
    ),
    BadSweep(
        "log-with-negative-low",
        RATE + "{low: -1, high: 0.2, log: true}\ndesign: grid\n",
        "parameters.streams.attack.rate.low",
        "low > 0 with log: true",
        "-1",
        "streams.attack.rate:",
        problems=2,  # and a negative rate is no rate
    ),
    BadSweep(
        "sobol-too-few-samples",
        RATE + "{low: 0.1, high: 0.2}\n" + TWO + "design: sobol\nsamples: 8\n",
        "samples",
        "a power of two >= 32 base samples for Sobol",
        "8",
        "samples: 8",
    ),
    BadSweep(
        "sobol-samples-not-a-power-of-two",
        RATE + "{low: 0.1, high: 0.2}\n" + TWO + "design: sobol\nsamples: 48\n",
        "samples",
        "a power of two >= 32 base samples for Sobol",
        "48",
        "samples: 48",
    ),
    BadSweep(
        "sobol-with-a-list",
        RATE + "[0.1, 0.2]\n" + TWO + "design: sobol\nsamples: 32\n",
        "parameters.streams.attack.rate",
        "a range {low, high} (Sobol indices need continuous inputs)",
        "a list",
        "streams.attack.rate:",
    ),
    BadSweep(
        "sobol-with-one-parameter",
        RATE + "{low: 0.1, high: 0.2}\ndesign: sobol\nsamples: 32\n",
        "parameters",
        "at least two parameters for Sobol indices",
        "one",
        "parameters:",
    ),
    BadSweep(
        "lhs-without-samples",
        RATE + "{low: 0.1, high: 0.2}\ndesign: lhs\n",
        "samples",
        "a number of samples for the lhs design",
        "nothing",
        "base:",  # a missing key is reported at the mapping that should hold it
    ),
    BadSweep(
        "grid-with-samples",
        RATE + "[0.1, 0.2]\ndesign: grid\nsamples: 4\n",
        "samples",
        "no samples for a grid",
        "4",
        "samples: 4",
    ),
    BadSweep(
        "unknown-key",
        RATE + "[0.1, 0.2]\ndesign: grid\nreplicatons: 50\n",
        "replicatons",
        "one of: name, base, parameters, design, samples, replications, seed, outcomes",
        "unknown key 'replicatons'",
        "replicatons:",
    ),
    BadSweep(
        "unknown-key-in-a-range",
        RATE + "{low: 0.1, high: 0.2, lvls: 3}\ndesign: grid\n",
        "parameters.streams.attack.rate.lvls",
        "one of: low, high, log, levels",
        "unknown key 'lvls'",
        "streams.attack.rate:",
    ),
    BadSweep(
        "range-bound-not-a-number",
        RATE + "{low: abc, high: 0.2}\ndesign: grid\n",
        "parameters.streams.attack.rate.low",
        "a number",
        "'abc'",
        "streams.attack.rate:",
    ),
    BadSweep(
        "list-value-not-a-number",
        RATE + "[0.1, abc]\ndesign: grid\n",
        "parameters.streams.attack.rate[1]",
        "a number",
        "'abc'",
        "streams.attack.rate:",
    ),
    BadSweep(
        "parameter-neither-range-nor-list",
        RATE + "0.3\ndesign: grid\n",
        "parameters.streams.attack.rate",
        "a range {low, high} or a list of values",
        "0.3",
        "streams.attack.rate:",
    ),
    BadSweep(
        "empty-list",
        RATE + "[]\ndesign: grid\n",
        "parameters.streams.attack.rate",
        "at least one value",
        "an empty list",
        "streams.attack.rate:",
    ),
    BadSweep(
        "value-the-scenario-refuses",
        RATE + "{low: -0.1, high: 0.2}\ndesign: grid\n",
        "parameters.streams.attack.rate",
        "values the scenario accepts (a number >= 0",
        "-0.1",
        "streams.attack.rate:",
    ),
    BadSweep(
        "unknown-outcome",
        RATE + "[0.1, 0.2]\ndesign: grid\noutcomes: [nope]\n",
        "outcomes",
        "an outcome of the base (one of: ten_attacks, any_attack)",
        "'nope'",
        "outcomes:",
    ),
    BadSweep(
        "threshold-above-one",
        RATE + "[0.1, 0.2]\ndesign: grid\nthreshold: 1.5\n",
        "threshold",
        "a number < 1",
        "1.5",
        "threshold:",
    ),
    BadSweep(
        "missing-base",
        RATE + "[0.1, 0.2]\ndesign: grid\n",
        "base",
        "an existing file",
        "no such file: nothere.yaml",
        "base:",
        base="nothere.yaml",
    ),
]


def bad_file(case: BadSweep, project: Path) -> Path:
    copy_poisson(project)
    return write_sweep(project, case.body, base=case.base)


@pytest.mark.parametrize("case", BAD_SWEEPS, ids=lambda c: c.id)
def test_bad_sweep_is_refused_by_load_sweep(case: BadSweep, project: Path):
    file = bad_file(case, project)
    with pytest.raises(ScenarioError) as info:
        load_sweep(file)
    problems = info.value.problems
    assert len(problems) == case.problems, [str(p) for p in problems]
    matching = [p for p in problems if p.path == case.path]
    assert len(matching) == 1, [str(p) for p in problems]
    problem = matching[0]
    assert problem.file == "sweep.yaml"
    assert problem.line == line_of(file, case.line)
    assert case.expected in problem.expected, str(problem)
    assert case.found in problem.found, str(problem)
    assert str(problem) == (
        f"sweep.yaml:{problem.line}: {case.path}: expected {problem.expected}, "
        f"found {problem.found}"
    )


@pytest.mark.parametrize("case", BAD_SWEEPS, ids=lambda c: c.id)
def test_bad_sweep_is_refused_by_the_cli(case: BadSweep, project: Path):
    file = bad_file(case, project)
    with pytest.raises(ScenarioError) as info:
        load_sweep(file)
    before = files_under(project)
    result = invoke("sweep", file.name, "--workers", "1", "--no-progress")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    message = flat(result.stderr)
    assert f"error: {len(info.value.problems)} problem(s)" in message
    for problem in info.value.problems:
        assert flat(str(problem)) in message
    assert files_under(project) == before, "a refused sweep must write nothing"
    assert not (project / "results").exists()


@pytest.mark.parametrize("stem", ["..", ".hidden", "line\nbreak", "ends-in-newline\n"])
def test_a_file_name_that_is_no_folder_name_needs_a_name_key(project: Path, stem: str):
    """The sweep's folder is named after its file unless `name:` says otherwise;
    Python's `$` also matches before a final newline, so the check is a full match."""
    copy_poisson(project)
    file = project / f"{stem}.yaml"
    file.write_text(
        "base: poisson.yaml\nparameters:\n  streams.attack.rate: [0.1, 0.2]\ndesign: grid\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_sweep(file)
    assert any(p.path == "name" and "no folder name" in p.expected for p in info.value.problems)


def test_missing_base_names_the_missing_file(project: Path):
    case = next(c for c in BAD_SWEEPS if c.id == "missing-base")
    with pytest.raises(ScenarioError) as info:
        load_sweep(bad_file(case, project))
    assert str(info.value) == (
        "sweep.yaml:1: base: expected an existing file, found no such file: nothere.yaml"
    )


def test_missing_sweep_file_is_refused(project: Path):
    with pytest.raises(ScenarioError, match=r"nope\.yaml: expected an existing file"):
        load_sweep(project / "nope.yaml")
    before = files_under(project)
    result = invoke("sweep", "nope.yaml", "--no-progress")
    assert result.exit_code == 2, result.output
    assert "nope.yaml: expected an existing file" in flat(result.stderr)
    assert files_under(project) == before


def test_every_problem_at_once(project: Path):
    copy_poisson(project)
    file = write_sweep(
        project,
        "parameters:\n"
        "  streams.attack.rate: {low: 0.3, high: 0.2}\n"
        "  name: [1, 2]\n"
        "design: lhs\n"
        "outcomes: [nope]\n",
    )
    with pytest.raises(ScenarioError) as info:
        load_sweep(file)
    paths = sorted(p.path for p in info.value.problems)
    assert paths == sorted(
        ["parameters.streams.attack.rate", "parameters.name", "samples", "outcomes"]
    )


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ("  streams.attack.rate: [true, false]\n", "parameters.streams.attack.rate"),
        ("  streams.attack.rate: {low: false, high: 1.0}\n", "parameters.streams.attack.rate"),
        ("  streams.attack.rate: [0.1, 0.2]\nreplications: true\n", "replications"),
    ],
)
def test_true_and_false_are_not_numbers(project: Path, line: str, path: str):
    """As in scenario files: `[true, false]` became 1.0 and 0.0 before the
    scenario's own checks could see them."""
    copy_poisson(project)
    file = write_sweep(project, "parameters:\n" + line + "design: grid\n")
    with pytest.raises(ScenarioError) as info:
        load_sweep(file)
    found = [p for p in info.value.problems if p.path.startswith(path)]
    assert found and all("true/false is not a number" in p.found for p in found), info.value


# --- designs -------------------------------------------------------------------------


def test_grid_design_is_the_product_of_the_axes(project: Path):
    copy_poisson(project)
    file = write_sweep(
        project,
        "parameters:\n"
        "  streams.attack.rate: {low: 0.01, high: 1.0, log: true, levels: 3}\n"
        "  horizon_days: [50, 100]\n"
        "design: grid\n",
    )
    sweep = load_sweep(file)
    assert sweep.paths == ["streams.attack.rate", "horizon_days"]
    np.testing.assert_allclose(
        sweep.points,
        [[0.01, 50], [0.01, 100], [0.1, 50], [0.1, 100], [1.0, 50], [1.0, 100]],
    )
    assert sweep.name == "sweep"
    assert sweep.outcomes == ["ten_attacks", "any_attack"]
    scenario = sweep.scenario_at(3)
    assert scenario.streams["attack"].rate == pytest.approx(0.1)
    assert scenario.horizon_days == 100


def test_lhs_design_stratifies_each_range(project: Path):
    copy_poisson(project)
    file = write_sweep(
        project,
        "parameters:\n"
        "  streams.attack.rate: {low: 0.01, high: 1.0, log: true}\n"
        "  horizon_days: [50, 75, 100]\n"
        "design: lhs\nsamples: 30\nseed: 4\n",
    )
    sweep = load_sweep(file)
    assert sweep.points.shape == (30, 2)
    # One point in each of the 30 equal slices of the (log) range.
    slices = np.floor((np.log(sweep.points[:, 0]) - math.log(0.01)) / (math.log(100) / 30))
    assert sorted(slices.astype(int)) == list(range(30))
    # A list is sampled among its values only, each a third of the time.
    values, counts = np.unique(sweep.points[:, 1], return_counts=True)
    assert list(values) == [50, 75, 100]
    assert list(counts) == [10, 10, 10]
    # The same file gives the same design.
    np.testing.assert_array_equal(load_sweep(file).points, sweep.points)


def test_sobol_design_has_n_times_d_plus_2_points_in_range(project: Path):
    copy_poisson(project)
    file = write_sweep(
        project,
        "parameters:\n"
        "  streams.attack.rate: {low: 0.01, high: 1.0, log: true}\n" + TWO + "design: sobol\n"
        "samples: 32\n",
    )
    sweep = load_sweep(file)
    assert sweep.points.shape == (32 * (2 + 2), 2)
    assert sweep.points[:, 0].min() >= 0.01 and sweep.points[:, 0].max() <= 1.0
    assert sweep.points[:, 1].min() >= 50 and sweep.points[:, 1].max() <= 100
    problem = sweep.salib_problem()
    assert problem["bounds"] == [[math.log(0.01), math.log(1.0)], [50, 100]]


def test_fingerprint_follows_the_spec_and_the_base(project: Path):
    base = copy_poisson(project)
    file = write_sweep(project, RATE + "[0.1, 0.2]\ndesign: grid\nreplications: 30\n")
    first = load_sweep(file).fingerprint()
    assert load_sweep(file).fingerprint() == first
    write_sweep(project, RATE + "[0.1, 0.2]\ndesign: grid\nreplications: 40\n")
    changed = load_sweep(file).fingerprint()
    assert changed["spec_sha256"] != first["spec_sha256"]
    assert changed["base_sha256"] == first["base_sha256"]
    write_sweep(project, RATE + "[0.1, 0.2]\ndesign: grid\nreplications: 30\n")
    base.write_text(base.read_text().replace("rate: 0.5", "rate: 0.6"))
    rebased = load_sweep(file).fingerprint()
    assert rebased["spec_sha256"] == first["spec_sha256"]
    assert rebased["base_sha256"] != first["base_sha256"]
