"""Evidence files (`seeds/*.yaml`): valid, unique anchors, short verbatim quotes;
and every `source:` in every scenario resolves."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario import load_scenario
from sim.scenario.checks import sourced_parts
from sim.scenario.evidence import (
    Citation,
    EvidenceLibrary,
    load_evidence_file,
    missing_quotes,
    project_root,
)
from tests.conftest import EVIDENCE, EVIDENCE_REF, REPO, SCENARIOS, SEEDS

# The original articles live beside the repository, not in it.
ORIGINALS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
MAX_QUOTE_WORDS = 40

EVIDENCE_FILES = sorted(SEEDS.glob("*.yaml"))
SCENARIO_FILES = sorted(SCENARIOS.rglob("*.yaml"))


def test_there_are_evidence_files_and_scenarios():
    assert EVIDENCE_FILES, f"no evidence files in {SEEDS}"
    assert SCENARIO_FILES, f"no scenarios in {SCENARIOS}"


@pytest.mark.parametrize("path", EVIDENCE_FILES, ids=lambda p: p.name)
def test_evidence_file_is_valid(path):
    evidence = load_evidence_file(path)
    assert evidence.facts, f"{path.name} has no facts"
    ids = [fact.id for fact in evidence.facts]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"{path.name}: duplicate fact ids {duplicates}"


@pytest.mark.parametrize("path", EVIDENCE_FILES, ids=lambda p: p.name)
def test_quotes_are_short(path):
    long = [
        (fact.id, len(fact.quote.split()))
        for fact in load_evidence_file(path).facts
        if len(fact.quote.split()) > MAX_QUOTE_WORDS
    ]
    assert not long, f"{path.name}: quotes over {MAX_QUOTE_WORDS} words: {long}"


@pytest.mark.parametrize("path", EVIDENCE_FILES, ids=lambda p: p.name)
def test_quotes_are_verbatim_in_the_original(path):
    if not ORIGINALS.is_dir():
        pytest.skip(f"the original articles are not here ({ORIGINALS} is absent)")
    evidence = load_evidence_file(path)
    assert (ORIGINALS / evidence.document).is_file(), f"{evidence.document} is not in {ORIGINALS}"
    missing = missing_quotes(evidence, ORIGINALS)
    assert not missing, f"{path.name}: quotes not found verbatim in {evidence.document}: {missing}"


def test_a_quote_missing_from_its_document_is_detected(tmp_path):
    (tmp_path / "article.txt").write_text("The factions launched six\ndrones in August.")
    evidence_file = tmp_path / "e.yaml"
    evidence_file.write_text(
        "document: article.txt\ntitle: t\noutlet: o\npublished: 2024-01-01\nfacts:\n"
        "  - {id: real, summary: s, grade: reported, quote: launched six drones}\n"
        "  - {id: invented, summary: s, grade: reported, quote: launched sixty drones}\n"
    )
    evidence = load_evidence_file(evidence_file)
    assert missing_quotes(evidence, tmp_path) == ["invented"]
    assert missing_quotes(evidence, tmp_path / "elsewhere") == ["real", "invented"]


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_scenario_loads_and_its_sources_resolve(path):
    # loading runs every check, dangling `source:` anchors included
    s = load_scenario(path)
    library = EvidenceLibrary(project_root(s.origin))
    assert project_root(s.origin) == REPO
    for path, part in sourced_parts(s):
        assert part.sources or (part.assumption and part.assumption.strip()), path
        for ref in part.sources:
            assert isinstance(library.resolve(ref), Citation), f"{path}: {ref}"


def test_flagship_scenario_cites_evidence():
    s = load_scenario(SCENARIOS / "iraq_2024_israel_threat.yaml")
    cited = [ref for part in s.streams.values() for ref in part.sources]
    assert cited, "the flagship scenario's streams should cite evidence"


# --- the evidence library on small files -----------------------------------------


def test_library_resolves_a_fact(project):
    library = EvidenceLibrary(project)
    cited = library.resolve(EVIDENCE_REF)
    assert isinstance(cited, Citation)
    assert cited.fact.id == "attacks-jan-2024"
    assert cited.fact.figures == {"attacks": 10.0}
    assert cited.evidence.outlet == "Test Outlet"


def test_library_explains_what_does_not_resolve(project):
    library = EvidenceLibrary(project)
    missing_fact = library.resolve("seeds/test_facts.yaml#nope")
    assert missing_fact == "no fact 'nope' in seeds/test_facts.yaml"
    assert library.resolve("seeds/none.yaml#a") == f"no file seeds/none.yaml under {project}"
    (project / "seeds" / "bad.yaml").write_text("a: [1\n", encoding="utf-8")
    assert library.resolve("seeds/bad.yaml#a").startswith(
        "an invalid evidence file (seeds/bad.yaml:2: expected valid YAML, found "
    )


def test_project_root_is_the_folder_holding_seeds(project):
    (project / "scenarios" / "deep").mkdir(parents=True)
    assert project_root(project / "scenarios" / "deep" / "x.yaml") == project
    assert project_root(project) == project


def test_invalid_evidence_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(EVIDENCE.replace("grade: reported", "grade: rumour"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_evidence_file(path)
    (problem,) = info.value.problems
    assert problem.path == "facts[0].grade"
    assert problem.line == EVIDENCE.splitlines().index("    grade: reported") + 1
    assert "rumour" in problem.found


def test_evidence_file_with_an_unknown_key_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(EVIDENCE.replace("outlet:", "outlett:"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_evidence_file(path)
    assert {p.path for p in info.value.problems} == {"outlet", "outlett"}


def test_evidence_quote_over_the_length_limit_is_refused(tmp_path):
    path = tmp_path / "long.yaml"
    long_quote = " ".join(["word"] * 100)
    path.write_text(
        EVIDENCE.replace('"there were ten attacks in January"', f'"{long_quote}"'),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        load_evidence_file(path)
    assert info.value.problems[0].path == "facts[0].quote"


def test_importing_evidence_first_works():
    # evidence files are read by the scenario package; importing either first works
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import sim.scenario.evidence; import sim.scenario"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
