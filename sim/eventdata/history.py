"""From event data to a scenario's history: "given the data, what next?".

`history_overrides` turns the events of a data file (read through a map, as
for a fit) into the scenario's `history:` section and moves the scenario's
start to the day after the data's period, so its replications continue from
the end of the data. Every value goes through `with_overrides`, so the new
scenario is validated like any other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from sim.eventdata.data import EventData, check_against_scenario
from sim.scenario.schema import Scenario

RESTARTED = ("start_date", "history", "observed")
"""Top-level keys `history_overrides` replaces (titles leave them out)."""


def history_overrides(data: EventData, scenario: Scenario) -> dict[str, Any]:
    """Overrides that start `scenario` the day after `data` ends, with the data
    as its history.

    Documented counts (`observed`) are dropped: they were dated against the old
    start. Day offsets inside the scenario (`active` windows, `after_day`) keep
    their values and so now count from the new start.

    Raises:
        ScenarioError: the data name an event id the scenario lacks.
    """
    check_against_scenario(data, scenario)
    start = data.end + dt.timedelta(days=1)
    events = {
        event: [
            (data.start + dt.timedelta(days=int(day))).isoformat()
            for day in np.floor(data.times[event]).astype(int)
        ]
        for event in data.events
    }
    provenance = "; ".join(data.provenance(event) for event in data.events)
    return {
        "start_date": start.isoformat(),
        "observed": {},
        "history": {
            "events": events,
            "assumption": f"History read by escsim run --history from {provenance}.",
        },
    }
