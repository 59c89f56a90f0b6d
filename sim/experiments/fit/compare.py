"""Model comparison: Poisson vs self-exciting vs cross-exciting, constant vs
piecewise baseline, by likelihood ratio and AIC in one table.

Likelihood-ratio p-values use chi-square with as many degrees of freedom as
added parameters. Adding a kernel tests a branching at its boundary 0, where
the decay is not identified under the null; the chi-square reference is then
conservative (Self & Liang 1987 give a mixture with smaller tail), so a small
p-value is trustworthy and a large one is, if anything, too large. AIC needs
no such care and is given beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, cast

import pandas as pd
from scipy import stats

from sim.eventdata.data import EventData
from sim.experiments.fit.spec import FitSpec

if TYPE_CHECKING:
    from sim.experiments.fit.estimate import FitResult

SIMPLER_EXCITATION = {"self": "none", "cross": "self"}


# A spec's baseline: a named shape or the dates on which new pieces start.
Baseline = Literal["constant", "monthly"] | tuple[dt.date, ...]


def model_family(spec: FitSpec, n_types: int) -> list[FitSpec]:
    """The specs compared around `spec`: Poisson, self-exciting and (for
    several types) cross-exciting, each with a constant and `spec`'s baseline."""
    levels = ["none", "self"] + (["cross"] if n_types > 1 else [])
    baselines: list[Baseline] = ["constant"]
    if spec.baseline != "constant":
        baselines.append(spec.baseline)
    return [
        spec.with_(excitation=level, kernels=None, baseline=baseline)
        for baseline in baselines
        for level in levels
    ]


def compare_models(
    data: EventData,
    spec: FitSpec,
    fitter: Callable[[EventData, FitSpec], FitResult],
    known: Sequence[FitResult] = (),
) -> pd.DataFrame:
    """One row per model: its log-likelihood, parameters and AIC, and the
    likelihood-ratio tests against the next simpler excitation (same
    baseline) and against a constant baseline (same excitation). `fitter`
    is `fit_streams`,, passed in so this module does not import it."""
    n_types = len(spec.event_ids(data))
    fits: dict[tuple[str, str], FitResult] = {}
    for fit in known:
        fits[(fit.spec.excitation_name, fit.spec.baseline_name)] = fit
    for candidate in model_family(spec, n_types):
        key = (candidate.excitation_name, candidate.baseline_name)
        if key not in fits:
            fits[key] = fitter(data, candidate.with_(intervals="wald"))
    best_aic = min(f.aic for f in fits.values())
    rows = []
    for (excitation, baseline), fit in fits.items():
        row = {
            "model": f"{excitation} / {baseline}",
            "excitation": excitation,
            "baseline": baseline,
            "n_params": fit.n_params,
            "loglik": fit.loglik,
            "aic": fit.aic,
            "delta_aic": fit.aic - best_aic,
            "converged": fit.converged,
        }
        for label, other in (
            ("excitation", fits.get((SIMPLER_EXCITATION.get(excitation, ""), baseline))),
            ("baseline", fits.get((excitation, "constant")) if baseline != "constant" else None),
        ):
            if other is None:
                row |= {f"vs_{label}": None, f"lr_{label}": None, f"df_{label}": None}
                row[f"p_{label}"] = None
                continue
            lr = max(0.0, 2 * (fit.loglik - other.loglik))
            df = fit.n_params - other.n_params
            row |= {
                f"vs_{label}": f"{other.spec.excitation_name} / {other.spec.baseline_name}",
                f"lr_{label}": lr,
                f"df_{label}": df,
                f"p_{label}": float(stats.chi2.sf(lr, df)),
            }
        rows.append(row)
    return cast(pd.DataFrame, pd.DataFrame(rows).sort_values("aic", ignore_index=True))
