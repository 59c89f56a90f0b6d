"""The only place random generators are made.

Replication `rep` of a run with seed `seed` gives each component (a stream, a
rule) its own generator derived with `SeedSequence(seed, spawn_key=(rep, key))`
where `key` is a stable hash of the component's id. Consequences a user can
rely on: results do not depend on worker count, chunking or machine; and two
scenarios that share a component id share its random numbers (common random
numbers), which makes paired policy comparisons far tighter. No global state.
"""

from __future__ import annotations

import hashlib

import numpy as np

BLOCK = 128


def component_key(component: str) -> int:
    """A stable 64-bit integer for a component id (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(component.encode(), digest_size=8).digest(), "little")


def component_generator(seed: int, rep: int, component: str) -> np.random.Generator:
    sequence = np.random.SeedSequence(seed, spawn_key=(rep, component_key(component)))
    return np.random.Generator(np.random.PCG64(sequence))


class Draws:
    """Uniform and standard-exponential variates for one component, drawn in
    blocks: one numpy call per draw costs ~0.7 us, a block ~0.2 us per draw.

    The generator is created on first use, so components that never draw in a
    replication cost nothing.
    """

    __slots__ = ("_component", "_exp", "_gen", "_i_exp", "_i_uni", "_rep", "_seed", "_uni")

    def __init__(self, seed: int, rep: int, component: str):
        self._seed, self._rep, self._component = seed, rep, component
        self._gen: np.random.Generator | None = None
        self._exp: list[float] = []
        self._uni: list[float] = []
        self._i_exp = 0
        self._i_uni = 0

    @property
    def generator(self) -> np.random.Generator:
        if self._gen is None:
            self._gen = component_generator(self._seed, self._rep, self._component)
        return self._gen

    def exponential_block(self) -> list[float]:
        """A fresh block of standard exponentials, for loops that index it themselves."""
        return self.generator.standard_exponential(BLOCK).tolist()

    def uniform_block(self) -> list[float]:
        """A fresh block of uniforms on [0, 1)."""
        return self.generator.random(BLOCK).tolist()

    def exponential(self) -> float:
        """A standard exponential variate (mean 1)."""
        i = self._i_exp
        if i == len(self._exp):
            self._exp = self.exponential_block()
            i = 0
        self._i_exp = i + 1
        return self._exp[i]

    def uniform(self) -> float:
        """A uniform variate on [0, 1)."""
        i = self._i_uni
        if i == len(self._uni):
            self._uni = self.uniform_block()
            i = 0
        self._i_uni = i + 1
        return self._uni[i]
