"""Charts of forecast skill: reliability, sharpness, PIT, forecasts against
what happened. House style (`sim.charts.style`): tidy frames in (from
`sim.experiments.backtest`), an optional `ax` in, the `ax` out; nothing here
computes a statistic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.charts.style import PALETTE, date_axis, legend_outside, new_axes, style

WILSON_NOTE = "bars: 95% Wilson interval of the observed frequency"


def reliability_chart(
    reliability: pd.DataFrame, title: str = "Reliability", ax: Axes | None = None
) -> Axes:
    """Forecast probability against observed frequency, with the diagonal of
    perfect calibration. Binned rows are drawn as points sized by their
    number of forecasts; sparse sets (`kind == 'question'`) as one labelled
    point per question at 0 or 1."""
    ax = new_axes(ax, size=(6.4, 6.0))
    ax.plot([0, 1], [0, 1], color="#999999", linewidth=1, linestyle="--", label="perfect")
    sparse = bool((reliability["kind"] == "question").all()) if len(reliability) else False
    x = reliability["forecast"].to_numpy(dtype=float)
    y = reliability["observed"].to_numpy(dtype=float)
    yerr = np.vstack([y - reliability["lower"], reliability["upper"] - y])
    if sparse:
        ax.errorbar(x, y, yerr=yerr, fmt="none", ecolor=PALETTE[0], alpha=0.35, capsize=3)
        ax.scatter(x, y, color=PALETTE[0], zorder=3, label="one question")
        _number_points(ax, x, y)
        subtitle = f"{len(reliability)} questions, each at its outcome (0 or 1); {WILSON_NOTE}"
    else:
        sizes = 30 + 170 * reliability["forecasts"] / max(reliability["forecasts"].max(), 1)
        ax.errorbar(x, y, yerr=yerr, fmt="none", ecolor=PALETTE[0], capsize=3)
        ax.plot(x, y, color=PALETTE[0], linewidth=1.2)
        ax.scatter(x, y, s=sizes, color=PALETTE[0], zorder=3, label="bin (size: forecasts)")
        total = int(reliability["forecasts"].sum())
        subtitle = f"{total} forecasts in {len(reliability)} bins; {WILSON_NOTE}"
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("forecast probability")
    ax.set_ylabel("observed frequency")
    style(ax, title, subtitle)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    if sparse:
        _question_key(ax, reliability)
    return ax


LABEL_GAP = 0.035
"""Points' numbers closer than this (forecast probability) on one outcome row
are stacked rather than drawn over each other."""
LABEL_STEP = 10
"""Points between stacked numbers."""


def label_levels(x: np.ndarray, y: np.ndarray, gap: float = LABEL_GAP) -> list[int]:
    """Each point's stacking level for its number: 0 beside the point, 1 a step
    further into the plot, ...; the lowest level no earlier point of the same
    outcome row within `gap` already uses. Questions' ids are long and their
    forecasts often close (two at 0.53 and 0.62 wrote one id over the other),
    so points carry short numbers, stacked where they would still collide."""
    levels: list[int] = []
    for i in range(len(x)):
        taken = {
            levels[j] for j in range(i) if (y[j] > 0.5) == (y[i] > 0.5) and abs(x[j] - x[i]) < gap
        }
        levels.append(min(set(range(len(taken) + 1)) - taken))
    return levels


def _number_points(ax: Axes, x: np.ndarray, y: np.ndarray) -> None:
    """Number each question's point 1, 2, ... (the key under the chart names them)."""
    for number, (xi, yi, level) in enumerate(zip(x, y, label_levels(x, y), strict=True), 1):
        step = LABEL_STEP * level
        ax.annotate(
            str(number),
            (xi, yi),
            textcoords="offset points",
            xytext=(5, -10 - step if yi > 0.5 else 6 + step),
            fontsize=8,
            fontweight="bold",
            color="#444444",
        )


