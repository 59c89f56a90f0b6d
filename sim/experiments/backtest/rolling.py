"""Rolling-origin scoring of count forecasts against dated event data.

At each forecast origin t the model (or any forecaster) states, for each
event type, a predictive law for the count in the lead window [t, t + lead).
This module scores those forecasts once they are made; making them (a
scenario conditioned on the history before t, optionally refitted, simulated
forward) is the forecaster's job, plugged in as a `Forecaster`:

    forecaster(origin, history) -> {event type: simulated counts}

where `history` holds the daily counts strictly before the origin and
nothing else, so an origin cannot see its own window (`collect_forecasts`
enforces the cut). The observed counts, and the baselines, come from the
same daily series (`daily_from_event_data` turns the event data of
`sim.eventdata.read_events` into it; `daily_counts` does the same for a
plain table of dated rows):

- `poisson`: Poisson with the mean of the trailing windows (the `trailing`
  lead-length windows just before the origin);
- `negbin`: negative binomial with their mean and variance (Poisson when
  they are not overdispersed);
- `persistence`: Poisson with the last window's count as its mean. A point
  mass was rejected: it gives an infinite log score whenever the count
  changes, which says nothing useful.

Means are floored at half an event over the trailing windows (0.5/m per
window; 0.5 for persistence): a trailing run of zeros is evidence of a low
rate, not of an impossible event. An origin without one complete trailing
window of data before it, or whose lead window runs past the data, is
refused; days inside the data with no events count as zero.

Paired differences (model minus baseline, per origin and event type) come
with moving-block-bootstrap intervals over origins (`resampling`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.eventdata import EventData
from sim.experiments.backtest.resampling import (
    BOOTSTRAP_REPS,
    block_length,
    bootstrap,
    mean_and_skill,
)
from sim.experiments.backtest.scores import (
    CountForecast,
    EnsembleForecast,
    PitTest,
    PoissonForecast,
    count_law,
    pit_uniformity,
    score_count,
)
from sim.rng import component_generator

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MODEL = "model"
BASELINES = ("poisson", "negbin", "persistence")
METRICS = ("crps", "log_score")
"""Scores compared in `differences`, besides the Brier score of each "at least K"."""
QUANTILES = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
QUANTILE_NAMES = ("q05", "q25", "q50", "q75", "q95")

Forecaster = Callable[[dt.date, pd.DataFrame], Mapping[str, np.ndarray]]
"""(origin, daily counts strictly before it) -> simulated counts per event type."""


def daily_counts(
    events: pd.DataFrame, start: dt.date, end: dt.date, types: Sequence[str]
) -> pd.DataFrame:
    """Daily counts per event type from one row per event.

    Args:
        events: columns `date` and `event`.
        start: first day the data cover.
        end: last day the data cover (inclusive).
        types: event types to count (columns, in this order; others dropped).

    Returns:
        A frame indexed by every date from start to end, one column per type.
    """
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    if days.empty:
        raise UsageError(f"the data period is empty ({start} to {end})")
    chosen = events[events["event"].isin(types)]
    dates = pd.to_datetime(chosen["date"]).dt.normalize()
    inside = (dates >= days[0]) & (dates <= days[-1])
    table = pd.crosstab(dates[inside], chosen.loc[inside, "event"])
    return cast(
        pd.DataFrame, table.reindex(index=days, columns=list(types), fill_value=0).astype(np.int64)
    )


def daily_from_event_data(data: EventData) -> pd.DataFrame:
    """Daily counts per event id from event data read through a map file
    (`sim.eventdata.read_events`): one row per day of its period."""
    days = pd.date_range(pd.Timestamp(data.start), periods=int(data.period_days), freq="D")
    return cast(
        pd.DataFrame, pd.DataFrame({e: data.daily_counts(e) for e in data.events}, index=days)
    )


def check_daily(daily: pd.DataFrame) -> None:
    """Refuse a daily-count frame that is not one row per consecutive day
    (windows are cut by position)."""
    index = pd.DatetimeIndex(daily.index)
    if index.empty or bool((index[1:] - index[:-1] != pd.Timedelta(days=1)).any()):
        raise UsageError("daily counts must have one row per day, without gaps (see daily_counts)")


def forecast_origins(first: dt.date, last: dt.date, every_days: int) -> list[dt.date]:
    """Origins first, first + every, ... up to last."""
    if every_days <= 0:
        raise UsageError(f"--every must be a positive number of days, got {every_days}")
    if last < first:
        raise UsageError(f"the last origin ({last}) is before the first ({first})")
    span = (last - first).days
    return [first + dt.timedelta(days=d) for d in range(0, span + 1, every_days)]


def history_before(daily: pd.DataFrame, origin: dt.date) -> pd.DataFrame:
    """The rows strictly before the origin: all a forecaster may see."""
    return cast(pd.DataFrame, daily.loc[daily.index < pd.Timestamp(origin)])


def window_total(daily: pd.DataFrame, start: dt.date, lead_days: int) -> pd.Series:
    """Counts per event type in [start, start + lead), refused if the window is
    not inside the data."""
    lo = pd.Timestamp(start)
    hi = lo + pd.Timedelta(days=lead_days)
    if lo < daily.index[0] or hi - pd.Timedelta(days=1) > daily.index[-1]:
        raise UsageError(
            f"the window {lo:%Y-%m-%d} to {hi - pd.Timedelta(days=1):%Y-%m-%d} is not inside "
            f"the data ({daily.index[0]:%Y-%m-%d} to {daily.index[-1]:%Y-%m-%d})"
        )
    return cast("pd.Series[Any]", daily.loc[(daily.index >= lo) & (daily.index < hi)].sum())


def baseline_forecasts(
    daily: pd.DataFrame, origin: dt.date, event: str, lead_days: int, trailing: int
) -> dict[str, CountForecast]:
    """The three baselines for one origin and event type, from the complete
    lead-length windows before the origin (at most `trailing` of them)."""
    # Days before the origin, oldest first; the index is daily and complete.
    before = history_before(daily, origin)[event].to_numpy()
    windows = min(trailing, before.size // lead_days)
    if windows == 0:
        raise UsageError(
            f"origin {origin}: no complete {lead_days}-day window of data before it "
            f"(the data start on {daily.index[0]:%Y-%m-%d})"
        )
    recent = before[before.size - windows * lead_days :]
    values = recent.reshape(windows, lead_days).sum(axis=1)[::-1].astype(float)
    mean = max(float(values.mean()), 0.5 / values.size)
    variance = float(values.var(ddof=1)) if values.size > 1 else mean
    return {
        "poisson": PoissonForecast(mean),
        "negbin": count_law(mean, variance),
        "persistence": PoissonForecast(max(values[0], 0.5)),
    }


def pit_uniform(seed: int, origin: dt.date, event: str) -> float:
    """The uniform draw of a case's randomized PIT, keyed by (seed, origin,
    event type) alone, so a case scores the same whatever other cases are
    scored with it, in any order, on any worker, before or after a resume."""
    return float(component_generator(seed, origin.toordinal(), f"pit:{event}").random())


@dataclass(frozen=True)
class ModelForecast:
    """The model's simulated counts for one origin and event type."""

    origin: dt.date
    event: str
    draws: np.ndarray


