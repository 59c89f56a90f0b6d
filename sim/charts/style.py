"""The house style of every chart: palette, titles, date axes, legends,
probability bands, and figures made outside pyplot's global state for files.

Charts take tidy frames and an optional `ax`, and return the `ax`; they never
show a window, compute statistics or write files (`sim.writers.folder.save_figure`
does, atomically). Three rules from a review of the charts a briefing uses:
legends sit outside the plotting area (`legend_outside`), date axes name the
year on their first tick (`date_axis`), and titles wrap to the figure rather
than run off it (`style`).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, Literal, cast

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.textpath import TextToPath
from matplotlib.ticker import Formatter
from matplotlib.transforms import ScaledTranslation

# matplotlib.dates ships without annotations; these typed views say what we rely on.
_num2date = cast(Callable[[float], dt.datetime], mdates.num2date)
_auto_date_locator = cast(Callable[..., mdates.AutoDateLocator], mdates.AutoDateLocator)

PALETTE = [
    "#1b6ca8",
    "#d1495b",
    "#edae49",
    "#00798c",
    "#66a182",
    "#8d6a9f",
    "#30343f",
    "#e07a5f",
    "#3d405b",
    "#81b29a",
]


LADDER_CMAP = "YlOrRd"


BAND_NOTE = "shaded: 95% Wilson interval, pointwise per day"

TITLE_SIZE = 12
SUBTITLE_SIZE = 9
LEGEND_SIZE = 8.5
LEGEND_WRAP = 34
"""Characters per line of a legend entry placed beside the axes."""
LINE_SPACING = 1.2
"""Matplotlib's default distance between lines of text, in font sizes."""

_MEASURE = TextToPath()


def new_axes(ax: Axes | None, size: tuple[float, float] = (9, 4.8)) -> Axes:
    """The given axes, or new ones (pyplot, so notebooks display them)."""
    if ax is not None:
        return ax
    _, created = plt.subplots(figsize=size, layout="constrained")
    return created


def figure(size: tuple[float, float] = (9, 4.8)) -> tuple[Figure, Axes]:
    """A figure outside pyplot's global state, for files written by the CLI."""
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width in points of the widest line of `text` in the default font,
    without a renderer."""
    font = FontProperties(size=size, weight=weight)
    return max(
        float(_MEASURE.get_text_width_height_descent(line, font, ismath=False)[0])
        for line in text.split("\n")
    )


def wrap(text: str, width: float, size: float, weight: str = "normal") -> str:
    """`text` broken between words into lines at most `width` points wide
    (a single word wider than that keeps its own line)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size, weight) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines)


def wrap_label(label: str, width: int = LEGEND_WRAP) -> str:
    """A legend or tick label in lines of at most `width` characters, keeping
    the line breaks it already has."""
    return "\n".join(
        "\n".join(textwrap.wrap(line, width, break_long_words=False) or [""])
        for line in label.split("\n")
    )


def title_width(ax: Axes) -> float:
    """Points a left-aligned title of `ax` can take before the figure's edge.

    The title starts at the axes' left edge, which constrained layout moves
    right of the y tick labels and label; so the estimate is this axes' column
    of the figure less the widest y tick label and the y label (known before
    drawing, unlike the final layout).
    """
    fig = ax.figure
    column = 1.0
    spec = ax.get_subplotspec()
    if spec is not None:
        column = len(spec.colspan) / spec.get_gridspec().ncols
    left = max(
        (text_width(t.get_text(), float(t.get_fontsize())) for t in ax.get_yticklabels()),
        default=0.0,
    )
    left += mpl.rcParams["ytick.major.size"] + mpl.rcParams["ytick.major.pad"] + 8
    if ax.get_ylabel():
        left += float(ax.yaxis.label.get_fontsize()) * LINE_SPACING + ax.yaxis.labelpad
    return float(max(column * fig.bbox.width / fig.dpi * 72 - left - 12, 120.0))


