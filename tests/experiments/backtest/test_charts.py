"""Backtest charts draw what their frames hold (artists, not file sizes)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from matplotlib.collections import PathCollection, PolyCollection

from sim.charts import backtest as backtest_charts
from sim.charts.style import figure
from sim.experiments.backtest.reliability import reliability_table, sharpness_table
from sim.experiments.backtest.scores import pit_uniformity


def _forecasts(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n)
    return pd.DataFrame(
        {"id": [f"q{i}" for i in range(n)], "probability": p, "happened": rng.uniform(size=n) < p}
    )


def test_reliability_chart_draws_questions_or_bins_and_the_diagonal() -> None:
    _, ax = figure()
    sparse = reliability_table(_forecasts(4))
    backtest_charts.reliability_chart(sparse, ax=ax)
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert points[0].get_offsets().shape == (4, 2)
    assert [t.get_text() for t in ax.texts][:4] == ["q0", "q1", "q2", "q3"]
    assert ax.lines[0].get_xydata().tolist() == [[0, 0], [1, 1]]
    _, ax = figure()
    binned = reliability_table(_forecasts(200))
    backtest_charts.reliability_chart(binned, ax=ax)
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert points[0].get_offsets().shape == (len(binned), 2)


def test_sharpness_chart_has_one_bar_per_bin() -> None:
    _, ax = figure()
    backtest_charts.sharpness_chart(sharpness_table(_forecasts(30)), ax=ax)
    assert len(ax.patches) == 10
    assert sum(p.get_height() for p in ax.patches) == 30


def test_pit_chart_shows_the_uniform_line_and_the_test() -> None:
    pit = pd.Series(np.random.default_rng(1).uniform(size=100))
    result = pit_uniformity(pit.to_numpy())
    test = {"bins": result.dof + 1, "chi2": result.statistic, "dof": result.dof}
    test["p_value"] = result.p_value
    _, ax = figure()
    backtest_charts.pit_chart(pit, test, ax=ax)
    assert len(ax.patches) == 10
    assert list(ax.lines[0].get_ydata()) == [1.0, 1.0]
    assert f"p = {result.p_value:.3g}" in ax.texts[0].get_text()


def test_fan_chart_draws_bands_median_and_observed() -> None:
    origins = [dt.date(2007, 1, 1) + dt.timedelta(days=7 * i) for i in range(6)]
    fan = pd.DataFrame(
        {
            "origin": origins,
            "event": "attack",
            "observed": [3, 5, 2, 8, 4, 6],
            "mean": 5.0,
            "q05": 1.0,
            "q25": 3.0,
            "q50": 5.0,
            "q75": 7.0,
            "q95": 10.0,
        }
    )
    _, ax = figure()
    backtest_charts.forecast_fan_chart(fan, "attack", 7, ax=ax)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(bands) == 2
    assert points[0].get_offsets()[:, 1].tolist() == [3, 5, 2, 8, 4, 6]
