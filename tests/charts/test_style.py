"""The house style: the year on date axes, legends outside the data, titles
and subtitles that wrap inside the figure."""

from __future__ import annotations

import re

import matplotlib.dates as mdates
import pandas as pd
import pytest

from sim.charts.style import (
    DateTicks,
    date_axis,
    figure,
    legend_outside,
    style,
    text_width,
    wrap,
)
from tests.charts.helpers import (
    assert_legend_off_the_data,
    drawn,
    inside,
    overlap,
    subtitle_artist,
    title_artist,
)

LONG_TITLE = (
    "Iraq 2024: Israeli threat to strike factions in Iraq, with US pressure on Baghdad, "
    "Iranian missiles moved into Iraq and more"
)


def tick_labels(start: str, end: str) -> list[str]:
    """The date tick labels a chart spanning start..end shows, after a draw."""
    _fig, ax = figure()
    dates = pd.date_range(start, end, periods=50)
    ax.plot(dates, range(len(dates)))
    ax.set_xlim(dates[0], dates[-1])
    date_axis(ax)
    drawn(ax)
    return [t.get_text() for t in ax.get_xticklabels() if t.get_text()]


def test_long_title_fixture_is_long():
    assert len(LONG_TITLE) >= 120


def test_month_ticks_name_the_year_on_the_first_tick_and_each_january():
    labels = tick_labels("2024-08-01", "2025-03-29")
    assert labels[0] == "Aug\n2024"
    assert "Jan\n2025" in labels
    others = [label for label in labels[1:] if label != "Jan\n2025"]
    assert others and all(re.fullmatch(r"[A-Z][a-z]{2}", label) for label in others), labels


def test_a_year_appears_on_the_first_tick_of_a_new_year_even_without_january():
    ticks = [mdates.date2num(pd.Timestamp(d)) for d in ("2024-08-01", "2024-11-01", "2025-02-01")]
    assert DateTicks().format_ticks(ticks) == ["Aug\n2024", "Nov", "Feb\n2025"]


def test_day_ticks_show_day_and_month_with_the_year_on_the_first():
    labels = tick_labels("2024-08-03", "2024-08-24")
    assert re.fullmatch(r"\d{1,2} Aug\n2024", labels[0]), labels
    assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}", label) for label in labels[1:]), labels


def test_day_ticks_across_new_year_name_the_new_year():
    labels = tick_labels("2024-12-20", "2025-01-12")
    assert labels[0].endswith("\n2024")
    assert sum(label.endswith("\n2025") for label in labels) == 1, labels


def test_long_spans_show_years():
    labels = tick_labels("2010-01-01", "2024-01-01")
    assert all(re.fullmatch(r"\d{4}", label) for label in labels), labels


def test_hour_ticks_name_the_date_on_the_first():
    ticks = [mdates.date2num(pd.Timestamp("2024-08-01") + pd.Timedelta(hours=h)) for h in (6, 12)]
    assert DateTicks().format_ticks(ticks) == ["06:00\n1 Aug 2024", "12:00"]


def test_wrap_keeps_every_word_and_each_line_within_the_width():
    text = wrap(LONG_TITLE, 300, 12, "bold")
    assert text.replace("\n", " ") == LONG_TITLE
    assert text.count("\n") >= 2
    assert all(text_width(line, 12, "bold") <= 300 for line in text.split("\n"))


@pytest.mark.parametrize("where", ["right", "below"])
def test_legend_outside_lies_off_the_data_and_the_tick_labels(where: str):
    _fig, ax = figure()
    dates = pd.date_range("2024-08-01", "2025-03-01", periods=20)
    for i in range(3):
        ax.plot(dates, [i] * len(dates), label=f"series number {i} with a long name")
    ax.set_xlabel("date")
    date_axis(ax)
    legend_outside(ax, where, ncols=2)  # type: ignore[arg-type]
    assert_legend_off_the_data(ax)


def test_a_long_title_and_subtitle_wrap_inside_the_figure_without_meeting():
    fig, ax = figure()
    ax.plot([0, 1], [0, 1])
    ax.set_ylabel("probability")
    style(ax, LONG_TITLE, "a subtitle that is also long: " + LONG_TITLE.lower())
    drawn(ax)
    title, subtitle = title_artist(ax), subtitle_artist(ax)
    assert "\n" in title.get_text()
    assert inside(title.get_window_extent(), fig.bbox)
    assert inside(subtitle.get_window_extent(), fig.bbox)
    assert not overlap(title.get_window_extent(), subtitle.get_window_extent())
    assert not overlap(subtitle.get_window_extent(), ax.get_window_extent())
