"""The one base of every model of a file a user writes (scenario, evidence, sweep).

Frozen, because a validated file must not change behind the validator's back
(`with_overrides` makes a new, re-validated object instead); `extra="forbid"`,
because a misspelt key silently ignored is a wrong number nobody notices.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A frozen pydantic model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]*$"
"""Ids of actors, events, streams, rules, outcomes."""
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$"
"""A scenario's or sweep's `name`: it names the default results folder, so it is
one path component of safe characters (no `/`, no leading dot, at most 100)."""
SOURCE_PATTERN = r"^\S+#\S+$"
"""A `source:` anchor, `seeds/<file>.yaml#<fact-id>`."""
FACT_ID_PATTERN = r"^[a-z0-9][a-z0-9\-]*$"
"""A fact's id in an evidence file."""

PATTERN_WORDS = {
    ID_PATTERN: "an id: letters, digits, '_' or '-', starting with a letter or '_'",
    NAME_PATTERN: "a name of at most 100 letters, digits, '.', '_' or '-', starting with "
    "a letter or digit (it names the results folder)",
    SOURCE_PATTERN: "a source 'seeds/<file>.yaml#<fact-id>'",
    FACT_ID_PATTERN: "a fact id: lower-case letters, digits or '-'",
}
"""Each pattern in words, for messages."""
