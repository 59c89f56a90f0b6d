"""The engine's speed shortcuts change nothing: each is switched off here and
every shipped scenario must give the very same replications, field for
field (times as equal floats, the full log, regime spells and the number of
SimPy events dispatched).

- `Clock` (sim/engine/clock.py) against SimPy's own `Environment.timeout`
  and `Environment.run(until=...)`;
- `World.occurred` (update only the hazards an occurrence can change)
  against updating every hazard after every occurrence;
- a rule's count window, tested on the K-th latest occurrence, against
  counting the occurrences in the window one by one.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import simpy

from sim.engine import compile_model, simulate
from sim.engine.hazards import Hazard
from sim.engine.records import Replication
from sim.engine.rules import Check, condition_check
from sim.engine.world import World
from sim.scenario import load_scenario
from tests.engine.helpers import rule, scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))


class PlainSimPy(simpy.Environment):
    """SimPy's own timeout and run loop, under the names the engine calls."""

    def timeout(self, delay: float, value: object = None) -> simpy.Timeout:  # type: ignore[override]
        return simpy.Timeout(self, delay, value)

    def run_until(self, at: float) -> None:
        self.run(until=at)


def every_hazard(world: World, event: int, t: float) -> None:
    """The update the shortcut replaces: every hazard, after every occurrence."""
    world.refresh(t)


def counting_check(
    level_at_least: int | None,
    level_at_most: int | None,
    counts: list[tuple[int, float, int]],
    totals: list[tuple[int, int]],
    after_day: float | None,
    before_day: float | None,
) -> Check | None:
    """A rule's `if` as docs/MODEL.md words it: occurrences in (t - within, t]
    counted one by one."""
    if not (counts or totals) and {level_at_least, level_at_most, after_day, before_day} == {None}:
        return None

    def check(world: World, t: float) -> bool:
        level = world.ladder.level
        return (
            (after_day is None or t >= after_day)
            and (before_day is None or t < before_day)
            and (level_at_least is None or level >= level_at_least)
            and (level_at_most is None or level <= level_at_most)
            and all(world.counts[event] >= k for event, k in totals)
            and all(
                sum(1 for u in world.times[event] if u > t - within) >= k
                for event, within, k in counts
            )
        )

    return check