def style(ax: Axes, title: str | None = None, subtitle: str | None = None) -> None:
    """Light grid, no top and right spines, a bold title with a grey subtitle
    under it, both left-aligned and wrapped to the figure's width.

    Call it after the tick labels and axis labels are set: the wrap width
    allows for them (see `title_width`).
    """
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(True, color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    width = title_width(ax)
    lines = 0
    if subtitle:
        text = wrap(subtitle, width, SUBTITLE_SIZE)
        lines = text.count("\n") + 1
        # Offsets in points, not axes fractions, so tall charts keep title and
        # subtitle apart.
        ax.annotate(
            text,
            (0, 1),
            xycoords="axes fraction",
            xytext=(0, 5),
            textcoords="offset points",
            fontsize=SUBTITLE_SIZE,
            color="#555555",
            va="bottom",
            wrap=True,
        )
    if title:
        # Above the subtitle: its 5-point offset, its first line's full height
        # (about 13 points at 9 points), a line spacing per further line, the
        # title's descent and a gap.
        ax.set_title(
            wrap(title, width, TITLE_SIZE, "bold"),
            loc="left",
            fontsize=TITLE_SIZE,
            fontweight="bold",
            pad=13 + lines * SUBTITLE_SIZE * LINE_SPACING if subtitle else 8,
            wrap=True,  # a safety net: the figure's edge, should the estimate be short
        )


class DateTicks(Formatter):
    r"""Date tick labels that say the year once, where it starts.

    Month ticks read "Aug", "Sep", ... with the year under the first tick and
    under the first tick of each new year ("Jan\n2025"); day ticks read
    "5 Aug" with the same rule; hour ticks "06:00" with the date under the
    first tick of each day; ticks on 1 January only, the year. A reader of a
    cropped or printed chart always sees which year it is.
    """

    def __call__(self, x: float, pos: int | None = None) -> str:
        """One date in full ("05 Aug 2024"): what matplotlib shows for a single
        value (the cursor read-out), where there is no neighbour to lean on."""
        return f"{_num2date(x):%d %b %Y}"

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        """Labels for all ticks at once, so each can say the year (or date)
        only where it changes from the tick before.

        Args:
            values: Tick positions as matplotlib date numbers (days since
                matplotlib's epoch), in axis order.
        """
        dates = [_num2date(v) for v in values]
        if not dates:
            return []
        if len(dates) > 1 and all((d.month, d.day) == (1, 1) for d in dates):
            return [f"{d:%Y}" for d in dates]
        hourly = any(d.time() != dt.time(0) for d in dates)
        monthly = not hourly and all(d.day == 1 for d in dates)
        labels = []
        for i, d in enumerate(dates):
            previous = dates[i - 1] if i else None
            if hourly:
                text = f"{d:%H:%M}"
                if previous is None or d.date() != previous.date():
                    text += f"\n{d.day} {d:%b %Y}"
            else:
                text = f"{d:%b}" if monthly else f"{d.day} {d:%b}"
                if previous is None or d.year != previous.year:
                    text += f"\n{d.year}"
            labels.append(text)
        return labels


def date_axis(ax: Axes) -> None:
    """Dates on the x axis: 4 to 9 ticks, labelled by `DateTicks`."""
    ax.xaxis.set_major_locator(_auto_date_locator(minticks=4, maxticks=9))
    ax.xaxis.set_major_formatter(DateTicks())


def below_offset(ax: Axes) -> float:
    """Points from the bottom of the axes to just below its x tick labels and
    x label: where a legend under the axes can start without covering them."""
    offset = mpl.rcParams["xtick.major.size"] + mpl.rcParams["xtick.major.pad"]
    labels = [t for t in ax.xaxis.get_majorticklabels() if t.get_text()]
    offset += max(
        ((t.get_text().count("\n") + 1) * float(t.get_fontsize()) * LINE_SPACING for t in labels),
        default=0.0,
    )
    if ax.get_xlabel():
        label = ax.xaxis.label
        lines = label.get_text().count("\n") + 1
        offset += ax.xaxis.labelpad + lines * float(label.get_fontsize()) * LINE_SPACING
    return float(offset + 6)


def legend_outside(
    ax: Axes,
    where: Literal["right", "below"] = "right",
    handles: Sequence[Artist] | None = None,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    ncols: int = 1,
    fontsize: float = LEGEND_SIZE,
) -> Legend:
    """The chart's legend outside its plotting area, so it never covers data.

    "right": beside the axes, from their top, each entry wrapped to
    `LEGEND_WRAP` characters; "below": under the x tick labels and x label,
    in `ncols` columns. Constrained layout makes room for either.
    """
    if handles is None or labels is None:
        handles, labels = ax.get_legend_handles_labels()
    options: dict[str, Any] = {
        "fontsize": fontsize,
        "frameon": False,
        "title": title,
        "title_fontsize": fontsize,
        "borderaxespad": 0,
        "alignment": "left",
    }
    if where == "right":
        shown = [wrap_label(label) for label in labels]
        return ax.legend(handles, shown, loc="upper left", bbox_to_anchor=(1.02, 1.0), **options)
    below = ax.transAxes + ScaledTranslation(0, -below_offset(ax) / 72, ax.figure.dpi_scale_trans)
    return ax.legend(
        handles,
        list(labels),
        loc="upper left",
        bbox_to_anchor=(0, 0),
        bbox_transform=below,
        ncols=ncols,
        **options,
    )


def curve_with_band(ax: Axes, curve: pd.DataFrame, name: str, colour: str, width: float) -> None:
    """One probability curve with its band, labelled with its name and, on a
    second line, its final value and interval (the probability by the horizon)."""
    ax.fill_between(
        curve["date"], curve["lower"], curve["upper"], color=colour, alpha=0.18, linewidth=0
    )
    last = curve.iloc[-1]
    ax.plot(
        curve["date"],
        curve["probability"],
        color=colour,
        linewidth=width,
        label=f"{name}\n{last['probability']:.2f} [{last['lower']:.2f}, {last['upper']:.2f}]",
    )
