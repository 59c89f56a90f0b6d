"""Uncertain parameters, drawn per replication and injected into the compiled model.

Replication `i` of seed `s` draws each uncertain parameter from a uniform
keyed by `(s, i, "param:<path>")` (one key per `samples:` file, so a file's
columns share their row): the draws depend on nothing else, so results are
identical for any worker count or chunking, and two scenarios sharing an
uncertain parameter share its draws (common random numbers). The
simulation's own generators are untouched, so replication `i` with drawn
values theta is exactly replication `i` of the scenario with theta fixed.

Making a numpy generator per parameter and replication costs ~20-50 us (its
SeedSequence), as much as a tenth of a flagship replication for a few
dozen parameters; so each replication makes one, keyed `(s, i, "param")`,
and each key's uniform is its 128 bits mixed with the key by the SplitMix64
finaliser (Steele, Lea and Flood 2014), vectorised over replications: still
a function of (seed, replication, key) alone.

The values go into the compiled model by one copy-with-changes per touched
spec, never by validating a scenario per replication (which would
cost more than the replication).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sim.engine import CompiledModel, simulate
from sim.engine.delays import delay_sampler
from sim.engine.records import Replication
from sim.montecarlo.remembered import RememberedArrays
from sim.rng import component_generator, component_key
from sim.scenario.distributions import U_MAX, U_MIN, Beta, Gamma, Law, Pert, generator_key

ROOT_COMPONENT = "param"
"""The component key of a replication's parameter generator."""


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    mixed: np.ndarray = z ^ (z >> np.uint64(31))
    return mixed


def _keyed(roots: np.ndarray, key: str) -> np.ndarray:
    """Per replication's 128 root bits, the uniform in (0, 1) of component `key`."""
    k = np.full(roots.shape[0], component_key(key), dtype=np.uint64)
    z = _mix(_mix(roots[:, 0] ^ k) ^ roots[:, 1])
    u = (z >> np.uint64(11)).astype(np.float64) * 2.0**-53 + U_MIN
    return np.asarray(np.minimum(u, U_MAX))  # the top step rounds to 1.0


def _replace(spec: Any, **changes: Any) -> Any:
    """`dataclasses.replace` without re-running `__init__` (a third of its cost)
    for the engine's plain frozen specs; the ordinary one for any other kind."""
    if not hasattr(spec, "__dict__") or getattr(spec, "__post_init__", None) is not None:
        return replace(spec, **changes)
    new = object.__new__(type(spec))
    new.__dict__.update(spec.__dict__)
    new.__dict__.update(changes)
    return new


@dataclass(frozen=True)
class _Target:
    """Where one parameter sits in the compiled model."""

    kind: str
    """rate, kernel, probability, hazard, cooldown, delay, scale, decay, or
    regime (key: "hazard", "probability", "delay.<name>", "duration.<name>",
    "stream" or "rule" with the effect's position)."""
    index: int = 0
    """The stream or rule index."""
    key: int | str = 0
    """A kernel's source event, an action's index, or a delay parameter's name."""
    position: int = 0
    """Within a kernel (1 branching, 2 decay) or a scale (1 factor, 2 days) tuple."""
    nominal: tuple[int, float, float] | None = None
    """A kernel's (source, branching, decay) as written, to add it when its
    nominal branching was 0 and it was not compiled."""


def _target(model: CompiledModel, path: str) -> _Target:
    s = model.scenario
    if path == "ladder_decay_days":
        return _Target("decay")
    streams = [spec.ident for spec in model.streams]
    rules = [spec.ident for spec in model.rules]
    events = {e: i for i, e in enumerate(model.events)}
    if m := re.fullmatch(r"regimes\.([^.\[]+)\.(.+)", path):
        return _regime_target(model, m.group(1), m.group(2))
    if m := re.fullmatch(r"streams\.([^.]+)\.rate", path):
        return _Target("rate", streams.index(m.group(1)))
    if m := re.fullmatch(r"streams\.([^.]+)\.(self_excitation|excited_by\.([^.]+))\.(\w+)", path):
        ident, source = m.group(1), m.group(3) or m.group(1)
        stream = s.streams[ident]
        kernel = stream.self_excitation if m.group(3) is None else stream.excited_by[source]
        assert kernel is not None
        nominal = (events[source], kernel.branching, kernel.decay_days)
        position = 1 if m.group(4) == "branching" else 2
        return _Target("kernel", streams.index(ident), events[source], position, nominal)
    m = re.fullmatch(r"rules\.([^.\[]+)\.(.+)", path)
    if m is None:
        raise ValueError(f"not a parameter that can be uncertain: {path}")
    j, rest = rules.index(m.group(1)), m.group(2)
    if rest in ("probability", "hazard"):
        return _Target(rest, j)
    if rest == "cooldown_days":
        return _Target("cooldown", j)
    if d := re.fullmatch(r"delay\.(\w+)", rest):
        return _Target("delay", j, d.group(1))
    if a := re.fullmatch(r"then\[(\d+)\]\.scale\.(factor|days)", rest):
        return _Target("scale", j, int(a.group(1)), 1 if a.group(2) == "factor" else 2)
    raise ValueError(f"not a parameter that can be uncertain: {path}")


