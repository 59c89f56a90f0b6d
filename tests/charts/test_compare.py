"""Comparison charts name scenarios by their titles (variants by their
variant names), and keep their legends off the data."""

from __future__ import annotations

import pytest

from sim.charts.compare import difference_chart, difference_chart_size
from sim.charts.style import figure
from sim.experiments.compare import Comparison, compare, parse_variants
from sim.scenario import with_overrides
from sim.scenario.schema import Scenario
from tests.charts.helpers import (
    assert_legend_off_the_data,
    bands,
    data_lines,
    legend_texts,
    subtitle_artist,
)

TITLE = "Poisson reference with a title long enough to need a second line in the legend"


@pytest.fixture(scope="module")
def comparison(poisson: Scenario) -> Comparison:
    titled = with_overrides(poisson, {"title": f"'{TITLE}'"})
    named = [("poisson_count", poisson), ("titled_file", titled)]
    named += parse_variants(titled, ["faster:streams.attack.rate=0.6"])
    return compare(named, seed=2, reps=100)


def test_titles_fall_back_to_the_label_and_variants_keep_their_names(comparison: Comparison):
    # The first has no title; the second's title is used; the variant inherits
    # that title, so it keeps its variant name.
    assert comparison.titles() == ["poisson_count", TITLE, "faster"]
    assert list(dict.fromkeys(comparison.curves()["scenario_title"])) == comparison.titles()
    diff = comparison.differences()
    assert set(diff["scenario_title"]) == {TITLE, "faster"}
    assert set(diff["baseline_title"]) == {"poisson_count"}


def test_comparison_legend_shows_titles_outside_the_axes(comparison: Comparison):
    _fig, ax = figure()
    comparison.plot_curves("ten_attacks", ax=ax)
    assert len(data_lines(ax)) == len(bands(ax)) == 3
    names = [text.split("\n")[:-1] for text in legend_texts(ax)]
    joined = [" ".join(lines) for lines in names]
    assert joined == comparison.titles()
    assert "pointwise" in subtitle_artist(ax).get_text()
    assert_legend_off_the_data(ax)


def test_difference_chart_heads_each_group_with_its_scenario_title(comparison: Comparison):
    diff = comparison.differences()
    _fig, ax = figure(difference_chart_size(diff))
    difference_chart(diff, ax=ax)
    labels = {t.get_text().replace("\n", " ") for t in ax.get_yticklabels()}
    assert {TITLE, "faster"} <= labels
    bold = {
        t.get_text().replace("\n", " ")
        for t in ax.get_yticklabels()
        if t.get_fontweight() == "bold"
    }
    assert bold == {TITLE, "faster"}
    assert "baseline: poisson_count" in subtitle_artist(ax).get_text()
    # an unpaired and a paired interval per difference, centred on it
    assert [c.get_label() for c in ax.containers] == [
        "unpaired 95% interval",
        "paired 95% interval (common random numbers)",
    ]
    for container in ax.containers:
        centre = container.lines[0]
        assert list(centre.get_xdata()) == pytest.approx(list(diff["difference"]))
    assert_legend_off_the_data(ax)


def test_difference_chart_takes_frames_without_titles(comparison: Comparison):
    diff = comparison.differences().drop(columns=["scenario_title", "baseline_title"])
    _fig, ax = figure(difference_chart_size(diff))
    difference_chart(diff, ax=ax)
    assert "titled_file" in {t.get_text() for t in ax.get_yticklabels()}
