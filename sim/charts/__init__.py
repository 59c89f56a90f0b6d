"""Chart functions, one module per kind of experiment: tidy frames and `ax=` in,
the Axes out, in the house style of `style.py`; none knows an experiment type."""