def collect_forecasts(
    forecaster: Forecaster, daily: pd.DataFrame, origins: Iterable[dt.date]
) -> list[ModelForecast]:
    """Call the forecaster at each origin with only the history before it."""
    out = []
    for origin in origins:
        for event, draws in forecaster(origin, history_before(daily, origin)).items():
            out.append(ModelForecast(origin, event, np.asarray(draws)))
    return out


def score_rolling(
    forecasts: Sequence[ModelForecast],
    daily: pd.DataFrame,
    lead_days: int,
    thresholds: tuple[int, ...] = (1,),
    trailing: int = 8,
    seed: int = 0,
) -> pd.DataFrame:
    """The score table: one row per (forecaster, origin, event type).

    Columns: forecaster (`model` or a baseline), origin, event, observed, mean,
    crps, log_score, pit (randomized, with the uniform draw of `pit_uniform`:
    the same for every forecaster of a case, so their PITs are paired),
    p_ge_K and brier_ge_K per
    threshold K, and for the model q05..q95 of its ensemble.
    """
    if lead_days <= 0:
        raise UsageError(f"--lead must be a positive number of days, got {lead_days}")
    if trailing < 1:
        raise UsageError(f"the trailing window count must be at least 1, got {trailing}")
    check_daily(daily)
    rows = []
    for case in sorted(forecasts, key=lambda f: (f.origin, f.event)):
        v = pit_uniform(seed, case.origin, case.event)
        if case.event not in daily.columns:
            raise UsageError(f"event type {case.event!r} is not in the data")
        observed = int(window_total(daily, case.origin, lead_days)[case.event])
        model = EnsembleForecast(case.draws)
        laws: dict[str, CountForecast] = {
            MODEL: model,
            **baseline_forecasts(daily, case.origin, case.event, lead_days, trailing),
        }
        for name, law in laws.items():
            row = {"forecaster": name, "origin": case.origin, "event": case.event}
            row["observed"] = observed
            row.update(score_count(law, observed, thresholds, v))
            quantiles = law.quantiles(QUANTILES)
            row.update({name: float(x) for name, x in zip(QUANTILE_NAMES, quantiles, strict=True)})
            rows.append(row)
    return cast(pd.DataFrame, pd.DataFrame(rows))


