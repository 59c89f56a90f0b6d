"""The laws an uncertain number may follow, each a strict frozen model.

Each has its support, median and mean and a map from a uniform `u` in (0, 1)
to a draw by its inverse CDF (for `samples:`, the row floor(u * rows) of the
file). Draws are thus defined by formula from uniforms, so any engine (or a
Saltelli design's quantiles) reproduces them exactly. Parameterisations are
the ones an analyst reads off a document: a median and a spread factor, a
mean and a coefficient of variation, a mean and a standard deviation, a
range, or low / most likely / high (issue 10).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag, model_validator
from pydantic_core import PydanticCustomError

from sim.scenario.base import NUMBER

# NUMBER: true and false are refused, not read as 1 and 0.
PositiveNumber = Annotated[float, Field(gt=0, allow_inf_nan=False), NUMBER]
Number = Annotated[float, Field(allow_inf_nan=False), NUMBER]
U_MIN = 2.0**-54
"""Uniforms are shifted by half a step of 2^-53 so they lie strictly inside (0, 1)."""
U_MAX = 1.0 - 2.0**-53
"""The largest uniform drawn: the shifted top step, 1 - 2^-54, rounds to 1.0 in
float64 (an infinite lognormal draw), so it is capped one step below 1."""


def _scaled(standard: np.ndarray, scale: float, loc: float) -> np.ndarray:
    """`standard * scale + loc`: how scipy.stats' `ppf` maps a standard law's
    quantiles, in the same operations, so the draws keep scipy's bits. The laws
    call scipy.special directly because scipy.stats' argument checking cost
    ~0.3 ms a call, more than the draws of a 200-replication chunk
    (tests/scenario/test_distributions.py checks the bits against scipy.stats)."""
    return np.asarray(np.asarray(standard, dtype=float) * scale + loc, dtype=float)


def _beta_ppf(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """The standard beta's inverse CDF: the Boost routine scipy.stats.beta uses
    (scipy.special.betaincinv is another Boost entry that returns nan deep in
    a tail where this one does not)."""
    from scipy.special import _ufuncs

    boost = getattr(_ufuncs, "_beta_ppf", None)  # scipy >= 1.12; before, only via stats
    if boost is None:
        from scipy import stats

        return np.asarray(stats.beta.ppf(u, a, b), dtype=float)
    return np.asarray(boost(u, a, b), dtype=float)


def _contract(expected: str, found: str) -> PydanticCustomError:
    return PydanticCustomError(
        "contract", "expected {expected}, found {found}", {"expected": expected, "found": found}
    )


def short(x: float) -> str:
    """A number to 4 significant digits, so messages and `describe` lines stay short."""
    return f"{x:.4g}"


class Law(BaseModel):
    """What every uncertain value offers: support, median, mean, and draws by inverse CDF."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def support(self) -> tuple[float, float]:
        """The interval (lower, upper) the draws fall in (open at finite ends
        for continuous laws: draws come from u strictly inside (0, 1))."""
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The draws for uniforms `u` in (0, 1): the inverse CDF."""
        raise NotImplementedError

    def attainable(self) -> tuple[float, float]:
        """The smallest and largest value a replication can draw: the inverse CDF
        at the extreme uniforms U_MIN and U_MAX. A parameter's range is checked
        against this, not the open support: a lognormal decay, whose support
        starts at 0, still never draws below the engine's 1e-6-day floor
        unless its median and sigma put draws there."""
        return _attainable(self)

    def mean(self) -> float:
        """The expected value, closed form where the law has one; reports and
        sensitivity tables show it next to the median to expose skew."""
        raise NotImplementedError

    def median(self) -> float:
        """The value at u = 0.5, via `ppf`, so every law's median is the same draw
        rule as its samples; laws with a closed form override it."""
        return float(self.ppf(np.array([0.5]))[0])

    def spec(self) -> dict[str, Any]:
        """The distribution as written (for manifests and the resolved scenario)."""
        return self.model_dump(mode="json")

    def describe(self) -> str:
        """One line: the law, its median, its 90% range."""
        lo, hi = self.ppf(np.array([0.05, 0.95]))
        args = ", ".join(f"{k} {v}" for k, v in self.spec().items() if k != "dist")
        name = self.spec().get("dist", "samples")
        return (
            f"{name}({args}): median {short(self.median())}, mean {short(self.mean())}, "
            f"90% range {short(lo)} to {short(hi)}"
        )


@functools.lru_cache(maxsize=4096)
def _attainable(law: Law) -> tuple[float, float]:
    """`Law.attainable`, remembered per law: calibration and sweeps re-check the
    same laws for every candidate scenario."""
    with np.errstate(over="ignore", invalid="ignore"):  # an inf or nan end is refused, not warned
        lo, hi = law.ppf(np.array([U_MIN, U_MAX]))
    return float(lo), float(hi)


UNUSABLE = (
    "a law floating point can draw from: a finite median and mean, within its draws "
    "(a spread neither vanishingly small nor huge; for a value known exactly, write "
    "the number)"
)
"""What `unusable` expects, for messages and tests."""


def unusable(law: Law) -> str | None:
    """What is wrong with a law whose numbers float64 cannot hold, or None.

    A beta's sd of 1e-200 divides its shapes by zero, a gamma's cv of 1e-160
    gives nan draws, a lognormal's sigma of 40 overflows its mean, a gamma's
    cv of 1e10 draws 0 every time although its mean is 1: the parameters are
    valid numbers, but the law they name cannot be evaluated, so it is
    refused at its path (a run would crash, or run on nonsense). Draws that
    reach infinity are left to the parameter's range check, which names them.
    """
    try:
        with np.errstate(all="ignore"):
            median, mean = law.median(), law.mean()
            low, high = law.attainable()
    except ArithmeticError as exc:
        reason = "a division by zero" if isinstance(exc, ZeroDivisionError) else "an overflow"
        return f"{written(law)}: {reason}"
    numbers = (
        f"median {short(median)}, mean {short(mean)}, draws from {short(low)} to {short(high)}"
    )
    if not all(math.isfinite(x) for x in (median, mean)) or math.isnan(low) or math.isnan(high):
        return f"{written(law)}: {numbers}"
    if not isinstance(law, Samples) and not low <= mean <= high:
        return f"{written(law)}: {numbers}"
    return None


def written(law: Law) -> str:
    """The law as written, `beta(mean 0.5, sd 1e-200)`, for messages."""
    spec = law.spec()
    if isinstance(law, Samples):
        return f"samples {law.samples} column {law.column}"
    args = ", ".join(f"{k} {short(v)}" for k, v in spec.items() if k != "dist")
    return f"{spec['dist']}({args})"


class LogNormal(Law):
    """Median and sigma of the log: "about 0.2, within a factor e^sigma"."""

    dist: Literal["lognormal"]
    median_: PositiveNumber = Field(alias="median")
    sigma: PositiveNumber

    model_config = ConfigDict(extra="forbid", frozen=True)

    def spec(self) -> dict[str, Any]:
        """As written by the user (`median`, not the internal `median_`), so the
        manifest can be pasted back into a scenario."""
        return {"dist": "lognormal", "median": self.median_, "sigma": self.sigma}

    def support(self) -> tuple[float, float]:
        """Positive reals: a rate or delay scale drawn from it can never be negative."""
        return 0.0, math.inf

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF: scipy's lognorm with s = sigma and scale = median, by its
        own formula (`_scaled`)."""
        from scipy import special

        return _scaled(np.exp(self.sigma * special.ndtri(u)), self.median_, 0.0)

    def mean(self) -> float:
        """exp(mu + sigma^2 / 2): above the median, as a right-skewed law must be."""
        return self.median_ * math.exp(self.sigma**2 / 2)

    def median(self) -> float:
        """The median is a parameter here; no numerical inversion is needed."""
        return self.median_


