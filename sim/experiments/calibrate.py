"""Calibration: fit parameters to a scenario's `observed` counts by simulated
maximum likelihood.

For a candidate parameter vector, R replications are simulated with common
random numbers (the same seed and replication indices for every candidate), so
the objective changes smoothly with the parameters instead of jumping with
fresh noise. Each observed window's count is scored under a negative binomial
whose mean and variance are the simulated ones (a synthetic likelihood in the
sense of Wood 2010, Nature 466:1102, with count marginals; windows are treated
as independent), or under a Poisson with the simulated mean. Uncertainty is a
95% profile-likelihood interval: the set of values whose profile deviance,
re-optimising the other parameters, stays below the chi-square(1) quantile.

The objective is itself a Monte Carlo estimate: with a few hundred
replications its noise can be as large as the fit's whole gain (issue 10).
So the log-likelihood at the fit is re-estimated from `NOISE_SEEDS`
independent seeds and its standard deviation is reported beside the gain; a
gain within twice that noise says the data barely distinguish the fit from
the start. `escsim calibrate --posterior` (sim/experiments/posterior.py)
goes further and samples the parameters' posterior.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Literal, cast

import numpy as np
import pandas as pd
from scipy import optimize, special

from sim.errors import Problem, ScenarioError, UsageError
from sim.montecarlo.grid import make_layout
from sim.montecarlo.runner import run_table
from sim.scenario.fields import parse_path
from sim.scenario.overrides import with_overrides
from sim.scenario.schema import Scenario
from sim.scenario.workload import check_workload

Likelihood = Literal["negbin", "poisson"]
CHI2_95 = float(2 * special.gammaincinv(0.5, 0.95))
"""The chi-square(1) 95% quantile, by scipy.stats.chi2's own formula
(importing scipy.stats costs a fast-engine calibration a tenth of its time)."""
IMPOSSIBLE = 1e12
"""Objective value for candidates outside the contract (finite, so the
simplex arithmetic stays defined)."""
UNIT_INTERVAL = ("probability", "self_excitation.branching")
NOISE_SEEDS = 5
"""Independent seeds at which the objective is re-estimated at the fit, for its
Monte Carlo standard deviation (5 gives the sd within about +-35%)."""


@dataclass(frozen=True)
class Parameter:
    """A fitted parameter and the transform that makes its range unbounded."""

    path: str
    start: float
    transform: Literal["log", "logit"]

    def internal(self, value: float) -> float:
        """The optimiser's coordinate for a natural value (log, or logit for
        values in (0, 1)); `value` must be strictly inside the range."""
        if self.transform == "log":
            return math.log(value)
        return math.log(value / (1 - value))

    def natural(self, z: float) -> float:
        """The natural value of an optimiser coordinate: always strictly inside the
        parameter's range, so the simplex can roam without bounds. May raise
        `OverflowError` for huge `z` (the objective treats that as impossible)."""
        if self.transform == "log":
            return math.exp(z)
        return 1 / (1 + math.exp(-z))


def fit_parameters(s: Scenario, paths: Sequence[str]) -> list[Parameter]:
    """Check that every path names a continuous number in a stream or rule."""
    data = s.model_dump(by_alias=True)
    problems, params = [], []
    for path in paths:
        loc = parse_path(path)
        value: object = data
        for key in loc:
            value = value.get(key) if isinstance(value, dict) else None
        where = f"--fit {path}"
        if not loc or loc[0] not in ("streams", "rules") or value is None:
            problems.append(
                Problem(
                    where,
                    None,
                    path,
                    "a numeric parameter of a stream or rule (e.g. streams.ID.rate)",
                    "no such parameter",
                )
            )
        elif isinstance(value, bool) or not isinstance(value, float):
            problems.append(
                Problem(
                    where,
                    None,
                    path,
                    "a continuous number to fit",
                    f"{type(value).__name__} {value!r}",
                )
            )
        elif value <= 0 or (path.endswith(UNIT_INTERVAL) and value >= 1):
            problems.append(
                Problem(
                    where,
                    None,
                    path,
                    "a starting value strictly inside the parameter's range",
                    repr(value),
                )
            )
        else:
            unit = path.endswith(UNIT_INTERVAL)
            params.append(Parameter(path, value, "logit" if unit else "log"))
    if len(set(paths)) != len(paths):
        problems.append(Problem("--fit", None, ",".join(paths), "distinct paths", "a repeat"))
    if not s.observed:
        problems.append(
            Problem(
                str(s.origin or s.name),
                None,
                "observed",
                "documented counts to fit to",
                "no observed counts",
            )
        )
    if problems:
        raise ScenarioError(problems)
    return params


def window_loglik(counts: np.ndarray, observed: np.ndarray, likelihood: Likelihood) -> float:
    """Log-likelihood of observed window counts given simulated ones (R x W).

    The simulated mean is floored at 0.5/R so a window the model never fills
    scores as very unlikely rather than impossible.
    """
    reps = counts.shape[0]
    mean = np.maximum(counts.mean(axis=0), 0.5 / reps)
    var = counts.var(axis=0, ddof=1) if reps > 1 else mean
    total = 0.0
    for m, v, y in zip(mean, var, observed, strict=True):
        if likelihood == "negbin" and v > m * (1 + 1e-9):
            size = m * m / (v - m)
            total += negbin_logpmf(y, size, size / (size + m))
        else:
            total += poisson_logpmf(y, m)
    return total


def negbin_logpmf(k: float, n: float, p: float) -> float:
    """The log-probability of count k under a negative binomial with size n and
    success probability p: scipy.stats.nbinom's formula on the same ufuncs (the
    same bits, tests/experiments/test_calibrate.py), without scipy.stats'
    argument checking, which cost more than the rest of a fast candidate's
    scoring."""
    coeff = special.gammaln(n + k) - special.gammaln(k + 1) - special.gammaln(n)
    return float(coeff + n * np.log(p) + special.xlog1py(k, -p))


def poisson_logpmf(k: float, mu: float) -> float:
    """The log-probability of count k under a Poisson with mean mu:
    scipy.stats.poisson's formula, as in `negbin_logpmf`."""
    return float(special.xlogy(k, mu) - special.gammaln(k + 1) - mu)


