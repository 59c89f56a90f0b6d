"""Pydantic's errors as the contract's problems: one problem per mistake,
none that contradicts the file."""

from __future__ import annotations

import pytest

from tests.conftest import line_of, problems_of

BOTH = {"emit": "strike", "scale": {"stream": "attack", "factor": 2, "days": 1}}


def test_an_action_with_two_kinds_is_one_problem_not_a_short_list(write_scenario):
    # pydantic also says the list is "too short" (0 valid items) though it holds one
    file = write_scenario({"rules.respond.then": [BOTH]})
    (problem,) = problems_of(file)
    assert problem.path == "rules.respond.then[0]"
    assert problem.expected == "exactly one of emit, scale, set_level"
    assert problem.found == "emit, scale"
    assert problem.line == line_of(file, "- emit: strike")


def test_every_refused_item_is_reported_and_the_list_is_not(write_scenario):
    file = write_scenario({"rules.respond.then": [BOTH, {"set_level": 1, "emit": "strike"}]})
    assert {p.path for p in problems_of(file)} == {
        "rules.respond.then[0]",
        "rules.respond.then[1]",
    }


@pytest.mark.parametrize(("path", "value"), [("rules.respond.then", []), ("ladder", ["calm"])])
def test_a_list_written_too_short_is_still_reported(write_scenario, path, value):
    (problem,) = problems_of(write_scenario({path: value}))
    assert problem.path == path
    assert problem.expected.startswith("at least ")
