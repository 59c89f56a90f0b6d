"""Reading files: regular files only (checked before opening, so a FIFO never
blocks), of bounded size, and a foreign file is described, never quoted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario.evidence import load_evidence_file
from sim.scenario.files import MAX_FILE_BYTES, read_user_file
from sim.sweep.spec import load_sweep
from tests.conftest import dump, tweaked
from tests.hostile.helpers import (
    assert_cli_refused,
    deadline,
    invoke,
    one_at,
    refused,
    refused_file,
)
from tests.sweep import write_sweep

SECRET = "SECRET-7f3a9c-do-not-print"


def variant(project: Path, base: str, name: str = "variant.yaml") -> Path:
    path = project / name
    path.write_text(f"extends: {base}\nname: v\n", encoding="utf-8")
    return path


def test_fifo_as_scenario_file_does_not_block(project: Path):
    os.mkfifo(project / "pipe.yaml")
    (problem,) = refused_file(project / "pipe.yaml", seconds=5)
    assert str(problem) == "pipe.yaml: expected a scenario file, found a FIFO (named pipe)"


def test_fifo_as_base_does_not_block(project: Path):
    os.mkfifo(project / "pipe.yaml")
    (problem,) = refused_file(variant(project, "pipe.yaml"), seconds=5)
    assert str(problem) == (
        "variant.yaml:1: extends: expected a scenario file, found a FIFO (named pipe): pipe.yaml"
    )


def test_fifo_as_evidence_file_does_not_block(write_scenario, project: Path):
    os.mkfifo(project / "seeds" / "pipe.yaml")
    file = write_scenario({"streams.attack.source": "seeds/pipe.yaml#a"})
    problem = one_at(refused_file(file, seconds=5), "streams.attack.source")
    assert problem.found == (
        "'seeds/pipe.yaml#a': an invalid evidence file (seeds/pipe.yaml: expected an "
        "evidence file, found a FIFO (named pipe))"
    )


def test_fifo_as_sweep_base_does_not_block(project: Path):
    os.mkfifo(project / "pipe.yaml")
    file = write_sweep(
        project, "parameters:\n  streams.attack.rate: [0.1]\ndesign: grid\n", base="pipe.yaml"
    )
    problem = one_at(refused(lambda: load_sweep(file), seconds=5), "base")
    assert str(problem) == (
        "sweep.yaml:1: base: expected a scenario file, found a FIFO (named pipe): pipe.yaml"
    )


def test_fifo_as_sweep_file_does_not_block(project: Path):
    os.mkfifo(project / "pipe.yaml")
    (problem,) = refused(lambda: load_sweep(project / "pipe.yaml"), seconds=5)
    assert problem.found == "a FIFO (named pipe)"


@pytest.mark.parametrize(
    ("target", "found"),
    [
        ("/dev/zero", "a character device"),
        ("/dev/null", "a character device"),
        (".", "a directory"),
    ],
)
def test_device_or_directory_as_base(project: Path, target: str, found: str):
    (problem,) = refused_file(variant(project, target), seconds=5)
    assert problem.path == "extends"
    assert problem.found.startswith(found)


def test_directory_as_evidence_file(write_scenario, project: Path):
    (project / "seeds" / "dir.yaml").mkdir()
    file = write_scenario({"streams.attack.source": "seeds/dir.yaml#a"})
    problem = one_at(refused_file(file), "streams.attack.source")
    assert "found a directory" in problem.found


def test_file_over_the_size_limit_is_not_read(project: Path):
    big = project / "big.yaml"
    with big.open("w", encoding="utf-8") as handle:
        handle.write(dump(tweaked()))
        handle.write("#" + "x" * MAX_FILE_BYTES + "\n")
    (problem,) = refused_file(variant(project, "big.yaml"))
    assert problem.found == "2.0 MiB, over the 2.0 MiB limit: big.yaml"
    (problem,) = refused_file(big)
    assert problem.expected == "a scenario file"


def test_size_limit_is_a_parameter(tmp_path: Path):
    small = tmp_path / "samples.csv"
    small.write_text("a,b\n1,2\n", encoding="utf-8")
    assert read_user_file(small, "samples", max_bytes=100) == "a,b\n1,2\n"
    with pytest.raises(ScenarioError, match="expected a samples file, found 8 bytes, over the"):
        read_user_file(small, "samples", max_bytes=4)


FOREIGN = {
    "passwd": (
        f"root:x:0:0:{SECRET}:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/bin/sh\n",
        "a text file without a YAML mapping",
    ),
    "csv": (f"date,count\n2024-01-01,{SECRET}\n", "a text file without a YAML mapping"),
    "binary": (f"\x89PNG\r\n\x1a\n\x00\x00{SECRET}", "binary data"),
    "latin1": ("caf\xe9 " + SECRET, "binary data (not UTF-8 text)"),
    "foreign-yaml": (
        f"services:\n  web:\n    image: {SECRET}\n",
        "a YAML mapping without scenario keys",
    ),
    "scalar": (f"{SECRET}\n", "a text file without a YAML mapping"),
}


@pytest.mark.parametrize("kind", list(FOREIGN))
def test_foreign_base_is_described_not_quoted(project: Path, kind: str):
    content, found = FOREIGN[kind]
    (project / "foreign.txt").write_bytes(content.encode("latin-1"))
    (problem,) = refused_file(variant(project, "foreign.txt"))
    assert (
        str(problem)
        == f"variant.yaml:1: extends: expected a scenario file, found {found}: foreign.txt"
    )
    assert SECRET not in str(problem)


@pytest.mark.parametrize("kind", list(FOREIGN))
def test_foreign_file_given_directly_is_described_not_quoted(project: Path, kind: str):
    content, found = FOREIGN[kind]
    (project / "foreign.txt").write_bytes(content.encode("latin-1"))
    (problem,) = refused_file(project / "foreign.txt")
    assert str(problem) == f"foreign.txt: expected a scenario file, found {found}"
    result = invoke("validate", "foreign.txt")
    message = assert_cli_refused(result, "foreign.txt: expected a scenario file")
    assert SECRET not in message


def test_foreign_evidence_and_sweep_files_are_described(write_scenario, project: Path):
    (project / "seeds" / "notes.yaml").write_text(f"todo: {SECRET}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_evidence_file(project / "seeds" / "notes.yaml")
    assert str(info.value) == (
        "seeds/notes.yaml: expected an evidence file, found a YAML mapping without evidence keys"
    )
    file = write_scenario({"rules.respond.source": "seeds/notes.yaml#a"})
    assert SECRET not in str(one_at(refused_file(file), "rules.respond.source"))
    (project / "sweep.yaml").write_text(f"todo: {SECRET}\n", encoding="utf-8")
    (problem,) = refused(lambda: load_sweep(project / "sweep.yaml"))
    assert (
        str(problem) == "sweep.yaml: expected a sweep file, found a YAML mapping without sweep keys"
    )


def test_source_outside_the_project_is_refused(write_scenario, project: Path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "facts.yaml"
    outside.write_text(f"document: {SECRET}\n", encoding="utf-8")
    for ref in (f"{outside}#a", f"../{outside.parent.name}/facts.yaml#a", "/etc/passwd#root"):
        file = write_scenario({"streams.attack.source": ref})
        problem = one_at(refused_file(file), "streams.attack.source")
        assert "a path outside the project folder" in problem.found
        assert SECRET not in str(problem)


def test_sources_never_resolve_from_the_working_folder(tmp_path: Path, monkeypatch):
    # A scenario with no seeds/ above it: the working folder's seeds/ is not used.
    from tests.conftest import EVIDENCE, EVIDENCE_REF

    (tmp_path / "cwd" / "seeds").mkdir(parents=True)
    (tmp_path / "cwd" / "seeds" / "test_facts.yaml").write_text(EVIDENCE, encoding="utf-8")
    (tmp_path / "lone").mkdir()
    file = tmp_path / "lone" / "scenario.yaml"
    file.write_text(dump(tweaked({"streams.attack.source": EVIDENCE_REF})), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "cwd")
    problem = one_at(refused_file(file), "streams.attack.source")
    assert "no folder holding seeds/ at or above the scenario file" in problem.found


def test_unreadable_file(project: Path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    secret = project / "secret.yaml"
    secret.write_text("name: x\n", encoding="utf-8")
    secret.chmod(0)
    (problem,) = refused_file(variant(project, "secret.yaml"))
    assert problem.expected == "a readable file"


def test_cli_fifo_base_exits_2_at_once(project: Path):
    os.mkfifo(project / "pipe.yaml")
    variant(project, "pipe.yaml")
    with deadline(30):
        result = invoke("run", "variant.yaml", "--reps", "5", "--workers", "1", "--no-progress")
    assert_cli_refused(result, "variant.yaml:1: extends: expected a scenario file, found a FIFO")
