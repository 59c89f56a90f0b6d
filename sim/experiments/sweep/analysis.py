"""What a sweep's table says: which inputs drive an outcome (Sobol indices)
and where in parameter space it becomes likely (scenario discovery).

Sobol indices (Saltelli et al. 2010, Comput. Phys. Commun. 181:259) come from
SALib on the Saltelli/Sobol design; confidence intervals are SALib's
bootstrap. Each point's probability carries binomial noise from its finite
replications, which inflates the variance SALib sees; `noise_share` reports
the mean binomial variance as a share of the output's variance, so a user can
tell when indices are mostly noise.

Scenario discovery (Bryant and Lempert 2010, Technol. Forecast. Soc. Change
77:34) uses a shallow decision tree (scikit-learn) separating points whose
probability reaches the threshold: each leaf that predicts "reaches" is a box
of parameter space, reported with its coverage (share of all such points it
holds) and density (share of its points that are such points).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from sim.sweep.spec import Sweep


def sobol_indices(sweep: Sweep, table: pd.DataFrame) -> pd.DataFrame:
    """First-order and total indices, with 95% intervals, per outcome and parameter."""
    from SALib.analyze import sobol

    problem = sweep.salib_problem()
    rows = []
    for outcome in sweep.outcomes:
        y = table[f"p_{outcome}"].to_numpy(dtype=float)
        n = table["replications"].to_numpy(dtype=float)
        variance = float(np.var(y))
        noise = float(np.mean(y * (1 - y) / n))
        if variance == 0:
            continue
        result = sobol.analyze(
            problem, y, calc_second_order=False, num_resamples=200, seed=sweep.spec.seed
        )
        for j, path in enumerate(sweep.paths):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": path,
                    "S1": result["S1"][j],
                    "S1_conf": result["S1_conf"][j],
                    "ST": result["ST"][j],
                    "ST_conf": result["ST_conf"][j],
                    "noise_share": noise / variance,
                }
            )
    return cast(
        pd.DataFrame,
        pd.DataFrame(
            rows, columns=["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf", "noise_share"]
        ),
    )


def discover(
    sweep: Sweep, table: pd.DataFrame, outcome: str | None = None, threshold: float | None = None
) -> pd.DataFrame:
    """Boxes of parameter space where the outcome's probability reaches the threshold."""
    from sklearn.tree import DecisionTreeClassifier

    outcome = outcome or sweep.outcomes[0]
    threshold = sweep.spec.threshold if threshold is None else threshold
    x = table[sweep.paths].to_numpy(dtype=float)
    y = (table[f"p_{outcome}"].to_numpy(dtype=float) >= threshold).astype(int)
    columns = [
        "outcome",
        "threshold",
        "box",
        "coverage",
        "density",
        "points",
        *[f"{p} >=" for p in sweep.paths],
        *[f"{p} <=" for p in sweep.paths],
    ]
    if y.sum() == 0 or y.sum() == y.size:
        return cast(pd.DataFrame, pd.DataFrame(columns=columns))
    tree = DecisionTreeClassifier(
        max_depth=3, min_samples_leaf=max(3, len(y) // 20), random_state=0
    ).fit(x, y)
    t = tree.tree_
    rows = []

    def walk(node: int, lows: np.ndarray, highs: np.ndarray) -> None:
        if t.children_left[node] == -1:
            inside = np.all((x >= lows) & (x <= highs), axis=1)
            if t.value[node][0].argmax() == 1 and inside.any():
                rows.append(
                    {
                        "outcome": outcome,
                        "threshold": threshold,
                        "coverage": y[inside].sum() / y.sum(),
                        "density": y[inside].mean(),
                        "points": int(inside.sum()),
                        **{f"{p} >=": lo for p, lo in zip(sweep.paths, lows, strict=True)},
                        **{f"{p} <=": hi for p, hi in zip(sweep.paths, highs, strict=True)},
                    }
                )
            return
        feature, cut = t.feature[node], t.threshold[node]
        left_high = highs.copy()
        left_high[feature] = min(highs[feature], cut)
        walk(t.children_left[node], lows, left_high)
        right_low = lows.copy()
        right_low[feature] = max(lows[feature], np.nextafter(cut, np.inf))
        walk(t.children_right[node], right_low, highs)

    walk(0, x.min(axis=0), x.max(axis=0))
    if not rows:  # no leaf predicts "reaches" (e.g. too few points to split)
        return cast(pd.DataFrame, pd.DataFrame(columns=columns))
    boxes = pd.DataFrame(rows).sort_values(
        ["density", "coverage"], ascending=False, ignore_index=True
    )
    boxes.insert(2, "box", range(1, len(boxes) + 1))
    return cast(pd.DataFrame, boxes[columns])
