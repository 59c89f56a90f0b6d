"""The counter-based draws of `sim.rng`, compiled: the same bits, from numba.

A lane's state in the kernel is three numbers: its key (two 32-bit words),
the index of its next draw, and the second double of the current Philox
block (draw n is half of block n // 2). The transforms mirror `sim.rng.Draws`
operation for operation, so both engines see identical variates (tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

import numba
import numpy as np

from sim.rng.philox import SHIFT11, SHIFT32, TWO_PI, TWO_POW_MINUS_53, U32, philox4x32_10

_F = TypeVar("_F", bound=Callable[..., Any])


class _Jit(Protocol):
    """A decorator that keeps the decorated function's signature.

    numba's `njit` is untyped, so mypy would see every kernel function as
    returning Any. A jitted function is called with the same arguments and
    returns the same kind of value as the Python function it compiles, so the
    decorators are declared identity-typed here, once, instead of silencing
    mypy at every use.
    """

    def __call__(self, fn: _F, /) -> _F: ...


compiled = cast(
    _Jit,
    numba.njit(cache=True, _nrt=False, forceinline=True),  # type: ignore[call-overload]
)
entry = cast(_Jit, numba.njit(cache=True, _nrt=False))  # type: ignore[call-overload]
"""The decorator of every kernel function: cached on disk, and without numba's
reference counting, which the kernel does not need (it allocates nothing) and
which would cost an atomic operation per array argument per call."""

philox = compiled(philox4x32_10)


@numba.njit(cache=True)
def fill_uniforms(k0: int, k1: int, rep: int, first: int, n: int) -> np.ndarray:
    """Uniforms `first` .. `first + n - 1` of a lane (`first`, `n` even)."""
    out = np.empty(n, dtype=np.float64)
    key0, key1 = np.uint64(k0), np.uint64(k1)
    r = np.uint64(rep)
    r0, r1 = r & U32, r >> SHIFT32
    for j in range(n // 2):
        block = np.uint64(first // 2 + j)
        w0, w1, w2, w3 = philox(block & U32, block >> SHIFT32, r0, r1, key0, key1)
        out[2 * j] = float(((w1 << SHIFT32) | w0) >> SHIFT11) * TWO_POW_MINUS_53
        out[2 * j + 1] = float(((w3 << SHIFT32) | w2) >> SHIFT11) * TWO_POW_MINUS_53
    return out


# Lane state: keys[lane, 0:2] (uint64), counters[lane] (int64), spare[lane] (float64).


@compiled
def next_uniform(
    keys: np.ndarray, counters: np.ndarray, spare: np.ndarray, lane: int, rep: int
) -> float:
    """The lane's next uniform on [0, 1)."""
    n = counters[lane]
    counters[lane] = n + 1
    if n & 1:
        value: float = spare[lane]  # an annotation only: no bytecode, numba unaffected
        return value
    block = np.uint64(n >> 1)
    r = np.uint64(rep)
    w0, w1, w2, w3 = philox(
        block & U32, block >> SHIFT32, r & U32, r >> SHIFT32, keys[lane, 0], keys[lane, 1]
    )
    spare[lane] = float(((w3 << SHIFT32) | w2) >> SHIFT11) * TWO_POW_MINUS_53
    return float(((w1 << SHIFT32) | w0) >> SHIFT11) * TWO_POW_MINUS_53


@compiled
def next_exponential(
    keys: np.ndarray, counters: np.ndarray, spare: np.ndarray, lane: int, rep: int
) -> float:
    """-log(1 - u)."""
    return -math.log(1.0 - next_uniform(keys, counters, spare, lane, rep))


@compiled
def next_normal(
    keys: np.ndarray, counters: np.ndarray, spare: np.ndarray, lane: int, rep: int
) -> float:
    """Box-Muller, cosine branch, two uniforms."""
    u1 = next_uniform(keys, counters, spare, lane, rep)
    u2 = next_uniform(keys, counters, spare, lane, rep)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(TWO_PI * u2)


@compiled
def _gamma_at_least_one(
    keys: np.ndarray, counters: np.ndarray, spare: np.ndarray, lane: int, rep: int, shape: float
) -> float:
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = next_normal(keys, counters, spare, lane, rep)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = next_uniform(keys, counters, spare, lane, rep)
        if math.log(1.0 - u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v


@compiled
def next_gamma(
    keys: np.ndarray, counters: np.ndarray, spare: np.ndarray, lane: int, rep: int, shape: float
) -> float:
    """Marsaglia-Tsang, as `sim.rng.Draws.gamma`."""
    if shape < 1.0:
        g = _gamma_at_least_one(keys, counters, spare, lane, rep, shape + 1.0)
        # float ** float is typed Any; the annotation (no bytecode) says it is a float.
        power: float = (1.0 - next_uniform(keys, counters, spare, lane, rep)) ** (1.0 / shape)
        return g * power
    return _gamma_at_least_one(keys, counters, spare, lane, rep, shape)
