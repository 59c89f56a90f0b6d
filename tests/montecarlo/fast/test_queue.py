"""Both forms of the kernel's event queue give the SimPy engine's tables: the
sorted array (every shipped scenario's queue stays shorter than
`HEAP_FROM_QUEUED`) and the binary heap it becomes, inside a replication,
once the queue reaches that length: forced from the first event, switched
mid-replication, and reached by itself through many streams or long rule
delays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.engine import compile_model
from sim.montecarlo.fast import compile as fast_compile
from sim.montecarlo.fast.run import run_fast_chunk
from sim.montecarlo.runner import run_chunk
from sim.scenario import load_scenario
from sim.scenario.loader import validate_document
from sim.scenario.schema import Scenario
from sim.scenario.yamlmap import Located
from tests.montecarlo.fast.test_differential import assert_identical

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def validated(document: dict[str, Any]) -> Scenario:
    return validate_document(Located(document), "<queue>", None)


def many_streams(n: int) -> Scenario:
    """n streams, each its own event, one exciting the next (a Hawkes chain)."""
    return validated(
        {
            "name": "many",
            "start_date": "2024-01-01",
            "horizon_days": 30,
            "actors": {"a": {"name": "A", "kind": "other"}},
            "ladder": ["calm", "event"],
            "events": {f"e{i}": {"actor": "a", "rung": 1} for i in range(n)},
            "streams": {
                f"e{i}": {
                    "rate": 0.05 + 0.01 * (i % 7),
                    "assumption": "test",
                    "excited_by": {f"e{(i + 1) % n}": {"branching": 0.3, "decay_days": 2.0}},
                }
                for i in range(n)
            },
            "outcomes": {"any": {"level_at_least": 1}},
        }
    )


def long_delays() -> Scenario:
    """One stream (10 a day) whose every occurrence queues a response 30 days
    later: about 300 events queued at once, each new one the latest (the
    sorted array's worst case, found by review)."""
    return validated(
        {
            "name": "long-delays",
            "start_date": "2024-01-01",
            "horizon_days": 60,
            "actors": {"a": {"name": "A", "kind": "other"}},
            "ladder": ["calm", "attack", "response"],
            "events": {"attack": {"actor": "a", "rung": 1}, "response": {"actor": "a", "rung": 2}},
            "streams": {"attack": {"rate": 10.0, "assumption": "test"}},
            "rules": {
                "respond": {
                    "actor": "a",
                    "on": ["attack"],
                    "delay": {"dist": "fixed", "days": 30.0},
                    "then": [{"emit": "response"}],
                    "assumption": "test",
                }
            },
            "outcomes": {"responded": {"level_at_least": 2}},
        }
    )


def both(s: Scenario, seed: int, reps: range) -> None:
    model = compile_model(s)
    assert_identical(run_fast_chunk(model, seed, reps), run_chunk(model, seed, reps))


@pytest.mark.parametrize("from_queued", [0, 5])
@pytest.mark.parametrize("name", ["iraq_2024_israel_threat.yaml", "iraq_2025_june_forecast.yaml"])
def test_the_heap_from_the_start_or_mid_replication(
    name: str, from_queued: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 0: a heap from the first event; 5: the sorted rows reversed into a heap
    # when a replication first queues five events, mid-replication (without the
    # reversal, the flagship's tables differ).
    monkeypatch.setattr(fast_compile, "HEAP_FROM_QUEUED", from_queued)
    both(load_scenario(SCENARIOS / name), 5, range(80))


def test_many_streams_reach_the_heap_and_keep_the_simpy_table() -> None:
    both(many_streams(fast_compile.HEAP_FROM_QUEUED), 3, range(12))


def test_long_rule_delays_reach_the_heap_and_keep_the_simpy_table() -> None:
    both(long_delays(), 7, range(6))
