"""Score a set of resolved questions: forecasts, proper scores, skill.

Each question's scenario is run with the same seed and replication indices
(common random numbers: questions on the same scenario and overrides share
one run, and components shared across scenarios draw the same numbers). Its
forecast is the share of replications in which the outcome first happens in
the question's window, with a 95% Wilson interval.

When the scenario starts before the question's `frozen` date, the forecaster
knew on that date that the outcome had not yet happened (else there would be
no question), so replications where it happened before the frozen date are
set aside and the forecast is P(first time in window | not before frozen).
This is the one piece of history a question carries; conditioning on the
full event history is the rolling backtest's job.

Scores per question and over the set: the Brier score and the log score;
skill against three references: a coin (0.5), the stated base rate of the
file (if any), and the leave-one-out base rate of the set (each question
scored against the share of the *other* questions that happened, smoothed as
(k + 1/2)/(m + 1) so that a set where all others went one way still gives a
finite log score). Intervals over questions come from a plain bootstrap
(questions taken as exchangeable).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.experiments.backtest.questions import Question, QuestionSet
from sim.experiments.backtest.reliability import reliability_table, sharpness_table
from sim.experiments.backtest.resampling import BOOTSTRAP_REPS, bootstrap, mean_and_skill
from sim.experiments.backtest.scores import brier_scores, log_scores
from sim.montecarlo.runner import run_table
from sim.montecarlo.table import RunTable
from sim.rng import component_generator
from sim.stats import wilson_interval

if TYPE_CHECKING:
    from matplotlib.axes import Axes

REFERENCES = ("coin", "base_rate", "leave_one_out")
METRICS = ("brier", "log_score")


@dataclass(frozen=True)
class WindowForecast:
    """P(outcome first happens in the window | not before the frozen date)."""

    hits: int
    replications: int
    """Replications consistent with what was known at the frozen date."""
    replications_run: int

    @property
    def probability(self) -> float:
        """Hits over consistent replications (not over all replications run)."""
        return self.hits / self.replications

    def interval(self) -> tuple[float, float]:
        """Wilson 95% interval of the probability: honest near 0 and 1, where
        a normal interval would cross the bounds."""
        lower, upper = wilson_interval(self.hits, self.replications)
        return float(lower), float(upper)


def window_forecast(question: Question, table: RunTable) -> WindowForecast:
    """The question's forecast from a run of its scenario."""
    column = list(question.scenario.outcomes).index(question.outcome)
    days = table.outcome_days[:, column]
    start, end = question.window_days()
    with np.errstate(invalid="ignore"):
        possible = ~(days < max(question.frozen_day(), 0.0))
        hits = possible & (days >= start) & (days < end)
    if not possible.any():
        raise UsageError(
            f"question {question.id}: the outcome had already happened before the frozen date "
            f"({question.frozen}) in every replication; no forecast is left to score"
        )
    return WindowForecast(int(hits.sum()), int(possible.sum()), len(table))


def _run_key(question: Question) -> tuple[str, tuple[tuple[str, str], ...]]:
    return (
        str(question.scenario_file.resolve()),
        tuple(sorted((str(k), repr(v)) for k, v in question.overrides.items())),
    )


@dataclass(frozen=True)
class QuestionBacktest:
    """Scores of a question set: tidy frames for tables, charts and writers."""

    question_set: QuestionSet
    seed: int
    replications: int
    scores: pd.DataFrame
    """One row per question: forecast, interval, outcome, scores, references."""
    skill: pd.DataFrame
    """One row per (metric, reference): mean scores, difference, skill, intervals."""
    summary: dict[str, Any]

    def reliability(self, bins: int = 10) -> pd.DataFrame:
        """Forecast against observed frequency in `bins` equal-width probability bins."""
        return reliability_table(self.scores, bins)

    def sharpness(self, bins: int = 10) -> pd.DataFrame:
        """How many forecasts fall in each of `bins` equal-width probability bins
        (a forecaster that always says the base rate is calibrated but not sharp)."""
        return sharpness_table(self.scores, bins)

    def plot_reliability(self, bins: int = 10, ax: Axes | None = None) -> Axes:
        """Reliability diagram of `reliability(bins)`; drawn on `ax` if given."""
        from sim.charts import backtest as charts

        return charts.reliability_chart(self.reliability(bins), ax=ax)

    def plot_sharpness(self, bins: int = 10, ax: Axes | None = None) -> Axes:
        """Histogram of `sharpness(bins)`; drawn on `ax` if given."""
        from sim.charts import backtest as charts

        return charts.sharpness_chart(self.sharpness(bins), ax=ax)


def _references(happened: np.ndarray, base_rate: float | None) -> dict[str, np.ndarray]:
    m = happened.size
    others = happened.sum() - happened
    loo = (others + 0.5) / m if m > 1 else np.full(m, np.nan)
    return {
        "coin": np.full(m, 0.5),
        "base_rate": np.full(m, base_rate if base_rate is not None else np.nan),
        "leave_one_out": loo,
    }


