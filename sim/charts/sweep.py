"""Charts for sweeps: one parameter, a line with its band; two, a heatmap of the
probability; more, a pairs view. Plus Sobol indices and discovered boxes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullFormatter

from sim.charts.style import PALETTE, new_axes, style
from sim.sweep.spec import Range, Sweep

CMAP = "magma_r"


def design_note(sweep: Sweep, points: int) -> str:
    return (
        f"{sweep.spec.design} design, {points:,} points x {sweep.spec.replications:,} "
        "replications (common random numbers)"
    )


def _log_axis(sweep: Sweep, path: str) -> bool:
    r = sweep.spec.parameters[path]
    return isinstance(r, Range) and r.log


def sweep_figure(
    sweep: Sweep, table: pd.DataFrame, outcome: str | None = None, boxes: pd.DataFrame | None = None
) -> Figure:
    """The headline view of a sweep, chosen by how many parameters it varies."""
    outcome = outcome or sweep.outcomes[0]
    label = sweep.base.outcome_label(outcome)
    d = len(sweep.paths)
    if d == 1:
        fig, ax = plt.subplots(figsize=(8, 4.6), layout="constrained")
        one_parameter(sweep, table, ax)
    elif d == 2:
        fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
        two_parameters(sweep, table, outcome, ax, boxes)
    else:
        fig = plt.figure(figsize=(2.6 * d, 2.4 * d), layout="constrained")
        pairs(sweep, table, outcome, fig)
        fig.suptitle(
            f"P({label}) across the sweep\n{design_note(sweep, len(table))}",
            fontsize=11,
            x=0.02,
            ha="left",
        )
    return fig


def one_parameter(sweep: Sweep, table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    ax = new_axes(ax)
    path = sweep.paths[0]
    f = table.sort_values(path)
    for i, outcome in enumerate(sweep.outcomes):
        colour = PALETTE[i % len(PALETTE)]
        ax.fill_between(
            f[path],
            f[f"lower_{outcome}"],
            f[f"upper_{outcome}"],
            color=colour,
            alpha=0.2,
            linewidth=0,
        )
        ax.plot(
            f[path],
            f[f"p_{outcome}"],
            marker="o",
            markersize=3,
            color=colour,
            label=sweep.base.outcome_label(outcome),
        )
    if _log_axis(sweep, path):
        ax.set_xscale("log")
    ax.set_xlabel(path)
    ax.set_ylabel("probability by the horizon")
    ax.set_ylim(0, 1)
    style(ax, f"Sweep of {path}", design_note(sweep, len(table)) + "; 95% Wilson bands")
    ax.legend(fontsize=8, frameon=False)
    return ax


def two_parameters(
    sweep: Sweep,
    table: pd.DataFrame,
    outcome: str,
    ax: Axes | None = None,
    boxes: pd.DataFrame | None = None,
) -> Axes:
    ax = new_axes(ax, size=(8, 6))
    px, py = sweep.paths
    z = table[f"p_{outcome}"]
    mesh: ScalarMappable
    if sweep.spec.design == "grid":
        grid = table.pivot_table(index=py, columns=px, values=f"p_{outcome}")
        mesh = ax.pcolormesh(
            grid.columns, grid.index, grid.values, cmap=CMAP, vmin=0, vmax=1, shading="nearest"
        )
    else:
        mesh = ax.tricontourf(
            table[px], table[py], z, levels=np.linspace(0, 1, 11), cmap=CMAP, vmin=0, vmax=1
        )
        ax.scatter(table[px], table[py], s=6, color="white", edgecolors="black", linewidths=0.3)
    ax.figure.colorbar(mesh, ax=ax, label=f"P({sweep.base.outcome_label(outcome)})")
    if boxes is not None:
        for box in boxes.to_dict(orient="records"):
            lo_x, hi_x, lo_y, hi_y = (
                box[f"{px} >="],
                box[f"{px} <="],
                box[f"{py} >="],
                box[f"{py} <="],
            )
            ax.add_patch(
                Rectangle(
                    (lo_x, lo_y),
                    hi_x - lo_x,
                    hi_y - lo_y,
                    fill=False,
                    edgecolor=PALETTE[3],
                    linewidth=2,
                    linestyle="--",
                )
            )
            ax.annotate(
                f"box {box['box']}",
                (lo_x, lo_y),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=8,
                color=PALETTE[3],
                fontweight="bold",
            )
    for path, axis in ((px, "x"), (py, "y")):
        if _log_axis(sweep, path):
            getattr(ax, f"set_{axis}scale")("log")
    ax.set_xlabel(px)
    ax.set_ylabel(py)
    style(
        ax,
        f"Sweep: P({sweep.base.outcome_label(outcome)})",
        design_note(sweep, len(table)),
    )
    return ax


def pairs(sweep: Sweep, table: pd.DataFrame, outcome: str, fig: Figure) -> Figure:
    d = len(sweep.paths)
    axes = fig.subplots(d, d, squeeze=False)
    z = table[f"p_{outcome}"]
    for i, py in enumerate(sweep.paths):
        for j, px in enumerate(sweep.paths):
            ax = axes[i][j]
            if j > i:
                ax.set_axis_off()
                continue
            if i == j:
                ax.scatter(table[px], z, s=5, color=PALETTE[0], alpha=0.6)
                ax.set_ylim(0, 1)
                ax.set_ylabel("probability" if j == 0 else "")
            else:
                points = ax.scatter(table[px], table[py], c=z, s=7, cmap=CMAP, vmin=0, vmax=1)
                ax.set_ylabel(py.split(".", 1)[-1] if j == 0 else "", fontsize=7)
            if _log_axis(sweep, px):
                ax.set_xscale("log")
            ax.set_xlabel(px.split(".", 1)[-1] if i == d - 1 else "", fontsize=7)
            ax.tick_params(which="both", labelsize=6)
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.yaxis.set_minor_formatter(NullFormatter())
    fig.colorbar(
        points, ax=axes[:, -1].tolist(), shrink=0.6, label=f"P({sweep.base.outcome_label(outcome)})"
    )
    return fig


def sensitivity_chart(indices: pd.DataFrame, outcome: str, ax: Axes | None = None) -> Axes:
    f = indices[indices["outcome"] == outcome].reset_index(drop=True)
    ax = new_axes(ax, size=(8, 0.6 * len(f) + 1.8))
    y = np.arange(len(f))[::-1]
    ax.barh(
        y + 0.18,
        f["S1"],
        height=0.34,
        xerr=f["S1_conf"],
        color=PALETTE[0],
        label="first order S1",
        capsize=3,
    )
    ax.barh(
        y - 0.18,
        f["ST"],
        height=0.34,
        xerr=f["ST_conf"],
        color=PALETTE[2],
        label="total ST",
        capsize=3,
    )
    ax.set_yticks(y, f["parameter"], fontsize=8)
    ax.axvline(0, color="#888888", linewidth=0.8)
    noise = float(f["noise_share"].iloc[0]) if len(f) else float("nan")
    style(
        ax,
        f"Sobol indices: {outcome}",
        f"95% bootstrap intervals; replication noise is {noise:.0%} of the output variance",
    )
    ax.set_xlabel("share of the variance of P(outcome)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return ax


def discovery_chart(sweep: Sweep, boxes: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Each box's range of every parameter, as a share of the swept range."""
    ax = new_axes(ax, size=(9, 0.5 * len(sweep.paths) * max(len(boxes), 1) + 1.8))
    bounds = {
        p: ((v.low, v.high) if isinstance(v, Range) else (min(v), max(v)))
        for p, v in sweep.spec.parameters.items()
    }

    def position(p: str, value: float) -> float:
        lo, hi = bounds[p]
        if _log_axis(sweep, p):
            return float(np.log(value / lo) / np.log(hi / lo))
        return (value - lo) / ((hi - lo) or 1.0)

    row = 0.0
    ticks: list[float] = []
    labels: list[str] = []
    for k, box in enumerate(boxes.head(6).to_dict(orient="records")):
        ax.annotate(
            f"box {box['box']}: holds {box['coverage']:.0%} of such points (coverage); "
            f"{box['density']:.0%} of its {box['points']} points are such (density)",
            (0, row + 0.45),
            fontsize=8,
            fontweight="bold",
            color=PALETTE[k % len(PALETTE)],
            va="bottom",
        )
        for p in sweep.paths:
            a, b = position(p, box[f"{p} >="]), position(p, box[f"{p} <="])
            ax.barh(row, b - a, left=a, color=PALETTE[k % len(PALETTE)], height=0.6)
            ticks.append(row)
            short = ".".join(p.split(".")[-2:])
            labels.append(f"{short} in [{box[f'{p} >=']:.3g}, {box[f'{p} <=']:.3g}]")
            row -= 1
        row -= 0.9
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_ylim(row + 0.4, 1.0)
    ax.set_xlim(0, 1)
    ax.set_xlabel("position within the swept range (log scale for log-swept parameters)")
    outcome = boxes["outcome"].iloc[0] if len(boxes) else sweep.outcomes[0]
    style(
        ax,
        f"Where P({sweep.base.outcome_label(outcome)}) >= {sweep.spec.threshold:g}",
        "bars: each parameter's range inside the box",
    )
    return ax
