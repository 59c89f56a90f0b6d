"""What a sweep's table says: Sobol indices that single out the one parameter
an outcome depends on, scenario-discovery boxes with their coverage and
density, and the charts a finished sweep writes."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim.experiments.sweep import analysis
from sim.scenario import load_scenario
from sim.sweep.spec import Range, Sweep, SweepSpec, design_points
from sim.writers.sweep import SweepResult, run_sweep
from tests.sweep import INERT, POISSON, copy_poisson, write_sweep

PNG = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    assert path.exists(), f"{path.name} not written"
    data = path.read_bytes()
    assert data.startswith(PNG), path
    assert len(data) > 10_000, f"{path.name} is suspiciously small ({len(data)} bytes)"


# --- Sobol indices ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sobol_run(tmp_path_factory: pytest.TempPathFactory) -> SweepResult:
    """A Sobol sweep (N = 32, two parameters: 128 points x 100 replications) of
    P(ten attacks in 100 days) over the stream's rate, which drives it, and the
    probability of a rule that is never triggered, which cannot touch it."""
    folder = tmp_path_factory.mktemp("sobol")
    (folder / "inert.yaml").write_text(INERT, encoding="utf-8")
    file = write_sweep(
        folder,
        "parameters:\n"
        "  streams.attack.rate: {low: 0.05, high: 0.2}\n"
        "  rules.never.probability: {low: 0.1, high: 0.9}\n"
        "design: sobol\nsamples: 32\nreplications: 100\nseed: 2\n",
        base="inert.yaml",
    )
    return run_sweep(file, folder / "out", workers=1)


@pytest.mark.slow
def test_sobol_singles_out_the_parameter_that_matters(sobol_run: SweepResult):
    indices = sobol_run.sensitivity()
    assert list(indices["outcome"]) == ["ten_attacks", "ten_attacks"]
    rate = indices.set_index("parameter").loc["streams.attack.rate"]
    inert = indices.set_index("parameter").loc["rules.never.probability"]
    assert rate["S1"] > inert["S1"]
    assert rate["ST"] > inert["ST"]
    # With common random numbers a point's replications use the same draws
    # whatever the never-triggered rule's probability, so its estimate is a
    # function of the rate alone: the rate's true indices are S1 = ST = 1 ...
    assert abs(rate["S1"] - 1) <= rate["S1_conf"]
    assert abs(rate["ST"] - 1) <= rate["ST_conf"]
    assert rate["S1"] - rate["S1_conf"] > 0.5
    # ... and the inert one's are 0: every term f(A) - f(A_B) of Saltelli's
    # estimators that swaps its value is exactly zero, however noisy f is.
    assert abs(inert["ST"]) <= inert["ST_conf"]
    assert inert["ST"] == 0.0
    assert inert["S1"] == 0.0


@pytest.mark.slow
def test_sobol_noise_share_is_the_binomial_variance_share(sobol_run: SweepResult):
    table = sobol_run.table
    p = table["p_ten_attacks"].to_numpy()
    expected = np.mean(p * (1 - p) / 100) / np.var(p)
    indices = sobol_run.sensitivity()
    np.testing.assert_allclose(indices["noise_share"], expected, rtol=1e-12)
    # The rate moves P from about 0.03 to 0.99: replication noise is a small
    # share of the variance here, so the indices are signal.
    assert expected < 0.05


@pytest.mark.slow
def test_sobol_sweep_writes_indices_and_their_chart(sobol_run: SweepResult):
    folder = sobol_run.folder
    written = pd.read_csv(folder / "sensitivity.csv")  # six significant digits
    pd.testing.assert_frame_equal(written, sobol_run.sensitivity(), check_exact=False, rtol=1e-5)
    assert_png(folder / "sensitivity_ten_attacks.png")
    assert_png(folder / "sweep.png")
    ax = sobol_run.plot_sensitivity()
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "streams.attack.rate",
        "rules.never.probability",
    ]
    plt.close(ax.figure)


@pytest.mark.slow
def test_sobol_skips_an_outcome_that_never_varies(sobol_run: SweepResult):
    table = sobol_run.table.assign(p_ten_attacks=0.25)
    assert analysis.sobol_indices(sobol_run.sweep, table).empty


# --- scenario discovery ----------------------------------------------------------------


@pytest.fixture
def grid10() -> Sweep:
    """A 10 x 10 grid, x and y in 0..9, over a base with outcome ten_attacks."""
    spec = SweepSpec(
        base="synthetic",
        parameters={
            "x": Range(low=0, high=9, levels=10),
            "y": Range(low=0, high=9, levels=10),
        },
        design="grid",
        outcomes=("ten_attacks",),
        threshold=0.5,
    )
    return Sweep(spec, load_scenario(POISSON), Path("synthetic.yaml"), design_points(spec))


def synthetic(sweep: Sweep, reaches) -> pd.DataFrame:
    table = pd.DataFrame(sweep.points, columns=sweep.paths)
    table["p_ten_attacks"] = np.where(reaches(table["x"], table["y"]), 0.5, 0.49)
    return table


def test_discover_recovers_a_box(grid10: Sweep):
    table = synthetic(grid10, lambda x, y: (x >= 6) & (y >= 5))
    boxes = analysis.discover(grid10, table)
    assert len(boxes) == 1
    box = boxes.iloc[0]
    # The tree cuts halfway between grid values: x > 5.5, y > 4.5.
    assert 5 < box["x >="] <= 6 and box["x <="] == 9
    assert 4 < box["y >="] <= 5 and box["y <="] == 9
    # 4 x values (6..9) x 5 y values (5..9) = 20 points, all of them reaching
    # the threshold (0.5 >= 0.5): coverage 20/20, density 20/20.
    assert box["points"] == 20
    assert box["coverage"] == 1.0
    assert box["density"] == 1.0
    assert box["threshold"] == 0.5 and box["outcome"] == "ten_attacks"


def test_discover_coverage_and_density_by_hand(grid10: Sweep):
    """The block x >= 6, y >= 5 less its corner (6, 5), plus a stray point at
    (0, 0): 20 points reach the threshold. Leaves need at least 5 points
    (max(3, 100 // 20)), so the stray point cannot get a box of its own."""
    table = synthetic(
        grid10,
        lambda x, y: ((x >= 6) & (y >= 5) & ~((x == 6) & (y == 5))) | ((x == 0) & (y == 0)),
    )
    boxes = analysis.discover(grid10, table)
    reaches = table["p_ten_attacks"] >= 0.5
    assert reaches.sum() == 20
    for box in boxes.to_dict(orient="records"):
        inside = (
            (table["x"] >= box["x >="])
            & (table["x"] <= box["x <="])
            & (table["y"] >= box["y >="])
            & (table["y"] <= box["y <="])
        )
        assert box["points"] == inside.sum()
        assert box["coverage"] == reaches[inside].sum() / reaches.sum()
        assert box["density"] == reaches[inside].mean()
    # By hand: the tree splits off x = 6, so box 1 is x in 7..9, y in 5..9
    # (15 points, all reaching: density 1, coverage 15/20) and box 2 is x = 6,
    # y in 5..9 (5 points, 4 reaching: density 4/5, coverage 4/20). Boxes
    # come densest first; the stray point is in neither.
    assert list(boxes["box"]) == [1, 2]
    assert list(boxes["points"]) == [15, 5]
    assert list(boxes["density"]) == [1.0, 0.8]
    assert list(boxes["coverage"]) == [0.75, 0.2]
    assert boxes["x >="].iloc[0] > 6 and boxes["x <="].iloc[1] < 7


def test_discover_returns_no_box_when_no_point_reaches(grid10: Sweep):
    table = synthetic(grid10, lambda x, y: (x >= 6) & (y >= 5))
    boxes = analysis.discover(grid10, table, threshold=0.9)
    assert boxes.empty
    assert list(boxes.columns) == [
        "outcome",
        "threshold",
        "box",
        "coverage",
        "density",
        "points",
        "x >=",
        "y >=",
        "x <=",
        "y <=",
    ]
    # A lower threshold than the file's is honoured: now every point reaches it.
    assert analysis.discover(grid10, table, threshold=0.4).empty
    assert len(analysis.discover(grid10, table, threshold=0.5)) == 1


def test_discover_with_too_few_points_for_a_box():
    """Four points, one reaching the threshold: leaves need 3 points, so the
    tree cannot split and its one leaf says "does not reach": no box (this
    used to fail on an empty frame)."""
    spec = SweepSpec(
        base="synthetic",
        parameters={"x": Range(low=0, high=3, levels=4)},
        design="grid",
        outcomes=("ten_attacks",),
    )
    sweep = Sweep(spec, load_scenario(POISSON), Path("synthetic.yaml"), design_points(spec))
    table = pd.DataFrame({"x": [0.0, 1, 2, 3], "p_ten_attacks": [0.1, 0.2, 0.3, 0.6]})
    boxes = analysis.discover(sweep, table)
    assert boxes.empty
    assert list(boxes.columns)[:6] == [
        "outcome",
        "threshold",
        "box",
        "coverage",
        "density",
        "points",
    ]


# --- charts of a finished sweep -------------------------------------------------------


CHART_SWEEPS = {
    "one-parameter": "  streams.attack.rate: {low: 0.05, high: 0.2, levels: 4}\ndesign: grid\n",
    "two-parameters": (
        "  streams.attack.rate: {low: 0.05, high: 0.2, levels: 3}\n"
        "  horizon_days: [60, 100]\ndesign: grid\n"
    ),
    "two-parameters-lhs": (
        "  streams.attack.rate: {low: 0.05, high: 0.2, log: true}\n"
        "  horizon_days: {low: 60, high: 100}\ndesign: lhs\nsamples: 12\n"
    ),
    "three-parameters": (
        "  streams.attack.rate: {low: 0.05, high: 0.2, levels: 3}\n"
        "  horizon_days: [60, 100]\n"
        "  outcomes.ten_attacks.count_at_least: [5, 10]\ndesign: grid\n"
    ),
}


@pytest.mark.parametrize("body", CHART_SWEEPS.values(), ids=CHART_SWEEPS.keys())
def test_sweep_writes_its_charts(body: str, project: Path):
    copy_poisson(project)
    file = write_sweep(project, f"parameters:\n{body}replications: 30\nseed: 5\n")
    result = run_sweep(file, project / "out", workers=1)
    assert_png(project / "out" / "sweep.png")
    assert (project / "out" / "sweep.parquet").exists()
    assert (project / "out" / "discovery.csv").exists()
    assert not (project / "out" / "sensitivity.csv").exists()  # not a Sobol design
    if len(result.discovery()):
        assert_png(project / "out" / "discovery.png")
    fig = result.plot()
    assert fig.axes, "the sweep figure has no axes"
    plt.close(fig)
