"""The model of docs/MODEL.md as one numba kernel, event for event the SimPy engine.

Bit-identity with the SimPy engine comes from replaying SimPy's own
scheduling, not from approximating it:

- one event queue ordered like SimPy's heap: by (time, priority, sequence
  number), URGENT (0) before NORMAL (1) at one instant, then scheduling order;
- the same events: each stream process's Initialize (URGENT at 0), its
  timeouts (NORMAL), its Interruption when the intensity jumps from outside
  (URGENT, now; the timeout it abandons stays queued and is skipped when it
  comes due), its termination (NORMAL, now); rule responses, scale endings,
  the ladder's decay timer, hazard clocks' firings and wakes, hazard rules'
  responses, regime onsets and ends (NORMAL timeouts; a stale clock firing or
  wake is dispatched and ignored, as in SimPy); the stop event at the horizon
  (URGENT, scheduled after the processes' initialisation);
- each stream's generator body (sim/engine/streams.py) as a resumable state
  machine, with the same floating-point operations in the same order;
- the same draws: `sim.rng.compiled` computes the lanes `sim.rng` defines.

The dispatched-event count therefore equals SimPy's (`simpy_events`), which
the differential test checks too. The model and the state live in a few flat
arrays (`sim.montecarlo.fast.compile.pack`): numba passes each array argument as a
struct, so dozens of small arrays per call would cost more than the
simulation. Capacities (queue, occurrence times, level changes, scale
factors) are fixed per call; a replication that outgrows one
stops with a flag and the runner repeats it with larger arrays, which cannot
change a result (a replication depends only on its index).

History and uncertain parameters are data, not code paths: a history's
times sit before each event type's simulated ones in the occurrence array
(`count` conditions read both, summaries skip the history), its day-0
excitation and pre-start firings start the state; a replication's uncertain
values are written over their offsets of `mf` before it runs
(`sim.montecarlo.fast.uncertain`).

Every helper is inlined (`sim.rng.compiled.compiled`) into
`run_replications`, the one entry point, except `_refresh` (hazards
re-evaluated after a change of state), called from many places: inlining
it at each would lengthen the compile for no measurable gain. Numba's disk cache checks only the
file a function is defined in: after editing `random.py`, `compile.py` or
`sim/rng.py` without touching this file, delete `sim/montecarlo/fast/__pycache__`
(the differential test would catch a stale kernel).

Measured cost on the flagship (benchmarks/fastpath.py, profile in
benchmarks/RESULTS.md): about 67 us per replication, 140 ns per dispatched
event, of which the C library's exp and log are ~26% and Philox draws 5-10%;
about 60 us since the queue is a sorted array instead of a heap (night of
24 November).
With its hazard rules, regimes and posterior draws (24 November): about 63 us
in the kernel per replication, ~410 dispatched events; drawing the uncertain
parameters adds ~15 us outside it when each replication draws its own, mostly
Boost's beta inverse CDF for the PERT laws (~1.3 us a value); calibration
candidates and sweep points reuse those draws (`sim.montecarlo.parameters.quantiles`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.delays import EXPONENTIAL, FIXED, GAMMA, NONE, UNIFORM
from sim.montecarlo.fast.compile import (
    EMIT,
    HAZARD_RULE,
    HEADER,
    REGIME_LANES,
    SF_PER_HAZARD,
    SF_PER_STREAM,
    SI_PER_HAZARD,
    SI_PER_STREAM,
)
from sim.montecarlo.fast.compile import SCALE as SCALE_ACTION
from sim.rng.compiled import (
    compiled,
    entry,
    next_exponential,
    next_gamma,
    next_normal,
    next_uniform,
)

H_EVENT_RUNG = HEADER["event_rung"]
H_STREAM_EVENT = HEADER["stream_event"]
H_STREAM_CAP = HEADER["stream_cap"]
H_STREAM_KERNEL_LO = HEADER["stream_kernel_lo"]
H_STREAM_KERNEL_HI = HEADER["stream_kernel_hi"]
H_KERNEL_SOURCE = HEADER["kernel_source"]
H_EXCITE_LO = HEADER["excite_lo"]
H_EXCITE_HI = HEADER["excite_hi"]
H_EXCITE_STREAM = HEADER["excite_stream"]
H_EXCITE_KERNEL = HEADER["excite_kernel"]
H_TRIGGER_LO = HEADER["trigger_lo"]
H_TRIGGER_HI = HEADER["trigger_hi"]
H_TRIGGER_RULE = HEADER["trigger_rule"]
H_RULE_DELAY_LAW = HEADER["rule_delay_law"]
H_RULE_RECHECK = HEADER["rule_recheck"]
H_RULE_MAX_PENDING = HEADER["rule_max_pending"]
H_RULE_HAS_CHECK = HEADER["rule_has_check"]
H_RULE_LEVEL_MIN = HEADER["rule_level_min"]
H_RULE_LEVEL_MAX = HEADER["rule_level_max"]
H_RULE_COUNT_LO = HEADER["rule_count_lo"]
H_RULE_COUNT_HI = HEADER["rule_count_hi"]
H_COUNT_EVENT = HEADER["count_event"]
H_COUNT_AT_LEAST = HEADER["count_at_least"]
H_COUNT_START0 = HEADER["count_start0"]
H_HISTORY_LO = HEADER["history_lo"]
H_HISTORY_LEN = HEADER["history_len"]
H_HISTORY_TIMES = HEADER["history_times"]
H_KERNEL_TOTAL0 = HEADER["kernel_total0"]
H_RULE_FIRED0 = HEADER["rule_fired0"]
H_RULE_TOTAL_LO = HEADER["rule_total_lo"]
H_RULE_TOTAL_HI = HEADER["rule_total_hi"]
H_TOTAL_EVENT = HEADER["total_event"]
H_TOTAL_AT_LEAST = HEADER["total_at_least"]
H_RULE_ACTION_LO = HEADER["rule_action_lo"]
H_RULE_ACTION_HI = HEADER["rule_action_hi"]
H_ACTION_KIND = HEADER["action_kind"]
H_ACTION_TARGET = HEADER["action_target"]
H_LEVEL_OUTCOME_THRESHOLD = HEADER["level_outcome_threshold"]
H_LEVEL_OUTCOME_INDEX = HEADER["level_outcome_index"]
H_EVENT_OUTCOME_LO = HEADER["event_outcome_lo"]
H_EVENT_OUTCOME_HI = HEADER["event_outcome_hi"]
H_EVENT_OUTCOME_INDEX = HEADER["event_outcome_index"]
H_EVENT_OUTCOME_COUNT = HEADER["event_outcome_count"]
H_WINDOW_EVENT = HEADER["window_event"]
H_STREAM_RATE = HEADER["stream_rate"]
H_STREAM_START = HEADER["stream_start"]
H_STREAM_END = HEADER["stream_end"]
H_STREAM_OWN_JUMP = HEADER["stream_own_jump"]
H_KERNEL_COEF = HEADER["kernel_coef"]
H_KERNEL_INV_DECAY = HEADER["kernel_inv_decay"]
H_RULE_PROBABILITY = HEADER["rule_probability"]
H_RULE_DELAY_A = HEADER["rule_delay_a"]
H_RULE_DELAY_B = HEADER["rule_delay_b"]
H_RULE_COOLDOWN = HEADER["rule_cooldown"]
H_RULE_AFTER = HEADER["rule_after"]
H_RULE_BEFORE = HEADER["rule_before"]
H_COUNT_WITHIN = HEADER["count_within"]
H_ACTION_FACTOR = HEADER["action_factor"]
H_ACTION_DAYS = HEADER["action_days"]
H_DAY_GRID = HEADER["day_grid"]
H_MONTH_EDGES = HEADER["month_edges"]
H_WINDOW_LO = HEADER["window_lo"]
H_WINDOW_HI = HEADER["window_hi"]
H_N_EVENTS = HEADER["n_events"]
H_N_STREAMS = HEADER["n_streams"]
H_N_RULES = HEADER["n_rules"]
H_N_OUTCOMES = HEADER["n_outcomes"]
H_N_LANES = HEADER["n_lanes"]
H_INITIAL_LEVEL = HEADER["initial_level"]
H_N_LEVEL_OUTCOMES = HEADER["n_level_outcomes"]
H_N_WINDOWS = HEADER["n_windows"]
H_HISTORY_MAX = HEADER["history_max"]
H_QUEUE_HEAP_FROM = HEADER["queue_heap_from"]
H_SI_SCALARS = HEADER["si_scalars"]
H_SI_STREAMS = HEADER["si_streams"]
H_SI_PENDING = HEADER["si_pending"]
H_SI_COUNTS = HEADER["si_counts"]
H_SI_OUTCOME_DONE = HEADER["si_outcome_done"]
H_SI_WINDOW_START = HEADER["si_window_start"]
H_SI_SIZE = HEADER["si_size"]
H_SF_SCALARS = HEADER["sf_scalars"]
H_SF_STREAMS = HEADER["sf_streams"]
H_SF_KERNEL_TOTAL = HEADER["sf_kernel_total"]
H_SF_KERNEL_UPDATED = HEADER["sf_kernel_updated"]
H_SF_LAST_FIRED = HEADER["sf_last_fired"]
H_SF_OUTCOME_DAYS = HEADER["sf_outcome_days"]
H_SF_SIZE = HEADER["sf_size"]
H_F_HORIZON = HEADER["f_horizon"]
H_F_DECAY_DAYS = HEADER["f_decay_days"]
H_RULE_HAZARD_INDEX = HEADER["rule_hazard_index"]
H_HAZARD_KIND = HEADER["hazard_kind"]
H_HAZARD_TARGET = HEADER["hazard_target"]
H_HAZARD_CONDITION = HEADER["hazard_condition"]
H_HAZARD_LANE = HEADER["hazard_lane"]
H_COND_LEVEL_MIN = HEADER["cond_level_min"]
H_COND_LEVEL_MAX = HEADER["cond_level_max"]
H_COND_COUNT_LO = HEADER["cond_count_lo"]
H_COND_COUNT_HI = HEADER["cond_count_hi"]
H_CCOUNT_EVENT = HEADER["ccount_event"]
H_CCOUNT_AT_LEAST = HEADER["ccount_at_least"]
H_COND_TOTAL_LO = HEADER["cond_total_lo"]
H_COND_TOTAL_HI = HEADER["cond_total_hi"]
H_CTOTAL_EVENT = HEADER["ctotal_event"]
H_CTOTAL_AT_LEAST = HEADER["ctotal_at_least"]
H_REGIME_IF = HEADER["regime_if"]
H_REGIME_DELAY_LAW = HEADER["regime_delay_law"]
H_REGIME_DURATION_LAW = HEADER["regime_duration_law"]
H_REGIME_STREAM_LO = HEADER["regime_stream_lo"]
H_REGIME_STREAM_HI = HEADER["regime_stream_hi"]
H_RSTREAM_STREAM = HEADER["rstream_stream"]
H_REGIME_RULE_LO = HEADER["regime_rule_lo"]
H_REGIME_RULE_HI = HEADER["regime_rule_hi"]
H_RRULE_RULE = HEADER["rrule_rule"]
H_REGIME_OUTCOME_LO = HEADER["regime_outcome_lo"]
H_REGIME_OUTCOME_HI = HEADER["regime_outcome_hi"]
H_ROUTCOME_INDEX = HEADER["routcome_index"]
H_EVENT_REGIME_LO = HEADER["event_regime_lo"]
H_EVENT_REGIME_HI = HEADER["event_regime_hi"]
H_EVENT_REGIME = HEADER["event_regime"]
H_EVENT_HAZARD_DEP = HEADER["event_hazard_dep"]
H_RULE_HAZARD = HEADER["rule_hazard"]
H_COND_AFTER = HEADER["cond_after"]
H_COND_BEFORE = HEADER["cond_before"]
H_CCOUNT_WITHIN = HEADER["ccount_within"]
H_REGIME_HAZARD = HEADER["regime_hazard"]
H_REGIME_PROBABILITY = HEADER["regime_probability"]
H_REGIME_DELAY_A = HEADER["regime_delay_a"]
H_REGIME_DELAY_B = HEADER["regime_delay_b"]
H_REGIME_DURATION_A = HEADER["regime_duration_a"]
H_REGIME_DURATION_B = HEADER["regime_duration_b"]
H_RSTREAM_FACTOR = HEADER["rstream_factor"]
H_RRULE_FACTOR = HEADER["rrule_factor"]
H_N_HAZARDS = HEADER["n_hazards"]
H_N_REGIMES = HEADER["n_regimes"]
H_SI_HAZARDS = HEADER["si_hazards"]
H_SI_REGIME_ON = HEADER["si_regime_on"]
H_SI_RULE_FACTORS = HEADER["si_rule_factors"]
H_SF_HAZARDS = HEADER["sf_hazards"]
H_SF_RULE_FACTOR = HEADER["sf_rule_factor"]

URGENT, NORMAL = 0, 1
INIT, RESUME, INTERRUPT, FIRE, UNSCALE, LADDER, END, STOP = range(8)
HAZARD_DUE, HAZARD_WAKE, RESPOND, REGIME_ON, REGIME_OFF = range(8, 13)
CANDIDATE, WAITING = 0, 1
LADDER_EPS = 1e-9  # sim.engine.ladder.EPS
# The event queue q: rows (time, order, payload, factor), where
# order = priority * 2^50 + sequence number and payload = kind * 2^32 + index,
# all exact in a double; rows compare by (time, order), SimPy's heap key. The
# rows are kept sorted, latest first: the next event is the last row (a pop
# moves nothing) and a new event moves up the rows due before it, usually
# none or one (a stream's next candidate is usually the next event or close).
# That beats a binary heap by 7-33% a replication on the shipped scenarios
# (4-9 streams), breaks even between 60 and 100 queued events and loses
# beyond (1.5x slower with 250 streams, 1.8x with 300 queued rule
# responses), so once a replication's queue reaches
# `sim.montecarlo.fast.compile.HEAP_FROM_QUEUED` events its rows are reversed
# (sorted earliest first, which is a valid binary heap) and it stays a heap
# to the end of the replication (the state's HEAP flag).
QT, QO, QP, QF = range(4)
ORDER = float(2**50)
PAYLOAD = float(2**32)
# Integer scalars at si[mi[H_SI_SCALARS] + ...], float scalars at sf[mi[H_SF_SCALARS] + ...].
SEQ, QUEUED, LEVEL, MAX_LEVEL, LADDER_PENDING, N_CHANGES, ACTIVE, OVERFLOW, POPPED = range(9)
HEAP = 9  # 1 once this replication's queue has become a binary heap
NOW, LAST_SUPPORT = range(2)
# Per stream at si[mi[H_SI_STREAMS] + 6 s + ...] and sf[mi[H_SF_STREAMS] + 2 s + ...].
GENERATED, INTERRUPTED, ALIVE, TOKEN, PAUSED, N_FACTORS = range(6)
BOUND, SCALE = range(2)
# Per hazard at si[mi[H_SI_HAZARDS] + 2 h + ...] and sf[mi[H_SF_HAZARDS] + 4 h + ...].
H_TOKEN, H_WAKE_TOKEN, H_STALE = range(3)
H_RATE, H_REMAINING, H_SINCE, H_WAKE_AT = range(4)


def new_state(
    mi: np.ndarray, queue: int, occurrences: int, changes: int, factors: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(si, sf, q, times, changes, factors): a replication's working arrays
    (`times` holds each event type's history, then `occurrences` more)."""
    return (
        np.zeros(mi[H_SI_SIZE], dtype=np.int64),
        np.zeros(mi[H_SF_SIZE]),
        np.zeros((queue, 4)),
        np.zeros((max(mi[H_N_EVENTS], 1), mi[H_HISTORY_MAX] + occurrences)),
        np.zeros((changes, 2)),
        np.zeros((max(mi[H_N_STREAMS] + mi[H_N_RULES], 1), factors)),
    )


