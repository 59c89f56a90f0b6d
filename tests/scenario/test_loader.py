"""Reading scenario files: YAML problems, schema problems, line numbers, `on:`.

Every refusal must name the file, the line, the dotted path, what was
expected and what was found (docs: MODEL.md, "Errors").
"""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario import Scenario, load_scenario
from tests.conftest import (
    DELETE,
    SCHEMA_CASES,
    Bad,
    assert_bad_case,
    dump,
    line_of,
    problems_of,
    tweaked,
)


def test_minimal_scenario_loads(write_scenario):
    s = load_scenario(write_scenario())
    assert isinstance(s, Scenario)
    assert s.name == "mini"
    assert s.start_date == dt.date(2024, 1, 1)
    assert s.horizon_days == 100
    assert s.streams["attack"].rate == 0.5
    assert s.rules["respond"].probability == 0.1
    assert s.rules["respond"].delay is not None
    assert s.rules["respond"].delay.mean == 2
    assert s.rules["respond"].cooldown_days == 0  # the contract's default
    assert s.headline == "struck_level"
    assert s.origin is not None and s.origin.name == "scenario.yaml"


def test_scenario_is_frozen(write_scenario):
    s = load_scenario(write_scenario())
    with pytest.raises(ValidationError):
        s.horizon_days = 5  # type: ignore[misc]


@pytest.mark.parametrize("case", SCHEMA_CASES, ids=lambda c: c.id)
def test_schema_problem(case: Bad, write_scenario):
    assert_bad_case(case, write_scenario(case.changes))


def test_probability_bounds_are_inclusive(write_scenario):
    for value in (0, 1):
        s = load_scenario(write_scenario({"rules.respond.probability": value}))
        assert s.rules["respond"].probability == value


def test_on_is_read_as_a_key_not_a_boolean(write_scenario):
    # YAML 1.1 reads a bare `on` as true; a rule's `on:` must stay a key.
    file = write_scenario()
    assert "\n    on:\n" in file.read_text()
    s = load_scenario(file)
    assert s.rules["respond"].on == ("attack",)


def test_yes_no_on_off_stay_text(write_scenario):
    # Only true/false are booleans (YAML 1.2): rung names like these stay names.
    text = dump(tweaked())
    text = text.replace("ladder:\n- calm\n- attacked\n- struck", "ladder: [no, on, off]")
    s = load_scenario(write_scenario(text=text))
    assert s.ladder == ("no", "on", "off")


def test_multiple_problems_are_all_reported_at_once(write_scenario):
    file = write_scenario(
        {
            "streams.attack.rate": -1,
            "streams.attack.foo": 1,
            "rules.respond.probability": 2,
            "horizon_days": 0,
        }
    )
    problems = problems_of(file)
    assert len(problems) >= 3
    by_path = {p.path: p for p in problems}
    assert set(by_path) >= {
        "streams.attack.rate",
        "streams.attack.foo",
        "rules.respond.probability",
        "horizon_days",
    }
    assert by_path["streams.attack.rate"].line == line_of(file, "rate: -1")
    assert by_path["streams.attack.foo"].line == line_of(file, "foo: 1")
    assert by_path["rules.respond.probability"].line == line_of(file, "probability: 2")
    assert by_path["horizon_days"].line == line_of(file, "horizon_days: 0")
    assert all(p.file == "scenario.yaml" for p in problems)


def test_cross_reference_problems_are_all_reported_at_once(write_scenario):
    problems = problems_of(
        write_scenario(
            {
                "rules.respond.on": ["nope"],
                "outcomes.strike.event": "zz",
                "events.attack.actor": "nobody",
            }
        )
    )
    assert {p.path for p in problems} == {
        "rules.respond.on[0]",
        "outcomes.strike.event",
        "events.attack.actor",
    }


def test_unknown_top_level_key_lists_the_known_keys(write_scenario):
    (problem,) = problems_of(write_scenario({"horizon": 10}))
    assert problem.path == "horizon"
    assert problem.found == "unknown key 'horizon'"
    assert "horizon_days" in problem.expected and "streams" in problem.expected


def test_missing_required_key(write_scenario):
    (problem,) = problems_of(write_scenario({"name": DELETE}))
    assert problem.path == "name"
    assert problem.expected == "a value (required)"
    assert problem.found == "nothing"


