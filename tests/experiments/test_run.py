"""`sim.experiments.run.run` with `precision`: the first batch never exceeds
`max_reps`, and a result that stopped at `max_reps` before reaching the
target says so."""

from __future__ import annotations

import pytest

from sim.errors import UsageError
from sim.experiments.run import run
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS

POISSON = SCENARIOS / "reference" / "poisson_count.yaml"


def test_a_first_batch_above_max_reps_is_refused():
    with pytest.raises(UsageError, match="at most --max-reps"):
        run(load_scenario(POISSON), reps=300, precision=0.01, max_reps=200)


def test_a_target_not_reached_is_said_and_a_reached_one_is_not():
    s = load_scenario(POISSON)
    short = run(s, seed=2, reps=100, precision=0.001, max_reps=200)
    assert short.replications == 200
    [warning] = short.precision_warnings()
    assert "--precision 0.001 not reached" in warning and "(--max-reps 200)" in warning
    document = short.precision_document()
    assert document is not None and document["reached"] is False
    assert (
        document["half_width"] == pytest.approx(short.half_width()) and short.half_width() > 0.001
    )
    met = run(s, seed=2, reps=100, precision=0.2, max_reps=200)
    assert met.precision_warnings() == []
    assert met.precision_document() == {
        "target": 0.2,
        "half_width": met.half_width(),
        "reached": True,
        "max_reps": 200,
    }
    assert run(s, seed=2, reps=50).precision_document() is None
