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
    "run": "sim.experiments.run",
    "RunResult": "sim.experiments.run",
    "trace": "sim.experiments.trace",
    "compare": "sim.experiments.compare",
    "parse_variants": "sim.experiments.compare",
    "calibrate": "sim.experiments.calibrate",
    "load_sweep": "sim.sweep.spec",
    "run_sweep": "sim.writers.sweep",
    "evidence_table": "sim.scenario.sources",
}

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.simulate import simulate
    from sim.errors import ScenarioError
    from sim.experiments.calibrate import calibrate
    from sim.experiments.compare import compare, parse_variants
    from sim.experiments.run import RunResult, run
    from sim.experiments.trace import trace
    from sim.scenario.loader import load_scenario
    from sim.scenario.overrides import with_overrides
    from sim.scenario.schema import Scenario
    from sim.scenario.sources import evidence_table
    from sim.sweep.spec import load_sweep
    from sim.writers.sweep import run_sweep

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
