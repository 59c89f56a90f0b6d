"""Both forms of the kernel's event queue give the SimPy engine's tables:
the sorted array (fewer than `HEAP_FROM_STREAMS` streams, every shipped
scenario) and the binary heap, forced here on shipped scenarios and chosen
by itself for a model with that many streams."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.engine import compile_model
from sim.montecarlo.fast import compile as fast_compile
from sim.montecarlo.fast.compile import HEADER, fast_model, pack
from sim.montecarlo.fast.run import run_fast_chunk
from sim.montecarlo.runner import run_chunk
from sim.scenario import load_scenario
from sim.scenario.loader import validate_document
from sim.scenario.schema import Scenario
from sim.scenario.yamlmap import Located
from tests.montecarlo.fast.test_differential import assert_identical

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def many_streams(n: int) -> Scenario:
    """n streams, each its own event, one exciting the next (a Hawkes chain)."""
    document = {
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
    return validate_document(Located(document), "<many>", None)


def queue_heap(s: Scenario) -> int:
    mi, _ = pack(fast_model(s))
    flag: int = mi[HEADER["queue_heap"]]
    return flag


@pytest.mark.parametrize("name", ["iraq_2024_israel_threat.yaml", "iraq_2025_june_forecast.yaml"])
def test_heap_forced_on_shipped_scenarios(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_scenario(SCENARIOS / name)
    assert queue_heap(s) == 0
    monkeypatch.setattr(fast_compile, "HEAP_FROM_STREAMS", 1)
    assert queue_heap(s) == 1
    model = compile_model(s)
    assert_identical(run_fast_chunk(model, 5, range(80)), run_chunk(model, 5, range(80)))


def test_many_streams_get_the_heap_and_the_simpy_table() -> None:
    s = many_streams(fast_compile.HEAP_FROM_STREAMS)
    assert queue_heap(s) == 1
    model = compile_model(s)
    assert_identical(run_fast_chunk(model, 3, range(12)), run_chunk(model, 3, range(12)))
