"""Whole-file checks: references between parts, ladder bounds, explosive
branching, observed windows, evidence anchors, and the feedback warning."""

from __future__ import annotations

import numpy as np
import pytest

from sim.scenario import load_scenario
from sim.scenario.checks import offspring_matrix, scenario_warnings
from tests.conftest import CHECK_CASES, EVIDENCE_REF, Bad, assert_bad_case, problems_of


@pytest.mark.parametrize("case", CHECK_CASES, ids=lambda c: c.id)
def test_check_problem(case: Bad, write_scenario):
    assert_bad_case(case, write_scenario(case.changes))


def test_unknown_actor_in_rule_also_flags_its_emits(write_scenario):
    problems = problems_of(write_scenario({"rules.respond.actor": "zz"}))
    emit = next(p for p in problems if p.path == "rules.respond.then[0].emit")
    assert emit.expected == "an event whose actor is the rule's ('zz')"
    assert emit.found == "'strike', carried out by 'b'"


@pytest.mark.parametrize("branching", [1.0, 1.5])
def test_explosive_stream_is_accepted_with_max_events(write_scenario, branching):
    file = write_scenario(
        {
            "streams.attack.self_excitation.branching": branching,
            "streams.attack.max_events": 50,
        }
    )
    s = load_scenario(file)
    assert s.streams["attack"].self_excitation is not None
    assert s.streams["attack"].self_excitation.branching == branching
    assert s.streams["attack"].max_events == 50


def test_branching_just_below_one_is_accepted(write_scenario):
    s = load_scenario(write_scenario({"streams.attack.self_excitation.branching": 0.99}))
    assert s.streams["attack"].max_events is None


@pytest.mark.parametrize(
    ("changes", "path", "expected", "found"),
    [
        ({"events.attack.target": "zz"}, "events.attack.target", "an actor id", "'zz'"),
        ({"events.attack.rung": 3}, "events.attack.rung", "a rung from 0 to 2", "3"),
        ({"initial_level": 5}, "initial_level", "(the ladder has 3)", "5"),
        ({"outcomes.x": {"level_at_least": 9}}, "outcomes.x.level_at_least", "a rung", "9"),
        (
            {"rules.respond.then[1]": {"set_level": 4}},
            "rules.respond.then[1].set_level",
            "a rung",
            "4",
        ),
        ({"rules.respond.if.level_at_least": 3}, "rules.respond.if.level_at_least", "a rung", "3"),
        ({"ladder": ["calm", "calm", "war"]}, "ladder", "distinct rung names", "a repeated name"),
        (
            {"streams.attack.excited_by": {"attack": {"branching": 0.1, "decay_days": 1}}},
            "streams.attack.excited_by.attack",
            "another event type (own excitation goes under self_excitation)",
            "'attack'",
        ),
        (
            {"streams.nope": {"rate": 1, "assumption": "x"}},
            "streams.nope",
            "an event id (one of: attack, strike)",
            "'nope'",
        ),
        (
            {"rules.respond.if": {"count": {"event": "zz", "within_days": 3, "at_least": 2}}},
            "rules.respond.if.count.event",
            "an event id",
            "'zz'",
        ),
        (
            {
                "rules.respond.if": {
                    "count": [
                        {"event": "attack", "within_days": 3, "at_least": 2},
                        {"event": "zz", "within_days": 3, "at_least": 2},
                    ]
                }
            },
            "rules.respond.if.count[1].event",
            "an event id",
            "'zz'",
        ),
        (
            {"rules.respond.if": {"total": {"event": "zz", "at_least": 2}}},
            "rules.respond.if.total.event",
            "an event id",
            "'zz'",
        ),
        (
            {
                "observed.nope": [
                    {"from": "2024-01-01", "to": "2024-01-02", "count": 1, "assumption": "x"}
                ]
            },
            "observed.nope",
            "an event id",
            "'nope'",
        ),
        (
            {"observed.attack[0].to": "2023-12-01"},
            "observed.attack[0]",
            "to on or after from (2024-01-01)",
            "to 2023-12-01",
        ),
    ],
)
def test_more_check_problems(write_scenario, changes, path, expected, found):
    (problem,) = problems_of(write_scenario(changes))
    assert problem.path == path
    assert expected in problem.expected
    assert found in problem.found
    assert problem.line is not None


