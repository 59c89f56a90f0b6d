"""The only place random numbers are made: counter-based, shared by both engines.

Every draw is a pure function of `(seed, replication, component, lane, n)`:
the n-th uniform of one lane of one component (`stream:<id>`, `rule:<id>`,
`cause:<id>`) in replication `rep` of seed `seed`. It is computed with the
Philox4x32-10 counter-based generator (Salmon, Moraes, Dror and Shaw 2011,
"Parallel random numbers: as easy as 1, 2, 3", SC'11; the Random123
library's known-answer vectors are in the tests):

- key (2 x 32 bits): splitmix64 applied to the seed, then mixed with the
  component's 64-bit blake2b key, then with the lane number;
- counter (4 x 32 bits): (n // 2 low, n // 2 high, rep low, rep high);
- the four output words give two doubles, each from 64 bits keeping the top
  53: u = (w_hi * 2^32 + w_lo) >> 11, times 2^-53, in [0, 1). Draw n is the
  first double of block n // 2 when n is even, the second when odd.

Variates are fixed transforms of a lane's uniforms, defined once here and
mirrored by the compiled engine (`sim/rng/compiled.py`):
exponential = -log(1 - u); normal = Box-Muller's cosine branch from two
uniforms; gamma = Marsaglia and Tsang (2000) with that normal.

Consequences a user can rely on: results do not depend on worker count,
chunking, executor or machine; two scenarios that share a component id share
its random numbers (common random numbers); the SimPy engine and the compiled
engine draw the very same numbers. No global state.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable

import numpy as np

from sim.rng.philox import (  # the one definition both engines use
    MASK32,
    MASK64,
    ONE_THIRD,
    SHIFT11,
    SHIFT32,
    TWO_PI,
    TWO_POW_MINUS_53,
    U32,
    philox4x32_10,
)

FIRST_BLOCK = 16
"""Draws fetched on a lane's first use: most rule lanes need one or two."""
BLOCK = 256
"""The most draws fetched by one refill. Earlier refills fetch three times what
the lane has fetched so far (16, then 48, 192, then 256 at a time), so a lane
that needs a few dozen does not make and convert hundreds it never uses (a
flagship replication used under half of what fixed 256-draw refills made),
while a busy lane reaches full blocks by its fourth fetch."""


