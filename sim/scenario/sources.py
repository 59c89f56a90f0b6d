"""The evidence table: every sourced number traced to a fact and its quote."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.scenario.checks import sourced_parts
from sim.scenario.evidence import EvidenceFile, EvidenceLibrary, project_root
from sim.scenario.schema import Scenario, Sourced

NUMERIC_LEAVES = ("rate", "probability", "cooldown_days", "count", "max_events", "max_pending")


def numeric_parameters(prefix: str, part: Sourced) -> list[tuple[str, Any]]:
    """(dotted path, value) of the numbers a part sets."""
    data = part.model_dump(by_alias=True, exclude_none=True, exclude={"source", "assumption"})
    out: list[tuple[str, Any]] = []

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{path}.{key}", inner)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((path, value))

    walk(prefix, data)
    return out


def document_name(evidence: EvidenceFile) -> str:
    """Title, outlet and date; the original's file name where the title is unknown."""
    title = evidence.title if evidence.title != "unknown" else f"untitled ({evidence.document})"
    return f"{title} ({evidence.outlet}, {evidence.published})"


def evidence_table(s: Scenario) -> pd.DataFrame:
    """One row per (parameter, citation): path, value, fact, grade, quote,
    document; parts resting on an assumption have a row with the reasoning."""
    library = EvidenceLibrary(project_root(s.origin))
    rows = []
    for prefix, part in sourced_parts(s):
        params = numeric_parameters(prefix, part)
        values = "; ".join(f"{p.removeprefix(prefix + '.')}={v:g}" for p, v in params)
        for ref in part.sources:
            cited = library.resolve(ref)
            if isinstance(cited, str):
                continue
            rows.append(
                {
                    "path": prefix,
                    "values": values,
                    "kind": "evidence",
                    "source": ref,
                    "fact": cited.fact.summary,
                    "grade": cited.fact.grade,
                    "quote": cited.fact.quote,
                    "document": document_name(cited.evidence),
                }
            )
        if part.assumption:
            rows.append(
                {
                    "path": prefix,
                    "values": values,
                    "kind": "assumption",
                    "source": "",
                    "fact": part.assumption.strip(),
                    "grade": "assumption",
                    "quote": "",
                    "document": "",
                }
            )
    columns = ["path", "values", "kind", "source", "fact", "grade", "quote", "document"]
    table: pd.DataFrame = pd.DataFrame(rows, columns=columns)
    return table
