"""Fitting the project's stream model to dated event data by maximum likelihood.

data = read_events("events.csv", "map.yaml")          # sim.eventdata
fit = fit_streams(data, FitSpec(excitation="cross", baseline="monthly"))
fit.table()          # estimates with 95% intervals, one row per parameter
fit.comparison()     # Poisson / self / cross x constant / piecewise: LR and AIC
fit.gof              # time-rescaling KS, QQ frame, daily fitted vs observed
fit.to_scenario(scenario=s)   # scenario YAML content carrying the estimates
"""

from sim.experiments.fit.compare import compare_models
from sim.experiments.fit.estimate import FitResult, fit_streams
from sim.experiments.fit.gof import GoodnessOfFit
from sim.experiments.fit.scenario_out import scenario_content
from sim.experiments.fit.spec import FitSpec

__all__ = [
    "FitResult",
    "FitSpec",
    "GoodnessOfFit",
    "compare_models",
    "fit_streams",
    "scenario_content",
]
