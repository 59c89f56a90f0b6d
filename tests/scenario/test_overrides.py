"""`--set PATH=VALUE` and `with_overrides`: a new scenario, validated and checked
like a file; the original untouched."""

from __future__ import annotations

import pytest

from sim.errors import ScenarioError
from sim.scenario import load_scenario, parse_assignments, with_overrides
from sim.scenario.overrides import parse_value


@pytest.fixture
def scenario(write_scenario):
    return load_scenario(write_scenario())


def refused(scenario, overrides):
    with pytest.raises(ScenarioError) as info:
        with_overrides(scenario, overrides)
    return info.value.problems


def test_override_returns_a_new_validated_scenario(scenario):
    changed = with_overrides(scenario, {"streams.attack.rate": "0.3"})
    assert changed is not scenario
    assert changed.streams["attack"].rate == 0.3
    assert scenario.streams["attack"].rate == 0.5  # the original is untouched
    # everything else is carried over, including where the scenario came from
    assert changed.rules == scenario.rules
    assert changed.observed == scenario.observed
    assert changed.origin == scenario.origin


def test_numbers_are_used_as_given(scenario):
    # sweeps and calibration pass numbers, not text
    changed = with_overrides(scenario, {"rules.respond.probability": 0.25, "horizon_days": 50})
    assert changed.rules["respond"].probability == 0.25
    assert changed.horizon_days == 50


def test_several_overrides_at_once(scenario):
    changed = with_overrides(
        scenario,
        {
            "streams.attack.self_excitation.branching": "0.5",
            "rules.respond.delay.mean": "4",
            "rules.respond.then[1].scale.factor": "0",
            "rules.respond.on[0]": "strike",
        },
    )
    assert changed.streams["attack"].self_excitation.branching == 0.5
    assert changed.rules["respond"].delay.mean == 4
    assert changed.rules["respond"].then[1].scale.factor == 0
    assert changed.rules["respond"].on == ("strike",)


def test_override_of_an_optional_field_left_unset(scenario):
    assert "cooldown_days" not in scenario.rules["respond"].model_fields_set
    changed = with_overrides(
        scenario,
        {
            "rules.respond.cooldown_days": "7",
            "rules.respond.recheck": "true",
            "streams.attack.max_events": "20",
        },
    )
    assert changed.rules["respond"].cooldown_days == 7
    assert changed.rules["respond"].recheck is True
    assert changed.streams["attack"].max_events == 20
    assert scenario.rules["respond"].cooldown_days == 0


def test_override_inside_an_optional_part_left_unset(scenario):
    assert scenario.streams["attack"].active is None
    changed = with_overrides(scenario, {"streams.attack.active.from_day": "10"})
    assert changed.streams["attack"].active is not None
    assert changed.streams["attack"].active.from_day == 10


def test_invalid_value_is_refused_mentioning_set(scenario):
    (problem,) = refused(scenario, {"streams.attack.rate": "abc"})
    assert problem.file.startswith("--set")
    assert "streams.attack.rate=abc" in problem.file
    assert problem.path == "streams.attack.rate"
    assert problem.expected == "a number"
    assert problem.found == "'abc'"
    assert str(problem).startswith("--set streams.attack.rate=abc: streams.attack.rate: ")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("rules.respond.probability", "1.5", "a number <= 1"),
        ("streams.attack.rate", "-1", "a number >= 0"),
        ("horizon_days", "0", "a number > 0"),
        ("streams.attack.rate", ".inf", "a finite number"),
    ],
)
def test_out_of_range_value_is_refused(scenario, path, value, expected):
    (problem,) = refused(scenario, {path: value})
    assert problem.file.startswith("--set")
    assert problem.path == path
    assert expected in problem.expected


def test_overridden_scenario_goes_through_the_whole_file_checks(scenario):
    (problem,) = refused(scenario, {"rules.respond.then[0].emit": "nope"})
    assert problem.path == "rules.respond.then[0].emit"
    assert "an event id" in problem.expected
    (problem,) = refused(scenario, {"streams.attack.self_excitation.branching": "1.2"})
    assert problem.path == "streams.attack.self_excitation.branching"
    assert "own branching below 1" in problem.expected


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("streams.nope.rate", "nothing at 'streams.nope'"),
        ("streams.attack.nope", "no 'nope' at 'streams.attack'"),
        ("rules.respond.then[5].emit", "nothing at 'rules.respond.then[5]'"),
        ("nope", "no 'nope' at 'top level'"),
    ],
)
def test_path_that_does_not_exist(scenario, path, found):
    (problem,) = refused(scenario, {path: "1"})
    assert problem.file == f"--set {path}"
    assert problem.path == path
    assert problem.expected == "a path that exists in the scenario"
    assert problem.found == found


def test_every_bad_path_is_reported(scenario):
    problems = refused(scenario, {"streams.nope.rate": "1", "rules.nope.probability": "0.1"})
    assert [p.path for p in problems] == ["streams.nope.rate", "rules.nope.probability"]


def test_load_scenario_applies_overrides(write_scenario):
    s = load_scenario(write_scenario(), {"streams.attack.rate": "2"})
    assert s.streams["attack"].rate == 2


def test_parse_assignments():
    assert parse_assignments(["a.b=1", " c = x=y "]) == {"a.b": "1", "c": "x=y"}
    with pytest.raises(ScenarioError) as info:
        parse_assignments(["a.b=1", "nonsense", "=3"])
    problems = info.value.problems
    assert [p.path for p in problems] == ["nonsense", "=3"]
    assert all(p.file == "--set" and p.expected == "PATH=VALUE" for p in problems)


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.3", 0.3), ("3", 3), ("true", True), ("on", "on"), ("abc", "abc"), ("", None)],
)
def test_values_are_read_as_yaml_scalars(text, value):
    assert parse_value(text) == value
    assert type(parse_value(text)) is type(value)