class Gamma(Law):
    """Mean and coefficient of variation (shape 1/cv^2), as for delays."""

    dist: Literal["gamma"]
    mean_: PositiveNumber = Field(alias="mean")
    cv: PositiveNumber

    model_config = ConfigDict(extra="forbid", frozen=True)

    def spec(self) -> dict[str, Any]:
        """As written (`mean`, `cv`), so the manifest can be pasted back."""
        return {"dist": "gamma", "mean": self.mean_, "cv": self.cv}

    def support(self) -> tuple[float, float]:
        """Positive reals, as for delays and rates."""
        return 0.0, math.inf

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF with shape 1/cv^2 and scale mean/shape (mean = shape * scale)."""
        from scipy import special

        shape = 1.0 / self.cv**2
        return _scaled(special.gammaincinv(shape, u), self.mean_ / shape, 0.0)

    def mean(self) -> float:
        """The mean is a parameter here."""
        return self.mean_


class Beta(Law):
    """Mean and standard deviation, for probabilities and branching ratios:
    a = m nu, b = (1 - m) nu with nu = m (1 - m) / sd^2 - 1."""

    dist: Literal["beta"]
    mean_: Annotated[float, Field(gt=0, lt=1), NUMBER] = Field(alias="mean")
    sd: PositiveNumber

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _sd_fits_mean(self) -> Beta:
        limit = math.sqrt(self.mean_ * (1 - self.mean_))
        if self.sd >= limit:
            raise _contract(
                f"sd below sqrt(mean (1 - mean)) = {short(limit)} for mean {short(self.mean_)}",
                f"sd {short(self.sd)}",
            )
        return self

    def spec(self) -> dict[str, Any]:
        """As written (`mean`, `sd`), so the manifest can be pasted back."""
        return {"dist": "beta", "mean": self.mean_, "sd": self.sd}

    def shapes(self) -> tuple[float, float]:
        """(a, b) = (m nu, (1 - m) nu) with nu = m (1 - m) / sd^2 - 1; positive
        because the validator refuses sd >= sqrt(m (1 - m))."""
        nu = self.mean_ * (1 - self.mean_) / self.sd**2 - 1
        return self.mean_ * nu, (1 - self.mean_) * nu

    def support(self) -> tuple[float, float]:
        """[0, 1]: probabilities and branching ratios cannot leave it."""
        return 0.0, 1.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF of Beta(a, b) with the moment-matched shapes."""
        a, b = self.shapes()
        return _scaled(_beta_ppf(u, a, b), 1.0, 0.0)

    def mean(self) -> float:
        """The mean is a parameter here."""
        return self.mean_


