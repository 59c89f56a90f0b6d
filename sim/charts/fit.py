"""Charts of a stream fit: QQ of time-rescaled residuals, fitted intensity
against daily counts, and the branching matrix.

Each takes the tidy frames of `sim.experiments.fit` (`FitResult.gof.qq`,
`.gof.ks`, `.gof.daily`, `FitResult.table()`) and an optional `ax`, and
returns the Axes, in the house style of `sim.charts.style`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.charts.style import PALETTE, date_axis, legend_outside, new_axes, style

MUTED = "#555555"


def qq_chart(qq: pd.DataFrame, ks: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Rescaled gaps against Exp(1) quantiles, one colour per event type; the
    KS p-values are in the title. Points on the diagonal: the model explains
    the timing; above it at the right: more long gaps than the model expects."""
    ax = new_axes(ax, (5.5, 5.0))
    top = 0.0
    for i, (event, part) in enumerate(qq.groupby("event", sort=False)):
        ax.plot(
            part["theoretical"],
            part["observed"],
            ".",
            markersize=3,
            color=PALETTE[i % len(PALETTE)],
            label=str(event),
        )
        top = max(top, float(part["theoretical"].max()), float(part["observed"].max()))
    ax.plot([0, top], [0, top], color=MUTED, linewidth=1, linestyle="--", label="Exp(1)")
    stats = "; ".join(
        f"KS {row.event}: p = {row.p_value:.2g}{'' if row.passed else ' (fails at 5%)'}"
        for row in ks.itertuples()
    )
    style(ax, f"Time-rescaling QQ: {stats}", "points on the diagonal: the fit explains the timing")
    ax.set_xlabel("Exp(1) quantile")
    ax.set_ylabel("rescaled gap")
    legend_outside(ax, "right")
    return ax


def intensity_chart(daily: pd.DataFrame, event: str, ax: Axes | None = None) -> Axes:
    """Daily counts (bars) and the fitted expected count per day (line) of one
    event type over the period."""
    ax = new_axes(ax, (9.0, 4.2))
    part = daily[daily["event"] == event]
    ax.bar(part["date"], part["observed"], width=1.0, color="#c9d6e3", label="observed per day")
    ax.plot(part["date"], part["expected"], color=PALETTE[1], linewidth=1.2, label="fitted")
    date_axis(ax)
    style(
        ax,
        f"{event.replace('_', ' ')}: fitted intensity vs daily counts",
        "line: expected events per day under the fitted model, given the past",
    )
    ax.set_ylabel("events per day")
    legend_outside(ax, "below", ncols=2)
    return ax


def branching_chart(estimates: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Heatmap of branching (target row, source column) with each estimate
    and its 95% interval written in its cell; blank cells have no kernel."""
    rows = estimates[estimates["kind"] == "branching"]
    events = list(dict.fromkeys([*estimates["event"], *rows["source"].dropna()]))
    size = len(events)
    ax = new_axes(ax, (1.6 * size + 2.5, 1.4 * size + 1.5))
    matrix = np.full((size, size), np.nan)
    labels: dict[tuple[int, int], str] = {}
    index = {e: i for i, e in enumerate(events)}
    columns = [rows[c].tolist() for c in ("event", "source", "estimate", "lower", "upper")]
    for event, source, estimate, lower, upper in zip(*columns, strict=True):
        k, j = index[event], index[source]
        matrix[k, j] = estimate
        finite = np.isfinite(lower) and np.isfinite(upper)
        interval = f"[{lower:.2f}, {upper:.2f}]" if finite else "no interval"
        labels[(k, j)] = f"{estimate:.2f}\n{interval}"
    top = max(1.0, float(np.nanmax(matrix))) if rows.size else 1.0
    image = ax.imshow(matrix, cmap="YlOrRd", vmin=0, vmax=top)
    for (k, j), text in labels.items():
        colour = "white" if matrix[k, j] > 0.6 * top else "black"
        ax.text(j, k, text, ha="center", va="center", fontsize=9, color=colour)
    ax.set_xticks(range(size), events, rotation=30, ha="right")
    ax.set_yticks(range(size), events)
    ax.set_xlabel("source (exciting event)")
    ax.set_ylabel("target (excited stream)")
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="branching (direct offspring)")
    style(ax, "Branching matrix")
    ax.grid(False)
    return ax
