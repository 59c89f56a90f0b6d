"""Hazards: things that happen at a constant daily rate while a condition holds.

A hazard rule decides to act, and a regime switches on, at a rate that is
constant between the instants its condition can change (occurrences, level
changes, the timed instants of `ConditionSpec.next_change`, a regime
switching, a cooldown ending). The engine re-evaluates the rate at each such
instant, so the process is simulated exactly in continuous time, never by
daily ticks.

The clock uses the time-change form of the exponential waiting time (the
"next reaction method" of Gibson and Bruck 2000, J. Phys. Chem. A 104; its
modified form, Anderson 2007, J. Chem. Phys. 127): one unit exponential E
is drawn per firing, and the firing happens when the hazard integrated since
the last firing reaches E. When the rate changes, the integral so far is
kept and the remaining E is spent at the new rate. By memorylessness this
has the same law as redrawing at every change, but it draws one number per
firing, so a change of rate elsewhere in the run does not shift the draws
(common random numbers stay tight).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import simpy

from sim.engine.conditions import ConditionSpec
from sim.rng import Draws

if TYPE_CHECKING:
    from sim.engine.rules import RuleRuntime
    from sim.engine.world import World


class HazardClock:
    """Fires `fire(t)` when the hazard integrated since the last firing reaches a
    unit exponential drawn from `draws` (one draw per firing)."""

    __slots__ = ("_draws", "_env", "_fire", "_remaining", "_since", "_token", "rate")

    def __init__(self, env: simpy.Environment, draws: Draws, fire: Callable[[float], None]):
        self._env = env
        self._draws = draws
        self._fire = fire
        self.rate = 0.0
        self._remaining: float | None = None
        """Integrated hazard still to run before the next firing (None: not drawn)."""
        self._since = 0.0
        self._token = 0
        """Identifies the one pending firing; a firing scheduled under an older rate is void."""

    def set_rate(self, t: float, rate: float) -> None:
        """From day t on, the hazard is `rate` per day (0: paused)."""
        if rate == self.rate:
            return
        if self.rate > 0.0 and self._remaining is not None:
            self._remaining -= self.rate * (t - self._since)
        self.rate, self._since = rate, t
        self._token += 1
        if rate > 0.0:
            if self._remaining is None:
                self._remaining = self._draws.exponential()
            token = self._token
            wait = max(self._remaining, 0.0) / rate
            self._env.timeout(wait).callbacks.append(lambda _e: self._due(token))

    def _due(self, token: int) -> None:
        if token != self._token:
            return
        self._remaining, self.rate = None, 0.0
        self._token += 1
        self._fire(self._env.now)


class Hazard:
    """Something driven by a hazard clock under a condition: subclasses give the
    rate now and what a firing does; this class re-evaluates the rate whenever
    the world asks (`update`) and at the timed instants the condition names."""

    def __init__(self, world: World, condition: ConditionSpec, draws: Draws):
        self.world = world
        self.condition = condition
        self.clock = HazardClock(world.env, draws, self.fired)
        self._wake_at = math.inf
        self._wake_token = 0
        """Identifies the earliest pending wake; an older one only re-evaluates."""
        self.reads = condition.events
        """Event types whose occurrences can change the rate (`World.occurred`)."""
        self.steady_until = -math.inf
        """`next_change` at the last `update`: until then, with no new input, the
        rate and the next wake stay as they are (`World.occurred`)."""

    def rate(self, t: float) -> float:
        """The hazard per day at day t (0 when it does not run)."""
        raise NotImplementedError

    def fired(self, t: float) -> None:
        """What happens when the clock fires at day t."""
        raise NotImplementedError

    def next_change(self, t: float) -> float:
        """The earliest timed instant after t at which the rate may change."""
        return self.condition.next_change(self.world, t)

    def update(self, t: float) -> None:
        """Re-evaluate the rate at day t, and wake again at the next timed change.

        A wake scheduled for `soon` may land a rounding error before it (the
        clock adds `soon - t` to t); the condition, tested as `t < soon`, then
        still names `soon`, and the next wake, `soon - now` later, lands on it
        exactly (the difference of two nearby floats is exact)."""
        self.clock.set_rate(t, self.rate(t))
        soon = self.steady_until = self.next_change(t)
        if soon < self._wake_at and soon < self.world.model.horizon:
            self._wake_at = soon
            self._wake_token += 1
            token = self._wake_token
            self.world.env.timeout(soon - t).callbacks.append(lambda _e: self._wake(token))

    def _wake(self, token: int) -> None:
        if token == self._wake_token:
            self._wake_at = math.inf
        self.update(self.world.env.now)


class HazardRule(Hazard):
    """A rule that decides at a constant daily rate while its `if` holds (and it
    is out of cooldown, under `max_pending`), instead of by a lottery per
    trigger; a decision schedules a firing after the rule's delay, which runs
    the rule's actions as any firing does (docs/MODEL.md, Hazard rules)."""

    def __init__(
        self, world: World, rule: RuleRuntime, hazard: float, condition: ConditionSpec
    ) -> None:
        super().__init__(world, condition, rule.draws)
        self.rule = rule
        self.hazard = hazard

    def rate(self, t: float) -> float:
        """The hazard times the regimes' factors, or 0 in cooldown, at the
        pending cap, or when the conditions do not hold."""
        rule = self.rule
        if rule.factor == 0.0 or t < rule.last_fired + rule.cooldown:
            return 0.0
        if rule.max_pending is not None and rule.pending >= rule.max_pending:
            return 0.0
        if not self.condition.holds(self.world, t):
            return 0.0
        return self.hazard * rule.factor

    def next_change(self, t: float) -> float:
        """The condition's next timed change, or the end of the cooldown."""
        soon = self.condition.next_change(self.world, t)
        ends = self.rule.last_fired + self.rule.cooldown
        return min(soon, ends) if ends > t else soon

    def fired(self, t: float) -> None:
        """A decision: schedule the firing after the rule's delay (from its lane 1)."""
        rule = self.rule
        rule.pending += 1
        delay = rule.delay(rule.delay_draws)
        self.world.env.timeout(delay).callbacks.append(self._respond)
        self.update(t)

    def _respond(self, _event: simpy.Event) -> None:
        # `fire` lowers `pending` (and may set `last_fired`) before it runs the
        # actions: an occurrence among them must update this hazard, as updating
        # every hazard would (`World.occurred` skips it until `steady_until`).
        self.steady_until = -math.inf
        self.rule.fire(self.world, None)
        self.update(self.world.env.now)
