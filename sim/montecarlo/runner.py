"""Many replications, serial or on a process pool, with identical results.

Replication `i` depends only on (scenario, seed, i), so the rows are the same
for any worker count or chunking. Workers get chunks of at least 100
replications (one task per replication wastes half the time in pool
overhead) and return them already summarised as arrays on the run's layout.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import replace

import numpy as np

from sim.engine import CompiledModel, compile_model, simulate
from sim.interrupts import interrupts_deferred
from sim.montecarlo.fast.select import resolve_engine
from sim.montecarlo.grid import make_layout
from sim.montecarlo.parameters import simulate_drawn
from sim.montecarlo.table import RunTable, summarise
from sim.rng import uniform_filler
from sim.scenario.schema import Scenario
from sim.stats import wilson_interval

MIN_CHUNK = 100
MAX_CHUNK = 500
"""Caps a worker's chunk (and so the memory it holds) whatever the run's size."""
FAST_CHUNK = (2_000, 20_000)
"""The fast engine's (smallest, largest) chunk: a replication costs it ~0.1 ms,
so chunks must be larger to amortise compiling the scenario to arrays."""
Progress = Callable[[int], None]


def run_chunk(
    model: CompiledModel,
    seed: int,
    reps: Sequence[int],
    engine: str = "simpy",
    reps_per_draw: int = 1,
) -> RunTable:
    """Replications `reps` on one engine ("fast" must be resolved already);
    with uncertain parameters replication r takes parameter draw
    r // reps_per_draw (more than 1: the nested design, `simulate_drawn`)."""
    if engine == "fast":
        from sim.montecarlo.fast.run import run_fast_chunk

        return run_fast_chunk(model, seed, reps, reps_per_draw)
    layout = make_layout(model.scenario)
    if model.scenario.uncertain:  # issue 10: parameters drawn per replication
        replications, values = simulate_drawn(model, seed, reps, reps_per_draw)
        return replace(summarise(replications, model, layout, len(reps)), parameters=values)
    return summarise((simulate(model, seed, rep) for rep in reps), model, layout, len(reps))


_worker_model: CompiledModel | None = None


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which cancels the queue and ends them
    (a worker that also caught it would print a traceback per process). A
    worker is born with SIGINT blocked (`_start_workers`); ignoring it first
    discards one that arrived meanwhile, then it is unblocked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # POSIX; elsewhere workers are spawned, not forked
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _init_worker(scenario: Scenario) -> None:
    # The one module-level variable: a worker process's compiled model, set
    # once by the pool initializer so chunks do not re-send or re-compile it.
    global _worker_model
    _ignore_sigint()
    _worker_model = compile_model(scenario)


def _worker_chunk(seed: int, reps: Sequence[int], engine: str = "simpy") -> RunTable:
    assert _worker_model is not None
    return run_chunk(_worker_model, seed, reps, engine)


def scenario_chunk(
    scenario: Scenario, seed: int, reps: Sequence[int], engine: str = "simpy"
) -> RunTable:
    """A chunk for an executor shared by many scenarios (sweeps, calibration,
    Dask): the scenario travels with the task and is compiled there."""
    return run_chunk(compile_model(scenario), seed, reps, engine)


def chunked(
    reps: Sequence[int], workers: int, chunk: int | None = None, engine: str = "simpy"
) -> list[list[int]]:
    """Split replication indices into ordered chunks of at least MIN_CHUNK,
    about ten per worker: replications vary a lot in cost (a near-critical
    stream can produce a thousand events), and small chunks keep both workers
    busy to the end while still amortising the pool's overhead."""
    reps = list(reps)
    smallest, largest = FAST_CHUNK if engine == "fast" else (MIN_CHUNK, MAX_CHUNK)
    size = chunk or min(largest, max(smallest, math.ceil(len(reps) / (workers * 10))))
    return [reps[i : i + size] for i in range(0, len(reps), size)]


