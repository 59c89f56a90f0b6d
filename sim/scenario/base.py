"""The one base of every model of a file a user writes (scenario, evidence, sweep).

Frozen, because a validated file must not change behind the validator's back
(`with_overrides` makes a new, re-validated object instead); `extra="forbid"`,
because a misspelt key silently ignored is a wrong number nobody notices.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError


class StrictModel(BaseModel):
    """A frozen pydantic model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def refused(expected: str, found: str) -> PydanticCustomError:
    """A value the contract refuses, worded 'expected X, found Y' (error type
    `refused`: a wrong value at its own path, unlike `contract`, which names a
    combination of values at the part holding them)."""
    return PydanticCustomError(
        "refused", "expected {expected}, found {found}", {"expected": expected, "found": found}
    )


def _not_a_boolean(expected: str) -> BeforeValidator:
    """Refuse true/false before pydantic's lax mode reads them as 1 and 0: a
    `horizon_days: true` or `rate: true` is a slip, never a number."""

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise refused(expected, f"{str(value).lower()} (true/false is not a number)")
        return value

    return BeforeValidator(check)


NUMBER = _not_a_boolean("a number")
"""Metadata for every float a user writes: `Annotated[float, NUMBER, ...]`."""
WHOLE = _not_a_boolean("a whole number")
"""Metadata for every int a user writes: `Annotated[int, WHOLE, ...]`."""


def _day_only(value: Any) -> Any:
    """Refuse a date with a time of day: the contract counts whole days (a past
    event sits at the middle of its day, docs/MODEL.md, History), so a time
    would be dropped silently, or crash a comparison with a date."""
    if isinstance(value, dt.datetime):
        written = value.isoformat(sep=" ")
    elif isinstance(value, str) and re.match(r"^\s*\d{4}-\d\d-\d\d[Tt ]+\d", value):
        written = value.strip()
    else:
        return value
    raise refused("a date YYYY-MM-DD (whole days, no time of day)", f"a date and time {written}")


DAY = BeforeValidator(_day_only)
"""Metadata for every date a user writes: `Annotated[dt.date, DAY]`."""


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