def _regime_target(model: CompiledModel, ident: str, rest: str) -> _Target:
    """Where an uncertain number of regime `ident` sits in its compiled spec."""
    index = [spec.ident for spec in model.regimes].index(ident)
    regime = model.scenario.regimes[ident]
    if rest in ("onset.hazard", "onset.probability"):
        return _Target("regime", index, rest.split(".")[1])
    if d := re.fullmatch(r"(onset\.delay|duration)\.(\w+)", rest):
        return _Target("regime", index, f"{d.group(1).split('.')[-1]}.{d.group(2)}")
    if f := re.fullmatch(r"(streams|rules)\.([^.\[]+)\.factor", rest):
        targets = list(regime.streams if f.group(1) == "streams" else regime.rules)
        return _Target("regime", index, f.group(1)[:-1], targets.index(f.group(2)))
    raise ValueError(f"not a parameter that can be uncertain: regimes.{ident}.{rest}")


def _with_regimes(
    model: CompiledModel, changes: dict[int, dict[tuple[str, int], float]]
) -> CompiledModel:
    """`model` with drawn values in its regimes: hazards and probabilities set,
    delay and duration samplers rebuilt from the scenario's laws, factors set
    in their (index, factor) tuples."""
    specs = list(model.regimes)
    for i, values in changes.items():
        spec = specs[i]
        regime = model.scenario.regimes[spec.ident]
        update: dict[str, object] = {}
        laws: dict[str, dict[str, float]] = {}
        streams, rules = list(spec.stream_factors), list(spec.rule_factors)
        for (key, position), value in values.items():
            if key in ("hazard", "probability"):
                update[key] = value
            elif key == "stream":
                streams[position] = (streams[position][0], value)
            elif key == "rule":
                rules[position] = (rules[position][0], value)
            else:
                law, name = key.split(".")
                laws.setdefault(law, {})[name] = value
        for law, params in laws.items():
            written = regime.onset.delay if law == "delay" else regime.duration
            assert written is not None
            update[law] = delay_sampler(written.model_copy(update=params))
        update["stream_factors"], update["rule_factors"] = tuple(streams), tuple(rules)
        specs[i] = _replace(spec, **update)
    changed: CompiledModel = _replace(model, regimes=tuple(specs))
    return changed


QUANTILES_BYTES = 8 * 2**20
"""Inverse-CDF results remembered per process, oldest dropped first: 8 MiB
holds a 20,000-replication chunk of 50 laws (a worker's memory target is
150 MiB)."""
_QUANTILES = RememberedArrays(QUANTILES_BYTES)


def quantiles(dist: Law, u: np.ndarray) -> np.ndarray:
    """`dist.ppf(u)`, remembered for the laws without a closed-form inverse
    (beta, PERT, gamma: ~1.3 us a value in Boost's iterative inversion). A
    calibration's candidates and a sweep's points run the same seed and
    replications, so every parameter they do not vary draws the very same
    uniforms each time: without this, drawing them cost as much as
    simulating on the fast engine. A pure function of (law, u), so
    remembering it cannot change a result."""
    if not isinstance(dist, (Beta, Pert, Gamma)):
        return dist.ppf(u)
    u = np.ascontiguousarray(u, dtype=float)
    key = (dist, u.shape, hashlib.blake2b(u.tobytes(), digest_size=16).digest())
    found = _QUANTILES.get(key)
    return found if found is not None else _QUANTILES.keep(key, dist.ppf(u))


