"""The one dotted-path accessor: parse, format, get, set, delete, and the keys
the schema allows at a path."""

from __future__ import annotations

import pytest

from sim.scenario.fields import (
    MISSING,
    delete_path,
    format_path,
    get_path,
    known_keys,
    parse_path,
    set_path,
)
from sim.scenario.schema import Scenario


@pytest.mark.parametrize(
    ("text", "loc"),
    [
        ("rules.r.then[0].emit", ["rules", "r", "then", 0, "emit"]),
        ("streams.drone-attack.rate", ["streams", "drone-attack", "rate"]),
        ("observed.a[2]", ["observed", "a", 2]),
        ("a[0][1]", ["a", 0, 1]),
        ("name", ["name"]),
        ("", []),
    ],
)
def test_parse_and_format_are_inverse(text, loc):
    assert parse_path(text) == loc
    assert format_path(loc) == text


@pytest.mark.parametrize("text", ["a..b", ".a", "a.", "a[x]", "a[", "[0]", "a[0]b"])
def test_malformed_paths_are_refused(text):
    with pytest.raises(ValueError, match="not a dotted path"):
        parse_path(text)


def test_get_path():
    data = {"rules": {"r": {"then": [{"emit": "x"}]}}}
    assert get_path(data, "rules.r.then[0].emit") == "x"
    assert get_path(data, ["rules", "r", "then", 0]) == {"emit": "x"}
    assert get_path(data, "rules.r.then[1]") is MISSING
    assert get_path(data, "rules.q") is MISSING
    assert get_path(data, "rules.r.then.emit") is MISSING


def test_set_path_creates_only_what_it_may():
    data = {"rules": {"r": {"then": [{"emit": "x"}]}}}
    assert set_path(data, parse_path("rules.r.then[0].emit"), "y", lambda depth: False) is None
    assert data["rules"]["r"]["then"][0]["emit"] == "y"
    assert set_path(data, parse_path("rules.r.if.after_day"), 3, lambda depth: False) == 2
    assert set_path(data, parse_path("rules.r.if.after_day"), 3, lambda depth: True) is None
    assert data["rules"]["r"]["if"] == {"after_day": 3}
    assert set_path(data, parse_path("rules.r.then[5]"), 1, lambda depth: True) == 3


def test_delete_path():
    data = {"a": {"b": [1, 2]}}
    assert delete_path(data, ["a", "b", 0])
    assert data == {"a": {"b": [2]}}
    assert not delete_path(data, ["a", "c"])
    assert not delete_path(data, [])


def test_known_keys_follow_the_schema_through_unions_and_aliases():
    assert "self_excitation" in known_keys(Scenario, ["streams", "attack"])
    assert known_keys(Scenario, ["rules", "r", "if", "count"]) == [
        "event",
        "within_days",
        "at_least",
    ]
    assert "if" in known_keys(Scenario, ["rules", "r"])
    assert known_keys(Scenario, ["nope"]) == []
