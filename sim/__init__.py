"""escalation-sim: how likely is a regional conflict to spill over into a
country trying to stay out of it?

The library flows one way: a scenario file is loaded and validated, the
discrete-event engine simulates replications, the Monte Carlo runner stacks
them, statistics summarise them, charts and tables show them::

    import sim
    s = sim.load_scenario("scenarios/iraq_2024_israel_threat.yaml")
    result = sim.run(s, seed=1, reps=2000, workers=2)
    result.summary()            # probabilities with 95% Wilson intervals
    result.plot_probability()   # returns the matplotlib Axes
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Heavy modules (pandas, matplotlib, SALib) load on first use, so the CLI's
# `--help` and engine-only users stay fast.
_EXPORTS = {
    "load_scenario": "sim.scenario.loader",
    "with_overrides": "sim.scenario.overrides",
    "Scenario": "sim.scenario.schema",
    "ScenarioError": "sim.errors",
    "simulate": "sim.engine.simulate",
    "run": "sim.results",
    "RunResult": "sim.results",
    "trace": "sim.tracing",
    "compare": "sim.comparison",
    "parse_variants": "sim.comparison",
    "calibrate": "sim.calibration",
    "load_sweep": "sim.sweep.spec",
    "run_sweep": "sim.sweep.api",
    "evidence_table": "sim.scenario.sources",
}

if TYPE_CHECKING:  # pragma: no cover
    from sim.calibration import calibrate
    from sim.comparison import compare, parse_variants
    from sim.engine.simulate import simulate
    from sim.errors import ScenarioError
    from sim.results import RunResult, run
    from sim.scenario.loader import load_scenario
    from sim.scenario.overrides import with_overrides
    from sim.scenario.schema import Scenario
    from sim.scenario.sources import evidence_table
    from sim.sweep.api import run_sweep
    from sim.sweep.spec import load_sweep
    from sim.tracing import trace

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "calibrate",
    "compare",
    "evidence_table",
    "load_scenario",
    "load_sweep",
    "parse_variants",
    "run",
    "run_sweep",
    "simulate",
    "trace",
    "with_overrides",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
