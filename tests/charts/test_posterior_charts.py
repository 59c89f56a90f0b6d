"""The posterior charts of `escsim calibrate --posterior`: the trace draws
every walker and shades the burn-in; the pair chart is a corner plot whose
marginals mark the median and 90% interval and whose scatters state the rank
correlation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.charts.calibrate import pair_chart, trace_chart
from sim.charts.style import figure
from tests.charts.helpers import (
    assert_legend_off_the_data,
    drawn,
    inside,
    legend_texts,
    subtitle_artist,
)


def draws(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a = rng.lognormal(-2, 0.4, n)
    return pd.DataFrame({"rate": a, "branching": 0.9 - 0.5 * a + rng.normal(0, 0.01, n)})


def test_the_trace_draws_every_walker_and_shades_the_burn_in():
    steps, walkers = 30, 6
    trace = pd.DataFrame(
        {
            "step": np.repeat(np.arange(steps), walkers),
            "walker": np.tile(np.arange(walkers), steps),
            "path": "rate",
            "value": np.linspace(0, 1, steps * walkers),
        }
    )
    _fig, ax = figure((9, 2.8))
    trace_chart(trace, "rate", burn=10, label="drone rate", ax=ax)
    drawn(ax)
    assert len(ax.get_lines()) == walkers
    assert all(len(line.get_xdata()) == steps for line in ax.get_lines())
    assert legend_texts(ax) == ["burn-in (10 steps, discarded)"]
    assert subtitle_artist(ax).get_text() == "6 walkers"
    assert_legend_off_the_data(ax)


def test_the_pair_chart_is_a_corner_plot():
    frame = draws()
    fig = Figure(figsize=(7.8, 7), layout="constrained")
    axes = pair_chart(frame, {"rate": "drone rate", "branching": "branching"}, "Posterior", fig)
    assert len(axes) == 3  # two marginals and one scatter: the lower triangle
    rate, scatter, branching = axes
    drawn(rate)
    lo, median, hi = np.quantile(frame["rate"], [0.05, 0.5, 0.95])
    marks = sorted(line.get_xdata()[0] for line in rate.get_lines())
    np.testing.assert_allclose(marks, [lo, median, hi])
    assert subtitle_artist(rate).get_text().startswith(f"median {median:.3g}, 90% [")
    assert len(scatter.collections[0].get_offsets()) == len(frame)
    rho = frame.corr(method="spearman").iloc[0, 1]
    assert subtitle_artist(scatter).get_text() == f"rank correlation {rho:+.2f}"
    assert rho < -0.9
    assert scatter.get_xlabel() == "drone rate" and scatter.get_ylabel() == "branching"
    assert branching.get_xlabel() == "branching"


def test_long_parameter_names_stay_inside_the_pair_chart():
    long = "faction drone attack on Israel: self-excitation branching"
    fig = Figure(figsize=(7.8, 7), layout="constrained")
    axes = pair_chart(
        draws(), {"rate": long.replace("self-excitation", "base"), "branching": long}, "P", fig
    )
    drawn(axes[0])
    for ax in axes:
        for label in (ax.xaxis.label, ax.yaxis.label):
            if label.get_text():
                assert inside(label.get_window_extent(), fig.bbox), label.get_text()
