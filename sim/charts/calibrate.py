"""Charts of a calibration: documented counts against the model before and
after fitting, and each parameter's profile deviance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.charts.style import PALETTE, new_axes, style


def calibration_chart(windows: pd.DataFrame, title: str, ax: Axes | None = None) -> Axes:
    """Documented counts per window beside the simulated 5-95% band and median
    at the starting and the fitted parameters."""
    ax = new_axes(ax)
    x = np.arange(len(windows))
    labels = [
        f"{r['event'].replace('_', ' ')}\n{r['from']:%d %b} - {r['to']:%d %b %Y}"
        for r in windows.to_dict(orient="records")
    ]
    for offset, name, colour, text in (
        (-0.15, "start", PALETTE[6], "before fitting"),
        (0.15, "fit", PALETTE[0], "fitted"),
    ):
        median = windows[f"{name}_median"].to_numpy()
        ax.errorbar(
            x + offset,
            median,
            yerr=[median - windows[f"{name}_p05"], windows[f"{name}_p95"] - median],
            fmt="o",
            color=colour,
            capsize=4,
            linewidth=1.6,
            label=f"simulated {text} (median, 5-95%)",
        )
    ax.scatter(
        x,
        windows["observed"],
        marker="D",
        s=60,
        color=PALETTE[1],
        zorder=3,
        label="documented count",
    )
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("occurrences in the window")
    ax.set_ylim(bottom=0)
    style(ax, title, "each window's documented count against the model before and after fitting")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return ax


def profile_chart(
    profile: pd.DataFrame,
    path: str,
    estimate: float,
    interval: tuple[float, float],
    ax: Axes | None = None,
) -> Axes:
    """Profile deviance of one parameter with the 95% cut-off."""
    ax = new_axes(ax, size=(5, 3.6))
    f = profile[profile["path"] == path].sort_values("value")
    deviance = 2 * (f["loglik"].max() - f["loglik"])
    ax.plot(f["value"], deviance, marker="o", color=PALETTE[0], markersize=3)
    ax.axhline(3.841, color=PALETTE[1], linestyle="--", linewidth=1, label="95% cut-off (3.84)")
    ax.axvline(estimate, color=PALETTE[6], linewidth=1, label=f"estimate {estimate:.3g}")
    lo, hi = interval
    part, _, name = path.partition(".")[2].partition(".")
    style(ax, name, f"{part}; 95% profile interval [{lo:.3g}, {hi:.3g}]")
    ax.set_xlabel("value")
    ax.set_ylabel("profile deviance")
    ax.legend(fontsize=8, frameon=False)
    return ax
