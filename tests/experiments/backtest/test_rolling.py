"""Rolling-origin scoring: history cut-off, baselines, bad inputs, and a
calibrated against a doubled-rate forecaster on simulated event data."""

from __future__ import annotations

import datetime as dt
import functools
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.charts.style import figure
from sim.errors import UsageError
from sim.eventdata import event_data_from_times
from sim.experiments.backtest.rolling import (
    BASELINES,
    MODEL,
    ModelForecast,
    RollingScores,
    baseline_forecasts,
    collect_forecasts,
    daily_counts,
    daily_from_event_data,
    forecast_origins,
    history_before,
    rolling_backtest,
)
from sim.experiments.backtest.scores import NegBinForecast, PoissonForecast

START = dt.date(2020, 1, 1)
RATES = {"attack": 1.5, "strike": 0.3}
LEAD = 7


def _events(rng: np.random.Generator, days: int) -> pd.DataFrame:
    rows = [
        (START + dt.timedelta(days=d), event)
        for d in range(days)
        for event, rate in RATES.items()
        for _ in range(rng.poisson(rate))
    ]
    return pd.DataFrame(rows, columns=["date", "event"])


def _daily(rng: np.random.Generator, days: int = 400) -> pd.DataFrame:
    end = START + dt.timedelta(days=days - 1)
    return daily_counts(_events(rng, days), START, end, list(RATES))


def test_daily_counts_fill_quiet_days_with_zero() -> None:
    events = pd.DataFrame(
        {"date": ["2020-01-02", "2020-01-02", "2020-01-04", "2021-01-01"], "event": "attack"}
    )
    daily = daily_counts(events, START, dt.date(2020, 1, 5), ["attack", "strike"])
    assert daily["attack"].tolist() == [0, 2, 0, 1, 0]
    assert daily["strike"].sum() == 0


def test_origins_and_bad_spacing() -> None:
    origins = forecast_origins(dt.date(2020, 3, 1), dt.date(2020, 3, 29), 7)
    assert origins[-1] == dt.date(2020, 3, 29) and len(origins) == 5
    for bad in (0, -7):
        with pytest.raises(UsageError, match="--every must be a positive"):
            forecast_origins(dt.date(2020, 3, 1), dt.date(2020, 3, 29), bad)


def test_baselines_use_the_trailing_windows() -> None:
    counts = np.zeros(40, dtype=int)
    counts[[10, 11, 20, 21, 22, 23, 24, 30]] = 1
    daily = pd.DataFrame({"attack": counts}, index=pd.date_range(START, periods=40, freq="D"))
    origin = START + dt.timedelta(days=35)
    # Windows [28, 35), [21, 28), [14, 21), [7, 14), [0, 7): 1, 4, 1, 2, 0.
    laws = baseline_forecasts(daily, origin, "attack", LEAD, trailing=8)
    assert isinstance(laws["poisson"], PoissonForecast)
    assert laws["poisson"].mean == pytest.approx(8 / 5)
    assert isinstance(laws["negbin"], NegBinForecast)
    assert laws["negbin"].variance == pytest.approx(np.var([1, 4, 1, 2, 0], ddof=1))
    assert laws["persistence"].mean == 1
    quiet = pd.DataFrame({"attack": np.zeros(40, dtype=int)}, index=daily.index)
    floored = baseline_forecasts(quiet, origin, "attack", LEAD, trailing=8)
    assert floored["poisson"].mean == pytest.approx(0.5 / 5)
    assert floored["persistence"].mean == 0.5


