"""Terminal tables keep every character of what they show."""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from sim.cli.app import frame_table


def test_a_cell_too_wide_for_the_terminal_wraps_instead_of_being_cut():
    """Rich cut long cells to "us_strikes_iraq_n…" on a narrow terminal,
    hiding which scenario a row was."""
    name = "us_strikes_iraq_not_syria_with_a_long_tail"
    frame = pd.DataFrame({"scenario": [name], "p": [0.6543]})
    console = Console(width=30, record=True, color_system=None)
    console.print(frame_table(frame, "t", {"scenario": "scenario", "p": "probability"}))
    shown = console.export_text()
    assert "…" not in shown
    cells = "".join(line.split("│")[0].strip() for line in shown.splitlines()[3:])
    assert name in cells
