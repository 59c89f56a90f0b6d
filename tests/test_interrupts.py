"""Ctrl-C is never lost (one swallowed by a C callback is delivered again)
and never splits a step that must be whole (`interrupts_deferred`)."""

from __future__ import annotations

import _thread
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.interrupts import interrupts_deferred

REPO = Path(__file__).resolve().parents[1]


SWALLOWED = """
import ctypes, ctypes.util, sys, threading, time
from sim.interrupts import deliver_lost_interrupts
if sys.argv[1] == "hook":
    deliver_lost_interrupts()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
compare_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
def compare(a, b):
    raise KeyboardInterrupt  # Ctrl-C arriving while C calls back into Python
values = (ctypes.c_int * 2)(2, 1)
try:
    libc.qsort(values, 2, ctypes.sizeof(ctypes.c_int), compare_type(compare))
    started = time.monotonic()
    threading.Event().wait(5)  # blocked on a lock, as a command waiting for its workers
    print("lost")
except KeyboardInterrupt:
    print("delivered" if time.monotonic() - started < 2 else "late")
"""


@pytest.mark.parametrize(("hook", "fate"), [("hook", "delivered"), ("none", "lost")])
def test_a_ctrl_c_swallowed_by_a_c_callback_is_delivered_again(hook: str, fate: str) -> None:
    """What numba's compiler did to a backtest's Ctrl-C (llvmlite's object-cache
    callback swallowed it and the run went on to exit 0), reproduced with
    libc's qsort: without the hook the interrupt is lost, with it it arrives
    at once, even while the main thread waits on a lock."""
    result = subprocess.run(
        [sys.executable, "-c", SWALLOWED, hook],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.stdout.strip() == fate, result.stderr


def test_a_ctrl_c_inside_a_deferred_block_is_raised_when_the_block_is_done() -> None:
    steps = []
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        _thread.interrupt_main(signal.SIGINT)  # as if Ctrl-C were pressed here
        for step in range(3):  # each line runs Python code where it could land
            steps.append(step)
    assert steps == [0, 1, 2]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_deferred_block_without_ctrl_c_runs_as_usual() -> None:
    with interrupts_deferred():
        value = sum(range(10))
    assert value == 45
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_deferred_block_leaves_an_ignored_ctrl_c_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts_deferred():
            _thread.interrupt_main(signal.SIGINT)
            steps = [step for step in range(3)]
        assert steps == [0, 1, 2]
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_held_over_a_failing_block_is_still_raised() -> None:
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        _thread.interrupt_main(signal.SIGINT)
        raise OSError("a rename failed")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
