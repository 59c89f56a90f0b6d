"""The chart of one traced replication: its events over time and the causal
chain to the headline outcome."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes

from sim.charts.style import PALETTE, date_axis, new_axes, style


def timeline_chart(
    log: pd.DataFrame, chain: Sequence[int], title: str, ax: Axes | None = None
) -> Axes:
    """One replication's events: a row per event type, the causal chain to the
    headline outcome drawn as linked red markers."""
    ax = new_axes(ax, size=(10, 0.5 * max(log["label"].nunique(), 4) + 1.6))
    order = list(dict.fromkeys(log.sort_values("event_order")["label"]))
    y = {label: i for i, label in enumerate(order)}
    ax.scatter(
        log["date"], log["label"].map(y), s=10, color=PALETTE[0], alpha=0.55, label="occurrence"
    )
    if chain:
        c = log.set_index("index").loc[list(chain)]
        ax.plot(
            c["date"],
            c["label"].map(y),
            color=PALETTE[1],
            linewidth=1.2,
            marker="o",
            markersize=6,
            label="causal chain to the headline outcome",
        )
    ax.set_yticks(range(len(order)), order, fontsize=9)
    ax.set_ylim(-0.6, len(order) - 0.4)
    style(ax, title)
    date_axis(ax)
    ax.legend(loc="upper left", fontsize=8, frameon=False, bbox_to_anchor=(0, -0.12), ncol=2)
    return ax
