"""`extends: base.yaml`: a variant holds only what it changes, merged by id;
new ids go under `add:`, deletions under `remove:`."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import load_scenario
from sim.scenario.loader import extends_chain
from tests.conftest import dump, line_of, problems_of, tweaked


@pytest.fixture
def base(write_scenario):
    return write_scenario(name="base.yaml")


def variant(project, text: str, name: str = "variant.yaml"):
    path = project / name
    path.write_text(text, encoding="utf-8")
    return path


def test_variant_changes_one_rule_probability(base, project):
    file = variant(
        project,
        "extends: base.yaml\nname: mini-variant\nrules:\n  respond:\n    probability: 0.5\n",
    )
    s = load_scenario(file)
    original = load_scenario(base)
    assert s.name == "mini-variant"
    assert s.rules["respond"].probability == 0.5
    # the rest of the rule comes from the base (deep merge, not replacement)
    assert s.rules["respond"].delay == original.rules["respond"].delay
    assert s.rules["respond"].then == original.rules["respond"].then
    assert s.rules["respond"].on == ("attack",)
    assert s.streams == original.streams
    assert s.origin == file.resolve()


def test_variant_adds_a_rule(base, project):
    rule = {
        "actor": "b",
        "on": ["strike"],
        "then": [{"scale": {"stream": "attack", "factor": 0, "days": 5}}],
        "assumption": "a truce after each strike",
    }
    file = variant(project, "extends: base.yaml\n" + dump({"add": {"rules": {"truce": rule}}}))
    s = load_scenario(file)
    assert list(s.rules) == ["respond", "truce"]
    assert s.rules["truce"].then[0].scale is not None
    assert s.rules["truce"].then[0].scale.factor == 0


def test_variant_removes_a_rule(base, project):
    file = variant(project, "extends: base.yaml\nremove: [rules.respond]\n")
    s = load_scenario(file)
    assert s.rules == {}
    assert "attack" in s.streams


def test_variant_removes_a_nested_value(base, project):
    file = variant(project, "extends: base.yaml\nremove: [streams.attack.excited_by.strike]\n")
    s = load_scenario(file)
    assert s.streams["attack"].excited_by == {}


def test_chain_of_variants(base, project):
    variant(project, "extends: base.yaml\nrules:\n  respond: {probability: 0.5}\n", "mid.yaml")
    file = variant(project, "extends: mid.yaml\nstreams:\n  attack: {rate: 0.2}\n")
    s = load_scenario(file)
    assert s.rules["respond"].probability == 0.5
    assert s.streams["attack"].rate == 0.2


def test_variant_in_another_folder_resolves_base_relative_to_itself(base, project):
    (project / "policies").mkdir()
    file = variant(project, "extends: ../base.yaml\nhorizon_days: 50\n", "policies/short.yaml")
    assert load_scenario(file).horizon_days == 50


def test_variant_with_overrides(base, project):
    file = variant(project, "extends: base.yaml\nrules:\n  respond: {probability: 0.5}\n")
    s = load_scenario(file, {"rules.respond.probability": "0.7"})
    assert s.rules["respond"].probability == 0.7


def test_problem_in_a_variant_points_at_the_variant(base, project):
    file = variant(project, "extends: base.yaml\nrules:\n  respond:\n    probability: 1.5\n")
    (problem,) = problems_of(file)
    assert problem.file == "variant.yaml"
    assert problem.line == 4
    assert problem.path == "rules.respond.probability"
    assert problem.expected == "a number <= 1.0"


def test_problem_in_the_base_points_at_the_base(write_scenario, project):
    base = write_scenario({"streams.attack.rate": -1}, name="base.yaml")
    file = variant(project, "extends: base.yaml\nname: v\n")
    (problem,) = problems_of(file)
    assert problem.file == "base.yaml"
    assert problem.line == line_of(base, "rate: -1")
    assert problem.path == "streams.attack.rate"


def test_missing_base_file(project):
    file = variant(project, "name: v\nextends: nowhere.yaml\n")
    (problem,) = problems_of(file)
    assert problem.file == "variant.yaml"
    assert problem.line == 2
    assert problem.path == "extends"
    assert problem.expected == "an existing base file"
    assert problem.found == "no file nowhere.yaml"


def test_cycle(project):
    variant(project, "extends: b.yaml\nname: a\n", "a.yaml")
    variant(project, "extends: a.yaml\nname: b\n", "b.yaml")
    (problem,) = problems_of(project / "a.yaml")
    assert problem.path == "extends"
    assert problem.expected == "a chain without cycles"
    assert problem.found == "the cycle a.yaml -> b.yaml -> a.yaml"


def test_file_extending_itself(project):
    (problem,) = problems_of(variant(project, "extends: self.yaml\n", "self.yaml"))
    assert problem.expected == "a chain without cycles"


def test_override_of_an_id_the_base_lacks_says_to_use_add(base, project):
    file = variant(project, "extends: base.yaml\nrules:\n  truce:\n    probability: 0.5\n")
    (problem,) = problems_of(file)
    assert problem.file == "variant.yaml"
    assert problem.line == 3
    assert problem.path == "rules.truce"
    assert "add: {rules: ...}" in problem.expected
    assert problem.found == "'truce', which the base lacks"


def test_add_of_an_id_that_exists(base, project):
    rule = {"actor": "b", "on": ["attack"], "then": [{"emit": "strike"}], "assumption": "x"}
    file = variant(project, "extends: base.yaml\n" + dump({"add": {"rules": {"respond": rule}}}))
    (problem,) = problems_of(file)
    assert problem.path == "add.rules.respond"
    assert problem.line == line_of(file, "respond:")
    assert problem.expected == "a new id"
    assert problem.found == "'respond', which the base already defines"


def test_add_to_something_that_is_not_a_section(base, project):
    file = variant(project, "extends: base.yaml\nadd:\n  ladder: [a, b]\n")
    (problem,) = problems_of(file)
    assert problem.path == "add.ladder"
    assert "one of actors, events, streams, rules, regimes, outcomes, observed" in problem.expected


def test_remove_of_a_path_that_does_not_exist(base, project):
    file = variant(project, "extends: base.yaml\nremove:\n  - rules.respond\n  - rules.ghost\n")
    (problem,) = problems_of(file)
    assert problem.path == "remove[1]"
    assert problem.line == 4
    assert problem.expected == "a path that exists in the base"
    assert problem.found == "'rules.ghost'"


def test_all_merge_problems_are_reported_together(base, project):
    text = (
        "extends: base.yaml\n"
        "rules:\n  ghost: {probability: 0.5}\n"
        "remove: [streams.attack.nope]\n"
        "add:\n  events:\n    attack: {actor: a}\n"
    )
    problems = problems_of(variant(project, text))
    assert {p.path for p in problems} == {"rules.ghost", "remove[0]", "add.events.attack"}


def test_removed_part_still_referenced_is_refused(base, project):
    # removing the stream leaves the rule's scale action dangling: the merged
    # document is validated like any file
    file = variant(project, "extends: base.yaml\nremove: [streams.attack]\n")
    (problem,) = problems_of(file)
    assert problem.path == "rules.respond.then[1].scale.stream"
    assert problem.found == "'attack'"


@pytest.mark.parametrize("key", ["add", "remove"])
def test_add_or_remove_without_extends(write_scenario, key):
    text = dump({**tweaked(), key: {}})
    (problem,) = problems_of(write_scenario(text=text))
    assert problem.path == key
    assert problem.expected == "'add'/'remove' only in a file that 'extends' another"


def test_extends_must_name_a_file(project):
    (problem,) = problems_of(variant(project, "extends: [a.yaml]\nname: x\n"))
    assert problem.path == "extends"
    assert problem.expected == "a file name"


def test_a_law_in_a_variant_replaces_the_bases_law_whole(base, project):
    """A `{samples: ...}` base and a `{dist: ...}` variant (or the reverse) do
    not mix keys: the variant's belief replaces the base's."""
    (project / "draws.csv").write_text("p\n0.2\n0.4\n", encoding="utf-8")
    middle = variant(
        project,
        "extends: base.yaml\nname: mini-samples\nrules:\n  respond:\n"
        "    probability: {samples: draws.csv, column: p}\n",
        name="middle.yaml",
    )
    assert (
        load_scenario(middle)
        .uncertain["rules.respond.probability"]
        .describe()
        .startswith("samples")
    )
    file = variant(
        project,
        "extends: middle.yaml\nname: mini-law\nrules:\n  respond:\n"
        "    probability: {dist: uniform, low: 0.1, high: 0.3}\n",
    )
    law = load_scenario(file).uncertain["rules.respond.probability"]
    assert law.describe().startswith("uniform")


def test_the_extends_chain_is_every_file_the_scenario_reads(tmp_path: Path):
    """What `calibrate --out` and `fit --scenario-out` must never replace."""
    base = tmp_path / "s.yaml"
    base.write_text("name: s\n")
    (tmp_path / "child.yaml").write_text("extends: s.yaml\nname: child\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "g.yaml").write_text("extends: ../child.yaml\nname: g\n")
    assert extends_chain(sub / "g.yaml") == [
        (sub / "g.yaml").resolve(),
        (tmp_path / "child.yaml").resolve(),
        base.resolve(),
    ]
