"""When was the evidence a scenario cites first known?

A forecast is only a forecast if its scenario uses nothing learnt after the
forecast origin. A question states that date (`frozen`); this module checks
it against the evidence the scenario cites: each cited fact is taken to be
known from

- its document's publication date, when the evidence file states one,
  raised to the fact's own `date` when that is later (a single-day event
  cannot be known before it happens, even if the file's publication date
  belongs to an earlier article on the same page);
- otherwise (publication unknown) the fact's latest date (`date` or
  `date_to`): the earliest day it could have been reported.

Forward-looking facts with a range (an election "in November") are known
from publication, so they do not count as hindsight. The check is a lower
bound on what the scenario knew: it cannot see hindsight that entered a
number without a citation (an `assumption:`), which a reviewer must read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sim.scenario.checks import sourced_parts
from sim.scenario.evidence import Citation, EvidenceLibrary, project_root
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class KnownFact:
    """The cited fact known last: its evidence ref and the first day it can have been known."""

    ref: str
    known: dt.date


def known_from(citation: Citation) -> dt.date | None:
    """The first day a cited fact can have been known (see the module notes)."""
    fact, published = citation.fact, citation.evidence.published
    if isinstance(published, dt.date):
        return max(published, fact.date) if fact.date else published
    return fact.date or fact.date_to or fact.date_from


def latest_evidence(scenario: Scenario) -> KnownFact | None:
    """The cited fact known last (None: the scenario cites no evidence)."""
    library = EvidenceLibrary(project_root(scenario.origin))
    latest: KnownFact | None = None
    for _, part in sourced_parts(scenario):
        for ref in part.sources:
            citation = library.resolve(ref)
            if isinstance(citation, str):
                continue  # a dangling source is the scenario validator's problem
            known = known_from(citation)
            if known is not None and (latest is None or known > latest.known):
                latest = KnownFact(ref, known)
    return latest
