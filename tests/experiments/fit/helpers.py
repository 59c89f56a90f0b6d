"""Event data simulated by the project's own engine, for recovery tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from sim.engine import simulate
from sim.eventdata import EventData, event_data_from_times
from sim.scenario.schema import Scenario

START = dt.date(2020, 1, 1)


def stream_scenario(horizon: float, streams: dict[str, dict[str, Any]]) -> Scenario:
    """A scenario with nothing but the given streams (no rules, one actor)."""
    return Scenario.model_validate(
        {
            "name": "recovery",
            "start_date": START.isoformat(),
            "horizon_days": horizon,
            "actors": {"a": {"name": "A", "kind": "other"}},
            "ladder": ["calm", "busy"],
            "events": {e: {"actor": "a"} for e in streams},
            "streams": {e: {**v, "assumption": "test truth"} for e, v in streams.items()},
            "outcomes": {"never": {"level_at_least": 1}},
        }
    )


def engine_data(
    horizon: float, streams: dict[str, dict[str, Any]], seed: int, days: bool = False
) -> EventData:
    """One replication's occurrence times; `days=True` cuts them to whole days
    as a dated record would."""
    run = simulate(stream_scenario(horizon, streams), seed, 0)
    times = {e: np.asarray(run.event_times_days[e], dtype=float) for e in streams}
    if days:
        times = {e: np.floor(t) for e, t in times.items()}
    return event_data_from_times(times, START, horizon, day_resolution=days)


def truth_of(streams: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Scenario path -> true value, matching FitResult.table()['parameter']."""
    out: dict[str, float] = {}
    for event, spec in streams.items():
        out[f"streams.{event}.rate"] = spec["rate"]
        if "self_excitation" in spec:
            for key in ("branching", "decay_days"):
                out[f"streams.{event}.self_excitation.{key}"] = spec["self_excitation"][key]
        for source, kernel in spec.get("excited_by", {}).items():
            for key in ("branching", "decay_days"):
                out[f"streams.{event}.excited_by.{source}.{key}"] = kernel[key]
    return out


def covered(table: Any, truth: dict[str, float]) -> dict[str, bool]:
    """Whether each true value lies in its 95% interval."""
    rows = table.set_index("parameter")
    return {
        path: bool(rows.loc[path, "lower"] <= value <= rows.loc[path, "upper"])
        for path, value in truth.items()
    }


def cluster_times(
    rates: list[float],
    piece_days: float,
    branching: float,
    decay_days: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Exact univariate Hawkes with a piecewise-constant baseline by its
    cluster representation (Hawkes & Oakes 1974): Poisson immigrants per
    piece, then generations of Poisson(branching) children each an
    Exp(decay_days) delay after its parent. The engine has no piecewise
    rate, so this checks the monthly-baseline fit the real data need."""
    horizon = piece_days * len(rates)
    immigrants = [
        rng.uniform(i * piece_days, (i + 1) * piece_days, rng.poisson(rate * piece_days))
        for i, rate in enumerate(rates)
    ]
    generation = np.concatenate(immigrants)
    everything = [generation]
    while generation.size:
        children = rng.poisson(branching, generation.size)
        parents = np.repeat(generation, children)
        generation = parents + rng.exponential(decay_days, parents.size)
        generation = generation[generation < horizon]
        everything.append(generation)
    return np.sort(np.concatenate(everything))
