"""Posterior draws of calibrated parameters: MCMC on the synthetic likelihood.

`calibrate` finds the most likely values; this module asks which values are
plausible given the documented counts, so a forecast from the calibrated
scenario can carry the fit's uncertainty (issue 10, item 4).

Likelihood: the same synthetic count likelihood as the point fit
(`sim.experiments.calibrate.window_loglik`: per observed window a negative
binomial, or a Poisson, with the simulated mean and variance; Wood 2010,
Nature 466:1102), from `reps` replications with common random numbers: every
candidate runs the same seed and replication indices, so the likelihood is a
smooth, deterministic function of the parameters and the chain explores it
like an ordinary density. (This targets the posterior under one fixed draw of
the simulator's noise, the usual CRN synthetic-likelihood approximation; more
`reps` shrink the difference from the exact synthetic likelihood.)

Sampler: emcee's ensemble sampler (Foreman-Mackey et al. 2013, PASP 125:306),
maintained and small. Chosen over ABC-SMC (pyabc) because the likelihood
already exists and is smooth under common random numbers, so nothing is
gained by a distance-and-tolerance approximation; ensemble moves adapt to the
strong rate-branching correlation of a Hawkes fit (no proposal to tune), a
move updates a whole sub-ensemble at once (a batch the process pool runs in
parallel), and the autocorrelation-time estimate gives the effective sample
size directly. Moves: differential evolution (ter Braak 2006, Stat. Comput.
16:239) mixed 80/20 with its snooker update (ter Braak & Vrugt 2008, Stat.
Comput. 18:435), the mixture emcee's documentation suggests. On the
flagship's two drone parameters (16 walkers x 600 steps, 100 replications)
it accepted 0.32 of the proposals with autocorrelation times of 7-9 steps,
where the default stretch move (Goodman & Weare 2010) accepted 0.71 with
18-20 steps: twice the effective draws for the same steps.

Prior: independent normals on the optimiser's internal coordinates (log for
positive parameters, logit for those in (0, 1)), centred on the scenario's
value with standard deviation `PRIOR_SD` = 1.5: weakly informative, a 90%
prior range of a factor of about 12 either way for a rate, and for a
branching of 0.95 the range 0.55 to 0.995. Centring on the scenario's value
uses the author's documented belief as the prior's location only; its width
lets the counts decide (docs/decisions.md).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from sim.errors import ScenarioError, UsageError
from sim.experiments.calibrate import Likelihood, Objective, Parameter, window_loglik
from sim.montecarlo.fast.select import resolve_engine
from sim.montecarlo.runner import chunked, run_chunk, scenario_chunk
from sim.montecarlo.table import RunTable
from sim.scenario.schema import Scenario

PRIOR_SD = 1.5
"""Prior standard deviation on the internal (log or logit) scale."""
LOG_SQRT_2PI = float(np.log(np.sqrt(2 * np.pi)))
"""log of the normal density's constant, as scipy.stats.norm computes it."""
START_SPREAD = 0.1
"""Walkers start in a ball of this standard deviation (internal scale) around
the point fit; the stretch move widens it to the posterior within a few
autocorrelation times."""
MIN_ESS = 100
"""Fewer effective draws than this per parameter is warned about: the 90%
interval's ends then rest on a handful of independent values."""
ACCEPTANCE_RANGE = (0.1, 0.7)
"""An acceptance fraction outside it means the ensemble is stuck or the
posterior is degenerate (emcee's documentation suggests 0.2-0.5 as healthy)."""
TAU_STEPS = 50
"""emcee's rule: the autocorrelation time is trusted when the chain kept is at
least this many times longer."""
START_TRIES = 100
MIN_KEPT_STEPS = 10
"""Fewer steps per walker after burn-in are refused before anything runs: the
autocorrelation time (hence the thinning and the ESS) needs a few lagged
pairs per walker, and with 2-4 kept steps a walker that happens not to move
leaves emcee's estimate undefined (NaN), which failed after the whole fit."""


