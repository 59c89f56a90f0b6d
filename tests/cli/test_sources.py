"""`escsim sources`: the summary agrees with the tables printed above it, and
the values column shows the laws of parameters the run draws."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import SCENARIOS, flat

FLAGSHIP = SCENARIOS / "iraq_2024_israel_threat.yaml"


def test_flagship_summary_agrees_with_its_tables(tmp_path: Path):
    csv = tmp_path / "sources.csv"
    result = CliRunner().invoke(app, ["sources", str(FLAGSHIP), "--csv", str(csv)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(csv)
    cited = set(table.loc[table["kind"] == "evidence", "path"])
    assumed = set(table.loc[table["kind"] == "assumption", "path"])
    assert assumed, "the flagship scenario states assumptions"
    summary = re.search(
        r"(\d+) part\(s\) cite evidence; (\d+) state assumptions \(the assumptions "
        r"table\), (\d+) of them with no evidence",
        flat(result.output),
    )
    assert summary, result.output
    assert [int(n) for n in summary.groups()] == [
        len(cited),
        len(assumed),
        len(assumed - cited),
    ]


def test_flagship_values_show_the_laws_the_run_draws_from(tmp_path: Path):
    csv = tmp_path / "sources.csv"
    result = CliRunner().invoke(app, ["sources", str(FLAGSHIP), "--csv", str(csv)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(csv)
    (stream,) = set(table.loc[table["path"] == "streams.drone_attack_israel", "values"])
    assert stream.startswith(
        "rate ~ samples(posteriors/iraq_2024_drone_stream.csv); "
        "self_excitation.branching ~ samples(posteriors/iraq_2024_drone_stream.csv);"
    )
    (rule,) = set(table.loc[table["path"] == "rules.us_strikes_in_syria", "values"])
    assert rule.startswith("probability ~ pert(low 0.0267, mode 0.08, high 0.24);")
    assert "rate=0." not in flat(result.output)  # no drawn value shown as fixed (was 0.148956)