@dataclass(frozen=True)
class RollingScores:
    """Scores of a rolling-origin backtest and what is read from them."""

    scores: pd.DataFrame
    lead_days: int
    every_days: int

    def origins(self) -> list[dt.date]:
        """Forecast origins in date order: the time axis the block bootstrap resamples."""
        return sorted(self.scores["origin"].unique())

    def block(self) -> int:
        """Moving-block length for these origins: long enough to span the overlap
        of consecutive lead windows (see `block_length`)."""
        return block_length(len(self.origins()), self.lead_days, self.every_days)

    def _matrix(self, forecaster: str, metric: str, events: Sequence[str]) -> np.ndarray:
        f = self.scores[self.scores["forecaster"] == forecaster]
        wide = f.pivot(index="origin", columns="event", values=metric)
        return np.asarray(
            wide.reindex(index=self.origins(), columns=list(events)).to_numpy(dtype=float)
        )

    def differences(self, seed: int = 0, reps: int = BOOTSTRAP_REPS) -> pd.DataFrame:
        """Model minus each baseline, per metric (CRPS, log score, Brier score
        of each "at least K") and event type (and `all` types pooled): mean
        scores, mean difference and skill 1 - S/S_ref, with 95%
        moving-block-bootstrap intervals over origins."""
        rng = component_generator(seed, 0, "bootstrap")
        events = sorted(self.scores["event"].unique())
        block = self.block()
        rows = []
        exceedances = [c for c in self.scores.columns if c.startswith("brier_ge_")]
        for metric in [*METRICS, *exceedances]:
            model = self._matrix(MODEL, metric, events)
            for baseline in BASELINES:
                ref = self._matrix(baseline, metric, events)
                data = np.concatenate([model, ref], axis=1)
                k = len(events)

                def statistic(r: np.ndarray, k: int = k) -> np.ndarray:
                    parts = [mean_and_skill(r[:, e], r[:, k + e]) for e in range(k)]
                    parts.append(mean_and_skill(r[:, :k], r[:, k:]))
                    return np.concatenate(parts)

                intervals = bootstrap(data, statistic, rng, block=block, reps=reps)
                for i, event in enumerate([*events, "all"]):
                    score, reference, difference, skill = intervals[4 * i : 4 * i + 4]
                    rows.append(
                        {
                            "metric": metric,
                            "baseline": baseline,
                            "event": event,
                            **score.as_dict("score"),
                            **reference.as_dict("baseline_score"),
                            **difference.as_dict("difference"),
                            **skill.as_dict("skill"),
                            "origins": len(self.origins()),
                            "block_length": block,
                        }
                    )
        return cast(pd.DataFrame, pd.DataFrame(rows))

    def pit_tests(self, bins: int = 10) -> pd.DataFrame:
        """Chi-square test of PIT uniformity per forecaster and event type."""
        rows = []
        for (forecaster, event), f in self.scores.groupby(["forecaster", "event"]):
            test: PitTest = pit_uniformity(f["pit"].to_numpy(), bins)
            rows.append(
                {
                    "forecaster": forecaster,
                    "event": event,
                    "cases": len(f),
                    "bins": test.dof + 1,
                    "chi2": test.statistic,
                    "dof": test.dof,
                    "p_value": test.p_value,
                }
            )
        return cast(pd.DataFrame, pd.DataFrame(rows))

    def summary(
        self, seed: int = 0, reps: int = BOOTSTRAP_REPS, differences: pd.DataFrame | None = None
    ) -> dict[str, Any]:
        """The headline for summary.json: per baseline and metric, the model's
        skill over all event types with its interval, and the PIT tests.
        `differences`: this object's `differences(seed, reps)` if already
        computed (the bootstrap is the slow part)."""
        pooled = self.differences(seed, reps) if differences is None else differences
        pooled = pooled[pooled["event"] == "all"]
        return {
            "origins": len(self.origins()),
            "first_origin": str(self.origins()[0]),
            "last_origin": str(self.origins()[-1]),
            "events": sorted(self.scores["event"].unique()),
            "lead_days": self.lead_days,
            "every_days": self.every_days,
            "block_length": self.block(),
            "bootstrap": f"moving block bootstrap over origins, {reps} resamples, blocks of "
            f"{self.block()} origins, 95% percentile intervals",
            "skill": pooled.to_dict(orient="records"),
            "pit": self.pit_tests().to_dict(orient="records"),
        }

    def plot_pit(self, event: str, forecaster: str = MODEL, ax: Axes | None = None) -> Axes:
        """PIT histogram of one forecaster and event, with its chi-square uniformity test."""
        from sim.charts import backtest as charts

        tests = self.pit_tests()
        test = tests[(tests["forecaster"] == forecaster) & (tests["event"] == event)].iloc[0]
        chosen = self.scores[
            (self.scores["forecaster"] == forecaster) & (self.scores["event"] == event)
        ]
        title = f"PIT histogram: {forecaster}, {event.replace('_', ' ')}"
        return charts.pit_chart(chosen["pit"], {str(k): v for k, v in test.items()}, title, ax=ax)

    def plot_fan(self, event: str, ax: Axes | None = None) -> Axes:
        """The model's predictive fan against observed counts for `event`."""
        from sim.charts import backtest as charts

        return charts.forecast_fan_chart(self.fan(), event, self.lead_days, ax=ax)

    def fan(self) -> pd.DataFrame:
        """The model's predictive quantiles beside the observed counts, per
        origin and event type (for a chart of forecasts against what happened)."""
        f = self.scores[self.scores["forecaster"] == MODEL]
        columns = ["origin", "event", "observed", "mean", *QUANTILE_NAMES]
        return cast(pd.DataFrame, f[columns].reset_index(drop=True))


def rolling_backtest(
    forecasts: Sequence[ModelForecast],
    daily: pd.DataFrame,
    lead_days: int,
    every_days: int,
    thresholds: tuple[int, ...] = (1,),
    trailing: int = 8,
    seed: int = 0,
) -> RollingScores:
    """Score the model's forecasts and the baselines on the same windows."""
    if every_days <= 0:
        raise UsageError(f"--every must be a positive number of days, got {every_days}")
    table = score_rolling(forecasts, daily, lead_days, thresholds, trailing, seed)
    return RollingScores(table, lead_days, every_days)