def score_forecasts(
    questions: Sequence[Question],
    forecasts: Sequence[WindowForecast],
    base_rate: float | None,
) -> pd.DataFrame:
    """Per question: forecast, interval, outcome, Brier and log scores, and the
    same scores for each reference forecast."""
    rows = []
    for q, f in zip(questions, forecasts, strict=True):
        lower, upper = f.interval()
        rows.append(
            {
                "id": q.id,
                "text": q.text,
                "scenario": q.scenario.name,
                "scenario_file": str(q.scenario_file),
                "overrides": ", ".join(f"{k}={v}" for k, v in q.overrides.items()),
                "outcome": q.outcome,
                "outcome_label": q.scenario.outcome_label(q.outcome),
                "window_from": q.window_from,
                "window_to": q.window_to,
                "frozen": q.frozen,
                "happened": int(q.happened),
                "happened_on": q.happened_on,
                "happened_exact": q.happened_exact,
                "probability": f.probability,
                "lower": lower,
                "upper": upper,
                "hits": f.hits,
                "replications": f.replications,
                "replications_run": f.replications_run,
                "source": q.source if isinstance(q.source, str) else q.source["document"],
            }
        )
    frame = pd.DataFrame(rows)
    happened = frame["happened"].to_numpy(dtype=float)
    p = frame["probability"].to_numpy(dtype=float)
    # Half a replication: the resolution of a Monte Carlo probability.
    floor = 0.5 / max(float(frame["replications"].min()), 2.0)
    frame["brier"] = brier_scores(p, happened)
    frame["log_score"] = log_scores(p, happened, floor)
    for name, ref in _references(happened, base_rate).items():
        frame[f"{name}_probability"] = ref
        if np.isnan(ref).any():  # no stated base rate, or a one-question set
            frame[f"{name}_brier"] = np.nan
            frame[f"{name}_log_score"] = np.nan
        else:
            frame[f"{name}_brier"] = brier_scores(ref, happened)
            frame[f"{name}_log_score"] = log_scores(ref, happened, floor)
    return cast(pd.DataFrame, frame)


def skill_table(scores: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Mean score, mean reference score, their difference and the skill
    1 - S/S_ref, per metric and reference, with bootstrap intervals over
    questions (one set of resamples for all)."""
    pairs = [
        (metric, ref)
        for metric in METRICS
        for ref in REFERENCES
        if scores[f"{ref}_{metric}"].notna().all()
    ]
    if not pairs:
        return cast(pd.DataFrame, pd.DataFrame())
    columns = [metric for metric, _ in pairs] + [f"{ref}_{metric}" for metric, ref in pairs]
    data = scores[columns].to_numpy(dtype=float)
    k = len(pairs)

    def statistic(rows: np.ndarray) -> np.ndarray:
        return np.concatenate([mean_and_skill(rows[:, i], rows[:, k + i]) for i in range(k)])

    intervals = bootstrap(data, statistic, rng, reps=BOOTSTRAP_REPS)
    out = []
    for i, (metric, ref) in enumerate(pairs):
        score, reference, difference, skill = intervals[4 * i : 4 * i + 4]
        out.append(
            {
                "metric": metric,
                "reference": ref,
                **score.as_dict("score"),
                **reference.as_dict("reference_score"),
                **difference.as_dict("difference"),
                **skill.as_dict("skill"),
                "questions": len(scores),
            }
        )
    return cast(pd.DataFrame, pd.DataFrame(out))


def run_questions(
    question_set: QuestionSet,
    seed: int = 0,
    reps: int = 2000,
    workers: int = 1,
    executor: Executor | None = None,
    bootstrap_seed: int | None = None,
    engine: str = "simpy",
) -> QuestionBacktest:
    """Run every question's scenario (common random numbers) and score the set.

    Args:
        question_set: from `load_questions`.
        seed: the Monte Carlo seed, the same for every question.
        reps: replications per distinct (scenario, overrides).
        workers: processes for each run; results do not depend on it.
        executor: optional pool kept alive across the runs (`run_table`).
        bootstrap_seed: seed of the bootstrap over questions (default `seed`).
        engine: "simpy" or "fast" (identical tables; `sim.montecarlo.fast.select`).
    """
    questions = list(question_set.questions)
    if not questions:
        raise UsageError(f"{question_set.path}: no questions to score")
    tables: dict[tuple[str, tuple[tuple[str, str], ...]], RunTable] = {}
    forecasts = []
    for q in questions:
        key = _run_key(q)
        if key not in tables:
            tables[key] = run_table(
                q.scenario, seed, range(reps), workers, executor=executor, engine=engine
            )
        forecasts.append(window_forecast(q, tables[key]))
    base = question_set.base_rate.value if question_set.base_rate else None
    scores = score_forecasts(questions, forecasts, base)
    rng = component_generator(seed if bootstrap_seed is None else bootstrap_seed, 0, "bootstrap")
    skill = skill_table(scores, rng)
    summary = _summary(question_set, scores, skill, seed, reps, len(tables))
    return QuestionBacktest(question_set, seed, reps, scores, skill, summary)


def _summary(
    question_set: QuestionSet,
    scores: pd.DataFrame,
    skill: pd.DataFrame,
    seed: int,
    reps: int,
    runs: int,
) -> dict[str, Any]:
    base = question_set.base_rate
    return {
        "questions_file": str(Path(question_set.path)),
        "questions": len(scores),
        "happened": int(scores["happened"].sum()),
        "seed": seed,
        "replications": reps,
        "distinct_runs": runs,
        "brier": float(scores["brier"].mean()),
        "log_score": float(scores["log_score"].mean()),
        "base_rate": None if base is None else {"value": base.value, "source": base.source},
        "skill": skill.to_dict(orient="records"),
        "left_out": [{"id": x.id, "reason": x.reason} for x in question_set.left_out],
        "bootstrap": f"plain bootstrap over questions, {BOOTSTRAP_REPS} resamples, "
        "95% percentile intervals",
    }
