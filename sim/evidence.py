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

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.fields import format_path
from sim.scenario.yamlmap import read_yaml

Grade = Literal["reported", "claimed by a party", "anonymous official", "analysis"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")]
    """Stable anchor cited as seeds/<file>.yaml#<id>."""
    summary: str
    actors: tuple[str, ...] = ()
    date: dt.date | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    figures: dict[str, float] = Field(default_factory=dict)
    """Numbers stated in the text, by self-explaining name."""
    grade: Grade
    quote: Annotated[str, Field(min_length=1, max_length=400)]
    """A short verbatim quote from the document supporting the fact."""


class EvidenceFile(_Frozen):
    document: str
    """File name of the original article (kept outside the repository)."""
    title: str
    outlet: str
    outlet_note: str | None = None
    published: dt.date | Literal["unknown"]
    published_note: str | None = None
    facts: tuple[Fact, ...]

    def fact(self, ident: str) -> Fact | None:
        return next((f for f in self.facts if f.id == ident), None)


@dataclass(frozen=True)
class Citation:
    """A resolved `source:` anchor."""

    ref: str
    evidence: EvidenceFile
    fact: Fact


def project_root(start: Path | None) -> Path:
    """The nearest folder at or above `start` holding `seeds/` (source paths are
    relative to it); the working folder when there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents) if here.is_dir() else (here.parent, *here.parent.parents):
        if (folder / "seeds").is_dir():
            return folder
    return Path.cwd()


class EvidenceLibrary:
    """Reads evidence files below a project root once each."""

    def __init__(self, root: Path):
        self.root = root
        self._files: dict[str, EvidenceFile | str] = {}

    def load(self, relative: str) -> EvidenceFile | str:
        """The parsed file, or a reason it cannot be used."""
        if relative not in self._files:
            path = self.root / relative
            if not path.is_file():
                self._files[relative] = f"no file {relative} under {self.root}"
            else:
                try:
                    doc = read_yaml(path, relative)
                    self._files[relative] = EvidenceFile.model_validate(doc.data)
                except ScenarioError as exc:
                    self._files[relative] = f"an unreadable evidence file ({exc.problems[0]})"
                except ValidationError as exc:
                    first = exc.errors()[0]
                    where = format_path(first["loc"])
                    self._files[relative] = f"an invalid evidence file ({where}: {first['msg']})"
        return self._files[relative]

    def resolve(self, ref: str) -> Citation | str:
        relative, _, ident = ref.partition("#")
        loaded = self.load(relative)
        if isinstance(loaded, str):
            return loaded
        fact = loaded.fact(ident)
        if fact is None:
            return f"no fact '{ident}' in {relative}"
        return Citation(ref, loaded, fact)


def load_evidence_file(path: Path) -> EvidenceFile:
    """Read one evidence file; raise ScenarioError with its problems."""
    doc = read_yaml(path, str(path))
    try:
        return EvidenceFile.model_validate(doc.data)
    except ValidationError as exc:
        raise ScenarioError(
            Problem(
                str(path),
                doc.where(format_path(e["loc"]), str(path))[1],
                format_path(e["loc"]),
                e["msg"],
                repr(e.get("input"))[:60],
            )
            for e in exc.errors()
        ) from None


def normalised(text: str) -> str:
    """Whitespace folded, so a quote matches across the article's line breaks."""
    return " ".join(text.split())


def missing_quotes(evidence: EvidenceFile, documents: Path) -> list[str]:
    """Ids of facts whose quote does not occur verbatim in the original article
    (kept in `documents`, outside the repository)."""
    original = documents / evidence.document
    if not original.is_file():
        return [fact.id for fact in evidence.facts]
    text = normalised(original.read_text(encoding="utf-8"))
    return [fact.id for fact in evidence.facts if normalised(fact.quote) not in text]
