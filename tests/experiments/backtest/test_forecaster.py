"""The history-conditioned forecaster: the cut at the origin, the restart,
the refit, the seed per origin, and calibration on data the model itself
simulated (a calibrated forecaster passes the PIT test, one with doubled
rates fails it)."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd
import pytest

from sim.engine import simulate
from sim.errors import ScenarioError, UsageError
from sim.eventdata import EventData, event_data_from_times
from sim.experiments.backtest import forecaster as forecaster_module
from sim.experiments.backtest.forecaster import (
    HistoryForecaster,
    events_before,
    history_days,
    origin_seed,
    plan_rolling,
    refit_spec,
    refitted_streams,
    runaway_cap,
)
from sim.experiments.backtest.rolling import (
    MODEL,
    RollingScores,
    collect_forecasts,
    daily_from_event_data,
    rolling_backtest,
)
from sim.experiments.fit import fit_streams
from sim.scenario import with_overrides
from sim.scenario.loader import validate_document
from sim.scenario.schema import Scenario
from sim.scenario.yamlmap import Located

START = dt.date(2021, 1, 1)
DAYS = 420
LEAD = 7
PIT_LEVEL = 0.01
"""Significance level of the chi-square PIT tests (fixed seeds)."""


def scenario(
    rate: float = 1.5, branching: float = 0.4, decay: float = 3.0, count_days: float | None = None
) -> Scenario:
    """Two streams: a self-exciting `attack` and a Poisson `strike` that the
    attacks excite (and, with `count_days`, a rule counting attacks over that
    many days)."""
    data = {
        "name": "two-streams",
        "start_date": str(START),
        "horizon_days": DAYS,
        "actors": {
            "a": {"name": "A", "kind": "armed_faction"},
            "b": {"name": "B", "kind": "state"},
        },
        "ladder": ["calm", "active"],
        "events": {"attack": {"actor": "a", "rung": 1}, "strike": {"actor": "b"}},
        "streams": {
            "attack": {
                "rate": rate,
                "self_excitation": {"branching": branching, "decay_days": decay},
                "assumption": "test",
            },
            "strike": {
                "rate": 0.2,
                "excited_by": {"attack": {"branching": 0.1, "decay_days": decay}},
                "assumption": "test",
            },
        },
        "outcomes": {"any": {"level_at_least": 1}},
    }
    if count_days is not None:
        data["rules"] = {
            "react": {
                "actor": "b",
                "on": ["attack"],
                "if": {"count": {"event": "attack", "within_days": count_days, "at_least": 30}},
                "probability": 0.5,
                "then": [{"emit": "strike"}],
                "assumption": "test",
            }
        }
    return validate_document(Located(data), "test scenario", None, False)


@functools.cache
def simulated_data(seed: int = 5) -> EventData:
    """DAYS days of events simulated by the model itself, at day resolution
    (as dated event files are)."""
    rep = simulate(scenario(), seed, 0)
    times = {e: np.floor(np.asarray(t)) for e, t in rep.event_times_days.items()}
    return event_data_from_times(times, START, DAYS, day_resolution=True)


def planted(data: EventData, day: float, n: int) -> EventData:
    """The data with n more attacks at `day` (days from the data's start)."""
    times = dict(data.times)
    times["attack"] = np.sort(np.concatenate([times["attack"], np.full(n, day)]))
    return event_data_from_times(times, data.start, data.period_days, data.day_resolution)


def test_an_event_at_or_after_the_origin_cannot_change_the_forecast() -> None:
    data = simulated_data()
    origin = START + dt.timedelta(days=100)
    base = HistoryForecaster(scenario(), data, LEAD, 60, seed=3)
    reference = base.forecast(origin)
    for day in (100, 100.5, 103, 300):  # on the origin's day, inside its window, long after
        other = HistoryForecaster(scenario(), planted(data, day, 40), LEAD, 60, seed=3)
        again = other.forecast(origin)
        for event in data.events:
            assert np.array_equal(again.draws[event], reference.draws[event]), (day, event)
    # The same burst on the day before the origin does change it: history is used.
    before = HistoryForecaster(scenario(), planted(data, 99, 40), LEAD, 60, seed=3)
    assert before.forecast(origin).draws["attack"].mean() > reference.draws["attack"].mean() + 5


def test_the_restarted_scenario_starts_at_the_origin_with_recent_history() -> None:
    data = simulated_data()
    origin = START + dt.timedelta(days=200)
    s = scenario(decay=3.0)
    days = history_days(s)
    assert days == int(np.ceil(3.0 * np.log(1e6)))  # 42: where a parent's weight is 1e-6
    restarted, record, history = HistoryForecaster(s, data, LEAD, 10).scenario_at(origin)
    assert record == {}
    assert restarted.start_date == origin and restarted.horizon_days == LEAD
    assert history.start == origin - dt.timedelta(days=days)
    assert restarted.history is not None
    dates = restarted.history.events["attack"]
    assert min(dates) >= history.start and max(dates) < origin
    cut = events_before(data, origin)
    expected = int((cut.times["attack"] >= 200 - days).sum())
    assert len(dates) == expected


def test_count_conditions_extend_the_history_kept() -> None:
    assert history_days(scenario(count_days=90)) == 90


def test_each_origin_has_its_own_seed_from_seed_and_origin_alone() -> None:
    a, b = dt.date(2021, 5, 1), dt.date(2021, 5, 8)
    assert origin_seed(1, a) == origin_seed(1, a)
    assert len({origin_seed(1, a), origin_seed(1, b), origin_seed(2, a)}) == 3


def test_refit_writes_the_fitted_streams_with_their_provenance() -> None:
    data = simulated_data()
    origin = START + dt.timedelta(days=300)
    spec = refit_spec(scenario(), data.events)
    assert spec.kernels == (("attack", "attack"), ("strike", "attack"))
    forecaster = HistoryForecaster(scenario(), data, LEAD, 20, refit_days=250)
    restarted, record, _ = forecaster.scenario_at(origin)
    assert record["fit_from"] == str(origin - dt.timedelta(days=250))
    assert record["fit_to"] == str(origin - dt.timedelta(days=1))
    attack = restarted.streams["attack"]
    assert attack.rate == pytest.approx(record["rate_attack"])
    assert attack.self_excitation is not None
    # The scenario carries exactly the fit of the trailing window (whether such
    # fits recover their truth is tested by tests/experiments/fit/test_recovery.py
    # over repeats; one window proves nothing either way).
    direct = fit_streams(events_before(data, origin, origin - dt.timedelta(days=250)), spec)
    rows = direct.estimates.set_index("parameter")
    assert attack.rate == rows.loc["streams.attack.rate", "estimate"]
    own = rows.loc["streams.attack.self_excitation.branching"]
    assert attack.self_excitation.branching == own["estimate"]
    assert "Refitted by maximum likelihood" in (attack.assumption or "")
    assert f"{origin - dt.timedelta(days=250)}..{origin - dt.timedelta(days=1)}" in (
        attack.assumption or ""
    )


def test_a_refit_window_grows_until_full_and_needs_one_lead_of_data() -> None:
    data = simulated_data()
    early = HistoryForecaster(scenario(), data, LEAD, 10, refit_days=90)
    _, record, _ = early.scenario_at(START + dt.timedelta(days=30))
    assert record["fit_from"] == str(START)
    with pytest.raises(UsageError, match="at least the lead"):
        early.scenario_at(START + dt.timedelta(days=3))
    with pytest.raises(UsageError, match="--refit-window must be at least the lead"):
        HistoryForecaster(scenario(), data, LEAD, 10, refit_days=3)


def test_bad_forecaster_inputs_are_refused() -> None:
    data = simulated_data()
    with pytest.raises(UsageError, match="--lead must be a positive"):
        HistoryForecaster(scenario(), data, 0, 10)
    with pytest.raises(UsageError, match="--reps must be at least 2"):
        HistoryForecaster(scenario(), data, LEAD, 1)
    other = event_data_from_times({"bomb": np.array([1.0])}, START, 10, True)
    with pytest.raises(ScenarioError, match="an event id of scenario 'two-streams'"):
        HistoryForecaster(scenario(), other, LEAD, 10)
    with pytest.raises(UsageError, match="no event data before it"):
        events_before(data, START)


def test_origins_are_checked_against_the_data() -> None:
    forecaster = HistoryForecaster(scenario(), simulated_data(), LEAD, 10)
    plan = plan_rolling(forecaster, 7)
    assert plan.origins[0] == START + dt.timedelta(days=8 * LEAD)
    assert plan.origins[-1] <= START + dt.timedelta(days=DAYS - LEAD)
    for every in (0, -7):
        with pytest.raises(UsageError, match="--every must be a positive"):
            plan_rolling(forecaster, every)
    with pytest.raises(UsageError, match="has no training data"):
        plan_rolling(forecaster, 7, first=START + dt.timedelta(days=3))
    with pytest.raises(UsageError, match="has no training data"):
        plan_rolling(forecaster, 7, first=START - dt.timedelta(days=30))
    with pytest.raises(UsageError, match="runs past the end of the event data"):
        plan_rolling(forecaster, 7, last=START + dt.timedelta(days=DAYS - 3))


def test_too_few_origins_are_refused_before_anything_runs() -> None:
    """One origin cannot give skill intervals or a PIT test: refused when the
    plan is made, saying how many there are and how many are needed, rather
    than after every forecast is computed (as a traceback from the PIT test)."""
    forecaster = HistoryForecaster(scenario(), simulated_data(), LEAD, 10)
    one = START + dt.timedelta(days=100)
    with pytest.raises(UsageError, match=r"1 forecast origin\(s\) \(2021-04-11\), but this "):
        plan_rolling(forecaster, 7, first=one, last=one)
    with pytest.raises(UsageError, match="needs at least 3"):
        plan_rolling(forecaster, 300)
    # Long leads overlap more origins, so the bootstrap's blocks (and the need) grow.
    long_lead = HistoryForecaster(scenario(), simulated_data(), 28, 10)
    with pytest.raises(UsageError, match=r"5 forecast origin.*needs at least 6"):
        plan_rolling(long_lead, 7, first=one, last=one + dt.timedelta(days=28))
    assert (
        len(plan_rolling(forecaster, 7, first=one, last=one + dt.timedelta(days=14)).origins) == 3
    )


def test_huge_options_are_refused_in_words_not_overflows() -> None:
    data = simulated_data()
    with pytest.raises(UsageError, match=r"--trailing 1000000: .* give at most 59 or a --from"):
        plan_rolling(HistoryForecaster(scenario(), data, LEAD, 10), 7, trailing=1_000_000)
    with pytest.raises(UsageError, match="the longest lead possible is 210 days"):
        plan_rolling(HistoryForecaster(scenario(), data, 36_525, 10), 7)


def test_windows_longer_than_the_calendar_allows_start_at_the_data() -> None:
    """A refit window or a kernel's reach of millions of days (far more than
    any data) is cut at the data's start, not computed as a date before year 1."""
    data = simulated_data()
    origin = START + dt.timedelta(days=30)
    slow = scenario(decay=1e6)  # reaches back ~14 million days
    _, _, history = HistoryForecaster(slow, data, LEAD, 10).scenario_at(origin)
    assert history.start == START
    wide = HistoryForecaster(scenario(), data, LEAD, 10, refit_days=10**9)
    _, record, _ = wide.scenario_at(origin)
    assert record["fit_from"] == str(START)


@functools.cache
def calibration_backtest(factor: float) -> RollingScores:
    """Weekly origins over the simulated data; the forecaster is the model
    that simulated them (factor 1) or the same with every rate multiplied."""
    data = simulated_data()
    s = scenario()
    if factor != 1:
        s = with_overrides(
            s,
            {
                "streams.attack.rate": factor * s.streams["attack"].rate,
                "streams.strike.rate": factor * s.streams["strike"].rate,
            },
        )
    forecaster = HistoryForecaster(s, data, LEAD, 200, seed=11)
    plan = plan_rolling(forecaster, 7)
    daily = daily_from_event_data(data)
    # Through the `rolling.Forecaster` interface, with its own history cut.
    forecasts = collect_forecasts(forecaster, daily, plan.origins)
    return rolling_backtest(forecasts, daily, LEAD, 7, seed=11)


@pytest.mark.slow  # seconds of simulation; runs in make test
def test_the_model_scoring_its_own_data_is_calibrated() -> None:
    """Data simulated by the model, forecast by the model: PIT uniform at the
    1% level for each event type (52 origins, fixed seeds)."""
    result = calibration_backtest(1.0)
    pit = result.pit_tests()
    model = pit[pit["forecaster"] == MODEL]
    assert len(model) == 2 and (model["cases"] >= 50).all()
    assert (model["p_value"] > PIT_LEVEL).all(), model


@pytest.mark.slow  # seconds of simulation; runs in make test
def test_doubled_rates_are_detected() -> None:
    result = calibration_backtest(2.0)
    pit = result.pit_tests()
    attack = pit[(pit["forecaster"] == MODEL) & (pit["event"] == "attack")]
    assert float(attack["p_value"].iloc[0]) < PIT_LEVEL
    diff = result.differences(reps=300).set_index(["metric", "baseline", "event"])
    calibrated = calibration_backtest(1.0).differences(reps=300)
    calibrated = calibrated.set_index(["metric", "baseline", "event"])
    for metric in ("crps", "log_score"):
        doubled = diff.loc[(metric, "poisson", "attack")]
        assert doubled["difference_lower"] > 0  # worse than the baseline beyond its interval
        true = calibrated.loc[(metric, "poisson", "attack")]
        assert true["difference"] < doubled["difference_lower"]


def test_an_explosive_refit_is_kept_but_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refit whose own branching is >= 1 (a short window can prefer it) keeps
    the fitted values; the stream gets the `max_events` cap the scenario
    contract requires, ten times the busiest lead window of the fit data."""
    data = simulated_data()
    window = events_before(data, START + dt.timedelta(days=100), START + dt.timedelta(days=10))

    class Fit:
        events = ("attack",)
        label = "self excitation, constant baseline"
        estimates = pd.DataFrame(
            {
                "parameter": [
                    "streams.attack.rate",
                    "streams.attack.self_excitation.branching",
                    "streams.attack.self_excitation.decay_days",
                ],
                "estimate": [0.1, 1.08, 2.0],
            }
        )

    monkeypatch.setattr(forecaster_module, "fit_streams", lambda data, spec: Fit())
    spec = refit_spec(scenario(), ("attack",))
    overrides, record = refitted_streams(scenario(), window, spec, LEAD)
    busiest = int(np.convolve(window.daily_counts("attack"), np.ones(LEAD), "valid").max())
    assert record["capped_attack"] == max(100, 10 * busiest)
    restarted = with_overrides(scenario(), overrides)
    attack = restarted.streams["attack"]
    assert attack.self_excitation is not None and attack.self_excitation.branching == 1.08
    assert attack.max_events == record["capped_attack"]
    assert "(explosive): max_events" in (attack.assumption or "")
    assert runaway_cap(window, "strike", LEAD) >= 100
