"""Evidence files (`seeds/*.yaml`) and the `source:` anchors that cite them.

An analyst trusts a number only as far as the document behind it, so every
stream, rule and observation names a fact in an evidence file: the fact's
figures, its grade (reported, claimed by a party, anonymous official,
analysis) and a short verbatim quote. This module reads those files and
resolves anchors; `escsim sources` prints the resulting table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError

from sim.errors import ScenarioError
from sim.scenario.base import DAY, FACT_ID_PATTERN, NUMBER, StrictModel
from sim.scenario.files import MAX_FILE_BYTES, display_name, read_user_file
from sim.scenario.problems import problems_from
from sim.scenario.yamlmap import read_yaml

Grade = Literal["reported", "claimed by a party", "anonymous official", "analysis"]


class Fact(StrictModel):
    """One claim extracted from a source document, with its grade and a verbatim
    quote, so every number a scenario cites can be checked against its words."""

    id: Annotated[str, Field(pattern=FACT_ID_PATTERN)]
    """Stable anchor cited as seeds/<file>.yaml#<id>."""
    summary: str
    actors: tuple[str, ...] = ()
    date: Annotated[dt.date, DAY] | None = None
    date_from: Annotated[dt.date, DAY] | None = None
    date_to: Annotated[dt.date, DAY] | None = None
    figures: dict[str, Annotated[float, NUMBER]] = Field(default_factory=dict)
    """Numbers stated in the text, by self-explaining name."""
    grade: Grade
    quote: Annotated[str, Field(min_length=1, max_length=400)]
    """A short verbatim quote from the document supporting the fact."""


class EvidenceFile(StrictModel):
    """One seeds/<file>.yaml: a source document's metadata and the facts taken
    from it (the original article stays outside the repository)."""

    document: str
    """File name of the original article (kept outside the repository)."""
    title: str
    outlet: str
    outlet_note: str | None = None
    published: Annotated[dt.date, DAY] | Literal["unknown"]
    published_note: str | None = None
    facts: tuple[Fact, ...]

    def fact(self, ident: str) -> Fact | None:
        """The fact with id `ident`, or None so the caller can report the dangling
        `source:` anchor with its own location."""
        return next((f for f in self.facts if f.id == ident), None)


@dataclass(frozen=True)
class Citation:
    """A resolved `source:` anchor."""

    ref: str
    evidence: EvidenceFile
    fact: Fact


EVIDENCE_KEYS = frozenset(EvidenceFile.model_fields)


def project_root(start: Path | None) -> Path | None:
    """The nearest folder at or above `start` (a scenario file or a folder)
    holding `seeds/`: source paths are relative to it. None when there is none
    or no start: sources never resolve from whatever the working folder is."""
    if start is None:
        return None
    here = start.resolve()
    for folder in (here, *here.parents) if here.is_dir() else (here.parent, *here.parent.parents):
        if (folder / "seeds").is_dir():
            return folder
    return None


class EvidenceLibrary:
    """Reads evidence files below a project root once each."""

    def __init__(self, root: Path | None):
        self.root = root
        self._files: dict[str, EvidenceFile | str] = {}

    def load(self, relative: str) -> EvidenceFile | str:
        """The parsed file, or a reason it cannot be used."""
        if relative not in self._files:
            self._files[relative] = self._read(relative)
        return self._files[relative]

    def _read(self, relative: str) -> EvidenceFile | str:
        if self.root is None:
            return "no folder holding seeds/ at or above the scenario file"
        root = self.root.resolve()
        path = (root / relative).resolve()
        if root not in path.parents:
            return f"a path outside the project folder {root}"
        if not path.exists():
            return f"no file {relative} under {self.root}"
        try:
            return load_evidence_file(path, relative)
        except ScenarioError as exc:
            return f"an invalid evidence file ({exc.problems[0]})"

    def resolve(self, ref: str) -> Citation | str:
        """The fact an anchor `seeds/<file>.yaml#<fact-id>` names, or why none."""
        relative, _, ident = ref.partition("#")
        loaded = self.load(relative)
        if isinstance(loaded, str):
            return loaded
        fact = loaded.fact(ident)
        if fact is None:
            return f"no fact '{ident}' in {relative}"
        return Citation(ref, loaded, fact)


def load_evidence_file(path: Path, display: str | None = None) -> EvidenceFile:
    """Read one evidence file; raise ScenarioError with all its problems."""
    display = display or display_name(path)
    doc = read_yaml(path, display, "evidence", EVIDENCE_KEYS)
    try:
        evidence = EvidenceFile.model_validate(doc.data)
    except ValidationError as exc:
        raise ScenarioError(doc.problems + problems_from(exc, doc, display, EvidenceFile)) from None
    if doc.problems:
        raise ScenarioError(doc.problems)
    return evidence


def normalised(text: str) -> str:
    """Whitespace folded, so a quote matches across the article's line breaks."""
    return " ".join(text.split())


def missing_quotes(evidence: EvidenceFile, documents: Path) -> list[str]:
    """Ids of facts whose quote does not occur verbatim in the original article
    (kept in `documents`, outside the repository)."""
    original = documents / evidence.document
    if not original.is_file():
        return [fact.id for fact in evidence.facts]
    text = normalised(read_user_file(original, "document", max_bytes=16 * MAX_FILE_BYTES))
    return [fact.id for fact in evidence.facts if normalised(fact.quote) not in text]
