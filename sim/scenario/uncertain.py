"""Uncertain parameters: a number in a scenario written as a distribution.

A rate, branching or probability is rarely known exactly; the analyst writes
what is believed (`rate: {dist: lognormal, median: 0.2, sigma: 0.4}`) and the
Monte Carlo run draws a fresh value per replication, so the predictive
probability carries the parameter uncertainty as well as the simulation
noise (docs/MODEL.md, Uncertain parameters; issue 10).

The laws themselves live in `distributions.py`; this module finds them in a
document and checks each against the parameter it replaces.

`extract_uncertain` runs on the raw document before schema validation: it
finds each number written as a distribution, checks it against the domain of
the parameter it replaces, and puts the median in its place so the schema
validates the nominal scenario.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import annotated_types
import numpy as np
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from sim.errors import Problem, ScenarioError, describe
from sim.scenario.distributions import (
    LAWS,
    UNUSABLE,
    Law,
    Samples,
    generator_key,
    short,
    unusable,
)

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

MAX_SAMPLES_BYTES = 200 * 1024 * 1024
"""A `samples:` file larger than this is refused (a posterior needs a few thousand rows)."""
UNCERTAIN_PATHS = (
    r"streams\.[^.\[]+\.rate",
    r"streams\.[^.\[]+\.self_excitation\.(branching|decay_days)",
    r"streams\.[^.\[]+\.excited_by\.[^.\[]+\.(branching|decay_days)",
    r"rules\.[^.\[]+\.(probability|cooldown_days)",
    r"rules\.[^.\[]+\.delay\.(days|mean|cv|median|sigma|low|high)",
    r"rules\.[^.\[]+\.then\[\d+\]\.scale\.(factor|days)",
    r"rules\.[^.\[]+\.hazard",
    r"regimes\.[^.\[]+\.onset\.(hazard|probability)",
    r"regimes\.[^.\[]+\.(onset\.delay|duration)\.(days|mean|cv|median|sigma|low|high)",
    r"regimes\.[^.\[]+\.(streams|rules)\.[^.\[]+\.factor",
    r"ladder_decay_days",
)
"""The parameters that may be uncertain: those the engine reads as plain numbers
per replication. Windows, horizons and condition thresholds shape the run's
layout or its logic and stay fixed."""
SUPPORTED_TEXT = (
    "a fixed number here (uncertain values are for stream rates, kernels' branching "
    "and decay_days, rule probabilities, hazards, cooldown_days, delay parameters, scale "
    "factors and days, regimes' hazards, probabilities, delay and duration parameters and "
    "factors, ladder_decay_days)"
)
OWN_BRANCHING = re.compile(r"streams\.([^.\[]+)\.self_excitation\.branching")


# --- the schema: which places hold numbers, and their domain -----------------


class Domain(typing.NamedTuple):
    """Where an uncertain value may lie: the range a scenario field accepts, so a
    distribution whose draws could leave it is refused before any run."""

    kind: Literal["number", "integer", "other"]
    lower: float = -math.inf
    lower_open: bool = False
    upper: float = math.inf
    upper_open: bool = False

    def text(self) -> str:
        """The interval in mathematical notation, e.g. `(0, 1]`, for error messages."""
        lo = "(" if self.lower_open else "["
        hi = ")" if self.upper_open or self.upper == math.inf else "]"
        low = "-inf" if self.lower == -math.inf else short(self.lower)
        high = "inf" if self.upper == math.inf else short(self.upper)
        return f"{lo}{low}, {high}{hi}"

    def holds(self, values: np.ndarray) -> bool:
        """Every value inside the domain (for a file's draws)."""
        ok = np.isfinite(values).all()
        ok &= bool((values > self.lower).all() if self.lower_open else (values >= self.lower).all())
        ok &= bool((values < self.upper).all() if self.upper_open else (values <= self.upper).all())
        return bool(ok)

    def covers(self, drawn: tuple[float, float]) -> bool:
        """The smallest and largest value a law can draw (`Law.attainable`) are
        finite and inside the domain, open ends excluded: a gamma with a large
        cv draws exactly 0.0 at the smallest uniform, which a delay's cv (> 0)
        must refuse, and an inverse CDF can overflow to inf."""
        low, high = drawn
        if not (math.isfinite(low) and math.isfinite(high)):
            return False
        above = low > self.lower if self.lower_open else low >= self.lower
        below = high < self.upper if self.upper_open else high <= self.upper
        return above and below


def _alternatives(
    annotation: Any, metadata: tuple[Any, ...] = ()
) -> list[tuple[Any, tuple[Any, ...]]]:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *extra = typing.get_args(annotation)
        return _alternatives(base, (*metadata, *extra))
    if origin is typing.Union or origin is types.UnionType:
        return [
            alt
            for arg in typing.get_args(annotation)
            if arg is not type(None)
            for alt in _alternatives(arg, metadata)
        ]
    return [(annotation, metadata)]


def _step(
    alternatives: list[tuple[Any, tuple[Any, ...]]], key: str | int
) -> list[tuple[Any, tuple[Any, ...]]]:
    found: list[tuple[Any, tuple[Any, ...]]] = []
    for annotation, _ in alternatives:
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, field in annotation.model_fields.items():
                if (field.alias or name) == key:
                    found += _alternatives(field.annotation, tuple(field.metadata))
        elif origin is dict and isinstance(key, str):
            found += _alternatives(typing.get_args(annotation)[1])
        elif origin in (tuple, list) and isinstance(key, int):
            found += _alternatives(typing.get_args(annotation)[0])
    return found


def _bounds(metadata: tuple[Any, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            out.update(_bounds(tuple(item.metadata)))
        for name in ("ge", "gt", "le", "lt"):
            if isinstance(item, getattr(annotated_types, name.capitalize())):
                out[name] = float(getattr(item, name))
    return out


def domain_at(schema: type[BaseModel], loc: list[str | int]) -> Domain:
    """What the schema expects at `loc`: a number (with its bounds), a whole
    number, or something else (a mapping such as a delay law)."""
    return _domain_at(schema, tuple(loc))


@functools.lru_cache(maxsize=4096)
def _domain_at(schema: type[BaseModel], loc: tuple[str | int, ...]) -> Domain:
    """`domain_at`, remembered: the schema never changes, and calibration and
    sweeps re-check the same paths for every candidate scenario."""
    alternatives = _alternatives(schema)
    for key in loc:
        alternatives = _step(alternatives, key)
    if any(isinstance(a, type) and issubclass(a, BaseModel) for a, _ in alternatives):
        return Domain("other")
    for annotation, metadata in alternatives:
        if annotation is float:
            b = _bounds(metadata)
            return Domain(
                "number",
                b.get("ge", b.get("gt", -math.inf)),
                "gt" in b,
                b.get("le", b.get("lt", math.inf)),
                "lt" in b,
            )
    if any(a is int for a, _ in alternatives):
        return Domain("integer")
    return Domain("other")


# --- the raw document: find, check and replace distributions ------------------

Where = Callable[[str, str], tuple[str, int | None]]


def _is_distribution(value: Any) -> bool:
    return isinstance(value, dict) and ("dist" in value or "samples" in value)


def _join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def _parse(
    path: str, raw: dict[str, Any], locate: Callable[[str], tuple[str, int | None]]
) -> tuple[Law | None, list[Problem]]:
    """The distribution written at `path`, or its problems."""
    name = "samples" if "samples" in raw else raw.get("dist")
    law: type[Law] | None = Samples if name == "samples" else LAWS.get(str(name))
    if law is None:
        file, line = locate(f"{path}.dist")
        return None, [
            Problem(
                file,
                line,
                f"{path}.dist",
                "a number, or a distribution: one of " + ", ".join(LAWS) + ", or samples: FILE",
                describe(name),
            )
        ]
    try:
        return law.model_validate(raw), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _join(path, error["loc"][0]) if error["loc"] else path
            file, line = locate(where)
            kind, ctx = error["type"], error.get("ctx") or {}
            if kind in ("contract", "refused"):
                expected, found = ctx["expected"], ctx["found"]
            elif kind == "missing":
                expected, found = f"a value ({name} needs {_needs(law)})", "nothing"
            elif kind == "extra_forbidden":
                expected = f"one of: {_needs(law)}"
                found = f"unknown key '{error['loc'][-1]}'"
            elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
                sign = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(
                    kind, "<="
                )
                bound = next(iter(ctx.values()))
                expected, found = f"a number {sign} {bound}", describe(error.get("input"))
            elif kind == "finite_number":
                expected, found = "a finite number", describe(error.get("input"))
            else:
                expected, found = (
                    "a number" if law is not Samples else "text",
                    describe(error.get("input")),
                )
            problems.append(Problem(file, line, where, expected, found))
        return None, problems


def _unusable(
    path: str, dist: Law, locate: Callable[[str], tuple[str, int | None]]
) -> list[Problem]:
    """The law's problem if float64 cannot evaluate it (`distributions.unusable`),
    checked before its median replaces the number or its range is compared."""
    found = unusable(dist)
    return [] if found is None else [Problem(*locate(path), path, UNUSABLE, found)]


def _needs(law: type[Law]) -> str:
    return ", ".join(
        field.alias or name for name, field in law.model_fields.items() if name != "dist"
    )


def _read_samples(
    dist: Samples,
    path: str,
    locate: Callable[[str], tuple[str, int | None]],
    folder: Path,
    cache: dict[Path, tuple[Any, str] | Problem],
) -> list[Problem]:
    """Attach the column's values from the file, or say what is wrong with it."""
    file_path = (folder / dist.samples).resolve()
    file, line = locate(f"{path}.samples")
    if file_path not in cache:
        cache[file_path] = _load_table(file_path, file, line, f"{path}.samples", dist.samples)
    loaded = cache[file_path]
    if isinstance(loaded, Problem):
        return [loaded]
    table, digest = loaded
    if dist.column not in table.columns:
        shown = ", ".join(map(str, list(table.columns)[:12]))
        return [
            Problem(
                *locate(f"{path}.column"),
                f"{path}.column",
                f"a column of {dist.samples} (one of: {shown})",
                repr(dist.column),
            )
        ]
    import pandas as pd

    values = pd.to_numeric(table[dist.column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        return [
            Problem(
                *locate(f"{path}.column"),
                f"{path}.column",
                f"finite numbers in column {dist.column!r} of {dist.samples}",
                f"{bad.size} non-finite or non-numeric value(s), first in data row {bad[0] + 1}",
            )
        ]
    dist.attach(values, digest)
    return []


def _load_table(
    file_path: Path, file: str, line: int | None, path: str, written: str
) -> tuple[Any, str] | Problem:
    import pandas as pd

    def problem(expected: str, found: str) -> Problem:
        return Problem(file, line, path, expected, found)

    if not file_path.is_file():
        return problem("an existing CSV or Parquet file of draws", f"no file {written!r}")
    size = file_path.stat().st_size
    if size > MAX_SAMPLES_BYTES:
        return problem(
            f"a file of draws under {MAX_SAMPLES_BYTES // 2**20} MiB", f"{size / 2**20:.0f} MiB"
        )
    raw = file_path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        if file_path.suffix.lower() in (".parquet", ".pq"):
            table = pd.read_parquet(file_path)
        else:
            table = pd.read_csv(file_path, encoding="utf-8")
    except pd.errors.EmptyDataError:
        return problem("a file of draws with a header row", "an empty file")
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        reason = str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
        return problem("a readable CSV or Parquet file of draws", f"unreadable: {reason}")
    if len(table) == 0:
        return problem("a file of draws with at least one row", "no rows")
    return table, digest


def check_distribution(
    path: str,
    dist: Law,
    data: Mapping[str, Any],
    schema: type[BaseModel],
    locate: Callable[[str], tuple[str, int | None]],
) -> list[Problem]:
    """Is `dist` allowed at `path` of the (nominal) document `data`?"""
    found = _verdict(path, dist, schema)
    if found is None:
        own = OWN_BRANCHING.fullmatch(path)
        if own and dist.support()[1] >= 1:
            stream = (data.get("streams") or {}).get(own.group(1)) or {}
            if stream.get("max_events") is None:
                found = (
                    "an own branching distribution below 1 (or 'max_events' to cap "
                    "an explosive stream)",
                    f"support reaching {short(dist.support()[1])}",
                )
    if found is None:
        return []
    file, line = locate(path)
    return [Problem(file, line, path, *found)]


def _verdict(path: str, dist: Law, schema: type[BaseModel]) -> tuple[str, str] | None:
    """What is wrong with law `dist` at `path` of `schema` whatever the rest of
    the document says, as (expected, found), or None. Remembered per (path,
    law): a calibration re-checks the same laws for every candidate, and this
    was a third of re-validating one. A `samples:` law is keyed by its file
    name, not its content, so it is worked out every time."""
    if isinstance(dist, Samples):
        return _law_verdict(path, dist, schema)
    return _remembered_verdict(path, dist, schema)


def _law_verdict(path: str, dist: Law, schema: type[BaseModel]) -> tuple[str, str] | None:
    from sim.scenario.fields import parse_path

    domain = domain_at(schema, parse_path(path))
    if domain.kind == "integer":
        return "a whole number (it cannot be uncertain)", "a distribution"
    if domain.kind != "number":
        return "a place that holds a number", "a distribution"
    if not any(re.fullmatch(pattern, path) for pattern in UNCERTAIN_PATHS):
        return SUPPORTED_TEXT, "a distribution"
    broken = unusable(dist)
    if broken is not None:
        return UNUSABLE, broken
    drawn = dist.attainable()
    inside = domain.holds(dist.values) if isinstance(dist, Samples) else domain.covers(drawn)
    if not inside:
        return (
            f"a distribution inside {domain.text()} (the parameter's range)",
            f"draws from {short(drawn[0])} to {short(drawn[1])}",
        )
    return None


_remembered_verdict = functools.lru_cache(maxsize=4096)(_law_verdict)


def _check_pairs(
    found: Mapping[str, Law],
    data: Mapping[str, Any],
    locate: Callable[[str], tuple[str, int | None]],
) -> list[Problem]:
    """A uniform delay needs low < high in every draw, not just at the medians."""
    from sim.scenario.fields import parse_path

    problems = []
    for path in found:
        if not path.endswith((".delay.low", ".delay.high", ".duration.low", ".duration.high")):
            continue
        base = path.rsplit(".", 1)[0]
        if path.endswith(".high") and f"{base}.low" in found:
            continue  # the pair is checked once, from low

        def span(name: str, base: str = base) -> tuple[float, float]:
            dist = found.get(f"{base}.{name}")
            if dist is not None:
                return dist.support()
            value: Any = data
            for key in parse_path(f"{base}.{name}"):
                value = value.get(key) if isinstance(value, dict) else None
            number = float(value) if isinstance(value, (int, float)) else math.nan
            return number, number

        if span("low")[1] >= span("high")[0]:
            problems.append(
                Problem(
                    *locate(path),
                    path,
                    "delay low below high in every draw (low's support below high's)",
                    f"low up to {short(span('low')[1])}, high from {short(span('high')[0])}",
                )
            )
    return problems


def _tree_copy(value: Any) -> Any:
    """A copy of a document's mappings and lists (leaves are immutable scalars,
    strings and dates, shared): what `extract_uncertain` may overwrite, at a
    fifth of `copy.deepcopy`'s cost, which calibration paid per candidate."""
    if isinstance(value, dict):
        return {key: _tree_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tree_copy(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_tree_copy(item) for item in value)
    return value


def extract_uncertain(
    data: Mapping[str, Any],
    schema: type[BaseModel],
    *,
    where: Where | None = None,
    display: str = "scenario",
    folder: Path | None = None,
) -> tuple[dict[str, Any], dict[str, Law]]:
    """Find every number written as a distribution in a raw document.

    Args:
        data: the document as read (after `extends`), not yet validated.
        schema: the model it will be validated against (`Scenario`).
        where: `Located.where`, to give each problem its file and line.
        display: the file name used when a path has no line.
        folder: where `samples:` files of a document without a file are found
            (a path written in a file is relative to that file).

    Returns:
        A copy of `data` with each distribution replaced by its median (so the
        schema validates the nominal scenario), and the distributions by
        dotted path, in document order.

    Raises:
        ScenarioError: every problem found, each located.
    """

    def locate(path: str) -> tuple[str, int | None]:
        return where(path, display) if where is not None else (display, None)

    out = _tree_copy(dict(data))
    found: dict[str, Law] = {}
    problems: list[Problem] = []
    cache: dict[Path, tuple[Any, str] | Problem] = {}
    if "uncertain" in out:
        problems.append(
            Problem(
                *locate("uncertain"),
                "uncertain",
                "distributions written in place of numbers (e.g. rate: {dist: ...})",
                "a top-level 'uncertain' key",
            )
        )

    def visit(node: Any, loc: list[str | int], path: str) -> None:
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for key, value in items:
            child_loc, child = [*loc, key], _join(path, key)
            if _is_distribution(value) and domain_at(schema, child_loc).kind != "other":
                dist, errors = _parse(child, value, locate)
                if dist is not None and isinstance(dist, Samples):
                    file = locate(child)[0]
                    base = Path(file).parent if Path(file).is_file() else (folder or Path.cwd())
                    errors += _read_samples(dist, child, locate, base, cache)
                if dist is not None and not errors:
                    errors += _unusable(child, dist, locate)
                problems.extend(errors)
                if dist is not None and not errors:
                    found[child] = dist
                    node[key] = dist.median()
            elif isinstance(value, (dict, list)):
                visit(value, child_loc, child)

    visit(out, [], "")
    for path, dist in found.items():
        problems.extend(check_distribution(path, dist, out, schema, locate))
    problems.extend(_check_pairs(found, out, locate))
    if problems:
        raise ScenarioError(problems)
    return out, found


def with_uncertain(scenario: Scenario, distributions: Mapping[str, Law]) -> Scenario:
    """A copy of `scenario` whose parameters at these paths are uncertain.

    Each distribution is checked against its parameter as in a file (its
    current value becomes the nominal one, left as it is).

    Raises:
        ScenarioError: a distribution the parameter cannot take.
    """
    data = scenario.model_dump(by_alias=True)
    label = str(scenario.origin) if scenario.origin else scenario.name
    problems = [
        p
        for path, dist in distributions.items()
        for p in check_distribution(path, dist, data, type(scenario), lambda _: (label, None))
    ]
    problems += _check_pairs(distributions, data, lambda _: (label, None))
    if problems:
        raise ScenarioError(problems)
    return scenario.model_copy(update={"uncertain": dict(distributions)})


def uncertain_lines(scenario: Scenario) -> list[str]:
    """What `escsim validate` prints about uncertain parameters, one per line."""
    if not scenario.uncertain:
        return ["uncertain parameters: none (every parameter fixed)"]
    lines = [f"uncertain parameters: {len(scenario.uncertain)}"]
    lines += [f"  {path}: {dist.describe()}" for path, dist in scenario.uncertain.items()]
    return lines


def uncertain_manifest(scenario: Scenario) -> list[dict[str, Any]]:
    """The draws' manifest: each uncertain parameter, its law and generator key."""
    return [
        {
            "path": path,
            "distribution": dist.spec(),
            "median": dist.median(),
            "mean": dist.mean(),
            "support": list(dist.support()),
            "generator_key": generator_key(path, dist),
        }
        for path, dist in scenario.uncertain.items()
    ]


def document_with_uncertain(scenario: Scenario) -> dict[str, Any]:
    """The resolved scenario as a document (JSON types) with each uncertain
    parameter written as its distribution again, so it reloads as it ran."""
    from sim.scenario.fields import parse_path

    data = scenario.model_dump(mode="json", by_alias=True)
    for path, dist in scenario.uncertain.items():
        loc = parse_path(path)
        parent: Any = data
        for key in loc[:-1]:
            parent = parent[key]
        spec = dist.spec()
        if isinstance(dist, Samples):
            spec = {"samples": dist.samples, "column": dist.column}
        parent[loc[-1]] = spec
    return data