class Uniform(Law):
    """Flat between low and high (high > low is required), for values the
    evidence bounds but does not locate."""

    dist: Literal["uniform"]
    low: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high <= self.low:
            raise _contract("high > low", f"low {short(self.low)}, high {short(self.high)}")
        return self

    def support(self) -> tuple[float, float]:
        """[low, high]: the stated bounds."""
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Exactly low + (high - low) u, with no scipy call."""
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    def mean(self) -> float:
        """The midpoint."""
        return (self.low + self.high) / 2


class Pert(Law):
    """Low, most likely and high (Malcolm et al. 1959): a beta on [low, high]
    with shapes 1 + 4 (mode - low) / (high - low) and 1 + 4 (high - mode) / (high - low)."""

    dist: Literal["pert"]
    low: Number
    mode: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self) -> Pert:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise _contract(
                "low <= mode <= high with low < high",
                f"low {short(self.low)}, mode {short(self.mode)}, high {short(self.high)}",
            )
        return self

    def support(self) -> tuple[float, float]:
        """[low, high]: the stated bounds."""
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF of the PERT beta, scaled onto [low, high]."""
        width = self.high - self.low
        a = 1 + 4 * (self.mode - self.low) / width
        b = 1 + 4 * (self.high - self.mode) / width
        return _scaled(_beta_ppf(u, a, b), width, self.low)

    def mean(self) -> float:
        """(low + 4 mode + high) / 6, the PERT mean (Malcolm et al. 1959)."""
        return (self.low + 4 * self.mode + self.high) / 6


