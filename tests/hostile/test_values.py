"""Values of the right YAML kind but the wrong meaning: a date with a time of
day, true/false where a number belongs, a law whose spread float64 cannot
hold. Each is a located problem (exit 2 on the command line), never a
traceback and never a silently changed number."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sim.scenario import load_scenario
from sim.scenario.distributions import UNUSABLE
from tests.conftest import line_of
from tests.hostile.helpers import assert_cli_refused, invoke, one_at, refused, refused_file

NOON = dt.datetime(2023, 12, 30, 12, 0)
DAY_ONLY = "a date YYYY-MM-DD (whole days, no time of day)"

# --- dates with a time of day ----------------------------------------------------------


def test_history_dates_with_a_time_of_day_are_located_problems(write_scenario):
    file = write_scenario(
        {
            "history": {
                "events": {"attack": [dt.date(2023, 12, 29), NOON]},
                "fired": {"respond": [dt.datetime(2023, 12, 31, 8, 0)]},
                "assumption": "x",
            }
        }
    )
    problems = refused_file(file)
    assert {p.path for p in problems} == {"history.events.attack[1]", "history.fired.respond[0]"}
    event = one_at(problems, "history.events.attack[1]")
    assert event.expected == DAY_ONLY
    assert event.found == "a date and time 2023-12-30 12:00:00"
    assert event.line == line_of(file, "2023-12-30 12:00:00")
    assert one_at(problems, "history.fired.respond[0]").line == line_of(file, "2023-12-31 08:00")


def test_a_time_of_day_at_midnight_is_refused_too(write_scenario):
    # pydantic would drop a zero time silently; the contract's dates are whole days
    file = write_scenario({"start_date": dt.datetime(2024, 1, 1, 0, 0)})
    problem = one_at(refused_file(file), "start_date")
    assert (problem.expected, problem.found) == (DAY_ONLY, "a date and time 2024-01-01 00:00:00")


def test_observed_window_and_quoted_text_with_a_time(write_scenario):
    file = write_scenario(
        {"observed.attack[0].from": NOON, "observed.attack[0].to": "2024-01-31T06:00"}
    )
    problems = refused_file(file)
    assert one_at(problems, "observed.attack[0].from").found.startswith("a date and time")
    assert one_at(problems, "observed.attack[0].to").found == "a date and time 2024-01-31T06:00"


def test_history_date_with_a_time_on_the_command_line(write_scenario):
    file = write_scenario(
        {"history": {"events": {"attack": [NOON]}, "assumption": "x"}}, name="h.yaml"
    )
    assert_cli_refused(invoke("validate", str(file)), "history.events.attack[0]", DAY_ONLY)


# --- true and false are not numbers ------------------------------------------------------

NOT_A_NUMBER = "true (true/false is not a number)"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("horizon_days", "a number"),
        ("streams.attack.rate", "a number"),
        ("streams.attack.self_excitation.decay_days", "a number"),
        ("rules.respond.probability", "a number"),
        ("rules.respond.delay.mean", "a number"),
        ("rules.respond.then[1].scale.factor", "a number"),
        ("events.attack.rung", "a whole number"),
        ("initial_level", "a whole number"),
        ("observed.attack[0].count", "a whole number"),
    ],
)
def test_true_is_refused_where_a_number_belongs(write_scenario, path, expected):
    file = write_scenario({path: True})
    problem = one_at(refused_file(file), path)
    assert (problem.expected, problem.found) == (expected, NOT_A_NUMBER)
    assert problem.line is not None


def test_false_in_a_law_is_refused(write_scenario):
    file = write_scenario({"streams.attack.rate": {"dist": "uniform", "low": False, "high": 1}})
    problem = one_at(refused_file(file), "streams.attack.rate.low")
    assert problem.found == "false (true/false is not a number)"


def test_true_in_an_evidence_figure_is_refused(write_scenario, project: Path):
    from sim.scenario.evidence import load_evidence_file
    from tests.conftest import EVIDENCE

    path = project / "seeds" / "bools.yaml"
    path.write_text(EVIDENCE.replace("{attacks: 10}", "{attacks: true}"), encoding="utf-8")
    (problem,) = refused(lambda: load_evidence_file(path))
    assert (problem.path, problem.found) == ("facts[0].figures.attacks", NOT_A_NUMBER)


@pytest.mark.parametrize("path", ["horizon_days", "rules.respond.probability"])
def test_true_is_refused_on_the_command_line(write_scenario, path):
    file = write_scenario()
    assert_cli_refused(
        invoke("validate", str(file), "--set", f"{path}=true"), path, "expected a number"
    )


def test_set_true_is_refused_by_the_api(write_scenario):
    file = write_scenario()
    problem = one_at(
        refused(lambda: load_scenario(file, {"streams.attack.rate": "true"})),
        "streams.attack.rate",
    )
    assert problem.found == NOT_A_NUMBER


def test_booleans_where_the_contract_wants_them_still_load(write_scenario):
    assert load_scenario(write_scenario({"rules.respond.recheck": True})).rules["respond"].recheck


# --- laws whose spread float64 cannot hold ------------------------------------------------

DEGENERATE = [
    {"dist": "beta", "mean": 0.5, "sd": 1e-200},  # shapes divide by zero
    {"dist": "beta", "mean": 0.5, "sd": 1e-160},  # shapes overflow: nan draws
    {"dist": "beta", "mean": 1e-300, "sd": 1e-301},
    {"dist": "gamma", "mean": 0.5, "cv": 1e-200},  # shape 1/cv^2 divides by zero
    {"dist": "gamma", "mean": 0.5, "cv": 1e-160},
    {"dist": "gamma", "mean": 0.5, "cv": 1e200},  # cv^2 overflows
    {"dist": "gamma", "mean": 0.5, "cv": 1e10},  # every draw 0, mean 0.5
    {"dist": "lognormal", "median": 0.2, "sigma": 38},  # mean overflows
    {"dist": "uniform", "low": -1e308, "high": 1e308},  # width overflows
    {"dist": "pert", "low": -1e308, "mode": 0, "high": 1e308},
]


@pytest.mark.parametrize("law", DEGENERATE, ids=lambda law: "-".join(map(str, law.values())))
def test_a_law_float64_cannot_evaluate_is_a_located_problem(write_scenario, law):
    path = "rules.respond.probability" if law["dist"] == "beta" else "streams.attack.rate"
    file = write_scenario({path: law})
    problem = one_at(refused_file(file), path)
    assert problem.expected == UNUSABLE
    assert problem.found.startswith(f"{law['dist']}(")
    assert problem.line == line_of(file, path.rsplit(".", 1)[1] + ":")


def test_a_degenerate_law_on_the_command_line(write_scenario):
    file = write_scenario()
    result = invoke(
        "validate",
        str(file),
        "--set",
        "rules.respond.probability={dist: beta, mean: 0.5, sd: 1e-200}",
    )
    assert_cli_refused(result, "rules.respond.probability", "a division by zero")


def test_a_narrow_but_computable_law_is_accepted(write_scenario):
    law = {"dist": "beta", "mean": 0.5, "sd": 1e-10}
    s = load_scenario(write_scenario({"rules.respond.probability": law}))
    assert s.rules["respond"].probability == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("delay", "found"),
    [
        ({"dist": "gamma", "mean": 5, "cv": 1e-200}, "mean 5, cv 1e-200"),
        ({"dist": "gamma", "mean": 5, "cv": 1e200}, "mean 5, cv 1e+200"),
        ({"dist": "lognormal", "median": 5, "sigma": 40}, "median 5, sigma 40"),
    ],
)
def test_a_delay_float64_cannot_draw_is_a_located_problem(write_scenario, delay, found):
    # the engine computes shape 1/cv^2 and the workload the mean: both crashed mid-run
    file = write_scenario({"rules.respond.delay": delay})
    problem = one_at(refused_file(file), "rules.respond.delay")
    assert problem.found == found
    assert problem.line == line_of(file, "delay:")


def test_a_samples_file_of_one_row_stays_accepted(write_scenario, project: Path):
    # docs/MODEL.md: a samples file must hold at least one row; one is a fixed draw
    (project / "one.csv").write_text("rate\n0.3\n", encoding="utf-8")
    law = {"samples": "one.csv", "column": "rate"}
    s = load_scenario(write_scenario({"streams.attack.rate": law}))
    assert s.uncertain["streams.attack.rate"].attainable() == (0.3, 0.3)
