"""Dated event files read through a map file into occurrence times per event id."""

from sim.eventdata.data import DataFile, EventData, check_against_scenario
from sim.eventdata.mapping import DataMap, read_map
from sim.eventdata.reader import event_data_from_times, read_events

__all__ = [
    "DataFile",
    "DataMap",
    "EventData",
    "check_against_scenario",
    "event_data_from_times",
    "read_events",
    "read_map",
]
