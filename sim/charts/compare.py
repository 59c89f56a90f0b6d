"""Charts of a policy comparison: one outcome's curve per scenario, and the
forest plot of differences with paired and unpaired intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.charts.style import BAND_NOTE, PALETTE, curve_with_band, date_axis, new_axes, style


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
