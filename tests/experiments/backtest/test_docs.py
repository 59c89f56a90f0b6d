"""docs/questions.md: its complete example loads and gives the forecasts the
text states (closed forms within four Monte Carlo standard errors)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from scipy import stats

from sim.experiments.backtest.questions import load_questions
from sim.experiments.backtest.questions_run import run_questions
from tests.conftest import REPO
from tests.experiments.backtest.helpers import write_questions


def _example() -> str:
    text = (REPO / "docs" / "questions.md").read_text(encoding="utf-8")
    found = re.search(r"```yaml\n# backtests/example.yaml\n(.*?)```", text, re.S)
    assert found, "docs/questions.md lost its complete example"
    return found.group(1)


def test_the_documented_example_runs_as_described(tmp_path: Path) -> None:
    path = write_questions(tmp_path, {"questions": []}, name="example.yaml")
    path.write_text(_example(), encoding="utf-8")
    questions = load_questions(path)
    assert len(questions.questions) == 3
    assert questions.base_rate is not None and questions.left_out
    reps = 1000
    scores = run_questions(questions, seed=3, reps=reps).scores.set_index("id")
    expected = {
        "ten-attacks-by-20-january": float(stats.poisson.sf(9, 10.0)),
        "first-attack-on-3-or-4-january": 1 - math.exp(-1.0),
        "slow-stream-first-attack-by-4-january": 1 - math.exp(-1.0),
    }
    for ident, p in expected.items():
        row = scores.loc[ident]
        assert row["probability"] == pytest.approx(
            p, abs=4 * math.sqrt(p * (1 - p) / row["replications"])
        )
