"""Runaway work is refused up front: the expected events per replication are
estimated from rates, horizon and feedback, and a loop certain to explode at
one instant is an error."""

from __future__ import annotations

import math

import pytest

from sim.errors import UsageError
from sim.scenario import load_scenario, with_overrides
from sim.scenario.checks import scenario_warnings
from sim.scenario.workload import (
    MAX_EVENTS_PER_REPLICATION,
    MAX_EVENTS_PER_RUN,
    check_workload,
    estimate_events,
    expected_events,
)
from tests.conftest import SCENARIOS, line_of
from tests.hostile.helpers import assert_cli_refused, invoke, one_at, refused_file

NO_RULES = {"rules": {}, "streams.attack.excited_by": {}}


def test_poisson_reference_is_its_known_mean():
    s = load_scenario(SCENARIOS / "reference" / "poisson_count.yaml")
    assert expected_events(s) == pytest.approx(50.0)


def test_hawkes_reference_is_its_closed_form_mean():
    # E[N] = mu T/(1-n) - mu n d/(1-n)^2 (1 - exp(-(1-n)T/d)) = 97.0 (see the file)
    s = load_scenario(SCENARIOS / "reference" / "hawkes_count.yaml")
    mu, n, d, t = 0.2, 0.6, 4.0, 200.0
    exact = mu * t / (1 - n) - mu * n * d / (1 - n) ** 2 * (1 - math.exp(-(1 - n) * t / d))
    assert expected_events(s) == pytest.approx(exact, rel=1e-6)


def test_supercritical_growth_over_the_horizon(write_scenario):
    # One self-exciting stream with branching n > 1 (capped, so the file is
    # valid): the mean intensity grows like exp((n - 1) t / d).
    changes = {
        **NO_RULES,
        "streams.attack.self_excitation": {"branching": 1.5, "decay_days": 2},
        "streams.attack.max_events": 10**9,
        "horizon_days": 40,
        "observed": {},
    }
    s = load_scenario(write_scenario(changes))
    mu, n, d, t = 0.5, 1.5, 2.0, 40.0
    exact = mu * t / (1 - n) - mu * n * d / (1 - n) ** 2 * (1 - math.exp((n - 1) * t / d))
    assert exact > 100_000  # e^10 growth
    estimate = estimate_events(s)
    assert estimate.total == pytest.approx(exact, rel=1e-6)
    assert estimate.largest == "attack"


def test_max_events_bounds_the_estimate(write_scenario):
    changes = {
        **NO_RULES,
        "streams.attack.self_excitation": {"branching": 3, "decay_days": 1},
        "streams.attack.max_events": 500,
    }
    s = load_scenario(write_scenario(changes))
    assert expected_events(s) == pytest.approx(500)
    assert check_workload(s, 1000) == pytest.approx(500)


def test_every_shipped_scenario_is_within_the_limits():
    for file in sorted(SCENARIOS.rglob("*.yaml")):
        s = load_scenario(file)
        assert check_workload(s, 10_000) < 10_000, file


@pytest.mark.parametrize(
    "changes",
    [
        {"streams.attack.rate": 1e9},
        {"horizon_days": 36500, "streams.attack.rate": 100},
        # cross-excitation loop with total branching above 1, through a delayed rule
        {
            "rules.respond.probability": 1,
            "streams.attack.excited_by.strike.branching": 5,
            "horizon_days": 1000,
        },
        # a scale factor above 1 that feeds itself (no cooldown)
        {
            "rules.respond": {
                "actor": "a",
                "on": ["attack"],
                "probability": 1,
                "delay": {"dist": "fixed", "days": 1},
                "then": [{"scale": {"stream": "attack", "factor": 50, "days": 10}}],
                "assumption": "escalation feeds itself",
            },
            "outcomes.strike": {"level_at_least": 2},
        },
    ],
    ids=["rate", "rate-and-horizon", "feedback", "scale"],
)
def test_runaway_scenarios_are_refused(write_scenario, changes):
    s = load_scenario(write_scenario(changes))
    with pytest.raises(UsageError) as info:
        check_workload(s, 100)
    message = str(info.value)
    assert message.startswith("scenario.yaml: expected at most 1,000,000 events per replication")
    assert "--allow-large" in message
    assert check_workload(s, 100, allow_large=True) > MAX_EVENTS_PER_REPLICATION


def test_overflowing_scale_factor_is_refused_without_warnings():
    # factor 1e308 on the flagship's restraint rule: the estimate overflows;
    # refused with a message, no numpy warning (warnings are errors here).
    s = load_scenario(SCENARIOS / "iraq_2024_israel_threat.yaml")
    path = "rules.baghdad_restrains_factions.then[1].scale.factor"
    for factor in (1e308, 1.5):  # 1.5 is explosive too: a replication never ends
        with pytest.raises(UsageError, match="events per replication"):
            check_workload(with_overrides(s, {path: factor}), 1)


