"""Conditions that a hazard runs under, with the times they can stop holding.

A hazard (a regime's onset, a hazard rule's decisions) runs at a constant
rate while its condition holds. The condition's inputs change only at known
instants: an occurrence (counts, totals), a change of ladder level, a day
named by `after_day` or `before_day`, and the moment an occurrence leaves a
count's window. `holds` evaluates the condition now; `next_change` gives the
earliest of the timed instants after now, so the engine can re-evaluate
exactly there and the hazard stays piecewise constant between events, as
the exact continuous-time treatment needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.scenario.schema import Condition

if TYPE_CHECKING:
    from sim.engine.world import World


@dataclass(frozen=True)
class ConditionSpec:
    """A scenario `Condition` with its event ids resolved to indices.

    `counts` holds (event index, window days, at-least count) and `totals`
    (event index, at-least count), as in a rule's spec."""

    level_at_least: int | None = None
    level_at_most: int | None = None
    counts: tuple[tuple[int, float, int], ...] = ()
    totals: tuple[tuple[int, int], ...] = ()
    after_day: float | None = None
    before_day: float | None = None

    @staticmethod
    def of(condition: Condition | None, index: dict[str, int]) -> ConditionSpec:
        """The compiled form of a condition (none: always holds)."""
        if condition is None:
            return ConditionSpec()
        return ConditionSpec(
            condition.level_at_least,
            condition.level_at_most,
            tuple((index[k.event], k.within_days, k.at_least) for k in condition.counts),
            tuple((index[k.event], k.at_least) for k in condition.totals),
            condition.after_day,
            condition.before_day,
        )

    @property
    def events(self) -> frozenset[int]:
        """The event types whose occurrences this condition reads (counts, totals)."""
        return frozenset([e for e, _, _ in self.counts] + [e for e, _ in self.totals])

    def holds(self, world: World, t: float) -> bool:
        """Every stated condition holds at day t.

        A count holds while its K-th latest occurrence u is in the window,
        u + w > t: the same test as occurrences in (t - w, t], written so that
        at the instant `next_change` computes (u + w) it is false exactly.
        """
        if self.after_day is not None and t < self.after_day:
            return False
        if self.before_day is not None and t >= self.before_day:
            return False
        level = world.ladder.level
        if self.level_at_least is not None and level < self.level_at_least:
            return False
        if self.level_at_most is not None and level > self.level_at_most:
            return False
        for event, at_least in self.totals:
            if world.counts[event] < at_least:
                return False
        for event, within, at_least in self.counts:
            if at_least == 0:
                continue
            times = world.times[event]
            if len(times) < at_least or times[-at_least] + within <= t:
                return False
        return True

    def next_change(self, world: World, t: float) -> float:
        """The earliest instant after t at which the condition can change with no
        occurrence and no change of level: `after_day` or `before_day` still
        ahead, or a counted occurrence leaving its window while the count holds
        (inf when none)."""
        soon = math.inf
        if self.after_day is not None and t < self.after_day:
            soon = self.after_day
        if self.before_day is not None and t < self.before_day:
            soon = min(soon, self.before_day)
        for event, within, at_least in self.counts:
            times = world.times[event]
            if at_least and len(times) >= at_least and times[-at_least] + within > t:
                soon = min(soon, times[-at_least] + within)
        return soon
