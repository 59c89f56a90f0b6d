"""A scenario's canonical document and its SHA-256: what a run records so that a
result can be matched to the exact scenario that produced it (after
`extends` and overrides), and a resumed sweep can tell its base changed."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sim.scenario.schema import Scenario


def scenario_document(s: Scenario) -> dict[str, Any]:
    """The resolved scenario (after extends and overrides) with every default,
    and each uncertain parameter written as its distribution, so it reloads as it
    ran and its hash tells a scenario from its uncertain version."""
    from sim.scenario.uncertain import document_with_uncertain

    return document_with_uncertain(s) if s.uncertain else s.model_dump(mode="json", by_alias=True)


def scenario_sha256(s: Scenario) -> str:
    """SHA-256 of the canonical JSON of the resolved scenario (keys sorted)."""
    canonical = json.dumps(scenario_document(s), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
