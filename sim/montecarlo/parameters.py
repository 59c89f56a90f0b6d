"""Uncertain parameters, drawn per replication and injected into the compiled model.

Replication `i` of seed `s` draws each uncertain parameter from its own
generator keyed by `(s, i, "param:<path>")` (one key per `samples:` file, so
a file's columns share their row): the draws depend on nothing else, so
results are identical for any worker count or chunking, and two scenarios
sharing an uncertain parameter share its draws (common random numbers). The
simulation's own generators are untouched, so replication `i` with drawn
values theta is exactly replication `i` of the scenario with theta fixed.

The values go into the compiled model by `dataclasses.replace` on the few
specs they touch, never by validating a scenario per replication (which
would cost more than the replication).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sim.engine import CompiledModel, simulate
from sim.engine.delays import delay_sampler
from sim.engine.model import RuleSpec, StreamSpec
from sim.montecarlo.grid import Layout, make_layout
from sim.montecarlo.table import RunTable, summarise
from sim.rng import component_generator
from sim.scenario.distributions import U_MIN, generator_key
from sim.scenario.schema import Scenario

Setter = Callable[[list[StreamSpec], list[RuleSpec], dict[str, float | None], float], None]


def _stream_setter(model: CompiledModel, path: str) -> Setter:
    s = model.scenario
    names = [spec.ident for spec in model.streams]
    events = {e: i for i, e in enumerate(model.events)}
    m = re.fullmatch(r"streams\.([^.]+)\.rate", path)
    if m:
        i = names.index(m.group(1))

        def rate(streams: list[StreamSpec], _r: object, _m: object, v: float) -> None:
            streams[i] = replace(streams[i], rate=v)

        return rate
    m = re.fullmatch(r"streams\.([^.]+)\.(self_excitation|excited_by\.([^.]+))\.(\w+)", path)
    if m is None:
        raise ValueError(f"not an uncertain stream parameter: {path}")
    ident, source_name, field = m.group(1), m.group(3) or m.group(1), m.group(4)
    i, source = names.index(ident), events[source_name]
    stream = s.streams[ident]
    kernel = stream.self_excitation if m.group(3) is None else stream.excited_by[source_name]
    assert kernel is not None
    nominal = (source, kernel.branching, kernel.decay_days)
    position = 1 if field == "branching" else 2

    def kernel_value(streams: list[StreamSpec], _r: object, _m: object, v: float) -> None:
        kernels = list(streams[i].kernels)
        at = next((k for k, kern in enumerate(kernels) if kern[0] == source), None)
        if at is None:  # a zero nominal branching is not compiled: add the kernel
            kernels.append(nominal)
            at = len(kernels) - 1
        entry = list(kernels[at])
        entry[position] = v
        kernels[at] = (int(entry[0]), float(entry[1]), float(entry[2]))
        streams[i] = replace(streams[i], kernels=tuple(kernels))

    return kernel_value


def _rule_setter(model: CompiledModel, path: str) -> Setter:
    names = [spec.ident for spec in model.rules]
    m = re.fullmatch(r"rules\.([^.\[]+)\.(.+)", path)
    if m is None:
        raise ValueError(f"not an uncertain rule parameter: {path}")
    j, rest = names.index(m.group(1)), m.group(2)
    if rest == "probability":

        def probability(_s: object, rules: list[RuleSpec], _m: object, v: float) -> None:
            rules[j] = replace(rules[j], probability=v)

        return probability
    if rest == "cooldown_days":

        def cooldown(_s: object, rules: list[RuleSpec], _m: object, v: float) -> None:
            rules[j] = replace(rules[j], cooldown=v)

        return cooldown
    delay = re.fullmatch(r"delay\.(\w+)", rest)
    if delay:
        key = f"delay:{j}"
        param = delay.group(1)

        def delay_value(
            _s: object, rules: list[RuleSpec], pending: dict[str, float | None], v: float
        ) -> None:
            pending[f"{key}:{param}"] = v

        return delay_value
    scale = re.fullmatch(r"then\[(\d+)\]\.scale\.(factor|days)", rest)
    if scale is None:
        raise ValueError(f"not an uncertain rule parameter: {path}")
    a, position = int(scale.group(1)), 1 if scale.group(2) == "factor" else 2

    def scale_value(_s: object, rules: list[RuleSpec], _m: object, v: float) -> None:
        actions = list(rules[j].actions)
        old = actions[a].scale
        assert old is not None
        entry = list(old)
        entry[position] = v
        actions[a] = replace(actions[a], scale=(int(entry[0]), float(entry[1]), float(entry[2])))
        rules[j] = replace(rules[j], actions=tuple(actions))

    return scale_value


@dataclass(frozen=True)
class Parameters:
    """A scenario's uncertain parameters, compiled once per process: their
    names (dotted paths, the order of `RunTable.parameters` columns), the
    generator key of each and how each reaches the compiled model."""

    model: CompiledModel
    names: tuple[str, ...]
    keys: tuple[str, ...]
    setters: tuple[Setter | None, ...]
    """None for `ladder_decay_days`, which sits on the model itself."""

    @staticmethod
    def of(model: CompiledModel) -> Parameters:
        uncertain = model.scenario.uncertain
        setters: list[Setter | None] = []
        for path in uncertain:
            if path == "ladder_decay_days":
                setters.append(None)
            elif path.startswith("streams."):
                setters.append(_stream_setter(model, path))
            else:
                setters.append(_rule_setter(model, path))
        return Parameters(
            model,
            tuple(uncertain),
            tuple(generator_key(p, d) for p, d in uncertain.items()),
            tuple(setters),
        )

    def uniforms(self, seed: int, draws: Sequence[int]) -> np.ndarray:
        """(n, unique keys) uniforms in (0, 1): draw `i` of each key from the
        generator keyed by (seed, i, key)."""
        unique = list(dict.fromkeys(self.keys))
        u = np.empty((len(draws), len(unique)))
        for row, i in enumerate(draws):
            for col, key in enumerate(unique):
                u[row, col] = component_generator(seed, int(i), key).random() + U_MIN
        return u

    def values(self, u: np.ndarray) -> np.ndarray:
        """(n, parameters) values for uniforms (n, unique keys): inverse CDFs."""
        unique = list(dict.fromkeys(self.keys))
        dists = list(self.model.scenario.uncertain.values())
        out = np.empty((u.shape[0], len(self.names)))
        for col, (key, dist) in enumerate(zip(self.keys, dists, strict=True)):
            out[:, col] = dist.ppf(u[:, unique.index(key)])
        return out

    def draw(self, seed: int, draws: Sequence[int]) -> np.ndarray:
        """(n, parameters) values of parameter draws `draws` of `seed`."""
        return self.values(self.uniforms(seed, draws))

    def apply(self, row: np.ndarray) -> CompiledModel:
        """The compiled model with these parameter values."""
        streams, rules = list(self.model.streams), list(self.model.rules)
        pending: dict[str, float | None] = {}
        decay = self.model.decay_days
        for setter, value in zip(self.setters, row.tolist(), strict=True):
            if setter is None:
                decay = value
            else:
                setter(streams, rules, pending, value)
        if pending:
            self._apply_delays(rules, pending)
        return replace(self.model, streams=tuple(streams), rules=tuple(rules), decay_days=decay)

    def _apply_delays(self, rules: list[RuleSpec], pending: dict[str, float | None]) -> None:
        by_rule: dict[int, dict[str, float | None]] = {}
        for name, value in pending.items():
            _, index, param = name.split(":")
            by_rule.setdefault(int(index), {})[param] = value
        scenario_rules = list(self.model.scenario.rules.values())
        for j, update in by_rule.items():
            law = scenario_rules[j].delay
            assert law is not None
            rules[j] = replace(rules[j], delay=delay_sampler(law.model_copy(update=update)))


def run_uncertain_chunk(
    model: CompiledModel,
    seed: int,
    reps: Sequence[int],
    layout: Layout | None = None,
    reps_per_draw: int = 1,
) -> RunTable:
    """Replications `reps` with their drawn parameters; replication r takes
    parameter draw r // reps_per_draw (1: a fresh draw per replication; more:
    the nested design, each draw shared by a block of replications)."""
    layout = layout or make_layout(model.scenario)
    params = Parameters.of(model)
    values = params.draw(seed, [r // reps_per_draw for r in reps])
    table = summarise(
        (simulate(params.apply(row), seed, rep) for row, rep in zip(values, reps, strict=True)),
        model,
        layout,
        len(reps),
    )
    return replace(table, parameters=values)


def run_fixed_chunk(
    model: CompiledModel, seed: int, reps: Sequence[int], values: np.ndarray
) -> RunTable:
    """Replications `reps` with the uncertain parameters set to `values`
    (one row for all): a point of a Saltelli design."""
    params = Parameters.of(model)
    fixed = params.apply(np.asarray(values, dtype=float))
    table = summarise(
        (simulate(fixed, seed, rep) for rep in reps), model, make_layout(model.scenario), len(reps)
    )
    return replace(table, parameters=np.tile(values, (len(reps), 1)))


def parameter_frame(scenario: Scenario, table: RunTable) -> pd.DataFrame:
    """One row per replication: `rep` and each drawn parameter by its dotted
    path (none but `rep` when every parameter is fixed), to join with the
    replication rows in `replications.parquet`."""
    frame = pd.DataFrame({"rep": table.reps})
    for col, path in enumerate(scenario.uncertain):
        frame[path] = table.parameters[:, col]
    return frame
