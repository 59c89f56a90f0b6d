"""Running a sweep: every point on the same replication indices (common random
numbers), each point written to its own file the moment it is done.

A point file is written under a temporary name and renamed, so a sweep killed
at any moment (even `kill -9`) leaves only whole points; `--resume` runs the
missing ones and the final table is the one an uninterrupted run gives, since
a point's result depends only on (scenario, seed, replication indices).
Nothing grows with the number of points but the final table itself.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.engine import compile_model
from sim.errors import UsageError
from sim.montecarlo import run_chunk
from sim.scenario.schema import Scenario
from sim.stats import wilson_interval
from sim.sweep.spec import Sweep

MAX_CHUNK = 100
"""Replications per task: large enough to amortise the executor's overhead,
small enough to balance points of very different cost."""


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


def tally_chunk(scenario: Scenario, seed: int, reps: Sequence[int]) -> Tally:
    table = run_chunk(compile_model(scenario), seed, reps)
    return Tally(
        len(table),
        (~np.isnan(table.outcome_days)).sum(axis=0),
        table.counts.sum(axis=0).astype(float),
        float(table.max_level.sum()),
    )


def point_row(sweep: Sweep, index: int, tally: Tally) -> dict[str, Any]:
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


def prepare_folder(sweep: Sweep, folder: Path, resume: bool, force: bool) -> set[int]:
    """Create or reopen the sweep folder; returns the points already done."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder; choose another --out")
    fingerprint = sweep.fingerprint()
    record = folder / "sweep.json"
    if folder.exists() and resume:
        if not record.exists():
            raise UsageError(f"{folder} is not a sweep folder (no sweep.json); cannot resume")
        began = json.loads(record.read_text())
        changes = describe_changes(began, fingerprint)
        if changes:
            raise UsageError(
                "the sweep changed since it began, so its points would not "
                "match; refusing to resume:\n  "
                + "\n  ".join(changes)
                + f"\nRun it afresh with --force (discarding {folder}) or "
                "restore the sweep file."
            )
        for leftover in (folder / "points").glob(".*.partial-*"):
            leftover.unlink()  # a point killed mid-write; it is run again
        return done_points(folder)
    if resume:
        raise UsageError(f"nothing to resume: {folder} does not exist")
    if folder.exists():
        if not force:
            raise UsageError(
                f"sweep folder {folder} already exists; --resume to finish it, "
                "or --force to discard it and start again"
            )
        shutil.rmtree(folder)
    (folder / "points").mkdir(parents=True)
    atomic_write(
        record,
        json.dumps(
            {**fingerprint, "points": len(sweep.points), "sweep_file": str(sweep.file)}, indent=2
        ),
    )
    return set()


def describe_changes(began: dict[str, Any], now: dict[str, str]) -> list[str]:
    changes = []
    before, after = json.loads(began["spec"]), json.loads(now["spec"])
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes.append(f"{key}: {json.dumps(before.get(key))} -> {json.dumps(after.get(key))}")
    if began.get("base_sha256") != now["base_sha256"]:
        changes.append(
            "the base scenario (or a file it extends) changed: resolved SHA-256 "
            f"{began.get('base_sha256', '?')[:12]} -> {now['base_sha256'][:12]}"
        )
    return changes


def done_points(folder: Path) -> set[int]:
    return {int(p.stem) for p in (folder / "points").glob("*.json")}


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _point_chunks(reps: int) -> list[range]:
    return [range(i, min(i + MAX_CHUNK, reps)) for i in range(0, reps, MAX_CHUNK)]


def run_points(
    sweep: Sweep,
    folder: Path,
    executor: Executor | None,
    workers: int,
    done: set[int],
    on_point: Callable[[int], None] | None = None,
) -> None:
    """Run every point not in `done`, writing each as it completes."""
    seed, reps = sweep.spec.seed, sweep.spec.replications
    todo = [i for i in range(len(sweep.points)) if i not in done]

    def finish(index: int, tally: Tally) -> None:
        atomic_write(
            folder / "points" / f"{index:06d}.json", json.dumps(point_row(sweep, index, tally))
        )
        if on_point:
            on_point(index)

    if executor is None:
        for index in todo:
            parts = [tally_chunk(sweep.scenario_at(index), seed, c) for c in _point_chunks(reps)]
            finish(index, sum(parts[1:], parts[0]))
        return
    window = 3 * workers + 2
    queue = iter(todo)
    running: dict[Future[Tally], int] = {}
    partial: dict[int, list[Tally]] = {}
    expected = len(_point_chunks(reps))

    def submit_next() -> bool:
        index = next(queue, None)
        if index is None:
            return False
        scenario = sweep.scenario_at(index)
        for c in _point_chunks(reps):
            running[executor.submit(tally_chunk, scenario, seed, c)] = index
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


def collect(folder: Path) -> pd.DataFrame:
    """The sweep table from its point files, in point order."""
    rows = [json.loads(p.read_text()) for p in sorted((folder / "points").glob("*.json"))]
    return pd.DataFrame(rows).sort_values("point", ignore_index=True)
