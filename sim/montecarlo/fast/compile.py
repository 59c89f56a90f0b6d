"""A scenario as flat numpy arrays, the form the compiled kernel reads.

Built from the SimPy engine's own `CompiledModel` (the same kernels, the same
precomputed coefficients, the same delay parameters), so both engines start
from identical floating-point numbers. Variable-length parts (a stream's
kernels, an event's triggered rules, a rule's conditions and actions) are
flattened with `lo`/`hi` offset arrays.

History (docs/MODEL.md, History) is compiled as the SimPy engine holds it:
past occurrence times per event type (kept before the simulated ones in the
kernel's occurrence array, where `count` conditions see them and summaries
skip them), each kernel's decayed excitation at day 0 (summed by
`sim.engine.hawkes.Kernel.add_history` itself, so the same bits) and each
rule's last firing before day 0. Hazard rules and regimes are compiled in
the order `sim.engine.world.World._add_hazards` gives them (hazard rules,
then regimes with an onset hazard), their conditions in a table of their
own: a hazard tests a condition as `sim.engine.conditions.ConditionSpec`
does, which can differ from a lottery rule's `if` at a window's edge.
Uncertain parameters are per-replication values written over known offsets
of the packed float array (`sim.montecarlo.fast.uncertain`). A scenario
part the kernel does not implement is refused by `sim.montecarlo.fast.select`,
never ignored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from sim.engine.conditions import ConditionSpec
from sim.engine.delays import delay_law
from sim.engine.hawkes import Kernel
from sim.engine.model import CompiledModel, RuleSpec, compile_model
from sim.montecarlo.grid import Layout, make_layout
from sim.rng import lane_key
from sim.scenario.schema import Scenario


class FastModel(NamedTuple):
    """Everything the kernel needs, as arrays (a numba-friendly named tuple)."""

    horizon: float
    initial_level: int
    decay_days: float
    """NaN when the ladder does not decay."""
    event_rung: np.ndarray
    """(events,) rung an occurrence raises the level to, -1 for none."""
    # Streams, and their exponential kernels flattened.
    stream_event: np.ndarray
    stream_rate: np.ndarray
    stream_start: np.ndarray
    stream_end: np.ndarray
    stream_cap: np.ndarray
    """max_events, -1 for none."""
    stream_own_jump: np.ndarray
    """Sum of the coefficients of the stream's kernels on its own event."""
    stream_kernel_lo: np.ndarray
    stream_kernel_hi: np.ndarray
    kernel_source: np.ndarray
    kernel_coef: np.ndarray
    kernel_inv_decay: np.ndarray
    kernel_total0: np.ndarray
    """Decayed excitation the history leaves at day 0 (0 without history)."""
    # History: past occurrence times per event type, flattened.
    history_lo: np.ndarray
    history_len: np.ndarray
    history_times: np.ndarray
    # Per event: the (stream, kernel) pairs it excites and the rules it triggers.
    excite_lo: np.ndarray
    excite_hi: np.ndarray
    excite_stream: np.ndarray
    excite_kernel: np.ndarray
    trigger_lo: np.ndarray
    trigger_hi: np.ndarray
    trigger_rule: np.ndarray
    # Rules.
    rule_probability: np.ndarray
    rule_delay_law: np.ndarray
    rule_delay_a: np.ndarray
    rule_delay_b: np.ndarray
    rule_cooldown: np.ndarray
    rule_fired0: np.ndarray
    """Last firing before day 0 (-inf if none)."""
    rule_recheck: np.ndarray
    rule_max_pending: np.ndarray
    """-1 for unlimited."""
    rule_has_check: np.ndarray
    rule_after: np.ndarray
    """NaN for none (as rule_before)."""
    rule_before: np.ndarray
    rule_level_min: np.ndarray
    """-1 for none (as rule_level_max)."""
    rule_level_max: np.ndarray
    rule_count_lo: np.ndarray
    rule_count_hi: np.ndarray
    count_event: np.ndarray
    count_within: np.ndarray
    count_at_least: np.ndarray
    count_start0: np.ndarray
    """Past occurrences at or before -within_days: never inside the window
    (t - within, t] for t >= 0, so the condition's pointer starts past them."""
    rule_total_lo: np.ndarray
    rule_total_hi: np.ndarray
    total_event: np.ndarray
    total_at_least: np.ndarray
    rule_action_lo: np.ndarray
    rule_action_hi: np.ndarray
    action_kind: np.ndarray
    """0 emit (action_target: event), 1 scale (stream), 2 set_level (level)."""
    action_target: np.ndarray
    action_factor: np.ndarray
    action_days: np.ndarray
    # Outcomes.
    n_outcomes: int
    level_outcome_threshold: np.ndarray
    """Ascending, with level_outcome_index beside it."""
    level_outcome_index: np.ndarray
    event_outcome_lo: np.ndarray
    event_outcome_hi: np.ndarray
    event_outcome_index: np.ndarray
    event_outcome_count: np.ndarray
    # The summary grids (sim.montecarlo.grid).
    day_grid: np.ndarray
    month_edges: np.ndarray
    window_event: np.ndarray
    window_lo: np.ndarray
    window_hi: np.ndarray
    # Hazards (sim/engine/hazards.py): the hazard rules in rule order, then the
    # regimes with an onset hazard in regime order, as `World.hazards` lists them.
    rule_hazard: np.ndarray
    """Decisions per day of a hazard rule (NaN for a lottery rule)."""
    rule_hazard_index: np.ndarray
    """The rule's hazard index, -1 for a lottery rule."""
    hazard_kind: np.ndarray
    """HAZARD_RULE or HAZARD_REGIME."""
    hazard_target: np.ndarray
    """The rule or regime index."""
    hazard_condition: np.ndarray
    """Index of the condition it runs under (a rule's `if`, a regime's `while`)."""
    hazard_lane: np.ndarray
    """The lane of its unit exponentials (a rule's lane 0, a regime's lane 0)."""
    # Conditions as sim.engine.conditions.ConditionSpec evaluates them.
    cond_after: np.ndarray
    """NaN for none (as cond_before)."""
    cond_before: np.ndarray
    cond_level_min: np.ndarray
    """-1 for none (as cond_level_max)."""
    cond_level_max: np.ndarray
    cond_count_lo: np.ndarray
    cond_count_hi: np.ndarray
    ccount_event: np.ndarray
    ccount_within: np.ndarray
    ccount_at_least: np.ndarray
    cond_total_lo: np.ndarray
    cond_total_hi: np.ndarray
    ctotal_event: np.ndarray
    ctotal_at_least: np.ndarray
    # Regimes (sim/engine/regimes.py).
    regime_hazard: np.ndarray
    """Onsets per day (NaN: no onset hazard)."""
    regime_if: np.ndarray
    """Condition index of the trigger's `if`."""
    regime_probability: np.ndarray
    regime_delay_law: np.ndarray
    regime_delay_a: np.ndarray
    regime_delay_b: np.ndarray
    regime_duration_law: np.ndarray
    """-1: no duration (on to the horizon)."""
    regime_duration_a: np.ndarray
    regime_duration_b: np.ndarray
    regime_stream_lo: np.ndarray
    regime_stream_hi: np.ndarray
    rstream_stream: np.ndarray
    rstream_factor: np.ndarray
    regime_rule_lo: np.ndarray
    regime_rule_hi: np.ndarray
    rrule_rule: np.ndarray
    rrule_factor: np.ndarray
    regime_outcome_lo: np.ndarray
    regime_outcome_hi: np.ndarray
    routcome_index: np.ndarray
    event_regime_lo: np.ndarray
    event_regime_hi: np.ndarray
    event_regime: np.ndarray
    """Per event: the regimes it triggers (`onset.on`)."""
    event_hazard_dep: np.ndarray
    """(events x hazards, flattened): 1 where the hazard's condition reads the
    event (a `count` or `total` of it)."""


