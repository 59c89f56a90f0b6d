"""Reactions: when an event occurs, a rule may respond after a delay.

Order of evaluation at a trigger (docs/MODEL.md): conditions, cooldown,
`max_pending`, probability, delay. The probability draws from the rule's
lane 0, the delay from its lane 1. A response is always scheduled as a SimPy
timeout (zero for no delay), so events at one instant are handled in the
order they were scheduled. Cooldown is checked again when a response comes
due, so a rule never fires twice within `cooldown_days` even when several
responses were drawn during one delay.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.engine.delays import DelaySampler
from sim.rng import Draws

if TYPE_CHECKING:
    from sim.engine.world import World

Check = Callable[["World", float], bool]
Act = Callable[["World", float, int | None], None]


class RuleRuntime:
    """A rule's mutable state in one replication: cooldown clock, pending firings
    and the two generators (one for the probability draw, one for delays, so a
    change of delay law does not shift the accept/reject draws)."""

    __slots__ = (
        "actions",
        "chance",
        "check",
        "cooldown",
        "delay",
        "delay_draws",
        "draws",
        "factor",
        "factors",
        "ident",
        "last_fired",
        "max_pending",
        "pending",
        "probability",
        "recheck",
    )

    def __init__(
        self,
        ident: str,
        check: Check | None,
        probability: float,
        delay: DelaySampler,
        cooldown: float,
        recheck: bool,
        max_pending: int | None,
        actions: list[Act],
        draws: Draws,
        delay_draws: Draws,
    ):
        self.ident = ident
        self.check = check
        self.probability = probability
        self.delay = delay
        self.cooldown = cooldown
        self.recheck = recheck
        self.max_pending = max_pending
        self.actions = actions
        self.draws = draws
        self.delay_draws = delay_draws
        self.last_fired = -float("inf")
        self.pending = 0
        self.factors: list[float] = []
        """Factors of the regimes in force on this rule."""
        self.factor = 1.0
        self.chance = probability
        """The probability in force: `probability` times the factors, at most 1."""

    def add_factor(self, factor: float) -> None:
        """A regime starts multiplying the rule's probability (or hazard) by `factor`."""
        self.factors.append(factor)
        self._refactor()

    def remove_factor(self, factor: float) -> None:
        """A regime's factor on the rule ends."""
        self.factors.remove(factor)
        self._refactor()

    def _refactor(self) -> None:
        self.factor = math.prod(self.factors)
        self.chance = min(1.0, self.probability * self.factor)

    def trigger(self, world: World, t: float, trigger: int | None) -> None:
        """Consider firing at day t after event `trigger`: refused by cooldown, the
        max_pending cap, the conditions or the probability draw (in that order), else
        the firing is scheduled after the rule's delay (days)."""
        # Cooldown and cap first: they are cheaper than the conditions, and all
        # three are pure, so the order among them cannot change a result.
        if t - self.last_fired < self.cooldown:
            return
        if self.max_pending is not None and self.pending >= self.max_pending:
            return
        if self.check is not None and not self.check(world, t):
            return
        if self.chance < 1.0 and self.draws.uniform() >= self.chance:
            return
        self.pending += 1
        timeout = world.env.timeout(self.delay(self.delay_draws))
        timeout.callbacks.append(lambda _e: self.fire(world, trigger))

    def fire(self, world: World, trigger: int | None) -> None:
        """Run the actions once the delay has passed, unless the cooldown was used up
        meanwhile, a regime disables the rule (factor 0) now, or, with `recheck`,
        the conditions no longer hold at firing time."""
        self.pending -= 1
        t = world.env.now
        if self.factor == 0.0:
            return
        if t - self.last_fired < self.cooldown:
            return
        if self.recheck and self.check is not None and not self.check(world, t):
            return
        self.last_fired = t
        for act in self.actions:
            act(world, t, trigger)


def scale_action(stream_index: int, factor: float, days: float) -> Act:
    """An action multiplying a stream's intensity by `factor` for `days` days;
    factors stack multiplicatively and are removed individually when they expire."""

    def act(world: World, t: float, trigger: int | None) -> None:
        stream = world.streams[stream_index]
        stream.add_factor(factor)
        world.env.timeout(days).callbacks.append(lambda _e: stream.remove_factor(factor))

    return act


def emit_action(event: int, cause: str) -> Act:
    """An action making event `event` occur at once, attributed to `cause` (the
    rule id) and to the triggering occurrence, so traces can show the chain."""

    def act(world: World, t: float, trigger: int | None) -> None:
        world.occur(event, t, cause, trigger)

    return act


def set_level_action(level: int) -> Act:
    """An action setting the ladder to `level` (up or down), as the rule says,
    independent of the events' own rungs."""

    def act(world: World, t: float, trigger: int | None) -> None:
        world.ladder.set(level, t, trigger)

    return act


def condition_check(
    level_at_least: int | None,
    level_at_most: int | None,
    counts: list[tuple[int, float, int]],
    totals: list[tuple[int, int]],
    after_day: float | None,
    before_day: float | None,
) -> Check | None:
    """All conditions of a rule's `if` as one function, or None if there are none."""
    if (
        level_at_least is None
        and level_at_most is None
        and not counts
        and not totals
        and after_day is None
        and before_day is None
    ):
        return None

    # Counts that can fail: at least 0 occurrences always holds.
    windows = [(event, within, at_least) for event, within, at_least in counts if at_least > 0]

    def check(world: World, t: float) -> bool:
        # Called at every trigger: a plain loop, cheapest tests first.
        if after_day is not None and t < after_day:
            return False
        if before_day is not None and t >= before_day:
            return False
        level = world.ladder.level
        if level_at_least is not None and level < level_at_least:
            return False
        if level_at_most is not None and level > level_at_most:
            return False
        counts_now = world.counts
        for event, at_least in totals:
            if counts_now[event] < at_least:
                return False
        for event, within, at_least in windows:
            # Times are ascending: at least K of them lie after t - within
            # exactly when the K-th latest does (O(1), no search).
            times = world.times[event]
            if len(times) < at_least or times[-at_least] <= t - within:
                return False
        return True

    return check