@dataclass(frozen=True)
class Settings:
    """How long to sample: `walkers` chains of `steps` steps, the first `burn`
    of them discarded."""

    walkers: int = 16
    steps: int = 1500
    burn: int | None = None
    """Default: a third of `steps`."""

    @property
    def burn_in(self) -> int:
        """The steps discarded as burn-in."""
        return self.steps // 3 if self.burn is None else self.burn

    def check(self, dimensions: int) -> None:
        """Refuse settings the sampler cannot honour, before any simulation.

        Raises:
            UsageError: walkers fewer than twice the parameters (or 4), or
                odd: fewer cannot span the posterior (emcee refuses them) and
                the moves split the ensemble in halves and quarters; no steps,
                a burn-in that leaves no draws, or fewer than
                `MIN_KEPT_STEPS` steps kept after it.
        """
        need = max(2 * dimensions, 4)
        if self.walkers < need or self.walkers % 2:
            raise UsageError(
                f"--walkers: expected an even number of at least {need} (twice the "
                f"{dimensions} fitted parameter(s), for the ensemble's moves), "
                f"found {self.walkers}"
            )
        if self.steps < 1:
            raise UsageError(f"--steps: expected at least 1 step, found {self.steps}")
        top = self.steps - MIN_KEPT_STEPS  # the longest burn-in that keeps enough
        if self.burn is not None and (self.burn_in < 0 or 0 <= top < self.burn_in):
            raise UsageError(
                f"--burn: expected 0 to {max(top, 0)} (at least {MIN_KEPT_STEPS} of "
                f"--steps {self.steps} kept after it), found {self.burn_in}"
            )
        self._check_kept_steps()

    def _check_kept_steps(self) -> None:
        """Refuse a chain too short after burn-in to estimate its autocorrelation
        time, naming the smallest --steps that would do."""
        kept = self.steps - self.burn_in
        if kept >= MIN_KEPT_STEPS:
            return
        if self.burn is None:  # the default burn-in is a third of the steps
            least = next(n for n in itertools.count(MIN_KEPT_STEPS) if n - n // 3 >= MIN_KEPT_STEPS)
            how = f"--steps {least} or more"
        else:
            how = f"--steps {self.burn + MIN_KEPT_STEPS} or more with --burn {self.burn}"
        raise UsageError(
            f"--steps {self.steps} with a burn-in of {self.burn_in} keeps {kept} step(s) per "
            f"walker; expected at least {MIN_KEPT_STEPS} after burn-in (to estimate the "
            f"autocorrelation time): use {how}"
        )


@dataclass(frozen=True)
class Posterior:
    """Posterior draws with their diagnostics.

    `draws` holds one column per fitted path (natural scale), one row per kept
    draw (after burn-in, thinned): rows are joint draws, so correlations
    between parameters survive. `chain` is every walker's full path (steps x
    walkers x parameters, natural scale) for the trace chart."""

    paths: list[str]
    draws: pd.DataFrame
    chain: np.ndarray
    acceptance: np.ndarray
    """Each walker's acceptance fraction."""
    tau: list[float]
    """Integrated autocorrelation time per parameter, in steps (emcee)."""
    settings: Settings
    thin: int
    evaluations: int
    seed: int
    engine: str
    prior: list[str]
    """Each parameter's prior in words."""
    stuck_walkers: int = 0
    """Walkers that never moved after burn-in (left out of the autocorrelation time)."""

    @property
    def kept_steps(self) -> int:
        """Steps per walker after burn-in."""
        return self.settings.steps - self.settings.burn_in

    @property
    def ess(self) -> list[float]:
        """Effective sample size per parameter: walkers x kept steps / tau."""
        n = self.settings.walkers * self.kept_steps
        return [n / t if t > 0 else float(n) for t in self.tau]

    @property
    def tau_reliable(self) -> bool:
        """The chain kept is at least `TAU_STEPS` autocorrelation times long."""
        return self.kept_steps >= TAU_STEPS * max(self.tau)

    def table(self) -> pd.DataFrame:
        """One row per parameter: posterior median, 90% credible interval
        (5% and 95% quantiles of the draws), autocorrelation time and ESS."""
        q = self.draws[self.paths].quantile([0.05, 0.5, 0.95])
        return cast(
            pd.DataFrame,
            pd.DataFrame(
                {
                    "path": self.paths,
                    "median": [float(q.loc[0.5, p]) for p in self.paths],
                    "lower_90": [float(q.loc[0.05, p]) for p in self.paths],
                    "upper_90": [float(q.loc[0.95, p]) for p in self.paths],
                    "tau": self.tau,
                    "ess": self.ess,
                }
            ),
        )

    def trace_frame(self) -> pd.DataFrame:
        """The chain as a tidy frame: step, walker, path, value."""
        steps, walkers, _ = self.chain.shape
        step, walker = np.meshgrid(np.arange(steps), np.arange(walkers), indexing="ij")
        frames = [
            pd.DataFrame(
                {
                    "step": step.ravel(),
                    "walker": walker.ravel(),
                    "path": path,
                    "value": self.chain[:, :, i].ravel(),
                }
            )
            for i, path in enumerate(self.paths)
        ]
        return cast(pd.DataFrame, pd.concat(frames, ignore_index=True))

    def warnings(self) -> list[str]:
        """What a reader must know before trusting the draws, in words."""
        out = []
        low = [
            f"{p} ({math.floor(e)})"
            for p, e in zip(self.paths, self.ess, strict=True)
            if e < MIN_ESS
        ]
        if low:
            out.append(
                f"effective sample size below {MIN_ESS}: {', '.join(low)}; the credible "
                "intervals' ends are imprecise. Run more --steps."
            )
        mean = float(self.acceptance.mean())
        lo, hi = ACCEPTANCE_RANGE
        if not lo <= mean <= hi:
            out.append(
                f"acceptance fraction {mean:.2f} is outside [{lo}, {hi}]: the ensemble is "
                "stuck or the posterior is degenerate; look at the trace chart."
            )
        if self.stuck_walkers:
            out.append(
                f"{self.stuck_walkers} of {self.settings.walkers} walkers never moved after "
                "burn-in (their draws repeat one value); the autocorrelation time comes from "
                "the others. Look at the trace chart, run more --steps."
            )
        if not self.tau_reliable:
            out.append(
                f"the chain after burn-in ({self.kept_steps} steps) is shorter than "
                f"{TAU_STEPS} autocorrelation times ({max(self.tau):.0f} steps each): the "
                "autocorrelation time and so the ESS are rough. Run more --steps."
            )
        if self.settings.burn_in < 2 * max(self.tau):
            out.append(
                f"burn-in ({self.settings.burn_in} steps) is shorter than two "
                f"autocorrelation times ({max(self.tau):.0f} steps each): early draws may "
                "still remember the start. Raise --burn."
            )
        return out


def default_prior(params: Sequence[Parameter]) -> list[str]:
    """The prior of each parameter in words (see the module docstring)."""
    return [
        f"normal on {p.transform}({p.path}), mean {p.transform}({p.start:.4g}), sd {PRIOR_SD}"
        for p in params
    ]


def log_prior(params: Sequence[Parameter], z: np.ndarray) -> float:
    """Log prior density of internal coordinates `z` (independent normals)."""
    centre = np.array([p.internal(p.start) for p in params])
    # scipy.stats.norm.logpdf(z, centre, PRIOR_SD)'s formula (same bits,
    # tested), without importing scipy.stats on every calibration.
    x = (np.asarray(z, dtype=float) - centre) / PRIOR_SD
    return float((-(x**2) / 2.0 - LOG_SQRT_2PI - np.log(PRIOR_SD)).sum())


def check_prior(scenario: Scenario, params: Sequence[Parameter]) -> None:
    """A fitted parameter written as a distribution cannot be sampled: the
    scenario's law describes forecast uncertainty, the calibration's prior is
    the documented default, and the calibrated file must replace the law by
    the draws.

    Raises:
        ScenarioError: a fitted path is uncertain in the scenario.
    """
    from sim.errors import Problem

    uncertain = [p.path for p in params if p.path in scenario.uncertain]
    if uncertain:
        raise ScenarioError(
            [
                Problem(
                    f"--fit {path}",
                    None,
                    path,
                    "a fixed number to start from (--posterior uses its own documented "
                    "prior; fix the value with --set or in the file)",
                    scenario.uncertain[path].describe(),
                )
                for path in uncertain
            ]
        )


class _Evaluator:
    """The log posterior of a batch of walkers, simulated together."""

    def __init__(
        self,
        objective: Objective,
        engine: str,
        executor: Executor | None,
        on_evaluation: Callable[[int], None] | None,
    ) -> None:
        self.objective = objective
        self.engine = engine
        self.executor = executor
        self.on_evaluation = on_evaluation
        self.evaluations = 0
        self.failure: BaseException | None = None

    def raise_failure(self) -> None:
        """Raise the exception a batch met (Ctrl-C, a worker's error), if any."""
        if self.failure is not None:
            raise self.failure

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """The log posterior emcee asks for (vectorised): one value per row of `z`.

        emcee wraps this call in a handler that prints a traceback for any
        exception, Ctrl-C included; so an exception is kept in `failure` (the
        batch scores minus infinity) and `sample_posterior` raises it after the
        step, outside emcee."""
        if self.failure is not None:
            return np.full(len(z), -np.inf)
        try:
            return self._log_posterior(z)
        except BaseException as exc:  # re-raised by sample_posterior after the step
            self.failure = exc
            return np.full(len(z), -np.inf)

    def _log_posterior(self, z: np.ndarray) -> np.ndarray:
        out = np.full(len(z), -np.inf)
        todo: list[tuple[int, Scenario]] = []
        for k, row in enumerate(np.atleast_2d(z)):
            scenario = self._scenario(row)
            if scenario is not None:
                todo.append((k, scenario))
        for (k, _), counts in zip(todo, self._counts([s for _, s in todo]), strict=True):
            like = window_loglik(counts, self.objective.observed, self.objective.likelihood)
            out[k] = like + log_prior(self.objective.params, z[k])
        self.evaluations += len(todo)
        if self.on_evaluation:
            self.on_evaluation(self.evaluations)
        return out

    def _scenario(self, z: np.ndarray) -> Scenario | None:
        """The short-horizon scenario at `z`, or None where it overflows, breaks
        the contract or is past the workload limit (`Objective.candidate`): log
        posterior minus infinity."""
        try:
            values = self.objective.natural(z)
        except OverflowError:
            return None
        if any(not math.isfinite(v) or v <= 0 for v in values):
            return None
        try:
            return self.objective.candidate(values)
        except ScenarioError:
            return None

    def _counts(self, scenarios: list[Scenario]) -> list[np.ndarray]:
        """Window counts of each scenario from the same seed and replications
        (common random numbers); on the executor all chunks of the batch are
        queued at once, so both workers stay busy."""
        o = self.objective
        parts = chunked(range(o.reps), 1, None, self.engine)
        if self.executor is None:
            from sim.engine import compile_model

            models = [compile_model(s) for s in scenarios]
            tables = [
                RunTable.concat([run_chunk(m, o.seed, p, self.engine) for p in parts])
                for m in models
            ]
        else:
            futures = [
                [self.executor.submit(scenario_chunk, s, o.seed, p, self.engine) for p in parts]
                for s in scenarios
            ]
            tables = [RunTable.concat([f.result() for f in fs]) for fs in futures]
        return [t.window_counts.astype(float) for t in tables]


def sample_posterior(
    scenario: Scenario,
    params: Sequence[Parameter],
    start: Sequence[float],
    settings: Settings,
    reps: int = 200,
    seed: int = 0,
    likelihood: Likelihood = "negbin",
    executor: Executor | None = None,
    engine: str = "simpy",
    on_evaluation: Callable[[int], None] | None = None,
    allow_large: bool = False,
) -> Posterior:
    """Draw from the posterior of `params` given the scenario's observed counts.

    Args:
        scenario: The scenario with its `observed` counts.
        params: The fitted parameters (`calibrate.fit_parameters`).
        start: Where the walkers start (natural scale), usually the point fit.
        settings: Walkers, steps and burn-in (checked here too).
        reps: Replications per candidate (common random numbers).
        seed: Seed of the simulations, and (through a separate stream) of the
            sampler's moves and starting ball.
        likelihood: "negbin" or "poisson", as for the point fit.
        executor: A process pool (or Dask) to run each batch of walkers on.
        engine: "simpy" or "fast" (resolved once, here).
        on_evaluation: Called with the number of candidates simulated so far.
        allow_large: Simulate candidates past the workload limit
            (`Objective.candidate`); otherwise they score minus infinity.

    Raises:
        UsageError: bad settings, or no starting walker has a finite posterior.
        ScenarioError: a fitted path is uncertain in the scenario.
    """
    import emcee

    params = list(params)
    settings.check(len(params))
    check_prior(scenario, params)
    objective = Objective(scenario, params, reps, seed, likelihood, allow_large=allow_large)
    engine = resolve_engine(engine, objective.short)
    evaluate = _Evaluator(objective, engine, executor, on_evaluation)
    rng = np.random.default_rng([seed, 0x706F7374])  # "post": apart from the simulations
    centre = np.array([p.internal(v) for p, v in zip(params, start, strict=True)])
    coords = _starting_ball(evaluate, centre, settings.walkers, rng)
    moves = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    sampler = emcee.EnsembleSampler(
        settings.walkers, len(params), evaluate, moves=moves, vectorize=True
    )
    state = emcee.State(coords, random_state=np.random.RandomState(rng.integers(2**32)).get_state())
    for _ in sampler.sample(state, iterations=settings.steps):
        evaluate.raise_failure()
    internal = sampler.get_chain()
    tau, stuck = autocorrelation_times(internal[settings.burn_in :])
    thin = max(1, int(0.5 * min(tau)))
    kept = sampler.get_chain(discard=settings.burn_in, thin=thin, flat=True)
    natural = np.vectorize(lambda p, x: p.natural(x), otypes=[float])
    transforms = np.array(params, dtype=object)
    return Posterior(
        paths=[p.path for p in params],
        draws=pd.DataFrame(natural(transforms, kept), columns=[p.path for p in params]),
        chain=natural(transforms, internal),
        acceptance=np.asarray(sampler.acceptance_fraction, dtype=float),
        tau=tau,
        settings=settings,
        thin=thin,
        evaluations=evaluate.evaluations,
        seed=seed,
        engine=engine,
        prior=default_prior(params),
        stuck_walkers=stuck,
    )


def autocorrelation_times(kept: np.ndarray) -> tuple[list[float], int]:
    """The integrated autocorrelation time (emcee's estimate) of each parameter of
    the chain kept after burn-in (steps x walkers x parameters), from the walkers that
    moved, and how many walkers never moved.

    A walker that never moved has no autocorrelation function (0 / 0): emcee's
    estimate over all walkers is then NaN, which used to fail after the whole
    fit. Leaving such walkers out (they are warned about) keeps the estimate
    of the others; with none moving, the chain's length stands in, the
    pessimistic bound (no independent draw within a walker's chain)."""
    from emcee.autocorr import integrated_time

    steps, _, dimensions = kept.shape
    moved = np.ptp(kept, axis=0) > 0  # walkers x parameters
    taus = []
    for d in range(dimensions):
        tau = math.nan
        if moved[:, d].any():
            tau = float(integrated_time(kept[:, moved[:, d], d], tol=0)[0])
        taus.append(tau if math.isfinite(tau) else float(steps))
    return taus, int((~moved.any(axis=1)).sum())


def _starting_ball(
    evaluate: _Evaluator, centre: np.ndarray, walkers: int, rng: np.random.Generator
) -> np.ndarray:
    """Walkers in a small ball around `centre`, each with a finite posterior
    (a walker that breaks the contract is drawn again)."""
    coords = centre + START_SPREAD * rng.standard_normal((walkers, centre.size))
    finite = np.isfinite(evaluate(coords))
    evaluate.raise_failure()
    for _ in range(START_TRIES):
        if finite.all():
            return coords
        bad = np.flatnonzero(~finite)
        coords[bad] = centre + START_SPREAD * rng.standard_normal((bad.size, centre.size))
        finite[bad] = np.isfinite(evaluate(coords[bad]))
        evaluate.raise_failure()
    raise UsageError(
        "no starting point for the sampler: the posterior is zero around the point fit "
        f"({len(np.flatnonzero(~finite))} of {walkers} walkers); check the fitted values"
    )
