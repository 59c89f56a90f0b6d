"""The model as a rolling-origin forecaster: a scenario conditioned on the
event data before each origin, optionally refitted, simulated forward.

At origin t (`HistoryForecaster.forecast`):

1. the event data are cut to the days strictly before t (`events_before`),
   so nothing at or after the origin can reach the forecast;
2. optionally, the scenario's streams are refitted by maximum likelihood
   (`sim.experiments.fit.fit_streams`) on the trailing `refit_days` before t
   (fewer at the start of the data: the window grows until it is full), and
   the fitted rates, branchings and decays replace the scenario's through
   `with_overrides`, each stream's `assumption:` saying which window and
   method gave them;
3. the scenario is restarted at t with the recent events as its `history:`
   (`sim.eventdata.history.history_overrides`, as `escsim run --history`),
   its horizon set to the lead;
4. `reps` replications run through `sim.montecarlo.runner.run_table` with a
   seed derived from (seed, origin) alone, so an origin's forecast is the
   same whichever other origins run, in any order, on any worker, before or
   after a resume; the simulated counts per event type in [t, t + lead) are
   returned.

History is cut to the last `history_days(scenario)` days: an exponential
kernel weighs a parent u days old by exp(-u/d), so parents older than
d ln(1e6) (about 14 decays) add under a millionth of a fresh parent's
excitation, while each one costs time in every replication (the engine
starts its kernels by summing over all of them). `count:` conditions reach
back `within_days`, so the cut never falls inside one of those windows.

`run_origins` runs the origins on a process pool (one task per origin, like
the sweep's points) and hands each origin's result on as it completes; the
results folder keeps them (`sim.writers.backtest`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.eventdata.data import EventData, check_against_scenario
from sim.eventdata.history import history_overrides
from sim.experiments.backtest.resampling import block_length, fewest_origins
from sim.experiments.backtest.rolling import (
    ModelForecast,
    RollingScores,
    daily_from_event_data,
    forecast_origins,
    score_rolling,
)
from sim.experiments.fit import FitSpec, fit_streams
from sim.montecarlo.runner import _ignore_sigint, pool_context, run_table, stopping_on_interrupt
from sim.rng import component_key
from sim.scenario.overrides import with_overrides
from sim.scenario.schema import Kernel, Scenario

NEGLIGIBLE_WEIGHT = 1e-6
"""History is kept back to where a parent's excitation has decayed below this
share of a fresh parent's."""


def _kernels(scenario: Scenario) -> Iterator[Kernel]:
    for stream in scenario.streams.values():
        if stream.self_excitation is not None:
            yield stream.self_excitation
        yield from stream.excited_by.values()


