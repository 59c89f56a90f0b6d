"""Regimes: a change of regime at a random time that switches several streams
and rules at once (a ceasefire on another front, a faction's suspension of
attacks, a government crackdown that holds), for the rest of the horizon or
for a drawn duration (docs/MODEL.md, Regimes).

A regime's random numbers come from its own component `regime:<id>`: lane 0
for the onset hazard's unit exponentials, lane 1 for the onset delay, lane 2
for the duration, lane 3 for the trigger lottery's uniforms. A scenario
without regimes draws nothing here, so its results are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import simpy

from sim.engine.conditions import ConditionSpec
from sim.engine.delays import DelaySampler
from sim.engine.hazards import Hazard
from sim.rng import Draws

if TYPE_CHECKING:
    from sim.engine.world import World


@dataclass(frozen=True)
class RegimeSpec:
    """One regime with its ids resolved to indices.

    Its onset is a hazard (`hazard` per day while `while_` holds), a trigger
    (`on` events, if `condition` holds, with `probability`, after `delay`), or
    whichever of the two comes first; `duration` is None for the rest of the
    horizon."""

    ident: str
    hazard: float | None
    while_: ConditionSpec
    on: tuple[int, ...]
    condition: ConditionSpec
    probability: float
    delay: DelaySampler
    duration: DelaySampler | None
    stream_factors: tuple[tuple[int, float], ...]
    """(stream index, factor on its intensity)."""
    rule_factors: tuple[tuple[int, float], ...]
    """(rule index, factor on its probability or hazard)."""
    outcomes: tuple[int, ...]
    """Outcome indices that happen at its first onset."""


@dataclass(frozen=True)
class RegimeSpan:
    """One spell of a regime in a replication: when it switched on, what
    switched it on, and when it switched off (None: still on at the horizon)."""

    regime: str
    on_day: float
    off_day: float | None
    cause: str
    """"hazard" (its onset hazard) or "trigger" (a response to occurrence `caused_by`)."""
    caused_by: int | None


class RegimeRuntime(Hazard):
    """A regime's state in one replication: off or on, its spells so far, and the
    pending onset and end it has scheduled."""

    def __init__(self, world: World, spec: RegimeSpec, seed: int, rep: int):
        component = f"regime:{spec.ident}"
        super().__init__(world, spec.while_, Draws(seed, rep, component, 0))
        self.spec = spec
        self.delay_draws = Draws(seed, rep, component, 1)
        self.duration_draws = Draws(seed, rep, component, 2)
        self.lottery_draws = Draws(seed, rep, component, 3)
        self.on = False
        self.spans: list[RegimeSpan] = []

    def rate(self, t: float) -> float:
        """The onset hazard while the regime is off and `while` holds."""
        hazard = self.spec.hazard
        if hazard is None or self.on or not self.condition.holds(self.world, t):
            return 0.0
        return hazard

    def fired(self, t: float) -> None:
        """The onset hazard fired: switch on."""
        self.switch_on(t, "hazard", None)

    def trigger(self, world: World, t: float, index: int | None) -> None:
        """An `on` event at day t: unless already on, if the conditions hold and the
        lottery (lane 3) says so, schedule an onset after the delay (lane 1)."""
        spec = self.spec
        if self.on or not spec.condition.holds(world, t):
            return
        if spec.probability < 1.0 and self.lottery_draws.uniform() >= spec.probability:
            return
        wait = spec.delay(self.delay_draws)
        world.env.timeout(wait).callbacks.append(
            lambda _e: self.switch_on(world.env.now, "trigger", index)
        )

    def switch_on(self, t: float, cause: str, caused_by: int | None) -> None:
        """Start a spell at day t (nothing if one is running): apply the factors,
        record outcomes, draw the duration (lane 2), and let hazards re-evaluate."""
        if self.on:
            return
        world, spec = self.world, self.spec
        self.on = True
        self.spans.append(RegimeSpan(spec.ident, t, None, cause, caused_by))
        for stream, factor in spec.stream_factors:
            world.streams[stream].add_factor(factor)
        for rule, factor in spec.rule_factors:
            world.rules[rule].add_factor(factor)
        for outcome in spec.outcomes:
            if world.outcome_days[outcome] is None:
                world.outcome_days[outcome] = t
                world.outcome_cause[outcome] = caused_by
        if spec.duration is not None:
            days = spec.duration(self.duration_draws)
            world.env.timeout(days).callbacks.append(self._switch_off)
        world.refresh(t)

    def _switch_off(self, _event: simpy.Event) -> None:
        world, spec = self.world, self.spec
        t = world.env.now
        self.on = False
        self.spans[-1] = replace(self.spans[-1], off_day=t)
        for stream, factor in spec.stream_factors:
            world.streams[stream].remove_factor(factor)
        for rule, factor in spec.rule_factors:
            world.rules[rule].remove_factor(factor)
        world.refresh(t)