EMIT, SCALE, SET_LEVEL = 0, 1, 2
HAZARD_RULE, HAZARD_REGIME = 0, 1
REGIME_LANES = 4
"""A regime's lanes: 0 onset exponentials, 1 onset delay, 2 duration, 3 lottery."""


def _flatten(
    groups: list[list[tuple[Any, ...]]], width: int
) -> tuple[np.ndarray, np.ndarray, list[list[Any]]]:
    """Offsets (lo, hi) per group and the concatenated columns."""
    lo: list[int] = []
    hi: list[int] = []
    columns: list[list[Any]] = [[] for _ in range(width)]
    for group in groups:
        lo.append(len(columns[0]))
        for row in group:
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        hi.append(len(columns[0]))
    return np.array(lo, dtype=np.int64), np.array(hi, dtype=np.int64), columns


def _i(values: Sequence[int]) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _f(values: Sequence[float]) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def fast_model(scenario: Scenario, model: CompiledModel | None = None) -> FastModel:
    """Compile a scenario (or reuse its SimPy `CompiledModel`) to kernel arrays."""
    m = model or compile_model(scenario)
    layout: Layout = make_layout(scenario)
    n_events = len(m.events)
    event_index = {name: i for i, name in enumerate(m.events)}

    past = m.history or tuple(() for _ in range(n_events))
    kernels: list[list[tuple[Any, ...]]] = []
    excites: list[list[tuple[Any, ...]]] = [[] for _ in range(n_events)]
    flat = 0
    for s, stream in enumerate(m.streams):
        group: list[tuple[Any, ...]] = []
        for source, branching, decay in stream.kernels:
            # sim.engine.hawkes.Kernel's own arithmetic: the same bits.
            kernel = Kernel(source, branching, decay)
            kernel.add_history(past[source], m.history_totals)
            group.append((source, kernel.coef, kernel.inv_decay, kernel.total))
            excites[source].append((s, flat))
            flat += 1
        kernels.append(group)
    kernel_lo, kernel_hi, (k_source, k_coef, k_inv, k_total0) = _flatten(kernels, 4)
    history_lo = np.cumsum([0] + [len(h) for h in past[:-1]], dtype=np.int64)
    history_times = _f([u for h in past for u in h])
    excite_lo, excite_hi, (x_stream, x_kernel) = _flatten(excites, 2)

    triggers: list[list[tuple[Any, ...]]] = [[] for _ in range(n_events)]
    for r, rule in enumerate(m.rules):
        for event in rule.on:
            triggers[event].append((r,))
    trigger_lo, trigger_hi, (t_rule,) = _flatten(triggers, 1)

    laws = [delay_law(r.delay) for r in scenario.rules.values()]
    count_lo, count_hi, (c_event, c_within, c_at_least) = _flatten(
        [list(r.counts) for r in m.rules], 3
    )
    c_start0 = [
        int(np.searchsorted(np.asarray(past[e], dtype=np.float64), -w, side="right"))
        for e, w in zip(c_event, c_within, strict=True)
    ]
    total_lo, total_hi, (tot_event, tot_at_least) = _flatten([list(r.totals) for r in m.rules], 2)
    actions: list[list[tuple[Any, ...]]] = []
    for rule in m.rules:
        group = []
        for a in rule.actions:
            if a.emit is not None:
                group.append((EMIT, a.emit, 0.0, 0.0))
            elif a.scale is not None:
                group.append((SCALE, a.scale[0], float(a.scale[1]), float(a.scale[2])))
            else:
                group.append((SET_LEVEL, a.set_level, 0.0, 0.0))
        actions.append(group)
    action_lo, action_hi, (a_kind, a_target, a_factor, a_days) = _flatten(actions, 4)

    outcome_lo, outcome_hi, (o_index, o_count) = _flatten([list(x) for x in m.event_outcomes], 2)

    def has_check(r: RuleSpec) -> bool:  # as sim.engine.rules.condition_check returning None
        return not (
            r.level_at_least is None
            and r.level_at_most is None
            and not r.counts
            and not r.totals
            and r.after_day is None
            and r.before_day is None
        )

    hazards = _hazard_arrays(scenario, m, n_events)
    return FastModel(
        **hazards,
        horizon=float(m.horizon),
        initial_level=int(m.initial_level),
        decay_days=float(m.decay_days) if m.decay_days is not None else math.nan,
        event_rung=_i([-1 if r is None else r for r in m.rungs]),
        stream_event=_i([s.event for s in m.streams]),
        stream_rate=_f([s.rate for s in m.streams]),
        stream_start=_f([s.start for s in m.streams]),
        stream_end=_f([s.end for s in m.streams]),
        stream_cap=_i([-1 if s.max_events is None else s.max_events for s in m.streams]),
        stream_own_jump=_f(
            [sum(b / d for src, b, d in s.kernels if src == s.event) for s in m.streams]
        ),
        stream_kernel_lo=kernel_lo,
        stream_kernel_hi=kernel_hi,
        kernel_source=_i(k_source),
        kernel_coef=_f(k_coef),
        kernel_inv_decay=_f(k_inv),
        kernel_total0=_f(k_total0),
        history_lo=history_lo,
        history_len=_i([len(h) for h in past]),
        history_times=history_times,
        excite_lo=excite_lo,
        excite_hi=excite_hi,
        excite_stream=_i(x_stream),
        excite_kernel=_i(x_kernel),
        trigger_lo=trigger_lo,
        trigger_hi=trigger_hi,
        trigger_rule=_i(t_rule),
        rule_probability=_f([r.probability for r in m.rules]),
        rule_delay_law=_i([law for law, _, _ in laws]),
        rule_delay_a=_f([a for _, a, _ in laws]),
        rule_delay_b=_f([b for _, _, b in laws]),
        rule_cooldown=_f([r.cooldown for r in m.rules]),
        rule_fired0=_f(list(m.fired) if m.fired else [-math.inf] * len(m.rules)),
        rule_recheck=np.array([r.recheck for r in m.rules], dtype=np.bool_),
        rule_max_pending=_i([-1 if r.max_pending is None else r.max_pending for r in m.rules]),
        rule_has_check=np.array([has_check(r) for r in m.rules], dtype=np.bool_),
        rule_after=_f([math.nan if r.after_day is None else r.after_day for r in m.rules]),
        rule_before=_f([math.nan if r.before_day is None else r.before_day for r in m.rules]),
        rule_level_min=_i([-1 if r.level_at_least is None else r.level_at_least for r in m.rules]),
        rule_level_max=_i([-1 if r.level_at_most is None else r.level_at_most for r in m.rules]),
        rule_count_lo=count_lo,
        rule_count_hi=count_hi,
        count_event=_i(c_event),
        count_within=_f(c_within),
        count_at_least=_i(c_at_least),
        count_start0=_i(c_start0),
        rule_total_lo=total_lo,
        rule_total_hi=total_hi,
        total_event=_i(tot_event),
        total_at_least=_i(tot_at_least),
        rule_action_lo=action_lo,
        rule_action_hi=action_hi,
        action_kind=_i(a_kind),
        action_target=_i(a_target),
        action_factor=_f(a_factor),
        action_days=_f(a_days),
        n_outcomes=len(m.outcomes),
        level_outcome_threshold=_i([t for t, _ in m.level_outcomes]),
        level_outcome_index=_i([o for _, o in m.level_outcomes]),
        event_outcome_lo=outcome_lo,
        event_outcome_hi=outcome_hi,
        event_outcome_index=_i(o_index),
        event_outcome_count=_i(o_count),
        day_grid=np.asarray(layout.day_grid, dtype=np.float64),
        month_edges=np.asarray(layout.month_edges, dtype=np.float64),
        window_event=_i([event_index[e] for e, _, _, _ in layout.windows]),
        window_lo=_f([lo for _, lo, _, _ in layout.windows]),
        window_hi=_f([hi for _, _, hi, _ in layout.windows]),
    )


