"""A scenario compiled to plain indices and numbers, once per process.

The engine's hot path must not look up ids in dicts or walk pydantic models,
so `compile_model` resolves every reference to an integer index up front.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.engine.conditions import ConditionSpec
from sim.engine.delays import DelaySampler, delay_sampler
from sim.engine.regimes import RegimeSpec
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class StreamSpec:
    """One background event stream with its indices resolved.

    Rates are events per day; `start`/`end` is the active window in days, clipped
    to the horizon; `max_events` caps the stream's own points (None: no cap)."""

    ident: str
    event: int
    rate: float
    kernels: tuple[tuple[int, float, float], ...]
    """(source event index, branching, decay days)."""
    start: float
    end: float
    max_events: int | None


@dataclass(frozen=True)
class ActionSpec:
    """One rule action: exactly one of emit (event index), scale or set_level is set."""

    emit: int | None
    scale: tuple[int, float, float] | None
    """(stream index, factor, days)."""
    set_level: int | None


@dataclass(frozen=True)
class RuleSpec:
    """One rule with its ids resolved to indices, as the engine's hot path needs.

    Days are the unit of `after_day`, `before_day`, `cooldown`; `counts` holds
    (event index, window days, at-least count) and `totals` (event index,
    at-least count)."""

    ident: str
    on: tuple[int, ...]
    level_at_least: int | None
    level_at_most: int | None
    counts: tuple[tuple[int, float, int], ...]
    totals: tuple[tuple[int, int], ...]
    after_day: float | None
    before_day: float | None
    probability: float
    delay: DelaySampler
    cooldown: float
    recheck: bool
    max_pending: int | None
    actions: tuple[ActionSpec, ...]
    hazard: float | None = None
    """Decisions per day while the conditions hold (a hazard rule); None: a
    lottery on each `on` trigger."""

    @property
    def condition(self) -> ConditionSpec:
        """The rule's `if`, as a hazard evaluates it."""
        return ConditionSpec(
            self.level_at_least,
            self.level_at_most,
            self.counts,
            self.totals,
            self.after_day,
            self.before_day,
        )