@pytest.mark.parametrize(
    ("changes", "path", "expected", "found"),
    [
        ({"events.attack.rung": 1.5}, "events.attack.rung", "a whole number", "1.5"),
        ({"start_date": "2024-13-01"}, "start_date", "a date YYYY-MM-DD", "'2024-13-01'"),
        ({"actors.a.kind": "alien"}, "actors.a.kind", "'armed_faction'", "'alien'"),
        ({"actors": ["a", "b"]}, "actors", "a mapping", "a list of 2 item(s)"),
        ({"rules.respond.on": []}, "rules.respond", "exactly one of 'on: [EVENT", "neither"),
        ({"events.bad id": {"actor": "a"}}, "events.bad id", "an id: letters", "'bad id'"),
        ({"rules.respond.delay.dist": "weibull"}, "rules.respond.delay.dist", "'gamma'", "weibull"),
        (
            {"rules.respond.then[0].scale": {"stream": "attack", "factor": 1, "days": 1}},
            "rules.respond.then[0]",
            "exactly one of emit, scale, set_level",
            "emit, scale",
        ),
        (
            {"outcomes.strike.level_at_least": 1},
            "outcomes.strike",
            "exactly one of level_at_least, event",
            "both",
        ),
        (
            {"streams.attack.active": {"from_day": 10, "to_day": 5}},
            "streams.attack.active",
            "to_day greater than from_day",
            "to_day 5",
        ),
        (
            {"streams.attack.rate": float("inf")},
            "streams.attack.rate",
            "a finite number",
            "inf",
        ),
    ],
)
def test_more_schema_problems(write_scenario, changes, path, expected, found):
    (problem,) = problems_of(write_scenario(changes))
    assert problem.path == path
    assert expected in problem.expected
    assert found in problem.found
    assert problem.line is not None


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        ({"count": {"event": "attack", "within_days": -1, "at_least": 2}}, "if.count"),
        ({"count": [{"event": "attack", "within_days": -1, "at_least": 2}]}, "if.count[0]"),
    ],
)
def test_one_or_many_conditions_report_one_problem_at_the_written_path(
    write_scenario, condition, path
):
    # `count` may be one condition or a list; the problem is reported for the
    # form written, at the file's own path (no pydantic union member names).
    (problem,) = problems_of(write_scenario({"rules.respond.if": condition}))
    assert problem.path == f"rules.respond.{path}.within_days"
    assert problem.expected == "a number > 0.0"
    assert problem.found == "-1"


def test_unknown_key_inside_a_one_or_many_condition(write_scenario):
    condition = {"count": {"event": "attack", "within_dayz": 3, "at_least": 2}}
    problems = problems_of(write_scenario({"rules.respond.if": condition}))
    by_path = {p.path: p for p in problems}
    assert set(by_path) == {
        "rules.respond.if.count.within_days",
        "rules.respond.if.count.within_dayz",
    }
    assert by_path["rules.respond.if.count.within_dayz"].expected == (
        "one of: event, within_days, at_least"
    )


def test_malformed_source_reported_once(write_scenario):
    (problem,) = problems_of(write_scenario({"streams.attack.source": "no-anchor"}))
    assert problem.path == "streams.attack.source"
    assert "seeds/<file>.yaml#<fact-id>" in problem.expected
    assert problem.found == "'no-anchor'"


# --- files that are not scenario YAML ---------------------------------------------


def test_not_yaml(write_scenario):
    (problem,) = problems_of(write_scenario(text="a: [1, 2\n"))
    assert problem.file == "scenario.yaml"
    assert problem.expected == "valid YAML"
    assert "expected ',' or ']'" in problem.found
    assert problem.line == 2  # where the parser gave up: the end of the file
    assert problem.path == ""
    assert str(problem).startswith("scenario.yaml:2: expected valid YAML, found ")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(write_scenario, text):
    (problem,) = problems_of(write_scenario(text=text))
    assert problem.expected == "a scenario mapping"
    assert problem.found == "an empty file"


def test_top_level_list(write_scenario):
    (problem,) = problems_of(write_scenario(text="- a\n- b\n"))
    assert problem.line == 1
    assert problem.expected == "a mapping of scenario keys"
    assert problem.found == "a list of 2 item(s)"


def test_missing_file(project):
    (problem,) = problems_of(project / "absent.yaml")
    assert problem.file == "absent.yaml"
    assert problem.expected == "an existing file"
    assert problem.found == "no such file"
    assert str(problem) == "absent.yaml: expected an existing file, found no such file"


def test_directory_instead_of_file(project):
    (project / "folder.yaml").mkdir()
    (problem,) = problems_of(project / "folder.yaml")
    assert problem.found == "a directory"


def test_duplicate_keys_are_reported(write_scenario):
    text = dump(tweaked())
    text = text.replace("horizon_days: 100\n", "horizon_days: 100\nhorizon_days: 50\n")
    text = text.replace("    rate: 0.5\n", "    rate: 0.5\n    rate: 0.7\n")
    file = write_scenario(text=text)
    problems = problems_of(file)
    assert [(p.path, p.line) for p in problems] == [
        ("horizon_days", line_of(file, "horizon_days: 50")),
        ("streams.attack.rate", line_of(file, "rate: 0.7")),
    ]
    assert all(p.expected == "each key once" and p.found == "a duplicate key" for p in problems)


def test_python_tags_are_not_executed(write_scenario, project):
    marker = project / "pwned"
    text = f'name: !!python/object/apply:os.system ["touch {marker}"]\n'
    (problem,) = problems_of(write_scenario(text=text))
    assert problem.expected == "valid YAML"
    assert "could not determine a constructor" in problem.found
    assert not marker.exists()


def test_problem_formatting_without_line_or_path():
    assert str(Problem("f.yaml", None, "", "x", "y")) == "f.yaml: expected x, found y"
    assert str(Problem("f.yaml", 3, "a.b", "x", "y")) == "f.yaml:3: a.b: expected x, found y"
    error = ScenarioError([Problem("f", 1, "a", "x", "y"), Problem("g", 2, "b", "z", "w")])
    assert str(error) == "f:1: a: expected x, found y\ng:2: b: expected z, found w"
