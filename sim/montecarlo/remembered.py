"""Arrays remembered per process under a memory budget.

Calibration candidates, posterior proposals and sweep points run the same
seed and replications, so the parameters they do not vary draw the very same
uniforms and inverse CDFs every time: remembering them saves most of a fast
candidate's work outside the kernel. What is remembered must be a pure
function of its key, so remembering cannot change a result; arrays are
handed out read-only, so no caller can change what the next one gets.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np


class RememberedArrays:
    """Read-only arrays by key, the oldest dropped first past `budget` bytes.

    Thread-safe: a threaded Dask worker may run two chunks at once."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._arrays: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._arrays)

    def held(self) -> int:
        """Bytes held now (at most `budget`)."""
        with self._lock:
            return sum(a.nbytes for a in self._arrays.values())

    def get(self, key: Hashable) -> np.ndarray | None:
        """The array remembered under `key` (now the newest), or None."""
        with self._lock:
            found = self._arrays.get(key)
            if found is not None:
                self._arrays.move_to_end(key)
            return found

    def keep(self, key: Hashable, array: np.ndarray) -> np.ndarray:
        """Make `array` read-only and remember it under `key`, unless it is
        over a quarter of the budget (it would push out everything else);
        returns it either way."""
        array.setflags(write=False)
        if array.nbytes > self.budget // 4:
            return array
        with self._lock:
            self._arrays[key] = array
            held = sum(a.nbytes for a in self._arrays.values())
            while held > self.budget:
                held -= self._arrays.popitem(last=False)[1].nbytes
        return array