# --- the event queue: sorted rows, or a binary heap, on (time, priority, sequence)


@compiled
def schedule(
    mi: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    delay: float,
    priority: int,
    kind: int,
    a: int,
    f: float,
) -> int:
    """Queue an event at now + delay (SimPy's `now + delay`); its sequence number."""
    sc = mi[H_SI_SCALARS]
    seq: int = si[sc + SEQ]  # annotations on locals emit no bytecode: numba unaffected
    si[sc + SEQ] = seq + 1
    n = si[sc + QUEUED]
    if n == q.shape[0]:
        si[sc + OVERFLOW] = 1
        return seq
    si[sc + QUEUED] = n + 1
    t = sf[mi[H_SF_SCALARS] + NOW] + delay
    order = priority * ORDER + seq
    i = n
    if not si[sc + HEAP] and n >= mi[H_QUEUE_HEAP_FROM]:
        for j in range(n // 2):  # latest first -> earliest first: a valid heap
            for c in range(4):
                q[j, c], q[n - 1 - j, c] = q[n - 1 - j, c], q[j, c]
        si[sc + HEAP] = 1
    if si[sc + HEAP]:
        while i > 0:  # sift the hole up, then fill it
            parent = (i - 1) // 2
            if q[parent, QT] < t or (q[parent, QT] == t and q[parent, QO] < order):
                break
            for c in range(4):
                q[i, c] = q[parent, c]
            i = parent
    else:
        while i > 0 and (q[i - 1, QT] < t or (q[i - 1, QT] == t and q[i - 1, QO] < order)):
            for c in range(4):  # an earlier event moves one row up
                q[i, c] = q[i - 1, c]
            i -= 1
    q[i, QT] = t
    q[i, QO] = order
    q[i, QP] = kind * PAYLOAD + a
    q[i, QF] = f
    return seq


@compiled
def _pop(mi: np.ndarray, si: np.ndarray, q: np.ndarray) -> int:
    """Take the earliest event off the queue (sorted: the last row; a heap:
    the root, moved to the row just past the heap); its row, which the next
    schedule may overwrite."""
    sc = mi[H_SI_SCALARS]
    n: int = si[sc + QUEUED] - 1
    si[sc + QUEUED] = n
    if not si[sc + HEAP]:
        return n
    r0, r1, r2, r3 = q[0, QT], q[0, QO], q[0, QP], q[0, QF]
    x0, x1, x2, x3 = q[n, QT], q[n, QO], q[n, QP], q[n, QF]
    i = 0
    while True:  # sift the hole down from the root, then fill it with the last row
        child = 2 * i + 1
        if child >= n:
            break
        right = child + 1
        if right < n and (
            q[right, QT] < q[child, QT]
            or (q[right, QT] == q[child, QT] and q[right, QO] < q[child, QO])
        ):
            child = right
        if x0 < q[child, QT] or (x0 == q[child, QT] and x1 < q[child, QO]):
            break
        for c in range(4):
            q[i, c] = q[child, c]
        i = child
    q[i, QT], q[i, QO], q[i, QP], q[i, QF] = x0, x1, x2, x3
    q[n, QT], q[n, QO], q[n, QP], q[n, QF] = r0, r1, r2, r3
    return n


# --- the ladder (sim/engine/ladder.py) ---------------------------------------


@compiled
def _level_raised(mi: np.ndarray, sf: np.ndarray, level: int, t: float) -> None:
    thresholds, indices = mi[H_LEVEL_OUTCOME_THRESHOLD], mi[H_LEVEL_OUTCOME_INDEX]
    days = mi[H_SF_OUTCOME_DAYS]
    for j in range(mi[H_N_LEVEL_OUTCOMES]):
        if mi[thresholds + j] > level:
            break
        o = days + mi[indices + j]
        if math.isnan(sf[o]):
            sf[o] = t


@compiled
def _ladder_arm(
    mi: np.ndarray, mf: np.ndarray, si: np.ndarray, sf: np.ndarray, q: np.ndarray
) -> None:
    sc, fc = mi[H_SI_SCALARS], mi[H_SF_SCALARS]
    decay = mf[mi[H_F_DECAY_DAYS]]
    if math.isnan(decay) or si[sc + LEVEL] == 0 or si[sc + LADDER_PENDING]:
        return
    si[sc + LADDER_PENDING] = 1
    wait = max(sf[fc + LAST_SUPPORT] + decay - sf[fc + NOW], 0.0)
    schedule(mi, si, sf, q, wait, NORMAL, LADDER, 0, 0.0)


@compiled
def _ladder_set(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    ch: np.ndarray,
    level: int,
    t: float,
) -> None:
    sc, fc = mi[H_SI_SCALARS], mi[H_SF_SCALARS]
    raised = level > si[sc + LEVEL]
    if level != si[sc + LEVEL]:
        si[sc + LEVEL] = level
        n = si[sc + N_CHANGES]
        if n == ch.shape[0]:
            si[sc + OVERFLOW] = 1
        else:
            ch[n, 0] = t
            ch[n, 1] = level
            si[sc + N_CHANGES] = n + 1
        si[sc + MAX_LEVEL] = max(si[sc + MAX_LEVEL], level)
    sf[fc + LAST_SUPPORT] = t
    if raised:
        _level_raised(mi, sf, level, t)
    _ladder_arm(mi, mf, si, sf, q)


@compiled
def _ladder_wake(
    mi: np.ndarray, mf: np.ndarray, si: np.ndarray, sf: np.ndarray, q: np.ndarray, ch: np.ndarray
) -> None:
    sc, fc = mi[H_SI_SCALARS], mi[H_SF_SCALARS]
    si[sc + LADDER_PENDING] = 0
    now = sf[fc + NOW]
    if now + LADDER_EPS >= sf[fc + LAST_SUPPORT] + mf[mi[H_F_DECAY_DAYS]]:
        _ladder_set(mi, mf, si, sf, q, ch, si[sc + LEVEL] - 1, now)
    else:
        _ladder_arm(mi, mf, si, sf, q)


# --- streams (sim/engine/streams.py) ------------------------------------------


@compiled
def _wake(mi: np.ndarray, si: np.ndarray, sf: np.ndarray, q: np.ndarray, s: int) -> None:
    """The stream's intensity changed from outside: interrupt its process."""
    b = mi[H_SI_STREAMS] + SI_PER_STREAM * s
    if not si[b + INTERRUPTED] and si[b + ALIVE] and si[mi[H_SI_SCALARS] + ACTIVE] != s:
        si[b + INTERRUPTED] = 1
        schedule(mi, si, sf, q, 0.0, URGENT, INTERRUPT, s, 0.0)


@compiled
def _change_factor(
    mi: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    fa: np.ndarray,
    s: int,
    factor: float,
    add: bool,
) -> None:
    """A scale starting (add) or ending: the product of the factors in force,
    multiplied in the order they started (as math.prod over the list)."""
    b = mi[H_SI_STREAMS] + SI_PER_STREAM * s
    n = si[b + N_FACTORS]
    if add:
        if n == fa.shape[1]:
            si[mi[H_SI_SCALARS] + OVERFLOW] = 1
            return
        fa[s, n] = factor
        n += 1
    else:
        for j in range(n):
            if fa[s, j] == factor:  # list.remove: the first equal value
                for k in range(j, n - 1):
                    fa[s, k] = fa[s, k + 1]
                n -= 1
                break
    si[b + N_FACTORS] = n
    product = 1.0
    for j in range(n):
        product *= fa[s, j]
    sf[mi[H_SF_STREAMS] + SF_PER_STREAM * s + SCALE] = product
    _wake(mi, si, sf, q, s)


@compiled
def _intensity(mi: np.ndarray, mf: np.ndarray, sf: np.ndarray, s: int, now: float) -> float:
    value: float = mf[mi[H_STREAM_RATE] + s]
    total, updated = mi[H_SF_KERNEL_TOTAL], mi[H_SF_KERNEL_UPDATED]
    coef, inv = mi[H_KERNEL_COEF], mi[H_KERNEL_INV_DECAY]
    for k in range(mi[mi[H_STREAM_KERNEL_LO] + s], mi[mi[H_STREAM_KERNEL_HI] + s]):
        if sf[total + k]:
            value += mf[coef + k] * sf[total + k] * math.exp((sf[updated + k] - now) * mf[inv + k])
    scale: float = sf[mi[H_SF_STREAMS] + SF_PER_STREAM * s + SCALE]
    return value * scale


@compiled
def _resume_stream(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    ch: np.ndarray,
    keys: np.ndarray,
    rep: int,
    s: int,
    kind: int,
) -> None:
    """Run stream s's process from where it waits to its next yield."""
    sc = mi[H_SI_SCALARS]
    b = mi[H_SI_STREAMS] + SI_PER_STREAM * s
    fb = mi[H_SF_STREAMS] + SF_PER_STREAM * s
    si[sc + ACTIVE] = s
    now = sf[mi[H_SF_SCALARS] + NOW]
    bound = -1.0
    if kind == INTERRUPT:
        si[b + INTERRUPTED] = 0
    elif kind == RESUME and si[b + PAUSED] == CANDIDATE:
        bound = sf[fb + BOUND]
        current = _intensity(mi, mf, sf, s, now)
        accept = next_uniform(keys, si, sf, 2 * s + 1, rep) * bound <= current
        bound = current
        if accept:
            cap = mi[mi[H_STREAM_CAP] + s]
            if cap >= 0:
                si[b + GENERATED] += 1
            _occur(mi, mf, si, sf, q, tm, ch, keys, rep, mi[mi[H_STREAM_EVENT] + s], now)
            bound += sf[fb + SCALE] * mf[mi[H_STREAM_OWN_JUMP] + s]
    start, end = mf[mi[H_STREAM_START] + s], mf[mi[H_STREAM_END] + s]
    cap = mi[mi[H_STREAM_CAP] + s]
    if now >= end or (cap >= 0 and si[b + GENERATED] >= cap):
        si[b + ALIVE] = 0
        schedule(mi, si, sf, q, 0.0, NORMAL, END, s, 0.0)
    elif now < start:
        si[b + PAUSED] = WAITING
        si[b + TOKEN] = schedule(mi, si, sf, q, start - now, NORMAL, RESUME, s, 0.0)
    else:
        if bound < 0.0:
            bound = _intensity(mi, mf, sf, s, now)
        # Zero intensity: no candidate, and no draw.
        wait = next_exponential(keys, si, sf, 2 * s, rep) / bound if bound > 0.0 else math.inf
        if now + wait < end:
            si[b + PAUSED] = CANDIDATE
            sf[fb + BOUND] = bound
            si[b + TOKEN] = schedule(mi, si, sf, q, wait, NORMAL, RESUME, s, 0.0)
        else:
            si[b + PAUSED] = WAITING
            si[b + TOKEN] = schedule(mi, si, sf, q, end - now, NORMAL, RESUME, s, 0.0)
    si[sc + ACTIVE] = -1


# --- occurrences and rules (sim/engine/world.py, sim/engine/rules.py) --------


@compiled
def _occur(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    ch: np.ndarray,
    keys: np.ndarray,
    rep: int,
    event: int,
    t: float,
) -> None:
    sc, counts = mi[H_SI_SCALARS], mi[H_SI_COUNTS]
    count = si[counts + event]
    past = mi[mi[H_HISTORY_LEN] + event]  # the history sits before day 0's occurrences
    if past + count == tm.shape[1]:
        si[sc + OVERFLOW] = 1
        return
    tm[event, past + count] = t
    count += 1
    si[counts + event] = count
    rung = mi[mi[H_EVENT_RUNG] + event]
    if rung >= 0:
        if rung > si[sc + LEVEL]:
            _ladder_set(mi, mf, si, sf, q, ch, rung, t)
            if mi[H_N_HAZARDS]:  # the ladder's on_change
                _refresh(mi, mf, si, sf, q, tm, keys, rep, t, -1)
        elif rung == si[sc + LEVEL]:
            sf[mi[H_SF_SCALARS] + LAST_SUPPORT] = t
    done, days = mi[H_SI_OUTCOME_DONE], mi[H_SF_OUTCOME_DAYS]
    for j in range(mi[mi[H_EVENT_OUTCOME_LO] + event], mi[mi[H_EVENT_OUTCOME_HI] + event]):
        if not si[done + j] and count >= mi[mi[H_EVENT_OUTCOME_COUNT] + j]:
            si[done + j] = 1
            sf[days + mi[mi[H_EVENT_OUTCOME_INDEX] + j]] = t
    total, updated, inv = mi[H_SF_KERNEL_TOTAL], mi[H_SF_KERNEL_UPDATED], mi[H_KERNEL_INV_DECAY]
    for j in range(mi[mi[H_EXCITE_LO] + event], mi[mi[H_EXCITE_HI] + event]):
        k = mi[mi[H_EXCITE_KERNEL] + j]
        sf[total + k] = sf[total + k] * math.exp((sf[updated + k] - t) * mf[inv + k]) + 1.0
        sf[updated + k] = t
        s = mi[mi[H_EXCITE_STREAM] + j]
        if s != si[sc + ACTIVE]:
            _wake(mi, si, sf, q, s)
    for j in range(mi[mi[H_TRIGGER_LO] + event], mi[mi[H_TRIGGER_HI] + event]):
        _trigger(mi, mf, si, sf, q, tm, keys, rep, mi[mi[H_TRIGGER_RULE] + j], t)
    for j in range(mi[mi[H_EVENT_REGIME_LO] + event], mi[mi[H_EVENT_REGIME_HI] + event]):
        _regime_trigger(mi, mf, si, sf, q, tm, keys, rep, mi[mi[H_EVENT_REGIME] + j], t)
    if mi[H_N_HAZARDS]:
        _refresh(mi, mf, si, sf, q, tm, keys, rep, t, event)


@compiled
def _left_of(tm: np.ndarray, event: int, lo: int, hi: int, x: float) -> int:
    """bisect_left over tm[event, lo:hi]: lo + how many are < x."""
    while lo < hi:
        mid = (lo + hi) // 2
        if tm[event, mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@compiled
def _holds(
    mi: np.ndarray, mf: np.ndarray, si: np.ndarray, tm: np.ndarray, r: int, t: float
) -> bool:
    """The rule's `if` (sim.engine.rules.condition_check), cheapest tests first."""
    after, before = mf[mi[H_RULE_AFTER] + r], mf[mi[H_RULE_BEFORE] + r]
    if not math.isnan(after) and t < after:
        return False
    if not math.isnan(before) and t >= before:
        return False
    level = si[mi[H_SI_SCALARS] + LEVEL]
    low, high = mi[mi[H_RULE_LEVEL_MIN] + r], mi[mi[H_RULE_LEVEL_MAX] + r]
    if low >= 0 and level < low:
        return False
    if high >= 0 and level > high:
        return False
    counts, starts = mi[H_SI_COUNTS], mi[H_SI_WINDOW_START]
    for j in range(mi[mi[H_RULE_TOTAL_LO] + r], mi[mi[H_RULE_TOTAL_HI] + r]):
        if si[counts + mi[mi[H_TOTAL_EVENT] + j]] < mi[mi[H_TOTAL_AT_LEAST] + j]:
            return False
    for j in range(mi[mi[H_RULE_COUNT_LO] + r], mi[mi[H_RULE_COUNT_HI] + r]):
        event, at_least = mi[mi[H_COUNT_EVENT] + j], mi[mi[H_COUNT_AT_LEAST] + j]
        n = si[counts + event] + mi[mi[H_HISTORY_LEN] + event]  # history counts here
        if n < at_least:
            return False
        # bisect_right(times, t - within), found by moving the condition's own
        # pointer forward: t never decreases, so neither does t - within.
        edge, start = t - mf[mi[H_COUNT_WITHIN] + j], si[starts + j]
        while start < n and tm[event, start] <= edge:
            start += 1
        si[starts + j] = start
        if n - start < at_least:
            return False
    return True


@compiled
def _delay(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    keys: np.ndarray,
    rep: int,
    r: int,
    lane: int,
) -> float:
    """Rule r's response delay: its law's draw (`_law`)."""
    law = mi[mi[H_RULE_DELAY_LAW] + r]
    a: float = mf[mi[H_RULE_DELAY_A] + r]
    b: float = mf[mi[H_RULE_DELAY_B] + r]
    return _law(si, sf, keys, rep, lane, law, a, b)


@compiled
def _trigger(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    keys: np.ndarray,
    rep: int,
    r: int,
    t: float,
) -> None:
    if t - sf[mi[H_SF_LAST_FIRED] + r] < mf[mi[H_RULE_COOLDOWN] + r]:
        return
    cap = mi[mi[H_RULE_MAX_PENDING] + r]
    if cap >= 0 and si[mi[H_SI_PENDING] + r] >= cap:
        return
    if mi[mi[H_RULE_HAS_CHECK] + r] and not _holds(mi, mf, si, tm, r, t):
        return
    lane = 2 * mi[H_N_STREAMS] + 2 * r
    p = mf[mi[H_RULE_PROBABILITY] + r]
    if si[mi[H_SI_RULE_FACTORS] + r]:  # RuleRuntime.chance: min(1, probability * factor)
        p = p * sf[mi[H_SF_RULE_FACTOR] + r]
        if not p < 1.0:
            p = 1.0
    if p < 1.0 and next_uniform(keys, si, sf, lane, rep) >= p:
        return
    si[mi[H_SI_PENDING] + r] += 1
    delay = _delay(mi, mf, si, sf, keys, rep, r, lane + 1)
    schedule(mi, si, sf, q, delay, NORMAL, FIRE, r, 0.0)


@compiled
def _fire(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    ch: np.ndarray,
    fa: np.ndarray,
    keys: np.ndarray,
    rep: int,
    r: int,
) -> None:
    si[mi[H_SI_PENDING] + r] -= 1
    h = mi[mi[H_RULE_HAZARD_INDEX] + r]
    if h >= 0:  # its hazard's inputs change here; its update comes after the actions
        si[mi[H_SI_HAZARDS] + SI_PER_HAZARD * h + H_STALE] = 1
    t = sf[mi[H_SF_SCALARS] + NOW]
    if sf[mi[H_SF_RULE_FACTOR] + r] == 0.0:  # a regime disables the rule now
        return
    last = mi[H_SF_LAST_FIRED] + r
    if t - sf[last] < mf[mi[H_RULE_COOLDOWN] + r]:
        return
    if (
        mi[mi[H_RULE_RECHECK] + r]
        and mi[mi[H_RULE_HAS_CHECK] + r]
        and not _holds(mi, mf, si, tm, r, t)
    ):
        return
    sf[last] = t
    for j in range(mi[mi[H_RULE_ACTION_LO] + r], mi[mi[H_RULE_ACTION_HI] + r]):
        kind, target = mi[mi[H_ACTION_KIND] + j], mi[mi[H_ACTION_TARGET] + j]
        if kind == EMIT:
            _occur(mi, mf, si, sf, q, tm, ch, keys, rep, target, t)
        elif kind == SCALE_ACTION:
            factor = mf[mi[H_ACTION_FACTOR] + j]
            _change_factor(mi, si, sf, q, fa, target, factor, True)
            schedule(mi, si, sf, q, mf[mi[H_ACTION_DAYS] + j], NORMAL, UNSCALE, target, factor)
        else:
            changed = target != si[mi[H_SI_SCALARS] + LEVEL]
            _ladder_set(mi, mf, si, sf, q, ch, target, t)
            if changed and mi[H_N_HAZARDS]:  # the ladder's on_change
                _refresh(mi, mf, si, sf, q, tm, keys, rep, t, -1)


# --- hazards and regimes (sim/engine/conditions.py, hazards.py, regimes.py) ----


@compiled
def _cond_holds(
    mi: np.ndarray, mf: np.ndarray, si: np.ndarray, tm: np.ndarray, c: int, t: float
) -> bool:
    """ConditionSpec.holds: a count holds while its K-th latest occurrence u
    (history included) is in the window, u + w > t."""
    after, before = mf[mi[H_COND_AFTER] + c], mf[mi[H_COND_BEFORE] + c]
    if not math.isnan(after) and t < after:
        return False
    if not math.isnan(before) and t >= before:
        return False
    level = si[mi[H_SI_SCALARS] + LEVEL]
    low, high = mi[mi[H_COND_LEVEL_MIN] + c], mi[mi[H_COND_LEVEL_MAX] + c]
    if low >= 0 and level < low:
        return False
    if high >= 0 and level > high:
        return False
    counts = mi[H_SI_COUNTS]
    for j in range(mi[mi[H_COND_TOTAL_LO] + c], mi[mi[H_COND_TOTAL_HI] + c]):
        if si[counts + mi[mi[H_CTOTAL_EVENT] + j]] < mi[mi[H_CTOTAL_AT_LEAST] + j]:
            return False
    for j in range(mi[mi[H_COND_COUNT_LO] + c], mi[mi[H_COND_COUNT_HI] + c]):
        at_least = mi[mi[H_CCOUNT_AT_LEAST] + j]
        if at_least == 0:
            continue
        event = mi[mi[H_CCOUNT_EVENT] + j]
        n = si[counts + event] + mi[mi[H_HISTORY_LEN] + event]
        if n < at_least or tm[event, n - at_least] + mf[mi[H_CCOUNT_WITHIN] + j] <= t:
            return False
    return True


@compiled
def _cond_next(
    mi: np.ndarray, mf: np.ndarray, si: np.ndarray, tm: np.ndarray, c: int, t: float
) -> float:
    """ConditionSpec.next_change: the earliest timed instant after t at which
    the condition can change (inf when none)."""
    soon = math.inf
    after, before = mf[mi[H_COND_AFTER] + c], mf[mi[H_COND_BEFORE] + c]
    if not math.isnan(after) and t < after:
        soon = after
    if not math.isnan(before) and t < before and before < soon:
        soon = before
    counts = mi[H_SI_COUNTS]
    for j in range(mi[mi[H_COND_COUNT_LO] + c], mi[mi[H_COND_COUNT_HI] + c]):
        at_least = mi[mi[H_CCOUNT_AT_LEAST] + j]
        event = mi[mi[H_CCOUNT_EVENT] + j]
        n = si[counts + event] + mi[mi[H_HISTORY_LEN] + event]
        if at_least and n >= at_least:
            leaves = tm[event, n - at_least] + mf[mi[H_CCOUNT_WITHIN] + j]
            if leaves > t and leaves < soon:
                soon = leaves
    return soon


@compiled
def _hazard_rate(
    mi: np.ndarray, mf: np.ndarray, si: np.ndarray, sf: np.ndarray, tm: np.ndarray, h: int, t: float
) -> float:
    """HazardRule.rate or RegimeRuntime.rate at day t."""
    target, c = mi[mi[H_HAZARD_TARGET] + h], mi[mi[H_HAZARD_CONDITION] + h]
    if mi[mi[H_HAZARD_KIND] + h] == HAZARD_RULE:
        factor = sf[mi[H_SF_RULE_FACTOR] + target]
        if factor == 0.0:
            return 0.0
        if t < sf[mi[H_SF_LAST_FIRED] + target] + mf[mi[H_RULE_COOLDOWN] + target]:
            return 0.0
        cap = mi[mi[H_RULE_MAX_PENDING] + target]
        if cap >= 0 and si[mi[H_SI_PENDING] + target] >= cap:
            return 0.0
        if not _cond_holds(mi, mf, si, tm, c, t):
            return 0.0
        rate: float = mf[mi[H_RULE_HAZARD] + target] * factor
        return rate
    if si[mi[H_SI_REGIME_ON] + target] or not _cond_holds(mi, mf, si, tm, c, t):
        return 0.0
    onset: float = mf[mi[H_REGIME_HAZARD] + target]
    return onset


@compiled
def _hazard_next(
    mi: np.ndarray, mf: np.ndarray, si: np.ndarray, sf: np.ndarray, tm: np.ndarray, h: int, t: float
) -> float:
    """Hazard.next_change (and a hazard rule's cooldown end)."""
    soon = _cond_next(mi, mf, si, tm, mi[mi[H_HAZARD_CONDITION] + h], t)
    if mi[mi[H_HAZARD_KIND] + h] == HAZARD_RULE:
        r = mi[mi[H_HAZARD_TARGET] + h]
        ends = sf[mi[H_SF_LAST_FIRED] + r] + mf[mi[H_RULE_COOLDOWN] + r]
        if ends > t and ends < soon:
            soon = ends
    return soon


@compiled
def _set_rate(
    mi: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    keys: np.ndarray,
    rep: int,
    h: int,
    t: float,
    rate: float,
) -> None:
    """HazardClock.set_rate: keep the integrated hazard, spend the rest of the
    unit exponential at the new rate (one draw per firing, from the lane)."""
    b = mi[H_SI_HAZARDS] + SI_PER_HAZARD * h
    fb = mi[H_SF_HAZARDS] + SF_PER_HAZARD * h
    old = sf[fb + H_RATE]
    if rate == old:
        return
    remaining = sf[fb + H_REMAINING]
    if old > 0.0 and not math.isnan(remaining):
        remaining -= old * (t - sf[fb + H_SINCE])
    sf[fb + H_RATE] = rate
    sf[fb + H_SINCE] = t
    si[b + H_TOKEN] += 1
    if rate > 0.0:
        if math.isnan(remaining):
            remaining = next_exponential(keys, si, sf, mi[mi[H_HAZARD_LANE] + h], rep)
        wait = (0.0 if remaining < 0.0 else remaining) / rate  # max(remaining, 0.0)
        schedule(mi, si, sf, q, wait, NORMAL, HAZARD_DUE, h, float(si[b + H_TOKEN]))
    sf[fb + H_REMAINING] = remaining


@compiled
def _update(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    keys: np.ndarray,
    rep: int,
    h: int,
    t: float,
) -> None:
    """Hazard.update: the rate now, and a wake at the next timed change."""
    si[mi[H_SI_HAZARDS] + SI_PER_HAZARD * h + H_STALE] = 0
    _set_rate(mi, si, sf, q, keys, rep, h, t, _hazard_rate(mi, mf, si, sf, tm, h, t))
    soon = _hazard_next(mi, mf, si, sf, tm, h, t)
    fb = mi[H_SF_HAZARDS] + SF_PER_HAZARD * h
    if soon < sf[fb + H_WAKE_AT] and soon < mf[mi[H_F_HORIZON]]:
        sf[fb + H_WAKE_AT] = soon
        b = mi[H_SI_HAZARDS] + SI_PER_HAZARD * h
        si[b + H_WAKE_TOKEN] += 1
        schedule(mi, si, sf, q, soon - t, NORMAL, HAZARD_WAKE, h, float(si[b + H_WAKE_TOKEN]))


@entry
def _refresh(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    keys: np.ndarray,
    rep: int,
    t: float,
    event: int,
) -> None:
    """World.refresh: every hazard re-evaluates after a change of state at t.
    Not inlined: it is called from many places, each rarely.

    After an occurrence of `event` (-1: any other change), a hazard whose
    condition does not read `event` is skipped while t is before its pending
    wake and it is not stale: nothing it reads has changed since its last
    update (every other change refreshes it, except a hazard rule's own firing,
    which marks it stale until the update that follows its actions), and no
    timed change is due before the wake (which is at or before its next timed
    change), so the update would find the same rate and the same next change,
    and do nothing.
    """
    n_hazards = mi[H_N_HAZARDS]
    for h in range(n_hazards):
        if (
            event >= 0
            and not mi[mi[H_EVENT_HAZARD_DEP] + event * n_hazards + h]
            and not si[mi[H_SI_HAZARDS] + SI_PER_HAZARD * h + H_STALE]
            and t < sf[mi[H_SF_HAZARDS] + SF_PER_HAZARD * h + H_WAKE_AT]
        ):
            continue
        _update(mi, mf, si, sf, q, tm, keys, rep, h, t)


@compiled
def _law(
    si: np.ndarray,
    sf: np.ndarray,
    keys: np.ndarray,
    rep: int,
    lane: int,
    law: int,
    a: float,
    b: float,
) -> float:
    """A delay law's draw, as sim.engine.delays.delay_sampler (codes of
    sim.engine.delays.delay_law): a rule's response delay, a regime's onset
    delay and duration."""
    if law == NONE:
        return 0.0
    if law == FIXED:
        return a
    if law == EXPONENTIAL:
        return a * next_exponential(keys, si, sf, lane, rep)
    if law == UNIFORM:
        return a + b * next_uniform(keys, si, sf, lane, rep)
    if law == GAMMA:
        return b * next_gamma(keys, si, sf, lane, rep, a)
    return a * math.exp(b * next_normal(keys, si, sf, lane, rep))


@compiled
def _change_rule_factor(
    mi: np.ndarray, si: np.ndarray, sf: np.ndarray, fa: np.ndarray, r: int, factor: float, add: bool
) -> None:
    """RuleRuntime.add_factor / remove_factor: the product of the regimes'
    factors in force, in the order they started (rule r's row of `fa` is
    n_streams + r)."""
    row = mi[H_N_STREAMS] + r
    at = mi[H_SI_RULE_FACTORS] + r
    n = si[at]
    if add:
        if n == fa.shape[1]:
            si[mi[H_SI_SCALARS] + OVERFLOW] = 1
            return
        fa[row, n] = factor
        n += 1
    else:
        for j in range(n):
            if fa[row, j] == factor:  # list.remove: the first equal value
                for k in range(j, n - 1):
                    fa[row, k] = fa[row, k + 1]
                n -= 1
                break
    si[at] = n
    product = 1.0
    for j in range(n):
        product *= fa[row, j]
    sf[mi[H_SF_RULE_FACTOR] + r] = product


@compiled
def _regime_lane(mi: np.ndarray, g: int) -> int:
    """Regime g's lane 0 (its lanes follow the streams' and rules')."""
    first: int = 2 * (mi[H_N_STREAMS] + mi[H_N_RULES]) + REGIME_LANES * g
    return first


@compiled
def _regime_trigger(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    keys: np.ndarray,
    rep: int,
    g: int,
    t: float,
) -> None:
    """RegimeRuntime.trigger: unless on, if `if` holds and the lottery (lane 3)
    says so, an onset after the delay (lane 1)."""
    if si[mi[H_SI_REGIME_ON] + g] or not _cond_holds(mi, mf, si, tm, mi[mi[H_REGIME_IF] + g], t):
        return
    lane = _regime_lane(mi, g)
    p = mf[mi[H_REGIME_PROBABILITY] + g]
    if p < 1.0 and next_uniform(keys, si, sf, lane + 3, rep) >= p:
        return
    wait = _law(
        si,
        sf,
        keys,
        rep,
        lane + 1,
        mi[mi[H_REGIME_DELAY_LAW] + g],
        mf[mi[H_REGIME_DELAY_A] + g],
        mf[mi[H_REGIME_DELAY_B] + g],
    )
    schedule(mi, si, sf, q, wait, NORMAL, REGIME_ON, g, 0.0)


@compiled
def _switch_regime(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    fa: np.ndarray,
    keys: np.ndarray,
    rep: int,
    g: int,
    on: bool,
) -> None:
    """RegimeRuntime.switch_on (nothing if on) or _switch_off, at now: the
    factors on and off, first-onset outcomes, the duration (lane 2), then every
    hazard re-evaluates."""
    t = sf[mi[H_SF_SCALARS] + NOW]
    at = mi[H_SI_REGIME_ON] + g
    if on and si[at]:
        return
    si[at] = 1 if on else 0
    for j in range(mi[mi[H_REGIME_STREAM_LO] + g], mi[mi[H_REGIME_STREAM_HI] + g]):
        s, factor = mi[mi[H_RSTREAM_STREAM] + j], mf[mi[H_RSTREAM_FACTOR] + j]
        _change_factor(mi, si, sf, q, fa, s, factor, on)
    for j in range(mi[mi[H_REGIME_RULE_LO] + g], mi[mi[H_REGIME_RULE_HI] + g]):
        r, factor = mi[mi[H_RRULE_RULE] + j], mf[mi[H_RRULE_FACTOR] + j]
        _change_rule_factor(mi, si, sf, fa, r, factor, on)
    if on:
        days = mi[H_SF_OUTCOME_DAYS]
        for j in range(mi[mi[H_REGIME_OUTCOME_LO] + g], mi[mi[H_REGIME_OUTCOME_HI] + g]):
            o = days + mi[mi[H_ROUTCOME_INDEX] + j]
            if math.isnan(sf[o]):
                sf[o] = t
        law = mi[mi[H_REGIME_DURATION_LAW] + g]
        if law >= 0:
            a, b = mf[mi[H_REGIME_DURATION_A] + g], mf[mi[H_REGIME_DURATION_B] + g]
            lasts = _law(si, sf, keys, rep, _regime_lane(mi, g) + 2, law, a, b)
            schedule(mi, si, sf, q, lasts, NORMAL, REGIME_OFF, g, 0.0)
    _refresh(mi, mf, si, sf, q, tm, keys, rep, t, -1)


@compiled
def _hazard_due(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    fa: np.ndarray,
    keys: np.ndarray,
    rep: int,
    h: int,
    token: int,
) -> None:
    """HazardClock._due, then the firing: a hazard rule's decision (a response
    after the rule's delay, from its lane 1) or a regime's onset."""
    b = mi[H_SI_HAZARDS] + SI_PER_HAZARD * h
    if token != si[b + H_TOKEN]:
        return
    fb = mi[H_SF_HAZARDS] + SF_PER_HAZARD * h
    sf[fb + H_REMAINING] = math.nan
    sf[fb + H_RATE] = 0.0
    si[b + H_TOKEN] += 1
    target = mi[mi[H_HAZARD_TARGET] + h]
    if mi[mi[H_HAZARD_KIND] + h] == HAZARD_RULE:
        t = sf[mi[H_SF_SCALARS] + NOW]
        si[mi[H_SI_PENDING] + target] += 1
        delay = _delay(mi, mf, si, sf, keys, rep, target, 2 * mi[H_N_STREAMS] + 2 * target + 1)
        schedule(mi, si, sf, q, delay, NORMAL, RESPOND, target, 0.0)
        _update(mi, mf, si, sf, q, tm, keys, rep, h, t)
    else:
        _switch_regime(mi, mf, si, sf, q, tm, fa, keys, rep, target, True)


@compiled
def _hazard_wake(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    keys: np.ndarray,
    rep: int,
    h: int,
    token: int,
) -> None:
    """Hazard._wake: the earliest pending wake clears the mark; any re-evaluates."""
    if token == si[mi[H_SI_HAZARDS] + SI_PER_HAZARD * h + H_WAKE_TOKEN]:
        sf[mi[H_SF_HAZARDS] + SF_PER_HAZARD * h + H_WAKE_AT] = math.inf
    _update(mi, mf, si, sf, q, tm, keys, rep, h, sf[mi[H_SF_SCALARS] + NOW])


# --- one replication, and a chunk of them -------------------------------------


@compiled
def _simulate(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    ch: np.ndarray,
    fa: np.ndarray,
    keys: np.ndarray,
    rep: int,
) -> bool:
    """Replication `rep` from day 0 to the horizon; False if a capacity ran out."""
    sc, n_streams = mi[H_SI_SCALARS], mi[H_N_STREAMS]
    for i in range(si.size):
        si[i] = 0
    for i in range(sf.size):
        sf[i] = 0.0
    si[sc + ACTIVE] = -1
    for s in range(n_streams):
        si[mi[H_SI_STREAMS] + SI_PER_STREAM * s + ALIVE] = 1
        si[mi[H_SI_STREAMS] + SI_PER_STREAM * s + TOKEN] = -1
        sf[mi[H_SF_STREAMS] + SF_PER_STREAM * s + SCALE] = 1.0
    for k in range(mi[H_SF_KERNEL_UPDATED] - mi[H_SF_KERNEL_TOTAL]):
        sf[mi[H_SF_KERNEL_TOTAL] + k] = mf[mi[H_KERNEL_TOTAL0] + k]
    for r in range(mi[H_N_RULES]):
        sf[mi[H_SF_LAST_FIRED] + r] = mf[mi[H_RULE_FIRED0] + r]
    for j in range(mi[H_SI_HAZARDS] - mi[H_SI_WINDOW_START]):
        si[mi[H_SI_WINDOW_START] + j] = mi[mi[H_COUNT_START0] + j]
    for o in range(mi[H_N_OUTCOMES]):
        sf[mi[H_SF_OUTCOME_DAYS] + o] = math.nan
    for h in range(mi[H_N_HAZARDS]):
        sf[mi[H_SF_HAZARDS] + SF_PER_HAZARD * h + H_REMAINING] = math.nan
        sf[mi[H_SF_HAZARDS] + SF_PER_HAZARD * h + H_WAKE_AT] = math.inf
    for r in range(mi[H_N_RULES]):
        sf[mi[H_SF_RULE_FACTOR] + r] = 1.0
    # World.__init__: the ladder (which arms its timer), then the initial level.
    level = mi[H_INITIAL_LEVEL]
    si[sc + LEVEL] = level
    si[sc + MAX_LEVEL] = level
    ch[0, 0] = 0.0
    ch[0, 1] = level
    si[sc + N_CHANGES] = 1
    _ladder_arm(mi, mf, si, sf, q)
    _level_raised(mi, sf, level, 0.0)
    if mi[H_N_HAZARDS]:  # World._add_hazards
        _refresh(mi, mf, si, sf, q, tm, keys, rep, 0.0, -1)
    # simulate(): one process per stream, then env.run(until=horizon).
    for s in range(n_streams):
        schedule(mi, si, sf, q, 0.0, URGENT, INIT, s, 0.0)
    schedule(mi, si, sf, q, mf[mi[H_F_HORIZON]], URGENT, STOP, 0, 0.0)
    now = mi[H_SF_SCALARS] + NOW
    streams = mi[H_SI_STREAMS]
    while not si[sc + OVERFLOW]:
        i = _pop(mi, si, q)
        si[sc + POPPED] += 1
        # The row is read whole now: the next schedule may write over it.
        sf[now], order, payload, factor = q[i, QT], int(q[i, QO]), int(q[i, QP]), q[i, QF]
        kind, a = payload >> 32, payload & 0xFFFFFFFF
        if kind == STOP:
            break
        # One call site per helper: each inlined call is a copy of the helper and
        # of everything it inlines (a stream's step holds occurrences, rules,
        # the ladder and the draws), so fewer copies compile sooner.
        if kind <= INTERRUPT:  # INIT, RESUME, INTERRUPT: the stream's process runs
            run = True
            if kind == RESUME:  # else a timeout its process abandoned
                run = order & (2**50 - 1) == si[streams + SI_PER_STREAM * a + TOKEN]
            elif kind == INTERRUPT:
                run = si[streams + SI_PER_STREAM * a + ALIVE] != 0
                if run:
                    si[streams + SI_PER_STREAM * a + TOKEN] = -1
            if run:
                _resume_stream(mi, mf, si, sf, q, tm, ch, keys, rep, a, kind)
        elif kind in (FIRE, RESPOND):
            _fire(mi, mf, si, sf, q, tm, ch, fa, keys, rep, a)
            if kind == RESPOND:  # HazardRule._respond: its hazard updates after the actions
                h = mi[mi[H_RULE_HAZARD_INDEX] + a]
                _update(mi, mf, si, sf, q, tm, keys, rep, h, sf[now])
        elif kind == UNSCALE:
            _change_factor(mi, si, sf, q, fa, a, factor, False)
        elif kind == LADDER:
            level = si[sc + LEVEL]
            _ladder_wake(mi, mf, si, sf, q, ch)
            if si[sc + LEVEL] != level and mi[H_N_HAZARDS]:  # the ladder's on_change
                _refresh(mi, mf, si, sf, q, tm, keys, rep, sf[now], -1)
        elif kind == HAZARD_DUE:
            _hazard_due(mi, mf, si, sf, q, tm, fa, keys, rep, a, int(factor))
        elif kind == HAZARD_WAKE:
            _hazard_wake(mi, mf, si, sf, q, tm, keys, rep, a, int(factor))
        elif kind in (REGIME_ON, REGIME_OFF):
            _switch_regime(mi, mf, si, sf, q, tm, fa, keys, rep, a, kind == REGIME_ON)
    return not si[sc + OVERFLOW]


@entry
def run_replications(
    mi: np.ndarray,
    mf: np.ndarray,
    si: np.ndarray,
    sf: np.ndarray,
    q: np.ndarray,
    tm: np.ndarray,
    ch: np.ndarray,
    fa: np.ndarray,
    keys: np.ndarray,
    reps: np.ndarray,
    slots: np.ndarray,
    values: np.ndarray,
    outcome_days: np.ndarray,
    counts: np.ndarray,
    max_level: np.ndarray,
    final_level: np.ndarray,
    level_by_day: np.ndarray,
    monthly: np.ndarray,
    windows: np.ndarray,
    events: np.ndarray,
) -> int:
    """Simulate `reps` in order, writing row i of each output (the RunTable's
    columns, as sim.montecarlo.summarise computes them). Replication i first
    writes its parameter values `values[i]` at offsets `slots` of `mf`
    (uncertain parameters; none: no columns). Returns how many rows were
    completed: fewer than len(reps) when a capacity ran out."""
    sc, n_events = mi[H_SI_SCALARS], mi[H_N_EVENTS]
    grid, edges = mi[H_DAY_GRID], mi[H_MONTH_EDGES]
    n_days, n_months = level_by_day.shape[1], monthly.shape[2]
    history_lo, history_len = mi[H_HISTORY_LO], mi[H_HISTORY_LEN]
    for e in range(n_events):  # the history, never overwritten: occurrences go after it
        for j in range(mi[history_len + e]):
            tm[e, j] = mf[mi[H_HISTORY_TIMES] + mi[history_lo + e] + j]
    for row in range(reps.size):
        for j in range(slots.size):
            mf[slots[j]] = values[row, j]
        if not _simulate(mi, mf, si, sf, q, tm, ch, fa, keys, reps[row]):
            return row
        for o in range(mi[H_N_OUTCOMES]):
            outcome_days[row, o] = sf[mi[H_SF_OUTCOME_DAYS] + o]
        for e in range(n_events):
            counts[row, e] = si[mi[H_SI_COUNTS] + e]
        max_level[row] = si[sc + MAX_LEVEL]
        final_level[row] = si[sc + LEVEL]
        events[row] = si[sc + POPPED]
        n_changes = si[sc + N_CHANGES]
        at = 0
        for d in range(n_days):
            while at + 1 < n_changes and ch[at + 1, 0] <= mf[grid + d]:
                at += 1
            level_by_day[row, d] = int(ch[at, 1])
        for e in range(n_events):
            # Simulated occurrences only (tm[e, past:n]), as the SimPy engine's records.
            past = mi[history_len + e]
            n = past + si[mi[H_SI_COUNTS] + e]
            if n == past:
                continue
            # np.diff(np.searchsorted(times, edges)) by one merge of two sorted lists.
            k = past
            while k < n and tm[e, k] < mf[edges]:
                k += 1
            for month in range(n_months):
                start = k
                while k < n and tm[e, k] < mf[edges + month + 1]:
                    k += 1
                monthly[row, e, month] = k - start
        for w in range(mi[H_N_WINDOWS]):
            e = mi[mi[H_WINDOW_EVENT] + w]
            past = mi[history_len + e]
            n = past + si[mi[H_SI_COUNTS] + e]
            lo = _left_of(tm, e, past, n, mf[mi[H_WINDOW_LO] + w])
            windows[row, w] = _left_of(tm, e, past, n, mf[mi[H_WINDOW_HI] + w]) - lo
    return reps.size
