"""Maximum-likelihood fit of the project's stream model to event data.

Method: the exact continuous-time likelihood of exponential-kernel Hawkes
streams (likelihood.py), maximised by L-BFGS-B with its analytic gradient.

Day-resolution dates (the norm: ACLED and the Iraq files give days only).
The continuous-time likelihood needs times; a date only says 'some time in
that day'. We place each event uniformly at random within its day with a
fixed seed (per event id, so a type gets the same placement in every model
it appears in and likelihood ratios compare like with like), and hold every
decay at 1 day or more: excitation faster than a day is not identified from
dates, and with decays of a day or more the kernel barely changes within a
day, so the placement hardly moves the estimates. The likelihood of daily
counts under the continuous model would avoid the placement but has no
closed form for a self-exciting process (Shlomovich et al. 2022, "Parameter
estimation of binned Hawkes processes", need Monte Carlo EM); we chose the
exact likelihood of placed times and verified it by simulation: the engine
simulates streams with known parameters, the times are cut to days, and the
tests in tests/experiments/fit check that the 95% intervals cover the truth
(the measured coverage is in docs/eventdata.md). `FitSpec.jitter_seed`
changes the placement; estimates should move far less than their intervals.

Intervals: baselines by observed information (numerical Hessian of the
analytic gradient) on the log scale; branchings and decays by profile
likelihood, which stays correct at the boundary 0 where a Wald interval fails
(Self & Liang 1987) and, for a decay fitted from few cross-excited events,
covers where the log-scale Wald interval fell short in simulation (16 of 20);
`FitSpec.intervals == "wald"` uses observed information for all.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from sim.errors import UsageError
from sim.eventdata.data import EventData
from sim.experiments.fit.likelihood import Array, Layout, Prepared
from sim.experiments.fit.optimise import (
    Maximum,
    bounds_for,
    free_parameters,
    maximise,
    observed_information,
    profile_bounds,
)
from sim.experiments.fit.spec import FitSpec

if TYPE_CHECKING:
    from sim.experiments.fit.gof import GoodnessOfFit
    from sim.scenario.schema import Scenario

Z95 = 1.959963984540054


def placed_times(data: EventData, events: tuple[str, ...], seed: int) -> tuple[Array, ...]:
    """Event times for the likelihood: day-resolution times spread uniformly
    within their day (seeded per event id), others as they are."""
    out = []
    for event in events:
        times = data.times[event]
        if data.day_resolution:
            rng = np.random.default_rng(np.random.SeedSequence([seed, *event.encode()]))
            times = np.sort(times + rng.random(times.size))
        out.append(np.asarray(times, dtype=float))
    return tuple(out)


def parameter_names(
    layout: Layout, events: tuple[str, ...], start: dt.date
) -> list[dict[str, Any]]:
    """One record per parameter: its scenario path, kind, event, source, piece."""
    rows: list[dict[str, Any]] = []
    for event in events:
        for p in range(layout.n_pieces):
            piece = start + dt.timedelta(days=layout.breaks[p])
            rows.append(
                {
                    "parameter": f"streams.{event}.rate"
                    + (f"[{piece}]" if layout.n_pieces > 1 else ""),
                    "event": event,
                    "kind": "rate",
                    "source": None,
                    "piece_start": piece,
                }
            )
    for k, j in layout.kernels:
        target, source = events[k], events[j]
        base = (
            f"streams.{target}.self_excitation"
            if k == j
            else f"streams.{target}.excited_by.{source}"
        )
        for kind in ("branching", "decay_days"):
            rows.append(
                {
                    "parameter": f"{base}.{kind}",
                    "event": target,
                    "kind": kind,
                    "source": source,
                    "piece_start": None,
                }
            )
    return rows


def start_point(layout: Layout, data: Prepared, decay: float) -> Array:
    """Baselines at a share of the observed rate per piece, modest branchings."""
    targets = np.zeros(layout.n_types)
    for k, _ in layout.kernels:
        targets[k] += 1
    mu = np.empty((layout.n_types, layout.n_pieces))
    for k in range(layout.n_types):
        counts = np.bincount(data.pieces[k], minlength=layout.n_pieces)
        share = 0.5 if targets[k] else 1.0
        mu[k] = np.maximum(counts / data.lengths, 1e-3) * share
    branching = np.array([0.5 / targets[k] for k, _ in layout.kernels])
    decays = np.full(len(layout.kernels), decay)
    return layout.pack(mu, branching, decays)


@dataclass(frozen=True)
class FitResult:
    """A fitted model: estimates with intervals, fit quality and diagnostics.

    Use `table()` for the estimates, `comparison()` for the model family
    around this one, `gof` for goodness of fit and `to_scenario()` for
    scenario YAML content.
    """

    data: EventData
    spec: FitSpec
    events: tuple[str, ...]
    layout: Layout
    prepared: Prepared
    theta: Array
    loglik: float
    converged: bool
    message: str
    estimates: pd.DataFrame
    warnings: tuple[str, ...]
    gof: GoodnessOfFit
    seconds: float = 0.0
    profile_fits: int = 0
    _family: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_params(self) -> int:
        """Parameters in the layout (baselines, branchings, decays), those at a bound
        included: the AIC's k."""
        return self.layout.size

    @property
    def aic(self) -> float:
        """Akaike's criterion 2k - 2 log L; lower is better across the compared specs."""
        return 2 * self.n_params - 2 * self.loglik

    @property
    def label(self) -> str:
        """The spec in words, for comparison tables and chart legends."""
        return f"{self.spec.excitation_name} excitation, {self.spec.baseline_name} baseline"

    def table(self) -> pd.DataFrame:
        """Tidy estimates: parameter (scenario path), event, kind, source,
        piece_start, estimate, se, lower, upper, method, note."""
        return cast(pd.DataFrame, self.estimates.copy())

    def branching_matrix(self) -> pd.DataFrame:
        """Target x source matrix of branching estimates (0 where no kernel)."""
        matrix = pd.DataFrame(0.0, index=list(self.events), columns=list(self.events))
        rows = self.estimates[self.estimates["kind"] == "branching"]
        for _, row in rows.iterrows():
            matrix.loc[row["event"], row["source"]] = row["estimate"]
        matrix.index.name, matrix.columns.name = "target", "source"
        return cast(pd.DataFrame, matrix)

    def comparison(self) -> pd.DataFrame:
        """Poisson vs self- vs cross-exciting, constant vs this baseline, on
        these data (fits the missing models once; see compare.py)."""
        from sim.experiments.fit.compare import compare_models

        if "table" not in self._family:
            self._family["table"] = compare_models(self.data, self.spec, fit_streams, known=[self])
        return cast(pd.DataFrame, pd.DataFrame(self._family["table"]).copy())

    def to_scenario(
        self,
        scenario: Scenario | None = None,
        extends: str | None = None,
        name: str | None = None,
        rate_pieces: int = 1,
    ) -> dict[str, Any]:
        """Scenario YAML content (a plain dict) carrying the estimates; the
        arguments are those of scenario_out.scenario_content."""
        from sim.experiments.fit.scenario_out import scenario_content

        return scenario_content(self, scenario, extends, name, rate_pieces)