def _question_key(ax: Axes, reliability: pd.DataFrame) -> None:
    """The numbers' key under the axes: number, question id, forecast and
    outcome, one line each, so no id is drawn over another or over the data.
    The legend of the diagonal and the points stays inside the axes."""
    inside = ax.get_legend()
    lines = [
        f"{number}  {row.label}: {row.forecast:.2f}, {'happened' if row.observed else 'did not'}"
        for number, row in enumerate(reliability.itertuples(), 1)
    ]
    handles = [Line2D([], [], linestyle="none") for _ in lines]
    legend_outside(ax, "below", handles, lines, title="Questions (forecast, outcome)")
    if inside is not None:
        ax.add_artist(inside)


def sharpness_chart(
    sharpness: pd.DataFrame, title: str = "Sharpness", ax: Axes | None = None
) -> Axes:
    """How many forecasts fall in each probability bin."""
    ax = new_axes(ax, size=(6.4, 3.6))
    widths = sharpness["bin_upper"] - sharpness["bin_lower"]
    ax.bar(
        sharpness["bin_lower"],
        sharpness["forecasts"],
        width=widths * 0.92,
        align="edge",
        color=PALETTE[0],
        alpha=0.8,
    )
    ax.set_xlim(0, 1)
    # Counts of forecasts: a tick at 0.25 forecasts means nothing.
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("forecast probability")
    ax.set_ylabel("forecasts")
    style(
        ax, title, f"{int(sharpness['forecasts'].sum())} forecasts; sharper sets sit near 0 and 1"
    )
    return ax


def pit_chart(
    pit: pd.Series,
    test: Mapping[str, Any],
    title: str = "PIT histogram",
    ax: Axes | None = None,
) -> Axes:
    """Histogram of randomized PIT values as a density, with the uniform line
    a calibrated forecaster would scatter around, and the chi-square test.

    Args:
        pit: PIT values (a column of a score table).
        test: a row of `RollingScores.pit_tests()`: bins, chi2, dof, p_value.
        title: the chart's title (the test is in the subtitle).
        ax: axes to draw on (default: new axes in the house size).
    """
    ax = new_axes(ax, size=(6.4, 4.0))
    bins = int(test["bins"])
    ax.hist(
        pit.dropna(),
        bins=np.linspace(0, 1, bins + 1).tolist(),
        density=True,
        color=PALETTE[0],
        alpha=0.8,
        edgecolor="white",
    )
    ax.axhline(1.0, color=PALETTE[1], linewidth=1.5, label="uniform (calibrated)")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("randomized PIT")
    ax.set_ylabel("density")
    style(
        ax,
        title,
        f"{pit.notna().sum()} forecasts; chi-square {test['chi2']:.1f} on {int(test['dof'])} df, "
        f"p = {test['p_value']:.3g}; U-shape: too sharp, hump: too wide, slope: biased",
    )
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    return ax


def forecast_fan_chart(
    fan: pd.DataFrame, event: str, lead_days: int, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Predictive quantiles (5-95% and 25-75% bands, median) of each lead
    window's count, by forecast origin, with the count that happened.

    Args:
        fan: `RollingScores.fan()`: origin, event, observed, mean, q05..q95.
        event: which event type to draw.
        lead_days: the lead window's length (for the subtitle).
        title: the chart's title (default: "Forecasts against what happened: <event>").
        ax: axes to draw on (default: new axes in the house size).
    """
    ax = new_axes(ax)
    f = fan[fan["event"] == event].sort_values("origin")
    when = pd.to_datetime(f["origin"])
    ax.fill_between(
        when,
        f["q05"],
        f["q95"],
        color=PALETTE[0],
        alpha=0.15,
        linewidth=0,
        label="forecast 5-95%",
        step="post",
    )
    ax.fill_between(
        when,
        f["q25"],
        f["q75"],
        color=PALETTE[0],
        alpha=0.3,
        linewidth=0,
        label="forecast 25-75%",
        step="post",
    )
    ax.step(when, f["q50"], where="post", color=PALETTE[0], linewidth=1.5, label="forecast median")
    ax.scatter(when, f["observed"], color=PALETTE[1], s=14, zorder=3, label="what happened")
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"occurrences in the next {lead_days} days")
    style(
        ax,
        title or f"Forecasts against what happened: {event.replace('_', ' ')}",
        f"{len(f)} forecast origins; each forecast covers the {lead_days} days from its origin",
    )
    date_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return ax
