"""Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers:
as easy as 1, 2, 3", SC11): the counter-based generator both engines draw
from, and its constants. It imports nothing of the package, so `sim.rng`
(numpy) and the compiled engine (numba) can both use the one definition
without importing each other."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF
PHILOX_M0 = np.uint64(0xD2511F53)
PHILOX_M1 = np.uint64(0xCD9E8D57)
PHILOX_W0 = np.uint64(0x9E3779B9)
PHILOX_W1 = np.uint64(0xBB67AE85)
U32 = np.uint64(MASK32)
SHIFT32 = np.uint64(32)
SHIFT11 = np.uint64(11)
TWO_POW_MINUS_53 = 1.0 / 9007199254740992.0
TWO_PI = 2.0 * math.pi
ONE_THIRD = 1.0 / 3.0


def philox4x32_10(
    c0: Any, c1: Any, c2: Any, c3: Any, k0: Any, k1: Any
) -> tuple[Any, Any, Any, Any]:
    """Philox4x32 with 10 rounds on uint64 values holding 32-bit words.

    Works element-wise on numpy uint64 arrays and, compiled by numba, on
    uint64 scalars: the one definition both engines use. Each round
    multiplies words 0 and 2 by the Philox constants (32x32 -> 64 bits, exact
    in uint64) and permutes; the key is bumped by the Weyl constants between
    rounds (Random123's philox4x32_R).
    """
    for _ in range(10):
        p0 = PHILOX_M0 * c0
        p1 = PHILOX_M1 * c2
        c0, c1, c2, c3 = (
            (p1 >> SHIFT32) ^ c1 ^ k0,
            p1 & U32,
            (p0 >> SHIFT32) ^ c3 ^ k1,
            p0 & U32,
        )
        k0 = (k0 + PHILOX_W0) & U32
        k1 = (k1 + PHILOX_W1) & U32
    return c0, c1, c2, c3
