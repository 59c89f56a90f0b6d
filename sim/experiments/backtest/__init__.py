"""Backtests: how good the model's forecasts were, by proper scores.

- `scores`: the scores and predictive laws (binary; counts from an ensemble;
  Poisson and negative binomial baselines), PIT and its uniformity test;
- `resampling`: bootstrap intervals (plain over questions, moving block
  over forecast origins);
- `questions`, `questions_run`: resolved-questions files and their scoring;
- `hindsight`: when the evidence a scenario cites was first known;
- `reliability`: reliability and sharpness tables;
- `rolling`: rolling-origin scoring of count forecasts against event data;
- `forecaster`: the model as a rolling forecaster (the scenario restarted
  from the events before each origin, optionally refitted), origins on a
  process pool.
"""
