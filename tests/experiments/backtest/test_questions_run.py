"""Scoring a question set over the reference scenarios, whose answers are
known in closed form (see the scenario files' headers)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.charts.style import figure
from sim.errors import UsageError
from sim.experiments.backtest.questions import QuestionSet, load_questions
from sim.experiments.backtest.questions_run import QuestionBacktest, run_questions
from tests.experiments.backtest.helpers import question, write_questions

REPS = 2000
SEED = 11
RULE = "../scenarios/reference/rule_response.yaml"


def _retaliation_by(t: float) -> float:
    """P(first retaliation by day t) = 1 - exp(-Lambda(t)) (rule_response.yaml)."""
    return 1 - math.exp(-0.06 * (t - 5 * (1 - math.exp(-t / 5))))


CLOSED_FORM = {
    # P(N(20) >= 10) for a Poisson(0.5/day) stream: poisson_count.yaml.
    "ten-attacks-by-day-20": float(stats.poisson.sf(9, 10.0)),
    # First attack (exponential, mean 2 days) in [day 2, day 4) given none before
    # the frozen day 2: 1 - exp(-0.5 * 2).
    "first-attack-days-2-3": 1 - math.exp(-1.0),
    # With the rate set to 0.25/day, first attack in [0, 4): 1 - exp(-1).
    "slow-attack-days-0-3": 1 - math.exp(-1.0),
    # First retaliation in [day 5, day 10): P(by 10) - P(by 5).
    "retaliation-days-5-9": _retaliation_by(10) - _retaliation_by(5),
}


@pytest.fixture(scope="module")
def backtest(tmp_path_factory: pytest.TempPathFactory) -> QuestionBacktest:
    project = tmp_path_factory.mktemp("project")
    (project / "seeds").mkdir()
    path = write_questions(
        project,
        {
            "base_rate": {"value": 0.4, "source": {"document": "a test", "quote": "four in ten"}},
            "questions": [
                question(),
                question(
                    id="first-attack-days-2-3",
                    outcome="any_attack",
                    window={"from": "2024-01-03", "to": "2024-01-04"},
                    resolution="did_not_happen",
                    frozen="2024-01-03",
                ),
                question(
                    id="slow-attack-days-0-3",
                    outcome="any_attack",
                    set={"streams.attack.rate": 0.25},
                    window={"from": "2024-01-01", "to": "2024-01-04"},
                    resolution={"happened": "2024-01-02"},
                ),
                question(
                    id="retaliation-days-5-9",
                    scenario=RULE,
                    outcome="retaliation",
                    window={"from": "2024-01-06", "to": "2024-01-10"},
                    resolution="did_not_happen",
                ),
            ],
        },
    )
    return run_questions(load_questions(Path(path)), seed=SEED, reps=REPS)


def test_forecasts_match_the_closed_form_within_four_standard_errors(
    backtest: QuestionBacktest,
) -> None:
    scores = backtest.scores.set_index("id")
    for ident, p in CLOSED_FORM.items():
        row = scores.loc[ident]
        se = math.sqrt(p * (1 - p) / row["replications"])
        assert abs(row["probability"] - p) < 4 * se, (ident, row["probability"], p)
        assert row["lower"] <= row["probability"] <= row["upper"]


def test_frozen_date_sets_aside_replications_where_the_outcome_came_earlier(
    backtest: QuestionBacktest,
) -> None:
    row = backtest.scores.set_index("id").loc["first-attack-days-2-3"]
    assert row["replications_run"] == REPS
    # P(first attack after day 2) = exp(-1): about 0.37 of the replications remain.
    expected = REPS * math.exp(-1.0)
    assert abs(row["replications"] - expected) < 4 * math.sqrt(REPS * 0.37 * 0.63)


def test_common_random_numbers_share_runs(backtest: QuestionBacktest) -> None:
    """Two questions on the same scenario share one run; a `set:` is another run."""
    assert backtest.summary["distinct_runs"] == 3
    rows = backtest.scores.set_index("id")
    assert rows.loc["first-attack-days-2-3", "replications_run"] == REPS


def test_scores_match_hand_computation(backtest: QuestionBacktest) -> None:
    s = backtest.scores
    p = s["probability"].to_numpy()
    o = s["happened"].to_numpy()
    assert o.tolist() == [1, 0, 1, 0]
    brier = np.mean((p - o) ** 2)
    log = -np.mean(np.log(np.where(o == 1, p, 1 - p)))
    assert s["brier"].mean() == pytest.approx(brier, rel=1e-12)
    assert s["log_score"].mean() == pytest.approx(log, rel=1e-12)
    skill = backtest.skill.set_index(["metric", "reference"])
    assert skill.loc[("brier", "coin"), "skill"] == pytest.approx(1 - brier / 0.25)
    assert skill.loc[("log_score", "coin"), "skill"] == pytest.approx(1 - log / math.log(2))
    base = np.mean((0.4 - o) ** 2)
    assert skill.loc[("brier", "base_rate"), "skill"] == pytest.approx(1 - brier / base)
    # Leave-one-out: the others' share, smoothed (k + 1/2)/(m + 1) with m = 3 others.
    loo = np.array([(o.sum() - x + 0.5) / 4 for x in o])
    assert s["leave_one_out_probability"].tolist() == pytest.approx(loo.tolist())
    assert skill.loc[("brier", "leave_one_out"), "reference_score"] == pytest.approx(
        np.mean((loo - o) ** 2)
    )
    row = skill.loc[("brier", "coin")]
    assert row["skill_lower"] <= row["skill"] <= row["skill_upper"]


def test_summary_and_tables(backtest: QuestionBacktest) -> None:
    summary = backtest.summary
    assert summary["questions"] == 4 and summary["happened"] == 2
    assert summary["base_rate"]["value"] == 0.4
    reliability = backtest.reliability()
    assert (reliability["kind"] == "question").all() and len(reliability) == 4
    assert backtest.sharpness()["forecasts"].sum() == 4
    json.dumps(summary)


def test_a_set_without_questions_is_not_scored() -> None:
    with pytest.raises(UsageError, match="no questions to score"):
        run_questions(QuestionSet(Path("episodes.yaml"), ()), reps=10)


def test_plot_methods_draw_on_the_given_axes(backtest: QuestionBacktest) -> None:
    _, ax = figure()
    assert backtest.plot_reliability(ax=ax) is ax
    _, ax = figure()
    assert backtest.plot_sharpness(ax=ax) is ax
