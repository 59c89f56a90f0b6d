"""Where replications run: serially, on a process pool or on Dask, with
bit-identical results; and clear refusals of executor options that cannot
work (both --dask and --scheduler, an unknown --dask, an unreachable
scheduler), before anything is written."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import UsageError
from sim.montecarlo.executors import CONNECT_TIMEOUT_S, executor_for
from sim.montecarlo.runner import RunTable, run_table
from sim.scenario import load_scenario
from sim.writers.sweep import run_sweep
from tests.conftest import SCENARIOS, files_under, flat
from tests.sweep import copy_poisson, invoke, write_sweep

distributed = pytest.importorskip("distributed")

# --- identical results on every executor -------------------------------------------


pytestmark = pytest.mark.slow  # process pools and Dask clusters: seconds each


@pytest.fixture(scope="module")
def sweep_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """One Latin-hypercube sweep (10 points x 700 replications: two chunks a
    point, finishing in any order on a pool) run serially, on a process pool
    and on a local Dask cluster (started once, here)."""
    folder = tmp_path_factory.mktemp("executors")
    copy_poisson(folder)
    file = write_sweep(
        folder,
        "parameters:\n"
        "  streams.attack.rate: {low: 0.05, high: 0.3, log: true}\n"
        "  horizon_days: {low: 50, high: 100}\n"
        "design: lhs\nsamples: 10\nreplications: 700\nseed: 11\n",
    )
    runs = {
        "serial": {"workers": 1},
        "process-pool": {"workers": 2},
        "dask-local": {"workers": 2, "dask": "local"},
    }
    return {
        name: run_sweep(file, folder / name, **options).table  # type: ignore[arg-type]
        for name, options in runs.items()
    }


@pytest.mark.parametrize("executor", ["process-pool", "dask-local"])
def test_sweep_tables_identical_across_executors(sweep_tables, executor: str):
    assert len(sweep_tables["serial"]) == 10
    assert list(sweep_tables["serial"]["point"]) == list(range(10))
    pd.testing.assert_frame_equal(sweep_tables[executor], sweep_tables["serial"])


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[Executor]:
    with executor_for(2, dask="local") as executor:
        assert executor is not None
        yield executor


def assert_same_runs(a: RunTable, b: RunTable) -> None:
    for field in RunTable.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_run_table_on_dask_equals_serial(dask_executor: Executor):
    scenario = load_scenario(SCENARIOS / "reference" / "rule_response.yaml")
    serial = run_table(scenario, 5, range(450), workers=1)
    on_dask = run_table(scenario, 5, range(450), workers=2, executor=dask_executor)
    assert len(on_dask) == 450
    assert list(on_dask.reps) == list(range(450))
    assert_same_runs(on_dask, serial)


def test_executor_for_picks_the_executor():
    with executor_for(1) as none:
        assert none is None
    with executor_for(2) as pool:
        assert isinstance(pool, ProcessPoolExecutor)


# --- refusals ----------------------------------------------------------------------


def test_dask_and_scheduler_together_are_refused():
    with (
        pytest.raises(UsageError, match="either --scheduler or --dask, not both"),
        executor_for(2, dask="local", scheduler="tcp://127.0.0.1:9"),
    ):
        pass


def test_unknown_dask_mode_is_refused():
    with pytest.raises(UsageError, match="--dask takes 'local'"), executor_for(2, dask="remote"):
        pass


@pytest.fixture
def small_sweep(project: Path) -> Path:
    copy_poisson(project)
    return write_sweep(
        project,
        "parameters:\n  streams.attack.rate: [0.1, 0.2]\ndesign: grid\nreplications: 10\n",
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--dask", "remote"], "--dask takes 'local'"),
        (["--dask", "local", "--scheduler", "tcp://127.0.0.1:9"], "not both"),
    ],
    ids=["unknown-dask", "dask-and-scheduler"],
)
def test_cli_refuses_bad_executor_options(small_sweep: Path, project: Path, options, message):
    before = files_under(project)
    result = invoke("sweep", small_sweep.name, *options, "--no-progress")
    assert result.exit_code == 2, result.output
    assert message in flat(result.stderr)
    assert files_under(project) == before
    assert not (project / "results").exists()


@pytest.mark.slow
def test_unreachable_scheduler_is_refused_quickly(small_sweep: Path, project: Path):
    """Nothing listens on port 9 (discard): the connection fails, and after the
    connect timeout the sweep is refused before its folder is made."""
    before = files_under(project)
    started = time.monotonic()
    result = invoke("sweep", small_sweep.name, "--scheduler", "tcp://127.0.0.1:9", "--out", "out")
    elapsed = time.monotonic() - started
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = flat(result.stderr)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in message
    assert f"within {CONNECT_TIMEOUT_S} s" in message
    assert elapsed < 2 * CONNECT_TIMEOUT_S, f"took {elapsed:.1f} s"
    assert files_under(project) == before
    assert not (project / "out").exists()