def test_a_future_event_cannot_change_a_forecast() -> None:
    """History cut-off: plant events on and after the origin; neither what the
    forecaster is shown nor the baselines change (the observed count does)."""
    rng = np.random.default_rng(2)
    daily = _daily(rng, 120)
    origin = START + dt.timedelta(days=70)
    planted = daily.copy()
    planted.loc[pd.Timestamp(origin), "attack"] += 50
    planted.loc[pd.Timestamp(origin) + pd.Timedelta(days=20), "attack"] += 50
    seen: list[pd.DataFrame] = []

    def forecaster(at: dt.date, history: pd.DataFrame) -> dict[str, np.ndarray]:
        seen.append(history)
        mean = history["attack"].iloc[-28:].sum() / 4
        return {"attack": np.random.default_rng(0).poisson(mean, 200)}

    a = collect_forecasts(forecaster, daily, [origin])
    b = collect_forecasts(forecaster, planted, [origin])
    assert np.array_equal(a[0].draws, b[0].draws)
    assert seen[0].equals(seen[1]) and seen[0].index[-1] < pd.Timestamp(origin)
    assert history_before(planted, origin).equals(history_before(daily, origin))
    before = baseline_forecasts(daily, origin, "attack", LEAD, 8)
    after = baseline_forecasts(planted, origin, "attack", LEAD, 8)
    assert all(before[k] == after[k] for k in BASELINES)
    scored = [rolling_backtest(x, d, LEAD, 7).scores for x, d in ((a, daily), (b, planted))]
    assert scored[1]["observed"].iloc[0] == scored[0]["observed"].iloc[0] + 50


def test_windows_outside_the_data_are_refused() -> None:
    daily = _daily(np.random.default_rng(3), 60)

    def at(day: int) -> list[ModelForecast]:
        return [ModelForecast(START + dt.timedelta(days=day), "attack", np.arange(10))]

    with pytest.raises(UsageError, match="no complete 7-day window of data before it"):
        rolling_backtest(at(3), daily, 7, 7)
    with pytest.raises(UsageError, match="is not inside the data"):
        rolling_backtest(at(56), daily, 7, 7)
    with pytest.raises(UsageError, match="--lead must be a positive"):
        rolling_backtest(at(14), daily, 0, 7)
    with pytest.raises(UsageError, match="--every must be a positive"):
        rolling_backtest(at(14), daily, 7, 0)


@functools.cache
def _backtest(factor: float, seed: int) -> RollingScores:
    """Weekly origins over ~10 months of Poisson event data; the forecaster
    simulates 500 counts per origin from the true weekly Poisson law with its
    rates multiplied by `factor`."""
    rng = np.random.default_rng(seed)
    daily = _daily(rng)
    origins = forecast_origins(START + dt.timedelta(days=56), START + dt.timedelta(days=385), 7)
    sim = np.random.default_rng(seed + 1)

    def forecaster(origin: dt.date, history: pd.DataFrame) -> dict[str, np.ndarray]:
        return {e: sim.poisson(factor * r * LEAD, 500) for e, r in RATES.items()}

    forecasts = collect_forecasts(forecaster, daily, origins)
    return rolling_backtest(forecasts, daily, LEAD, 7, thresholds=(1, 15), seed=seed)


def test_calibrated_forecaster_is_uniform_and_ties_the_true_law() -> None:
    """PIT uniform at the 1% level per event type, and the log-score
    difference from the trailing-mean Poisson baseline (nearly the true law
    here) has a block-bootstrap interval containing 0 or favouring the model."""
    result = _backtest(1.0, seed=10)
    pit = result.pit_tests()
    assert (pit.loc[pit["forecaster"] == MODEL, "p_value"] > 0.01).all()
    diff = result.differences(reps=500).set_index(["metric", "baseline", "event"])
    row = diff.loc[("log_score", "poisson", "all")]
    assert row["difference_lower"] < 0  # not worse than the baseline beyond its interval
    assert row["block_length"] == 4  # 48 origins: max(ceil(7/7) + 1, ceil(48^(1/3)))
    scores = result.scores
    model = scores[scores["forecaster"] == MODEL]
    # Exceedance: P(at least 15 attacks in a week) from the ensemble, near the law's.
    p15 = float(stats.poisson.sf(14, RATES["attack"] * LEAD))
    attack = model[model["event"] == "attack"]
    assert attack["p_ge_15"].mean() == pytest.approx(p15, abs=4 * np.sqrt(p15 * (1 - p15) / 500))