@dataclass
class Objective:
    """Simulated log-likelihood as a function of the parameters, cached."""

    scenario: Scenario
    params: list[Parameter]
    reps: int
    seed: int
    likelihood: Likelihood
    executor: Executor | None = None
    on_evaluation: Callable[[int], None] | None = None
    cache: dict[tuple[float, ...], tuple[float, np.ndarray]] = field(default_factory=dict)
    engine: str = "simpy"
    allow_large: bool = False
    """Simulate candidates however many events they are expected to make (see
    `candidate`), as `--allow-large` lets a run past the workload limits."""

    def __post_init__(self) -> None:
        layout = make_layout(self.scenario)
        self.observed = np.array([w[3] for w in layout.windows], dtype=float)
        # Only the windows are scored: stop each replication at the last one's end.
        end = max(w[2] for w in layout.windows)
        self.short = with_overrides(
            self.scenario, {"horizon_days": min(end, self.scenario.horizon_days)}
        )

    def scenario_at(self, values: Sequence[float], base: Scenario | None = None) -> Scenario:
        """The scenario with the fitted parameters set to `values` (natural scale),
        re-validated; `base` defaults to the full-horizon scenario.

        Raises:
            ScenarioError: the values break the contract (e.g. a branching of 1).
        """
        changes = {p.path: float(v) for p, v in zip(self.params, values, strict=True)}
        return with_overrides(base or self.scenario, changes)

    def candidate(self, values: Sequence[float]) -> Scenario:
        """The short-horizon scenario simulated at `values` (natural scale).

        A candidate past the workload limits a run must pass (`check_workload`:
        a million expected events a replication) is refused like one that
        breaks the contract, unless `allow_large`: its simulation would
        run for hours (a posterior's differential-evolution moves proposed a
        rate of 800,000 a day, 61 million events a replication), and counts
        the size of any documented window are then far in the likelihood's
        tail, where the candidate scores as impossible anyway. The starting
        scenario passed the same check.

        Raises:
            ScenarioError: the values break the contract, or the candidate is
                past the limit.
        """
        s = self.scenario_at(values, self.short)
        try:
            check_workload(s, self.reps, self.allow_large)
        except UsageError as refused:
            paths = ", ".join(p.path for p in self.params)
            raise ScenarioError(
                [
                    Problem(
                        "candidate",
                        None,
                        paths,
                        "a candidate within the workload limit",
                        str(refused),
                    )
                ]
            ) from None
        return s

    def window_counts(self, values: Sequence[float]) -> np.ndarray:
        """Simulated counts in each observed window (replications x windows) at
        `values` (natural scale), simulated once per distinct point (keyed to 12
        decimals) with the same seed and replications for every point, so two
        candidates differ only by the parameters (common random numbers)."""
        key = tuple(round(float(v), 12) for v in values)
        if key not in self.cache:
            s = self.candidate(values)
            table = run_table(
                s, self.seed, range(self.reps), executor=self.executor, engine=self.engine
            )
            counts = table.window_counts.astype(float)
            self.cache[key] = (window_loglik(counts, self.observed, self.likelihood), counts)
            if self.on_evaluation:
                self.on_evaluation(len(self.cache))
        return self.cache[key][1]

    def loglik(self, values: Sequence[float]) -> float:
        """The synthetic log-likelihood of the documented counts at `values`
        (natural scale), simulating the point if it is not cached."""
        self.window_counts(values)
        return self.cache[tuple(round(float(v), 12) for v in values)][0]

    def natural(self, z: Sequence[float] | np.ndarray) -> list[float]:
        """Natural values of a vector of optimiser coordinates (one per parameter)."""
        return [p.natural(float(x)) for p, x in zip(self.params, z, strict=True)]

    def negative(self, z: np.ndarray) -> float:
        """What the optimiser minimises: minus the log-likelihood at coordinates `z`,
        or `IMPOSSIBLE` (finite) where the point overflows or breaks the contract,
        so Nelder-Mead steps back instead of failing."""
        try:
            values = self.natural(z)
        except OverflowError:
            return IMPOSSIBLE
        if any(not math.isfinite(v) or v <= 0 for v in values):
            return IMPOSSIBLE
        try:
            return -self.loglik(values)
        except ScenarioError:
            # Outside the contract (e.g. own branching rounded up to 1): impossible.
            return IMPOSSIBLE


