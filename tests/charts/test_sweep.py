"""Sweep charts from tidy frames and plain labels: human axis labels, Sobol
noise hatched and explained, discovery boxes that own up to failing points."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.patches import Rectangle

from sim.charts import sweep as charts
from sim.charts.style import figure
from tests.charts.helpers import assert_legend_off_the_data, drawn, legend_texts

RATE = charts.Parameter("streams.attack.rate", "attack: baseline rate (per day)", 0.05, 0.2, True)
PROBABILITY = charts.Parameter("rules.r.probability", "rule r: probability", 0.0, 1.0)
NOTE = charts.design_note("grid", 12, 50)


def grid_table() -> pd.DataFrame:
    rates, probabilities = np.geomspace(0.05, 0.2, 4), np.linspace(0, 1, 3)
    rows = []
    for rate in rates:
        for probability in probabilities:
            p = min(rate * 4 * (0.5 + probability / 2), 1.0)
            rows.append(
                {
                    RATE.column: rate,
                    PROBABILITY.column: probability,
                    "p_spill": p,
                    "lower_spill": max(p - 0.1, 0),
                    "upper_spill": min(p + 0.1, 1),
                    "replications": 50,
                }
            )
    return pd.DataFrame(rows)


def box(density: float, points: int) -> dict[str, object]:
    return {
        "outcome": "spill",
        "threshold": 0.5,
        "box": 1,
        "coverage": 0.9,
        "density": density,
        "points": points,
        f"{RATE.column} >=": 0.1,
        f"{RATE.column} <=": 0.2,
        f"{PROBABILITY.column} >=": 0.5,
        f"{PROBABILITY.column} <=": 1.0,
    }


def test_charts_know_no_experiment_types():
    """Charts take frames and plain values: no import of experiments, sweep
    files, runners or writers (docs/architecture.md)."""
    banned = ("sim.experiments", "sim.sweep", "sim.montecarlo", "sim.writers", "sim.engine")
    folder = Path(charts.__file__).parent
    for module in folder.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(banned), f"{module.name} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(banned), f"{module.name} imports {alias.name}"


def test_one_parameter_labels_its_axis_in_words_on_a_log_scale():
    _fig, ax = figure()
    table = grid_table().groupby(RATE.column, as_index=False).first()
    charts.one_parameter(table, RATE, {"spill": "spillover"}, NOTE, ax=ax)
    assert ax.get_xlabel() == RATE.label
    assert ax.get_xscale() == "log"
    assert ax.get_title(loc="left") == f"Sweep of {RATE.label}"
    assert legend_texts(ax) == ["spillover"]
    assert_legend_off_the_data(ax)
    drawn(ax)
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all("10^" not in t and "times" not in t for t in ticks)


def test_two_parameters_draw_a_grid_with_human_labels_and_a_box_that_owns_its_failures():
    _fig, ax = figure((8, 6))
    table = grid_table()
    charts.two_parameters(
        table, RATE, PROBABILITY, "spill", "spillover", NOTE, pd.DataFrame([box(0.8, 10)]), ax
    )
    assert ax.get_xlabel() == RATE.label
    assert ax.get_ylabel().replace("\n", " ") == PROBABILITY.label
    outlines = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(outlines) == 1
    notes = " ".join(t.get_text().replace("\n", " ") for t in ax.texts)
    assert "8 of 10 points reach 0.5" in notes
    assert "contains 2 failing points" in notes


def test_a_box_where_every_point_reaches_says_so():
    text, failing = charts.box_summary(box(1.0, 7))
    assert (text, failing) == ("all 7 points reach 0.5", 0)


def test_sweep_figure_chooses_the_view_by_the_number_of_parameters():
    table = grid_table()
    one = charts.sweep_figure(table.head(4), [RATE], {"spill": "spillover"}, NOTE)
    two = charts.sweep_figure(table, [RATE, PROBABILITY], {"spill": "spillover"}, NOTE)
    assert len(one.axes) == 1
    assert len(two.axes) == 2  # the heatmap and its colour bar
    assert two.axes[0].get_xlabel() == RATE.label


def indices() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "outcome": "spill",
            "parameter": [RATE.column, PROBABILITY.column, "horizon_days"],
            "S1": [0.6, -0.08, 0.2],
            "S1_conf": [0.05, 0.04, 0.05],
            "ST": [0.7, 0.1, 0.95],
            "ST_conf": [0.05, 0.05, 0.2],
            "noise_share": 0.1,
        }
    )


def test_noise_bars_are_those_whose_estimate_or_interval_leaves_zero_to_one():
    f = indices()
    assert charts.noise_bars(f["S1"], f["S1_conf"]).tolist() == [False, True, False]
    assert charts.noise_bars(f["ST"], f["ST_conf"]).tolist() == [False, False, True]


def test_sensitivity_chart_hatches_noise_and_says_why():
    f = indices()
    labels = {RATE.column: RATE.label, PROBABILITY.column: PROBABILITY.label}
    _fig, ax = figure(charts.sensitivity_chart_size(f, "spill"))
    charts.sensitivity_chart(f, "spill", labels, "spillover", ax=ax)
    s1, st = (list(c.patches) for c in ax.containers if isinstance(c, BarContainer))
    assert [bool(b.get_hatch()) for b in s1] == [False, True, False]
    assert [bool(b.get_hatch()) for b in st] == [False, False, True]
    assert [b.get_width() for b in s1] == pytest.approx(list(f["S1"]))
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert ticks == [RATE.label, PROBABILITY.label, "horizon_days"]
    notes = [t.replace("\n", " ") for t in legend_texts(ax)]
    assert any("outside [0, 1]: Monte Carlo noise; more replications needed" in t for t in notes)
    assert ax.get_title(loc="left") == "Sobol indices: spillover"
    assert_legend_off_the_data(ax)


def test_sensitivity_chart_without_noise_has_no_noise_note():
    f = indices().iloc[[0]]
    _fig, ax = figure()
    charts.sensitivity_chart(f, "spill", ax=ax)
    assert not any("noise" in t for t in legend_texts(ax))


def test_discovery_chart_names_parameters_and_failing_points():
    boxes = pd.DataFrame([box(0.75, 8), {**box(1.0, 4), "box": 2}])
    _fig, ax = figure(charts.discovery_chart_size(boxes, 2))
    charts.discovery_chart(boxes, [RATE, PROBABILITY], "spillover", ax=ax)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0].startswith("attack: baseline rate (per day)\nin [0.1, 0.2]")
    headers = [t.get_text() for t in ax.texts if t.get_text().startswith("box ")]
    assert "contains 2 failing points" in headers[0]
    assert headers[1].startswith("box 2: all 4 points reach 0.5")
    assert ax.get_title(loc="left") == "Where P(spillover) >= 0.5"
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    # log-swept rate 0.1..0.2 of 0.05..0.2 sits at 0.5..1 of its range
    assert bars[0].get_x() == pytest.approx(0.5)
    assert bars[0].get_width() == pytest.approx(0.5)
