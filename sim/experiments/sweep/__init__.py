"""Parameter sweeps: a design over dotted paths, run point by point with common
random numbers, written as each point finishes, resumable, on a process pool
or Dask; with Sobol sensitivity and scenario discovery on the results."""
