"""The sweep file: what to vary, how to sample it, how many replications.

```yaml
base: ../scenarios/iraq_2024_israel_threat.yaml   # relative to this file
parameters:                                        # dotted paths of the base
  streams.drone_attack_israel.rate: {low: 0.05, high: 0.3, log: true}
  rules.israel_strikes_factions.hazard: [0.01, 0.03, 0.09]
design: lhs            # grid | lhs | sobol
samples: 64            # lhs: points; sobol: base samples N (N*(D+2) points)
replications: 200      # per point, the same indices at every point
seed: 1
outcomes: [spillover]  # default: all of the base's outcomes
threshold: 0.5         # scenario discovery: where the headline exceeds this
```

A design has at most `MAX_POINTS` points and `MAX_REPLICATIONS` replications
a point (checked before any point is made), so a typo cannot start a run
that never ends.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, StringConstraints, ValidationError

from sim.errors import Problem, ScenarioError, UsageError
from sim.scenario.base import NAME_PATTERN, NUMBER, PATTERN_WORDS, WHOLE, StrictModel
from sim.scenario.fields import MISSING, get_path, parse_path
from sim.scenario.files import CitedAt, display_name
from sim.scenario.loader import load_scenario
from sim.scenario.overrides import with_overrides
from sim.scenario.problems import problems_from, unique
from sim.scenario.schema import Scenario
from sim.scenario.workload import MAX_EVENTS_PER_REPLICATION, MAX_EVENTS_PER_RUN, expected_events
from sim.scenario.yamlmap import Located, read_yaml

MIN_SOBOL_SAMPLES = 32
MAX_POINTS = 100_000
"""Most points in a design (a sweep of 100,000 points at 200 replications is
already days of work)."""
MAX_REPLICATIONS = 1_000_000
"""Most replications a point."""

Finite = Annotated[float, NUMBER, Field(allow_inf_nan=False)]


class Range(StrictModel):
    """A continuous parameter range [low, high] for one scenario path; with `log`
    the design is uniform in log space, so a rate spanning decades is not
    crowded at its top."""

    low: Finite
    high: Finite
    log: bool = False
    """Sample uniformly in log space (for rates and other scale parameters)."""
    levels: Annotated[int, WHOLE, Field(ge=2, le=MAX_POINTS)] = 5
    """Grid design only: how many values from low to high."""


class SweepSpec(StrictModel):
    """A sweep file as written: the base scenario, the parameters varied (ranges
    or explicit value lists), the design (grid, Latin hypercube or Sobol' /
    Saltelli) and the replications per point."""

    name: Annotated[str, StringConstraints(pattern=NAME_PATTERN)] | None = None
    """Results folder name (default: the sweep file's stem)."""
    base: str
    parameters: Annotated[dict[str, Range | tuple[Finite, ...]], Field(min_length=1)]
    design: Literal["grid", "lhs", "sobol"]
    samples: Annotated[int, WHOLE, Field(ge=1, le=MAX_POINTS)] | None = None
    replications: Annotated[int, WHOLE, Field(ge=1, le=MAX_REPLICATIONS)] = 200
    seed: Annotated[int, WHOLE, Field(ge=0, lt=2**63)] = 0
    outcomes: tuple[str, ...] | None = None
    threshold: Annotated[float, NUMBER, Field(gt=0, lt=1)] = 0.5


SWEEP_KEYS = frozenset(SweepSpec.model_fields)
ONE_OR_MANY = "a range {low, high} or a list of values"


class Sweep:
    """A validated sweep: its spec, base scenario and design points."""

    def __init__(self, spec: SweepSpec, base: Scenario, file: Path, points: np.ndarray):
        self.spec = spec
        self.base = base
        self.file = file
        self.points = points
        """(n, parameters) values, in design order; the point index is the row."""

    @property
    def paths(self) -> list[str]:
        """The varied scenario paths, in the file's order: the column order of `points`."""
        return list(self.spec.parameters)

    @property
    def name(self) -> str:
        """The results folder name: the spec's `name`, else the sweep file's stem."""
        return self.spec.name or self.file.stem

    @property
    def outcomes(self) -> list[str]:
        """The outcomes to report: those the sweep names, else all of the base scenario's."""
        return list(self.spec.outcomes or self.base.outcomes)

    def scenario_at(self, index: int) -> Scenario:
        """The base scenario with design point `index`'s values applied as overrides,
        so each point is validated and fingerprinted like a user's own override."""
        changes = {p: float(v) for p, v in zip(self.paths, self.points[index], strict=True)}
        return with_overrides(self.base, changes)

    def check_workload(self, allow_large: bool = False) -> float:
        """Refuse a sweep with a runaway point or too much work in all.

        Every point's expected events per replication is estimated
        (`sim.scenario.workload`, about 3 ms a point with its scenario).

        Returns:
            The estimated events of the whole sweep.

        Raises:
            UsageError: a point past `MAX_EVENTS_PER_REPLICATION`, or the
                sweep past `MAX_EVENTS_PER_RUN`, unless `allow_large`.
        """
        per_point = np.array(
            [expected_events(self.scenario_at(i)) for i in range(len(self.points))]
        )
        total = float(per_point.sum()) * self.spec.replications
        if allow_large or not len(per_point):
            return total
        worst = int(np.argmax(per_point))
        values = ", ".join(
            f"{p}={v:g}" for p, v in zip(self.paths, self.points[worst], strict=True)
        )
        where = self.file.name
        if not per_point[worst] <= MAX_EVENTS_PER_REPLICATION:
            raise UsageError(
                f"{where}: expected at most {MAX_EVENTS_PER_REPLICATION:,} events per "
                f"replication at every point, found an estimated {per_point[worst]:.3g} at "
                f"point {worst} ({values}); narrow the ranges, or pass --allow-large to run "
                "it anyway"
            )
        if total > MAX_EVENTS_PER_RUN:
            raise UsageError(
                f"{where}: expected at most {MAX_EVENTS_PER_RUN:,} events in the whole sweep, "
                f"found an estimated {total:.3g} ({len(per_point):,} points x "
                f"{self.spec.replications:,} replications); use fewer points or replications, "
                "or pass --allow-large to run it anyway"
            )
        return total

    def fingerprint(self) -> dict[str, str]:
        """What a resumed sweep must still match: the spec and the base scenario."""
        from sim.scenario.fingerprint import scenario_sha256

        spec = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True)
        return {
            "spec": spec,
            "spec_sha256": hashlib.sha256(spec.encode()).hexdigest(),
            "base_sha256": scenario_sha256(self.base),
        }

    def salib_problem(self) -> dict[str, object]:
        """The SALib problem dict (ranges only, in log space where `log` is set), so
        Sobol' indices are computed on the same scale the points were drawn on."""
        ranges = [self.spec.parameters[p] for p in self.paths]
        return {
            "num_vars": len(ranges),
            "names": self.paths,
            "bounds": [
                [_scaled(r, r.low), _scaled(r, r.high)] for r in ranges if isinstance(r, Range)
            ],
        }