def _count_windows(value: Any) -> Iterator[float]:
    """Every `within_days` of a `count:` condition, wherever it sits."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "within_days" and isinstance(item, (int, float)):
                yield float(item)
            else:
                yield from _count_windows(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _count_windows(item)


def history_days(scenario: Scenario) -> int:
    """How many days of history can still change the scenario's forecast:
    enough for every kernel to decay below `NEGLIGIBLE_WEIGHT` and for the
    longest `count:` window."""
    decays = [k.decay_days for k in _kernels(scenario)]
    reach = max(decays, default=0.0) * math.log(1 / NEGLIGIBLE_WEIGHT)
    windows = max(_count_windows(scenario.model_dump(by_alias=True)), default=0.0)
    return math.ceil(max(reach, windows))


def events_before(data: EventData, origin: dt.date, since: dt.date | None = None) -> EventData:
    """The event data of the days in [since, origin) (since defaults to the
    data's start; an earlier `since` is raised to it), times re-based on
    the new start. Files and filters are kept for provenance.

    Raises:
        UsageError: the origin leaves no day of data before it.
    """
    start = max(since or data.start, data.start)
    if origin <= data.start:
        raise UsageError(
            f"origin {origin}: no event data before it (the data start on {data.start})"
        )
    if origin > data.end + dt.timedelta(days=1):
        raise UsageError(f"origin {origin}: after the end of the event data ({data.end})")
    offset = float((start - data.start).days)
    days = float((origin - start).days)
    times = {}
    for event in data.events:
        t = data.times[event]
        times[event] = t[(t >= offset) & (t < offset + days)] - offset
    counts = {e: int(v.size) for e, v in times.items()}
    return EventData(
        events=data.events,
        times=times,
        start=start,
        period_days=days,
        day_resolution=data.day_resolution,
        files=dict(data.files),
        filters=dict(data.filters),
        rows_matched=counts,
        rows_in_period=counts,
        map_file=data.map_file,
        map_lines=dict(data.map_lines),
    )


def refit_spec(scenario: Scenario, events: Sequence[str]) -> FitSpec:
    """The scenario's own stream model for the given event types: a constant
    rate per stream and the kernels it has (self-excitation, excitation by
    another of the types). Wald intervals: the refit's intervals are written
    in the assumption text only, and profiles would multiply the cost."""
    fitted = tuple(e for e in events if e in scenario.streams)
    pairs: list[tuple[str, str]] = []
    for event in fitted:
        stream = scenario.streams[event]
        if stream.self_excitation is not None:
            pairs.append((event, event))
        pairs += [(event, source) for source in stream.excited_by if source in fitted]
    return FitSpec(events=fitted, kernels=tuple(pairs), baseline="constant", intervals="wald")


EXPLOSIVE_CAP = 10
"""An explosive refitted stream is capped at this many times the most
occurrences the fit data had in any lead-length window."""


def runaway_cap(data: EventData, event: str, lead_days: int) -> int:
    """`max_events` for a stream refitted with own branching >= 1: ten times
    the busiest lead-length window of the fit data (at least 100)."""
    daily = data.daily_counts(event)
    windows = np.convolve(daily, np.ones(min(lead_days, daily.size), dtype=np.int64), "valid")
    return max(100, EXPLOSIVE_CAP * int(windows.max(initial=0)))


def refitted_streams(
    scenario: Scenario, data: EventData, spec: FitSpec, lead_days: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Overrides carrying a fit of `spec` to `data` into the scenario's
    streams (whole streams, so a kernel fitted at 0 is kept at 0), and a
    record of the fitted values for the score table.

    A fitted own branching of 1 or more (explosive: over a short window the
    likelihood can prefer it) is kept as fitted, since over a lead of days it
    still gives finite counts, but the scenario contract requires a cap on
    such a stream, so `max_events` is set by `runaway_cap` and the
    assumption says so (the record's `capped_<event>`)."""
    fit = fit_streams(data, spec)
    table = fit.estimates.set_index("parameter")["estimate"].astype(float).to_dict()
    overrides: dict[str, Any] = {}
    record: dict[str, Any] = {"fit_from": str(data.start), "fit_to": str(data.end)}
    for event in fit.events:
        old = scenario.streams[event].model_dump(by_alias=True, exclude_none=True)
        old.pop("source", None)
        rate = table[f"streams.{event}.rate"]
        old["rate"] = rate
        record[f"rate_{event}"] = rate
        paths = [("self_excitation", f"streams.{event}.self_excitation")]
        paths += [
            (f"excited_by.{s}", f"streams.{event}.excited_by.{s}")
            for s in old.get("excited_by", {})
            if f"streams.{event}.excited_by.{s}.branching" in table
        ]
        for key, path in paths:
            if f"{path}.branching" not in table:
                continue
            kernel = {
                "branching": table[f"{path}.branching"],
                "decay_days": table[f"{path}.decay_days"],
            }
            if key == "self_excitation":
                old["self_excitation"] = kernel
            else:
                old["excited_by"][key.split(".", 1)[1]] = kernel
            record[f"{key}_{event}_branching"] = kernel["branching"]
        note = ""
        own = old.get("self_excitation", {}).get("branching", 0.0)
        if own >= 1 and "max_events" not in old:
            old["max_events"] = runaway_cap(data, event, lead_days)
            record[f"capped_{event}"] = old["max_events"]
            note = (
                f" Own branching {own:.4g} >= 1 (explosive): max_events {old['max_events']} "
                f"({EXPLOSIVE_CAP} times the busiest {lead_days}-day window of the fit data) "
                "caps a runaway."
            )
        old["assumption"] = (
            f"Refitted by maximum likelihood (sim.experiments.fit, {fit.label}) on "
            + data.provenance(event)
            + f": the {int(data.period_days)} days before the forecast origin."
            + note
        )
        overrides[f"streams.{event}"] = old
    return overrides, record


def origin_seed(seed: int, origin: dt.date) -> int:
    """The Monte Carlo seed of one origin, from (seed, origin) alone."""
    sequence = np.random.SeedSequence(
        seed, spawn_key=(origin.toordinal(), component_key("backtest-origin"))
    )
    return int(sequence.generate_state(1, np.uint32)[0])


@dataclass(frozen=True)
class OriginForecast:
    """The model's forecast at one origin and how it was made."""

    origin: dt.date
    draws: dict[str, np.ndarray]
    """Simulated counts in [origin, origin + lead) per event type, one per replication."""
    seed: int
    history_from: dt.date
    history_events: int
    fit: dict[str, Any] = field(default_factory=dict)
    """Fitted values when refitted (rates, branchings, the fit window)."""
    seconds: float = 0.0
    """Wall-clock time of the forecast."""
    cpu_seconds: float = 0.0
    """CPU time of the forecast in the process that made it (steadier than the
    wall clock on a shared machine)."""


@dataclass(frozen=True)
class HistoryForecaster:
    """The scenario restarted at each origin from the event data before it.

    Attributes:
        scenario: the scenario; every event id of the data must be one of its
            events (`check_against_scenario`).
        data: the event data (`sim.eventdata.read_events`) over the whole
            backtest; only the part before each origin is ever used for it.
        lead_days: days simulated from each origin.
        reps: replications per origin.
        seed: the Monte Carlo seed; each origin derives its own (`origin_seed`).
        refit_days: refit the streams on this many days before each origin
            (None: keep the scenario's streams).
        engine: "simpy" or "fast" (`sim.montecarlo.fast.select`; identical
            draws, so a resumed backtest may switch engines).
    """

    scenario: Scenario
    data: EventData
    lead_days: int
    reps: int
    seed: int = 0
    refit_days: int | None = None
    engine: str = "simpy"

    def __post_init__(self) -> None:
        check_against_scenario(self.data, self.scenario)
        if self.lead_days <= 0:
            raise UsageError(f"--lead must be a positive number of days, got {self.lead_days}")
        if self.reps < 2:
            raise UsageError(f"--reps must be at least 2 (an ensemble), got {self.reps}")
        if self.refit_days is not None and self.refit_days < self.lead_days:
            raise UsageError(
                f"--refit-window must be at least the lead ({self.lead_days} days), "
                f"got {self.refit_days}"
            )

    def scenario_at(self, origin: dt.date) -> tuple[Scenario, dict[str, Any], EventData]:
        """The scenario as it forecasts from `origin`, the fitted values (if
        refitted) and the history it starts from."""
        scenario = self.scenario
        record: dict[str, Any] = {}
        if self.refit_days is not None:
            window = events_before(self.data, origin, self._since(origin, self.refit_days))
            if window.period_days < self.lead_days:
                raise UsageError(
                    f"origin {origin}: only {window.period_days:g} day(s) of data before it to "
                    f"refit on (at least the lead, {self.lead_days} days, are needed)"
                )
            spec = refit_spec(scenario, self.data.events)
            if spec.events:
                overrides, record = refitted_streams(scenario, window, spec, self.lead_days)
                scenario = with_overrides(scenario, overrides)
        history = events_before(self.data, origin, self._since(origin, history_days(scenario)))
        restarted = {**history_overrides(history, scenario), "horizon_days": self.lead_days}
        return with_overrides(scenario, restarted), record, history

    def _since(self, origin: dt.date, days: int) -> dt.date:
        """`days` before `origin`, but not before the data start: `events_before`
        would raise it there anyway, and a window of years (a long refit, a
        slow kernel's reach) must not overflow the calendar on the way."""
        return origin - dt.timedelta(days=min(days, (origin - self.data.start).days))

    def forecast(self, origin: dt.date) -> OriginForecast:
        """The model's simulated counts per event type in the lead window after
        `origin`, from the events strictly before it (and its timing)."""
        clock, cpu = time.perf_counter(), time.process_time()
        scenario, record, history = self.scenario_at(origin)
        seed = origin_seed(self.seed, origin)
        table = run_table(scenario, seed, range(self.reps), engine=self.engine)
        columns = list(scenario.events)
        draws = {e: table.counts[:, columns.index(e)].copy() for e in self.data.events}
        return OriginForecast(
            origin,
            draws,
            seed,
            history.start,
            sum(history.counts().values()),
            record,
            time.perf_counter() - clock,
            time.process_time() - cpu,
        )

    def __call__(self, origin: dt.date, history: pd.DataFrame) -> Mapping[str, np.ndarray]:
        """The `rolling.Forecaster` interface. The daily `history` is not
        needed: the forecaster cuts its own event data (which keeps sub-day
        times and provenance) at the same place, strictly before the origin."""
        return self.forecast(origin).draws


_worker: HistoryForecaster | None = None


def _init_worker(forecaster: HistoryForecaster) -> None:
    # One forecaster per worker process, set once by the pool initializer so
    # tasks carry only their origin.
    global _worker
    _ignore_sigint()
    _worker = forecaster


def _forecast_in_worker(origin: dt.date) -> OriginForecast:
    assert _worker is not None
    return _worker.forecast(origin)


def run_origins(
    forecaster: HistoryForecaster,
    origins: Sequence[dt.date],
    workers: int,
    on_origin: Callable[[OriginForecast], None],
) -> None:
    """Forecast every origin, one task per origin on `workers` processes
    (serially for one), calling `on_origin` in the parent the moment each is
    done (in completion order; each forecast depends only on its origin)."""
    todo = list(origins)
    if workers <= 1 or len(todo) <= 1:
        for origin in todo:
            on_origin(forecaster.forecast(origin))
        return
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(todo)),
        mp_context=pool_context(),
        initializer=_init_worker,
        initargs=(forecaster,),
    )
    with stopping_on_interrupt(pool):
        running: set[Future[OriginForecast]] = {pool.submit(_forecast_in_worker, o) for o in todo}
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                on_origin(future.result())


