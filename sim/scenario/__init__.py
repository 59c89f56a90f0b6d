"""Scenario files: schema, loading with line numbers, checks and overrides."""

from sim.scenario.loader import load_scenario
from sim.scenario.overrides import parse_assignments, with_overrides
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario", "parse_assignments", "with_overrides"]
