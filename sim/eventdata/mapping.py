"""The map file: which rows of an event file are which event type, over which period.

An analyst's export (ACLED, an incident log) names events in its own words;
a scenario names them by its event ids. The map says, per event id, which
rows count (filters on columns, a latitude/longitude box) and which dated
period is used, so a fit is reproducible from the file and the map alone.
The format is documented, with a complete example, in docs/eventdata.md.
YAML is read with the project's safe loader, which keeps every value's line
for error messages.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError, describe
from sim.scenario.yamlmap import Located, read_yaml

TOP_KEYS = ("data", "date_column", "period", "events")
EVENT_KEYS = ("where", "box", "data")
TEST_KEYS = ("equals", "in", "not_in", "at_least", "at_most", "between", "from", "to")
BOX_KEYS = ("south", "north", "west", "east")


@dataclass(frozen=True)
class ColumnTest:
    """One condition on one column; a row passes when every given part holds."""

    column: str
    equals: tuple[str, ...] = ()
    """Any of these values (compared as text, after trimming spaces)."""
    not_in: tuple[str, ...] = ()
    at_least: float | None = None
    at_most: float | None = None
    from_date: dt.date | None = None
    to_date: dt.date | None = None

    def describe(self) -> str:
        """The test in words (e.g. `event_type in {a, b} and fatalities >= 1`), for
        provenance text and messages that must say which filter matched nothing."""
        parts = []
        if self.equals:
            parts.append(
                f"{self.column} = {self.equals[0]}"
                if len(self.equals) == 1
                else f"{self.column} in {{{', '.join(self.equals)}}}"
            )
        if self.not_in:
            parts.append(f"{self.column} not in {{{', '.join(self.not_in)}}}")
        if self.at_least is not None:
            parts.append(f"{self.column} >= {self.at_least:g}")
        if self.at_most is not None:
            parts.append(f"{self.column} <= {self.at_most:g}")
        if self.from_date is not None:
            parts.append(f"{self.column} from {self.from_date}")
        if self.to_date is not None:
            parts.append(f"{self.column} to {self.to_date}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Box:
    """A latitude/longitude bounding box, edges included (decimal degrees)."""

    south: float
    north: float
    west: float
    east: float

    def describe(self) -> str:
        """The box in words (degrees, edges included), for provenance text."""
        return f"latitude {self.south:g}..{self.north:g} and longitude {self.west:g}..{self.east:g}"


@dataclass(frozen=True)
class EventMap:
    """How rows become occurrences of one event id."""

    event: str
    tests: tuple[ColumnTest, ...]
    box: Box | None
    data: Path | None
    """This event's own file (`data:` under the event), if it names one."""
    line: int | None
    """Line of the event id in the map file."""

    def describe(self) -> str:
        """The filter in words, for provenance text."""
        parts = [t.describe() for t in self.tests]
        if self.box is not None:
            parts.append(self.box.describe())
        return " and ".join(parts) if parts else "all rows"


@dataclass(frozen=True)
class DataMap:
    """A whole map file."""

    file: str
    """The map file as shown in messages."""
    data: Path | None
    """The file named at the top (`data:`), relative paths resolved against the map."""
    date_column: str | None
    """None: `event_date` when the file has it, else `date`."""
    period_from: dt.date
    period_to: dt.date
    events: tuple[EventMap, ...]
    located: Located

    def where(self, path: str) -> tuple[str, int | None]:
        """(map file, line) of a dotted key path, so a problem points at the map line
        that caused it; line is None when the key is absent from the file."""
        return self.located.where(path, self.file)

    def problem(self, path: str, expected: str, found: str) -> Problem:
        """A located problem for `path` in the map file (`file:line: path: expected X,
        found Y`), for errors about data the map selected."""
        file, line = self.where(path)
        return Problem(file, line, path, expected, found)

    @property
    def period_days(self) -> float:
        """Length of the period in days, both end dates included."""
        return float((self.period_to - self.period_from).days + 1)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


