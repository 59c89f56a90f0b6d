"""Dated occurrences per event id over one period: what a fit and a history read.

`EventData` keeps, beside the times, everything needed to trace a number
back to its rows: each file's path and SHA-256, the filter in words, the
period, and how many rows were read and matched. A fitted stream's
provenance text is written from these fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sim.errors import Problem, ScenarioError
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class DataFile:
    """One event file as read: where it is and its content's fingerprint."""

    path: str
    sha256: str
    rows: int
    """Data rows in the file (header excluded)."""

    @property
    def short_sha(self) -> str:
        """The first 16 hex digits, enough to tell files apart in manifests and charts."""
        return self.sha256[:16]


@dataclass(frozen=True)
class EventData:
    """Occurrence times per event id, in days from the start of the period.

    With day-resolution dates (`day_resolution`), an occurrence on the k-th
    day of the period has time k and means 'some time in [k, k+1)'; a fitter
    must not read it as midnight (see sim/experiments/fit).
    """

    events: tuple[str, ...]
    times: dict[str, NDArray[np.float64]]
    """Ascending times per event id, each in [0, period_days)."""
    start: dt.date
    """First day of the period (time 0)."""
    period_days: float
    """Length of the period; both end dates are included."""
    day_resolution: bool
    files: dict[str, DataFile]
    """The file each event id's rows come from."""
    filters: dict[str, str]
    """Each event id's filter in words."""
    rows_matched: dict[str, int]
    """Rows matched per event id, inside the period."""
    rows_in_period: dict[str, int]
    """Rows of the event id's file inside the period (any type)."""
    map_file: str | None = None
    map_lines: dict[str, int | None] = field(default_factory=dict)

    @property
    def end(self) -> dt.date:
        """Last day of the period (included)."""
        return self.start + dt.timedelta(days=int(self.period_days) - 1)

    def counts(self) -> dict[str, int]:
        """Occurrences per event id inside the period, for provenance tables and for
        checking a fit against the raw totals."""
        return {event: int(self.times[event].size) for event in self.events}

    def daily_counts(self, event: str) -> NDArray[np.int64]:
        """Occurrences per day of the period."""
        days = np.floor(self.times[event]).astype(np.int64)
        return np.bincount(days, minlength=int(self.period_days))

    def select(self, events: tuple[str, ...] | list[str]) -> EventData:
        """The same data restricted to some event ids (in the order given)."""
        unknown = [e for e in events if e not in self.times]
        if unknown:
            raise KeyError(
                f"no event id {unknown[0]!r} in this data (has {', '.join(self.events)})"
            )
        keep = tuple(events)
        return EventData(
            keep,
            {e: self.times[e] for e in keep},
            self.start,
            self.period_days,
            self.day_resolution,
            {e: self.files[e] for e in keep},
            {e: self.filters[e] for e in keep},
            {e: self.rows_matched[e] for e in keep},
            {e: self.rows_in_period[e] for e in keep},
            self.map_file,
            {e: self.map_lines.get(e) for e in keep},
        )

    def provenance(self, event: str) -> str:
        """File, SHA-256, filter and period of one event id, in one sentence."""
        f = self.files[event]
        return (
            f"{self.rows_matched[event]} rows of {f.path} (sha256 {f.sha256}) where "
            f"{self.filters[event]}, {self.start}..{self.end}"
        )


def check_against_scenario(data: EventData, scenario: Scenario) -> None:
    """Refuse event data naming an event id the scenario does not define.

    Raises:
        ScenarioError: one problem per unknown id, located in the map file.
    """
    known = ", ".join(sorted(scenario.events))
    problems = [
        Problem(
            data.map_file or "event data",
            data.map_lines.get(event),
            f"events.{event}",
            f"an event id of scenario {scenario.name!r} (one of: {known})",
            f"'{event}'",
        )
        for event in data.events
        if event not in scenario.events
    ]
    if problems:
        raise ScenarioError(problems)
