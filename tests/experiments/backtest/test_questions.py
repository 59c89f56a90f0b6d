"""Questions files: a valid file loads; each bad input is refused with a
located message (the `ScenarioError` the CLI turns into exit code 2)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sim.errors import ScenarioError
from sim.experiments.backtest.questions import load_questions
from tests.conftest import EVIDENCE_REF, REPO, SCENARIOS, flat, line_of
from tests.experiments.backtest.helpers import question, write_questions


def test_a_valid_file_loads_with_its_scenarios(project: Path) -> None:
    path = write_questions(
        project,
        {
            "base_rate": {"value": 0.3, "source": EVIDENCE_REF},
            "questions": [
                question(),
                question(
                    id="calm-window",
                    outcome="any_attack",
                    set={"streams.attack.rate": 0.25},
                    window={"from": "2024-01-03", "to": "2024-01-04"},
                    resolution="did_not_happen",
                    source=EVIDENCE_REF,
                    frozen="2024-01-02",
                ),
            ],
            "left_out": [{"id": "later", "reason": "no source for the resolution"}],
        },
    )
    qs = load_questions(path)
    first, second = qs.questions
    assert first.happened and first.happened_on == dt.date(2024, 1, 18) and first.happened_exact
    assert first.window_days() == (0.0, 20.0)
    assert not second.happened
    assert second.scenario.streams["attack"].rate == 0.25
    assert second.window_days() == (2.0, 4.0) and second.frozen_day() == 1.0
    assert qs.base_rate is not None and qs.base_rate.value == 0.3
    assert qs.left_out[0].reason == "no source for the resolution"


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "missing scenario",
        {"scenario": "../scenarios/nowhere.yaml"},
        "scenario:",
        "expected an existing scenario file (relative to the questions file), found no file",
    ),
    (
        "unknown outcome",
        {"outcome": "invasion"},
        "outcome:",
        "expected an outcome of the scenario (ten_attacks, any_attack), found 'invasion'",
    ),
    (
        "resolution date outside the window",
        {"resolution": {"happened": "2024-01-25"}},
        "happened:",
        "expected a date within the window (2024-01-01 to 2024-01-20), found 2024-01-25",
    ),
    (
        "window outside the horizon",
        {"window": {"from": "2024-01-01", "to": "2024-06-01"}},
        "to:",
        "expected a date within the scenario's horizon (2024-01-01 to 2024-04-09), "
        "found 2024-06-01",
    ),
    (
        "unknown resolution word",
        {"resolution": "maybe"},
        "resolution:",
        "expected {happened: DATE}, {happened_by: DATE} or 'did_not_happen', found 'maybe'",
    ),
    (
        "happened_by outside the window",
        {"resolution": {"happened_by": "2024-01-25"}},
        "happened_by:",
        "expected a date within the window (2024-01-01 to 2024-01-20), found 2024-01-25",
    ),
    (
        "both happened and happened_by",
        {"resolution": {"happened": "2024-01-05", "happened_by": "2024-01-06"}},
        "resolution:",
        "expected {happened: DATE}, {happened_by: DATE} or 'did_not_happen'",
    ),
    (
        "frozen after the window starts",
        {"frozen": "2024-01-05"},
        "frozen:",
        "expected a date on or before the window's start (2024-01-01)",
    ),
    (
        "dangling evidence",
        {"source": "seeds/test_facts.yaml#no-such-fact"},
        "source:",
        "expected a source naming an existing evidence file and fact, found no fact",
    ),
    (
        "a path the scenario lacks",
        {"set": {"streams.atack.rate": 0.3}},
        "set.streams.atack.rate:",
        "expected a path that exists in the scenario",
    ),
    (
        "an unknown key",
        {"resolved": "yes"},
        "resolved:",
        "expected one of: id, text, scenario",
    ),
]


@pytest.mark.parametrize(("case", "changes", "key", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_a_located_message(
    project: Path, case: str, changes: dict[str, Any], key: str, message: str
) -> None:
    path = write_questions(project, {"questions": [question(), question(id="bad", **changes)]})
    with pytest.raises(ScenarioError) as caught:
        load_questions(path)
    text = flat(str(caught.value))
    field = key.split(".")[-1].rstrip(":")
    line = line_of(path, f"{field}:", after="id: bad")
    assert f"backtests/q.yaml:{line}: questions[1]." in text
    assert key in text
    assert message in text


def test_every_problem_is_reported_at_once(project: Path) -> None:
    path = write_questions(
        project,
        {
            "questions": [
                question(outcome="invasion", frozen="2024-02-01"),
                question(),
            ]
        },
    )
    with pytest.raises(ScenarioError) as caught:
        load_questions(path)
    paths = {p.path for p in caught.value.problems}
    assert {"questions[0].outcome", "questions[0].frozen", "questions[1].id"} <= paths


def test_an_empty_or_missing_file_is_refused(project: Path) -> None:
    path = write_questions(project, {"questions": []})
    with pytest.raises(ScenarioError, match="expected a list of at least one question"):
        load_questions(path)
    with pytest.raises(ScenarioError, match="no such file"):
        load_questions(project / "nothing.yaml")


def test_a_broken_scenario_reports_its_own_problems(project: Path) -> None:
    path = write_questions(project, {"questions": [question()]})
    broken = project / "scenarios" / "reference" / "poisson_count.yaml"
    broken.write_text(broken.read_text().replace("rate: 0.5", "rate: -1"), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_questions(path)
    text = str(caught.value)
    assert "expected a valid scenario" in text
    assert "poisson_count.yaml:" in text and "streams.attack.rate" in text


def test_a_scenario_citing_later_evidence_is_hindsight(project: Path) -> None:
    """The test evidence file is published 2024-01-15: a question frozen before
    then, on a scenario that cites it, is refused; frozen on that day it loads."""
    path = write_questions(project, {"questions": [question()]})
    cited = project / "scenarios" / "reference" / "cited.yaml"
    text = (project / "scenarios" / "reference" / "poisson_count.yaml").read_text()
    cited.write_text(
        text.replace(
            "    assumption: reference process with a closed-form answer",
            f"    source: {EVIDENCE_REF}",
        ),
        encoding="utf-8",
    )
    late = {"from": "2024-01-15", "to": "2024-01-20"}
    for frozen, ok in (("2024-01-14", False), ("2024-01-15", True)):
        q = question(scenario="../scenarios/reference/cited.yaml", frozen=frozen, window=late)
        path = write_questions(project, {"questions": [q]})
        if ok:
            assert load_questions(path).questions[0].frozen == dt.date(2024, 1, 15)
            continue
        with pytest.raises(ScenarioError) as caught:
            load_questions(path)
        text = flat(str(caught.value))
        assert f"backtests/q.yaml:{line_of(path, 'frozen:')}: questions[0].frozen:" in text
        assert f"its information runs to 2024-01-15: {EVIDENCE_REF}" in text
        assert "found 2024-01-14, so the scenario uses hindsight" in text


def test_a_file_may_hold_no_questions_only_with_its_reasons(project: Path) -> None:
    reasons = [{"id": "episode-x", "reason": "no source for the resolution"}]
    path = write_questions(project, {"questions": [], "left_out": reasons})
    loaded = load_questions(path)
    assert loaded.questions == () and loaded.left_out[0].id == "episode-x"


def test_the_episode_question_set_loads_and_records_its_reasons() -> None:
    loaded = load_questions(REPO / "backtests" / "episodes.yaml")
    assert [q.id for q in loaded.questions] == [
        "june-2025-us-strikes-iran-within-a-week",
        "june-2025-fighting-halts-within-a-month",
    ]
    assert all(q.happened for q in loaded.questions)
    assert [q.happened_exact for q in loaded.questions] == [False, True]
    assert len(loaded.left_out) == 7


def test_an_episode_scenario_frozen_at_its_start_is_hindsight(tmp_path: Path) -> None:
    """The 2024 flagship cites evidence published on 2025-06-17 (seeds/004)."""
    q = question(
        scenario=str(SCENARIOS / "iraq_2024_israel_threat.yaml"),
        outcome="israeli_strike_in_iraq",
        window={"from": "2024-08-01", "to": "2024-11-26"},
        resolution="did_not_happen",
        frozen="2024-08-01",
    )
    path = write_questions(tmp_path, {"questions": [q]})
    with pytest.raises(ScenarioError, match="its information runs to 2025-06-17"):
        load_questions(path)


def test_a_data_file_may_be_the_source(project: Path) -> None:
    (project / "backtests").mkdir(exist_ok=True)
    (project / "backtests" / "events.csv").write_text("date,type\n2024-01-18,attack\n")
    path = write_questions(project, {"questions": [question(source="events.csv")]})
    assert load_questions(path).questions[0].source == "events.csv"
    path = write_questions(project, {"questions": [question(source="missing.csv")]})
    with pytest.raises(ScenarioError, match=r"no file missing\.csv next to backtests/q\.yaml"):
        load_questions(path)


def test_a_key_written_twice_is_located_not_resolved_silently(project: Path) -> None:
    """YAML keeps the last of two equal keys: a question with `id: q1` and
    `id: q2` would be scored as q2 without a word."""
    path = write_questions(project, {"questions": [question(id="q1")]})
    text = path.read_text(encoding="utf-8").replace("- id: q1\n", "- id: q1\n  id: q2\n", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_questions(path)
    line = line_of(path, "id: q2")
    assert [str(p) for p in caught.value.problems] == [
        f"{caught.value.problems[0].file}:{line}: questions[0].id: expected each key once, "
        "found a duplicate key"
    ]
    assert caught.value.problems[0].file.endswith("backtests/q.yaml")
