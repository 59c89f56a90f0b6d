"""The compiled engine: the model of docs/MODEL.md as a numba kernel,
bit-identical to the SimPy engine (tests/montecarlo/fast/test_differential.py).

Importing this package does not import numba; `fast_engine_available` tries.
"""

from sim.montecarlo.fast.select import (
    EngineFallbackWarning,
    fast_engine_available,
    resolve_engine,
    unsupported_features,
)

__all__ = [
    "EngineFallbackWarning",
    "fast_engine_available",
    "resolve_engine",
    "unsupported_features",
]