def test_too_many_replications_is_refused(write_scenario):
    s = load_scenario(write_scenario())
    per_rep = expected_events(s)
    reps = int(MAX_EVENTS_PER_RUN / per_rep) + 1
    check_workload(s, reps - 2)
    with pytest.raises(UsageError, match="events in the whole run"):
        check_workload(s, reps)


def test_scale_below_one_does_not_raise_the_estimate(write_scenario):
    plain = expected_events(load_scenario(write_scenario()))
    assert plain > 0
    scaled = {"rules.respond.then[1].scale.factor": 0.1}
    assert expected_events(load_scenario(write_scenario(scaled))) == pytest.approx(plain)


# --- zero-delay loops -----------------------------------------------------------------

LOOP_RULE = {
    "actor": "b",
    "on": ["strike"],
    "then": [{"emit": "strike"}],
    "assumption": "a loop",
}


def test_zero_delay_self_loop_is_an_error(write_scenario):
    file = write_scenario({"rules.echo": LOOP_RULE})
    problem = one_at(refused_file(file), "rules.echo")
    assert problem.line == line_of(file, "echo:")
    assert "a rule loop that can end" in problem.expected
    assert problem.found == (
        "rules echo -> echo trigger each other at one instant with certainty, forever"
    )


def test_zero_delay_loop_through_two_rules_is_an_error(write_scenario):
    rules = {
        "rules.respond": {
            **LOOP_RULE,
            "actor": "a",
            "on": ["strike"],
            "then": [{"emit": "attack"}],
        },
        "rules.back": {**LOOP_RULE, "on": ["attack"], "delay": {"dist": "fixed", "days": 0}},
    }
    problem = one_at(refused_file(write_scenario(rules)), "rules.respond")
    assert "respond -> back -> respond" in problem.found


@pytest.mark.parametrize(
    "change",
    [
        {"probability": 0.9},
        {"delay": {"dist": "exponential", "mean": 1}},
        {"cooldown_days": 1},
        {"max_pending": 1},
        {"if": {"level_at_most": 1}},
    ],
    ids=["probability", "delay", "cooldown", "max-pending", "condition"],
)
def test_loop_that_may_end_is_only_a_warning(write_scenario, change):
    s = load_scenario(write_scenario({"rules.echo": {**LOOP_RULE, **change}}))
    if "cooldown_days" not in change and "probability" not in change:
        # radius >= 1 with the loop's probability 1: possible, not certain
        assert any("may be explosive" in w for w in scenario_warnings(s))


def test_cli_zero_delay_loop_exits_2(write_scenario):
    file = write_scenario({"rules.echo": LOOP_RULE})
    assert_cli_refused(
        invoke("validate", str(file)), "rules.echo: expected a rule loop that can end"
    )


def test_sweep_with_a_runaway_point_is_refused(project):
    from sim.sweep.spec import load_sweep
    from tests.sweep import copy_poisson, write_sweep

    copy_poisson(project)
    file = write_sweep(
        project,
        "parameters:\n  streams.attack.rate: {low: 0.1, high: 1.0e+7, levels: 3, log: true}\n"
        "design: grid\nreplications: 10\n",
    )
    sweep = load_sweep(file)
    with pytest.raises(UsageError) as info:
        sweep.check_workload()
    assert str(info.value).startswith(
        "sweep.yaml: expected at most 1,000,000 events per replication at every point, "
        "found an estimated 1e+09 at point 2 (streams.attack.rate=1e+07)"
    )
    assert sweep.check_workload(allow_large=True) == pytest.approx(
        10 * 100 * sum(float(v) for v in sweep.points[:, 0]), rel=1e-6
    )


def test_a_subnormal_branching_is_estimated_not_a_traceback(write_scenario):
    """branching 5e-324 with a decay: its weighted delay underflowed to 0, the mean
    delay was 0/0 and numpy raised LinAlgError (found by the differential test).
    Such a kernel adds nothing: the estimate is the stream without it."""
    kernel = "streams.attack.self_excitation"
    plain = load_scenario(
        write_scenario({**NO_RULES, kernel: {"branching": 0.0, "decay_days": 0.5}})
    )
    tiny = load_scenario(
        write_scenario({**NO_RULES, kernel: {"branching": 5e-324, "decay_days": 0.5}})
    )
    assert expected_events(tiny) == pytest.approx(expected_events(plain), rel=1e-12)
    assert math.isfinite(expected_events(tiny))


@pytest.mark.parametrize("mean", [5e-324, 1e-320, 1e-12])
def test_a_vanishing_rule_delay_is_estimated_as_immediate(write_scenario, mean):
    """A delay's mean of 5e-324 days passes validation (> 0); its weighted
    delay underflowed and the estimate raised ZeroDivisionError or
    LinAlgError. Such a delay is estimated as its limit, an immediate one."""
    delayed = load_scenario(
        write_scenario({"rules.respond.delay": {"dist": "exponential", "mean": mean}})
    )
    immediate = load_scenario(write_scenario({"rules.respond.delay": None}))
    assert expected_events(delayed) == pytest.approx(expected_events(immediate), rel=1e-9)
