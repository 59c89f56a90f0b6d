"""Charts of parameter uncertainty: the probability with both bands, and the
ranked Sobol indices ("what to research next")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.charts.style import PALETTE, date_axis, legend_outside, new_axes, style

MC_BAND = "Monte Carlo: 95% pointwise (Wilson, clustered by draw), hatched"
SIMULTANEOUS_BAND = "Monte Carlo: 95% simultaneous (DKW, n = draws), dashed"
PARAMETER_BAND = "parameter uncertainty: 50% (dark) and 90% (light) of conditional probabilities"


def probability_bands_chart(
    curves: pd.DataFrame, title: str, outcomes: Sequence[str] | None = None, ax: Axes | None = None
) -> Axes:
    """The predictive P(outcome by date) per outcome with its Monte Carlo bands,
    pointwise (hatched outline) and simultaneous for the whole curve (dashed),
    and, when computed, the parameter band: the 50% (darker) and 90% (lighter)
    ranges of the conditional probabilities across draws. The two kinds answer
    different questions: the Monte Carlo bands shrink with more replications,
    the parameter band does not (it is what is not known about the world).

    Args:
        curves: `NestedResult.curves()`: outcome, label, date, probability,
            lower, upper, simultaneous_lower, simultaneous_upper, cond_p05,
            cond_p25, cond_p75, cond_p95, param_draws, reps_per_draw,
            replications.
        title: the chart's title (the scenario's title or name).
        outcomes: outcome ids to draw, in legend order; default every outcome
            in `curves`, in the order they first appear.
        ax: axes to draw on; a new figure's axes when None.

    Returns:
        The axes drawn on.
    """
    ax = new_axes(ax)
    chosen = list(outcomes) if outcomes else list(dict.fromkeys(curves["outcome"]))
    has_parameters = bool(curves["cond_p05"].notna().any())
    for i, outcome in enumerate(chosen):
        f = curves[curves["outcome"] == outcome]
        colour = PALETTE[i % len(PALETTE)]
        if has_parameters:
            ax.fill_between(
                f["date"], f["cond_p05"], f["cond_p95"], color=colour, alpha=0.12, linewidth=0
            )
            ax.fill_between(
                f["date"], f["cond_p25"], f["cond_p75"], color=colour, alpha=0.25, linewidth=0
            )
        ax.fill_between(
            f["date"],
            f["lower"],
            f["upper"],
            facecolor="none",
            edgecolor=colour,
            hatch="////",
            linewidth=0.4,
            alpha=0.7,
        )
        for edge in ("simultaneous_lower", "simultaneous_upper"):
            ax.plot(f["date"], f[edge], color=colour, linewidth=0.8, linestyle="--")
        last = f.iloc[-1]
        text = (
            f"{last['label']}: {last['probability']:.2f} [{last['lower']:.2f}, {last['upper']:.2f}]"
        )
        if has_parameters:
            text += f"; parameters 90% {last['cond_p05']:.2f}-{last['cond_p95']:.2f}"
        ax.plot(
            f["date"], f["probability"], color=colour, linewidth=2.2 if i == 0 else 1.6, label=text
        )
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="none", edgecolor="#555555", hatch="////", linewidth=0.4))
    labels.append(MC_BAND)
    handles.append(Line2D([], [], color="#555555", linewidth=0.8, linestyle="--"))
    labels.append(SIMULTANEOUS_BAND)
    if has_parameters:
        handles.append(Patch(facecolor="#555555", alpha=0.3))
        labels.append(PARAMETER_BAND)
    first = curves.iloc[0]
    n = int(first["replications"])
    design = (
        f"{int(first['param_draws']):,} parameter draws x {int(first['reps_per_draw']):,} "
        "replications"
        if has_parameters
        else f"{n:,} replications, every parameter fixed"
    )
    style(
        ax,
        title,
        f"predictive probability by date; {design}; "
        "[interval] in the legend: Monte Carlo, by the horizon",
    )
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability it has happened")
    date_axis(ax)
    legend_outside(ax, handles=handles, labels=labels, title="by the horizon")
    return ax


NEGLIGIBLE = 0.01
"""A parameter whose total Sobol index is below this even at its upper 95%
limit explains under 1% of the outcome's variance: a row of empty bars."""
KEEP_AT_LEAST = 3


