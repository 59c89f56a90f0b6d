"""Monte Carlo: runners, the binning grid of a run, and the executors replications run on."""
