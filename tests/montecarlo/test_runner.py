"""Monte Carlo runs: identical rows for any workers and chunking; adaptive mode."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from sim.montecarlo.runner import RunTable, chunked, headline_half_width, run_adaptive, run_table
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def flagship():
    return load_scenario(ROOT / "scenarios" / "iraq_2024_israel_threat.yaml")


def assert_same(a: RunTable, b: RunTable) -> None:
    for f in fields(RunTable):
        assert np.array_equal(getattr(a, f.name), getattr(b, f.name), equal_nan=True), f.name


def test_results_are_identical_for_one_and_two_workers_and_any_chunking(flagship):
    serial = run_table(flagship, seed=5, reps=range(300), workers=1)
    parallel = run_table(flagship, seed=5, reps=range(300), workers=2)
    rechunked = run_table(flagship, seed=5, reps=range(300), workers=2, chunk=110)
    assert_same(serial, parallel)
    assert_same(serial, rechunked)
    assert list(serial.reps) == list(range(300))


def test_a_subset_of_replications_reproduces_the_same_rows(flagship):
    whole = run_table(flagship, seed=5, reps=range(200))
    part = run_table(flagship, seed=5, reps=range(150, 200))
    assert np.array_equal(whole.counts[150:], part.counts)


def test_replications_differ_from_each_other_and_between_seeds(flagship):
    a = run_table(flagship, seed=1, reps=range(100))
    b = run_table(flagship, seed=2, reps=range(100))
    assert len({tuple(row) for row in a.counts}) > 90
    assert not np.array_equal(a.counts, b.counts)


def test_chunks_cover_every_replication_once_in_order():
    parts = chunked(range(1234), workers=2)
    assert [r for p in parts for r in p] == list(range(1234))
    assert min(len(p) for p in parts[:-1]) >= 100


@pytest.mark.slow
def test_adaptive_runs_until_the_interval_is_narrow_enough_and_is_deterministic(flagship):
    first = run_adaptive(flagship, seed=3, precision=0.03, first=200)
    again = run_adaptive(flagship, seed=3, precision=0.03, first=200, workers=2)
    assert headline_half_width(first, flagship) <= 0.03
    assert len(first) > 200
    assert_same(first, again)


def test_adaptive_refuses_a_meaningless_precision(flagship):
    with pytest.raises(ValueError):
        run_adaptive(flagship, seed=3, precision=0.0)
