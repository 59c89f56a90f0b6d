"""Regimes and hazard rules in a scenario file: what validates, and each bad
input refused through the one gate with a located message (`escsim validate`
exits 2, prints `file:line: path: expected X, found Y`, writes nothing)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.engine import compile_model
from sim.montecarlo.fast.select import resolve_engine, unsupported_features
from sim.montecarlo.parameters import Parameters
from sim.scenario import load_scenario
from sim.scenario.checks import scenario_warnings
from tests.conftest import files_under, flat, line_of, problems_of

REGIME: dict[str, Any] = {
    "label": "truce elsewhere",
    "onset": {"hazard": 0.01, "while": {"level_at_least": 1}},
    "duration": {"dist": "gamma", "mean": 20, "cv": 0.5},
    "streams": {"attack": {"factor": 0.1}},
    "rules": {"respond": {"factor": 0}},
    "assumption": "a test regime",
}
HAZARD_RULE: dict[str, Any] = {
    "actor": "b",
    "hazard": 0.02,
    "if": {"count": {"event": "attack", "within_days": 30, "at_least": 5}},
    "cooldown_days": 10,
    "then": [{"emit": "strike"}],
    "assumption": "a test hazard",
}
GOOD = {
    "regimes": {"truce": REGIME},
    "rules.decide": HAZARD_RULE,
    "outcomes.truce": {"regime": "truce"},
}


def test_a_scenario_with_regimes_and_a_hazard_rule_validates(write_scenario):
    s = load_scenario(write_scenario(copy.deepcopy(GOOD)))
    assert s.regimes["truce"].onset.hazard == 0.01
    assert s.rules["decide"].hazard == 0.02 and s.rules["decide"].on == ()
    assert s.outcomes["truce"].regime == "truce"
    assert s.regime_label("truce") == "truce elsewhere"


def test_uncertain_regime_and_hazard_numbers_reach_the_compiled_model(write_scenario):
    changes = {
        **GOOD,
        "regimes.truce.onset.hazard": {"dist": "uniform", "low": 0.01, "high": 0.02},
        "regimes.truce.duration.mean": {"dist": "uniform", "low": 10, "high": 30},
        "regimes.truce.streams.attack.factor": {"dist": "uniform", "low": 0, "high": 0.2},
        "rules.decide.hazard": {"dist": "lognormal", "median": 0.02, "sigma": 0.3},
    }
    s = load_scenario(write_scenario(copy.deepcopy(changes)))
    params = Parameters.of(compile_model(s))
    row = params.draw(5, [0])[0]
    model = params.apply(row)
    values = dict(zip(params.names, row, strict=True))
    assert model.regimes[0].hazard == values["regimes.truce.onset.hazard"]
    assert model.regimes[0].stream_factors == ((0, values["regimes.truce.streams.attack.factor"]),)
    rules = {spec.ident: spec for spec in model.rules}
    assert rules["decide"].hazard == values["rules.decide.hazard"]


def test_the_fast_engine_runs_regimes_and_hazard_rules(write_scenario):
    # Bit-identity with the SimPy engine: tests/montecarlo/fast/test_differential_hazards.py.
    s = load_scenario(write_scenario(copy.deepcopy(GOOD)))
    assert unsupported_features(s) == []
    assert resolve_engine("fast", s) == "fast"


CASES = [
    (
        "unknown-stream",
        {"regimes.truce.streams": {"atack": {"factor": 0}}},
        "regimes.truce.streams.atack",
        "a stream id (one of: attack)",
        ("atack:", "regimes:"),
    ),
    (
        "unknown-rule",
        {"regimes.truce.rules": {"respnd": {"factor": 0}}},
        "regimes.truce.rules.respnd",
        "a rule id (one of: decide, respond)",
        ("respnd:", "regimes:"),
    ),
    (
        "unknown-trigger-event",
        {"regimes.truce.onset": {"on": ["strik"]}},
        "regimes.truce.onset.on[0]",
        "an event id",
        ("strik", "regimes:"),
    ),
    (
        "negative-hazard",
        {"regimes.truce.onset.hazard": -0.1},
        "regimes.truce.onset.hazard",
        "a number >= 0",
        ("hazard: -0.1", None),
    ),
    (
        "negative-factor",
        {"regimes.truce.streams.attack.factor": -1},
        "regimes.truce.streams.attack.factor",
        "a number >= 0",
        ("factor: -1", "regimes:"),
    ),
    (
        "duration-law-incomplete",
        {"regimes.truce.duration": {"dist": "gamma", "mean": 20}},
        "regimes.truce.duration",
        "gamma delay with mean, cv",
        ("duration:", None),
    ),
    (
        "duration-law-unknown",
        {"regimes.truce.duration": {"dist": "weibull", "mean": 20}},
        "regimes.truce.duration.dist",
        "'gamma'",
        ("dist: weibull", None),
    ),
    (
        "onset-neither-kind",
        {"regimes.truce.onset": {"probability": 0.5}},
        "regimes.truce.onset",
        "'hazard: RATE', 'on: [EVENT, ...]' or both",
        ("onset:", None),
    ),
    (
        "hazard-onset-with-delay",
        {"regimes.truce.onset.delay": {"dist": "fixed", "days": 1}},
        "regimes.truce.onset",
        "'if', 'probability' and 'delay' only with 'on: [EVENT, ...]'",
        ("onset:", None),
    ),
    (
        "triggered-onset-with-while",
        {"regimes.truce.onset": {"on": ["attack"], "while": {"level_at_least": 1}}},
        "regimes.truce.onset",
        "'while' only with 'hazard: RATE'",
        ("onset:", None),
    ),
    (
        "condition-rung-off-the-ladder",
        {"regimes.truce.onset.while.level_at_least": 7},
        "regimes.truce.onset.while.level_at_least",
        "a rung from 0 to 2",
        ("level_at_least: 7", "regimes:"),
    ),
    (
        "no-effect",
        {"regimes.truce.streams": {}, "regimes.truce.rules": {}},
        "regimes.truce",
        "at least one effect",
        ("truce:", "regimes:"),
    ),
    (
        "no-source",
        {"regimes.truce.assumption": ""},
        "regimes.truce",
        "'source: seeds/<file>.yaml#<fact-id>' or 'assumption: <reasoning>'",
        ("truce:", "regimes:"),
    ),
    (
        "unknown-outcome-regime",
        {"outcomes.truce": {"regime": "truse"}},
        "outcomes.truce.regime",
        "a regime id (one of: truce)",
        ("regime: truse", None),
    ),
    (
        "rule-with-hazard-and-on",
        {"rules.decide.on": ["attack"]},
        "rules.decide",
        "exactly one of 'on: [EVENT, ...]'",
        ("decide:", None),
    ),
    (
        "hazard-rule-with-probability",
        {"rules.decide.probability": 0.5},
        "rules.decide",
        "no probability on a hazard rule",
        ("decide:", None),
    ),
    (
        "negative-rule-hazard",
        {"rules.decide.hazard": -0.02},
        "rules.decide.hazard",
        "a number >= 0",
        ("hazard: -0.02", "decide:"),
    ),
    (
        "uncertain-factor-below-zero",
        {"regimes.truce.streams.attack.factor": {"dist": "uniform", "low": -1, "high": 1}},
        "regimes.truce.streams.attack.factor",
        "a distribution inside [0, inf)",
        ("factor:", "regimes:"),
    ),
]


@pytest.mark.parametrize(
    ("changes", "path", "expected", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_regime_or_hazard_rule_is_refused_by_validate(
    changes, path, expected, line, write_scenario, project
):
    file = write_scenario(copy.deepcopy({**GOOD, **changes}))
    problems = [p for p in problems_of(file) if p.path == path]
    assert problems, problems_of(file)
    assert expected in problems[0].expected
    before = files_under(project)
    result = CliRunner().invoke(app, ["validate", file.name])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert files_under(project) == before
    message = flat(result.stderr)
    assert f"scenario.yaml:{line_of(file, *line)}: {path}: expected " in message


def test_a_stream_factor_that_makes_the_stream_explosive_is_warned(write_scenario):
    # The minimal scenario's attack stream has own branching 0.3: a factor 4
    # makes it 1.2 while the regime is on.
    s = load_scenario(
        write_scenario(copy.deepcopy({**GOOD, "regimes.truce.streams.attack.factor": 4}))
    )
    (warning,) = [w for w in scenario_warnings(s) if w.startswith("regimes.")]
    assert "regimes.truce.streams.attack.factor" in warning and "1.20 >= 1" in warning


def test_a_variant_changes_and_adds_regimes_by_id(write_scenario, project):
    write_scenario(copy.deepcopy(GOOD), name="base.yaml")
    variant = project / "variant.yaml"
    variant.write_text(
        "extends: base.yaml\n"
        "name: variant\n"
        "regimes:\n"
        "  truce:\n"
        "    streams: {attack: {factor: 0.5}}\n"
        "add:\n"
        "  regimes:\n"
        "    crackdown:\n"
        "      onset: {on: [strike], probability: 0.5}\n"
        "      streams: {attack: {factor: 0.2}}\n"
        "      assumption: a test\n",
        encoding="utf-8",
    )
    s = load_scenario(variant)
    assert s.regimes["truce"].streams["attack"].factor == 0.5
    assert s.regimes["truce"].onset.hazard == 0.01  # the rest merged from the base
    assert s.regimes["crackdown"].onset.on == ("strike",)
