"""Running a sweep: every point on the same replication indices (common random
numbers), each point handed on the moment it is done.

A point's result depends only on (scenario, seed, replication indices), so
points can run in any order, on any executor, and a sweep resumed after a
kill gives the table an uninterrupted run gives (`sim.writers.sweep` keeps the
points on disk). Nothing grows with the number of points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.engine import compile_model
from sim.montecarlo.runner import FAST_CHUNK, run_chunk
from sim.scenario.schema import Scenario
from sim.stats import wilson_interval
from sim.sweep.spec import Sweep

MAX_CHUNK = 100
"""Replications per task on the SimPy engine: large enough to amortise the
executor's overhead, small enough to balance points of very different cost.
The fast engine takes `FAST_CHUNK[0]` (2,000): a replication costs it ~0.1 ms,
so a 100-replication task spent more in drawing parameters and compiling the
scenario to arrays than in simulating."""


@dataclass(frozen=True)
class Tally:
    """What a sweep keeps of a chunk of replications: sums, not rows."""

    n: int
    hits: np.ndarray
    """Replications in which each outcome happened."""
    count_sums: np.ndarray
    max_level_sum: float

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.n + other.n,
            self.hits + other.hits,
            self.count_sums + other.count_sums,
            self.max_level_sum + other.max_level_sum,
        )


def tally_chunk(scenario: Scenario, seed: int, reps: Sequence[int], engine: str = "simpy") -> Tally:
    """Simulate replications `reps` of `seed` for one sweep point and keep only
    their sums; a top-level function so a process pool or Dask can pickle it."""
    table = run_chunk(compile_model(scenario), seed, reps, engine)
    return Tally(
        len(table),
        (~np.isnan(table.outcome_days)).sum(axis=0),
        table.counts.sum(axis=0).astype(float),
        float(table.max_level.sum()),
    )


def point_row(sweep: Sweep, index: int, tally: Tally) -> dict[str, Any]:
    """The sweep table's row for point `index`: its parameter values, each
    outcome's probability with its 95% Wilson interval and hit count, the
    replications, the mean count of each event type and the mean highest level."""
    row: dict[str, Any] = {"point": index}
    row.update({p: float(v) for p, v in zip(sweep.paths, sweep.points[index], strict=True)})
    names = list(sweep.base.outcomes)
    for outcome in sweep.outcomes:
        hits = int(tally.hits[names.index(outcome)])
        lo, hi = wilson_interval(hits, tally.n)
        row.update(
            {
                f"p_{outcome}": hits / tally.n,
                f"lower_{outcome}": float(lo),
                f"upper_{outcome}": float(hi),
                f"hits_{outcome}": hits,
            }
        )
    row["replications"] = tally.n
    row.update(
        {
            f"mean_{e}": float(c) / tally.n
            for e, c in zip(sweep.base.events, tally.count_sums, strict=True)
        }
    )
    row["mean_max_level"] = tally.max_level_sum / tally.n
    return row


def _point_chunks(reps: int, engine: str) -> list[range]:
    size = FAST_CHUNK[0] if engine == "fast" else MAX_CHUNK
    return [range(i, min(i + size, reps)) for i in range(0, reps, size)]


def run_points(
    sweep: Sweep,
    executor: Executor | None,
    workers: int,
    done: set[int],
    on_point: Callable[[int, dict[str, Any]], None],
    engine: str = "simpy",
) -> None:
    """Run every point not in `done`; hand each point's row to `on_point` the
    moment its last chunk is in (the sweep writer saves it there). `engine` is
    "simpy" or a resolved "fast" (identical rows either way)."""
    seed, reps = sweep.spec.seed, sweep.spec.replications
    todo = [i for i in range(len(sweep.points)) if i not in done]

    def finish(index: int, tally: Tally) -> None:
        on_point(index, point_row(sweep, index, tally))

    if executor is None:
        for index in todo:
            scenario = sweep.scenario_at(index)  # validated once per point, not per chunk
            parts = [tally_chunk(scenario, seed, c, engine) for c in _point_chunks(reps, engine)]
            finish(index, sum(parts[1:], parts[0]))
        return
    window = 3 * workers + 2
    queue = iter(todo)
    running: dict[Future[Tally], int] = {}
    partial: dict[int, list[Tally]] = {}
    expected = len(_point_chunks(reps, engine))

    def submit_next() -> bool:
        index = next(queue, None)
        if index is None:
            return False
        scenario = sweep.scenario_at(index)
        for c in _point_chunks(reps, engine):
            running[executor.submit(tally_chunk, scenario, seed, c, engine)] = index
        partial[index] = []
        return True

    while len(partial) < window and submit_next():
        pass
    while running:
        finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for future in finished:
            index = running.pop(future)
            partial[index].append(future.result())
            if len(partial[index]) == expected:
                parts = partial.pop(index)
                finish(index, sum(parts[1:], parts[0]))
                submit_next()
