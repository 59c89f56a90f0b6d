"""Every notebook in notebooks/ runs from a clean kernel without an error.

Each notebook is executed in memory with nbclient, with the notebooks folder
as the working folder (as Jupyter runs it); the file in the repository is
never written. The notebooks are stored without outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell


def test_the_notebooks_are_there():
    assert [p.name for p in PATHS] == [
        "01_run_a_scenario.ipynb",
        "02_compare_policies.ipynb",
        "03_sweep_and_sensitivity.ipynb",
        "04_fit_event_data.ipynb",
    ]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {cell.get('id')} has outputs"
            assert cell.execution_count is None, f"{path.name}: cell {cell.get('id')} was run"


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_runs(path: Path):
    stored = path.read_bytes()
    nb = nbformat.reads(stored.decode("utf-8"), as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    assert path.read_bytes() == stored, "executing must not write into the repository"
