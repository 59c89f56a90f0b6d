"""The evidence table: every sourced number traced to a fact and its quote."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.scenario.checks import sourced_parts
from sim.scenario.distributions import Law, Samples, written
from sim.scenario.evidence import EvidenceFile, EvidenceLibrary, project_root
from sim.scenario.schema import Scenario, Sourced

NUMERIC_LEAVES = ("rate", "probability", "cooldown_days", "count", "max_events", "max_pending")


def numeric_parameters(prefix: str, part: Sourced) -> list[tuple[str, Any]]:
    """(dotted path, value) of the numbers a part sets, those inside lists
    (`then[1].scale.factor`, a list of `count` conditions) included."""
    data = part.model_dump(by_alias=True, exclude_none=True, exclude={"source", "assumption"})
    out: list[tuple[str, Any]] = []

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{path}.{key}", inner)
        elif isinstance(value, (list, tuple)):
            for index, inner in enumerate(value):
                walk(f"{path}[{index}]", inner)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((path, value))

    walk(prefix, data)
    return out


def law_text(path: str, law: Law) -> str:
    """An uncertain value as its law, `pert(low 0.1, mode 0.2, high 0.4)` or
    `samples(posteriors/x.csv)` (the column named only when it is not the
    parameter's own path), so a reader sees the number varies per replication."""
    if isinstance(law, Samples):
        column = "" if law.column == path else f", column {law.column}"
        return f"samples({law.samples}{column})"
    return written(law)


def values_text(s: Scenario, prefix: str, part: Sourced) -> str:
    """A part's numbers as `name=value`, or `name ~ law` for a value drawn
    per replication (the scenario itself holds only the law's median)."""
    shown = []
    for path, value in numeric_parameters(prefix, part):
        name = path.removeprefix(prefix + ".")
        law = s.uncertain.get(path)
        shown.append(f"{name} ~ {law_text(path, law)}" if law is not None else f"{name}={value:g}")
    return "; ".join(shown)


def evidence_summary(table: pd.DataFrame) -> str:
    """The line under the tables, counting what the tables list: the parts
    citing evidence, the parts stating assumptions (the assumptions table),
    and which of those cite nothing."""
    cited = set(table.loc[table["kind"] == "evidence", "path"])
    assumed = set(table.loc[table["kind"] == "assumption", "path"])
    bare = sorted(assumed - cited)
    return (
        f"{len(cited)} part(s) cite evidence; {len(assumed)} state assumptions "
        f"(the assumptions table), {len(bare)} of them with no evidence"
        + (f": {', '.join(bare)}" if bare else "")
    )


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
        values = values_text(s, prefix, part)
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
