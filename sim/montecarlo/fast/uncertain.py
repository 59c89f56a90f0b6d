"""Uncertain parameters on the fast engine: each replication's drawn values as
numbers written over known offsets of the kernel's float array.

The draws are `sim.montecarlo.parameters.Parameters.draw` itself (keyed
uniforms and inverse CDFs, defined once), with replication r taking draw
r // reps_per_draw as `simulate_drawn` does. What the kernel reads is not
the drawn value but what the SimPy engine derives from it when
`Parameters.apply` rebuilds its specs: a kernel's coefficient b / d and
inverse decay 1 / d (and, with history, the excitation the past leaves at
day 0 under that decay), a delay law's two parameters by
`sim.engine.delays.delay_law`. Each is computed here by the SimPy engine's own
expression on the same doubles, so both engines run on identical numbers;
`slots` says where each column goes in the packed array (`compile.pack`).

Derived numbers are computed once per distinct draw, so the nested design's
M replications per draw share the work. The draws' root bits are computed
for a whole chunk at once (`sim.montecarlo.fast.roots`): a numpy generator
per draw cost about 30 us, half the kernel's time per flagship replication.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from types import SimpleNamespace
from typing import NamedTuple, cast

import numpy as np

from sim.engine import CompiledModel
from sim.engine.delays import delay_law
from sim.engine.hawkes import Kernel
from sim.montecarlo.fast.compile import HEADER
from sim.montecarlo.fast.roots import root_bits
from sim.montecarlo.parameters import ROOT_COMPONENT, Parameters, _keyed
from sim.montecarlo.remembered import RememberedArrays
from sim.scenario.schema import Delay


class Drawn(NamedTuple):
    """A chunk's parameters, ready for the kernel."""

    structure: CompiledModel
    """The model the kernel is compiled from: every uncertain kernel present
    (one whose written branching is 0 is dropped by `compile_model` but added
    back by `Parameters.apply`, and it still wakes its stream)."""
    values: np.ndarray
    """(replications, parameters): the RunTable's `parameters` columns."""
    slots: Sequence[tuple[str, int]]
    """Per kernel column: (packed float array's field, index in it)."""
    columns: np.ndarray
    """(replications, slots): the numbers the kernel writes before each replication."""


AS_WRITTEN = {
    "rate": "stream_rate",
    "probability": "rule_probability",
    "cooldown": "rule_cooldown",
    "hazard": "rule_hazard",
}
"""Parameter kinds the kernel reads as drawn, and the packed field of each."""


