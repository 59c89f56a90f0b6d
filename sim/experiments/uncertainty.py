"""Parameter uncertainty: the nested design and which unknowns matter (issue 10).

Nested design: K parameter draws x M replications each. Replication r takes
parameter draw r // M (uniforms keyed by (seed, draw, "param:<path>"), so
M = 1 is the ordinary run) and its own engine
generators. Over all K M replications the share of replications in which an
outcome happened estimates the predictive (marginal) probability, with its
Wilson band; per draw, the share among its M replications estimates the
conditional probability P(outcome by day d | parameters), whose spread across
draws is the parameter band. That spread includes binomial noise of variance
p (1 - p) / M per draw, reported as `noise_share` so a reader can tell when M
is too small for the band to mean much.

Replications sharing a draw are correlated, so the predictive probability's
Monte Carlo intervals count draws as well as replications: the pointwise one is
Wilson's at Kish's effective sample size (`sim.stats.clustered_wilson_interval`),
the simultaneous one DKW's with n = K (`sim.stats.dkw_band`, which says why).

Variance decomposition: first-order and total Sobol indices (Saltelli et al.
2010, Comput. Phys. Commun. 181:259) of each outcome's probability by the
horizon over the uncertain parameters, from SALib on a Saltelli/Sobol design
in the parameters' quantiles (each point mapped through the inverse CDFs, a
`samples:` file as one input: its row), each point run with the same M
replications (common random numbers, which keep the estimators'
differences from drowning in replication noise). `parameter_share` says how
much of the outcome indicator's own variance p (1 - p) the parameters carry:
the indicator's index for a parameter is its index times that share.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar, cast

import numpy as np
import pandas as pd

from sim.engine import compile_model, simulate
from sim.experiments import tables as frames
from sim.montecarlo.fast.select import resolve_engine
from sim.montecarlo.grid import Layout, make_layout
from sim.montecarlo.parameters import Parameters
from sim.montecarlo.runner import (
    Progress,
    chunked,
    process_pool,
    run_chunk,
    run_table,
    stopping_on_interrupt,
)
from sim.montecarlo.table import RunTable
from sim.scenario.distributions import U_MAX, U_MIN
from sim.scenario.schema import Scenario
from sim.stats import clustered_wilson_interval, dkw_band

if TYPE_CHECKING:
    from matplotlib.axes import Axes

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
FIXED_NOTE = "every parameter is fixed: no parameter band (ran as a usual Monte Carlo run)"
NOISY_BAND = 0.25
"""`noise_share` from which the parameter band is called mostly noise: its
width is then at least 1 / sqrt(1 - 0.25) - 1 = 15% more than the parameters'
own spread would give."""
BAND_COLUMNS = ("cond_p05", "cond_p25", "cond_median", "cond_p75", "cond_p95")
DEFAULT_REPS_PER_DRAW = 100
"""M, replications per parameter draw of the nested design and per point of
the Sobol design, when not given (the command line's default too): with
probabilities near 0.5 one draw's estimate has a standard error of 0.05; at
50 the replication noise was a third or more of the flagship's parameter band."""


T = TypeVar("T")


def nested_chunk(
    scenario: Scenario,
    seed: int,
    reps: Sequence[int],
    reps_per_draw: int,
    engine: str = "simpy",
) -> RunTable:
    """A chunk of the nested design (compiled where it runs, so a process pool
    can take it), on either engine: both give the same table."""
    return run_chunk(compile_model(scenario), seed, reps, engine, reps_per_draw)


def parameter_frame(scenario: Scenario, table: RunTable) -> pd.DataFrame:
    """One row per replication: `rep` and each drawn parameter by its dotted
    path (only `rep` when every parameter is fixed), to join with the
    replication rows in `replications.parquet`."""
    frame = pd.DataFrame({"rep": table.reps})
    for col, path in enumerate(scenario.uncertain):
        frame[path] = table.parameters[:, col]
    return cast(pd.DataFrame, frame)


@dataclass(frozen=True)
class NestedResult:
    """K parameter draws x M replications: predictive and conditional probabilities."""

    scenario: Scenario
    seed: int
    table: RunTable
    param_draws: int
    reps_per_draw: int

    @property
    def fixed_only(self) -> bool:
        """True when the scenario has no uncertain parameters: every draw is the same."""
        return not self.scenario.uncertain

    @property
    def has_band(self) -> bool:
        """True when a parameter band exists: uncertain parameters, at least two
        draws and two replications per draw (one replication gives each draw a
        0 or 1, not a probability)."""
        return not self.fixed_only and self.param_draws > 1 and self.reps_per_draw > 1

    @property
    def note(self) -> str:
        """One line on the design (draws x replications, seed) for chart footers."""
        if self.fixed_only:
            return FIXED_NOTE
        return (
            f"{self.param_draws:,} parameter draws x {self.reps_per_draw:,} replications each, "
            f"seed {self.seed}"
        )

    @cached_property
    def layout(self) -> Layout:
        """The scenario's day grid and outcome columns, built once."""
        return make_layout(self.scenario)

    def conditional(self) -> np.ndarray:
        """(draws, outcomes, days): P(outcome by day | the draw's parameters),
        estimated from the draw's replications."""
        days = self.table.outcome_days.reshape(self.param_draws, self.reps_per_draw, -1)
        grid = self.layout.day_grid
        happened = ~np.isnan(days)
        by_day = happened[..., None] & (np.nan_to_num(days, nan=np.inf)[..., None] <= grid)
        return np.asarray(by_day.mean(axis=1))

    def curves(self) -> pd.DataFrame:
        """Per outcome and day: the predictive probability with its 95% Monte
        Carlo bands, pointwise (`lower`, `upper`: clustered Wilson) and
        simultaneous (`simultaneous_lower`, `simultaneous_upper`: DKW with
        n = K), and, with a parameter band (`has_band`), the median and the 50%
        and 90% bands of the conditional probabilities."""
        curves = frames.outcome_curves(self.scenario, self.layout, self.table)
        if not self.has_band:
            for name in BAND_COLUMNS:
                curves[name] = np.nan
        else:
            conditional = self.conditional()  # (draws, outcomes, days)
            lower, upper = clustered_wilson_interval(conditional, self.reps_per_draw)
            curves["lower"], curves["upper"] = lower.reshape(-1), upper.reshape(-1)
            slo, shi = dkw_band(curves["probability"].to_numpy(), self.param_draws)
            curves["simultaneous_lower"], curves["simultaneous_upper"] = slo, shi
            q = np.quantile(conditional, QUANTILES, axis=0)  # (5, outcomes, days)
            for name, values in zip(BAND_COLUMNS, q, strict=True):
                curves[name] = values.reshape(-1)
        curves["param_draws"] = self.param_draws
        curves["reps_per_draw"] = self.reps_per_draw
        return curves

    def summary(self) -> pd.DataFrame:
        """Per outcome by the horizon: the predictive probability and its Monte
        Carlo interval (clustered Wilson), the conditional probability's
        quantiles across draws, and the share of their variance that is
        binomial noise of M replications."""
        curves = self.curves()
        last = curves[curves["day"] == curves["day"].max()].reset_index(drop=True)
        columns = ["outcome", "label", "probability", "lower", "upper", *BAND_COLUMNS]
        out = last[columns].copy()
        if not self.has_band:
            out["noise_share"] = np.nan
        else:
            p = self.conditional()[:, :, -1]  # (draws, outcomes)
            variance = p.var(axis=0, ddof=1) if self.param_draws > 1 else np.zeros(p.shape[1])
            noise = np.mean(p * (1 - p), axis=0) / max(self.reps_per_draw - 1, 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                out["noise_share"] = np.where(variance > 0, noise / variance, np.nan)
        return cast(pd.DataFrame, out)

    def plot_probability(
        self, outcomes: Sequence[str] | None = None, ax: Axes | None = None
    ) -> Axes:
        """Predictive probability with the band across parameter draws, per outcome."""
        from sim.charts import uncertainty as charts

        title = self.scenario.title or self.scenario.name
        return charts.probability_bands_chart(self.curves(), title, outcomes, ax=ax)


def run_nested(
    scenario: Scenario,
    seed: int,
    param_draws: int,
    reps_per_draw: int,
    workers: int = 1,
    progress: Progress | None = None,
    engine: str = "simpy",
) -> NestedResult:
    """Run the nested design; with every parameter fixed, run the same number
    of replications as usual (the result says so in `note`).

    Results are identical for any `workers` and either engine: replication r
    depends only on (scenario, seed, r) and its draw r // reps_per_draw.
    """
    if param_draws < 1 or reps_per_draw < 1:
        raise ValueError("param_draws and reps_per_draw must be at least 1")
    reps = range(param_draws * reps_per_draw)
    engine = resolve_engine(engine, scenario)
    if not scenario.uncertain:
        table = run_table(scenario, seed, reps, workers, progress=progress, engine=engine)
        return NestedResult(scenario, seed, table, param_draws, reps_per_draw)
    chunks = chunked(reps, workers, engine=engine)
    if workers <= 1 or len(chunks) == 1:
        parts = []
        for part in chunks:
            parts.append(nested_chunk(scenario, seed, part, reps_per_draw, engine))
            if progress:
                progress(len(part))
    else:
        with stopping_on_interrupt(process_pool(min(workers, len(chunks)))) as pool:
            futures = [
                pool.submit(nested_chunk, scenario, seed, part, reps_per_draw, engine)
                for part in chunks
            ]
            parts = _in_order(futures, [len(c) for c in chunks], progress)
    table = RunTable.concat(parts)
    return NestedResult(scenario, seed, table, param_draws, reps_per_draw)


def _in_order(
    futures: Sequence[Future[T]], sizes: Sequence[int], progress: Progress | None
) -> list[T]:
    out: list[T] = []
    for future, size in zip(futures, sizes, strict=True):
        out.append(future.result())
        if progress:
            progress(size)
    return out


# --- which unknowns matter: Sobol indices on a Saltelli design ----------------


def design_inputs(scenario: Scenario) -> tuple[list[str], list[int]]:
    """The design's inputs (one per generator key: a `samples:` file is one
    input, its row) with a name each, and the input of each parameter."""
    params = Parameters.of(compile_model(scenario))
    keys = params.inputs
    names = []
    for key in keys:
        paths = [p for p, k in zip(params.names, params.keys, strict=True) if k == key]
        names.append(paths[0] if len(paths) == 1 else " + ".join(paths))
    return names, [keys.index(k) for k in params.keys]


def point_block(
    scenario: Scenario, seed: int, values: np.ndarray, reps_per_point: int
) -> np.ndarray:
    """(points, outcomes) share of `reps_per_point` replications in which each
    outcome happened by the horizon, one row per row of parameter values."""
    model = compile_model(scenario)
    params = Parameters.of(model)
    out = np.empty((values.shape[0], len(model.outcomes)))
    for row, point in enumerate(values):
        fixed = params.apply(point)
        happened = [
            [day is not None for day in simulate(fixed, seed, rep).outcome_days.values()]
            for rep in range(reps_per_point)
        ]
        out[row] = np.mean(happened, axis=0)
    return out


@dataclass(frozen=True)
class SobolResult:
    """Sobol indices of P(outcome by the horizon) over the uncertain parameters
    (Saltelli design), with the outputs they were computed from."""

    scenario: Scenario
    inputs: tuple[str, ...]
    design: np.ndarray
    """(points, inputs) quantiles of the Saltelli design."""
    outputs: np.ndarray
    """(points, outcomes) P(outcome by the horizon) at each point."""
    reps_per_point: int
    seed: int

    def indices(self) -> pd.DataFrame:
        """Tidy: outcome, parameter, S1, S1_conf, ST, ST_conf (95% bootstrap),
        noise_share and parameter_share; ranked by ST within each outcome."""
        from SALib.analyze import sobol

        problem = {
            "num_vars": len(self.inputs),
            "names": list(self.inputs),
            "bounds": [[0.0, 1.0]] * len(self.inputs),
        }
        rows = []
        for col, outcome in enumerate(self.scenario.outcomes):
            y = self.outputs[:, col]
            variance = float(np.var(y))
            if variance == 0:
                continue
            noise = float(np.mean(y * (1 - y))) / self.reps_per_point
            mean = float(np.mean(y))
            share = max(variance - noise, 0.0) / (mean * (1 - mean)) if 0 < mean < 1 else np.nan
            result = sobol.analyze(
                problem, y, calc_second_order=False, num_resamples=200, seed=self.seed
            )
            for j, name in enumerate(self.inputs):
                rows.append(
                    {
                        "outcome": outcome,
                        "label": self.scenario.outcome_label(outcome),
                        "parameter": name,
                        "S1": float(result["S1"][j]),
                        "S1_conf": float(result["S1_conf"][j]),
                        "ST": float(result["ST"][j]),
                        "ST_conf": float(result["ST_conf"][j]),
                        "noise_share": noise / variance,
                        "parameter_share": share,
                    }
                )
        columns = ["outcome", "label", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
        frame = pd.DataFrame(rows, columns=[*columns, "noise_share", "parameter_share"])
        order = {o: i for i, o in enumerate(self.scenario.outcomes)}
        return cast(
            pd.DataFrame,
            frame.assign(_o=frame["outcome"].map(order))
            .sort_values(["_o", "ST"], ascending=[True, False])
            .drop(columns="_o")
            .reset_index(drop=True),
        )

    def plot_research(self, outcome: str | None = None, ax: Axes | None = None) -> Axes:
        """Bar chart of first-order and total indices for `outcome` (default: the
        headline), showing which parameters most deserve research."""
        from sim.charts import uncertainty as charts

        return charts.research_chart(self.indices(), outcome or self.scenario.headline, ax=ax)


def run_sobol(
    scenario: Scenario,
    seed: int,
    base_samples: int = 64,
    reps_per_point: int = DEFAULT_REPS_PER_DRAW,
    workers: int = 1,
    progress: Progress | None = None,
) -> SobolResult:
    """Sobol indices of each outcome's probability over the uncertain parameters.

    The Saltelli design has base_samples x (inputs + 2) points (base_samples a
    power of 2); every point runs replications 0..reps_per_point-1 of `seed`.

    Raises:
        ValueError: with fewer than two uncertain inputs (nothing to apportion).
    """
    from SALib.sample import sobol as sobol_sample

    names, _ = design_inputs(scenario) if scenario.uncertain else ([], [])
    if len(names) < 2:
        raise ValueError(
            f"Sobol indices need at least two uncertain inputs; this scenario has {len(names)}"
        )
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    design = sobol_sample.sample(problem, base_samples, calc_second_order=False, seed=seed)
    design = np.clip(design, U_MIN, U_MAX)
    values = Parameters.of(compile_model(scenario)).values(design)
    blocks = chunked(range(len(values)), workers, max(1, len(values) // max(workers * 8, 1)))
    if workers <= 1:
        outputs = []
        for block in blocks:
            outputs.append(point_block(scenario, seed, values[block], reps_per_point))
            if progress:
                progress(len(block) * reps_per_point)
    else:
        with stopping_on_interrupt(process_pool(workers)) as pool:
            futures = [
                pool.submit(point_block, scenario, seed, values[block], reps_per_point)
                for block in blocks
            ]
            outputs = _in_order(futures, [len(b) * reps_per_point for b in blocks], progress)
    return SobolResult(
        scenario, tuple(names), design, np.concatenate(outputs), reps_per_point, seed
    )
