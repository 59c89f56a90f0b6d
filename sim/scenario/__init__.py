"""Scenario files: schema, loading with line numbers, checks, overrides, the
evidence they cite, and the work they ask for."""

from sim.scenario.loader import load_scenario
from sim.scenario.overrides import parse_assignments, with_overrides
from sim.scenario.schema import Scenario
from sim.scenario.workload import check_workload, expected_events

__all__ = [
    "Scenario",
    "check_workload",
    "expected_events",
    "load_scenario",
    "parse_assignments",
    "with_overrides",
]
