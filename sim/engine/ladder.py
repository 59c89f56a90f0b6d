"""The escalation ladder: a level that events push up and quiet lets decay.

Decay rule (docs/MODEL.md): with `ladder_decay_days`, the level steps down one
rung when that many days pass with no event at or above the current rung. The
clock restarts when the level changes and at every supporting event, so a
level reached at t holds until at least t + decay. One timer is pending at a
time: a supporting event only moves `last_support`, and the timer re-arms
itself when it wakes early, which keeps frequent events cheap.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

EPS = 1e-9


class Ladder:
    """The current escalation level of one replication and its decay timer.

    Keeps every level change as (day, level), because outcomes and charts need the
    path, not only the final level (docs/MODEL.md, ladder)."""

    __slots__ = (
        "_env",
        "_on_raise",
        "_pending",
        "changes",
        "decay_days",
        "last_support",
        "level",
        "max_level",
        "on_change",
    )

    def __init__(
        self,
        env: simpy.Environment,
        initial: int,
        decay_days: float | None,
        on_raise: Callable[[int, float, int | None], None],
    ):
        self._env = env
        self._on_raise = on_raise
        self.level = initial
        self.max_level = initial
        self.decay_days = decay_days
        self.changes: list[tuple[float, int]] = [(0.0, initial)]
        self.last_support = 0.0
        self._pending = False
        self.on_change: Callable[[float], None] | None = None
        """Called after every change of level (hazards whose conditions read it)."""
        self._arm()

    def on_event(self, rung: int, t: float, cause: int | None) -> None:
        """Apply an event on `rung` at day t: a higher rung raises the level, the same
        rung only restarts the decay clock, a lower one does nothing (events never
        lower the level; only quiet does)."""
        if rung > self.level:
            self.set(rung, t, cause)
        elif rung == self.level:
            self.last_support = t

    def set(self, level: int, t: float, cause: int | None) -> None:
        """Move the level to `level` at day t (a rule's set_level or a decay step).

        The decay clock restarts even when the level is unchanged, and `on_raise` runs
        only for a rise, so level outcomes are recorded at the day they are first reached."""
        raised, changed = level > self.level, level != self.level
        if changed:
            self.level = level
            self.changes.append((t, level))
            self.max_level = max(self.max_level, level)
        self.last_support = t
        if raised:
            self._on_raise(level, t, cause)
        self._arm()
        if changed and self.on_change is not None:
            self.on_change(t)

    def _arm(self) -> None:
        if self.decay_days is None or self.level == 0 or self._pending:
            return
        self._pending = True
        wait = max(self.last_support + self.decay_days - self._env.now, 0.0)
        self._env.timeout(wait).callbacks.append(self._wake)

    def _wake(self, _event: simpy.Event) -> None:
        self._pending = False
        now = self._env.now
        assert self.decay_days is not None
        if now + EPS >= self.last_support + self.decay_days:
            self.set(self.level - 1, now, None)
        else:
            self._arm()
