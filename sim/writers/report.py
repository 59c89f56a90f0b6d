"""`report.html`: one self-contained page per results folder, for a person.

Every results folder (run, compare, sweep, calibrate, trace, and later fit and
backtest) gets one. It holds the question, the headline and its interval in
words, the charts (embedded as data URIs: the file opens offline, can be
mailed, and loads nothing from the network), the tables, the evidence with
quotes and grades, the assumptions and the manifest. The page is rendered
by a jinja2 template with autoescaping on, so text a user wrote (titles,
labels, quotes) is shown as text, never read as HTML.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from sim.writers import folder as io

REPORT = "report.html"
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("sim.writers", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Chart:
    """A chart file in the folder, with what a reader should take from it."""

    file: str
    caption: str


@dataclass(frozen=True)
class Table:
    """A table shown in the report: `frame` as written (floats to 4 significant
    figures, every cell escaped), under `title`, with an optional `note` saying
    how to read it."""

    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass(frozen=True)
class Page:
    """What a report says, in reading order."""

    kind: str
    """The experiment: run, compare, sweep, calibrate, trace, fit, backtest."""
    title: str
    question: str
    headline: str
    interval_note: str
    charts: Sequence[Chart] = ()
    tables: Sequence[Table] = ()
    evidence: pd.DataFrame | None = None
    warnings: Sequence[str] = ()
    notes: Sequence[str] = field(default_factory=tuple)


def _data_uri(path: Path) -> str:
    mime = {".png": "image/png", ".svg": "image/svg+xml"}[path.suffix]
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _html_table(frame: pd.DataFrame) -> str:
    """A frame as an HTML table with every cell escaped (pandas escapes by default)."""
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
    return str(shown.to_html(index=False, escape=True, border=0, classes="data", na_rep=""))


def render(page: Page, folder: Path) -> str:
    """The report's HTML for a folder whose charts and manifest are already written."""
    manifest_file = folder / io.MANIFEST
    manifest: dict[str, Any] = (
        json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
    )
    evidence = page.evidence
    cited = assumptions = None
    if evidence is not None and len(evidence):
        cited = evidence[evidence["kind"] == "evidence"].to_dict(orient="records")
        assumptions = evidence[evidence["kind"] == "assumption"].to_dict(orient="records")
    charts = [
        {"uri": _data_uri(folder / c.file), "caption": c.caption, "file": c.file}
        for c in page.charts
        if (folder / c.file).is_file()
    ]
    template = _ENV.get_template("report.html.j2")
    return template.render(
        page=page,
        charts=charts,
        tables=[
            {
                "title": t.title,
                "note": t.note,
                "html": markupsafe.Markup(_html_table(t.frame)),
            }
            for t in page.tables
        ],
        cited=cited,
        assumptions=assumptions,
        manifest=json.dumps(manifest, indent=2, ensure_ascii=False),
        created=manifest.get("created", ""),
    )


def write_report(page: Page, folder: Path) -> Path:
    """Write `report.html` into a (staging) folder, atomically."""
    return io.write_text(folder / REPORT, render(page, folder))
