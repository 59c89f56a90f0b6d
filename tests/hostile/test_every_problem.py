"""Every problem of a file in one pass: problems of different kinds (schema,
references, sources, extends, merge) no longer wait for the first to be fixed."""

from __future__ import annotations

from pathlib import Path

from sim.errors import Problem
from sim.sweep.spec import load_sweep
from tests.conftest import EVIDENCE_REF, line_of
from tests.hostile.helpers import assert_cli_refused, invoke, refused, refused_file
from tests.sweep import copy_poisson, write_sweep


def paths(problems: tuple[Problem, ...]) -> set[str]:
    return {p.path for p in problems}


def test_schema_error_with_dangling_source_and_unknown_event(write_scenario):
    file = write_scenario(
        {
            "streams.attack.rate": -1,
            "streams.attack.source": "seeds/test_facts.yaml#no-such-fact",
            "rules.respond.on": ["attack", "ghost"],
            "outcomes.strike.event": "phantom",
        }
    )
    problems = refused_file(file)
    assert paths(problems) == {
        "streams.attack.rate",
        "streams.attack.source",
        "rules.respond.on[1]",
        "outcomes.strike.event",
    }
    by_path = {p.path: p for p in problems}
    assert by_path["rules.respond.on[1]"].line == line_of(file, "- ghost")
    assert "no fact 'no-such-fact'" in by_path["streams.attack.source"].found


def test_invalid_rule_still_has_its_references_checked(write_scenario):
    # the rule's probability is refused; its unknown actor is reported too
    problems = refused_file(
        write_scenario({"rules.respond.probability": 1.5, "rules.respond.actor": "nobody"})
    )
    assert paths(problems) == {
        "rules.respond.probability",
        "rules.respond.actor",
        "rules.respond.then[0].emit",  # strike is b's, the rule's actor is now 'nobody'
    }


def test_duplicate_key_with_schema_and_reference_problems(write_scenario):
    text = (
        Path(write_scenario()).read_text(encoding="utf-8")
        + "horizon_days: -5\n"
        + "initial_level: 9\n"
    )
    problems = refused_file(write_scenario(text=text))
    assert {"horizon_days", "initial_level"} <= paths(problems)
    assert any(p.expected == "each key once" for p in problems)
    assert any(p.expected.startswith("a rung from 0 to 2") for p in problems)


def test_missing_base_with_the_variants_own_problems(project: Path):
    file = project / "variant.yaml"
    file.write_text(
        "extends: nowhere.yaml\nname: ../v\nhorizon_days: -3\nbogus: 1\n"
        "streams:\n  attack:\n    rate: abc\n",
        encoding="utf-8",
    )
    problems = refused_file(file)
    assert paths(problems) == {"extends", "name", "horizon_days", "bogus", "streams.attack.rate"}


def test_broken_base_with_the_variants_own_problems(project: Path, write_scenario):
    write_scenario({"streams.attack.rate": -1}, name="base.yaml")
    (project / "broken.yaml").write_text("name: b\nrate: [1\n", encoding="utf-8")
    file = project / "variant.yaml"
    file.write_text("extends: broken.yaml\nhorizon_days: -3\n", encoding="utf-8")
    problems = refused_file(file)
    assert [p.file for p in problems] == ["broken.yaml", "variant.yaml"]


def test_merge_problems_with_schema_and_check_problems(project: Path, write_scenario):
    write_scenario(name="base.yaml")
    file = project / "variant.yaml"
    file.write_text(
        "extends: base.yaml\n"
        "horizon_days: -3\n"
        "rules:\n  ghost: {probability: 0.5}\n  respond:\n    on: [nothing]\n"
        "remove: [streams.attack.nope]\n",
        encoding="utf-8",
    )
    problems = refused_file(file)
    assert paths(problems) == {"horizon_days", "rules.ghost", "remove[0]", "rules.respond.on[0]"}
    assert all(p.file == "variant.yaml" for p in problems)


def test_sweep_problems_with_base_problems(project: Path, write_scenario):
    write_scenario({"streams.attack.rate": -1}, name="base.yaml")
    file = write_sweep(
        project,
        "parameters:\n  streams.attack.rate: {low: 0.3, high: 0.2}\ndesign: lhs\nreplications: 0\n",
    )
    problems = refused(lambda: load_sweep(file))
    assert {"replications", "base", "streams.attack.rate"} <= paths(problems)


def test_sweep_schema_problem_with_unknown_parameter_and_outcome(project: Path):
    copy_poisson(project)
    file = write_sweep(
        project,
        "parameters:\n  streams.attack.rat: [0.1]\ndesign: grid\nreplications: -1\n"
        "outcomes: [nope]\n",
    )
    problems = refused(lambda: load_sweep(file))
    assert paths(problems) == {"replications", "parameters.streams.attack.rat", "outcomes"}


def test_problems_render_as_plain_text(write_scenario):
    file = write_scenario(
        {"actors.a.kind": "[red]alien[/red]", "rules.respond.on": ["[/x]"], "name": "[b]"}
    )
    problems = refused_file(file)
    text = "\n".join(str(p) for p in problems)
    assert "found '[red]alien[/red]'" in text
    assert "'[/x]'" in text
    result = invoke("validate", str(file))
    assert_cli_refused(result, "'[red]alien[/red]'", "'[/x]'", "found '[b]'")


def test_cli_reports_every_problem(write_scenario):
    file = write_scenario(
        {"streams.attack.rate": -1, "streams.attack.source": EVIDENCE_REF + "-nope"}
    )
    assert_cli_refused(
        invoke("validate", str(file)), "streams.attack.rate:", "streams.attack.source:"
    )