def pool_context() -> multiprocessing.context.BaseContext:
    """Fork where available: workers inherit the imported package at no cost
    (pools are created before any progress thread starts)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_table(
    scenario: Scenario,
    seed: int,
    reps: Sequence[int],
    workers: int = 1,
    chunk: int | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
    engine: str = "simpy",
) -> RunTable:
    """Simulate replications `reps` of `seed`; the same table for any `workers`,
    `chunk` or `executor` (a process pool or a Dask client's executor that the
    caller keeps alive across many runs; `workers` then only sets chunk sizes),
    and for either `engine` ("simpy" or "fast": sim.montecarlo.fast.select)."""
    reps = list(reps)
    if not reps:
        raise ValueError("no replications to run")
    engine = resolve_engine(engine, scenario)
    chunks = chunked(reps, workers, chunk, engine)
    if engine == "fast" and len(chunks) == 1:
        # One fast chunk (a second at most) costs less here than shipping the
        # scenario to a worker that validates and compiles it again: a
        # calibration's candidates, a backtest's origins, a question's run.
        executor, workers = None, 1
    if executor is not None:
        futures = [executor.submit(scenario_chunk, scenario, seed, part, engine) for part in chunks]
        return RunTable.concat(_collect(futures, chunks, progress))
    if workers <= 1 or len(chunks) == 1:
        model = compile_model(scenario)
        parts = []
        for part in chunks:
            parts.append(run_chunk(model, seed, part, engine))
            if progress:
                progress(len(part))
        return RunTable.concat(parts)
    uniform_filler()  # load the compiled draws once, before the workers fork
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)),
        mp_context=pool_context(),
        initializer=_init_worker,
        initargs=(scenario,),
    )
    with stopping_on_interrupt(pool):
        futures = [pool.submit(_worker_chunk, seed, part, engine) for part in chunks]
        return RunTable.concat(_collect(futures, chunks, progress))


def _collect(
    futures: Sequence[Future[RunTable]], chunks: Sequence[Sequence[int]], progress: Progress | None
) -> list[RunTable]:
    """Results in chunk order (so rows are in replication order)."""
    parts = []
    for future, part in zip(futures, chunks, strict=True):
        parts.append(future.result())
        if progress:
            progress(len(part))
    return parts


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool for many scenarios (tasks carry their scenario): `scenario_chunk`.
    Use it inside `stopping_on_interrupt`."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=pool_context(), initializer=_ignore_sigint
    )


@contextlib.contextmanager
def stopping_on_interrupt(pool: ProcessPoolExecutor) -> Iterator[ProcessPoolExecutor]:
    """Shut `pool` down on leaving; on Ctrl-C (or any error) at once: queued
    chunks are cancelled and the workers ended, instead of finishing every
    queued chunk first (which took 112 s on 30,000 replications)."""
    try:
        _start_workers(pool)
        yield pool
    except BaseException:
        workers = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            if process.is_alive():
                process.terminate()
        for process in workers:
            process.join(timeout=5)
        _forget_wakeup(pool)
        raise
    pool.shutdown(wait=True)


def _start_workers(pool: ProcessPoolExecutor) -> None:
    """Start the pool's workers now, with Ctrl-C held. A forked worker begins
    as a copy of the parent's whole Python stack; a Ctrl-C landing in it before
    its initializer ignores SIGINT would unwind that copy through the command's
    own handlers (a second "interrupted", and the parent's staging folder
    removed by a worker). Blocked rather than ignored, the parent's Ctrl-C is
    delivered the moment the workers exist; a worker discards its own in
    `_ignore_sigint`, which every pool's initializer must call. The parent
    also defers its own Ctrl-C (another thread may take the signal while the
    mask is held) until every forked worker is known to the pool, so
    `stopping_on_interrupt` can end them all."""
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: workers are spawned, not forked
        return
    with interrupts_deferred():
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pool.submit(int)  # the first task forks every worker (fork start method, 3.10.5+)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _forget_wakeup(pool: ProcessPoolExecutor) -> None:
    """Let the pool's manager thread end, then drop its wake-up pipe from the
    interpreter's exit hook. CPython 3.10-3.11's exit hook writes to every
    pool's pipe even when the manager thread has closed it after its workers
    were ended, printing an `OSError: Bad file descriptor` traceback after
    our "interrupted" message (fixed in 3.12, which checks for a closed pipe).
    Dropped even when the thread outlives the wait (seen on two loaded cores):
    shutdown has already woken it, it ends by itself, and the interpreter
    still joins it on exit like any other thread."""
    from concurrent.futures import process as futures_process

    thread = getattr(pool, "_executor_manager_thread", None)
    if thread is None:
        return
    thread.join(timeout=5)
    wakeups = getattr(futures_process, "_threads_wakeups", None)
    if wakeups is not None:
        wakeups.pop(thread, None)


def headline_half_width(table: RunTable, scenario: Scenario) -> float:
    """Half-width of the 95% Wilson interval of the headline outcome by the horizon."""
    hits = int(np.sum(~np.isnan(table.outcome_days[:, 0])))
    lo, hi = wilson_interval(hits, len(table))
    return float(hi - lo) / 2


def run_adaptive(
    scenario: Scenario,
    seed: int,
    precision: float,
    workers: int = 1,
    first: int = 500,
    max_reps: int = 200_000,
    progress: Progress | None = None,
    engine: str = "simpy",
) -> RunTable:
    """Add replications in batches until the headline probability's 95%
    interval is no wider than +-precision (or max_reps is reached).

    Deterministic for a seed: batch sizes follow from the results so far,
    which depend only on the seed. The next batch aims at the size the
    current estimate says is needed, rounded up to whole chunks.
    """
    if not 0 < precision < 0.5:
        raise ValueError("precision must be between 0 and 0.5")
    table = run_table(scenario, seed, range(first), workers, progress=progress, engine=engine)
    while headline_half_width(table, scenario) > precision and len(table) < max_reps:
        p = float(np.mean(~np.isnan(table.outcome_days[:, 0])))
        p = min(max(p, 1.0 / len(table)), 1 - 1.0 / len(table))
        needed = math.ceil(1.96**2 * p * (1 - p) / precision**2 * 1.05)
        extra = max(needed - len(table), MIN_CHUNK * max(workers, 1))
        extra = min(math.ceil(extra / MIN_CHUNK) * MIN_CHUNK, max_reps - len(table))
        more = run_table(
            scenario,
            seed,
            range(len(table), len(table) + extra),
            workers,
            progress=progress,
            engine=engine,
        )
        table = RunTable.concat([table, more])
    return table
