"""Reading event files through map files, and every bad input located."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.eventdata import check_against_scenario, read_events
from sim.scenario.schema import Scenario

SIMPLE = """\
date,longitude,latitude,type
2007-03-01,44.1,33.2,IED
2007-03-01,44.2,33.3,SAF
2007-03-03,43.0,35.5,IED
2007-03-05,44.3,33.1,other
2007-04-02,44.0,33.0,IED
"""

ACLED = (
    "event_date,event_type,sub_event_type,actor1,actor2,inter1,inter2,country,admin1,"
    "fatalities,latitude,longitude\n"
    "15 January 2024,Explosions/Remote violence,Drone strike,Militia A,"
    "Military Forces of the US,3,8,Iraq,Baghdad,0,33.3,44.4\n"
    "16 January 2024,Battles,Armed clash,Militia A,Military Forces of Iraq,3,1,Iraq,Anbar,2,"
    "33.4,43.3\n"
    "2024-01-20,Explosions/Remote violence,Shelling/artillery/missile attack,Militia B,,3,,"
    "Iraq,Erbil,0,36.2,44.0\n"
    "2024-02-01,Protests,Peaceful protest,Protesters,,6,,Iraq,Baghdad,0,33.3,44.4\n"
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def simple_map(folder: Path, body: str | None = None) -> Path:
    write(folder, "events.csv", SIMPLE)
    return write(
        folder,
        "map.yaml",
        body
        or """\
data: events.csv
period: {from: 2007-03-01, to: 2007-04-30}
events:
  ied: {where: {type: IED}}
  attack_near_baghdad:
    where: {type: [IED, SAF]}
    box: {south: 33, north: 34, west: 44, east: 45}
""",
    )


def messages(exc: pytest.ExceptionInfo[ScenarioError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_simple_file_read_through_a_map(tmp_path):
    data = read_events(None, simple_map(tmp_path))
    assert data.events == ("ied", "attack_near_baghdad")
    np.testing.assert_array_equal(data.times["ied"], [0.0, 2.0, 32.0])
    np.testing.assert_array_equal(data.times["attack_near_baghdad"], [0.0, 0.0, 32.0])
    assert data.day_resolution
    assert data.period_days == 61
    assert data.end == dt.date(2007, 4, 30)
    digest = hashlib.sha256((tmp_path / "events.csv").read_bytes()).hexdigest()
    assert data.files["ied"].sha256 == digest
    assert data.rows_matched == {"ied": 3, "attack_near_baghdad": 3}
    assert data.filters["ied"] == "type = IED"
    assert "latitude 33..34" in data.filters["attack_near_baghdad"]
    assert digest in data.provenance("ied")
    assert data.daily_counts("ied")[[0, 2, 32]].tolist() == [1, 1, 1]


def test_acled_export_with_both_date_styles_and_numeric_tests(tmp_path):
    write(tmp_path, "acled.csv", ACLED)
    map_file = write(
        tmp_path,
        "map.yaml",
        """\
period: {from: 2024-01-01, to: 2024-01-31}
events:
  violence:
    where:
      event_type: {not_in: [Protests]}
      inter1: 3
  deadly: {where: {fatalities: {at_least: 1}, admin1: [Anbar, Baghdad]}}
  late: {where: {event_date: {from: 2024-01-16}}}
