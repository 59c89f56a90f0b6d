"""From a YAML document (one file, or a variant merged with its base) to a
validated, frozen Scenario, or every problem at once.

The one gate every scenario passes: files (`loader`), overrides, sweep points
and calibration candidates (`overrides.with_overrides`) all come through
`validate_document`, so no code path can run a scenario the validator never saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.checks import Draft, check_scenario
from sim.scenario.problems import problems_from, refused_paths, unique
from sim.scenario.schema import Provenance, Scenario
from sim.scenario.uncertain import extract_uncertain
from sim.scenario.yamlmap import Located


def validate_document(
    doc: Located,
    display: str,
    origin: Path | None,
    check_sources: bool = True,
    overrides: Mapping[str, Any] | None = None,
    earlier: list[Problem] | None = None,
) -> Scenario:
    """Schema validation, then the whole-file checks, all problems at once.

    Args:
        doc: the document and where each path was written.
        display: the file's name in messages.
        origin: the scenario's file (sources resolve from it), if any.
        check_sources: False skips resolving evidence anchors.
        overrides: values changed from the file, recorded on the scenario.
        earlier: problems found before validation (duplicate keys, a broken
            `extends`), reported first, with the rest.

    Raises:
        ScenarioError: with every problem found.
    """
    problems = [*(earlier or []), *doc.problems]
    # Numbers written as distributions (docs/MODEL.md, Uncertain parameters)
    # are checked and replaced by their medians before the schema sees them.
    data, uncertain = extract_uncertain(
        doc.data, Scenario, where=doc.where, display=display, folder=origin and origin.parent
    )
    doc = Located(data, doc.lines, doc.problems)
    context = Provenance(origin, dict(overrides or {}))
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(doc.data, context=context)
    except ValidationError as exc:
        problems += problems_from(exc, doc, display, Scenario)
        refused = refused_paths(exc, doc.data)
        draft = Draft.salvage(doc.data, origin) if isinstance(doc.data, dict) else None
    else:
        refused = frozenset()
        draft = Draft.of(scenario, doc.data)
    if draft is not None:
        problems += check_scenario(draft, doc, display, check_sources, refused)
    if problems or scenario is None:
        raise ScenarioError(unique(problems))
    return scenario.model_copy(update={"uncertain": uncertain}) if uncertain else scenario
