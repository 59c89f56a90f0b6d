"""The fit writer's words and the scenario it builds around a fit without a base."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import yaml

from sim.eventdata import event_data_from_times
from sim.experiments.fit import FitSpec, fit_streams
from sim.scenario.schema import Scenario
from sim.writers.fit import FitJob, headline, map_name, scenario_text, standalone_content

START = dt.date(2021, 1, 1)


def poisson_fit(excitation: str = "self"):
    """Two Poisson streams over 120 days (exact times): no excitation to find."""
    rng = np.random.default_rng(8)
    times = {"raid": np.sort(rng.uniform(0, 120, 240)), "strike": np.sort(rng.uniform(0, 120, 60))}
    data = event_data_from_times(times, START, 120.0, day_resolution=False)
    return fit_streams(data, FitSpec(excitation=excitation, intervals="wald"))  # type: ignore[arg-type]


def test_map_names_become_ids():
    assert map_name(Path("maps/Iraq 2007 (all).yaml")) == "Iraq-2007-all"
    assert map_name(Path("data_maps/iraq_2007_08.yaml")) == "iraq_2007_08"
    assert map_name(Path("...yaml")) == "data"


def test_the_headline_gives_each_type_its_branching_and_ks_result():
    fit = poisson_fit()
    text = headline(fit)
    assert text.startswith("raid: branching ")
    assert "strike: branching " in text and "KS p = " in text
    assert "constant baseline over 2021-01-01..2021-04-30" in text
    poisson = headline(poisson_fit("none"))
    assert "raid: Poisson (no excitation fitted)" in poisson


def test_a_scenario_without_a_base_starts_at_the_data_end_and_validates(tmp_path):
    fit = poisson_fit()
    content = standalone_content(fit, "raids-fitted")
    scenario = Scenario.model_validate(content)
    assert scenario.start_date == dt.date(2021, 5, 1)
    assert scenario.horizon_days == 30
    last_30 = int(fit.data.daily_counts("raid")[-30:].sum())
    assert scenario.outcomes["raid_as_many_as_last_30_days"].count_at_least == last_30
    job = FitJob(Path("raids.yaml"), "escsim fit raids.csv --map raids.yaml")
    text = scenario_text(fit, job, tmp_path / "fitted.yaml")
    assert "# Information cut-off: 2021-04-30 (the end of the fitted period)." in text
    assert "# Regenerate with: escsim fit raids.csv --map raids.yaml" in text
    assert yaml.safe_load(text)["name"] == "raids-fitted"
