"""Ctrl-C is never lost and never splits a step that must be whole.

`deliver_lost_interrupts`, installed by the `escsim` command. Python raises
KeyboardInterrupt in whatever Python code the main thread runs next after the
signal. While numba compiles, that is often a callback llvmlite calls from
inside LLVM (`ExecutionEngine._raw_object_cache_notify`); ctypes cannot pass
an exception back through C, so it reports "Exception ignored" and the
command carries on as if Ctrl-C had never been pressed (a backtest
interrupted while `scoringrules` compiled its kernels ran to its end and
exited 0). `sys.unraisablehook` sees that swallowed KeyboardInterrupt and
raises the interrupt again a moment later, from a timer thread, once the
callback has returned: it then arrives in ordinary Python code, where the
command's own handling (exit code 130, staging folders removed) takes over.
(Raising it from the hook itself does not work: the interpreter delivers it
inside the hook, which is swallowed in turn.)

`interrupts_deferred`: a Ctrl-C inside a few steps that must happen together
is held until they are done.
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
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
        if not threading.main_thread().is_alive():  # shutting down: nothing to deliver to
            previous(unraisable)
            return
        timer = threading.Timer(REDELIVERY_DELAY, _interrupt_main)
        timer.daemon = True
        timer.start()

    sys.unraisablehook = hook
    _installed = True


def _interrupt_main() -> None:
    """Ctrl-C again, to the main thread, unless Python no longer handles it. A
    real signal (`pthread_kill`) also ends a wait on a lock or a future, which
    `_thread.interrupt_main` (the fallback where there is no `pthread_kill`)
    only flags until the wait is over."""
    if not callable(signal.getsignal(signal.SIGINT)):
        return
    main = threading.main_thread().ident
    if hasattr(signal, "pthread_kill") and main is not None:
        signal.pthread_kill(main, signal.SIGINT)
    else:
        _thread.interrupt_main(signal.SIGINT)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[list[int]]:
    """Hold a Ctrl-C that arrives inside the block and raise it when the block
    is done (or has failed): for a few steps that must happen together (replacing a results
    folder is two renames; between them the old folder is hidden and the new
    one not yet in place). Only the main thread receives signals; elsewhere,
    or when Ctrl-C is ignored, the block simply runs.

    The block gets the list of held signals: a block that reached a point
    where stopping is no longer possible (the new results are in place) clears
    it, so the command finishes and says what it wrote instead of reporting
    "nothing written"."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):  # SIG_IGN, SIG_DFL, or set outside Python
        yield received
        return
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:  # also when the block failed: the user's Ctrl-C wins
            previous(signal.SIGINT, None)
