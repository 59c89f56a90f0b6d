"""What one replication leaves behind, as frozen records with units in names."""

from __future__ import annotations

from dataclasses import dataclass

from sim.engine.regimes import RegimeSpan


@dataclass(frozen=True)
class Occurrence:
    """One event in a replication's log.

    `cause` is "baseline" (the stream's background rate), "excitation" (the
    offspring of occurrence `caused_by`, drawn in proportion to the intensity
    terms: the branching-structure view of a Hawkes process), "history" (the
    offspring of an event before day 0, which is not in the log) or
    "rule:<id>" (a response to the occurrence `caused_by`).
    """

    index: int
    time_days: float
    event: str
    actor: str
    cause: str
    caused_by: int | None
    level_after: int


@dataclass(frozen=True)
class Replication:
    """The outcome of one run of the model from day 0 to the horizon."""

    rep: int
    outcome_days: dict[str, float | None]
    """First time each outcome happened, in days; None if it did not."""
    outcome_causes: dict[str, int | None]
    """Log index of the occurrence that made each outcome happen (for causal chains)."""
    counts: dict[str, int]
    """Occurrences per event type."""
    max_level: int
    final_level: int
    level_changes: tuple[tuple[float, int], ...]
    """(time in days, new level), starting with (0, initial level)."""
    event_times_days: dict[str, tuple[float, ...]]
    """Occurrence times per event type, in order."""
    simpy_events: int
    """SimPy events the replication dispatched (for throughput measurements)."""
    log: tuple[Occurrence, ...] | None = None
    """The full event log, kept only when asked for (traces)."""
    regimes: tuple[RegimeSpan, ...] = ()
    """Every spell of every regime, in order of onset (docs/MODEL.md, Regimes)."""

    def chain_to(self, index: int) -> list[Occurrence]:
        """The causal chain ending at occurrence `index`, root first."""
        if self.log is None:
            raise ValueError("this replication was run without its log (keep_log=False)")
        chain = []
        current: int | None = index
        while current is not None:
            occurrence = self.log[current]
            chain.append(occurrence)
            current = occurrence.caused_by
        return chain[::-1]
