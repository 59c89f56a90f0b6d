"""The sweep file: what to vary, how to sample it, how many replications.

```yaml
base: ../scenarios/iraq_2024_israel_threat.yaml   # relative to this file
parameters:                                        # dotted paths of the base
  streams.drone_attack_israel.rate: {low: 0.05, high: 0.3, log: true}
  rules.israel_strikes_factions.probability: [0.01, 0.02, 0.05]
design: lhs            # grid | lhs | sobol
samples: 64            # lhs: points; sobol: base samples N (N*(D+2) points)
replications: 200      # per point, the same indices at every point
seed: 1
outcomes: [spillover]  # default: all of the base's outcomes
threshold: 0.5         # scenario discovery: where the headline exceeds this
```
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy.stats import qmc

from sim.errors import Problem, ScenarioError, describe
from sim.scenario.loader import _translate, display_name, load_scenario
from sim.scenario.overrides import with_overrides
from sim.scenario.schema import Scenario
from sim.scenario.yamlmap import Located, read_yaml

MIN_SOBOL_SAMPLES = 32


class Range(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    low: float
    high: float
    log: bool = False
    """Sample uniformly in log space (for rates and other scale parameters)."""
    levels: Annotated[int, Field(ge=2)] = 5
    """Grid design only: how many values from low to high."""


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str | None = None
    """Results folder name (default: the sweep file's stem)."""
    base: str
    parameters: Annotated[dict[str, Range | tuple[float, ...]], Field(min_length=1)]
    design: Literal["grid", "lhs", "sobol"]
    samples: Annotated[int, Field(ge=1)] | None = None
    replications: Annotated[int, Field(ge=1)] = 200
    seed: Annotated[int, Field(ge=0)] = 0
    outcomes: tuple[str, ...] | None = None
    threshold: Annotated[float, Field(gt=0, lt=1)] = 0.5


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
        return list(self.spec.parameters)

    @property
    def name(self) -> str:
        return self.spec.name or self.file.stem

    @property
    def outcomes(self) -> list[str]:
        return list(self.spec.outcomes or self.base.outcomes)

    def scenario_at(self, index: int) -> Scenario:
        changes = {p: float(v) for p, v in zip(self.paths, self.points[index], strict=True)}
        return with_overrides(self.base, changes)

    def fingerprint(self) -> dict[str, str]:
        """What a resumed sweep must still match: the spec and the base scenario."""
        from sim.writers.folder import scenario_sha256

        spec = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True)
        return {
            "spec": spec,
            "spec_sha256": hashlib.sha256(spec.encode()).hexdigest(),
            "base_sha256": scenario_sha256(self.base),
        }

    def salib_problem(self) -> dict[str, object]:
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
    doc = read_yaml(path, display)
    try:
        spec = SweepSpec.model_validate(doc.data)
    except ValidationError as exc:
        errors = _one_branch(exc.errors(), doc.data)
        raise ScenarioError(_translate_sweep(e, doc, display) for e in errors) from None
    problems = _check(spec, doc, display)
    base_file = (path.parent / spec.base).resolve()
    try:
        base = load_scenario(base_file)
    except ScenarioError as exc:
        raise ScenarioError(
            [
                Problem(
                    display,
                    doc.where("base", display)[1],
                    "base",
                    "a valid base scenario",
                    f"{len(exc.problems)} problem(s)",
                ),
                *exc.problems,
            ]
        ) from None
    for name in spec.outcomes or ():
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
    for p, r in spec.parameters.items():
        problems += _check_parameter(base, p, r, doc, display)
    if problems:
        raise ScenarioError(problems)
    sweep = Sweep(spec, base, path.resolve(), design_points(spec))
    problems = _check_points(sweep, doc, display)
    if problems:
        raise ScenarioError(problems)
    return sweep


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


def _one_branch(errors: list, data: object) -> list[dict]:
    """A parameter is a range (mapping) or a list of values: pydantic reports
    both union branches, tagged 'Range' and 'tuple[float, ...]' in the path.
    Keep only the branch the user wrote (one problem for a scalar), untagged."""
    given = data.get("parameters") if isinstance(data, dict) else None
    out = []
    for error in map(dict, errors):
        loc = tuple(error["loc"])
        tag = loc[2] if len(loc) >= 3 and loc[0] == "parameters" else None
        if tag == "Range" or (isinstance(tag, str) and tag.startswith("tuple[")):
            value = given.get(loc[1]) if isinstance(given, dict) else None
            if isinstance(value, (dict, list)):
                if isinstance(value, dict) != (tag == "Range"):
                    continue  # the other branch's complaint
            elif tag == "Range":
                continue
            else:
                error["type"] = "contract"
                error["ctx"] = {
                    "expected": "a range {low, high} or a list of values",
                    "found": describe(value),
                }
            error["loc"] = (*loc[:2], *loc[3:])
        out.append(error)
    return out


def _translate_sweep(error: dict, doc: Located, display: str) -> Problem:
    problem = _translate(error, doc, display)
    if problem.expected.startswith("one of: ") or "no such key" in problem.expected:
        keys = (
            ", ".join(SweepSpec.model_fields)
            if len(error["loc"]) == 1
            else "low, high, log, levels"
        )
        return Problem(problem.file, problem.line, problem.path, f"one of: {keys}", problem.found)
    return problem


def _check(spec: SweepSpec, doc: Located, display: str) -> list[Problem]:
    problems = []

    def add(path: str, expected: str, found: str) -> None:
        problems.append(Problem(display, doc.where(path, display)[1], path, expected, found))

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
    return problems


def _check_parameter(
    base: Scenario, path: str, r: Range | tuple[float, ...], doc: Located, display: str
) -> list[Problem]:
    """A sweep parameter must be a numeric value the base scenario accepts."""
    where = f"parameters.{path}"
    line = doc.where(where, display)[1]
    data = base.model_dump(by_alias=True)
    from sim.scenario.fields import parse_path

    value: object = data
    try:
        for key in parse_path(path):
            value = (
                value.get(key)
                if isinstance(value, dict)
                else (
                    value[key]
                    if isinstance(value, (list, tuple))
                    and isinstance(key, int)
                    and key < len(value)
                    else None
                )
            )
    except ValueError:
        value = None
    if value is None:
        return [
            Problem(display, line, where, "a dotted path of the base scenario", "no such parameter")
        ]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [
            Problem(
                display, line, where, "a numeric parameter", f"{type(value).__name__} {value!r}"
            )
        ]
    probes = [r.low, r.high] if isinstance(r, Range) else list(r)
    problems = []
    for probe in probes:
        try:
            with_overrides(base, {path: probe})
        except ScenarioError as exc:
            problems.append(
                Problem(
                    display,
                    line,
                    where,
                    f"values the scenario accepts ({exc.problems[0].expected})",
                    f"{probe:g}",
                )
            )
            break
    return problems
