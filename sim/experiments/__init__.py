"""Computations: scenario in, tables and result objects out (no matplotlib, no files)."""