def splitmix64(x: int) -> int:
    """The splitmix64 finaliser (Steele, Lea and Flood 2014): a bijective mix
    of 64-bit integers, used to spread seeds and keys over the key space."""
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def component_key(component: str) -> int:
    """A stable 64-bit integer for a component id (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(component.encode(), digest_size=8).digest(), "little")


def component_generator(seed: int, rep: int, component: str) -> np.random.Generator:
    """A numpy generator for work outside the engines' event loops (parameter
    draws of uncertain scenarios, PIT jitter, bootstraps), keyed like the
    engines' streams: `SeedSequence(seed, spawn_key=(rep, key))`, so results do
    not depend on workers or chunking and two runs sharing a key share draws."""
    sequence = np.random.SeedSequence(seed, spawn_key=(rep, component_key(component)))
    return np.random.Generator(np.random.PCG64(sequence))


@functools.lru_cache(maxsize=4096)
def lane_key(seed: int, component: str, lane: int) -> tuple[int, int]:
    """The Philox key (two 32-bit words) of one lane of one component under `seed`
    (cached: every replication of a run reuses its components' keys)."""
    if not 0 <= seed <= MASK64:
        raise ValueError(f"seed must be an integer in [0, 2^64), found {seed}")
    h = splitmix64(seed)
    h = splitmix64(h ^ component_key(component))
    h = splitmix64(h ^ lane)
    return h & MASK32, h >> 32


def uniforms_numpy(k0: int, k1: int, rep: int, first: int, n: int) -> np.ndarray:
    """Uniforms `first` .. `first + n - 1` of a lane (`first` and `n` even),
    vectorised with numpy: the reference the compiled filler must equal."""
    blocks = np.arange(first // 2, (first + n) // 2, dtype=np.uint64)
    zero = np.zeros_like(blocks)
    w0, w1, w2, w3 = philox4x32_10(
        blocks & U32,
        blocks >> SHIFT32,
        zero + np.uint64(rep & MASK32),
        zero + np.uint64(rep >> 32),
        np.uint64(k0),
        np.uint64(k1),
    )
    out = np.empty(n, dtype=np.float64)
    out[0::2] = (((w1 << SHIFT32) | w0) >> SHIFT11).astype(np.float64) * TWO_POW_MINUS_53
    out[1::2] = (((w3 << SHIFT32) | w2) >> SHIFT11).astype(np.float64) * TWO_POW_MINUS_53
    return out


UniformFiller = Callable[[int, int, int, int, int], np.ndarray]
_filler: list[UniformFiller] = []


def uniform_filler() -> UniformFiller:
    """The compiled filler when numba works (50x faster per block), else numpy.
    Both give the same bits (tested); chosen once per process, on first use."""
    if not _filler:
        try:
            from sim.rng.compiled import fill_uniforms

            fill_uniforms(1, 2, 3, 0, 2)  # compile (or load from the disk cache) now
            _filler.append(fill_uniforms)
        except Exception:  # any numba failure means: use numpy
            _filler.append(uniforms_numpy)
    return _filler[0]


def exponential_from(u: float) -> float:
    """A standard exponential from one uniform: -log(1 - u) (1 - u is in (0, 1])."""
    return -math.log(1.0 - u)


class Draws:
    """One lane of one component: its uniforms in order, fetched in blocks
    (a block costs about as much as a single draw would).

    Nothing is computed until the first draw, so a component that never draws
    in a replication costs nothing. Exponentials, normals and gamma variates
    consume this lane's uniforms as the module docstring defines.
    """

    __slots__ = ("_buf", "_i", "_k0", "_k1", "_next", "_rep")

    def __init__(self, seed: int, rep: int, component: str, lane: int = 0):
        self._k0, self._k1 = lane_key(seed, component, lane)
        self._rep = rep
        self._next = 0
        self._buf: list[float] = []
        self._i = 0

    def uniform_block(self) -> list[float]:
        """The lane's next block of uniforms, for loops that index it themselves."""
        n = min(max(3 * self._next, FIRST_BLOCK), BLOCK)
        block: list[float] = uniform_filler()(self._k0, self._k1, self._rep, self._next, n).tolist()
        self._next += n
        return block

    def uniform(self) -> float:
        """The lane's next uniform on [0, 1)."""
        i = self._i
        if i == len(self._buf):
            self._buf = self.uniform_block()
            i = 0
        self._i = i + 1
        return self._buf[i]

    def exponential(self) -> float:
        """A standard exponential variate (mean 1), from one uniform."""
        return -math.log(1.0 - self.uniform())

    def normal(self) -> float:
        """A standard normal from two uniforms (Box-Muller, cosine branch):
        sqrt(-2 log(1 - u1)) * cos(2 pi u2)."""
        u1 = self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(TWO_PI * u2)

    def gamma(self, shape: float) -> float:
        """A Gamma(shape, 1) variate by Marsaglia and Tsang (2000, ACM TOMS 26:
        "A simple method for generating gamma variables"): with d = shape - 1/3
        and c = 1/sqrt(9d), draw a normal x (two uniforms); if v = (1 + c x) > 0,
        draw u and accept d v^3 when log(1 - u) < x^2/2 + d - d v^3 + d log(v^3).
        A shape below 1 draws Gamma(shape + 1) and multiplies by u^(1/shape),
        u one more uniform drawn after it."""
        if shape < 1.0:
            g = self._gamma_at_least_one(shape + 1.0)
            power: float = (1.0 - self.uniform()) ** (1.0 / shape)  # float ** float is typed Any
            return g * power
        return self._gamma_at_least_one(shape)

    def _gamma_at_least_one(self, shape: float) -> float:
        d = shape - ONE_THIRD
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            x = self.normal()
            v = 1.0 + c * x
            if v <= 0.0:
                continue
            v = v * v * v
            if math.log(1.0 - self.uniform()) < 0.5 * x * x + d - d * v + d * math.log(v):
                return d * v