def draw_parameters(
    model: CompiledModel, seed: int, reps: Sequence[int], reps_per_draw: int = 1
) -> Drawn:
    """Replications `reps`' parameter values and the kernel numbers they give."""
    params = Parameters.of(model)
    draws = np.asarray([r // reps_per_draw for r in reps], dtype=np.int64)
    unique, inverse = np.unique(draws, return_inverse=True)
    distinct = _draw(params, seed, unique.tolist())
    structure = params.apply(distinct[0])
    slots, derived = _derived(params, structure, distinct)
    return Drawn(structure, distinct[inverse], slots, derived[inverse])


def _draw(params: Parameters, seed: int, draws: list[int]) -> np.ndarray:
    """`params.draw(seed, draws)`, with the per-draw root generators' bits
    computed for all draws at once (`roots.root_bits`, the same bits) instead of
    building a numpy generator per draw, then keyed and inverted as
    `Parameters.uniforms` and `Parameters.values` do."""
    if not draws or max(draws) >= 2**32:
        return params.draw(seed, draws)
    return params.values(remembered_uniforms(seed, tuple(params.inputs), draws))


_UNIFORMS = RememberedArrays(4 * 2**20)
"""Parameter uniforms remembered per process, oldest dropped first."""


def remembered_uniforms(seed: int, inputs: tuple[str, ...], draws: list[int]) -> np.ndarray:
    """(draws, inputs) keyed uniforms, remembered: a calibration's candidates
    (and a posterior's thousands) run the same seed and replications, so they
    draw the very same uniforms every time, and computing them was a third of
    a fast candidate's cost outside the kernel. A pure function of its
    arguments, so remembering it cannot change a result (`quantiles` does the
    same for the inverse CDFs)."""
    index = np.asarray(draws, dtype=np.int64)
    key = (seed, inputs, hashlib.blake2b(index.tobytes(), digest_size=16).digest())
    found = _UNIFORMS.get(key)
    if found is not None:
        return found
    roots = root_bits(seed, draws, ROOT_COMPONENT)
    found = np.column_stack([_keyed(roots, k) for k in inputs]).reshape(len(draws), len(inputs))
    return _UNIFORMS.keep(key, found)


def slot_offsets(mi: np.ndarray, slots: Sequence[tuple[str, int]]) -> np.ndarray:
    """Each slot's offset in the packed float array `mf` (`compile.pack`'s header)."""
    return np.array([mi[HEADER[name]] + index for name, index in slots], dtype=np.int64)


def _derived(
    params: Parameters, structure: CompiledModel, rows: np.ndarray
) -> tuple[list[tuple[str, int]], np.ndarray]:
    """The slots the parameters touch and their values for each row of `rows`,
    by the expressions `Parameters.apply` and the SimPy engine's specs use."""
    n = rows.shape[0]
    kernel_flat: dict[tuple[int, int], int] = {}
    for s, stream in enumerate(structure.streams):
        for source, _, _ in stream.kernels:
            kernel_flat[(s, source)] = len(kernel_flat)
    action_flat = np.cumsum([0] + [len(r.actions) for r in structure.rules])
    columns: dict[tuple[str, int], np.ndarray] = {}
    kernels: dict[tuple[int, int], dict[int, np.ndarray]] = {}
    delays: dict[int, dict[str, np.ndarray]] = {}
    columns.update(_regime_columns(params, structure, rows))
    for col, target in enumerate(params.targets):
        value = rows[:, col]
        if target.kind in AS_WRITTEN:
            columns[(AS_WRITTEN[target.kind], target.index)] = value
        elif target.kind == "kernel":
            kernels.setdefault((target.index, int(target.key)), {})[target.position] = value
        elif target.kind == "delay":
            delays.setdefault(target.index, {})[str(target.key)] = value
        elif target.kind == "scale":
            j = int(action_flat[target.index]) + int(target.key)
            name = "action_factor" if target.position == 1 else "action_days"
            columns[(name, j)] = value
        elif target.kind == "decay":
            columns[("f_decay_days", 0)] = value
    for (s, source), changed in kernels.items():
        columns.update(_kernel_columns(structure, s, source, changed, kernel_flat, n))
    for r, update in delays.items():
        law = list(structure.scenario.rules.values())[r].delay
        assert law is not None  # only a written delay law has uncertain parameters
        ab = _law_columns(law, update, n)
        columns[("rule_delay_a", r)] = ab[:, 0]
        columns[("rule_delay_b", r)] = ab[:, 1]
    slots = list(columns)
    return slots, np.column_stack([columns[s] for s in slots]).reshape(n, len(slots))


def _regime_columns(
    params: Parameters, structure: CompiledModel, rows: np.ndarray
) -> dict[tuple[str, int], np.ndarray]:
    """The slots of the regimes' uncertain numbers (`Target` kind "regime"):
    onset hazard and probability, stream and rule factors (flattened as
    `compile` flattens them), and the two kernel parameters of an onset delay
    or a duration law with drawn fields."""
    flat = {
        "stream": np.cumsum([0] + [len(g.stream_factors) for g in structure.regimes]).tolist(),
        "rule": np.cumsum([0] + [len(g.rule_factors) for g in structure.regimes]).tolist(),
    }
    columns: dict[tuple[str, int], np.ndarray] = {}
    laws: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    for col, target in enumerate(params.targets):
        key, value = str(target.key), rows[:, col]
        if target.kind != "regime":
            continue
        if key in ("hazard", "probability"):
            columns[(f"regime_{key}", target.index)] = value
        elif key in ("stream", "rule"):
            columns[(f"r{key}_factor", flat[key][target.index] + target.position)] = value
        else:  # "delay.<name>" or "duration.<name>"
            law, name = key.split(".")
            laws.setdefault((target.index, law), {})[name] = value
    regimes = list(structure.scenario.regimes.values())
    for (g, which), update in laws.items():
        written = regimes[g].onset.delay if which == "delay" else regimes[g].duration
        assert written is not None  # only a written law has uncertain parameters
        ab = _law_columns(written, update, rows.shape[0])
        columns[(f"regime_{which}_a", g)] = ab[:, 0]
        columns[(f"regime_{which}_b", g)] = ab[:, 1]
    return columns


def _law_columns(law: Delay, update: dict[str, np.ndarray], n: int) -> np.ndarray:
    """(n, 2): a delay law's two kernel parameters (`delay_law`) with some of
    its written fields replaced by drawn values."""
    written = dict(law)
    per_name = [v.tolist() for v in update.values()]
    drawn = [dict(zip(update, row, strict=True)) for row in zip(*per_name, strict=True)]
    return np.array([delay_law(_with(written, d))[1:] for d in drawn]).reshape(n, 2)


def _kernel_columns(
    structure: CompiledModel,
    s: int,
    source: int,
    changed: dict[int, np.ndarray],
    kernel_flat: dict[tuple[int, int], int],
    n: int,
) -> dict[tuple[str, int], np.ndarray]:
    """A kernel's coefficient, inverse decay, the stream's own jump (its own
    kernel's coefficient, as `sum(k.coef for own kernels)` gives) and the
    history's excitation at day 0, from drawn branching and/or decay."""
    k = kernel_flat[(s, source)]
    _, nominal_b, nominal_d = next(x for x in structure.streams[s].kernels if x[0] == source)
    branching = changed.get(1, np.full(n, nominal_b))
    decay = changed.get(2, np.full(n, nominal_d))
    out = {("kernel_coef", k): branching / decay}  # IEEE division: Kernel's own bits
    if source == structure.streams[s].event:
        out[("stream_own_jump", s)] = out[("kernel_coef", k)]
    if 2 in changed:
        out[("kernel_inv_decay", k)] = 1.0 / decay
        past = structure.history[source] if structure.history else ()
        if past:
            totals = np.empty(n)
            for i, d in enumerate(decay.tolist()):
                kernel = Kernel(source, 0.0, d)
                kernel.add_history(past, structure.history_totals)
                totals[i] = kernel.total
            out[("kernel_total0", k)] = totals
    return out


def _with(written: dict[str, object], update: dict[str, float]) -> Delay:
    """A delay law's fields `written` with some replaced, as
    `law.model_copy(update=...)` gives them to `delay_law` (which only reads
    the attributes), without pydantic's copy per replication."""
    return cast(Delay, SimpleNamespace(**{**written, **update}))