def _conditions(conditions: list[ConditionSpec]) -> dict[str, np.ndarray]:
    """The `cond_*` arrays of a list of conditions (index = position)."""
    count_lo, count_hi, (c_event, c_within, c_at_least) = _flatten(
        [list(c.counts) for c in conditions], 3
    )
    total_lo, total_hi, (t_event, t_at_least) = _flatten([list(c.totals) for c in conditions], 2)

    def nan_if_none(x: float | None) -> float:
        return math.nan if x is None else x

    def minus_if_none(x: int | None) -> int:
        return -1 if x is None else x

    return {
        "cond_after": _f([nan_if_none(c.after_day) for c in conditions]),
        "cond_before": _f([nan_if_none(c.before_day) for c in conditions]),
        "cond_level_min": _i([minus_if_none(c.level_at_least) for c in conditions]),
        "cond_level_max": _i([minus_if_none(c.level_at_most) for c in conditions]),
        "cond_count_lo": count_lo,
        "cond_count_hi": count_hi,
        "ccount_event": _i(c_event),
        "ccount_within": _f(c_within),
        "ccount_at_least": _i(c_at_least),
        "cond_total_lo": total_lo,
        "cond_total_hi": total_hi,
        "ctotal_event": _i(t_event),
        "ctotal_at_least": _i(t_at_least),
    }


