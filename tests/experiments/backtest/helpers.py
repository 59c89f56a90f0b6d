"""A project folder with the reference scenarios and a questions file in it."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import SCENARIOS

QUESTION: dict[str, Any] = {
    "id": "ten-attacks-by-day-20",
    "text": "Will there be ten attacks by 20 January 2024?",
    "scenario": "../scenarios/reference/poisson_count.yaml",
    "outcome": "ten_attacks",
    "window": {"from": "2024-01-01", "to": "2024-01-20"},
    "resolution": {"happened": "2024-01-18"},
    "source": {"document": "a test report", "quote": "the tenth attack came on 18 January"},
    "frozen": "2024-01-01",
}


def question(**changes: Any) -> dict[str, Any]:
    """The valid question above with top-level keys replaced."""
    q = copy.deepcopy(QUESTION)
    q.update(changes)
    return q


def write_questions(project: Path, document: dict[str, Any], name: str = "q.yaml") -> Path:
    """Copy the reference scenarios into `project/scenarios/reference` (once)
    and write the questions file to `project/backtests/<name>`; dates stay
    dates (unquoted), as a person writes them."""
    target = project / "scenarios" / "reference"
    if not target.exists():
        shutil.copytree(SCENARIOS / "reference", target)
    folder = project / "backtests"
    folder.mkdir(exist_ok=True)
    text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    path = folder / name
    path.write_text(text.replace("'", ""), encoding="utf-8")
    return path
