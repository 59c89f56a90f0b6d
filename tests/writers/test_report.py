"""report.html: one self-contained page per results folder, for a person.

Every experiment kind writes one; it embeds its charts (no network), escapes
what users wrote, and renders in a real browser (headless Chromium, when the
machine has it: CI installs Debian's `chromium`; elsewhere the browser test
skips and says why).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.writers.report import Chart, Page, Table, render

REPO = Path(__file__).resolve().parents[2]
POISSON = REPO / "scenarios" / "reference" / "poisson_count.yaml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
runner = CliRunner()


def test_user_text_is_escaped_and_nothing_is_fetched(tmp_path: Path):
    page = Page(
        kind="run",
        title="<script>alert(1)</script> [unconfirmed]",
        question="Will <b>it</b> happen?",
        headline="P = 0.5 & more",
        interval_note="note",
        tables=[Table("t", pd.DataFrame({"label": ["<img src=x>"], "p": [0.25]}))],
    )
    html = render(page, tmp_path)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[unconfirmed]" in html
    assert "&lt;img src=x&gt;" in html and "<img src=x>" not in html
    assert "P = 0.5 &amp; more" in html
    # Self-contained: no stylesheet, script or image is loaded from anywhere.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_charts_are_embedded(tmp_path: Path):
    import matplotlib

    matplotlib.use("Agg")
    from sim.charts.style import figure
    from sim.writers.folder import save_figure

    fig, ax = figure()
    ax.plot([0, 1], [0, 1])
    save_figure(fig, tmp_path / "line")
    page = Page("run", "t", "q", "h", "n", charts=[Chart("line.png", "a line")])
    html = render(page, tmp_path)
    assert html.count('src="data:image/png;base64,') == 1
    assert "a line" in html


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A results folder of every experiment kind, written by the CLI."""
    base = tmp_path_factory.mktemp("reports")
    scenario = base / "poisson.yaml"
    scenario.write_text(POISSON.read_text())
    sweep = base / "sweep.yaml"
    sweep.write_text(
        "name: tiny-sweep\nbase: poisson.yaml\ndesign: grid\nreplications: 40\nseed: 3\n"
        "parameters:\n  streams.attack.rate: {low: 0.05, high: 0.2, levels: 2}\n"
    )
    observed = yaml.safe_load(POISSON.read_text())
    observed["observed"] = {
        "attack": [{"from": "2024-01-01", "to": "2024-01-31", "count": 14, "assumption": "test"}]
    }
    (base / "observed.yaml").write_text(yaml.safe_dump(observed, sort_keys=False))
    rows = ["date,type"] + [f"2024-03-{d:02d},A" for d in range(1, 31) for _ in range(d % 3)]
    (base / "events.csv").write_text("\n".join(rows) + "\n")
    (base / "map.yaml").write_text(
        "period: {from: 2024-03-01, to: 2024-03-30}\nevents:\n  attack: {where: {type: A}}\n"
    )
    commands = {
        "run": ["run", str(scenario), "-n", "200", "-w", "1", "--out", str(base / "run")],
        "calibrate": [
            "calibrate",
            str(base / "observed.yaml"),
            "--fit",
            "streams.attack.rate",
            "--reps",
            "20",
            "--max-evals",
            "12",
            "-w",
            "1",
            "--out",
            str(base / "calibrated.yaml"),
        ],
        "fit": [
            "fit",
            str(base / "events.csv"),
            "--map",
            str(base / "map.yaml"),
            "--excitation",
            "poisson",
            "--baseline",
            "constant",
            "--out",
            str(base / "fit"),
        ],
        "backtest": [
            "backtest",
            str(REPO / "backtests" / "example.yaml"),
            "--reps",
            "100",
            "--out",
            str(base / "backtest"),
        ],
        "compare": [
            "compare",
            str(scenario),
            "--variant",
            "busy:streams.attack.rate=0.3",
            "-n",
            "200",
            "-w",
            "1",
            "--out",
            str(base / "compare"),
        ],
        "trace": ["trace", str(scenario), "--out", str(base / "trace")],
        "sweep": ["sweep", str(sweep), "-w", "1", "--out", str(base / "sweep"), "--no-progress"],
    }
    here = Path.cwd()
    os.chdir(base)  # calibrate writes its chart folder under ./results
    try:
        for kind, args in commands.items():
            result = runner.invoke(app, args)
            assert result.exit_code in (0, 1), (kind, result.output)  # 1: calibration unconverged
    finally:
        os.chdir(here)
    folders = {kind: base / kind for kind in commands}
    folders["calibrate"] = base / "results" / "calibrated"  # calibrate's chart folder
    return folders


KINDS = ["run", "compare", "trace", "sweep", "calibrate", "fit", "backtest"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_every_folder_has_a_report_with_its_headline(folders: dict[str, Path], kind: str):
    html = (folders[kind] / "report.html").read_text(encoding="utf-8")
    assert f"escalation-sim &middot; {kind}" in html
    assert re.search(r'<div class="headline" id="headline">[^<]+</div>', html)
    assert "<h2>Manifest</h2>" in html and "escalation-sim" in html


@pytest.mark.slow
def test_run_report_shows_the_evidence_and_outcomes(folders: dict[str, Path]):
    html = (folders["run"] / "report.html").read_text(encoding="utf-8")
    assert "Outcomes by the horizon" in html
    assert "Assumptions" in html  # the reference scenario rests on assumptions
    assert html.count("data:image/png;base64,") >= 3


def _screenshot(page: Path, png: Path) -> str:
    """Render `page` in headless Chromium; return the DOM text it rendered."""
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={png.parent / 'chromium-profile'}",
        "--window-size=1100,1400",
    ]
    assert CHROMIUM
    subprocess.run(
        [CHROMIUM, *flags, f"--screenshot={png}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dom.stdout


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (CI installs Debian's chromium: .ci/run)",
)
@pytest.mark.parametrize("kind", KINDS)
def test_report_renders_in_chromium(folders: dict[str, Path], kind: str, tmp_path: Path):
    from matplotlib.image import imread

    png = tmp_path / f"{kind}.png"
    dom = _screenshot(folders[kind] / "report.html", png)
    pixels = imread(png)
    assert pixels.shape[0] > 500 and pixels.shape[1] > 500
    # Not blank: a white page has no spread in its pixel values.
    assert float(np.std(pixels[..., :3])) > 0.02
    headline = re.search(r'id="headline">([^<]+)<', dom)
    assert headline and len(headline.group(1).strip()) > 10
