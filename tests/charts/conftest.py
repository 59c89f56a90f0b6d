"""Fixtures for the chart tests: a tiny run of the Poisson reference scenario
(200 replications, well under a second) and figures closed after each test."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import pytest

import tests.charts.helpers  # noqa: F401  (selects the Agg backend first)
from sim.experiments.run import RunResult
from sim.scenario import load_scenario
from sim.scenario.schema import Scenario
from tests.conftest import SCENARIOS


@pytest.fixture(scope="session")
def poisson() -> Scenario:
    return load_scenario(SCENARIOS / "reference" / "poisson_count.yaml")


@pytest.fixture(scope="session")
def poisson_run(poisson: Scenario) -> RunResult:
    import sim

    return sim.run(poisson, seed=1, reps=200)


@pytest.fixture(scope="session")
def flagship() -> Scenario:
    return load_scenario(SCENARIOS / "iraq_2024_israel_threat.yaml")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")
