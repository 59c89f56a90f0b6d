"""Small scenarios built in code for engine tests (validated like files)."""

from __future__ import annotations

from typing import Any

from sim.scenario.loader import validate_document
from sim.scenario.schema import Scenario
from sim.scenario.yamlmap import Located


def scenario(**parts: Any) -> Scenario:
    """A minimal valid scenario with `parts` replacing top-level sections."""
    data: dict[str, Any] = {
        "name": "test",
        "start_date": "2024-01-01",
        "horizon_days": 100,
        "actors": {
            "a": {"name": "A", "kind": "armed_faction"},
            "b": {"name": "B", "kind": "state"},
        },
        "ladder": ["calm", "low", "mid", "high"],
        "events": {
            "attack": {"actor": "a", "target": "b", "rung": 1},
            "strike": {"actor": "b", "target": "a", "rung": 2},
            "big": {"actor": "b", "target": "a", "rung": 3},
        },
        "streams": {},
        "rules": {},
        "outcomes": {"any": {"level_at_least": 1}},
    }
    data.update(parts)
    return validate_document(Located(data), "<test>", None)


def one_off(day: float, **extra: Any) -> dict[str, Any]:
    """A stream that fires exactly once, within 1e-6 days after `day`."""
    return {
        "rate": 1e9,
        "max_events": 1,
        "active": {"from_day": day, "to_day": day + 1e-6},
        "assumption": "test",
        **extra,
    }


def rule(on: str, then: list[dict[str, Any]], actor: str = "b", **extra: Any) -> dict[str, Any]:
    """A rule answering `on` with the actions `then` (actor "b" by default)."""
    return {"actor": actor, "on": [on], "then": then, "assumption": "test", **extra}