@dataclass(frozen=True)
class CalibrationResult:
    """A finished calibration: the estimates with their 95% profile-likelihood
    intervals, how well the start and the fit explain the documented counts, and
    whether the optimiser converged (if not, `estimates` is the best point found
    and `message` says why it stopped).

    `params`, `estimates` and `intervals` are in the order of the `--fit` paths,
    on the natural scale; `loglik_*` are synthetic log-likelihoods under
    `likelihood` from `reps` replications with `seed` (common random numbers)."""

    scenario: Scenario
    params: list[Parameter]
    estimates: list[float]
    intervals: list[tuple[float, float]]
    """95% profile-likelihood intervals (a bound equal to the range's end is open)."""
    loglik_start: float
    loglik_fit: float
    converged: bool
    message: str
    evaluations: int
    likelihood: Likelihood
    reps: int
    seed: int
    windows: pd.DataFrame
    """Observed windows with simulated median and 5-95% band at start and fit."""
    profile: pd.DataFrame
    """Profile log-likelihood points: path, value, loglik."""
    loglik_noise_sd: float = math.nan
    """Monte Carlo sd of the log-likelihood at the fit, over `NOISE_SEEDS`
    independent seeds (NaN if not measured)."""
    profile_evaluations: int = 0
    """Of `evaluations`, those the profile-likelihood intervals took (the rest,
    `fit_evaluations`, are the optimiser's, which `max_evals` bounds)."""

    @property
    def fit_evaluations(self) -> int:
        """Model evaluations the optimiser made (the points it simulated)."""
        return self.evaluations - self.profile_evaluations

    @property
    def noisy(self) -> bool:
        """The fit's gain over the start is within twice the objective's noise."""
        gain = self.loglik_fit - self.loglik_start
        return math.isfinite(self.loglik_noise_sd) and gain < 2 * self.loglik_noise_sd

    @property
    def fitted(self) -> Scenario:
        """The original scenario with the estimates set (what the calibrated
        scenario file describes)."""
        return with_overrides(self.scenario, dict(zip(self.paths, self.estimates, strict=True)))

    @property
    def paths(self) -> list[str]:
        """The fitted dotted paths, in `--fit` order."""
        return [p.path for p in self.params]


def _maximise(
    objective: Objective, z0: np.ndarray, fixed: dict[int, float], max_evals: int
) -> tuple[np.ndarray, float, bool, str]:
    """Nelder-Mead over the free coordinates (internal scale)."""
    free = [i for i in range(len(z0)) if i not in fixed]

    def full(x: np.ndarray) -> np.ndarray:
        z = np.array(z0, dtype=float)
        z[free] = x
        for i, v in fixed.items():
            z[i] = v
        return z

    if not free:
        z = full(np.array([]))
        return z, -objective.negative(z), True, "nothing to optimise"
    start = np.array([z0[i] for i in free], dtype=float)
    simplex = np.vstack([start] + [start + 0.4 * np.eye(len(free))[k] for k in range(len(free))])
    res = optimize.minimize(
        lambda x: objective.negative(full(x)),
        start,
        method="Nelder-Mead",
        options={"initial_simplex": simplex, "xatol": 1e-2, "fatol": 1e-2, "maxfev": max_evals},
    )
    return full(res.x), -float(res.fun), bool(res.success), str(res.message)


