"""Time per origin of the Iraq 2007-08 rolling backtest (issue 11 target:
about 70 weekly origins, 4 event types, 500 replications each, in under 10
minutes on 2 workers).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/backtest.py [--origins 6] [--reps 500]

Forecasts a few origins spread over 2007-08, one at a time in this process,
with the 2006-fitted streams and with streams refitted on the 90 days before
each origin, and prints the median wall-clock and CPU seconds per origin
(the work of one worker: restart the scenario from the history, refit if
asked, run the replications) and the wall time that implies for the whole
backtest on 2 workers, from the parallel efficiency the sweep measures on
this machine (benchmarks/RESULTS.md: 0.85-0.93). Scoring and the
bootstrap are not timed: they run once, after the origins, in seconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sim.eventdata import read_events
from sim.experiments.backtest.forecaster import HistoryForecaster, plan_rolling
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
MAP = ROOT / "data_maps" / "iraq_backtest_2007_08.yaml"
SCENARIO = ROOT / "scenarios" / "backtests" / "iraq_2007_08_streams.yaml"
EFFICIENCY = 0.85
"""Two workers' throughput over twice one worker's, as measured for sweeps."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=6, help="origins timed per variant")
    parser.add_argument("--reps", type=int, default=500, help="replications per origin")
    args = parser.parse_args()
    data = read_events(None, MAP)
    scenario = load_scenario(SCENARIO)
    for label, refit in (("fitted on 2006", None), ("refitted on 90 days", 90)):
        forecaster = HistoryForecaster(scenario, data, 7, args.reps, seed=1, refit_days=refit)
        plan = plan_rolling(forecaster, 7)
        step = max(1, len(plan.origins) // args.origins)
        chosen = plan.origins[::step][: args.origins]
        wall, cpu = [], []
        for origin in chosen:
            w, c = time.perf_counter(), time.process_time()
            forecaster.forecast(origin)
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
        per_origin = statistics.median(wall)
        total = per_origin * len(plan.origins) / (2 * EFFICIENCY)
        print(
            f"{label}: {len(chosen)} origins of {len(plan.origins)}, {args.reps} replications: "
            f"median {per_origin:.2f} s wall, {statistics.median(cpu):.2f} s CPU per origin "
            f"(range {min(wall):.2f}-{max(wall):.2f} s); whole backtest on 2 workers "
            f"about {total / 60:.1f} min"
        )


if __name__ == "__main__":
    main()