def test_adjacent_observed_windows_do_not_overlap(write_scenario):
    windows = [
        {"from": "2024-01-01", "to": "2024-01-31", "count": 3, "assumption": "x"},
        {"from": "2024-02-01", "to": "2024-02-29", "count": 4, "assumption": "x"},
        {"from": "2024-03-01", "to": "2024-04-09", "count": 5, "assumption": "x"},  # last day
    ]
    s = load_scenario(write_scenario({"observed.attack": windows}))
    assert [o.count for o in s.observed["attack"]] == [3, 4, 5]


def test_resolving_source_is_accepted(write_scenario):
    s = load_scenario(write_scenario({"streams.attack.source": EVIDENCE_REF}))
    assert s.streams["attack"].sources == (EVIDENCE_REF,)


def test_source_instead_of_assumption_is_enough(write_scenario):
    file = write_scenario(
        {"streams.attack.source": EVIDENCE_REF, "streams.attack.assumption": None}
    )
    s = load_scenario(file)
    assert s.streams["attack"].assumption is None


def test_dangling_source_in_a_list_is_located_by_index(write_scenario):
    file = write_scenario(
        {"streams.attack.source": [EVIDENCE_REF, "seeds/test_facts.yaml#missing-fact"]}
    )
    (problem,) = problems_of(file)
    assert problem.path == "streams.attack.source[1]"
    assert "no fact 'missing-fact' in seeds/test_facts.yaml" in problem.found


def test_source_in_an_invalid_evidence_file(write_scenario, project):
    (project / "seeds" / "broken.yaml").write_text("document: x\n", encoding="utf-8")
    (problem,) = problems_of(write_scenario({"rules.respond.source": "seeds/broken.yaml#a"}))
    assert problem.path == "rules.respond.source"
    assert "an invalid evidence file" in problem.found


def test_dangling_sources_everywhere_are_all_reported(write_scenario):
    file = write_scenario(
        {
            "streams.attack.source": "seeds/none.yaml#a",
            "rules.respond.source": "seeds/none.yaml#b",
            "observed.attack[0].source": "seeds/test_facts.yaml#c",
        }
    )
    assert {p.path for p in problems_of(file)} == {
        "streams.attack.source",
        "rules.respond.source",
        "observed.attack[0].source",
    }


def test_rule_without_provenance(write_scenario):
    (problem,) = problems_of(write_scenario({"rules.respond.assumption": "   "}))
    assert problem.path == "rules.respond"
    assert problem.found == "neither"


def test_observation_without_provenance(write_scenario):
    (problem,) = problems_of(write_scenario({"observed.attack[0].assumption": None}))
    assert problem.path == "observed.attack[0]"
    assert problem.found == "neither"


# --- the feedback warning -----------------------------------------------------------


def test_offspring_matrix(write_scenario):
    s = load_scenario(write_scenario())
    names, g = offspring_matrix(s)
    assert names == ["attack", "strike"]
    i, j = names.index("attack"), names.index("strike")
    assert g[i, i] == pytest.approx(0.3)  # own branching
    assert g[j, i] == pytest.approx(0.5)  # a strike excites attacks
    assert g[i, j] == pytest.approx(0.1)  # an attack draws a strike with p = 0.1
    assert g[j, j] == 0


def test_no_warning_for_a_subcritical_scenario(write_scenario):
    s = load_scenario(write_scenario())
    _, g = offspring_matrix(s)
    assert max(abs(np.linalg.eigvals(g))) < 1
    assert scenario_warnings(s) == []


def test_warning_when_feedback_is_explosive(write_scenario):
    # Each attack draws a strike (p = 1), each strike 2 attacks: eigenvalue > 1,
    # although the stream's own branching is below 1 (so the file is valid).
    s = load_scenario(
        write_scenario(
            {
                "rules.respond.probability": 1.0,
                "streams.attack.excited_by.strike.branching": 2.0,
            }
        )
    )
    warnings = scenario_warnings(s)
    assert len(warnings) == 1
    assert "largest eigenvalue" in warnings[0] and ">= 1" in warnings[0]


def test_warning_for_a_stream_that_never_fires(write_scenario):
    s = load_scenario(
        write_scenario(
            {
                "streams.strike": {"rate": 0, "assumption": "x"},
            }
        )
    )
    assert any("streams.strike has rate 0" in w for w in scenario_warnings(s))
