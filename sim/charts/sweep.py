"""Charts for sweeps: one parameter, a line with its band; two, a heatmap of the
probability; more, a pairs view. Plus Sobol indices and discovered boxes.

The charts know no sweep file: they take the sweep's tidy table (one row per
point, a column per parameter, `p_<outcome>`, `lower_<outcome>`,
`upper_<outcome>`) and each parameter as a `Parameter` (its column, its
label in words, its range), so a reader sees "rule israel strikes factions:
probability", not a dotted path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from sim.charts.style import PALETTE, legend_outside, new_axes, style, wrap_label

CMAP = "magma_r"
NOISE_NOTE = "outside [0, 1]: Monte Carlo noise; more replications needed"
NOISE_FILL = "#e4e4e4"
"""Fill of a Sobol bar that is noise (hatched in its series' colour)."""
LABEL_WRAP = 36
"""Characters per line of a parameter's label beside a bar."""


@dataclass(frozen=True)
class Parameter:
    """One swept parameter as a chart needs it."""

    column: str
    """Its column in the sweep table (the dotted path)."""
    label: str
    """Its name in words, with its unit (`sim.charts.labels.parameter_label`)."""
    low: float
    high: float
    log: bool = False
    """Swept on a log scale (so drawn on one)."""

    def position(self, value: float) -> float:
        """Where `value` lies in the swept range, 0 at `low` and 1 at `high`
        (in log space for a log-swept parameter)."""
        if self.log:
            return float(np.log(value / self.low) / np.log(self.high / self.low))
        return (value - self.low) / ((self.high - self.low) or 1.0)


def log_scale(ax: Axes, axis: str) -> None:
    """A log axis labelled in plain numbers at 1, 2 and 5 of each decade
    ("0.002, 0.005, 0.01"), which a reader takes in faster than 2x10^-3."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    getattr(ax, f"set_{axis}scale")("log")
    target.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    target.set_minor_formatter(NullFormatter())


def design_note(design: str, points: int, replications: int) -> str:
    """The subtitle of a sweep chart: how its points were made."""
    return (
        f"{design} design, {points:,} points x {replications:,} "
        "replications (common random numbers)"
    )


def sweep_figure(
    table: pd.DataFrame,
    parameters: Sequence[Parameter],
    outcomes: Mapping[str, str],
    note: str,
    outcome: str | None = None,
    boxes: pd.DataFrame | None = None,
) -> Figure:
    """The headline view of a sweep, chosen by how many parameters it varies.

    `outcomes` maps each outcome's id to its label, the headline first.
    """
    outcome = outcome or next(iter(outcomes))
    label = outcomes[outcome]
    d = len(parameters)
    if d == 1:
        fig, ax = plt.subplots(figsize=(8, 4.6), layout="constrained")
        one_parameter(table, parameters[0], outcomes, note, ax)
    elif d == 2:
        fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
        two_parameters(table, parameters[0], parameters[1], outcome, label, note, boxes, ax)
    else:
        fig = plt.figure(figsize=(2.6 * d, 2.4 * d), layout="constrained")
        pairs(table, parameters, outcome, label, fig)
        fig.suptitle(f"P({label}) across the sweep\n{note}", fontsize=11, x=0.02, ha="left")
    return fig


def one_parameter(
    table: pd.DataFrame,
    parameter: Parameter,
    outcomes: Mapping[str, str],
    note: str,
    ax: Axes | None = None,
) -> Axes:
    """Each outcome's probability along one parameter, with its 95% Wilson band."""
    ax = new_axes(ax)
    column = parameter.column
    f = table.sort_values(column)
    for i, (outcome, label) in enumerate(outcomes.items()):
        colour = PALETTE[i % len(PALETTE)]
        ax.fill_between(
            f[column],
            f[f"lower_{outcome}"],
            f[f"upper_{outcome}"],
            color=colour,
            alpha=0.2,
            linewidth=0,
        )
        ax.plot(f[column], f[f"p_{outcome}"], marker="o", markersize=3, color=colour, label=label)
    if parameter.log:
        log_scale(ax, "x")
    ax.set_xlabel(parameter.label)
    ax.set_ylabel("probability by the horizon")
    ax.set_ylim(0, 1)
    style(ax, f"Sweep of {parameter.label}", note + "; 95% Wilson bands, pointwise")
    legend_outside(ax)
    return ax


def _is_grid(table: pd.DataFrame, x: str, y: str) -> bool:
    """Whether the points fill a full grid of x by y values (a heatmap of cells)."""
    pairs = table[[x, y]].drop_duplicates()
    return len(pairs) == table[x].nunique() * table[y].nunique()


def two_parameters(
    table: pd.DataFrame,
    x: Parameter,
    y: Parameter,
    outcome: str,
    outcome_label: str,
    note: str,
    boxes: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A heatmap of one outcome's probability over two parameters: cells for a
    grid, filled contours between the points otherwise; with the boxes of
    scenario discovery drawn over it."""
    ax = new_axes(ax, size=(8, 6))
    px, py = x.column, y.column
    value = f"p_{outcome}"
    mesh: ScalarMappable
    if _is_grid(table, px, py):
        grid = table.pivot_table(index=py, columns=px, values=value)
        mesh = ax.pcolormesh(
            grid.columns, grid.index, grid.values, cmap=CMAP, vmin=0, vmax=1, shading="nearest"
        )
    else:
        mesh = ax.tricontourf(
            table[px],
            table[py],
            table[value],
            levels=np.linspace(0, 1, 11),
            cmap=CMAP,
            vmin=0,
            vmax=1,
        )
        ax.scatter(table[px], table[py], s=6, color="white", edgecolors="black", linewidths=0.3)
    fig = ax.get_figure()
    assert fig is not None
    fig.colorbar(mesh, ax=ax, label=wrap_label(f"P({outcome_label})", 48))
    for box in [] if boxes is None else boxes.to_dict(orient="records"):
        _draw_box(ax, box, px, py)
    for parameter, axis in ((x, "x"), (y, "y")):
        if parameter.log:
            log_scale(ax, axis)
    ax.set_xlabel(x.label)
    ax.set_ylabel(wrap_label(y.label, 48))
    style(ax, f"Sweep: P({outcome_label})", note)
    return ax


def box_summary(box: Mapping[Any, Any]) -> tuple[str, int]:
    """What a discovered box holds, in words, and how many of its points do
    not reach the threshold (the box's failing points)."""
    points = int(box["points"])
    density = float(box["density"])
    reach = round(density * points)
    failing = points - reach
    text = (
        f"all {points} points reach {box['threshold']:g}"
        if failing == 0
        else f"{reach} of {points} points reach {box['threshold']:g} (density {density:.0%}); "
        f"contains {failing} failing point{'s' if failing != 1 else ''}"
    )
    return text, failing


def _draw_box(ax: Axes, box: Mapping[Any, Any], px: str, py: str) -> None:
    lo_x, hi_x = float(box[f"{px} >="]), float(box[f"{px} <="])
    lo_y, hi_y = float(box[f"{py} >="]), float(box[f"{py} <="])
    text, failing = box_summary(box)
    colour = PALETTE[3] if failing == 0 else PALETTE[1]
    ax.add_patch(
        Rectangle(
            (lo_x, lo_y),
            hi_x - lo_x,
            hi_y - lo_y,
            fill=False,
            edgecolor=colour,
            linewidth=2,
            linestyle="--",
        )
    )
    ax.annotate(
        wrap_label(f"box {box['box']}: {text}", 30),
        (lo_x, hi_y),
        xytext=(4, -4),
        textcoords="offset points",
        va="top",
        fontsize=7.5,
        color=colour,
        fontweight="bold",
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "linewidth": 0},
    )


def pairs(
    table: pd.DataFrame,
    parameters: Sequence[Parameter],
    outcome: str,
    outcome_label: str,
    fig: Figure,
) -> Figure:
    """Three or more parameters: the probability against each one on the
    diagonal, each pair of parameters coloured by it below."""
    d = len(parameters)
    axes = fig.subplots(d, d, squeeze=False)
    z = table[f"p_{outcome}"]
    points: ScalarMappable | None = None
    for i, py in enumerate(parameters):
        for j, px in enumerate(parameters):
            ax = axes[i][j]
            if j > i:
                ax.set_axis_off()
                continue
            if i == j:
                ax.scatter(table[px.column], z, s=5, color=PALETTE[0], alpha=0.6)
                ax.set_ylim(0, 1)
                ax.set_ylabel("probability" if j == 0 else "")
            else:
                points = ax.scatter(
                    table[px.column], table[py.column], c=z, s=7, cmap=CMAP, vmin=0, vmax=1
                )
                if py.log:
                    log_scale(ax, "y")
                ax.set_ylabel(wrap_label(py.label, 28) if j == 0 else "", fontsize=7)
            if px.log:
                log_scale(ax, "x")
            ax.set_xlabel(wrap_label(px.label, 28) if i == d - 1 else "", fontsize=7)
            ax.tick_params(which="both", labelsize=6)
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.yaxis.set_minor_formatter(NullFormatter())
    if points is not None:
        fig.colorbar(
            points,
            ax=axes[:, -1].tolist(),
            shrink=0.6,
            label=wrap_label(f"P({outcome_label})", 40),
        )
    return fig


def noise_bars(estimate: pd.Series, half_width: pd.Series) -> pd.Series:
    """Indices that cannot be read as shares of variance: the estimate or its
    95% interval leaves [0, 1], which only Monte Carlo noise (too few base
    samples or replications) can do."""
    return (
        (estimate < 0) | (estimate > 1) | (estimate - half_width < 0) | (estimate + half_width > 1)
    )


def sensitivity_chart_size(indices: pd.DataFrame, outcome: str) -> tuple[float, float]:
    """A figure size (inches) with room for each parameter's pair of bars."""
    return (9.0, 0.75 * int((indices["outcome"] == outcome).sum()) + 2.2)


def sensitivity_chart(
    indices: pd.DataFrame,
    outcome: str,
    labels: Mapping[str, str] | None = None,
    outcome_label: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """First-order and total Sobol indices of one outcome, with their 95%
    bootstrap intervals; bars that leave [0, 1] are hatched and grey, since
    such a value is Monte Carlo noise, not a share of variance.

    `labels` maps each parameter (a dotted path) to its name in words.
    """
    f = indices[indices["outcome"] == outcome].reset_index(drop=True)
    ax = new_axes(ax, size=sensitivity_chart_size(indices, outcome))
    y = np.arange(len(f))[::-1]
    flagged_any = False
    handles: list[Artist] = []
    texts: list[str] = []
    for offset, column, colour, name in (
        (0.18, "S1", PALETTE[0], "first order S1"),
        (-0.18, "ST", PALETTE[2], "total ST"),
    ):
        flagged = noise_bars(f[column], f[f"{column}_conf"]).to_numpy()
        flagged_any = flagged_any or bool(flagged.any())
        bars = ax.barh(
            y + offset,
            f[column],
            height=0.34,
            xerr=f[f"{column}_conf"],
            color=[(NOISE_FILL if bad else colour) for bad in flagged],
            edgecolor=colour,
            capsize=3,
            error_kw={"ecolor": "#444444", "elinewidth": 1},
        )
        for bar, bad in zip(bars, flagged, strict=True):
            if bad:
                bar.set_hatch("////")
        handles.append(Patch(facecolor=colour, edgecolor=colour))
        texts.append(name)
    ax.axvline(0, color="#888888", linewidth=0.8)
    names = [(labels or {}).get(p, p) for p in f["parameter"]]
    ax.set_yticks(y, [wrap_label(n, LABEL_WRAP) for n in names], fontsize=8)
    _index_axis(ax, f)
    noise = float(f["noise_share"].iloc[0]) if len(f) else float("nan")
    ax.set_xlabel("share of the variance of P(outcome)")
    style(
        ax,
        f"Sobol indices: {outcome_label or outcome}",
        f"95% bootstrap intervals; replication noise is {noise:.0%} of the output variance",
    )
    if flagged_any:
        handles.append(Patch(facecolor=NOISE_FILL, edgecolor="#707070", hatch="////"))
        texts.append(f"hatched: estimate or interval {NOISE_NOTE}")
    legend_outside(ax, handles=handles, labels=texts)
    return ax


def _index_axis(ax: Axes, f: pd.DataFrame) -> None:
    """The x range of a Sobol chart: [0, 1] widened to show every interval (by
    at most half a unit each side), with the part outside [0, 1], where no share
    of variance can lie, shaded."""
    low = float((f["S1"] - f["S1_conf"]).min()) if len(f) else 0.0
    high = float((f["ST"] + f["ST_conf"]).max()) if len(f) else 1.0
    left, right = max(min(low, 0.0) - 0.05, -0.5), min(max(high, 1.0) + 0.05, 1.5)
    ax.set_xlim(left, right)
    for start, end in ((left, 0.0), (1.0, right)):
        if end > start:
            ax.axvspan(start, end, color="#f1f1f1", zorder=0, linewidth=0)


MAX_BOXES = 6
"""Boxes drawn on the discovery chart (the densest first; the table has all)."""


def discovery_chart_size(boxes: pd.DataFrame, parameters: int) -> tuple[float, float]:
    """A figure size (inches) with room for each box's header and bars."""
    shown = min(len(boxes), MAX_BOXES)
    return (9.0, 0.62 * parameters * max(shown, 1) + 1.0 * shown + 1.6)


def discovery_chart(
    boxes: pd.DataFrame,
    parameters: Sequence[Parameter],
    outcome_label: str,
    ax: Axes | None = None,
) -> Axes:
    """Each discovered box's range of every parameter, as a share of the
    swept range, under a header saying how many of its points reach the
    threshold and how many fail it (a box is a summary, not a guarantee)."""
    ax = new_axes(ax, size=discovery_chart_size(boxes, len(parameters)))
    row, last = 0.0, 0.0
    ticks: list[float] = []
    labels: list[str] = []
    for k, box in enumerate(boxes.head(MAX_BOXES).to_dict(orient="records")):
        colour = PALETTE[k % len(PALETTE)]
        text, _ = box_summary(box)
        ax.annotate(
            f"box {box['box']}: {text}\nholds {box['coverage']:.0%} of all points that reach "
            f"{box['threshold']:g} (coverage)",
            (0, row + 0.45),
            fontsize=8,
            color=colour,
            va="bottom",
            annotation_clip=False,
        )
        for p in parameters:
            lo, hi = box[f"{p.column} >="], box[f"{p.column} <="]
            a, b = p.position(lo), p.position(hi)
            ax.barh(row, b - a, left=a, color=colour, height=0.6)
            ticks.append(row)
            labels.append(f"{wrap_label(p.label, LABEL_WRAP)}\nin [{lo:.3g}, {hi:.3g}]")
            last = row
            row -= 1
        row -= 1.3
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_ylim(last - 0.6, 1.15)
    ax.set_xlim(0, 1)
    ax.grid(False, axis="y")
    ax.set_xlabel("position within the swept range (log scale for log-swept parameters)")
    threshold = float(boxes["threshold"].iloc[0]) if len(boxes) else float("nan")
    style(
        ax,
        f"Where P({outcome_label}) >= {threshold:g}",
        "bars: each parameter's range inside the box; a box may hold points that fail",
    )
    return ax