def _hazard_arrays(scenario: Scenario, m: CompiledModel, n_events: int) -> dict[str, np.ndarray]:
    """Hazard rules, regimes and the conditions they run under, as arrays, in
    the order `sim.engine.world.World._add_hazards` builds and refreshes them."""
    n_streams, n_rules = len(m.streams), len(m.rules)
    conditions: list[ConditionSpec] = []
    hazard_rows: list[tuple[int, int, int, int]] = []
    rule_hazard_index = [-1] * n_rules
    for r, rule in enumerate(m.rules):
        if rule.hazard is not None:
            rule_hazard_index[r] = len(hazard_rows)
            hazard_rows.append((HAZARD_RULE, r, len(conditions), 2 * n_streams + 2 * r))
            conditions.append(rule.condition)
    regime_if: list[int] = []
    for g, regime in enumerate(m.regimes):
        if regime.hazard is not None:
            first = 2 * (n_streams + n_rules) + REGIME_LANES * g
            hazard_rows.append((HAZARD_REGIME, g, len(conditions), first))
            conditions.append(regime.while_)
        regime_if.append(len(conditions))
        conditions.append(regime.condition)
    kind, target, condition, lanes = ([row[i] for row in hazard_rows] for i in range(4))
    written = list(scenario.regimes.values())
    delays = [delay_law(w.onset.delay) for w in written]
    durations = [
        delay_law(w.duration) if w.duration is not None else (-1, 0.0, 0.0) for w in written
    ]
    stream_lo, stream_hi, (rs_stream, rs_factor) = _flatten(
        [list(g.stream_factors) for g in m.regimes], 2
    )
    rule_lo, rule_hi, (rr_rule, rr_factor) = _flatten([list(g.rule_factors) for g in m.regimes], 2)
    outcome_lo, outcome_hi, (ro_index,) = _flatten(
        [[(o,) for o in g.outcomes] for g in m.regimes], 1
    )
    triggers: list[list[tuple[Any, ...]]] = [[] for _ in range(n_events)]
    for g, regime in enumerate(m.regimes):
        for event in regime.on:
            triggers[event].append((g,))
    event_lo, event_hi, (e_regime,) = _flatten(triggers, 1)
    reads = np.zeros((n_events, len(hazard_rows)), dtype=np.int64)
    for h, c in enumerate(condition):
        for event in [e for e, _, _ in conditions[c].counts] + [e for e, _ in conditions[c].totals]:
            reads[event, h] = 1
    return {
        "rule_hazard": _f([math.nan if r.hazard is None else r.hazard for r in m.rules]),
        "rule_hazard_index": _i(rule_hazard_index),
        "hazard_kind": _i(kind),
        "hazard_target": _i(target),
        "hazard_condition": _i(condition),
        "hazard_lane": _i(lanes),
        **_conditions(conditions),
        "regime_hazard": _f([math.nan if g.hazard is None else g.hazard for g in m.regimes]),
        "regime_if": _i(regime_if),
        "regime_probability": _f([g.probability for g in m.regimes]),
        "regime_delay_law": _i([law for law, _, _ in delays]),
        "regime_delay_a": _f([a for _, a, _ in delays]),
        "regime_delay_b": _f([b for _, _, b in delays]),
        "regime_duration_law": _i([law for law, _, _ in durations]),
        "regime_duration_a": _f([a for _, a, _ in durations]),
        "regime_duration_b": _f([b for _, _, b in durations]),
        "regime_stream_lo": stream_lo,
        "regime_stream_hi": stream_hi,
        "rstream_stream": _i(rs_stream),
        "rstream_factor": _f(rs_factor),
        "regime_rule_lo": rule_lo,
        "regime_rule_hi": rule_hi,
        "rrule_rule": _i(rr_rule),
        "rrule_factor": _f(rr_factor),
        "regime_outcome_lo": outcome_lo,
        "regime_outcome_hi": outcome_hi,
        "routcome_index": _i(ro_index),
        "event_regime_lo": event_lo,
        "event_regime_hi": event_hi,
        "event_regime": _i(e_regime),
        "event_hazard_dep": reads.reshape(-1),
    }


