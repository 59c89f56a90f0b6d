"""Backtest charts draw what their frames hold (artists, not file sizes)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.transforms import Bbox

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
    assert [t.get_text() for t in ax.texts][:4] == ["1", "2", "3", "4"]
    key = [t.get_text() for t in ax.get_legend().get_texts()]
    assert key[0].startswith("1  q0: ") and key[3].startswith("4  q3: ")
    assert ax.lines[0].get_xydata().tolist() == [[0, 0], [1, 1]]
    _, ax = figure()
    binned = reliability_table(_forecasts(200))
    backtest_charts.reliability_chart(binned, ax=ax)
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert points[0].get_offsets().shape == (len(binned), 2)


def _number_boxes(reliability: pd.DataFrame) -> list[Bbox]:
    fig, ax = figure((6.4, 6.0))
    backtest_charts.reliability_chart(reliability, ax=ax)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in ax.texts if t.get_text().isdigit()]


def test_question_labels_never_overlap() -> None:
    """The example set's two questions at 0.53 and 0.62 that both happened
    printed their ids over each other: points carry numbers, stacked where
    close (here also two identical forecasts), with the ids in a key."""
    forecasts = pd.DataFrame(
        {
            "id": ["ten-attacks-by-20-january", "first-attack", "slow-stream-first-attack", "x"],
            "probability": [0.53, 0.655, 0.625, 0.625],
            "happened": [1, 0, 1, 1],
        }
    )
    boxes = _number_boxes(reliability_table(forecasts))
    assert len(boxes) == 4
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    assert backtest_charts.label_levels(np.array([0.62, 0.62, 0.9]), np.ones(3)) == [0, 1, 0]
    # A point at 0 and one at 1 with the same forecast share no row: both level 0.
    assert backtest_charts.label_levels(np.array([0.5, 0.5]), np.array([0.0, 1.0])) == [0, 0]


def test_sharpness_ticks_count_whole_forecasts() -> None:
    _, ax = figure()
    few = pd.DataFrame({"id": ["a", "b", "c"], "probability": [0.55, 0.62, 0.65], "happened": 1})
    backtest_charts.sharpness_chart(sharpness_table(few), ax=ax)
    ticks = ax.get_yticks()
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks


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