def _texts(value: Any) -> tuple[str, ...] | None:
    items = value if isinstance(value, list) else [value]
    out = [_text(item) for item in items]
    if not out or any(item is None for item in out):
        return None
    return tuple(item for item in out if item is not None)


def _column_test(
    column: str, value: Any, path: str, problem: Any, problems: list[Problem]
) -> ColumnTest | None:
    if not isinstance(value, dict):
        values = _texts(value)
        if values is None:
            problems.append(problem(path, "a value or a list of values", describe(value)))
            return None
        return ColumnTest(column, equals=values)
    unknown = [k for k in value if k not in TEST_KEYS]
    if unknown:
        problems.append(
            problem(f"{path}.{unknown[0]}", f"one of: {', '.join(TEST_KEYS)}", f"'{unknown[0]}'")
        )
        return None
    fields = _test_fields(value, path, problem, problems)
    return None if fields is None else ColumnTest(column, **fields)


def _test_fields(
    value: dict[str, Any], path: str, problem: Any, problems: list[Problem]
) -> dict[str, Any] | None:
    """A column test's parts as ColumnTest fields (`in` is `equals`, `between`
    is at_least and at_most); None after the first bad part, which is reported."""
    fields: dict[str, Any] = {}
    for key in ("equals", "in", "not_in"):
        if key in value:
            values = _texts(value[key])
            if values is None:
                problems.append(
                    problem(f"{path}.{key}", "a value or a list of values", describe(value[key]))
                )
                return None
            fields["not_in" if key == "not_in" else "equals"] = values
    for key in ("at_least", "at_most"):
        if key in value:
            number = _number(value[key])
            if number is None:
                problems.append(problem(f"{path}.{key}", "a number", describe(value[key])))
                return None
            fields[key] = number
    if "between" in value:
        pair = value["between"]
        numbers = [_number(v) for v in pair] if isinstance(pair, list) and len(pair) == 2 else []
        if len(numbers) != 2 or None in numbers or numbers[0] > numbers[1]:  # type: ignore[operator]
            problems.append(
                problem(f"{path}.between", "[low, high] with low <= high", describe(pair))
            )
            return None
        fields["at_least"], fields["at_most"] = numbers
    for key, name in (("from", "from_date"), ("to", "to_date")):
        if key in value:
            date = _date(value[key])
            if date is None:
                problems.append(problem(f"{path}.{key}", "a date YYYY-MM-DD", describe(value[key])))
                return None
            fields[name] = date
    return fields


def _box(value: Any, path: str, problem: Any, problems: list[Problem]) -> Box | None:
    if not isinstance(value, dict) or sorted(value) != sorted(BOX_KEYS):
        problems.append(
            problem(path, "a mapping with south, north, west, east (degrees)", describe(value))
        )
        return None
    numbers = {k: _number(value[k]) for k in BOX_KEYS}
    bad = [k for k, v in numbers.items() if v is None]
    if bad:
        problems.append(problem(f"{path}.{bad[0]}", "a number", describe(value[bad[0]])))
        return None
    box = Box(**numbers)  # type: ignore[arg-type]
    if box.south > box.north or box.west > box.east:
        problems.append(
            problem(path, "south <= north and west <= east", f"{box.describe()} (empty box)")
        )
        return None
    return box


def _under(base: Path, name: str | None) -> Path | None:
    """A data file named in the map, relative to the map's folder, with `..`
    folded away so messages and provenance show /a/shared/x.csv rather than
    /a/repo/maps/../../shared/x.csv (the map's folder is already resolved)."""
    return Path(os.path.normpath(base / name)) if name else None