def _standard_errors(
    layout: Layout, prepared: Prepared, theta: np.ndarray, free: np.ndarray
) -> tuple[np.ndarray, str | None]:
    """Standard errors on the optimiser's scale from the inverse observed
    information of the free parameters (NaN for the others), and a warning
    instead when that matrix is not positive definite: then the maximum is
    flat or was not reached, and Wald intervals would be meaningless."""
    se_t = np.full(theta.size, np.nan)
    if not free.any():
        return se_t, None
    info = observed_information(layout, prepared, theta, free)
    try:
        eigen = np.linalg.eigvalsh(info)
        if eigen.min() <= 0:
            raise np.linalg.LinAlgError
        se_t[free] = np.sqrt(np.diag(np.linalg.inv(info)))
    except np.linalg.LinAlgError:
        return se_t, (
            "the observed information is not positive definite at the estimate: "
            "Wald intervals are not available (the maximum may be flat or not reached)"
        )
    return se_t, None


def _interval_rows(
    names: list[dict[str, Any]],
    layout: Layout,
    prepared: Prepared,
    best: Maximum,
    bounds: list[tuple[float, float]],
    spec: FitSpec,
) -> tuple[pd.DataFrame, list[str], int]:
    theta = best.theta
    inside = free_parameters(theta, bounds)
    free = inside.copy()
    # A kernel with branching 0 leaves its decay unidentified (a flat
    # direction): keep it out of the information matrix.
    first_kernel = layout.n_baseline
    for index in range(first_kernel, theta.size, 2):
        if not free[index]:
            free[index + 1] = False
    se_t, problem = _standard_errors(layout, prepared, theta, free)
    warnings: list[str] = [] if problem is None else [problem]
    rows = []
    profile_fits = 0
    for index, name in enumerate(names):
        value_t = theta[index]
        kind = name["kind"]
        note = ""
        if kind == "branching":
            estimate, se = value_t, se_t[index]
            if spec.intervals == "profile":
                lower, upper, fits = profile_bounds(layout, prepared, best, bounds, index, se)
                profile_fits += fits
                method = "profile likelihood"
            else:
                lower, upper = max(0.0, value_t - Z95 * se), value_t + Z95 * se
                method = "wald"
            if estimate <= 1e-3:
                note = "at 0: no excitation detected"
        else:
            estimate = math.exp(value_t)
            se = estimate * se_t[index]
            lower = math.exp(value_t - Z95 * se_t[index])
            upper = math.exp(value_t + Z95 * se_t[index])
            method = "wald, log scale"
            if kind == "decay_days" and spec.intervals == "profile" and theta[index - 1] > 1e-3:
                low_t, high_t, fits = profile_bounds(
                    layout, prepared, best, bounds, index, se_t[index]
                )
                profile_fits += fits
                lower, upper = math.exp(low_t), math.exp(high_t)
                method = "profile likelihood"
            if not inside[index]:
                low, high = bounds[index]
                at = "lower" if value_t - low <= 1e-3 else "upper"
                bound = math.exp(low if at == "lower" else high)
                note = f"at its {at} bound {bound:.4g}"
                if kind == "decay_days":
                    warnings.append(f"{name['parameter']} = {estimate:.4g} is at its {at} bound")
        rows.append(
            {
                **name,
                "estimate": float(estimate),
                "se": float(se),
                "lower": float(lower),
                "upper": float(upper),
                "method": method,
                "note": note,
            }
        )
    # A decay is meaningless where its branching is 0.
    table = pd.DataFrame(rows)
    zero = table[(table["kind"] == "branching") & (table["estimate"] <= 1e-3)]
    for _, row in zero.iterrows():
        decay_path = row["parameter"].replace(".branching", ".decay_days")
        mask = table["parameter"] == decay_path
        table.loc[mask, ["lower", "upper"]] = np.nan
        table.loc[mask, "note"] = "not identified (branching 0)"
    return table, warnings, profile_fits


