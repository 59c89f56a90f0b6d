"""The SimPy environment every replication runs on, with its two hottest
paths written out: making a timeout and stepping to the horizon.

Nine in ten of a replication's SimPy events are a stream's timeouts
(the flagship: about 470 of 520), and SimPy spends about a third of the run
time on its own bookkeeping around them. `Clock` is a `simpy.Environment`
that does exactly what SimPy does on these paths, with fewer Python calls:

- `timeout` builds the same `simpy.Timeout` and pushes the same heap entry
  `(now + delay, NORMAL, next event id, event)` that `Timeout.__init__` and
  `Environment.schedule` push, without going through either (each is a
  Python call per event). SimPy's own `env.timeout` is a `BoundClass`
  attribute, bound when an environment is created; a subclass's `timeout`
  method replaces it (SimPy binds only the classes of the instance's own
  class, and `Clock` defines none).
- `run_until` is `Environment.run(until=...)` with `step` inlined: the same
  URGENT stop event scheduled before any regular event of its instant, the
  same pops, the same handling of a stopping callback (the stop event is
  rescheduled with its remaining callbacks, as `step` does) and of a failed
  event that nobody defused.

The heap therefore holds the very entries SimPy would hold, so events run in
SimPy's order (time, then URGENT before NORMAL, then scheduling order) and
`World.simpy_events`, read from SimPy's counters, is SimPy's count. Processes,
interrupts and conditions are SimPy's own.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import StopSimulation
from simpy.events import NORMAL, URGENT, EventPriority

_Timeout = simpy.Timeout
_new_timeout = _Timeout.__new__


class Clock(simpy.Environment):
    """A `simpy.Environment` whose `timeout` and run loop take fewer calls."""

    def timeout(self, delay: float, value: Any = None) -> simpy.Timeout:  # type: ignore[override]
        """A `simpy.Timeout` of `delay` days, scheduled as SimPy schedules it
        (the attributes `Timeout.__init__` sets, the entry `schedule` pushes)."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        event: simpy.Timeout = _new_timeout(_Timeout)
        event.env = self
        event.callbacks = []
        event._value = value
        event._delay = delay
        event._ok = True
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), event))
        return event

    def run_until(self, at: float) -> None:
        """Process events until day `at`, as `run(until=at)` does (`at` must be
        after now): events at `at` itself are not processed."""
        if at <= self._now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        stop = simpy.Event(self)
        stop._ok = True
        stop._value = None
        heappush(self._queue, (self._now + (at - self._now), URGENT, next(self._eid), stop))
        stop.callbacks.append(StopSimulation.callback)
        queue = self._queue
        try:
            while True:
                self._now, _, _, event = heappop(queue)
                # None marks a processed event (SimPy types the attribute as a list).
                callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
                try:
                    for callback in callbacks:
                        callback(event)
                except StopSimulation:
                    # As `Environment.step`: keep the callbacks not yet run.
                    event.callbacks = callbacks[callbacks.index(callback) + 1 :]
                    self.schedule(event, EventPriority(-1))
                    raise
                if not event._ok and not hasattr(event, "_defused"):
                    error = type(event._value)(*event._value.args)
                    error.__cause__ = event._value
                    raise error
        except StopSimulation:
            return