@dataclass(frozen=True)
class RollingPlan:
    """Everything a rolling backtest needs, checked before anything runs.

    `score` turns one origin's forecast into its rows of the score table
    (model and baselines on the same window); the rows of an origin depend
    on that origin alone, so the table is the same however the origins were
    split among workers or across a resume.
    """

    forecaster: HistoryForecaster
    daily: pd.DataFrame
    """Daily counts per event type over the data (`rolling.daily_from_event_data`)."""
    origins: tuple[dt.date, ...]
    every_days: int
    trailing: int
    thresholds: tuple[int, ...]

    @property
    def lead_days(self) -> int:
        """Days in each forecast window."""
        return self.forecaster.lead_days

    def score(self, forecast: OriginForecast) -> pd.DataFrame:
        """One origin's rows: each event type's observed count, the model's and
        the baselines' scores and PIT."""
        cases = [ModelForecast(forecast.origin, e, d) for e, d in forecast.draws.items()]
        return score_rolling(
            cases,
            self.daily,
            self.lead_days,
            self.thresholds,
            self.trailing,
            self.forecaster.seed,
        )

    def scores(self, table: pd.DataFrame) -> RollingScores:
        """The scores of every origin, with differences, PIT tests and charts."""
        return RollingScores(table, self.lead_days, self.every_days)

    def fingerprint(self) -> dict[str, Any]:
        """What a resumed backtest must share with the one it continues."""
        f = self.forecaster
        return {
            "scenario_sha256": scenario_sha256(f.scenario),
            "data": {
                e: {"file": f.data.files[e].sha256, "filter": f.data.filters[e]}
                for e in f.data.events
            },
            "period": [str(f.data.start), str(f.data.end)],
            "origins": [str(o) for o in self.origins],
            "lead_days": f.lead_days,
            "every_days": self.every_days,
            "replications": f.reps,
            "seed": f.seed,
            "refit_days": f.refit_days,
            "trailing": self.trailing,
            "thresholds": list(self.thresholds),
        }


