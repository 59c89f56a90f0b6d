"""The evidence table: values as the run uses them (laws for uncertain
parameters), and the summary line counting what the tables list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.scenario import load_scenario
from sim.scenario.sources import evidence_summary, evidence_table
from tests.conftest import EVIDENCE_REF

PERT = {"dist": "pert", "low": 0.1, "mode": 0.2, "high": 0.4}


def _table(write_scenario, project: Path) -> pd.DataFrame:
    (project / "draws.csv").write_text("rate,other\n0.4,1\n0.6,2\n", encoding="utf-8")
    file = write_scenario(
        {
            "streams.attack.rate": {"samples": "draws.csv", "column": "rate"},
            "streams.attack.source": EVIDENCE_REF,
            "rules.respond.probability": PERT,
            "rules.respond.then[1].scale.factor": {"dist": "uniform", "low": 0.4, "high": 0.8},
        }
    )
    return evidence_table(load_scenario(file))


def _values(table: pd.DataFrame, path: str) -> str:
    (values,) = set(table.loc[table["path"] == path, "values"])
    return str(values)


def test_uncertain_values_show_their_law_not_their_median(write_scenario, project):
    table = _table(write_scenario, project)
    stream = _values(table, "streams.attack")
    assert "rate ~ samples(draws.csv, column rate)" in stream
    assert "rate=" not in stream
    assert "self_excitation.branching=0.3" in stream  # a fixed number stays a number
    rule = _values(table, "rules.respond")
    assert "probability ~ pert(low 0.1, mode 0.2, high 0.4)" in rule
    assert "then[1].scale.factor ~ uniform(low 0.4, high 0.8)" in rule


def test_a_samples_column_named_after_its_parameter_is_not_repeated(write_scenario, project):
    (project / "post.csv").write_text("streams.attack.rate\n0.4\n0.6\n", encoding="utf-8")
    law = {"samples": "post.csv", "column": "streams.attack.rate"}
    table = evidence_table(load_scenario(write_scenario({"streams.attack.rate": law})))
    assert _values(table, "streams.attack").startswith("rate ~ samples(post.csv);")


def test_summary_counts_the_parts_each_table_lists(write_scenario, project):
    table = _table(write_scenario, project)
    # streams.attack cites evidence and states an assumption; the rest only assume
    assumed = set(table.loc[table["kind"] == "assumption", "path"])
    assert len(assumed) == 3
    assert evidence_summary(table) == (
        "1 part(s) cite evidence; 3 state assumptions (the assumptions table), "
        "2 of them with no evidence: observed.attack[0], rules.respond"
    )