def test_doubled_rates_are_detected() -> None:
    result = _backtest(2.0, seed=10)
    pit = result.pit_tests()
    assert (pit.loc[pit["forecaster"] == MODEL, "p_value"] < 0.01).all()
    diff = result.differences(reps=500).set_index(["metric", "baseline", "event"])
    for metric in ("crps", "log_score"):
        row = diff.loc[(metric, "poisson", "all")]
        assert row["difference_lower"] > 0  # the model is worse, beyond its interval
        assert row["skill_upper"] < 0


def test_fan_holds_the_model_quantiles() -> None:
    result = _backtest(1.0, seed=4)
    fan = result.fan()
    assert list(fan.columns[:4]) == ["origin", "event", "observed", "mean"]
    assert (fan["q05"] <= fan["q50"]).all() and (fan["q50"] <= fan["q95"]).all()
    assert len(fan) == 2 * len(result.origins())


def test_a_case_scores_the_same_alone_or_with_others() -> None:
    """Scores (the randomized PIT included) depend on the case, not on which
    other cases are scored beside it: resumed or split runs give one table."""
    daily = _daily(np.random.default_rng(5), 200)
    origins = forecast_origins(START + dt.timedelta(days=56), START + dt.timedelta(days=140), 7)
    sim = np.random.default_rng(6)
    cases = [ModelForecast(o, e, sim.poisson(8, 300)) for o in origins for e in RATES]
    whole = rolling_backtest(cases, daily, LEAD, 7, seed=9).scores
    halves = pd.concat(
        [
            rolling_backtest(cases[1::2], daily, LEAD, 7, seed=9).scores,
            rolling_backtest(cases[::2], daily, LEAD, 7, seed=9).scores,
        ]
    )
    key = ["forecaster", "origin", "event"]
    left = whole.sort_values(key).reset_index(drop=True)
    right = halves.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)


def test_summary_and_exceedance_differences() -> None:
    result = _backtest(1.0, seed=4)
    diff = result.differences(reps=200)
    assert set(diff["metric"]) == {"crps", "log_score", "brier_ge_1", "brier_ge_15"}
    summary = result.summary(reps=200)
    assert summary["origins"] == len(result.origins()) and summary["block_length"] == 4
    assert {row["event"] for row in summary["skill"]} == {"all"}
    assert len(summary["pit"]) == 2 * (1 + 3)  # two event types, model and three baselines


def test_summary_is_json() -> None:
    json.dumps(_backtest(1.0, seed=4).summary(reps=50), allow_nan=True)


def test_plot_methods_draw_on_the_given_axes() -> None:
    result = _backtest(1.0, seed=4)
    _, ax = figure()
    assert result.plot_pit("attack", ax=ax) is ax
    assert ax.get_title(loc="left") == "PIT histogram: model, attack"
    _, ax = figure()
    assert result.plot_fan("strike", ax=ax) is ax


def test_daily_counts_with_gaps_are_refused() -> None:
    daily = _daily(np.random.default_rng(3), 60).drop(pd.Timestamp(START + dt.timedelta(days=20)))
    forecast = [ModelForecast(START + dt.timedelta(days=28), "attack", np.arange(10))]
    with pytest.raises(UsageError, match="one row per day, without gaps"):
        rolling_backtest(forecast, daily, 7, 7)


def test_daily_counts_from_event_data() -> None:
    data = event_data_from_times(
        {"attack": np.array([1.0, 1.5, 3.2]), "strike": np.array([0.1])}, START, 5, True
    )
    daily = daily_from_event_data(data)
    assert daily["attack"].tolist() == [0, 2, 0, 1, 0]
    assert daily["strike"].tolist() == [1, 0, 0, 0, 0]
    assert daily.index[0] == pd.Timestamp(START) and len(daily) == 5
