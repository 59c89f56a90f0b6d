"""Charts for experiments across scenarios or parameters: policy comparisons
and calibration fits. Same conventions as `sim.charts`: tidy frames in, an
optional `ax` in, the `ax` out."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.charts import BAND_NOTE, PALETTE, curve_with_band, date_axis, new_axes, style


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


def comparison_chart(curves: pd.DataFrame, outcome: str, ax: Axes | None = None) -> Axes:
    """One outcome's probability curve per scenario, with pointwise bands."""
    ax = new_axes(ax)
    f = curves[curves["outcome"] == outcome]
    for i, (scenario, g) in enumerate(f.groupby("scenario", sort=False)):
        curve_with_band(ax, g, str(scenario), PALETTE[i % len(PALETTE)], 2)
    n = int(f["replications"].iloc[0])
    style(
        ax,
        f"{f['label'].iloc[0]}: scenarios compared",
        f"{n:,} paired replications each (common random numbers); {BAND_NOTE}",
    )
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability it has happened")
    date_axis(ax)
    ax.legend(loc="upper left", fontsize=9, frameon=False)
    return ax


def difference_chart(differences: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Forest plot: each scenario-minus-baseline difference with its paired
    and unpaired 95% intervals."""
    rows = differences.reset_index(drop=True)
    ax = new_axes(ax, size=(9, 0.55 * len(rows) + 1.8))
    y = np.arange(len(rows))[::-1]
    ax.errorbar(
        rows["difference"],
        y + 0.12,
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
        y - 0.12,
        xerr=[rows["difference"] - rows["paired_lower"], rows["paired_upper"] - rows["difference"]],
        fmt="o",
        color=PALETTE[1],
        capsize=3,
        label="paired 95% interval (common random numbers)",
    )
    ax.axvline(0, color="#888888", linewidth=1)
    ax.set_yticks(
        y,
        [
            f"{r['scenario']} - {r['baseline']}\n{r['label']}"
            for r in rows.to_dict(orient="records")
        ],
        fontsize=8,
    )
    style(
        ax,
        "Difference in probability by the horizon",
        f"{int(rows['replications'].iloc[0]):,} replications per scenario",
    )
    ax.set_xlabel("difference in probability (scenario minus baseline)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False)
    return ax