def scenario_sha256(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (every default, after extends and overrides)."""
    document = scenario.model_dump(mode="json", by_alias=True)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_enough_origins(origins: Sequence[dt.date], lead: int, every_days: int) -> None:
    """Refuse, before anything runs, origins too few for what the backtest
    reports: its skill intervals resample blocks of consecutive origins, which
    vary only when there are more origins than a block, and its PIT test needs
    two values per event type. Found after the forecasts, the shortfall would
    cost the whole computation and leave a folder no resume could finish."""
    needed = fewest_origins(lead, every_days)
    if len(origins) >= needed:
        return
    shown = ", ".join(str(o) for o in origins[:5]) + (", ..." if len(origins) > 5 else "")
    block = block_length(needed, lead, every_days)
    raise UsageError(
        f"{len(origins)} forecast origin(s) ({shown}), but this backtest needs at least "
        f"{needed}: its skill intervals resample blocks of {block} consecutive origins "
        f"(a {lead}-day lead every {every_days} days), which needs more origins than a block, "
        "and its PIT test needs two. Widen --from/--to, or shorten --every or --lead (a "
        "folder an earlier run left with these settings cannot be finished: run with enough "
        "origins and --force to replace it)"
    )


def plan_rolling(
    forecaster: HistoryForecaster,
    every_days: int,
    first: dt.date | None = None,
    last: dt.date | None = None,
    trailing: int = 8,
    thresholds: tuple[int, ...] = (1,),
) -> RollingPlan:
    """Origins every `every_days` from `first` to `last`, each checked.

    Defaults: the first origin has `trailing` complete lead windows of data
    before it (the baselines' full trailing set), the last is the latest
    whose lead window ends inside the data.

    Raises:
        UsageError: a spacing of zero or less; an origin with no complete
            lead window of data before it (no training data for the
            baselines, nothing to condition the model on); an origin whose
            lead window runs past the data.
    """
    data, lead = forecaster.data, forecaster.lead_days
    if every_days <= 0:
        raise UsageError(f"--every must be a positive number of days, got {every_days}")
    if trailing < 1:
        raise UsageError(f"--trailing must be at least 1 window, got {trailing}")
    if any(k < 1 for k in thresholds):
        raise UsageError(f"--at-least must be 1 or more, got {min(thresholds)}")
    # Day counts are compared before any date is made from them, so no
    # option, however large, can overflow the calendar.
    days = int(data.period_days)
    if 2 * lead > days:
        raise UsageError(
            f"--lead {lead} days: the event data ({data.start} to {data.end}, {days} days) "
            f"cannot hold a {lead}-day window of history and a {lead}-day window to forecast; "
            f"the longest lead possible is {days // 2} days"
        )
    if first is None and (trailing + 1) * lead > days:
        raise UsageError(
            f"--trailing {trailing}: {trailing} windows of {lead} days before the first origin "
            f"and one after it need {(trailing + 1) * lead} days, but the event data cover "
            f"{days} ({data.start} to {data.end}); give at most {days // lead - 1} or a --from"
        )
    earliest = data.start + dt.timedelta(days=lead)
    latest = data.end - dt.timedelta(days=lead - 1)
    first = first or data.start + dt.timedelta(days=trailing * lead)
    last = last or latest
    if first < earliest:
        raise UsageError(
            f"origin {first} has no training data: the event data start on {data.start}, so "
            f"the first origin with a complete {lead}-day window before it is {earliest}"
        )
    if last > latest:
        raise UsageError(
            f"origin {last}: its {lead}-day lead window runs past the end of the event data "
            f"({data.end}); the last origin possible is {latest}"
        )
    origins = forecast_origins(first, last, every_days)
    _check_enough_origins(origins, lead, every_days)
    return RollingPlan(
        forecaster,
        daily_from_event_data(data),
        tuple(origins),
        every_days,
        trailing,
        tuple(sorted(set(thresholds))),
    )
