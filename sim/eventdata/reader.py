"""Read a dated event file (ACLED export or a simple `date,type,...` CSV)
through a map file into `EventData`.

Every value is read as text first, so a column of codes keeps its leading
zeros and nothing is guessed; numbers and dates are parsed only where a
filter or the date column needs them. Row numbers in messages are the file's
line numbers (the header is line 1), so a user can open the file at the
offending row. The content of a file that is not a CSV is never echoed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError, describe
from sim.eventdata.data import DataFile, EventData
from sim.eventdata.mapping import ColumnTest, DataMap, EventMap, read_map

DATE_COLUMNS = ("event_date", "date")
"""Tried in order when the map names no `date_column` (ACLED's, then the simple one)."""
DATE_FORMATS_SHOWN = "a date like 2024-01-15, 2024-01-15T13:45 or 15 January 2024"
MAX_LISTED = 5
"""Unparseable rows named one by one before the rest are counted."""


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks so large event files
    need no memory; recorded in manifests so a result names the exact data."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates or date-times, else ACLED's older '15 January 2024'; NaT where neither."""
    text = values.astype(str).str.strip()
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    missing = parsed.isna()
    if missing.any():
        parsed[missing] = pd.to_datetime(text[missing], format="%d %B %Y", errors="coerce")
    return parsed


def read_table(path: Path, display: str) -> pd.DataFrame:
    """All columns as text; a located problem for a missing or non-CSV file."""
    if not path.exists():
        raise ScenarioError([Problem(display, None, "", "an existing event file", "no such file")])
    if path.is_dir():
        raise ScenarioError([Problem(display, None, "", "a CSV event file", "a directory")])
    try:
        table = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8"
        )
    except UnicodeDecodeError:
        raise ScenarioError(
            [Problem(display, None, "", "a UTF-8 CSV file with a header row", "not UTF-8 text")]
        ) from None
    except pd.errors.EmptyDataError:
        raise ScenarioError(
            [Problem(display, None, "", "a CSV file with a header row", "an empty file")]
        ) from None
    except (pd.errors.ParserError, csv.Error) as exc:
        # The parser's message quotes no content, only positions.
        reason = str(exc).splitlines()[0][:120]
        raise ScenarioError(
            [Problem(display, None, "", "a CSV file with a header row", f"unreadable: {reason}")]
        ) from None
    _check_header(path, display)
    table.columns = [str(c).strip() for c in table.columns]
    return table


def _check_header(path: Path, display: str) -> None:
    """Refuse a header naming a column twice (`date,type,type`). Pandas would
    rename the second `type.1` and a filter would silently read the first;
    which one the analyst meant is theirs to say. The header is read as
    written (the table's own names are already renamed), by the same parser."""
    raw = pd.read_csv(
        path,
        header=None,
        nrows=1,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        encoding="utf-8",
    )
    names = [str(c).strip() for c in raw.iloc[0]] if len(raw) else []
    places: dict[str, list[int]] = {}
    for number, name in enumerate(names, start=1):
        if name:  # unnamed columns (trailing commas) cannot be named by a map
            places.setdefault(name, []).append(number)
    problems = [
        Problem(
            display,
            1,
            name,
            "each column name once in the header",
            f"{name!r} in columns {', '.join(map(str, where))}",
        )
        for name, where in places.items()
        if len(where) > 1
    ]
    if problems:
        raise ScenarioError(problems)


def _need_columns(table: pd.DataFrame, wanted: list[tuple[str, str]], display: str) -> None:
    """Each (column, why) must be in the header (line 1)."""
    have = list(table.columns)
    shown = ", ".join(have[:12]) + (", ..." if len(have) > 12 else "")
    problems = [
        Problem(display, 1, column, f"a column {column!r} ({why})", f"columns {shown}")
        for column, why in dict.fromkeys(wanted)
        if column not in have
    ]
    if problems:
        raise ScenarioError(problems)


def _date_column(table: pd.DataFrame, mapping: DataMap, display: str) -> str:
    if mapping.date_column is not None:
        _need_columns(table, [(mapping.date_column, "the map's date_column")], display)
        return mapping.date_column
    for column in DATE_COLUMNS:
        if column in table.columns:
            return column
    _need_columns(
        table, [("date", "dates: event_date or date, or name one in date_column")], display
    )
    raise AssertionError("unreachable")


def _dates(table: pd.DataFrame, column: str, display: str) -> pd.Series:
    parsed = parse_dates(table[column])
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        problems = [
            Problem(
                display,
                int(i) + 2,
                column,
                DATE_FORMATS_SHOWN,
                describe(str(table[column].iloc[i]), limit=30),
            )
            for i in bad[:MAX_LISTED]
        ]
        if bad.size > MAX_LISTED:
            problems.append(
                Problem(
                    display,
                    None,
                    column,
                    "parseable dates in every row",
                    f"{bad.size - MAX_LISTED} more unparseable row(s)",
                )
            )
        raise ScenarioError(problems)
    return parsed