def lane_keys(scenario: Scenario, seed: int) -> np.ndarray:
    """(lanes, 2) Philox keys: stream s has lanes 2s (candidate waits) and
    2s + 1 (acceptance); rule r, after the streams, lanes 2S + 2r (probability,
    or a hazard rule's exponentials) and 2S + 2r + 1 (delay); regime g, after
    the rules, lanes 2S + 2R + 4g .. + 3 (`sim.engine.regimes`' lanes 0-3):
    the lanes `sim.engine.world` gives them."""
    rows = []
    for ident in scenario.streams:
        rows += [lane_key(seed, f"stream:{ident}", 0), lane_key(seed, f"stream:{ident}", 1)]
    for ident in scenario.rules:
        rows += [lane_key(seed, f"rule:{ident}", 0), lane_key(seed, f"rule:{ident}", 1)]
    for ident in scenario.regimes:
        rows += [lane_key(seed, f"regime:{ident}", lane) for lane in range(REGIME_LANES)]
    return np.array(rows, dtype=np.uint64).reshape(-1, 2)


# The kernel reads the model from two flat arrays (numba passes every array as
# a struct of 7+ words per call, so dozens of small arrays would cost more than
# the simulation itself). `mi` starts with a header: for each field below, the
# offset where it starts (for a scalar: its value), then the fields' data.
INT_ARRAYS = (
    "event_rung",
    "stream_event",
    "stream_cap",
    "stream_kernel_lo",
    "stream_kernel_hi",
    "kernel_source",
    "excite_lo",
    "excite_hi",
    "excite_stream",
    "excite_kernel",
    "trigger_lo",
    "trigger_hi",
    "trigger_rule",
    "rule_delay_law",
    "rule_recheck",
    "rule_max_pending",
    "rule_has_check",
    "rule_level_min",
    "rule_level_max",
    "rule_count_lo",
    "rule_count_hi",
    "count_event",
    "count_at_least",
    "count_start0",
    "history_lo",
    "history_len",
    "rule_total_lo",
    "rule_total_hi",
    "total_event",
    "total_at_least",
    "rule_action_lo",
    "rule_action_hi",
    "action_kind",
    "action_target",
    "level_outcome_threshold",
    "level_outcome_index",
    "event_outcome_lo",
    "event_outcome_hi",
    "event_outcome_index",
    "event_outcome_count",
    "window_event",
    "rule_hazard_index",
    "hazard_kind",
    "hazard_target",
    "hazard_condition",
    "hazard_lane",
    "cond_level_min",
    "cond_level_max",
    "cond_count_lo",
    "cond_count_hi",
    "ccount_event",
    "ccount_at_least",
    "cond_total_lo",
    "cond_total_hi",
    "ctotal_event",
    "ctotal_at_least",
    "regime_if",
    "regime_delay_law",
    "regime_duration_law",
    "regime_stream_lo",
    "regime_stream_hi",
    "rstream_stream",
    "regime_rule_lo",
    "regime_rule_hi",
    "rrule_rule",
    "regime_outcome_lo",
    "regime_outcome_hi",
    "routcome_index",
    "event_regime_lo",
    "event_regime_hi",
    "event_regime",
    "event_hazard_dep",
)
FLOAT_ARRAYS = (
    "stream_rate",
    "stream_start",
    "stream_end",
    "stream_own_jump",
    "kernel_coef",
    "kernel_inv_decay",
    "kernel_total0",
    "history_times",
    "rule_probability",
    "rule_delay_a",
    "rule_delay_b",
    "rule_cooldown",
    "rule_fired0",
    "rule_after",
    "rule_before",
    "count_within",
    "action_factor",
    "action_days",
    "day_grid",
    "month_edges",
    "window_lo",
    "window_hi",
    "rule_hazard",
    "cond_after",
    "cond_before",
    "ccount_within",
    "regime_hazard",
    "regime_probability",
    "regime_delay_a",
    "regime_delay_b",
    "regime_duration_a",
    "regime_duration_b",
    "rstream_factor",
    "rrule_factor",
)
INT_SCALARS = (
    "n_events",
    "n_streams",
    "n_rules",
    "n_outcomes",
    "n_lanes",
    "initial_level",
    "n_level_outcomes",
    "n_windows",
    "history_max",
    "queue_heap_from",
    # State layout: offsets into the kernel's integer state `si` and float state `sf`.
    "si_scalars",
    "si_streams",
    "si_pending",
    "si_counts",
    "si_outcome_done",
    "si_window_start",
    "si_size",
    "sf_scalars",
    "sf_streams",
    "sf_kernel_total",
    "sf_kernel_updated",
    "sf_last_fired",
    "sf_outcome_days",
    "sf_size",
    "f_horizon",
    "f_decay_days",
    "n_hazards",
    "n_regimes",
    "si_hazards",
    "si_regime_on",
    "si_rule_factors",
    "sf_hazards",
    "sf_rule_factor",
)
HEADER = {name: i for i, name in enumerate(INT_ARRAYS + FLOAT_ARRAYS + INT_SCALARS)}
# SEQ, QUEUED, LEVEL, MAX_LEVEL, LADDER_PENDING, N_CHANGES, ACTIVE, OVERFLOW, POPPED, HEAP
SI_SCALARS = 10
SI_PER_STREAM = 6  # GENERATED, INTERRUPTED, ALIVE, TOKEN, PAUSED, N_FACTORS
SF_SCALARS = 2  # NOW, LAST_SUPPORT
SF_PER_STREAM = 2  # BOUND, SCALE
SI_PER_HAZARD = 3  # TOKEN, WAKE_TOKEN (sim.engine.hazards' _token, _wake_token), STALE
SF_PER_HAZARD = 4  # RATE, REMAINING (NaN: not drawn), SINCE, WAKE_AT


