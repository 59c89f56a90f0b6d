"""The root bits of many replications' parameter generators at once.

`sim.montecarlo.parameters.Parameters.uniforms` takes, per replication r, the
first two raw 64-bit outputs of `component_generator(seed, r, "param")`:
numpy's PCG64 seeded by `SeedSequence(seed, spawn_key=(r, key))`. Building
those objects costs about 30 us a replication, half the fast engine's own
cost per flagship replication. Both algorithms are fixed, published
functions of their inputs, so the same 128 bits are computed here for a whole
chunk with numpy's vectorised integer arithmetic:

- SeedSequence (O'Neill's seed_seq design as numpy implements it,
  `numpy/random/bit_generator.pyx`): the entropy words (seed, padded to the
  pool size, then the spawn key), hashed into a pool of four 32-bit words
  with the hashmix/mix constants, then `generate_state(4, uint64)`;
- PCG64 (O'Neill 2014, "PCG: a family of simple fast space-efficient
  statistically good algorithms for random number generation", the
  XSL-RR 128/64 output): `srandom(initstate, initseq)`, then two steps, each
  followed by the output function.

Equality with numpy's own objects, bit for bit, is tested over seeds and
replication numbers of every word length (tests/montecarlo/fast/test_roots.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.rng import component_key

M32 = np.uint64(0xFFFFFFFF)
INIT_A, MULT_A = 0x43B0D7E5, 0x931E8875
INIT_B, MULT_B = 0x8B51F9DD, 0x58F38DED
MIX_MULT_L, MIX_MULT_R = 0xCA01F9DD, 0x4973F715
POOL = 4
PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645


def _words(n: int) -> list[int]:
    """Little-endian 32-bit words, [0] for 0 (numpy's `_int_to_uint32_array`)."""
    words = [n & 0xFFFFFFFF]
    n >>= 32
    while n:
        words.append(n & 0xFFFFFFFF)
        n >>= 32
    return words


class _Hash:
    """hashmix with its evolving constant (the constant depends on no value)."""

    def __init__(self) -> None:
        self.const = INIT_A

    def __call__(self, value: np.ndarray) -> np.ndarray:
        value = (value ^ np.uint64(self.const)) & M32
        self.const = (self.const * MULT_A) & 0xFFFFFFFF
        value = (value * np.uint64(self.const)) & M32
        mixed: np.ndarray = value ^ (value >> np.uint64(16))
        return mixed


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = (np.uint64(MIX_MULT_L) * x - np.uint64(MIX_MULT_R) * y) & M32
    mixed: np.ndarray = result ^ (result >> np.uint64(16))
    return mixed


def _pool(seed: int, reps: np.ndarray, key: int) -> list[np.ndarray]:
    """SeedSequence(seed, spawn_key=(rep, key)).pool for every rep (all reps
    below 2^32, one entropy word each)."""
    n = reps.size
    run = _words(seed)
    run += [0] * max(0, POOL - len(run))  # padded: a spawn key follows
    entropy: list[np.ndarray] = [np.full(n, w, dtype=np.uint64) for w in run]
    entropy.append(reps.astype(np.uint64))
    entropy += [np.full(n, w, dtype=np.uint64) for w in _words(key)]
    hashmix = _Hash()
    pool = [hashmix(entropy[i]) for i in range(POOL)]
    for src in range(POOL):
        for dst in range(POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], hashmix(pool[src]))
    for src in range(POOL, len(entropy)):
        for dst in range(POOL):
            pool[dst] = _mix(pool[dst], hashmix(entropy[src]))
    return pool


def _state(pool: list[np.ndarray]) -> list[np.ndarray]:
    """generate_state(4, uint64): eight 32-bit words, paired little-endian."""
    const = INIT_B
    words = []
    for i in range(2 * POOL):
        value = pool[i % POOL] ^ np.uint64(const)
        const = (const * MULT_B) & 0xFFFFFFFF
        value = (value * np.uint64(const)) & M32
        words.append(value ^ (value >> np.uint64(16)))
    return [words[2 * i] | (words[2 * i + 1] << np.uint64(32)) for i in range(POOL)]


def _mul64(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The full 128-bit product of two uint64 arrays, as (high, low)."""
    a0, a1, b0, b1 = a & M32, a >> np.uint64(32), b & M32, b >> np.uint64(32)
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    middle = (p00 >> np.uint64(32)) + (p01 & M32) + (p10 & M32)
    low = (p00 & M32) | (middle << np.uint64(32))
    high = p11 + (p01 >> np.uint64(32)) + (p10 >> np.uint64(32)) + (middle >> np.uint64(32))
    return high, low


def _step(
    high: np.ndarray, low: np.ndarray, inc_high: np.ndarray, inc_low: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One PCG step: the state times PCG_MULT plus inc, modulo 2^128."""
    m_high, m_low = np.uint64(PCG_MULT >> 64), np.uint64(PCG_MULT & (2**64 - 1))
    carry_high, new_low = _mul64(low, np.full_like(low, m_low))
    new_high = carry_high + low * m_high + high * m_low
    out_low = new_low + inc_low
    out_high = new_high + inc_high + (out_low < new_low).astype(np.uint64)
    return out_high, out_low


def _output(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """XSL-RR: (high xor low) rotated right by the top six bits."""
    value = high ^ low
    rot = high >> np.uint64(58)
    rotated: np.ndarray = (value >> rot) | (value << ((np.uint64(64) - rot) & np.uint64(63)))
    return rotated


def root_bits(seed: int, draws: Sequence[int], component: str) -> np.ndarray:
    """(n, 2): `component_generator(seed, i, component).bit_generator.random_raw(2)`
    for each i in `draws` (each below 2^32), computed for all at once."""
    reps = np.asarray(draws, dtype=np.uint64)
    if reps.size and int(reps.max()) >= 2**32:
        raise ValueError("replication numbers must be below 2^32")
    seed_words = _state(_pool(seed, reps, component_key(component)))
    with np.errstate(over="ignore"):
        init_high, init_low = seed_words[0], seed_words[1]  # PCG_128BIT_CONSTANT(val[0], val[1])
        inc_high = (seed_words[2] << np.uint64(1)) | (seed_words[3] >> np.uint64(63))
        inc_low = (seed_words[3] << np.uint64(1)) | np.uint64(1)
        zero = np.zeros_like(init_low)
        high, low = _step(zero, zero, inc_high, inc_low)
        low_sum = low + init_low
        high = high + init_high + (low_sum < low).astype(np.uint64)
        high, low = _step(high, low_sum, inc_high, inc_low)
        out = np.empty((reps.size, 2), dtype=np.uint64)
        for j in range(2):
            high, low = _step(high, low, inc_high, inc_low)
            out[:, j] = _output(high, low)
    return out
