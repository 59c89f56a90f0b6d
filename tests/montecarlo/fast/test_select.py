"""Choosing the engine: the switch in run_table, refusals, the fallback."""

from __future__ import annotations

import time

import numpy as np
import pytest

from sim.errors import UsageError
from sim.montecarlo.fast import select
from sim.montecarlo.fast.select import EngineFallbackWarning, fast_engine_available, resolve_engine
from sim.montecarlo.runner import MAX_CHUNK, chunked, run_adaptive, run_table
from tests.engine.helpers import scenario
from tests.montecarlo.fast.test_differential import assert_identical


@pytest.fixture(scope="module")
def small():
    return scenario(
        streams={
            "attack": {
                "rate": 0.5,
                "self_excitation": {"branching": 0.5, "decay_days": 2},
                "assumption": "test",
            }
        },
        rules={
            "r": {
                "actor": "b",
                "on": ["attack"],
                "probability": 0.2,
                "delay": {"dist": "gamma", "mean": 2, "cv": 0.5},
                "cooldown_days": 1,
                "then": [{"emit": "strike"}],
                "assumption": "test",
            }
        },
        outcomes={"strike": {"event": "strike"}, "high": {"level_at_least": 2}},
    )


def test_the_fast_engine_is_available_here():
    assert fast_engine_available() == (True, "")


def test_run_table_gives_the_same_table_on_either_engine_any_workers(small):
    simpy = run_table(small, 4, range(250), workers=1)
    assert_identical(run_table(small, 4, range(250), workers=1, engine="fast"), simpy)
    assert_identical(run_table(small, 4, range(250), workers=2, chunk=70, engine="fast"), simpy)


def test_adaptive_runs_accept_the_engine(small):
    a = run_adaptive(small, 2, precision=0.04, first=200, engine="fast")
    b = run_adaptive(small, 2, precision=0.04, first=200)
    assert_identical(a, b)


def test_an_unknown_engine_is_a_usage_error(small):
    with pytest.raises(UsageError, match="engine: expected one of simpy, fast, found 'turbo'"):
        resolve_engine("turbo", small)


def test_a_part_the_kernel_does_not_implement_is_refused_by_name(small, monkeypatch):
    # Stands in for a scenario part added to the schema later: the fast
    # engine refuses it rather than ignore it.
    monkeypatch.setattr(select, "IMPLEMENTED", select.IMPLEMENTED - {"rules"})
    with pytest.raises(UsageError, match=r"uses rules, which the fast engine does not.*simpy"):
        run_table(small, 1, range(10), engine="fast")
    assert resolve_engine("simpy", small) == "simpy"


def test_a_broken_compiler_falls_back_to_simpy_with_a_warning(small, monkeypatch):
    monkeypatch.setattr(select, "fast_engine_available", lambda: (False, "ImportError: numba"))
    with pytest.warns(EngineFallbackWarning, match=r"fast engine unavailable \(ImportError"):
        table = run_table(small, 1, range(20), engine="fast")
    assert_identical(table, run_table(small, 1, range(20)))


def test_chunks_are_capped_whatever_the_run_size():
    parts = chunked(range(100_000), workers=2)
    assert max(len(p) for p in parts) == MAX_CHUNK
    fast = chunked(range(100_000), workers=2, engine="fast")
    assert [r for p in fast for r in p] == list(range(100_000))
    assert np.all(np.array([len(p) for p in fast[:-1]]) >= 2_000)


@pytest.mark.parametrize(("compile_seconds", "announced"), [(1.0, True), (0.0, False)])
def test_a_slow_compile_is_announced_and_a_cache_load_is_not(
    monkeypatch, capsys, compile_seconds, announced
):
    """With --no-progress a first compile (~30 s) looked like a hang."""
    import sim.montecarlo.fast.run as fast_run

    monkeypatch.setattr(select, "COMPILE_NOTICE_AFTER", 0.05)  # far inside the 1 s "compile"
    monkeypatch.setattr(fast_run, "warm_up", lambda: time.sleep(compile_seconds))
    fast_engine_available.cache_clear()
    try:
        assert fast_engine_available() == (True, "")
        time.sleep(0.2)  # a cancelled notice would have printed by now
    finally:
        fast_engine_available.cache_clear()
    assert ("compiling the fast engine" in capsys.readouterr().err) is announced
