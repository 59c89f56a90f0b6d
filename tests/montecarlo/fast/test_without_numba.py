"""Without numba: the SimPy engine draws the same numbers (numpy Philox) and a
request for the fast engine falls back to it with a warning, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import sys, warnings
sys.modules["numba"] = None  # `import numba` now raises ImportError
import numpy as np
from sim.montecarlo.fast import fast_engine_available
from sim.montecarlo.runner import run_table
from sim.rng import uniform_filler, uniforms_numpy
from sim.scenario import load_scenario
assert uniform_filler() is uniforms_numpy
ok, reason = fast_engine_available()
assert not ok and "numba" in reason, reason
s = load_scenario("scenarios/reference/hawkes_count.yaml")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    table = run_table(s, 1, range(40), engine="fast")
assert [str(w.message).count("\\n") for w in caught] == [0], caught
print(" ".join(map(str, table.counts.sum(axis=0))))
"""


def test_without_numba_the_simpy_engine_gives_the_same_table():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    from sim.montecarlo.runner import run_table
    from sim.scenario import load_scenario

    table = run_table(load_scenario(ROOT / "scenarios/reference/hawkes_count.yaml"), 1, range(40))
    assert done.stdout.split() == [str(c) for c in table.counts.sum(axis=0)]
