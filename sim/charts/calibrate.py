"""Charts of a calibration: documented counts against the model before and
after fitting, each parameter's profile deviance, and (with `--posterior`)
the sampler's trace and a corner-style pair chart of the posterior draws
(Foreman-Mackey 2016, JOSS 1:24: marginal histograms on the diagonal, joint
scatter below it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.charts.style import PALETTE, legend_outside, new_axes, style, wrap_label

PAIR_LABEL_WRAP = 30
"""Characters per line of a pair chart's axis labels (panels are narrow)."""


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
    legend_outside(ax, "below", ncols=3)
    return ax


def profile_chart(
    profile: pd.DataFrame,
    path: str,
    estimate: float,
    interval: tuple[float, float],
    label: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Profile deviance of one parameter with the 95% cut-off, titled with
    `label` (the parameter in words; default: the path's last parts)."""
    ax = new_axes(ax, size=(5, 3.6))
    f = profile[profile["path"] == path].sort_values("value")
    deviance = 2 * (f["loglik"].max() - f["loglik"])
    ax.plot(f["value"], deviance, marker="o", color=PALETTE[0], markersize=3)
    ax.axhline(3.841, color=PALETTE[1], linestyle="--", linewidth=1, label="95% cut-off (3.84)")
    ax.axvline(estimate, color=PALETTE[6], linewidth=1, label=f"estimate {estimate:.3g}")
    lo, hi = interval
    ax.set_xlabel("value")
    ax.set_ylabel("profile deviance")
    style(ax, label or path, f"95% profile interval [{lo:.3g}, {hi:.3g}]")
    legend_outside(ax, "below", ncols=2)
    return ax


def trace_chart(
    trace: pd.DataFrame,
    path: str,
    burn: int,
    label: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Every walker's value of one parameter against the step (a tidy frame:
    step, walker, path, value), the burn-in shaded: a healthy chain looks like
    stationary noise after it, with walkers overlapping."""
    ax = new_axes(ax, size=(9, 2.8))
    f = trace[trace["path"] == path]
    walkers = f["walker"].nunique()
    for _, walker in f.groupby("walker", sort=True):
        ax.plot(walker["step"], walker["value"], color=PALETTE[0], alpha=0.35, linewidth=0.6)
    ax.axvspan(0, burn, color=PALETTE[6], alpha=0.15, label=f"burn-in ({burn} steps, discarded)")
    ax.set_xlim(0, f["step"].max())
    ax.set_xlabel("step")
    ax.set_ylabel("value")
    style(ax, label or path, f"{walkers} walkers")
    legend_outside(ax, "right")
    return ax


def marginal_chart(
    draws: pd.DataFrame, path: str, label: str | None = None, ax: Axes | None = None
) -> Axes:
    """Histogram of one parameter's posterior draws with its median and 90%
    credible interval (5% and 95% quantiles) marked."""
    ax = new_axes(ax, size=(4, 3.4))
    values = draws[path].to_numpy()
    lo, median, hi = np.quantile(values, [0.05, 0.5, 0.95])
    ax.hist(values, bins=min(40, max(10, values.size // 25)), color=PALETTE[0], alpha=0.75)
    ax.axvline(median, color=PALETTE[1], linewidth=1.4)
    for bound in (lo, hi):
        ax.axvline(bound, color=PALETTE[1], linewidth=1, linestyle="--")
    ax.set_yticks([])
    ax.set_xlabel(wrap_label(label or path, PAIR_LABEL_WRAP))
    style(ax, None, f"median {median:.3g}, 90% [{lo:.3g}, {hi:.3g}]")
    return ax


def joint_chart(
    draws: pd.DataFrame,
    x: str,
    y: str,
    labels: tuple[str, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Scatter of two parameters' joint posterior draws, with their rank
    correlation: a tilted cloud is a trade-off the counts cannot resolve."""
    ax = new_axes(ax, size=(4, 3.4))
    ax.scatter(draws[x], draws[y], s=4, alpha=0.35, color=PALETTE[0], linewidths=0)
    rho = draws[[x, y]].corr(method="spearman").iloc[0, 1]
    ax.set_xlabel(wrap_label(labels[0] if labels else x, PAIR_LABEL_WRAP))
    ax.set_ylabel(wrap_label(labels[1] if labels else y, PAIR_LABEL_WRAP))
    style(ax, None, f"rank correlation {rho:+.2f}")
    return ax


def pair_chart(draws: pd.DataFrame, labels: dict[str, str], title: str, fig: Figure) -> list[Axes]:
    """A corner plot on `fig`: one row and column per parameter of `draws`
    (in `labels`' order), marginals on the diagonal, joint scatters below it.
    Returns the axes drawn, row by row."""
    paths = list(labels)
    n = len(paths)
    axes = []
    for row, y in enumerate(paths):
        for col, x in enumerate(paths[: row + 1]):
            ax = fig.add_subplot(n, n, row * n + col + 1)
            if row == col:
                marginal_chart(draws, x, labels[x], ax=ax)
            else:
                joint_chart(draws, x, y, (labels[x], labels[y]), ax=ax)
            axes.append(ax)
    fig.suptitle(title, x=0.02, ha="left", fontweight="bold")
    return axes
