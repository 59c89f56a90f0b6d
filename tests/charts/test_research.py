"""The "what to research next" chart draws the parameters that matter and
counts the rest, instead of a column of empty rows."""

from __future__ import annotations

import pandas as pd

from sim.charts.uncertainty import _path_label, research_chart, research_size
from tests.charts.helpers import drawn


def indices(st: list[float], conf: float = 0.004) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "outcome": "spill",
            "label": "spillover",
            "parameter": [f"p{i}" for i in range(len(st))],
            "ST": st,
            "ST_conf": conf,
            "S1": [v / 2 for v in st],
            "S1_conf": conf,
            "noise_share": 0.1,
            "parameter_share": 0.8,
        }
    )


def ticks(st: list[float]) -> tuple[list[str], str]:
    ax = research_chart(indices(st), "spill")
    drawn(ax)
    return [t.get_text() for t in ax.get_yticklabels()], " ".join(t.get_text() for t in ax.texts)


def test_negligible_parameters_are_counted_not_drawn():
    names, text = ticks([0.5, 0.3, 0.1, 0.02, 0.001, 0.0, 0.0, 0.0])
    assert names == ["p0", "p1", "p2", "p3"]  # ranked, the largest first
    assert "4 more with a total index below 1%" in " ".join(text.split())


def test_the_top_three_stay_even_when_all_are_negligible():
    names, text = ticks([0.003, 0.002, 0.001, 0.0, 0.0])
    assert names == ["p0", "p1", "p2"]
    assert "2 more" in text


def test_nothing_is_hidden_when_every_parameter_may_matter():
    names, text = ticks([0.4, 0.3, 0.2, 0.1])
    assert len(names) == 4
    assert "more with a total index" not in text


def test_the_figure_is_sized_for_the_rows_drawn():
    """22 inputs of which 2 matter: the chart is as tall as 3 rows (the top
    three are always drawn), not 22."""
    few = research_size(indices([0.5, 0.3] + [0.0] * 20), "spill")
    all_matter = research_size(indices([0.05] * 22), "spill")
    assert few[1] < all_matter[1] / 3


def test_long_paths_are_broken_after_dots():
    label = _path_label("streams.drone_attack_israel.rate + streams.x.self_excitation.branching")
    assert all(len(line) <= 34 for line in label.split("\n"))
    assert label.replace("\n", "").replace("+ ", " + ") == (
        "streams.drone_attack_israel.rate + streams.x.self_excitation.branching"
    )
