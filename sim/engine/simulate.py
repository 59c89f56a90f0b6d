"""One replication: build the world, run SimPy to the horizon, keep records."""

from __future__ import annotations

from sim.engine.model import CompiledModel, compile_model
from sim.engine.records import Occurrence, Replication
from sim.engine.streams import stream_process
from sim.engine.world import World
from sim.scenario.schema import Scenario


def simulate(
    model: CompiledModel | Scenario, seed: int, rep: int = 0, keep_log: bool = False
) -> Replication:
    """Run replication `rep` of `seed` from day 0 to the horizon.

    The result depends only on (scenario, seed, rep): keeping the log draws
    causes from separate generators, so a trace of replication 17 is exactly
    replication 17 of the Monte Carlo run.
    """
    if isinstance(model, Scenario):
        model = compile_model(model)
    world = World(model, seed, rep, keep_log)
    for stream in world.streams:
        stream.process = world.env.process(stream_process(world.env, world, stream))
    world.env.run_until(model.horizon)
    log = None
    if world.log is not None:
        names, actors = model.events, model.actors
        log = tuple(
            Occurrence(i, t, names[e], actors[e], cause, parent, level)
            for i, (t, e, cause, parent, level) in enumerate(world.log)
        )
    return Replication(
        rep=rep,
        outcome_days=dict(zip(model.outcomes, world.outcome_days, strict=True)),
        outcome_causes=dict(zip(model.outcomes, world.outcome_cause, strict=True)),
        counts=dict(zip(model.events, world.counts, strict=True)),
        max_level=world.ladder.max_level,
        final_level=world.ladder.level,
        level_changes=tuple(world.ladder.changes),
        event_times_days={
            e: tuple(ts[skip:])
            for e, ts, skip in zip(model.events, world.times, world.history_lengths, strict=True)
        },
        simpy_events=world.simpy_events,
        log=log,
        regimes=tuple(
            sorted(
                (span for regime in world.regimes for span in regime.spans),
                key=lambda span: span.on_day,
            )
        ),
    )
