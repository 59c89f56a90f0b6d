"""Choosing an engine: "simpy" (the model's readable definition, and what
`trace` tells) or "fast" (the compiled kernel, for runs at scale).

The fast engine is used only when it can give exactly the SimPy engine's
table: a scenario using a part of the contract the kernel does not implement
is refused with the part named, and a missing or broken numba falls back to
SimPy with a one-line warning, never a traceback.
"""

from __future__ import annotations

import functools
import sys
import threading
import warnings

from sim.errors import UsageError
from sim.scenario.schema import Scenario

ENGINES = ("simpy", "fast")

IMPLEMENTED = frozenset(
    {
        "name",
        "title",
        "description",
        "start_date",
        "horizon_days",
        "actors",
        "ladder",
        "ladder_decay_days",
        "initial_level",
        "events",
        "streams",
        "rules",
        "outcomes",
        "observed",
        "history",
        "uncertain",
        "regimes",
    }
)
"""Top-level scenario parts the kernel implements (all of docs/MODEL.md
today: history, uncertain parameters, hazard rules and regimes included). A
part added to the schema
later is refused by the fast engine until the kernel learns it, rather than
silently ignored."""


class EngineFallbackWarning(RuntimeWarning):
    """The fast engine was asked for but cannot run here; SimPy ran instead."""


COMPILE_NOTICE_AFTER = 2.0
"""Seconds of silence before saying the kernel is being compiled: loading it
from the disk cache takes about half a second, compiling it (first use, or
after numba or the kernel changed) about 30, which looked like a hang with
--no-progress."""


@functools.lru_cache(maxsize=1)
def fast_engine_available() -> tuple[bool, str]:
    """(True, "") when numba imports and the kernel compiles (or loads from its
    disk cache); else (False, the reason in one line). A compile that takes
    longer than `COMPILE_NOTICE_AFTER` is announced on standard error."""
    notice = threading.Timer(
        COMPILE_NOTICE_AFTER,
        lambda: print(
            "compiling the fast engine (once; about 30 s, then cached on disk)...",
            file=sys.stderr,
            flush=True,
        ),
    )
    notice.daemon = True
    notice.start()
    try:
        from sim.montecarlo.fast.run import warm_up

        warm_up()
    except Exception as error:  # any failure means: not available
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        return False, reason
    finally:
        notice.cancel()
    return True, ""


def unsupported_features(scenario: Scenario) -> list[str]:
    """Top-level parts of `scenario` the fast engine cannot run (empty: it can
    run all of them)."""
    return sorted(
        name
        for name in type(scenario).model_fields
        if name not in IMPLEMENTED and getattr(scenario, name) not in (None, {}, (), [])
    )


def resolve_engine(engine: str, scenario: Scenario) -> str:
    """The engine that will run `scenario`: "fast" only if asked for, supported
    and available (else a warning and "simpy"); unsupported parts are an error."""
    if engine not in ENGINES:
        raise UsageError(f"engine: expected one of {', '.join(ENGINES)}, found {engine!r}")
    if engine == "simpy":
        return engine
    missing = unsupported_features(scenario)
    if missing:
        raise UsageError(
            f"engine fast: scenario {scenario.name!r} uses {', '.join(missing)}, which the fast "
            "engine does not implement; run it with the SimPy engine (--engine simpy)"
        )
    ok, reason = fast_engine_available()
    if not ok:
        warnings.warn(
            f"fast engine unavailable ({reason}); running the SimPy engine",
            EngineFallbackWarning,
            stacklevel=3,
        )
        return "simpy"
    return "fast"