""",
    )
    data = read_events(tmp_path / "acled.csv", map_file)
    np.testing.assert_array_equal(data.times["violence"], [14.0, 15.0, 19.0])
    np.testing.assert_array_equal(data.times["deadly"], [15.0])
    np.testing.assert_array_equal(data.times["late"], [15.0, 19.0])
    assert data.rows_in_period["violence"] == 3


def test_datetimes_keep_their_time_of_day(tmp_path):
    write(tmp_path, "e.csv", "date,type\n2024-01-01T12:00,x\n2024-01-02T06:00,x\n")
    write(
        tmp_path,
        "m.yaml",
        "data: e.csv\nperiod: {from: 2024-01-01, to: 2024-01-05}\nevents: {x: {}}\n",
    )
    data = read_events(None, tmp_path / "m.yaml")
    np.testing.assert_allclose(data.times["x"], [0.5, 1.25])
    assert not data.day_resolution


def test_missing_event_file(tmp_path):
    map_file = write(
        tmp_path,
        "m.yaml",
        "data: nowhere.csv\nperiod: {from: 2024-01-01, to: 2024-01-05}\nevents: {x: {}}\n",
    )
    with pytest.raises(ScenarioError) as exc:
        read_events(None, map_file)
    assert messages(exc) == [
        f"{tmp_path / 'nowhere.csv'}: expected an existing event file, found no such file"
    ]


def test_missing_map_file(tmp_path):
    with pytest.raises(ScenarioError) as exc:
        read_events(None, tmp_path / "none.yaml")
    assert "no such file" in messages(exc)[0]


def test_missing_columns_are_named_at_the_header(tmp_path):
    write(tmp_path, "e.csv", "when,kind\n2024-01-01,x\n")
    write(
        tmp_path,
        "m.yaml",
        "period: {from: 2024-01-01, to: 2024-01-05}\nevents: {x: {where: {type: x}}}\n",
    )
    with pytest.raises(ScenarioError) as exc:
        read_events(tmp_path / "e.csv", tmp_path / "m.yaml")
    (message,) = messages(exc)
    assert message.startswith(f"{tmp_path / 'e.csv'}:1: date: expected a column 'date'")
    assert "found columns when, kind" in message
    write(tmp_path, "e.csv", "date,kind\n2024-01-01,x\n")
    with pytest.raises(ScenarioError) as exc:
        read_events(tmp_path / "e.csv", tmp_path / "m.yaml")
    assert messages(exc)[0].startswith(
        f"{tmp_path / 'e.csv'}:1: type: expected a column 'type' (filter of events.x)"
    )


def test_unparseable_dates_name_row_and_column(tmp_path):
    write(tmp_path, "e.csv", "date,type\n2024-01-01,x\n2024-13-45,x\n2024-01-03,x\nsoon,x\n")
    write(tmp_path, "m.yaml", "period: {from: 2024-01-01, to: 2024-01-05}\nevents: {x: {}}\n")
    with pytest.raises(ScenarioError) as exc:
        read_events(tmp_path / "e.csv", tmp_path / "m.yaml")
    found = messages(exc)
    assert len(found) == 2
    assert found[0].startswith(f"{tmp_path / 'e.csv'}:3: date: expected a date like 2024-01-15")
    assert found[0].endswith("found '2024-13-45'")
    assert found[1].startswith(f"{tmp_path / 'e.csv'}:5: date:")


def test_dates_all_outside_the_period(tmp_path):
    map_file = simple_map(
        tmp_path,
        "data: events.csv\nperiod: {from: 2010-01-01, to: 2010-12-31}\n"
        "events: {ied: {where: {type: IED}}}\n",
    )
    with pytest.raises(ScenarioError) as exc:
        read_events(None, map_file)
    assert messages(exc) == [
        f"{map_file}:2: period: expected a period overlapping the dates of "
        f"{tmp_path / 'events.csv'} (2007-03-01..2007-04-02), found 2010-01-01..2010-12-31"
    ]


def test_a_map_matching_no_rows(tmp_path):
    map_file = simple_map(
        tmp_path,
        "data: events.csv\nperiod: {from: 2007-03-01, to: 2007-04-30}\nevents:\n"
        "  ied: {where: {type: IED}}\n  vbied: {where: {type: VBIED}}\n",
    )
    with pytest.raises(ScenarioError) as exc:
        read_events(None, map_file)
    assert messages(exc) == [
        f"{map_file}:5: events.vbied: expected a filter matching at least one row of "
        f"{tmp_path / 'events.csv'} in the period, found no rows where type = VBIED "
        "(5 rows in the period)"
    ]


def test_an_empty_period(tmp_path):
    map_file = simple_map(
        tmp_path,
        "data: events.csv\nperiod: {from: 2007-03-01, to: 2007-02-01}\nevents: {ied: {}}\n",
    )
    with pytest.raises(ScenarioError) as exc:
        read_events(None, map_file)
    assert messages(exc) == [
        f"{map_file}:2: period: expected 'to' on or after 'from' (2007-03-01), "
        "found to 2007-02-01 (empty period)"
    ]


def test_bad_map_entries_are_all_reported(tmp_path):
    map_file = simple_map(
        tmp_path,
        "data: events.csv\nperiod: {from: 2007-03-01, to: 2007-04-30}\nevents:\n"
        "  a: {where: {fatalities: {more_than: 2}}}\n"
        "  b: {box: {south: 34, north: 33, west: 1, east: 2}}\n"
        "  c: {where: {x: {between: [5, 1]}}}\n",
    )
    with pytest.raises(ScenarioError) as exc:
        read_events(None, map_file)
    found = messages(exc)
    assert len(found) == 3
    assert found[0].startswith(
        f"{map_file}:4: events.a.where.fatalities.more_than: expected one of"
    )
    assert found[1].startswith(f"{map_file}:5: events.b.box: expected south <= north")
    assert found[2].startswith(f"{map_file}:6: events.c.where.x.between: expected [low, high]")


def test_a_non_csv_file_is_not_echoed(tmp_path):
    secret = "TOP-SECRET-CONTENT"
    (tmp_path / "e.csv").write_bytes(b"\x00\xff\xfe" + secret.encode() + b"\x81" * 50)
    write(tmp_path, "m.yaml", "period: {from: 2024-01-01, to: 2024-01-05}\nevents: {x: {}}\n")
    with pytest.raises(ScenarioError) as exc:
        read_events(tmp_path / "e.csv", tmp_path / "m.yaml")
    assert secret not in str(exc.value)
    assert "not UTF-8 text" in str(exc.value)


def test_event_ids_the_scenario_lacks(tmp_path):
    data = read_events(None, simple_map(tmp_path))
    scenario = Scenario.model_validate(
        {
            "name": "s",
            "start_date": "2007-03-01",
            "horizon_days": 30,
            "actors": {"a": {"name": "A", "kind": "other"}},
            "ladder": ["calm", "hot"],
            "events": {"ied": {"actor": "a"}},
            "outcomes": {"o": {"level_at_least": 1}},
        }
    )
    with pytest.raises(ScenarioError) as exc:
        check_against_scenario(data, scenario)
    assert messages(exc) == [
        f"{tmp_path / 'map.yaml'}:5: events.attack_near_baghdad: expected an event id of "
        "scenario 's' (one of: ied), found 'attack_near_baghdad'"
    ]
    check_against_scenario(data.select(["ied"]), scenario)


def test_duplicate_map_keys_are_located_not_resolved_silently(tmp_path):
    """YAML keeps the last of two equal keys; a map with two periods or two
    filters for one event would select rows the analyst did not read."""
    simple_map(
        tmp_path,
        """\
