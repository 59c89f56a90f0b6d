"""Run a chunk of replications on the compiled kernel; the SimPy engine's RunTable.

The scenario is compiled to arrays once (`FastModel`, packed by `pack`); lane
keys depend on the seed and are computed per call. Working arrays start small
and double when a replication outgrows them; rows already finished are kept
(a replication depends only on its index, so repeating one cannot change it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.engine import CompiledModel
from sim.montecarlo.fast.compile import fast_model, lane_keys, pack
from sim.montecarlo.fast.kernel import new_state, run_replications
from sim.montecarlo.fast.uncertain import draw_parameters, slot_offsets

if TYPE_CHECKING:
    from sim.montecarlo.table import RunTable

QUEUE, OCCURRENCES, CHANGES, FACTORS = 256, 1024, 256, 16


def run_fast_chunk(
    compiled: CompiledModel, seed: int, reps: Sequence[int], reps_per_draw: int = 1
) -> RunTable:
    """Replications `reps` of `seed`, identical to the SimPy engine's rows; with
    uncertain parameters, replication r takes parameter draw r // reps_per_draw
    (`sim.montecarlo.parameters.simulate_drawn`: 1 is the ordinary run, more
    the nested design of `sim.experiments.uncertainty`)."""
    from sim.montecarlo.table import RunTable

    scenario = compiled.scenario
    indices = np.asarray(list(reps), dtype=np.int64)
    if scenario.uncertain:
        drawn = draw_parameters(compiled, seed, indices.tolist(), reps_per_draw)
        model = fast_model(scenario, drawn.structure)
        mi, mf = pack(model)
        slots, columns, parameters = slot_offsets(mi, drawn.slots), drawn.columns, drawn.values
    else:
        model = fast_model(scenario, compiled)
        mi, mf = pack(model)
        slots = np.zeros(0, dtype=np.int64)
        columns = parameters = np.empty((indices.size, 0))
    keys = lane_keys(scenario, seed)
    if keys.shape[0] == 0:
        keys = np.zeros((1, 2), dtype=np.uint64)
    n, n_events = indices.size, model.event_rung.size
    outcome_days = np.full((n, model.n_outcomes), np.nan)
    counts = np.zeros((n, n_events), dtype=np.int64)
    max_level = np.zeros(n, dtype=np.int16)
    final_level = np.zeros(n, dtype=np.int16)
    level_by_day = np.zeros((n, model.day_grid.size), dtype=np.int8)
    monthly = np.zeros((n, n_events, model.month_edges.size - 1), dtype=np.int32)
    windows = np.zeros((n, model.window_event.size), dtype=np.int32)
    events = np.zeros(n, dtype=np.int64)
    sizes = [QUEUE, OCCURRENCES, CHANGES, FACTORS]
    done = 0
    while done < n:
        state = new_state(mi, *sizes)
        done += run_replications(
            mi,
            mf,
            *state,
            keys,
            indices[done:],
            slots,
            columns[done:],
            outcome_days[done:],
            counts[done:],
            max_level[done:],
            final_level[done:],
            level_by_day[done:],
            monthly[done:],
            windows[done:],
            events[done:],
        )
        sizes = [2 * size for size in sizes]
    return RunTable(
        reps=indices,
        outcome_days=outcome_days,
        counts=counts,
        max_level=max_level,
        final_level=final_level,
        level_by_day=level_by_day,
        monthly_counts=monthly,
        window_counts=windows,
        simpy_events=events,
        parameters=parameters,
    )


def warm_up() -> None:
    """Compile the kernel (or load it from numba's disk cache) on a one-stream
    scenario: every scenario uses the same compiled code (one type signature)."""
    from sim.engine import compile_model
    from sim.scenario.loader import validate_document
    from sim.scenario.yamlmap import Located

    document = {
        "name": "warm-up",
        "start_date": "2024-01-01",
        "horizon_days": 10,
        "actors": {"a": {"name": "A", "kind": "other"}},
        "ladder": ["calm", "event"],
        "events": {"e": {"actor": "a", "rung": 1}},
        "streams": {"e": {"rate": 1.0, "assumption": "warm-up"}},
        "outcomes": {"any": {"level_at_least": 1}},
    }
    scenario = validate_document(Located(document), "<warm-up>", None)
    run_fast_chunk(compile_model(scenario), 0, [0])
