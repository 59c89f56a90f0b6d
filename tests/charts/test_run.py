"""Charts of one run, judged by what they draw: a line and a band per
outcome ending at the run's own numbers, legends off the data, the year on
the first tick, the band named."""

from __future__ import annotations

import re

import pytest
from matplotlib.patches import Rectangle

from sim.charts.run import probability_chart
from sim.charts.style import figure
from sim.experiments.run import RunResult
from tests.charts.helpers import (
    assert_legend_off_the_data,
    bands,
    data_lines,
    first_tick_label,
    legend_texts,
    subtitle_artist,
)

FIRST_TICK = r"(\d{1,2} )?Jan\n2024"
"""The run starts on 1 January 2024: the first tick names the month and the year."""


def test_probability_chart_draws_a_line_and_a_band_per_outcome(poisson_run: RunResult):
    _fig, ax = figure()
    poisson_run.plot_probability(ax=ax)
    summary = poisson_run.summary().set_index("label")
    lines = data_lines(ax)
    assert len(lines) == len(summary) == 2
    assert len(bands(ax)) == 2
    for line in lines:
        name, numbers = line.get_label().split("\n")
        row = summary.loc[name]
        assert line.get_ydata()[-1] == pytest.approx(row["probability"])
        assert numbers == f"{row['probability']:.2f} [{row['lower']:.2f}, {row['upper']:.2f}]"


def test_probability_chart_band_spans_the_wilson_interval(poisson_run: RunResult):
    _fig, ax = figure()
    poisson_run.plot_probability(ax=ax)
    curves = poisson_run.curves()
    first = curves[curves["outcome"] == "ten_attacks"]
    band = bands(ax)[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(first["lower"].min())
    assert band[:, 1].max() == pytest.approx(first["upper"].max())


def test_probability_chart_names_its_band_and_puts_the_legend_outside(poisson_run: RunResult):
    _fig, ax = figure()
    poisson_run.plot_probability(ax=ax)
    assert "pointwise" in subtitle_artist(ax).get_text()
    assert "200 replications" in subtitle_artist(ax).get_text()
    assert_legend_off_the_data(ax)
    assert re.fullmatch(FIRST_TICK, first_tick_label(ax))


def test_level_chart_stacks_every_rung_with_its_legend_outside(poisson_run: RunResult):
    _fig, ax = figure()
    poisson_run.plot_levels(ax=ax)
    assert len(bands(ax)) == len(poisson_run.scenario.ladder)
    assert legend_texts(ax) == ["1: attacked", "0: calm"]  # the top rung first, as stacked
    assert_legend_off_the_data(ax)
    assert re.fullmatch(FIRST_TICK, first_tick_label(ax))


def test_monthly_chart_draws_a_bar_per_month_and_its_legend_below(poisson_run: RunResult):
    _fig, ax = figure()
    poisson_run.plot_monthly(ax=ax)
    monthly = poisson_run.monthly()
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == len(monthly)
    for bar, (_, row) in zip(bars, monthly.iterrows(), strict=True):
        assert bar.get_y() == pytest.approx(row["p05"])
        assert bar.get_height() == pytest.approx(row["p95"] - row["p05"])
    assert_legend_off_the_data(ax)
    legend = ax.get_legend()
    assert legend is not None
    drawn_legend = legend.get_window_extent()
    assert drawn_legend.y1 <= ax.get_window_extent().y0  # below the axes
    assert re.fullmatch(FIRST_TICK, first_tick_label(ax))


def test_time_to_outcome_chart_gives_each_outcome_its_median_and_legend_outside(
    poisson_run: RunResult,
):
    _fig, ax = figure()
    poisson_run.plot_time_to_outcome(ax=ax)
    summary = poisson_run.summary()
    texts = legend_texts(ax)
    assert len(texts) == len(summary)
    for text, (_, row) in zip(texts, summary.iterrows(), strict=True):
        assert text.startswith(row["label"])
        assert f"in {row['happened']:,} of 200" in text
    assert_legend_off_the_data(ax)
    assert re.fullmatch(FIRST_TICK, first_tick_label(ax))


def test_probability_chart_draws_and_names_both_bands(poisson_run: RunResult) -> None:
    """Default: the pointwise Wilson band (shaded) and the simultaneous DKW band
    (dashed lines on its edges), each named in the legend and the subtitle;
    asked for one band only, only that one is drawn and named."""
    _fig, ax = figure()
    poisson_run.plot_probability(ax=ax)
    curves = poisson_run.curves()
    first = curves[curves["outcome"] == "ten_attacks"]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 2 * 2  # two edges per outcome
    assert dashed[0].get_ydata() == pytest.approx(first["simultaneous_lower"].to_numpy())
    assert dashed[1].get_ydata() == pytest.approx(first["simultaneous_upper"].to_numpy())
    shown = " ".join(" ".join(legend_texts(ax)).split())
    assert "95% pointwise (Wilson)" in shown and "95% simultaneous (DKW)" in shown
    subtitle = subtitle_artist(ax).get_text().replace("\n", " ")
    assert "95% pointwise (Wilson)" in subtitle and "95% simultaneous (DKW)" in subtitle
    _fig, ax = figure()
    probability_chart(curves, "one band", bands=("pointwise",), ax=ax)
    assert not [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert "simultaneous" not in " ".join(legend_texts(ax))
    with pytest.raises(ValueError, match="bands"):
        probability_chart(curves, "typo", bands=("simultanous",), ax=figure()[1])
