"""How much work a scenario asks for, estimated before anything runs.

A rate of 1e9 a day, a branching ratio of 3, a rule loop, or a `scale` factor
of 50 each make one replication generate more events than any machine can
simulate: the run would hang, memory growing, until killed (issue 7). So the
expected number of events per replication is estimated from the file alone
and a run past a stated limit is refused unless the user says it is wanted.

The estimate is the mean of the linear (Hawkes) model with every offspring
channel at its largest: each occurrence of type i causes on average
`K[i, j]` occurrences of type j after a delay of mean `d[i, j]`, from stream
excitation (branching, exponential kernel of mean `decay_days`) and from rules
(`probability` per `emit`, the rule's mean delay; conditions ignored, which
can only lower it). With every delay exponential, the expected event rate
`r(t)` and the expected pending offspring `y(t)` follow the linear ODE

    r(t)  = A0 (u + P y(t)),    A0 = (I - K0^T)^-1 (offspring at zero delay)
    y'(t) = W r(t) - D y(t)

(u: baseline rates; W, P, D: the delayed channels' weights and rates). Its
integral over the horizon, by one matrix exponential, is the expected count.
For a subcritical process (spectral radius of K below 1) it stays below the
renewal bound 1^T (I - K^T)^-1 u T; for a supercritical one it is the growth
over the horizon, which can be astronomically large; with a zero-delay loop
of radius 1 or more it is infinite (an explosion at one instant).

Caps: a stream's `max_events` caps what it generates, a rule's cooldown its
firings (at most T/cooldown + 1); the estimate with those caps applied (the
capped parts as a fixed number of occurrences) is a second upper bound, and
the smaller of the two is used. A `scale` factor above 1 multiplies a
stream's intensity while in force: by f^k for a rule with a cooldown (k
firings can overlap), by E[f^N] = exp(m (f - 1)) for one without (N firings
in force, Poisson of mean m, taken from the estimate without scaling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.errors import UsageError
from sim.scenario.schema import Scenario

MAX_EVENTS_PER_REPLICATION = 1_000_000
"""Most expected events in one replication without `allow_large` (about a
minute of simulation for one replication)."""
MAX_EVENTS_PER_RUN = 1_000_000_000
"""Most expected events over all replications of a run without `allow_large`."""
NEGLIGIBLE_WEIGHT = 1e-12
"""Offspring channels lighter than this are left out of the estimate: they add
at most that fraction of an event per parent, and a subnormal branching
(5e-324) made the mean delay 0/0 and the matrices NaN, a traceback instead
of an estimate."""
NEGLIGIBLE_DELAY = 1e-9
"""Days below which a delayed channel is estimated as an immediate one (its
limit): a subnormal delay made the weighted delay underflow to 0 and the
release rate 1/0."""
_MAX_CHANNELS = 1_500
"""Beyond this many delayed channels the estimate drops the delays (the
renewal bound), which only raises it."""


@dataclass(frozen=True)
class Channel:
    """Occurrences of `parent` cause `weight` occurrences of `child` on
    average, `delay` days later on average."""

    parent: int
    child: int
    weight: float
    delay: float


@dataclass(frozen=True)
class Estimate:
    """Expected events per replication, in total and by event type."""

    total: float
    by_event: dict[str, float]

    @property
    def largest(self) -> str:
        """The event type expected most often."""
        return max(self.by_event, key=lambda k: self.by_event[k]) if self.by_event else ""


def _active_days(s: Scenario, ident: str) -> float:
    stream = s.streams[ident]
    if stream.active is None:
        return s.horizon_days
    lo = max(0.0, stream.active.from_day)
    hi = min(s.horizon_days, stream.active.to_day)
    return max(0.0, hi - lo)


def _channels(
    s: Scenario, index: dict[str, int], multiplier: np.ndarray, capped: bool
) -> tuple[list[Channel], np.ndarray]:
    """Offspring channels and baseline counts over the horizon.

    With `capped`, streams with `max_events` and rules with a cooldown are
    replaced by the most occurrences they can produce, as baseline counts.
    """
    n = len(index)
    base = np.zeros(n)
    channels: list[Channel] = []
    T = s.horizon_days
    for ident, stream in s.streams.items():
        j = index[ident]
        if capped and stream.max_events is not None:
            base[j] += stream.max_events
            continue
        m = multiplier[j]
        base[j] += stream.rate * _active_days(s, ident) * m
        if stream.self_excitation is not None:
            k = stream.self_excitation
            channels.append(Channel(j, j, k.branching * m, k.decay_days))
        for source, k in stream.excited_by.items():
            channels.append(Channel(index[source], j, k.branching * m, k.decay_days))
    for rule in s.rules.values():
        emits = [index[a.emit] for a in rule.then if a.emit is not None]
        if capped and rule.cooldown_days > 0:
            for j in emits:
                base[j] += T / rule.cooldown_days + 1
            continue
        delay = rule.delay.mean_days if rule.delay is not None else 0.0
        for on in rule.on:
            for j in emits:
                channels.append(Channel(index[on], j, rule.probability, delay))
    return channels, base


def _expected_counts(channels: list[Channel], base: np.ndarray, horizon: float) -> np.ndarray:
    """Expected occurrences of each type over the horizon (the module's ODE)."""
    n = len(base)
    if not np.all(np.isfinite(base)) or not all(
        math.isfinite(c.weight) and math.isfinite(c.delay) for c in channels
    ):
        return np.full(n, math.inf)
    u = base / horizon
    k0 = np.zeros((n, n))
    delayed: dict[tuple[int, int], list[float]] = {}
    for c in channels:
        if c.weight <= NEGLIGIBLE_WEIGHT:
            continue
        if c.delay <= NEGLIGIBLE_DELAY:
            k0[c.parent, c.child] += c.weight
        else:
            w_d = delayed.setdefault((c.parent, c.child), [0.0, 0.0])
            w_d[0] += c.weight
            w_d[1] += c.weight * c.delay
    if n and max(abs(np.linalg.eigvals(k0))) >= 1:
        return np.full(n, math.inf)
    a0 = np.linalg.inv(np.eye(n) - k0.T)
    if not delayed:
        return np.asarray(a0 @ base)
    if len(delayed) > _MAX_CHANNELS:
        k = k0.copy()
        for (i, j), (w, _) in delayed.items():
            k[i, j] += w
        if max(abs(np.linalg.eigvals(k))) >= 1:
            return np.full(n, math.inf)
        return np.asarray(np.linalg.inv(np.eye(n) - k.T) @ base)
    m = len(delayed)
    weights = np.zeros((m, n))
    release = np.zeros((n, m))
    rates = np.zeros(m)
    for col, ((i, j), (w, wd)) in enumerate(delayed.items()):
        mean = wd / w
        weights[col, i] = w
        release[j, col] = 1.0 / mean
        rates[col] = 1.0 / mean
    drift = weights @ a0 @ release - np.diag(rates)
    growth = float(max(np.linalg.eigvals(drift).real))
    if growth * horizon > 700:
        return np.full(n, math.inf)
    system = np.zeros((2 * m + 1, 2 * m + 1))
    system[:m, :m] = drift
    system[:m, -1] = weights @ a0 @ u
    system[m : 2 * m, :m] = np.eye(m)
    state = _expm(system * horizon)[:, -1]
    pending_integral = state[m : 2 * m]
    counts = a0 @ (u * horizon + release @ pending_integral)
    return np.where(np.isfinite(counts), np.maximum(counts, 0.0), math.inf)


_PADE = [
    math.factorial(12 - k)
    * math.factorial(6)
    / (math.factorial(12) * math.factorial(k) * math.factorial(6 - k))
    for k in range(7)
]


def _expm(a: np.ndarray) -> np.ndarray:
    """Matrix exponential by scaling and squaring with the (6, 6) Padé
    approximant (Moler and Van Loan 2003, method 3) on ||A/2^s||_1 <= 1/2,
    accurate to about 1e-15 relative. Used instead of `scipy.linalg.expm`,
    whose compiled kernel takes ~20 ms on a small matrix when BLAS threads
    contend (0.3 ms here), since sweeps estimate every design point."""
    norm = float(np.abs(a).sum(axis=0).max())
    squarings = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    x = a / 2.0**squarings
    eye = np.eye(len(a))
    power = eye
    numerator = _PADE[0] * eye
    denominator = _PADE[0] * eye
    for k in range(1, 7):
        power = power @ x
        numerator = numerator + _PADE[k] * power
        denominator = denominator + (-1) ** k * _PADE[k] * power
    result = np.linalg.solve(denominator, numerator)
    for _ in range(squarings):
        result = result @ result
    return result


def _scale_multipliers(s: Scenario, index: dict[str, int], counts: np.ndarray) -> np.ndarray:
    """Largest expected intensity multiplier of each stream from `scale`
    factors above 1 (see the module docstring)."""
    log_m = np.zeros(len(index))
    T = s.horizon_days
    for rule in s.rules.values():
        for action in rule.then:
            scale = action.scale
            if scale is None or scale.factor <= 1:
                continue
            j = index[scale.stream]
            if rule.cooldown_days > 0:
                log_m[j] += math.ceil(scale.days / rule.cooldown_days) * math.log(scale.factor)
            else:
                triggers = sum(float(counts[index[on]]) for on in rule.on)
                in_force = rule.probability * triggers / T * min(scale.days, T)
                log_m[j] += in_force * (scale.factor - 1) if in_force > 0 else 0.0
    return np.exp(log_m)


def estimate_events(s: Scenario) -> Estimate:
    """Expected events per replication, in total and by event type."""
    with np.errstate(all="ignore"):
        return _estimate(s)


def _estimate(s: Scenario) -> Estimate:
    names = list(s.events)
    index = {name: i for i, name in enumerate(names)}
    ones = np.ones(len(names))
    totals = []
    for capped in (False, True):
        channels, base = _channels(s, index, ones, capped)
        counts = _expected_counts(channels, base, s.horizon_days)
        multiplier = _scale_multipliers(s, index, counts)
        if not np.all(np.isfinite(multiplier)):
            counts = np.full(len(names), math.inf)
        elif np.any(multiplier > 1):
            channels, base = _channels(s, index, multiplier, capped)
            counts = _expected_counts(channels, base, s.horizon_days)
        totals.append(counts)
    best = min(totals, key=lambda c: float(np.sum(c)))
    total = float(np.sum(best))
    return Estimate(total, {name: float(best[i]) for i, name in enumerate(names)})


def expected_events(s: Scenario) -> float:
    """Estimated expected number of events in one replication (may be inf)."""
    return estimate_events(s).total


def check_workload(s: Scenario, replications: int, allow_large: bool = False) -> float:
    """Refuse a run whose expected events exceed the stated limits.

    Returns:
        The estimated events per replication.

    Raises:
        UsageError: past `MAX_EVENTS_PER_REPLICATION` per replication or
            `MAX_EVENTS_PER_RUN` in all, unless `allow_large`.
    """
    estimate = estimate_events(s)
    total = estimate.total
    if allow_large:
        return total
    where = str(s.origin.name) if s.origin is not None else s.name
    if not math.isfinite(total):
        found = "explosive growth (the expected count overflows)"
    elif total > MAX_EVENTS_PER_REPLICATION:
        found = f"an estimated {total:.3g}"
    elif total * replications > MAX_EVENTS_PER_RUN:
        raise UsageError(
            f"{where}: expected at most {MAX_EVENTS_PER_RUN:,} events in the whole run, "
            f"found an estimated {total * replications:.3g} ({total:.3g} per replication "
            f"x {replications:,} replications); use fewer replications, or pass "
            "--allow-large to run it anyway"
        )
    else:
        return total
    raise UsageError(
        f"{where}: expected at most {MAX_EVENTS_PER_REPLICATION:,} events per replication, "
        f"found {found}, mostly '{estimate.largest}' (estimated from rates, horizon, "
        "feedback and scale factors); lower them, cap the stream with max_events or the "
        "rule with cooldown_days, or pass --allow-large to run it anyway"
    )
