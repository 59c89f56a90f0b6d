"""Dotted paths in words, for sweep axes, Sobol bars, discovery and profiles."""

from __future__ import annotations

import pytest

from sim.charts.labels import parameter_label
from sim.scenario.schema import Scenario

CASES = {
    "streams.drone_attack_israel.rate": "faction drone attack on Israel: baseline rate (per day)",
    "rules.israel_strikes_factions.probability": "rule israel strikes factions: probability",
    "streams.drone_attack_israel.self_excitation.branching": (
        "faction drone attack on Israel: self-excitation branching"
    ),
    "streams.drone_attack_israel.self_excitation.decay_days": (
        "faction drone attack on Israel: self-excitation decay (days)"
    ),
    "streams.attack_us_forces.excited_by.us_strike_syria.branching": (
        "faction attack on US forces: excitation by US strike in Syria, branching"
    ),
    "rules.israel_strikes_factions.delay.mean": "rule israel strikes factions: mean delay (days)",
    "rules.israel_strikes_factions.cooldown_days": "rule israel strikes factions: cooldown (days)",
    "rules.israel_strikes_factions.then[0].scale.factor": (
        "rule israel strikes factions: action 1 scale factor"
    ),
    "horizon_days": "horizon (days)",
    "outcomes.spillover.level_at_least": (
        "outcome US or Israeli strike in Iraq (rung >= 4): ladder level needed"
    ),
    "events.us_strike_iraq.rung": "US strike in Iraq: ladder rung",
}


@pytest.mark.parametrize("path", CASES)
def test_parameter_label_says_the_path_in_words(flagship: Scenario, path: str):
    assert parameter_label(flagship, path) == CASES[path]


def test_unknown_ids_and_paths_are_put_in_words_not_refused(flagship: Scenario):
    assert (
        parameter_label(flagship, "streams.not_there.rate") == "not there: baseline rate (per day)"
    )
    assert parameter_label(flagship, "something_else.entirely") == "something else entirely"
    assert parameter_label(flagship, "broken[x") == "broken[x"