HEAP_FROM_QUEUED = 80
"""Queued events from which a replication's event queue becomes a binary
heap; below, it is an array kept sorted (`sim.montecarlo.fast.kernel`).
Inserting into the sorted array moves the rows due before the new event:
usually none or one, but as many as are queued when the new event is the
latest (a long rule delay), so a heap's O(log n) outruns it on long queues:
between 60 streams, each keeping about one event queued (the sorted array 4%
faster), and 100 (the heap 5% faster); with 300 queued rule responses the
sorted array was 1.8x slower (benchmarks/RESULTS.md, night of 24 November).
The switch happens inside a replication, when the queue first reaches this
length, and lasts to its end: the order of events is the same either way."""


def pack(model: FastModel) -> tuple[np.ndarray, np.ndarray]:
    """(mi, mf): the model as one int64 and one float64 array, with the state
    layout. Lane counters and spare doubles come first in the state arrays, so
    `sim.rng.compiled` indexes them by lane directly."""
    n_streams, n_rules = model.stream_event.size, model.rule_probability.size
    n_events, n_outcomes = model.event_rung.size, model.n_outcomes
    n_hazards, n_regimes = model.hazard_kind.size, model.regime_hazard.size
    n_lanes = 2 * (n_streams + n_rules) + REGIME_LANES * n_regimes
    si, sf = {}, {}
    si["si_scalars"] = n_lanes
    si["si_streams"] = si["si_scalars"] + SI_SCALARS
    si["si_pending"] = si["si_streams"] + SI_PER_STREAM * n_streams
    si["si_counts"] = si["si_pending"] + n_rules
    si["si_outcome_done"] = si["si_counts"] + n_events
    si["si_window_start"] = si["si_outcome_done"] + model.event_outcome_index.size
    si["si_hazards"] = si["si_window_start"] + model.count_event.size
    si["si_regime_on"] = si["si_hazards"] + SI_PER_HAZARD * n_hazards
    si["si_rule_factors"] = si["si_regime_on"] + n_regimes
    si["si_size"] = si["si_rule_factors"] + n_rules
    sf["sf_scalars"] = n_lanes
    sf["sf_streams"] = sf["sf_scalars"] + SF_SCALARS
    sf["sf_kernel_total"] = sf["sf_streams"] + SF_PER_STREAM * n_streams
    sf["sf_kernel_updated"] = sf["sf_kernel_total"] + model.kernel_source.size
    sf["sf_last_fired"] = sf["sf_kernel_updated"] + model.kernel_source.size
    sf["sf_outcome_days"] = sf["sf_last_fired"] + n_rules
    sf["sf_hazards"] = sf["sf_outcome_days"] + n_outcomes
    sf["sf_rule_factor"] = sf["sf_hazards"] + SF_PER_HAZARD * n_hazards
    sf["sf_size"] = sf["sf_rule_factor"] + n_rules
    scalars = {
        "n_events": n_events,
        "n_streams": n_streams,
        "n_rules": n_rules,
        "n_outcomes": n_outcomes,
        "n_lanes": n_lanes,
        "initial_level": model.initial_level,
        "n_level_outcomes": model.level_outcome_threshold.size,
        "n_windows": model.window_event.size,
        "history_max": int(model.history_len.max(initial=0)),
        "queue_heap_from": HEAP_FROM_QUEUED,
        "n_hazards": n_hazards,
        "n_regimes": n_regimes,
        **si,
        **sf,
    }
    header = np.zeros(len(HEADER), dtype=np.int64)
    ints: list[np.ndarray] = []
    offset = len(HEADER)
    for name in INT_ARRAYS:
        values = np.asarray(getattr(model, name), dtype=np.int64)
        header[HEADER[name]] = offset
        ints.append(values)
        offset += values.size
    floats: list[np.ndarray] = [np.array([model.horizon, model.decay_days])]
    scalars["f_horizon"], scalars["f_decay_days"] = 0, 1
    offset = 2
    for name in FLOAT_ARRAYS:
        values = np.asarray(getattr(model, name), dtype=np.float64)
        header[HEADER[name]] = offset
        floats.append(values)
        offset += values.size
    for name in INT_SCALARS:
        header[HEADER[name]] = scalars[name]
    mi = np.concatenate([header, *ints]).astype(np.int64)
    mf = np.concatenate(floats).astype(np.float64)
    return mi, mf