def _scaled(r: Range, value: float) -> float:
    return math.log(value) if r.log else value


def _unscale(r: Range, value: np.ndarray) -> np.ndarray:
    return np.exp(value) if r.log else value


def design_points(spec: SweepSpec) -> np.ndarray:
    """The design's points, (n, parameters), reproducible from the spec's seed:
    a full factorial grid, a Latin hypercube, or Saltelli's Sobol' sample
    (first-order indices only, as `calc_second_order=False`)."""
    paths = list(spec.parameters)
    ranges = [spec.parameters[p] for p in paths]
    if spec.design == "grid":
        axes = [
            np.array(r)
            if isinstance(r, tuple)
            else _unscale(r, np.linspace(_scaled(r, r.low), _scaled(r, r.high), r.levels))
            for r in ranges
        ]
        return np.array(list(itertools.product(*axes)), dtype=float)
    if spec.design == "lhs":
        from scipy.stats import qmc  # half a second to import: only where it is used

        unit = qmc.LatinHypercube(d=len(paths), seed=spec.seed).random(n=spec.samples or 0)
        columns = []
        for j, r in enumerate(ranges):
            if isinstance(r, tuple):
                pick = np.minimum((unit[:, j] * len(r)).astype(int), len(r) - 1)
                columns.append(np.array(r)[pick])
            else:
                lo, hi = _scaled(r, r.low), _scaled(r, r.high)
                columns.append(_unscale(r, lo + unit[:, j] * (hi - lo)))
        return np.column_stack(columns)
    from SALib.sample import sobol

    problem = {
        "num_vars": len(paths),
        "names": paths,
        "bounds": [[_scaled(r, r.low), _scaled(r, r.high)] for r in ranges if isinstance(r, Range)],
    }
    raw = sobol.sample(problem, spec.samples or 0, calc_second_order=False, seed=spec.seed)
    return np.column_stack(
        [_unscale(r, raw[:, j]) for j, r in enumerate(ranges) if isinstance(r, Range)]
    )


