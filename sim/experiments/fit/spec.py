"""What to fit: which event types, which excitation kernels, which baseline pieces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from sim.eventdata.data import EventData
from sim.experiments.fit.likelihood import Layout

Excitation = Literal["none", "self", "cross"]


@dataclass(frozen=True)
class FitSpec:
    """A model to fit to event data.

    Attributes:
        events: the event ids modelled (None: all of the data's, in order).
        excitation: "none" (Poisson), "self" (each type excites itself) or
            "cross" (every type excites every type, itself included).
        kernels: explicit (target, source) pairs; overrides `excitation`.
        baseline: "constant", "monthly" (one level per calendar month of the
            period; Lewis et al. 2012 had to let the Iraq background rate
            drift, and a constant one pushes the branching falsely towards 1)
            or the dates on which new baseline pieces start.
        min_decay_days: smallest decay allowed; None means 1 day for
            day-resolution data (excitation faster than a day cannot be
            resolved from dates) and 0.01 day otherwise.
        max_decay_days: largest decay allowed; None means half the period.
        jitter_seed: seed of the within-day placement of day-resolution
            events (see sim/experiments/fit/estimate.py).
        intervals: "profile" (branchings and decays by profile likelihood,
            which stays right at the boundary 0) or "wald" (all from observed
            information).
        max_iterations: optimiser iterations before it stops unconverged
            (the best point is then kept and the fit says so).
    """

    events: tuple[str, ...] | None = None
    excitation: Excitation = "self"
    kernels: tuple[tuple[str, str], ...] | None = None
    baseline: Literal["constant", "monthly"] | tuple[dt.date, ...] = "constant"
    min_decay_days: float | None = None
    max_decay_days: float | None = None
    jitter_seed: int = 0
    intervals: Literal["profile", "wald"] = "profile"
    max_iterations: int = 3000

    def with_(self, **changes: object) -> FitSpec:
        """A copy with the given fields changed (the comparison varies one at a time)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def event_ids(self, data: EventData) -> tuple[str, ...]:
        """The event types fitted: the spec's own list, else every type in the data."""
        return self.events if self.events is not None else data.events

    def kernel_pairs(self, data: EventData) -> tuple[tuple[str, str], ...]:
        """(target, source) kernels: the explicit list, else none, each type on
        itself, or every ordered pair, as `excitation` says."""
        events = self.event_ids(data)
        if self.kernels is not None:
            return self.kernels
        if self.excitation == "none":
            return ()
        if self.excitation == "self":
            return tuple((e, e) for e in events)
        return tuple((target, source) for target in events for source in events)

    @property
    def baseline_name(self) -> str:
        """The baseline's name for tables; dated breaks read "piecewise"."""
        return self.baseline if isinstance(self.baseline, str) else "piecewise"

    @property
    def excitation_name(self) -> str:
        """The excitation's name for tables; an explicit kernel list reads "custom"."""
        return "custom" if self.kernels is not None else self.excitation

    def decay_bounds(self, data: EventData) -> tuple[float, float]:
        """Decay bounds in days. Without a stated floor it is 1 day for
        day-resolution data (excitation faster than a day cannot be resolved
        from dates), else 0.01 day; without a stated ceiling, half the period.

        Returns:
            (low, high) in days.
        """
        low = self.min_decay_days
        if low is None:
            low = 1.0 if data.day_resolution else 0.01
        high = self.max_decay_days if self.max_decay_days is not None else data.period_days / 2
        return float(low), float(high)

    def layout(self, data: EventData) -> Layout:
        """The parameter layout for `data`.

        Raises:
            KeyError: a kernel names an event type that is not fitted."""
        events = self.event_ids(data)
        index = {e: i for i, e in enumerate(events)}
        pairs = self.kernel_pairs(data)
        for target, source in pairs:
            for e in (target, source):
                if e not in index:
                    raise KeyError(f"kernel names {e!r}, which is not among {events}")
        return Layout(
            len(events),
            baseline_breaks(self.baseline, data.start, data.period_days),
            tuple((index[t], index[s]) for t, s in pairs),
        )


def baseline_breaks(
    baseline: str | Sequence[dt.date], start: dt.date, period_days: float
) -> tuple[float, ...]:
    """Piece edges in days from the period start, from 0 to the period's end."""
    if baseline == "constant":
        return (0.0, float(period_days))
    end = start + dt.timedelta(days=period_days)
    if baseline == "monthly":
        starts = []
        month = dt.date(start.year, start.month, 1)
        while month < end:
            if month > start:
                starts.append(month)
            month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    else:
        starts = [d for d in baseline if isinstance(d, dt.date) and start < d < end]
    inner = sorted({float((d - start).days) for d in starts})
    return (0.0, *inner, float(period_days))
