"""The timeline of one replication and the calibration charts: long titles
wrap inside the figure, profiles are titled in words, legends sit below."""

from __future__ import annotations

import pandas as pd

from sim.charts.calibrate import calibration_chart, profile_chart
from sim.charts.style import figure
from sim.charts.trace import timeline_chart
from sim.experiments.trace import trace
from sim.scenario import with_overrides
from sim.scenario.schema import Scenario
from tests.charts.helpers import (
    assert_legend_off_the_data,
    drawn,
    inside,
    legend_texts,
    subtitle_artist,
    title_artist,
)

LONG_TITLE = (
    "A reference scenario with a title far longer than any chart is wide: one Poisson stream "
    "of attacks and a two-rung ladder, run"
)


def test_a_120_character_trace_title_wraps_inside_the_figure(poisson: Scenario):
    assert len(LONG_TITLE) >= 120
    titled = with_overrides(poisson, {"title": f"'{LONG_TITLE}'"})
    fig, ax = figure((10, 3.6))
    t = trace(titled, seed=0, rep=0)
    t.plot(ax=ax)
    drawn(ax)
    title = title_artist(ax)
    assert title.get_text().replace("\n", " ").startswith(LONG_TITLE)
    assert inside(title.get_window_extent(), fig.bbox)
    assert_legend_off_the_data(ax)


def test_timeline_draws_every_occurrence_and_the_chain():
    log = pd.DataFrame(
        {
            "index": [0, 1, 2, 3],
            "date": pd.to_datetime(["2024-08-02", "2024-08-20", "2024-09-03", "2024-10-01"]),
            "label": ["attack", "attack", "strike", "attack"],
            "event_order": [0, 0, 1, 0],
        }
    )
    _fig, ax = figure()
    timeline_chart(log, [1, 2], "A timeline", ax=ax)
    occurrences, chain = ax.collections[0], ax.get_lines()[0]
    assert len(occurrences.get_offsets()) == 4
    assert list(chain.get_ydata()) == [0, 1]  # attack, then the strike it led to
    assert [t.get_text() for t in ax.get_yticklabels()] == ["attack", "strike"]
    assert legend_texts(ax) == ["occurrence", "causal chain to the headline outcome"]
    assert_legend_off_the_data(ax)
    assert next(t.get_text() for t in ax.get_xticklabels() if t.get_text()).endswith("\n2024")


def test_profile_chart_is_titled_in_words_with_its_interval():
    profile = pd.DataFrame(
        {
            "path": "streams.attack.rate",
            "value": [0.3, 0.4, 0.5, 0.6, 0.7],
            "loglik": [-14.0, -11.0, -10.0, -11.0, -14.0],
        }
    )
    _fig, ax = figure((5, 3.8))
    profile_chart(
        profile, "streams.attack.rate", 0.5, (0.36, 0.64), "attack: baseline rate (per day)", ax=ax
    )
    assert ax.get_title(loc="left") == "attack: baseline rate (per day)"
    assert "[0.36, 0.64]" in subtitle_artist(ax).get_text()
    assert list(ax.get_lines()[0].get_ydata()) == [8.0, 2.0, 0.0, 2.0, 8.0]  # 2 x drop in loglik
    assert_legend_off_the_data(ax)


def test_calibration_chart_keeps_its_legend_below_the_window_labels():
    windows = pd.DataFrame(
        {
            "event": ["drone_attack", "drone_attack"],
            "from": pd.to_datetime(["2024-08-01", "2024-09-01"]),
            "to": pd.to_datetime(["2024-08-31", "2024-09-30"]),
            "observed": [6, 35],
            **{f"{k}_{q}": [5.0, 20.0] for k in ("start", "fit") for q in ("median", "p05")},
            **{f"{k}_p95": [30.0, 60.0] for k in ("start", "fit")},
        }
    )
    _fig, ax = figure()
    calibration_chart(windows, "Calibration", ax=ax)
    assert len(ax.collections[-1].get_offsets()) == 2  # a documented count per window
    assert_legend_off_the_data(ax)
    drawn(ax)
    assert title_artist(ax).get_text() == "Calibration"