def load_sweep(path: Path) -> Sweep:
    """Read and check a sweep file; every problem at once, before any run."""
    display = display_name(path)
    doc = read_yaml(path, display, "sweep", SWEEP_KEYS)
    problems = list(doc.problems)
    spec: SweepSpec | None = None
    try:
        spec = SweepSpec.model_validate(doc.data)
    except ValidationError as exc:
        problems += problems_from(exc, doc, display, SweepSpec, ONE_OR_MANY)
    if spec is not None:
        problems += _check(spec, doc, display)
        if spec.name is None and not re.fullmatch(NAME_PATTERN, path.stem):
            problems.append(
                Problem(
                    display,
                    None,
                    "name",
                    "a 'name:' (the file's name is no folder name: "
                    + PATTERN_WORDS[NAME_PATTERN]
                    + ")",
                    repr(path.stem),
                )
            )
    base = _load_base(path, doc, display, problems)
    if base is not None:
        problems += _check_against_base(base, spec, doc, display)
    if problems or spec is None or base is None:
        raise ScenarioError(unique(problems))
    sweep = Sweep(spec, base, path.resolve(), design_points(spec))
    problems = _check_points(sweep, doc, display)
    if problems:
        raise ScenarioError(problems)
    return sweep


def _load_base(path: Path, doc: Located, display: str, problems: list[Problem]) -> Scenario | None:
    """The base scenario, or None with its problems added."""
    ref = doc.data.get("base")
    if not isinstance(ref, str) or not ref.strip():
        return None  # the schema's problem
    line = doc.where("base", display)[1]
    try:
        return load_scenario((path.parent / ref).resolve(), cited=CitedAt(display, line, "base"))
    except ScenarioError as exc:
        if not (len(exc.problems) == 1 and exc.problems[0].file == display):
            problems.append(
                Problem(
                    display,
                    line,
                    "base",
                    "a valid base scenario",
                    f"{len(exc.problems)} problem(s)",
                )
            )
        problems.extend(exc.problems)
        return None


def _check_against_base(
    base: Scenario, spec: SweepSpec | None, doc: Located, display: str
) -> list[Problem]:
    """Outcomes and parameters must name what the base has (read as written
    when the spec itself has problems, so they are reported together)."""
    problems = []
    outcomes = spec.outcomes if spec is not None else doc.data.get("outcomes")
    for name in outcomes if isinstance(outcomes, (list, tuple)) else ():
        if name not in base.outcomes:
            problems.append(
                Problem(
                    display,
                    doc.where("outcomes", display)[1],
                    "outcomes",
                    f"an outcome of the base (one of: {', '.join(base.outcomes)})",
                    repr(name),
                )
            )
    if spec is not None:
        for p, r in spec.parameters.items():
            problems += _check_parameter(base, p, r, doc, display)
    elif isinstance(doc.data.get("parameters"), dict):
        for p in doc.data["parameters"]:
            problems += _check_parameter(base, str(p), None, doc, display)
    return problems


