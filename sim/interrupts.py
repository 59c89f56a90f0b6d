"""Ctrl-C is never lost: one that lands inside a C callback is delivered again.

Python raises KeyboardInterrupt in whatever Python code the main thread runs
next after the signal. While numba compiles (importing `scoringrules` compiles
its kernels, about 3 s), that is often a callback llvmlite calls from inside
LLVM (`ExecutionEngine._raw_object_cache_notify`); ctypes cannot pass an
exception back through C, so it reports "Exception ignored" and the command
carries on as if Ctrl-C had never been pressed (a backtest interrupted there
ran to its end and exited 0). `sys.unraisablehook` sees that swallowed
KeyboardInterrupt and raises the interrupt again a moment later, from a timer
thread, once the callback has returned: it then arrives in ordinary Python
code, where the command's own handling (exit code 130, staging folders
removed) takes over. (Raising it from the hook itself does not work: the
interpreter delivers it inside the hook, which is swallowed in turn.)
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading
from typing import Any

REDELIVERY_DELAY = 0.02
"""Seconds before a swallowed Ctrl-C is raised again: long enough for the
callback that swallowed it to return to C, short enough to feel immediate."""

_installed = False


def deliver_lost_interrupts() -> None:
    """Install the hook (once; later calls do nothing). Other unraisable
    exceptions still go to the hook that was there before."""
    global _installed
    if _installed:
        return
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            previous(unraisable)
            return
        timer = threading.Timer(REDELIVERY_DELAY, _thread.interrupt_main, (signal.SIGINT,))
        timer.daemon = True
        timer.start()

    sys.unraisablehook = hook
    _installed = True