@dataclass(frozen=True)
class Parameters:
    """A scenario's uncertain parameters, compiled once per chunk: their names
    (dotted paths, the order of `RunTable.parameters` columns), the generator
    key of each and where each sits in the compiled model."""

    model: CompiledModel
    names: tuple[str, ...]
    keys: tuple[str, ...]
    targets: tuple[_Target, ...]

    @staticmethod
    def of(model: CompiledModel) -> Parameters:
        """The parameters a scenario's `uncertain:` block declares, with their
        generator keys, so every replication draws each from its own keyed uniform
        (a parameter's draw never depends on which others are declared)."""
        uncertain = model.scenario.uncertain
        return Parameters(
            model,
            tuple(uncertain),
            tuple(generator_key(p, d) for p, d in uncertain.items()),
            tuple(_target(model, p) for p in uncertain),
        )

    @property
    def inputs(self) -> list[str]:
        """The distinct generator keys: one uniform each per draw."""
        return list(dict.fromkeys(self.keys))

    def uniforms(self, seed: int, draws: Sequence[int]) -> np.ndarray:
        """(n, inputs) uniforms in (0, 1) of parameter draws `draws` of `seed`."""
        roots = np.array(
            [
                component_generator(seed, int(i), ROOT_COMPONENT).bit_generator.random_raw(2)
                for i in draws
            ],
            dtype=np.uint64,
        ).reshape(-1, 2)
        return np.column_stack([_keyed(roots, key) for key in self.inputs]).reshape(
            len(draws), len(self.inputs)
        )

    def values(self, u: np.ndarray) -> np.ndarray:
        """(n, parameters) values for uniforms (n, inputs): inverse CDFs."""
        inputs = self.inputs
        dists = list(self.model.scenario.uncertain.values())
        out = np.empty((u.shape[0], len(self.names)))
        for col, (key, dist) in enumerate(zip(self.keys, dists, strict=True)):
            out[:, col] = quantiles(dist, u[:, inputs.index(key)])
        return out

    def draw(self, seed: int, draws: Sequence[int]) -> np.ndarray:
        """(n, parameters) values of parameter draws `draws` of `seed`."""
        return self.values(self.uniforms(seed, draws))

    def apply(self, row: np.ndarray) -> CompiledModel:
        """The compiled model with these parameter values (one replace per
        touched stream or rule)."""
        model = self.model
        stream_changes: dict[int, dict[str, object]] = {}
        kernels: dict[int, dict[int, list[float]]] = {}
        rule_changes: dict[int, dict[str, object]] = {}
        scales: dict[int, dict[int, list[float]]] = {}
        delays: dict[int, dict[str, float]] = {}
        regimes: dict[int, dict[tuple[str, int], float]] = {}
        decay = model.decay_days
        for t, value in zip(self.targets, row.tolist(), strict=True):
            if t.kind == "rate":
                stream_changes.setdefault(t.index, {})["rate"] = value
            elif t.kind == "kernel":
                entries = kernels.setdefault(t.index, {})
                if t.key not in entries:
                    current = {k[0]: k for k in model.streams[t.index].kernels}
                    entries[int(t.key)] = list(current.get(int(t.key), t.nominal) or ())
                entries[int(t.key)][t.position] = value
            elif t.kind in ("probability", "hazard"):
                rule_changes.setdefault(t.index, {})[t.kind] = value
            elif t.kind == "regime":
                regimes.setdefault(t.index, {})[(str(t.key), t.position)] = value
            elif t.kind == "cooldown":
                rule_changes.setdefault(t.index, {})["cooldown"] = value
            elif t.kind == "delay":
                delays.setdefault(t.index, {})[str(t.key)] = value
            elif t.kind == "scale":
                actions = scales.setdefault(t.index, {})
                if t.key not in actions:
                    actions[int(t.key)] = list(model.rules[t.index].actions[int(t.key)].scale or ())
                actions[int(t.key)][t.position] = value
            else:
                decay = value
        changed = _rebuilt(model, stream_changes, rule_changes, kernels, scales, delays, decay)
        return _with_regimes(changed, regimes) if regimes else changed


def _rebuilt(
    model: CompiledModel,
    stream_changes: dict[int, dict[str, object]],
    rule_changes: dict[int, dict[str, object]],
    kernels: dict[int, dict[int, list[float]]],
    scales: dict[int, dict[int, list[float]]],
    delays: dict[int, dict[str, float]],
    decay: float | None,
) -> CompiledModel:
    """`model` with the collected changes: kernels and scale actions merged into
    their tuples, delay samplers rebuilt from the scenario's law with the new
    parameters, then one replace per touched stream or rule."""
    for i, entries in kernels.items():
        merged = {k[0]: k for k in model.streams[i].kernels}
        merged.update({s: (int(e[0]), float(e[1]), float(e[2])) for s, e in entries.items()})
        stream_changes.setdefault(i, {})["kernels"] = tuple(merged.values())
    for j, actions in scales.items():
        new = list(model.rules[j].actions)
        for a, e in actions.items():
            new[a] = _replace(new[a], scale=(int(e[0]), float(e[1]), float(e[2])))
        rule_changes.setdefault(j, {})["actions"] = tuple(new)
    for j, update in delays.items():
        law = list(model.scenario.rules.values())[j].delay
        assert law is not None
        rule_changes.setdefault(j, {})["delay"] = delay_sampler(law.model_copy(update=update))
    streams = list(model.streams)
    for i, changes in stream_changes.items():
        streams[i] = _replace(streams[i], **changes)
    rules = list(model.rules)
    for j, changes in rule_changes.items():
        rules[j] = _replace(rules[j], **changes)
    changed: CompiledModel = _replace(
        model, streams=tuple(streams), rules=tuple(rules), decay_days=decay
    )
    return changed


def simulate_drawn(
    model: CompiledModel, seed: int, reps: Sequence[int], reps_per_draw: int = 1
) -> tuple[list[Replication], np.ndarray]:
    """Replications `reps` with their drawn parameters, and the (n, parameters)
    values drawn. Replication r takes parameter draw r // reps_per_draw (1: a
    fresh draw per replication; more: the nested design, each draw shared by a
    block of replications)."""
    params = Parameters.of(model)
    values = params.draw(seed, [r // reps_per_draw for r in reps])
    replications = [
        simulate(params.apply(row), seed, rep) for row, rep in zip(values, reps, strict=True)
    ]
    return replications, values