def read_map(path: str | Path) -> DataMap:
    """Read and check a map file; every problem at once.

    Raises:
        ScenarioError: with each problem located at its file and line.
    """
    map_path = Path(path)
    display = str(path)
    located = read_yaml(map_path, display)
    data = located.data
    # Duplicate keys first: YAML keeps the last silently, so a map with two
    # `period:` keys would otherwise select other rows than the one read.
    problems: list[Problem] = list(located.problems)

    def problem(where: str, expected: str, found: str) -> Problem:
        file, line = located.where(where, display)
        return Problem(file, line, where, expected, found)

    for key in data:
        if key not in TOP_KEYS:
            problems.append(problem(str(key), f"one of: {', '.join(TOP_KEYS)}", f"'{key}'"))
    base = map_path.resolve().parent
    default_data = data.get("data")
    if default_data is not None and not isinstance(default_data, str):
        problems.append(problem("data", "a file name", describe(default_data)))
        default_data = None
    date_column = data.get("date_column")
    if date_column is not None and not isinstance(date_column, str):
        problems.append(problem("date_column", "a column name", describe(date_column)))
        date_column = None
    start, end = _period(data.get("period"), problem, problems)
    events = _event_maps(data.get("events"), base, located, display, problem, problems)
    if problems:
        raise ScenarioError(problems)
    assert start is not None and end is not None
    top = _under(base, default_data)
    return DataMap(display, top, date_column, start, end, tuple(events), located)


def _period(
    period: Any, problem: Any, problems: list[Problem]
) -> tuple[dt.date | None, dt.date | None]:
    """The map's `period` as (from, to), both days included; None for a part
    that is missing or not a date, and an empty period (to before from) refused."""
    start = end = None
    if not isinstance(period, dict):
        problems.append(problem("period", "{from: YYYY-MM-DD, to: YYYY-MM-DD}", describe(period)))
    else:
        for key in period:
            if key not in ("from", "to"):
                problems.append(problem(f"period.{key}", "from or to", f"'{key}'"))
        start, end = _date(period.get("from")), _date(period.get("to"))
        for key, value in (("from", start), ("to", end)):
            if value is None:
                problems.append(
                    problem(f"period.{key}", "a date YYYY-MM-DD", describe(period.get(key)))
                )
        if start is not None and end is not None and end < start:
            problems.append(
                problem("period", f"'to' on or after 'from' ({start})", f"to {end} (empty period)")
            )
    return start, end


def _event_maps(
    events_raw: Any,
    base: Path,
    located: Located,
    display: str,
    problem: Any,
    problems: list[Problem],
) -> list[EventMap]:
    """Each event id's filter; an event with a malformed entry is reported and
    left out, so the remaining ones are still checked."""
    events: list[EventMap] = []
    if not isinstance(events_raw, dict) or not events_raw:
        problems.append(
            problem("events", "a mapping of event ids to {where: ...}", describe(events_raw))
        )
        events_raw = {}
    for event, spec in events_raw.items():
        prefix = f"events.{event}"
        if not isinstance(spec, dict):
            problems.append(problem(prefix, "a mapping with where, box or data", describe(spec)))
            continue
        unknown = [k for k in spec if k not in EVENT_KEYS]
        if unknown:
            problems.append(
                problem(f"{prefix}.{unknown[0]}", f"one of: {', '.join(EVENT_KEYS)}", unknown[0])
            )
            continue
        where = spec.get("where", {})
        tests: list[ColumnTest] = []
        if not isinstance(where, dict):
            problems.append(problem(f"{prefix}.where", "a mapping column: test", describe(where)))
            continue
        for column, value in where.items():
            test = _column_test(str(column), value, f"{prefix}.where.{column}", problem, problems)
            if test is not None:
                tests.append(test)
        box = _box(spec["box"], f"{prefix}.box", problem, problems) if "box" in spec else None
        own = spec.get("data")
        if own is not None and not isinstance(own, str):
            problems.append(problem(f"{prefix}.data", "a file name", describe(own)))
            continue
        _, line = located.where(prefix, display)
        events.append(EventMap(str(event), tuple(tests), box, _under(base, own), line))
    return events