@dataclass(frozen=True)
class CompiledModel:
    """A scenario flattened to tuples of indices and numbers for the engine.

    Frozen, so one compiled model is shared by every replication in a process and
    by the fast engine's compiler without copies."""

    scenario: Scenario
    events: tuple[str, ...]
    actors: tuple[str, ...]
    """Actor id of each event type."""
    rungs: tuple[int | None, ...]
    streams: tuple[StreamSpec, ...]
    rules: tuple[RuleSpec, ...]
    outcomes: tuple[str, ...]
    level_outcomes: tuple[tuple[int, int], ...]
    """(threshold, outcome index), ascending threshold."""
    event_outcomes: tuple[tuple[tuple[int, int], ...], ...]
    """Per event index: (outcome index, count threshold)."""
    horizon: float
    initial_level: int
    decay_days: float | None
    history: tuple[tuple[float, ...], ...] = ()
    """Per event type, past occurrences in days (negative, ascending)."""
    fired: tuple[float, ...] = ()
    """Per rule, its last firing before day 0 (-inf if none)."""
    regimes: tuple[RegimeSpec, ...] = ()
    """Changes of regime at random times (docs/MODEL.md, Regimes)."""
    history_totals: dict[tuple[int, float], float] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Decayed excitation the history leaves at day 0, by (source event, decay
    days): the same for every replication, so it is summed once per model (a
    history of tens of thousands of events would otherwise cost milliseconds
    per kernel per replication)."""


def compile_model(s: Scenario) -> CompiledModel:
    """Resolve every id in a validated scenario to an index, once per process.

    Kernels with zero branching are dropped (they can never add intensity) and
    stream windows are clipped to the horizon, so the engine never checks either."""
    events = tuple(s.events)
    index = {name: i for i, name in enumerate(events)}
    stream_index = {name: i for i, name in enumerate(s.streams)}
    streams = []
    for ident, st in s.streams.items():
        kernels = []
        if st.self_excitation is not None and st.self_excitation.branching > 0:
            kernels.append(
                (index[ident], st.self_excitation.branching, st.self_excitation.decay_days)
            )
        kernels += [
            (index[src], k.branching, k.decay_days)
            for src, k in st.excited_by.items()
            if k.branching > 0
        ]
        window = st.active
        start = window.from_day if window else 0.0
        end = min(window.to_day, s.horizon_days) if window else s.horizon_days
        streams.append(
            StreamSpec(ident, index[ident], st.rate, tuple(kernels), start, end, st.max_events)
        )
    rules = []
    for ident, r in s.rules.items():
        c = r.if_
        actions = tuple(
            ActionSpec(
                emit=index[a.emit] if a.emit is not None else None,
                scale=(stream_index[a.scale.stream], a.scale.factor, a.scale.days)
                if a.scale is not None
                else None,
                set_level=a.set_level,
            )
            for a in r.then
        )
        rules.append(
            RuleSpec(
                ident=ident,
                on=tuple(index[e] for e in r.on),
                level_at_least=c.level_at_least if c else None,
                level_at_most=c.level_at_most if c else None,
                counts=tuple((index[k.event], k.within_days, k.at_least) for k in c.counts)
                if c
                else (),
                totals=tuple((index[k.event], k.at_least) for k in c.totals) if c else (),
                after_day=c.after_day if c else None,
                before_day=c.before_day if c else None,
                probability=r.probability,
                delay=delay_sampler(r.delay),
                cooldown=r.cooldown_days,
                recheck=r.recheck,
                max_pending=r.max_pending,
                actions=actions,
                hazard=r.hazard,
            )
        )
    outcomes = tuple(s.outcomes)
    level_outcomes = sorted(
        (o.level_at_least, i)
        for i, o in enumerate(s.outcomes.values())
        if o.level_at_least is not None
    )
    per_event: list[list[tuple[int, int]]] = [[] for _ in events]
    for i, o in enumerate(s.outcomes.values()):
        if o.event is not None:
            per_event[index[o.event]].append((i, o.count_at_least))
    past = s.history.times(s.start_date) if s.history else {}
    fired = s.history.fired if s.history else {}
    return CompiledModel(
        scenario=s,
        events=events,
        actors=tuple(s.events[e].actor for e in events),
        rungs=tuple(s.events[e].rung for e in events),
        streams=tuple(streams),
        rules=tuple(rules),
        outcomes=outcomes,
        level_outcomes=tuple(level_outcomes),
        event_outcomes=tuple(tuple(x) for x in per_event),
        horizon=s.horizon_days,
        initial_level=s.initial_level,
        decay_days=s.ladder_decay_days,
        history=tuple(past.get(e, ()) for e in events),
        fired=tuple(
            (max(d for d in fired[r]) - s.start_date).days + 0.5 if fired.get(r) else -math.inf
            for r in s.rules
        ),
        regimes=compile_regimes(s, index, stream_index),
    )


def compile_regimes(
    s: Scenario, index: dict[str, int], stream_index: dict[str, int]
) -> tuple[RegimeSpec, ...]:
    """Each regime with its events, streams, rules and outcomes as indices."""
    rule_index = {name: i for i, name in enumerate(s.rules)}
    specs = []
    for ident, regime in s.regimes.items():
        onset = regime.onset
        specs.append(
            RegimeSpec(
                ident=ident,
                hazard=onset.hazard,
                while_=ConditionSpec.of(onset.while_, index),
                on=tuple(index[e] for e in onset.on),
                condition=ConditionSpec.of(onset.if_, index),
                probability=onset.probability,
                delay=delay_sampler(onset.delay),
                duration=delay_sampler(regime.duration) if regime.duration is not None else None,
                stream_factors=tuple(
                    (stream_index[k], e.factor) for k, e in regime.streams.items()
                ),
                rule_factors=tuple((rule_index[k], e.factor) for k, e in regime.rules.items()),
                outcomes=tuple(i for i, o in enumerate(s.outcomes.values()) if o.regime == ident),
            )
        )
    return tuple(specs)