def plain_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch every shortcut off."""
    monkeypatch.setattr("sim.engine.world.Clock", PlainSimPy)
    monkeypatch.setattr(World, "occurred", every_hazard)
    monkeypatch.setattr("sim.engine.world.condition_check", counting_check)


def runs(path: Path, reps: int) -> list[Replication]:
    model = compile_model(load_scenario(path))
    return [simulate(model, 3, rep, keep_log=rep % 4 == 0) for rep in range(reps)]


def loads(path: Path) -> bool:
    try:
        load_scenario(path)
    except Exception:  # fragments (policies, bases) that only load through another file
        return False
    return True


@pytest.mark.parametrize(
    "path", [p for p in SCENARIOS if loads(p)], ids=lambda p: str(p.relative_to(ROOT))
)
def test_shortcuts_give_the_replications_of_the_plain_engine(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = runs(path, 40)
    plain_engine(monkeypatch)
    plain = runs(path, 40)
    assert fast == plain


def hazard_updates(monkeypatch: pytest.MonkeyPatch, every: bool) -> int:
    """Hazard updates in 20 flagship replications, with or without the shortcut."""
    calls = 0
    update = Hazard.update

    def counting(hazard: Hazard, t: float) -> None:
        nonlocal calls
        calls += 1
        update(hazard, t)

    with monkeypatch.context() as patch:
        patch.setattr(Hazard, "update", counting)
        if every:
            patch.setattr(World, "occurred", every_hazard)
        model = compile_model(load_scenario(ROOT / "scenarios" / "iraq_2024_israel_threat.yaml"))
        for rep in range(20):
            simulate(model, 3, rep)
    return calls


def test_the_hazard_shortcut_skips_most_updates_on_the_flagship(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Four hazards, each reading one or two of nine event types: most updates
    # after an occurrence are skipped (else the shortcut would be dead weight).
    skipped = hazard_updates(monkeypatch, every=False)
    assert 0 < skipped < hazard_updates(monkeypatch, every=True) / 2


def test_shortcuts_keep_same_instant_order(monkeypatch: pytest.MonkeyPatch) -> None:
    # Zero-delay responses, several rules on one trigger, a stream scaled to
    # zero and interrupted at the trigger's instant, a hazard rule acting at
    # once while a count holds, a regime triggered without delay: everything
    # at one instant runs in SimPy's order (URGENT first, then scheduling
    # order), which a wrong priority or a skipped update would change.
    s = scenario(
        streams={
            "attack": {
                "rate": 2.0,
                "self_excitation": {"branching": 0.5, "decay_days": 1},
                "assumption": "test",
            }
        },
        rules={
            "first": rule("attack", [{"emit": "strike"}], probability=0.5),
            "second": rule("attack", [{"emit": "big"}], probability=0.2, cooldown_days=3),
            "counted": {
                "actor": "b",
                "on": ["attack"],
                "if": {
                    "count": [
                        {"event": "attack", "within_days": 1.5, "at_least": 4},
                        {"event": "big", "within_days": 5, "at_least": 0},
                    ]
                },
                "then": [{"set_level": 2}],
                "probability": 0.3,
                "assumption": "test",
            },
            "third": rule("big", [{"emit": "strike"}, {"set_level": 1}]),
            "fourth": rule("big", [{"scale": {"stream": "attack", "factor": 0.0, "days": 1}}]),
            "fifth": rule("strike", [{"set_level": 3}], probability=0.1, cooldown_days=2),
            "sixth": {
                "actor": "b",
                "hazard": 0.5,
                "if": {"count": {"event": "attack", "within_days": 2, "at_least": 3}},
                "then": [{"set_level": 2}],
                "cooldown_days": 1,
                "assumption": "test",
            },
        },
        regimes={
            "pause": {
                "onset": {"on": ["big"], "probability": 0.5},
                "duration": {"dist": "fixed", "days": 2},
                "streams": {"attack": {"factor": 0.5}},
                "rules": {"sixth": {"factor": 2.0}},
                "assumption": "test",
            }
        },
        outcomes={"high": {"level_at_least": 3}, "big": {"event": "big"}},
        ladder_decay_days=2,
    )
    model = compile_model(s)
    fast = [simulate(model, 3, rep, keep_log=True) for rep in range(80)]
    plain_engine(monkeypatch)
    plain = [simulate(model, 3, rep, keep_log=True) for rep in range(80)]
    assert fast == plain
    assert sum(rep.simpy_events for rep in fast) > 80 * 100  # it did run busy replications


def test_a_hazard_rule_emitting_while_it_responds_is_updated_as_without_the_shortcut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `fire` lowers the rule's pending count before its actions run; the attack
    # it emits must update its hazard then (rate 0 -> 0.3, a clock scheduled),
    # as updating every hazard does, before `set_level` stops it again. The
    # shortcut skipped that update: same outcomes, fewer SimPy events (found
    # by the generated differential test of the fast engine).
    s = scenario(
        streams={"attack": {"rate": 0.0, "assumption": "test"}},
        rules={
            "r0": rule("attack", [{"emit": "attack"}], actor="a", cooldown_days=0.5),
            "r1": rule("attack", [{"emit": "attack"}], actor="a", cooldown_days=0.5),
            "h0": {"actor": "a", "hazard": 0.05, "then": [{"emit": "attack"}], "assumption": "t"},
            "h1": {
                "actor": "a",
                "hazard": 0.3,
                "if": {"level_at_least": 1},
                "max_pending": 1,
                "then": [{"emit": "attack"}, {"set_level": 0}],
                "assumption": "test",
            },
        },
    )
    model = compile_model(s)
    fast = [simulate(model, 0, rep, keep_log=True) for rep in range(6)]
    monkeypatch.setattr("sim.engine.world.Clock", PlainSimPy)
    monkeypatch.setattr(World, "occurred", every_hazard)
    plain = [simulate(model, 0, rep, keep_log=True) for rep in range(6)]
    assert [r.simpy_events for r in fast] == [r.simpy_events for r in plain]
    assert fast == plain


def test_the_count_window_shortcut_counts_ties_at_the_window_edge_as_outside() -> None:
    # Times on a half-day grid, so occurrences fall exactly on t - within (outside
    # the window (t - within, t]) and share instants; shipped scenarios in
    # continuous time almost never tie, so this pins the edge directly.
    rng = np.random.default_rng(11)
    for _ in range(2000):
        times = sorted(rng.integers(-4, 12, size=rng.integers(0, 9)) / 2.0)
        counts = [(0, float(rng.integers(1, 6)) / 2.0, int(rng.integers(0, 5)))]
        world = SimpleNamespace(times=[times], counts=[len(times)], ladder=SimpleNamespace(level=0))
        t = float(rng.integers(0, 14)) / 2.0
        fast = condition_check(None, None, counts, [], None, None)
        plain = counting_check(None, None, counts, [], None, None)
        assert fast is not None and plain is not None
        assert fast(world, t) == plain(world, t), (times, counts, t)  # type: ignore[arg-type]
