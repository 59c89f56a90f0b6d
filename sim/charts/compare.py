"""Charts of a policy comparison: one outcome's curve per scenario, and the
forest plot of differences with paired and unpaired intervals.

Scenarios are named by their `scenario_title` column where the frame has one
(a scenario's human title; see `Comparison.titles`), else by `scenario`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.charts.style import (
    BAND_NOTE,
    PALETTE,
    curve_with_band,
    date_axis,
    legend_outside,
    new_axes,
    style,
    wrap_label,
)

HEADING_WRAP = 44
"""Characters per line of a scenario's heading in the forest plot."""


def _names(frame: pd.DataFrame, column: str) -> pd.Series:
    titled = f"{column}_title"
    return frame[titled] if titled in frame else frame[column]


def comparison_chart(curves: pd.DataFrame, outcome: str, ax: Axes | None = None) -> Axes:
    """One outcome's probability curve per scenario, with pointwise bands."""
    ax = new_axes(ax)
    f = curves[curves["outcome"] == outcome].assign(name=lambda d: _names(d, "scenario"))
    for i, (name, g) in enumerate(f.groupby("name", sort=False)):
        curve_with_band(ax, g, str(name), PALETTE[i % len(PALETTE)], 2)
    n = int(f["replications"].iloc[0])
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability it has happened")
    style(
        ax,
        f"{f['label'].iloc[0]}: scenarios compared",
        f"{n:,} paired replications each (common random numbers); {BAND_NOTE}",
    )
    date_axis(ax)
    legend_outside(ax, title="by the horizon")
    return ax


def difference_layout(differences: pd.DataFrame) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """Where each row of the forest plot goes: a y per difference, grouped
    under a heading per scenario (y and text), from the top down."""
    names = _names(differences.reset_index(drop=True), "scenario")
    y, headings, top = [], [], 0.0
    for name in dict.fromkeys(names):
        headings.append((top, wrap_label(str(name), HEADING_WRAP)))
        top -= 1
        for _ in range(int((names == name).sum())):
            y.append(top)
            top -= 1
        top -= 0.4
    return np.array(y), headings


def difference_chart_size(differences: pd.DataFrame) -> tuple[float, float]:
    """A figure size (inches) that gives every row and heading of the forest plot room."""
    rows = len(differences) + differences["scenario"].nunique() * 1.4
    return (9.0, 0.36 * rows + 2.2)


def difference_chart(differences: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Forest plot: each scenario-minus-baseline difference with its paired
    and unpaired 95% intervals, one group of outcomes per scenario."""
    rows = differences.reset_index(drop=True)
    ax = new_axes(ax, size=difference_chart_size(rows))
    y, headings = difference_layout(rows)
    ax.errorbar(
        rows["difference"],
        y + 0.15,
        xerr=[
            rows["difference"] - rows["unpaired_lower"],
            rows["unpaired_upper"] - rows["difference"],
        ],
        fmt="o",
        color=PALETTE[6],
        alpha=0.55,
        capsize=3,
        label="unpaired 95% interval",
    )
    ax.errorbar(
        rows["difference"],
        y - 0.15,
        xerr=[rows["difference"] - rows["paired_lower"], rows["paired_upper"] - rows["difference"]],
        fmt="o",
        color=PALETTE[1],
        capsize=3,
        label="paired 95% interval (common random numbers)",
    )
    ax.axvline(0, color="#888888", linewidth=1)
    ticks = [*(h for h, _ in headings), *y]
    labels = [*(text for _, text in headings), *rows["label"]]
    ax.set_yticks(ticks, labels, fontsize=8)
    heading_y = {h for h, _ in headings}
    for tick, at in zip(ax.yaxis.get_major_ticks(), ax.get_yticks(), strict=True):
        if at in heading_y:
            tick.label1.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(min(y) - 0.7, 0.7)
    baseline = str(_names(rows, "baseline").iloc[0]) if len(rows) else "the baseline"
    ax.set_xlabel("difference in probability by the horizon (scenario minus baseline)")
    style(
        ax,
        "Difference in probability by the horizon",
        f"baseline: {baseline}; {int(rows['replications'].iloc[0]):,} replications per scenario",
    )
    ax.grid(False, axis="y")
    legend_outside(ax, "below", ncols=2)
    return ax
