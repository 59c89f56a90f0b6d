"""The package's public names stay what they say, however they are imported."""

from __future__ import annotations

import subprocess
import sys

import sim


def test_every_exported_name_resolves():
    for name in sim.__all__:
        assert getattr(sim, name) is not None


def test_functions_stay_callable_after_their_modules_are_imported():
    # A function named like its own submodule would be replaced by the module
    # on import (sim.compare after importing sim.compare the module): the
    # modules are named differently, and this guards it in a fresh interpreter.
    code = (
        "import sim, sim.experiments.compare, sim.experiments.trace, sim.experiments.calibrate\n"
        "from sim import compare, trace, calibrate\n"
        "assert all(callable(f) and not isinstance(f, type(sim)) "
        "for f in (compare, trace, calibrate, sim.compare, sim.trace, sim.calibrate))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_overrides_are_recorded_and_shown_in_titles():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    s = sim.load_scenario(root / "scenarios" / "reference" / "poisson_count.yaml")
    changed = sim.with_overrides(s, {"streams.attack.rate": 0.25})
    assert s.overrides == {} and changed.overrides == {"streams.attack.rate": 0.25}
    result = sim.run(changed, seed=0, reps=20)
    assert "attack.rate=0.25" in result.title
