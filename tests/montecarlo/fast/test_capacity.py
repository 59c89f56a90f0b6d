"""A replication that outgrows the kernel's arrays is rerun with larger ones,
and its row is the one it would have had: here every capacity starts far too
small (an event queue of 3 rows, 2 occurrences, 2 level changes, 1 factor),
so nearly every replication overflows, and some several times, on the way
to the SimPy engine's table."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.engine import compile_model
from sim.montecarlo.fast import run
from sim.montecarlo.fast.run import run_fast_chunk
from sim.montecarlo.runner import run_chunk
from sim.scenario import load_scenario
from tests.montecarlo.fast.test_differential import assert_identical

FLAGSHIP = Path(__file__).resolve().parents[3] / "scenarios" / "iraq_2024_israel_threat.yaml"


def test_tiny_capacities_grow_to_the_simpy_table(monkeypatch: pytest.MonkeyPatch) -> None:
    model = compile_model(load_scenario(FLAGSHIP))
    for name, size in (("QUEUE", 3), ("OCCURRENCES", 2), ("CHANGES", 2), ("FACTORS", 1)):
        monkeypatch.setattr(run, name, size)
    assert_identical(run_fast_chunk(model, 11, range(60)), run_chunk(model, 11, range(60)))