def _model_warnings(table: pd.DataFrame, events: tuple[str, ...]) -> list[str]:
    out = []
    own = table[(table["kind"] == "branching") & (table["event"] == table["source"])]
    for _, row in own.iterrows():
        if row["estimate"] >= 1:
            out.append(
                f"{row['parameter']} = {row['estimate']:.3f} is explosive (>= 1): the scenario "
                "schema refuses it without max_events"
            )
    matrix = np.zeros((len(events), len(events)))
    index = {e: i for i, e in enumerate(events)}
    for _, row in table[table["kind"] == "branching"].iterrows():
        matrix[index[row["event"]], index[row["source"]]] = row["estimate"]
    radius = float(np.max(np.abs(np.linalg.eigvals(matrix)))) if matrix.size else 0.0
    if radius >= 0.95:
        out.append(
            f"the branching matrix's spectral radius is {radius:.3f}: near-critical or explosive; "
            "a drifting background rate fitted as constant does this (try a monthly baseline)"
        )
    return out


def fit_streams(data: EventData, spec: FitSpec | None = None) -> FitResult:
    """Fit the stream model `spec` to `data` by maximum likelihood.

    Two starts (short and long decay) guard against the local maxima that a
    drifting background creates; the better one is kept. Not converging is
    not an error: the best point is kept and `converged`/`warnings` say so.

    BLAS runs single-threaded meanwhile: L-BFGS-B's tiny matrix products
    were 7x slower with OpenBLAS threads competing for 2 cores.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit(data, spec or FitSpec())


def _fit(data: EventData, spec: FitSpec) -> FitResult:
    from sim.experiments.fit.gof import goodness_of_fit

    clock = time.perf_counter()
    named = {*spec.event_ids(data), *(e for pair in spec.kernel_pairs(data) for e in pair)}
    unknown = sorted(named - set(data.events))
    if unknown:
        raise UsageError(
            f"the fit names event id(s) {', '.join(unknown)}, which the data lack "
            f"(they have: {', '.join(data.events)})"
        )
    events = spec.event_ids(data)
    layout = spec.layout(data)
    prepared = Prepared.build(layout, placed_times(data, events, spec.jitter_seed))
    low, high = spec.decay_bounds(data)
    bounds = bounds_for(layout, low, high)
    starts = [min(max(2.0, low * 2), high)]
    if layout.kernels:
        starts.append(min(max(20.0, low * 4), high))
    best: Maximum | None = None
    for decay in starts:
        found = maximise(
            layout,
            prepared,
            start_point(layout, prepared, decay),
            bounds,
            max_iterations=spec.max_iterations,
        )
        if best is None or found.loglik > best.loglik + 1e-9:
            best = found
    assert best is not None
    names = parameter_names(layout, events, data.start)
    table, warnings, profile_fits = _interval_rows(names, layout, prepared, best, bounds, spec)
    if not best.converged:
        warnings.insert(0, f"the optimiser did not converge ({best.message}); best point kept")
    warnings += _model_warnings(table, events)
    gof = goodness_of_fit(data, events, layout, prepared, best.theta)
    warnings += list(gof.warnings)
    return FitResult(
        data=data,
        spec=spec,
        events=events,
        layout=layout,
        prepared=prepared,
        theta=best.theta,
        loglik=best.loglik,
        converged=best.converged,
        message=best.message,
        estimates=table,
        warnings=tuple(warnings),
        gof=gof,
        seconds=time.perf_counter() - clock,
        profile_fits=profile_fits,
    )
