"""Pure Hawkes functions against direct sums (no SimPy)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.engine.hawkes import Kernel, pick_parent

times = st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30).map(sorted)


@given(times, st.floats(0.01, 5), st.floats(0.1, 20), st.floats(0, 50))
def test_kernel_carries_the_exact_decayed_sum(parents, branching, decay, after):
    kernel = Kernel(0, branching, decay)
    for u in parents:
        kernel.add_parent(u)
    t = parents[-1] + after
    direct = sum(branching * math.exp(-(t - u) / decay) / decay for u in parents)
    assert kernel.term(t) == pytest.approx(direct, rel=1e-9, abs=1e-300)


def test_pick_parent_weighs_parents_by_their_kernel_terms():
    parents = [0.0, 5.0, 9.0]
    t, inv = 10.0, 1 / 2.0
    weights = [math.exp((u - t) * inv) for u in parents]
    total = sum(weights)
    grid = [(i + 0.5) / 10_000 for i in range(10_000)]
    picks = [pick_parent(parents, t, inv, u) for u in grid]
    for index, w in enumerate(weights):
        assert picks.count(index) / len(grid) == pytest.approx(w / total, abs=2e-4)


def test_pick_parent_scans_beyond_the_recent_window():
    parents = [float(i) for i in range(100)]
    # Very slow decay: old parents carry nearly equal weight and must be reachable.
    assert pick_parent(parents, 100.0, 1e-6, 0.0001) == 99
    assert pick_parent(parents, 100.0, 1e-6, 0.9999) == 0
