"""Overhead of uncertain parameters at equal replications on the flagship (issue 10).

Target: a run whose parameters are drawn per replication takes at most 1.15x
the fixed-parameter run's time. To measure the machinery, not a change in
dynamics, every parameter that may be uncertain (all stream rates, kernels,
rule probabilities, delays, cooldowns, scale factors and days) is made a
uniform of relative width 2e-9 around its value: the replications simulate
the same world, so the time difference is the drawing (one keyed generator
per parameter and replication, inverse CDFs) and the injection into the
compiled model. A second figure uses a realistic spread (lognormal sigma 0.3
on rates and delays, beta sd 0.05 on probabilities, own branching
uniform from -10% to +4%), whose time also moves
with the drawn dynamics, for information.

Run: `PYTHONPATH=$PWD python benchmarks/uncertain.py [--reps 600] [--repeats 5]`.
Serial (one worker), median of interleaved repeats, ratios measured in one run.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path
from typing import Any

from sim.engine import compile_model
from sim.montecarlo.parameters import Parameters
from sim.montecarlo.runner import run_table
from sim.scenario import load_scenario
from sim.scenario.distributions import Beta, Law, LogNormal, Uniform
from sim.scenario.schema import Scenario
from sim.scenario.uncertain import UNCERTAIN_PATHS, with_uncertain

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "iraq_2024_israel_threat.yaml"


def numeric_paths(value: Any, path: str = "") -> list[tuple[str, float]]:
    """Every (dotted path, value) of a number in a dumped scenario."""
    if isinstance(value, dict):
        return [
            item
            for key, child in value.items()
            for item in numeric_paths(child, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(value, (list, tuple)):
        return [
            item for i, child in enumerate(value) for item in numeric_paths(child, f"{path}[{i}]")
        ]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [(path, float(value))]
    return []


def uncertain_version(s: Scenario, realistic: bool) -> Scenario:
    laws: dict[str, Law] = {}
    for path, value in numeric_paths(s.model_dump(by_alias=True)):
        if value <= 0 or not any(re.fullmatch(p, path) for p in UNCERTAIN_PATHS):
            continue
        if path.endswith(".delay.low") or path.endswith(".delay.high"):
            continue  # a uniform delay's bounds would need their order checked per pair
        if path.endswith("probability") and value >= 1:
            continue  # a certain response (a hazard rule's, a regime's onset) has no room above
        if not realistic:
            laws[path] = Uniform(dist="uniform", low=value * (1 - 1e-9), high=value * (1 + 1e-9))
        elif path.endswith("probability"):
            mean = min(max(value, 0.06), 0.94)
            laws[path] = Beta(dist="beta", mean=mean, sd=0.05)
        elif path.endswith("decay_days"):  # a decay's range starts at 1e-6, not 0
            laws[path] = Uniform(dist="uniform", low=0.8 * value, high=1.2 * value)
        elif path.endswith("self_excitation.branching"):  # stays below 1 (no max_events)
            laws[path] = Uniform(dist="uniform", low=0.9 * value, high=min(1.04 * value, 0.999))
        else:
            laws[path] = LogNormal(dist="lognormal", median=value, sigma=0.3)
    return with_uncertain(s, laws)


def timed(s: Scenario, reps: int) -> float:
    start = time.perf_counter()
    run_table(s, seed=1, reps=range(reps))
    return time.perf_counter() - start


def machinery_seconds(s: Scenario, reps: int) -> float:
    """Drawing and injecting alone (no simulation), for the same replications."""
    params = Parameters.of(compile_model(s))
    start = time.perf_counter()
    for row in params.draw(1, range(reps)):
        params.apply(row)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    # The flagship's own ranges set aside: every number at its nominal value
    # (the law's median), so "fixed" draws nothing.
    fixed = load_scenario(FLAGSHIP).model_copy(update={"uncertain": {}})
    narrow = uncertain_version(fixed, realistic=False)
    wide = uncertain_version(fixed, realistic=True)
    timed(fixed, 50)  # warm imports and caches
    times: dict[str, list[float]] = {"fixed": [], "narrow": [], "wide": [], "machinery": []}
    for _ in range(args.repeats):
        for name, scenario in (("fixed", fixed), ("narrow", narrow), ("wide", wide)):
            times[name].append(timed(scenario, args.reps))
        times["machinery"].append(machinery_seconds(narrow, args.reps))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"flagship, {args.reps} replications, 1 worker, median of {args.repeats} repeats")
    print(f"uncertain parameters: {len(narrow.uncertain)}")
    print(f"fixed parameters:            {median['fixed']:.2f} s")
    print(
        f"drawn, width 2e-9 (machinery): {median['narrow']:.2f} s, "
        f"ratio {median['narrow'] / median['fixed']:.3f} (target <= 1.15)"
    )
    print(
        f"drawing and injecting alone:   {median['machinery']:.3f} s, "
        f"{median['machinery'] / median['fixed']:.1%} of the fixed run"
    )
    print(
        f"drawn, realistic spread:       {median['wide']:.2f} s, "
        f"ratio {median['wide'] / median['fixed']:.3f} (dynamics change too)"
    )


if __name__ == "__main__":
    main()
