"""What the chart tests look at: artists in display coordinates after a draw.

A chart is judged by what it draws (lines, bands, bars, legends, tick labels
and titles and where they land on the figure), never by the size of a file.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox


def drawn(ax: Axes) -> Figure:
    """Draw the axes' figure (constrained layout runs), returning the figure."""
    fig = ax.figure
    assert isinstance(fig, Figure)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig


def overlap(a: Bbox, b: Bbox) -> bool:
    """Whether two display boxes share an area (touching edges do not count)."""
    return a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5


def inside(inner: Bbox, outer: Bbox, slack: float = 1.0) -> bool:
    return (
        inner.x0 >= outer.x0 - slack
        and inner.y0 >= outer.y0 - slack
        and inner.x1 <= outer.x1 + slack
        and inner.y1 <= outer.y1 + slack
    )


def assert_legend_off_the_data(ax: Axes) -> None:
    """The legend lies outside the plotting area, off the tick labels and the
    axis labels, and inside the figure (so a saved file shows all of it)."""
    legend = ax.get_legend()
    assert legend is not None, "the chart has no legend"
    fig = drawn(ax)
    box = legend.get_window_extent()
    assert not overlap(box, ax.get_window_extent()), "the legend covers the plotting area"
    texts = [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.xaxis.label, ax.yaxis.label]
    for text in texts:
        if text.get_text() and text.get_visible():
            assert not overlap(box, text.get_window_extent()), f"legend covers {text.get_text()!r}"
    assert inside(box, fig.bbox), "the legend runs off the figure"


def legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def data_lines(ax: Axes) -> list:
    """Lines drawn for data (labelled), not reference lines."""
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def bands(ax: Axes) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def title_artist(ax: Axes) -> Text:
    """The left title's Text (the house style titles charts on the left)."""
    wanted = ax.get_title(loc="left")
    matches = [
        t
        for t in ax.get_children()
        if isinstance(t, Text) and t.get_text() == wanted and t.get_text()
    ]
    assert matches, "the chart has no left title"
    return matches[0]


def subtitle_artist(ax: Axes) -> Text:
    """The grey subtitle under the title (an annotation above the axes)."""
    found = [t for t in ax.texts if getattr(t, "xy", None) == (0, 1)]
    assert found, "the chart has no subtitle"
    return found[0]


def first_tick_label(ax: Axes) -> str:
    drawn(ax)
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels, "no x tick labels"
    return labels[0]