def _passes(table: pd.DataFrame, test: ColumnTest) -> np.ndarray:
    column = table[test.column]
    keep = np.ones(len(table), dtype=bool)
    text = column.str.strip()
    if test.equals:
        keep &= text.isin(test.equals).to_numpy()
    if test.not_in:
        keep &= ~text.isin(test.not_in).to_numpy()
    if test.at_least is not None or test.at_most is not None:
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            if test.at_least is not None:
                keep &= numbers >= test.at_least
            if test.at_most is not None:
                keep &= numbers <= test.at_most
    if test.from_date is not None or test.to_date is not None:
        days = parse_dates(column).dt.normalize()
        if test.from_date is not None:
            keep &= (days >= pd.Timestamp(test.from_date)).to_numpy()
        if test.to_date is not None:
            keep &= (days <= pd.Timestamp(test.to_date)).to_numpy()
    return keep


def _matches(table: pd.DataFrame, event: EventMap) -> np.ndarray:
    keep = np.ones(len(table), dtype=bool)
    for test in event.tests:
        keep &= _passes(table, test)
    if event.box is not None:
        lat = pd.to_numeric(table["latitude"], errors="coerce").to_numpy(dtype=float)
        lon = pd.to_numeric(table["longitude"], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            keep &= (lat >= event.box.south) & (lat <= event.box.north)
            keep &= (lon >= event.box.west) & (lon <= event.box.east)
    return keep


def _file_for(event: EventMap, csv_path: Path | None, mapping: DataMap) -> Path | None:
    return event.data or csv_path or mapping.data


def read_events(csv_path: str | Path | None, map_path: str | Path) -> EventData:
    """Read event rows through a map into occurrence times per event id.

    Args:
        csv_path: the event file; None uses the map's `data:`. An event's own
            `data:` in the map overrides both (several files in one map).
        map_path: the map file (docs/eventdata.md).

    Raises:
        ScenarioError: every problem found, each located (file, line, path).
    """
    mapping = read_map(map_path)
    given = Path(csv_path) if csv_path is not None else None
    problems: list[Problem] = []
    for event in mapping.events:
        if _file_for(event, given, mapping) is None:
            problems.append(
                mapping.problem(
                    f"events.{event.event}", "an event file (argument or data: in the map)", "none"
                )
            )
    if problems:
        raise ScenarioError(problems)
    start = pd.Timestamp(mapping.period_from)
    stop = pd.Timestamp(mapping.period_to) + pd.Timedelta(days=1)
    tables: dict[Path, tuple[pd.DataFrame, pd.Series, DataFile, str]] = {}
    times: dict[str, np.ndarray] = {}
    files: dict[str, DataFile] = {}
    matched: dict[str, int] = {}
    in_period: dict[str, int] = {}
    day_resolution = True
    for event in mapping.events:
        path = _file_for(event, given, mapping)
        assert path is not None
        display = str(path) if given is None or path != given else str(csv_path)
        if path not in tables:
            table = read_table(path, display)
            date_column = _date_column(table, mapping, display)
            stamps = _dates(table, date_column, display)
            if not ((stamps >= start) & (stamps < stop)).any():
                first, last = stamps.min().date(), stamps.max().date()
                raise ScenarioError(
                    [
                        mapping.problem(
                            "period",
                            f"a period overlapping the dates of {display} ({first}..{last})",
                            f"{mapping.period_from}..{mapping.period_to}",
                        )
                    ]
                )
            record = DataFile(str(path), sha256_of(path), len(table))
            tables[path] = (table, stamps, record, display)
        table, stamps, record, display = tables[path]
        wanted = [(t.column, f"filter of events.{event.event}") for t in event.tests]
        if event.box is not None:
            wanted += [(c, f"box of events.{event.event}") for c in ("latitude", "longitude")]
        _need_columns(table, wanted, display)
        inside = ((stamps >= start) & (stamps < stop)).to_numpy()
        keep = _matches(table, event) & inside
        if not keep.any():
            problems.append(
                mapping.problem(
                    f"events.{event.event}",
                    f"a filter matching at least one row of {display} in the period",
                    f"no rows where {event.describe()} ({int(inside.sum())} rows in the period)",
                )
            )
            continue
        offsets = (stamps[keep] - start) / pd.Timedelta(days=1)
        values = np.sort(offsets.to_numpy(dtype=float))
        day_resolution &= bool(np.all(values == np.floor(values)))
        times[event.event] = values
        files[event.event] = record
        matched[event.event] = int(keep.sum())
        in_period[event.event] = int(inside.sum())
    if problems:
        raise ScenarioError(problems)
    events = tuple(e.event for e in mapping.events)
    return EventData(
        events=events,
        times=times,
        start=mapping.period_from,
        period_days=mapping.period_days,
        day_resolution=day_resolution,
        files=files,
        filters={e.event: e.describe() for e in mapping.events},
        rows_matched=matched,
        rows_in_period=in_period,
        map_file=mapping.file,
        map_lines={e.event: e.line for e in mapping.events},
    )


def event_data_from_times(
    times: dict[str, np.ndarray],
    start: dt.date,
    period_days: float,
    day_resolution: bool,
    label: str = "simulated",
) -> EventData:
    """EventData from times already in days (simulations, tests, notebooks)."""
    events = tuple(times)
    record = DataFile(label, "none", sum(len(v) for v in times.values()))
    return EventData(
        events=events,
        times={e: np.sort(np.asarray(v, dtype=float)) for e, v in times.items()},
        start=start,
        period_days=float(period_days),
        day_resolution=day_resolution,
        files=dict.fromkeys(events, record),
        filters=dict.fromkeys(events, "all rows"),
        rows_matched={e: len(v) for e, v in times.items()},
        rows_in_period={e: len(v) for e, v in times.items()},
    )
