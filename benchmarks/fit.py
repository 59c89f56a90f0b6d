"""Timing of stream fits on the real Iraq 2007-08 files (issue 9 targets).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/fit.py [--repeats 3]

Measures (median of repeats, wall-clock and CPU seconds, on this machine):
- the univariate fit of all 68,573 insurgent events (own period, constant
  baseline; target < 10 s), and with a monthly baseline;
- the two-type fit of insurgent attacks and US airstrikes with
  cross-excitation (target < 60 s), and with a monthly baseline;
- how fit time grows with the number of events: the pooled insurgent fit on
  the first 4, 8 and 16 months, and the least-squares slope of log time on
  log events (target: about 1, linear), and the same for one evaluation of
  the likelihood and its gradient (steadier: it excludes the number of
  optimiser iterations, which varies with the data).
Each fit includes what `fit_streams` always does: two optimiser starts, the
profile-likelihood intervals of every branching and decay, the observed
information and the goodness-of-fit residuals. Event reading is not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from sim.eventdata import EventData, read_events
from sim.experiments.fit import FitSpec, fit_streams
from sim.experiments.fit.estimate import placed_times
from sim.experiments.fit.likelihood import Prepared, loglik_and_grad

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
INSURGENT = DATA / "iraq_insurgent_events_2007-02-23_2008-07-05.csv"
AIRSTRIKES = DATA / "iraq_us_airstrikes_2007-02-23_2008-07-05.csv"


def load(folder: Path, period_to: dt.date) -> EventData:
    text = (
        f"period: {{from: 2007-02-23, to: {period_to}}}\n"
        "events:\n"
        f"  insurgent: {{data: {INSURGENT}}}\n"
        f"  airstrike: {{data: {AIRSTRIKES}}}\n"
    )
    path = folder / f"map-{period_to}.yaml"
    path.write_text(text, encoding="utf-8")
    return read_events(None, path)


def timed(data: EventData, spec: FitSpec, repeats: int) -> tuple[float, float, int, bool]:
    """Median wall-clock and CPU seconds of a fit (CPU time shows the work
    when another process shares the cores)."""
    wall, cpu = [], []
    fit = None
    for _ in range(repeats):
        clock, processor = time.perf_counter(), time.process_time()
        fit = fit_streams(data, spec)
        wall.append(time.perf_counter() - clock)
        cpu.append(time.process_time() - processor)
    assert fit is not None
    return statistics.median(wall), statistics.median(cpu), fit.profile_fits, fit.converged


def evaluation_seconds(data: EventData, repeats: int = 200) -> float:
    """Mean CPU time of one likelihood-and-gradient evaluation (self-exciting,
    constant baseline): the work each optimiser step repeats, free of the
    number of iterations, which varies with the data."""
    spec = FitSpec()
    layout = spec.layout(data)
    prepared = Prepared.build(layout, placed_times(data, data.events, 0))
    theta = layout.pack(np.array([[1.0]]), np.array([0.5]), np.array([2.0]))
    seconds = []
    with threadpool_limits(limits=1, user_api="blas"):  # as fit_streams runs it
        for _ in range(repeats):
            clock = time.process_time()
            loglik_and_grad(layout, prepared, theta)
            seconds.append(time.process_time() - clock)
    return statistics.mean(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not INSURGENT.exists():
        print(f"no data at {DATA}; nothing to measure", file=sys.stderr)
        return 1
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        full = load(Path(folder), dt.date(2008, 7, 5))
        # Compile the likelihood once, outside the timings.
        fit_streams(full.select(["airstrike"]), FitSpec(intervals="wald"))
        n_insurgent = full.counts()["insurgent"]
        cases = [
            ("univariate, constant baseline", ["insurgent"], FitSpec(), "< 10 s"),
            ("univariate, monthly baseline", ["insurgent"], FitSpec(baseline="monthly"), ""),
            (
                "insurgent x airstrike, cross",
                ["insurgent", "airstrike"],
                FitSpec(excitation="cross"),
                "< 60 s",
            ),
            (
                "insurgent x airstrike, cross, monthly",
                ["insurgent", "airstrike"],
                FitSpec(excitation="cross", baseline="monthly"),
                "",
            ),
        ]
        for label, events, spec, target in cases:
            data = full.select(events)
            seconds, cpu, profiles, converged = timed(data, spec, args.repeats)
            n = sum(data.counts().values())
            rows.append((label, n, seconds, cpu, profiles, converged, target))
        sizes, times, evaluations = [], [], []
        for months in (4, 8, 16):
            end = dt.date(2007 + (1 + months) // 12, (1 + months) % 12 + 1, 22)
            data = load(Path(folder), end).select(["insurgent"])
            seconds, cpu, profiles, converged = timed(data, FitSpec(), args.repeats)
            n = data.counts()["insurgent"]
            sizes.append(n)
            times.append(cpu)
            evaluations.append(evaluation_seconds(data))
            label = f"univariate, first {months} months"
            rows.append((label, n, seconds, cpu, profiles, converged, ""))
    slope = float(np.polyfit(np.log(sizes), np.log(times), 1)[0])
    slope_eval = float(np.polyfit(np.log(sizes), np.log(evaluations), 1)[0])
    print(f"events in the 2007-08 insurgent file: {n_insurgent} (period 2007-02-23..2008-07-05)")
    print(
        f"{'fit':38} {'events':>8} {'wall s':>8} {'cpu s':>8} {'profiles':>8} {'conv':>5}  target"
    )
    for label, n, seconds, cpu, profiles, converged, target in rows:
        times_text = f"{seconds:>8.2f} {cpu:>8.2f}"
        print(f"{label:38} {n:>8} {times_text} {profiles:>8} {converged!s:>5}  {target}")
    print(f"scaling exponent of fit CPU time in events (3 sizes): {slope:.2f} (target about 1)")
    print(
        f"scaling exponent of one likelihood+gradient evaluation: {slope_eval:.2f} "
        f"({', '.join(f'{1e3 * t:.2f} ms' for t in evaluations)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
