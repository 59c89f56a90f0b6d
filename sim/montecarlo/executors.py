"""Where replications run: in-process, a local process pool, or Dask.

All three give the same results because a chunk's result depends only on its
(scenario, seed, replication indices). Dask is an optional extra
(`pip install escalation-sim[distributed]`); its client offers the standard
`concurrent.futures.Executor` interface, so the runners need no Dask code.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from concurrent.futures import Executor
from types import ModuleType

from sim.errors import UsageError
from sim.montecarlo.runner import process_pool, stopping_on_interrupt

CONNECT_TIMEOUT_S = 5


def _dask() -> ModuleType:  # the optional module, imported on demand
    try:
        import distributed
    except ImportError as exc:
        raise UsageError(
            "Dask is not installed; install the extra: pip install 'escalation-sim[distributed]'"
        ) from exc
    return distributed


@contextlib.contextmanager
def executor_for(
    workers: int, dask: str | None = None, scheduler: str | None = None
) -> Iterator[Executor | None]:
    """An executor for `workers` processes, a local Dask cluster (`dask="local"`)
    or an existing Dask scheduler (`scheduler="tcp://host:port"`); None means
    run in this process."""
    if scheduler and dask:
        raise UsageError("give either --scheduler or --dask, not both")
    if dask not in (None, "local"):
        raise UsageError(f"--dask takes 'local' (or use --scheduler ADDRESS), not {dask!r}")
    if scheduler:
        distributed = _dask()
        try:
            client = distributed.Client(
                scheduler, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False
            )
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(
                f"cannot reach the Dask scheduler at {scheduler} within "
                f"{CONNECT_TIMEOUT_S} s: {exc}"
            ) from None
        with client:
            yield client.get_executor()
    elif dask == "local":
        distributed = _dask()
        with (
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as c,
            distributed.Client(c, set_as_default=False) as client,
        ):
            yield client.get_executor()
    elif workers > 1:
        with stopping_on_interrupt(process_pool(workers)) as pool:
            yield pool
    else:
        yield None


def executor_name(workers: int, dask: str | None = None, scheduler: str | None = None) -> str:
    """How a run was executed, for manifests."""
    if scheduler:
        return f"dask scheduler {scheduler}"
    if dask:
        return f"dask local cluster, {workers} workers"
    return f"process pool, {workers} workers" if workers > 1 else "serial"
