"""Timing of stream fits on the real Iraq 2007-08 files (issue 9 targets).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/fit.py [--repeats 3]

Measures (median of repeats, wall-clock seconds, on this machine):
- the univariate fit of all 68,573 insurgent events (own period, constant
  baseline; target < 10 s), and with a monthly baseline;
- the two-type fit of insurgent attacks and US airstrikes with
  cross-excitation (target < 60 s), and with a monthly baseline;
- how fit time grows with the number of events: the pooled insurgent fit on
  the first 4, 8 and 16 months, and the least-squares slope of log time on
  log events (target: about 1, linear).
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

from sim.eventdata import EventData, read_events
from sim.experiments.fit import FitSpec, fit_streams

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


def timed(data: EventData, spec: FitSpec, repeats: int) -> tuple[float, int, bool]:
    seconds = []
    fit = None
    for _ in range(repeats):
        clock = time.perf_counter()
        fit = fit_streams(data, spec)
        seconds.append(time.perf_counter() - clock)
    assert fit is not None
    return statistics.median(seconds), fit.profile_fits, fit.converged


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
            seconds, profiles, converged = timed(data, spec, args.repeats)
            n = sum(data.counts().values())
            rows.append((label, n, seconds, profiles, converged, target))
        sizes, times = [], []
        for months in (4, 8, 16):
            end = dt.date(2007 + (1 + months) // 12, (1 + months) % 12 + 1, 22)
            data = load(Path(folder), end).select(["insurgent"])
            seconds, profiles, converged = timed(data, FitSpec(), args.repeats)
            n = data.counts()["insurgent"]
            sizes.append(n)
            times.append(seconds)
            rows.append((f"univariate, first {months} months", n, seconds, profiles, converged, ""))
    slope = float(np.polyfit(np.log(sizes), np.log(times), 1)[0])
    print(f"events in the 2007-08 insurgent file: {n_insurgent} (period 2007-02-23..2008-07-05)")
    print(f"{'fit':38} {'events':>8} {'seconds':>8} {'profiles':>8} {'conv':>5}  target")
    for label, n, seconds, profiles, converged, target in rows:
        print(f"{label:38} {n:>8} {seconds:>8.2f} {profiles:>8} {converged!s:>5}  {target}")
    print(f"scaling exponent of fit time in events (3 sizes): {slope:.2f} (target about 1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
