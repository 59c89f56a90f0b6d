"""Spontaneous events: one SimPy process per stream, exact Ogata thinning.

Between jumps the intensity only decays, so its current value bounds it
until the next jump. A candidate time is drawn from that bound; at the
candidate the true intensity is compared with the bound. Whenever the
intensity jumps from outside (a cross-exciting event, a rule's occurrence of
this event type, a `scale` starting or ending) the process is interrupted
and redraws: the exponential's memorylessness makes this exact.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy

from sim.engine.hawkes import Kernel, pick_parent
from sim.rng import Draws

if TYPE_CHECKING:
    from sim.engine.world import World


class StreamRuntime:
    """The per-replication state of one stream."""

    __slots__ = (
        "accept_draws",
        "cause_draws",
        "end",
        "env",
        "event",
        "factors",
        "generated",
        "interrupted",
        "kernels",
        "max_events",
        "process",
        "rate",
        "scale",
        "start",
        "wait_draws",
    )

    def __init__(
        self,
        env: simpy.Environment,
        event: int,
        rate: float,
        kernels: list[Kernel],
        start: float,
        end: float,
        max_events: int | None,
        wait_draws: Draws,
        accept_draws: Draws,
        cause_draws: Draws,
    ):
        self.env = env
        self.event = event
        self.rate = rate
        self.kernels = kernels
        self.start, self.end = start, end
        self.max_events = max_events
        self.wait_draws = wait_draws
        self.accept_draws = accept_draws
        self.cause_draws = cause_draws
        self.factors: list[float] = []
        self.scale = 1.0
        self.generated = 0
        self.interrupted = False
        self.process: simpy.Process | None = None

    def wake(self) -> None:
        """The intensity changed: make the process redraw its next candidate.

        A live process that is not the one running is waiting on a timeout
        (all processes start before any event can occur, as SimPy runs their
        initialisation first). The stream's own occurrences need no wake: the
        process recomputes its bound right after them.
        """
        process = self.process
        if (
            not self.interrupted
            and process is not None
            and process.is_alive
            and self.env._active_proc is not process  # `active_process`, read directly
        ):
            self.interrupted = True
            process.interrupt()

    def add_factor(self, factor: float) -> None:
        """Start multiplying the intensity by `factor` (a scale action); wake the
        thinning loop, whose pending candidate was drawn under the old bound."""
        self.factors.append(factor)
        self.scale = math.prod(self.factors)
        self.wake()

    def remove_factor(self, factor: float) -> None:
        """Stop one earlier factor when its days run out; the loop is woken for the
        same reason as in `add_factor`."""
        self.factors.remove(factor)
        self.scale = math.prod(self.factors)
        self.wake()

    def choose_cause(self, world: World, t: float) -> tuple[str, int | None]:
        """Which intensity term produced an accepted point, drawn in proportion
        to the terms (a separate generator, so traces never change results)."""
        terms = [k.term(t) for k in self.kernels]
        u = self.cause_draws.uniform() * (self.rate + sum(terms))
        if u < self.rate:
            return "baseline", None
        u -= self.rate
        for kernel, term in zip(self.kernels, terms, strict=True):
            if u < term:
                parents = world.times[kernel.source]
                chosen = pick_parent(parents, t, kernel.inv_decay, u / term)
                parent = world.indices[kernel.source][chosen]
                return ("excitation", parent) if parent is not None else ("history", None)
            u -= term
        return "baseline", None


def stream_process(
    env: simpy.Environment, world: World, s: StreamRuntime
) -> Generator[simpy.Event, None, None]:
    """Generate the stream's occurrences from its start to its end.

    Candidate waits come from the stream's lane 0, acceptance uniforms from
    its lane 1; a stream whose intensity is zero draws nothing. This is the
    engine's inner loop, so names are bound locally, the intensity sum is
    inlined and uniforms come from local block lists (each wait's exponential
    is made when it is used: a block holds more than a replication uses). After
    an accepted point nothing but this stream's own kernels can have jumped
    (rules only schedule responses), so the next bound is the intensity just
    computed plus those jumps, with no second pass over the kernels.
    """
    timeout = env.timeout
    event, kernels, rate, end, cap = s.event, s.kernels, s.rate, s.end, s.max_events
    own_jump = sum(k.coef for k in kernels if k.source == event)
    exp, log = math.exp, math.log
    occur = world.occur
    keep_log = world.log is not None
    waits: list[float] = []
    unis: list[float] = []
    i_wait = i_uni = 0
    now = env.now
    while now < end and (cap is None or s.generated < cap):
        if now < s.start:
            wait = s.start - now
        else:
            bound = rate
            for k in kernels:
                if k.total:
                    bound += k.coef * k.total * exp((k.updated_at - now) * k.inv_decay)
            bound *= s.scale
            # Thinning until the window closes or an outside change interrupts
            # (a zero intensity draws nothing: it only waits for either).
            interrupted = False
            while bound > 0.0:
                if i_wait == len(waits):
                    waits, i_wait = s.wait_draws.uniform_block(), 0
                wait = -log(1.0 - waits[i_wait]) / bound  # a unit exponential, as `Draws`
                i_wait += 1
                if now + wait >= end:
                    break
                try:
                    yield timeout(wait)
                except simpy.Interrupt:
                    s.interrupted, interrupted = False, True
                    break
                now += wait
                current = rate
                for k in kernels:
                    if k.total:
                        current += k.coef * k.total * exp((k.updated_at - now) * k.inv_decay)
                current *= s.scale
                if i_uni == len(unis):
                    unis, i_uni = s.accept_draws.uniform_block(), 0
                accept = unis[i_uni] * bound <= current
                i_uni += 1
                bound = current
                if accept:
                    if cap is not None:
                        s.generated += 1
                    if keep_log:
                        cause, parent = s.choose_cause(world, now)
                        occur(event, now, cause, parent)
                    else:
                        occur(event, now, "stream", None)
                    if cap is not None and s.generated >= cap:
                        return
                    bound += s.scale * own_jump
            if interrupted:  # redraw under the new intensity
                now = env.now
                continue
            wait = end - now
        # Waiting for the window to open or close: only an outside change ends it early.
        try:
            yield timeout(wait)
        except simpy.Interrupt:
            s.interrupted = False
        now = env.now