def _profile(
    objective: Objective, z_hat: np.ndarray, best: float, index: int, max_evals: int
) -> tuple[tuple[float, float], list[tuple[float, float]]]:
    """Walk out from the estimate in each direction until the profile deviance
    passes the chi-square(1) 95% point; interpolate the crossing."""
    p = objective.params[index]
    points = [(p.natural(float(z_hat[index])), best)]
    bounds = []
    for direction in (-1.0, 1.0):
        previous_z, previous_dev = float(z_hat[index]), 0.0
        crossing = None
        step = 0.15
        z_start = np.array(z_hat, dtype=float)
        for k in range(1, 11):
            z_i = float(z_hat[index]) + direction * step * k
            z_opt, ll, _, _ = _maximise(objective, z_start, {index: z_i}, max_evals)
            z_start = z_opt
            if not math.isfinite(ll) or ll <= -IMPOSSIBLE / 2:
                break
            points.append((p.natural(z_i), ll))
            deviance = max(2 * (best - ll), 0.0)
            if deviance >= CHI2_95:
                frac = (CHI2_95 - previous_dev) / (deviance - previous_dev)
                crossing = previous_z + frac * (z_i - previous_z)
                break
            previous_z, previous_dev = z_i, deviance
            if k >= 3:
                step *= 1.6
        if crossing is None:
            bounds.append(
                0.0
                if direction < 0 and p.transform == "log"
                else (0.0 if direction < 0 else (1.0 if p.transform == "logit" else math.inf))
            )
        else:
            bounds.append(p.natural(crossing))
    return (bounds[0], bounds[1]), points


def _window_frame(objective: Objective, start: list[float], fit: list[float]) -> pd.DataFrame:
    s = objective.scenario
    rows = []
    for w, (event, lo, hi, observed) in enumerate(make_layout(s).windows):
        row = {"event": event, "from": s.date_of(lo), "to": s.date_of(hi - 1), "observed": observed}
        for name, values in (("start", start), ("fit", fit)):
            counts = objective.window_counts(values)[:, w]
            q = np.quantile(counts, [0.05, 0.5, 0.95])
            row.update(
                {
                    f"{name}_p05": q[0],
                    f"{name}_median": q[1],
                    f"{name}_p95": q[2],
                    f"{name}_mean": counts.mean(),
                }
            )
        rows.append(row)
    return cast(pd.DataFrame, pd.DataFrame(rows))


def objective_noise(objective: Objective, values: Sequence[float], seeds: int) -> float:
    """Standard deviation of the log-likelihood at `values` over `seeds` seeds
    independent of the fit's (seed + 1, ..., seed + seeds), with the same
    replications per seed: the Monte Carlo noise of the objective there."""
    logliks = [
        Objective(
            objective.scenario,
            objective.params,
            objective.reps,
            objective.seed + k,
            objective.likelihood,
            objective.executor,
            engine=objective.engine,
            allow_large=objective.allow_large,
        ).loglik(values)
        for k in range(1, seeds + 1)
    ]
    return float(np.std(logliks, ddof=1)) if seeds > 1 else math.nan


def calibrate(
    scenario: Scenario,
    paths: Sequence[str],
    reps: int = 200,
    seed: int = 0,
    likelihood: Likelihood = "negbin",
    max_evals: int | None = None,
    profile: bool = True,
    executor: Executor | None = None,
    on_evaluation: Callable[[int], None] | None = None,
    engine: str = "simpy",
    allow_large: bool = False,
) -> CalibrationResult:
    """Fit `paths` to the scenario's observed counts; see the module docstring
    (`allow_large`: `Objective.candidate`)."""
    params = fit_parameters(scenario, paths)
    objective = Objective(
        scenario,
        params,
        reps,
        seed,
        likelihood,
        executor,
        on_evaluation,
        engine=engine,
        allow_large=allow_large,
    )
    start = [p.start for p in params]
    z0 = np.array([p.internal(v) for p, v in zip(params, start, strict=True)])
    budget = max_evals or 80 * len(params)
    z_hat, best, converged, message = _maximise(objective, z0, {}, budget)
    fit_evaluations = len(objective.cache)
    estimates = objective.natural(z_hat)
    intervals: list[tuple[float, float]] = []
    points: list[dict[str, float | str]] = []
    if profile:
        for i, p in enumerate(params):
            interval, profile_points = _profile(objective, z_hat, best, i, 25 * len(params))
            intervals.append(interval)
            points += [{"path": p.path, "value": v, "loglik": ll} for v, ll in profile_points]
    else:
        intervals = [(math.nan, math.nan)] * len(params)
    profile_evaluations = len(objective.cache) - fit_evaluations
    return CalibrationResult(
        scenario=scenario,
        params=params,
        estimates=estimates,
        intervals=intervals,
        loglik_start=objective.loglik(start),
        loglik_fit=best,
        converged=converged,
        message=message,
        evaluations=len(objective.cache),
        likelihood=likelihood,
        reps=reps,
        seed=seed,
        windows=_window_frame(objective, start, estimates),
        profile=pd.DataFrame(points, columns=["path", "value", "loglik"]),
        loglik_noise_sd=objective_noise(objective, estimates, NOISE_SEEDS),
        profile_evaluations=profile_evaluations,
    )