class Samples(Law):
    """Draws from a file (a posterior, say): replication i takes row
    floor(u * rows), the same row for every column of the same file, so the
    draws' correlations survive."""

    samples: str
    column: str
    _values: tuple[float, ...] = PrivateAttr(default=())
    _digest: str = PrivateAttr(default="")

    def attach(self, values: np.ndarray, digest: str) -> Samples:
        """This spec with the file's column and content hash (set once, on loading)."""
        self._values = tuple(float(v) for v in values)
        self._digest = digest
        return self

    @property
    def values(self) -> np.ndarray:
        """The file's column as floats (set by `attach` when the scenario is loaded)."""
        return np.asarray(self._values, dtype=float)

    @property
    def digest(self) -> str:
        """SHA-256 of the file's bytes: its generator key, so the draws do not
        depend on where the file lies (and copies of a file share them)."""
        return self._digest

    def support(self) -> tuple[float, float]:
        """The smallest and largest sample: draws never leave the observed range."""
        v = self.values
        return float(v.min()), float(v.max())

    def attainable(self) -> tuple[float, float]:
        """Every row can be drawn: the smallest and largest sample."""
        return self.support()

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Row floor(u * rows), capped at the last row; the same u picks the same row
        for every column of the file, which keeps the columns' joint draws."""
        v = self.values
        rows = np.minimum((np.asarray(u, dtype=float) * v.size).astype(np.int64), v.size - 1)
        return v[rows]

    def mean(self) -> float:
        """The sample mean."""
        return float(self.values.mean())

    def median(self) -> float:
        """The sample median (not a draw at u = 0.5, which picks one row)."""
        return float(np.median(self.values))

    def spec(self) -> dict[str, Any]:
        """The file, column, row count and content hash, so a manifest pins the
        exact samples used."""
        return {
            "samples": self.samples,
            "column": self.column,
            "rows": len(self._values),
            "sha256": self._digest,
        }

    def describe(self) -> str:
        """As `Law.describe`, with the 90% range from the samples' own quantiles."""
        lo, hi = np.quantile(self.values, [0.05, 0.95])
        return (
            f"samples {self.samples} column {self.column} ({len(self._values)} rows): "
            f"median {short(self.median())}, mean {short(self.mean())}, "
            f"90% range {short(lo)} to {short(hi)}"
        )


LAWS: dict[str, type[Law]] = {
    "lognormal": LogNormal,
    "gamma": Gamma,
    "beta": Beta,
    "uniform": Uniform,
    "pert": Pert,
}


def _tag(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return "samples" if "samples" in value else value.get("dist")
    return "samples" if isinstance(value, Samples) else getattr(value, "dist", None)


Distribution = Annotated[
    Annotated[LogNormal, Tag("lognormal")]
    | Annotated[Gamma, Tag("gamma")]
    | Annotated[Beta, Tag("beta")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Pert, Tag("pert")]
    | Annotated[Samples, Tag("samples")],
    Discriminator(_tag),
]
"""One uncertain value: a law with its parameters, or a column of a file of draws."""


def generator_key(path: str, dist: Law) -> str:
    """The component key of a parameter's generator: `param:<path>`, or for a
    `samples:` column `param:samples:<sha256>`, one per file, so its columns
    share the row (each replication's uniform for it depends on the seed, the
    replication and this key alone; sim/montecarlo/parameters.py)."""
    if isinstance(dist, Samples):
        return f"param:samples:{dist.digest}"
    return f"param:{path}"