def _check_points(sweep: Sweep, doc: Located, display: str, most: int = 5) -> list[Problem]:
    """Every design point must make a valid scenario: values that are each fine
    alone can clash together (a uniform delay's low above its high). Checked
    before anything runs (about a millisecond a point)."""
    problems = []
    for index in range(len(sweep.points)):
        try:
            sweep.scenario_at(index)
        except ScenarioError as exc:
            values = ", ".join(
                f"{p}={v:g}" for p, v in zip(sweep.paths, sweep.points[index], strict=True)
            )
            first = exc.problems[0]
            problems.append(
                Problem(
                    display,
                    doc.where("parameters", display)[1],
                    "parameters",
                    f"values that make a valid scenario at every point "
                    f"({first.path}: {first.expected})",
                    f"point {index} ({values}): {first.found}",
                )
            )
            if len(problems) >= most:
                break
    return problems


def _check(spec: SweepSpec, doc: Located, display: str) -> list[Problem]:
    problems = []

    def add(path: str, expected: str, found: str) -> None:
        problems.append(Problem(display, doc.where(path, display)[1], path, expected, found))

    _check_values(spec, add)
    _check_samples(spec, add)
    points = design_size(spec)
    if points > MAX_POINTS:
        where = "parameters" if spec.design == "grid" else "samples"
        add(where, f"a design of at most {MAX_POINTS:,} points", f"{points:,} points")
    return problems


def _check_values(spec: SweepSpec, add: Callable[[str, str, str], None]) -> None:
    """Each parameter's range or value list, reported through `add`."""
    for p, r in spec.parameters.items():
        where = f"parameters.{p}"
        if isinstance(r, Range):
            if r.low >= r.high:
                add(where, "low < high", f"low {r.low:g}, high {r.high:g}")
            if r.log and r.low <= 0:
                add(f"{where}.low", "low > 0 with log: true", f"{r.low:g}")
        elif not r:
            add(where, "at least one value", "an empty list")
        elif spec.design == "sobol":
            add(where, "a range {low, high} (Sobol indices need continuous inputs)", "a list")


def _check_samples(spec: SweepSpec, add: Callable[[str, str, str], None]) -> None:
    """`samples` against the design: required by lhs and sobol, refused by grid."""
    if spec.design in ("lhs", "sobol") and spec.samples is None:
        add("samples", f"a number of samples for the {spec.design} design", "nothing")
    if spec.design == "sobol" and spec.samples is not None:
        if spec.samples < MIN_SOBOL_SAMPLES or spec.samples & (spec.samples - 1):
            add(
                "samples",
                f"a power of two >= {MIN_SOBOL_SAMPLES} base samples for Sobol "
                "indices (N*(D+2) points are run)",
                str(spec.samples),
            )
        if len(spec.parameters) < 2:
            add("parameters", "at least two parameters for Sobol indices", "one")
    if spec.design == "grid" and spec.samples is not None:
        add(
            "samples", "no samples for a grid (its size follows from the values)", str(spec.samples)
        )


def design_size(spec: SweepSpec) -> int:
    """How many points a design has, without making them."""
    if spec.design == "grid":
        return math.prod(
            r.levels if isinstance(r, Range) else len(r) for r in spec.parameters.values()
        )
    if spec.design == "lhs":
        return spec.samples or 0
    return (spec.samples or 0) * (len(spec.parameters) + 2)


def _check_parameter(
    base: Scenario, path: str, r: Range | tuple[float, ...] | None, doc: Located, display: str
) -> list[Problem]:
    """A sweep parameter must be a numeric value the base scenario accepts
    (`r` None: only the path is checked)."""
    where = f"parameters.{path}"
    line = doc.where(where, display)[1]
    try:
        value = get_path(base.model_dump(by_alias=True), parse_path(path))
    except ValueError:
        value = MISSING
    if value is MISSING or value is None:
        return [
            Problem(display, line, where, "a dotted path of the base scenario", "no such parameter")
        ]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [
            Problem(
                display, line, where, "a numeric parameter", f"{type(value).__name__} {value!r}"
            )
        ]
    if r is None:
        return []
    probes = [r.low, r.high] if isinstance(r, Range) else list(r)
    for probe in probes:
        try:
            with_overrides(base, {path: probe})
        except ScenarioError as exc:
            return [
                Problem(
                    display,
                    line,
                    where,
                    f"values the scenario accepts ({exc.problems[0].expected})",
                    f"{probe:g}",
                )
            ]
    return []