def _worth_drawing(ranked: pd.DataFrame) -> pd.DataFrame:
    """The ranked rows whose total index may reach `NEGLIGIBLE` (at least the
    top `KEEP_AT_LEAST`): a flagship with 22 inputs drew 11 rows of nothing,
    which hid the ranking the chart exists to show."""
    keep = (ranked["ST"] + ranked["ST_conf"].fillna(0.0)) >= NEGLIGIBLE
    keep.iloc[:KEEP_AT_LEAST] = True
    kept: pd.DataFrame = ranked[keep]
    return kept


def _path_label(path: str, width: int = 34) -> str:
    """A dotted parameter path (or a ' + ' group of them) in lines of at most
    `width` characters, broken after dots: paths have no spaces to wrap at, and
    one long path took half the chart's width."""
    lines: list[str] = []
    for n, part in enumerate(path.split(" + ")):
        line = "+ " if n else ""
        for piece in part.replace(".", ".\0").split("\0"):
            if line.strip("+ ") and len(line) + len(piece) > width:
                lines.append(line)
                line = ""
            line += piece
        lines.append(line)
    return "\n".join(lines)


def research_size(indices: pd.DataFrame, outcome: str) -> tuple[float, float]:
    """Figure size (inches) for `research_chart`: the rows it draws, not every
    input (22 inputs gave an 18-inch-tall chart of mostly empty rows)."""
    ranked = indices[indices["outcome"] == outcome].sort_values("ST", ascending=False)
    rows = _worth_drawing(ranked)
    lines = sum(_path_label(str(p)).count("\n") + 1 for p in rows["parameter"])
    return (9.0, max(4.0, 0.55 * len(rows) + 0.12 * (lines - len(rows)) + 2.2))


def research_chart(indices: pd.DataFrame, outcome: str, ax: Axes | None = None) -> Axes:
    """What to research next: uncertain parameters ranked by their total Sobol
    index for one outcome (bars: total ST and first-order S1, 95% bootstrap
    intervals), the top one being the unknown whose resolution would narrow
    the forecast most. Parameters that cannot reach 1% of the variance are
    counted in the note instead of drawn as empty rows.

    Args:
        indices: `SobolResult.indices()`.
        outcome: the outcome id whose indices are ranked; other rows are ignored.
        ax: axes to draw on; a new figure sized to the number of parameters
            when None.

    Returns:
        The axes drawn on.
    """
    f = indices[indices["outcome"] == outcome].sort_values("ST", ascending=False)
    f = f.reset_index(drop=True)
    shown = _worth_drawing(f)
    hidden, f = len(f) - len(shown), shown
    ax = new_axes(ax, size=research_size(indices, outcome))
    y = np.arange(len(f))[::-1]
    ax.barh(
        y + 0.18,
        f["ST"],
        height=0.34,
        xerr=f["ST_conf"],
        color=PALETTE[2],
        label="total ST",
        capsize=3,
    )
    ax.barh(
        y - 0.18,
        f["S1"],
        height=0.34,
        xerr=f["S1_conf"],
        color=PALETTE[0],
        label="first order S1",
        capsize=3,
    )
    ax.set_yticks(y, [_path_label(str(p)) for p in f["parameter"]], fontsize=8)
    ax.axvline(0, color="#888888", linewidth=0.8)
    label = str(f["label"].iloc[0]) if len(f) else outcome
    if len(f):
        noise, share = float(f["noise_share"].iloc[0]), float(f["parameter_share"].iloc[0])
        note = (
            f"Sobol indices of P({label} by the horizon), 95% bootstrap intervals; parameters "
            f"carry {share:.0%} of the outcome's variance, replication noise is {noise:.0%} "
            "of the indices' variance"
        )
        if hidden:
            note += (
                f"; {hidden} more with a total index below {NEGLIGIBLE:.0%} (upper 95% "
                "limit) not drawn: sobol.csv lists them"
            )
    else:
        note = "the outcome's probability does not vary with the parameters"
    style(ax, f"What to research next: {label}", note)
    ax.set_xlabel("share of the variance of P(outcome) due to the parameter")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return ax
