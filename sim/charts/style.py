"""The house style of every chart: palette, titles, date axes, probability
bands, and figures made outside pyplot's global state for files.

Charts take tidy frames and an optional `ax`, and return the `ax`; they never
show a window, compute statistics or write files (`sim.writers.folder.save_figure`
does, atomically).
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

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


def new_axes(ax: Axes | None, size: tuple[float, float] = (9, 4.8)) -> Axes:
    """The given axes, or new ones (pyplot, so notebooks display them)."""
    if ax is not None:
        return ax
    _, created = plt.subplots(figsize=size, layout="constrained")
    return created


def style(ax: Axes, title: str | None = None, subtitle: str | None = None) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(True, color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, loc="left", fontsize=12, fontweight="bold", pad=18 if subtitle else 8)
    if subtitle:
        # Offsets in points, not axes fractions, so tall charts keep title and
        # subtitle apart.
        ax.annotate(
            subtitle,
            (0, 1),
            xycoords="axes fraction",
            xytext=(0, 5),
            textcoords="offset points",
            fontsize=9,
            color="#555555",
            va="bottom",
        )


def date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def curve_with_band(ax: Axes, curve: pd.DataFrame, name: str, colour: str, width: float) -> None:
    """One probability curve with its band, labelled with its final value and
    interval (the probability by the horizon)."""
    ax.fill_between(
        curve["date"], curve["lower"], curve["upper"], color=colour, alpha=0.18, linewidth=0
    )
    last = curve.iloc[-1]
    ax.plot(
        curve["date"],
        curve["probability"],
        color=colour,
        linewidth=width,
        label=f"{name}: {last['probability']:.2f} [{last['lower']:.2f}, {last['upper']:.2f}]",
    )


def figure(size: tuple[float, float] = (9, 4.8)) -> tuple[Figure, Axes]:
    """A figure outside pyplot's global state, for files written by the CLI."""
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()
