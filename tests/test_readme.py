"""Everything a user copies from the README runs: each `escsim` line of its
bash blocks (in a scratch folder holding copies of the repository's scenarios,
seeds, sweeps and data maps) and its Python block. The maps name the shared
event data as `../../shared/data/...`: the scratch folder gets a `shared` link
beside it when the data are there, and commands using a map are skipped when
they are not."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = [
    line.strip()
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    for line in block.splitlines()
    if line.strip().startswith("escsim ")
]
# Calibration's full budget takes over a minute; the README's command runs here
# with fewer replications per candidate (the option given last wins).
LIGHTER = {"calibrate": " --reps 40"}
SHARED = ROOT.parent / "shared"
HAVE_DATA = (SHARED / "data").is_dir()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme") / "repository"
    # Copies, not links: commands such as calibrate write beside the scenario.
    for name in ("scenarios", "seeds", "sweeps", "data_maps", "backtests"):
        shutil.copytree(ROOT / name, folder / name)
    if HAVE_DATA:
        (folder.parent / "shared").symlink_to(SHARED)
    return folder


def test_the_readme_has_commands_to_check():
    assert len(COMMANDS) >= 10


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command, workdir):
    if "data_maps/" in command and not HAVE_DATA:
        pytest.skip(f"the shared event data are not at {SHARED / 'data'}")
    line = command + LIGHTER.get(command.split()[1], "")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", line], cwd=workdir, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_readme_python_block_runs(workdir, monkeypatch):
    code = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert code
    monkeypatch.chdir(workdir)
    namespace: dict[str, object] = {}
    exec(compile(code[0], "README.md", "exec"), namespace)
    summary = namespace["result"].summary()  # type: ignore[attr-defined]
    assert next(iter(summary["outcome"])) == "spillover"
    import matplotlib.pyplot as plt

    plt.close("all")
