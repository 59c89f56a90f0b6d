"""The state of one replication, shared explicitly by streams, rules and ladder.

`occur` is the one place an occurrence changes the world, in the contract's
order: counts, level, log, outcomes, excitation of other streams, then rule
triggers (which only schedule responses).
"""

from __future__ import annotations

from sim.engine.clock import Clock
from sim.engine.hawkes import Kernel
from sim.engine.hazards import Hazard, HazardRule
from sim.engine.ladder import Ladder
from sim.engine.model import CompiledModel
from sim.engine.regimes import RegimeRuntime
from sim.engine.rules import (
    Act,
    RuleRuntime,
    condition_check,
    emit_action,
    scale_action,
    set_level_action,
)
from sim.engine.streams import StreamRuntime
from sim.rng import Draws

LogRow = tuple[float, int, str, "int | None", int]


class World:
    """Everything one replication shares: the SimPy clock, occurrence times per
    event type (history first), the ladder, streams, rules and outcome days.

    The only place events are recorded, so counts, outcomes and the optional
    log cannot disagree."""

    def __init__(self, model: CompiledModel, seed: int, rep: int, keep_log: bool):
        self.env = Clock()
        self.model = model
        n_events = len(model.events)
        past = model.history or tuple(() for _ in range(n_events))
        self.times: list[list[float]] = [list(h) for h in past]
        """Occurrence times per event type, history (negative times) first."""
        self.history_lengths = [len(h) for h in past]
        self.counts = [0] * n_events
        self.rungs = model.rungs
        self.n_occurrences = 0
        self.log: list[LogRow] | None = [] if keep_log else None
        self.indices: list[list[int | None]] = [[None] * len(h) for h in past] if keep_log else []
        """Log index of each time in `times` (None for history, which is not in the
        log); kept with the log only (a long history made it a large list per
        replication)."""
        self.outcome_days: list[float | None] = [None] * len(model.outcomes)
        self.outcome_cause: list[int | None] = [None] * len(model.outcomes)
        self.pending_outcomes = [list(entries) for entries in model.event_outcomes]
        """Event outcomes not yet reached, per event type (emptied as they happen)."""
        self.ladder = Ladder(self.env, model.initial_level, model.decay_days, self._level_raised)
        self._level_raised(model.initial_level, 0.0, None)

        self.excites: list[list[tuple[StreamRuntime, Kernel]]] = [[] for _ in range(n_events)]
        self.streams: list[StreamRuntime] = []
        for spec in model.streams:
            kernels = [Kernel(src, b, d) for src, b, d in spec.kernels]
            for kernel in kernels:
                kernel.add_history(past[kernel.source], model.history_totals)
            stream = StreamRuntime(
                self.env,
                spec.event,
                spec.rate,
                kernels,
                spec.start,
                spec.end,
                spec.max_events,
                Draws(seed, rep, f"stream:{spec.ident}", 0),
                Draws(seed, rep, f"stream:{spec.ident}", 1),
                Draws(seed, rep, f"cause:{spec.ident}"),
            )
            self.streams.append(stream)
            for kernel in kernels:
                self.excites[kernel.source].append((stream, kernel))

        self.triggers: list[list[RuleRuntime]] = [[] for _ in range(n_events)]
        self.rules: list[RuleRuntime] = []
        for r in model.rules:
            actions: list[Act] = []
            for a in r.actions:
                if a.emit is not None:
                    actions.append(emit_action(a.emit, f"rule:{r.ident}"))
                elif a.scale is not None:
                    actions.append(scale_action(*a.scale))
                elif a.set_level is not None:
                    actions.append(set_level_action(a.set_level))
            check = condition_check(
                r.level_at_least,
                r.level_at_most,
                list(r.counts),
                list(r.totals),
                r.after_day,
                r.before_day,
            )
            rule = RuleRuntime(
                r.ident,
                check,
                r.probability,
                r.delay,
                r.cooldown,
                r.recheck,
                r.max_pending,
                actions,
                Draws(seed, rep, f"rule:{r.ident}", 0),
                Draws(seed, rep, f"rule:{r.ident}", 1),
            )
            if model.fired:
                rule.last_fired = model.fired[len(self.rules)]
            self.rules.append(rule)
            for event in r.on:
                self.triggers[event].append(rule)
        self._add_hazards(seed, rep)

    def _add_hazards(self, seed: int, rep: int) -> None:
        """Hazard rules and regimes. Hazards re-evaluate their rate at every
        change of state; a scenario with none adds no work and no draws, so its
        results are those of an engine without them."""
        model, n_events = self.model, len(self.model.events)
        self.hazards: list[Hazard] = [
            HazardRule(self, rule, spec.hazard, spec.condition)
            for rule, spec in zip(self.rules, model.rules, strict=True)
            if spec.hazard is not None
        ]
        self.regimes = [RegimeRuntime(self, spec, seed, rep) for spec in model.regimes]
        self.regime_triggers: list[list[RegimeRuntime]] = [[] for _ in range(n_events)]
        for regime in self.regimes:
            if regime.spec.hazard is not None:
                self.hazards.append(regime)
            for event in regime.spec.on:
                self.regime_triggers[event].append(regime)
        if self.hazards:
            self.ladder.on_change = self.refresh
            self.refresh(0.0)

    def refresh(self, t: float) -> None:
        """Let every hazard re-evaluate its rate after a change of state at day t."""
        for hazard in self.hazards:
            hazard.update(t)

    def occurred(self, event: int, t: float) -> None:
        """After an occurrence of `event` at day t, update the hazards whose rate
        may have changed: those whose condition reads `event`, and those whose
        last `update` named a timed change at or before t (`steady_until`).

        Skipping the others gives the very results of updating them all. An
        occurrence changes no other input of a hazard's rate (level changes,
        regime switches and a hazard rule's own firings update hazards where
        they happen), and at t before `steady_until` nothing timed has changed
        either, so its `update` would find the rate its clock already runs at
        (`set_rate` returns at once) and the wake it already has pending
        (`next_change` names the same instant, a wake at or before it is
        queued): it would draw nothing and schedule nothing. On the flagship
        this skips most of the updates, which were a third of the run time.
        """
        for hazard in self.hazards:
            if t >= hazard.steady_until or event in hazard.reads:
                hazard.update(t)

    def _level_raised(self, level: int, t: float, cause: int | None) -> None:
        for threshold, outcome in self.model.level_outcomes:
            if threshold > level:
                break
            if self.outcome_days[outcome] is None:
                self.outcome_days[outcome] = t
                self.outcome_cause[outcome] = cause

    def occur(self, event: int, t: float, cause: str, parent: int | None) -> int:
        """Record an occurrence and propagate it; returns its index in the log."""
        index = self.n_occurrences
        self.n_occurrences = index + 1
        self.times[event].append(t)
        counts = self.counts
        count = counts[event] + 1
        counts[event] = count
        rung = self.rungs[event]
        if rung is not None and rung >= self.ladder.level:  # a lower rung changes nothing
            self.ladder.on_event(rung, t, index)
        if self.log is not None:
            self.indices[event].append(index)
            self.log.append((t, event, cause, parent, self.ladder.level))
        pending = self.pending_outcomes[event]
        if pending:
            for entry in [e for e in pending if count >= e[1]]:
                pending.remove(entry)
                self.outcome_days[entry[0]] = t
                self.outcome_cause[entry[0]] = index
        excited = self.excites[event]
        if excited:
            # A stream needs no wake for its own point. `_active_proc` is what
            # SimPy's `active_process` property returns, without the property call.
            running = self.env._active_proc
            for stream, kernel in excited:
                kernel.add_parent(t)
                if stream.process is not running:
                    stream.wake()
        for rule in self.triggers[event]:
            rule.trigger(self, t, index)
        if self.regimes:
            for regime in self.regime_triggers[event]:
                regime.trigger(self, t, index)
        if self.hazards:
            self.occurred(event, t)
        return index

    @property
    def simpy_events(self) -> int:
        """SimPy events dispatched so far: scheduled (SimPy's own counter,
        read without cost to the hot path) minus those still queued."""
        scheduled = next(self.env._eid)
        return scheduled - len(self.env._queue)
