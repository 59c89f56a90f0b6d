"""Charts of one Monte Carlo run: probability by date, ladder levels, time to
each outcome, monthly counts beside the documented ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.charts.style import (
    LADDER_CMAP,
    PALETTE,
    date_axis,
    legend_outside,
    new_axes,
    style,
)

# matplotlib.dates ships without annotations: date2num maps dates to a float array of
# day numbers, which Axes.hist takes as bins although its stubs say Sequence[float].
_date2num = cast(Callable[[pd.DatetimeIndex], Any], mdates.date2num)


POINTWISE = "95% pointwise (Wilson)"
SIMULTANEOUS = "95% simultaneous (DKW)"
BANDS = ("pointwise", "simultaneous")
"""The Monte Carlo bands a probability chart can draw; both by default."""


def probability_chart(
    curves: pd.DataFrame,
    title: str,
    outcomes: Sequence[str] | None = None,
    ax: Axes | None = None,
    bands: Sequence[str] = BANDS,
) -> Axes:
    """P(outcome by date), one line per outcome, with its Monte Carlo bands.

    The pointwise band (shaded, Wilson) holds each day's probability on its
    own; read as a band for the whole curve it misleads (it holds the whole
    true curve in about half of all runs). The simultaneous band (dashed, DKW)
    holds the whole curve at once. The legend names each band drawn.

    Args:
        curves: `RunResult.curves()`: outcome, label, date, probability, lower,
            upper, simultaneous_lower, simultaneous_upper, replications.
        title: the chart's title.
        outcomes: outcome ids to draw (default: all, in the order they appear).
        ax: axes to draw on; a new figure's axes when None.
        bands: which of "pointwise" and "simultaneous" to draw.

    Returns:
        The axes drawn on.
    """
    unknown = set(bands) - set(BANDS)
    if unknown:
        raise ValueError(f"bands: expected some of {BANDS}, found {sorted(unknown)}")
    ax = new_axes(ax)
    chosen = list(outcomes) if outcomes else list(dict.fromkeys(curves["outcome"]))
    for i, outcome in enumerate(chosen):
        f = curves[curves["outcome"] == outcome]
        colour = PALETTE[i % len(PALETTE)]
        if "pointwise" in bands:
            ax.fill_between(
                f["date"], f["lower"], f["upper"], color=colour, alpha=0.18, linewidth=0
            )
        if "simultaneous" in bands:
            for edge in ("simultaneous_lower", "simultaneous_upper"):
                ax.plot(f["date"], f[edge], color=colour, linewidth=0.8, linestyle="--")
        last = f.iloc[-1]
        ax.plot(
            f["date"],
            f["probability"],
            color=colour,
            linewidth=2.2 if i == 0 else 1.6,
            label=f"{last['label']}\n{last['probability']:.2f} "
            f"[{last['lower']:.2f}, {last['upper']:.2f}]",
        )
    handles, labels = ax.get_legend_handles_labels()
    notes = []
    if "pointwise" in bands:
        handles.append(Patch(color="#555555", alpha=0.25, linewidth=0))
        labels.append(f"shaded: {POINTWISE}, each day on its own")
        notes.append(f"shaded: {POINTWISE}")
    if "simultaneous" in bands:
        handles.append(Line2D([], [], color="#555555", linewidth=0.8, linestyle="--"))
        labels.append(f"dashed: {SIMULTANEOUS}, the whole curve at once")
        notes.append(f"dashed: {SIMULTANEOUS}")
    n = int(curves["replications"].iloc[0])
    style(
        ax,
        title,
        f"probability of each outcome by date, {n:,} replications; "
        + ("; ".join(notes) if notes else "no band drawn")
        + "; [interval] in the legend: by the horizon, pointwise",
    )
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability it has happened")
    date_axis(ax)
    legend_outside(ax, handles=handles, labels=labels, title="by the horizon")
    return ax


def level_chart(
    levels: pd.DataFrame,
    ladder: Sequence[str],
    title: str,
    replications: int,
    ax: Axes | None = None,
) -> Axes:
    """Share of replications on each rung over time (stacked)."""
    ax = new_axes(ax)
    wide = levels.pivot(index="date", columns="rung_name", values="share")[list(ladder)]
    colours = plt.get_cmap(LADDER_CMAP)(np.linspace(0.08, 0.95, len(ladder)))
    ax.stackplot(
        wide.index,
        wide.T.values,
        labels=[f"{i}: {n}" for i, n in enumerate(ladder)],
        colors=colours,
        linewidth=0,
    )
    style(ax, title, f"share of {replications:,} replications at each ladder rung, per day")
    ax.set_ylim(0, 1)
    ax.set_xlim(wide.index[0], wide.index[-1])
    ax.set_ylabel("share of replications")
    date_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    legend_outside(ax, handles=handles[::-1], labels=labels[::-1], title="rung")
    return ax


def monthly_chart(
    monthly: pd.DataFrame,
    observed: pd.DataFrame,
    event: str,
    replications: int,
    ax: Axes | None = None,
) -> Axes:
    """Simulated monthly counts (median and 5-95% band) with documented counts:
    each observed window is drawn over its own dates beside the simulated
    count for exactly that window."""
    ax = new_axes(ax)
    f = monthly[monthly["event"] == event]
    _draw_simulated_months(ax, f)
    obs = observed[observed["event"] == event]
    _draw_observed(ax, obs)
    label = f["label"].iloc[0] if len(f) else event
    style(
        ax,
        f"Monthly count: {label}",
        f"{replications:,} replications; bars are calendar months, red lines the documented "
        "windows" + (", grey lines the history" if "history" in set(obs.get("kind", ())) else ""),
    )
    ax.set_ylabel("occurrences")
    ax.set_ylim(bottom=0)
    date_axis(ax)
    legend_outside(ax, "below", ncols=2)
    return ax


def _draw_simulated_months(ax: Axes, f: pd.DataFrame) -> None:
    """One event's simulated monthly counts: a 5-95% bar and a median line per
    calendar month, each 90% of its month wide so neighbours stay apart."""
    widths = (f["to_date"] + pd.Timedelta(days=1) - f["from_date"]) * 0.9
    ax.bar(
        f["from_date"],
        f["p95"] - f["p05"],
        bottom=f["p05"],
        width=widths,
        align="edge",
        color=PALETTE[0],
        alpha=0.22,
        label="simulated per month, 5-95%",
    )
    for _, row in f.iterrows():
        ax.hlines(
            row["median"],
            row["from_date"],
            row["from_date"] + (row["to_date"] + pd.Timedelta(days=1) - row["from_date"]) * 0.9,
            color=PALETTE[0],
            linewidth=2,
        )
    ax.plot([], [], color=PALETTE[0], linewidth=2, label="simulated per month, median")


def _draw_observed(ax: Axes, obs: pd.DataFrame) -> None:
    """One event's observed counts as lines over their own dates: documented
    windows in red, each with the simulated count for exactly that window beside
    it (median, 5-95%) and its number; history months in grey, with nothing
    simulated beside them (the run starts after them). Each kind is labelled in
    the legend once."""
    labelled: set[str] = set()
    for _, row in obs.iterrows():
        end = row["to_date"] + pd.Timedelta(days=1)
        history = row.get("kind") == "history"
        kind = "history" if history else "documented"
        ax.hlines(
            row["observed"],
            row["from_date"],
            end,
            color=PALETTE[6] if history else PALETTE[1],
            linewidth=3,
            label="_nolegend_"
            if kind in labelled
            else "observed before the start (history), per month"
            if history
            else "documented count (its own window)",
        )
        labelled.add(kind)
        if history:
            continue  # nothing was simulated before the start
        mid = row["from_date"] + (end - row["from_date"]) / 2
        ax.errorbar(
            mid,
            row["sim_median"],
            yerr=[[row["sim_median"] - row["sim_p05"]], [row["sim_p95"] - row["sim_median"]]],
            fmt="o",
            color=PALETTE[6],
            markersize=4,
            capsize=3,
            label="simulated, same window (median, 5-95%)" if "sim" not in labelled else None,
        )
        labelled.add("sim")
        ax.annotate(
            f"{row['observed']:.0f}",
            (end, row["observed"]),
            textcoords="offset points",
            xytext=(3, 0),
            ha="left",
            va="center",
            fontsize=8,
            color=PALETTE[1],
        )


def time_to_outcome_chart(
    first: pd.DataFrame,
    summary: pd.DataFrame,
    start: pd.Timestamp,
    title: str,
    ax: Axes | None = None,
) -> Axes:
    """Distribution of the day each outcome first happens (among replications
    where it does), as histograms, with the share that never happen in the legend."""
    ax = new_axes(ax)
    all_days = first["day"].dropna()
    edges = np.linspace(0, max(float(all_days.max()) if len(all_days) else 1.0, 1.0), 41)
    bins = _date2num(start + pd.to_timedelta(edges, unit="D"))
    for i, row in enumerate(summary.to_dict(orient="records")):
        days = first.loc[first["outcome"] == row["outcome"], "day"].dropna()
        if days.empty:
            continue
        when = _date2num(start + pd.to_timedelta(days, unit="D"))
        ax.hist(when, bins=bins, histtype="stepfilled", alpha=0.2, color=PALETTE[i % len(PALETTE)])
        ax.hist(
            when,
            bins=bins,
            histtype="step",
            linewidth=1.4,
            color=PALETTE[i % len(PALETTE)],
            label=f"{row['label']}\nmedian {start + pd.Timedelta(days=row['day_median']):%d %b %Y}"
            f"; in {row['happened']:,} of {row['replications']:,}",
        )
    style(ax, title, "when each outcome first happens, in replications where it does")
    ax.set_ylabel("replications")
    ax.xaxis_date()
    date_axis(ax)
    legend_outside(ax)
    return ax