data: events.csv
period: {from: 2007-03-01, to: 2007-04-30}
period: {from: 2007-04-01, to: 2007-04-30}
events:
  ied: {where: {type: IED}}
  ied: {where: {type: SAF}}
""",
    )
    with pytest.raises(ScenarioError) as exc:
        read_events(None, tmp_path / "map.yaml")
    assert messages(exc) == [
        f"{tmp_path / 'map.yaml'}:3: period: expected each key once, found a duplicate key",
        f"{tmp_path / 'map.yaml'}:6: events.ied: expected each key once, found a duplicate key",
    ]


def test_a_column_named_twice_in_the_header_is_refused(tmp_path):
    """Pandas renames the second `type` to `type.1` and a filter would read
    the first without a word; the header must name each column once."""
    write(tmp_path, "e.csv", "date,type,type, date\n2024-01-01,x,y,2024-01-02\n")
    write(
        tmp_path,
        "m.yaml",
        "period: {from: 2024-01-01, to: 2024-01-05}\nevents: {x: {where: {type: x}}}\n",
    )
    with pytest.raises(ScenarioError) as exc:
        read_events(tmp_path / "e.csv", tmp_path / "m.yaml")
    shown = tmp_path / "e.csv"
    assert messages(exc) == [
        f"{shown}:1: date: expected each column name once in the header, found 'date' in "
        "columns 1, 4",
        f"{shown}:1: type: expected each column name once in the header, found 'type' in "
        "columns 2, 3",
    ]
    # Unnamed columns (trailing commas) are not names a map could use: accepted.
    write(tmp_path, "e.csv", "date,type,,\n2024-01-01,x,,\n")
    assert read_events(tmp_path / "e.csv", tmp_path / "m.yaml").counts() == {"x": 1}
