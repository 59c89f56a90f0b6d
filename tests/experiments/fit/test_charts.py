"""The fit charts draw from the fit's tidy frames on given axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from sim.charts.fit import branching_chart, intensity_chart, qq_chart
from sim.experiments.fit import FitSpec, fit_streams
from tests.experiments.fit.helpers import engine_data

STREAMS = {
    "a": {"rate": 0.5, "self_excitation": {"branching": 0.4, "decay_days": 2.0}},
    "b": {"rate": 0.3, "excited_by": {"a": {"branching": 0.3, "decay_days": 3.0}}},
}


def test_charts_draw_on_the_given_axes():
    fit = fit_streams(
        engine_data(200.0, STREAMS, seed=3, days=True),
        FitSpec(kernels=(("a", "a"), ("b", "a")), intervals="wald"),
    )
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    assert qq_chart(fit.gof.qq, fit.gof.ks, ax=axes[0]) is axes[0]
    assert "KS a: p = " in axes[0].get_title(loc="left")
    assert len(axes[0].lines) == 3  # two event types and the diagonal
    assert intensity_chart(fit.gof.daily, "a", ax=axes[1]) is axes[1]
    assert len(axes[1].patches) == 200
    assert branching_chart(fit.table(), ax=axes[2]) is axes[2]
    cells = [t.get_text() for t in axes[2].texts]
    assert len(cells) == 2 and all("[" in c for c in cells)
    plt.close(fig)
