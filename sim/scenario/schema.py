"""The scenario file as frozen, strict pydantic models.

Each class mirrors a part of the contract in docs/MODEL.md; unknown keys are
refused (`extra="forbid"`) because a misspelt key silently ignored is a wrong
number nobody notices. Checks that need the whole file (cross-references,
explosive branching, evidence anchors) live in `checks.py`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from sim.scenario.base import (
    DAY,
    ID_PATTERN,
    NAME_PATTERN,
    NUMBER,
    SOURCE_PATTERN,
    WHOLE,
    StrictModel,
)
from sim.scenario.distributions import Distribution

MAX_HORIZON_DAYS = 36_500
"""Longest replication: a hundred years, far past any question this model answers."""
MAX_COUNT = 1_000_000_000
"""Largest count, cap or rung in a file (a billion): beyond it a number is a typo."""

MIN_DECAY_DAYS = 1e-6
"""Shortest kernel decay (a tenth of a second): a shorter one is below the
resolution of a float time late in a long horizon, where time would stop."""

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
# Finite: an infinite horizon or rate (YAML `.inf`) would never finish a replication.
# NUMBER / WHOLE (after Field, so its bounds stay the float schema's own):
# true and false are refused, not read as 1 and 0.
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False), NUMBER]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False), NUMBER]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), NUMBER]
Whole = Annotated[int, Field(ge=0, le=MAX_COUNT), WHOLE]
PositiveWhole = Annotated[int, Field(gt=0, le=MAX_COUNT), WHOLE]
Day = Annotated[dt.date, DAY]
"""A calendar date without a time of day (the contract counts whole days)."""
SourceRef = Annotated[str, StringConstraints(pattern=SOURCE_PATTERN)]


def contract_error(expected: str, found: str) -> PydanticCustomError:
    """A validation error worded as the contract's 'expected X, found Y'."""
    return PydanticCustomError(
        "contract", "expected {expected}, found {found}", {"expected": expected, "found": found}
    )


@dataclass(frozen=True)
class Provenance:
    """Where a scenario came from, given to `Scenario.model_validate` as its
    context so a scenario is complete when constructed and never changed after."""

    origin: Path | None = None
    """The file it was read from (evidence resolves from it; runs record it)."""
    overrides: Mapping[str, Any] = field(default_factory=dict)
    """Dotted path -> value changed from the file, in the order applied."""


class Sourced(StrictModel):
    """A part whose numbers must say where they come from."""

    source: SourceRef | tuple[SourceRef, ...] | None = None
    """`seeds/<file>.yaml#<fact-id>` (or a list of them): the evidence behind the numbers."""
    assumption: str | None = None
    """The reasoning behind a number no document gives."""

    @model_validator(mode="after")
    def _has_provenance(self) -> Sourced:
        if self.source is None and not (self.assumption and self.assumption.strip()):
            raise contract_error(
                "'source: seeds/<file>.yaml#<fact-id>' or 'assumption: <reasoning>'", "neither"
            )
        return self

    @property
    def sources(self) -> tuple[str, ...]:
        """The cited anchors as a tuple, whether one or several were written, so
        evidence checks need not care which form the user chose."""
        if self.source is None:
            return ()
        return (self.source,) if isinstance(self.source, str) else self.source


class Actor(StrictModel):
    """A party in the conflict; events and rules name it by id, and its name
    labels traces and charts."""

    name: str
    """Display name used in traces and charts."""
    kind: Literal["state", "armed_faction", "government", "coalition", "organisation", "other"]
    """What sort of actor this is; informative only."""


class EventType(StrictModel):
    """A kind of dated occurrence (an attack, a strike); its rung, if any, is the
    ladder level one occurrence raises the level to."""

    actor: Id
    """Who carries out events of this type (an actor id)."""
    target: Id | None = None
    """Whom they are aimed at (an actor id), if anyone."""
    location: str | None = None
    """Where they happen; informative only."""
    rung: Whole | None = None
    """Ladder rung an occurrence raises the level to (if higher); none: no effect on the level."""
    label: str | None = None
    """Short human label for charts and traces (defaults to the id)."""


class Kernel(StrictModel):
    """An exponential excitation kernel (Hawkes 1971): each exciting occurrence
    adds `branching` expected offspring, spread with mean delay `decay_days`.
    Decays below MIN_DECAY_DAYS are refused (see there)."""

    branching: NonNegative
    """Expected number of direct offspring one exciting occurrence causes."""
    decay_days: Annotated[float, Field(ge=MIN_DECAY_DAYS, allow_inf_nan=False), NUMBER]
    """Mean delay of an offspring after its parent (exponential kernel)."""


class ActiveWindow(StrictModel):
    """Days [from_day, to_day) in which a stream runs, for campaigns that start or
    end inside the horizon; to_day must exceed from_day."""

    from_day: NonNegative = 0.0
    """First day the stream can produce events."""
    to_day: Annotated[float, NUMBER] = float("inf")
    """Day after which it produces none (default: the horizon)."""

    @model_validator(mode="after")
    def _ordered(self) -> ActiveWindow:
        if self.to_day <= self.from_day:
            raise contract_error(
                f"to_day greater than from_day ({self.from_day:g})", f"to_day {self.to_day:g}"
            )
        return self


class Stream(Sourced):
    """A self-exciting background process (a Hawkes stream) producing one event
    type at a cited baseline rate in events per day."""

    rate: NonNegative
    """Baseline intensity, events per day."""
    self_excitation: Kernel | None = None
    """How each occurrence of this event type raises its own intensity."""
    excited_by: dict[Id, Kernel] = Field(default_factory=dict)
    """Other event types whose occurrences raise this stream's intensity."""
    active: ActiveWindow | None = None
    """Window outside which the stream is silent."""
    max_events: PositiveWhole | None = None
    """Cap on the occurrences this stream generates per replication."""


class Count(StrictModel):
    """A rolling-window condition: at least `at_least` occurrences in the last
    `within_days` days, counting the trigger itself."""

    event: Id
    """The event type counted."""
    within_days: Positive
    """Occurrences in (t - within_days, t], the trigger included."""
    at_least: Whole
    """The count needed."""


class Total(StrictModel):
    """A cumulative condition: at least `at_least` occurrences since day 0
    (history before day 0 is not counted)."""

    event: Id
    """The event type counted since day 0."""
    at_least: Whole
    """The cumulative count needed."""


class Condition(StrictModel):
    """All stated conditions must hold."""

    level_at_least: Whole | None = None
    level_at_most: Whole | None = None
    count: Count | tuple[Count, ...] | None = None
    total: Total | tuple[Total, ...] | None = None
    after_day: NonNegative | None = None
    """Holds from this day on (t >= after_day)."""
    before_day: NonNegative | None = None
    """Holds strictly before this day (t < before_day)."""

    @property
    def counts(self) -> tuple[Count, ...]:
        """The count conditions as a tuple, whether one or several were written."""
        return (
            ()
            if self.count is None
            else (self.count,)
            if isinstance(self.count, Count)
            else self.count
        )

    @property
    def totals(self) -> tuple[Total, ...]:
        """The total conditions as a tuple, whether one or several were written."""
        return (
            ()
            if self.total is None
            else (self.total,)
            if isinstance(self.total, Total)
            else self.total
        )


DELAY_PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("days",),
    "exponential": ("mean",),
    "gamma": ("mean", "cv"),
    "lognormal": ("median", "sigma"),
    "uniform": ("low", "high"),
}


class Delay(StrictModel):
    """A response delay in days; which parameters apply depends on `dist`."""

    dist: Literal["fixed", "exponential", "gamma", "lognormal", "uniform"]
    days: NonNegative | None = None
    mean: Positive | None = None
    cv: Positive | None = None
    median: Positive | None = None
    sigma: NonNegative | None = None
    low: NonNegative | None = None
    high: NonNegative | None = None

    @model_validator(mode="after")
    def _parameters_fit_dist(self) -> Delay:
        wanted = DELAY_PARAMETERS[self.dist]
        missing = [name for name in wanted if getattr(self, name) is None]
        extra = [
            name
            for name in ("days", "mean", "cv", "median", "sigma", "low", "high")
            if name not in wanted and getattr(self, name) is not None
        ]
        if missing or extra:
            found = []
            if missing:
                found.append("no " + ", ".join(missing))
            if extra:
                found.append("also " + ", ".join(extra))
            raise contract_error(f"{self.dist} delay with {', '.join(wanted)}", "; ".join(found))
        if self.dist == "uniform" and (self.high or 0.0) <= (self.low or 0.0):
            raise contract_error("high > low", f"low {self.low:g}, high {self.high:g}")
        self._computable()
        return self

    def _computable(self) -> None:
        """Refuse a spread float64 cannot draw with: a gamma's cv of 1e-200
        divides its shape 1/cv^2 by zero, a lognormal's sigma of 40 overflows
        its mean; the engine (sim/engine/delays.py) and the workload estimate
        would crash on them mid-run."""
        if self.dist == "gamma":
            mean, cv = float(self.mean or 0.0), float(self.cv or 0.0)
            try:
                shape, scale = 1.0 / cv**2, mean * cv**2
            except ArithmeticError:
                shape = scale = math.nan
            if not (0 < shape < math.inf and 0 < scale < math.inf):
                raise contract_error(
                    "a gamma delay whose shape 1/cv^2 and scale mean cv^2 are finite and "
                    "positive (a cv neither vanishingly small nor huge)",
                    f"mean {mean:g}, cv {cv:g}",
                )
        if self.dist == "lognormal":
            try:
                mean_days = self.mean_days
            except OverflowError:
                mean_days = math.inf
            if not math.isfinite(mean_days):
                raise contract_error(
                    "a lognormal delay with a finite mean, median exp(sigma^2 / 2)",
                    f"median {self.median:g}, sigma {self.sigma:g}",
                )

    @property
    def mean_days(self) -> float:
        """Mean delay, used by the workload estimate and docs."""
        if self.dist == "fixed":
            return float(self.days or 0.0)
        if self.dist in ("exponential", "gamma"):
            return float(self.mean or 0.0)
        if self.dist == "lognormal":
            return float(self.median or 0.0) * math.exp(float(self.sigma or 0.0) ** 2 / 2)
        return (float(self.low or 0.0) + float(self.high or 0.0)) / 2


class Scale(StrictModel):
    """A rule action multiplying one stream's intensity for a while (a surge, or a
    truce with factor 0)."""

    stream: Id
    """The stream whose intensity is multiplied."""
    factor: NonNegative
    """Multiplier; 0 pauses the stream (a truce)."""
    days: Positive
    """How long the factor stays in force."""


class Action(StrictModel):
    """Exactly one of emit, scale, set_level."""

    emit: Id | None = None
    """Cause an occurrence of this event type by the rule's actor."""
    scale: Scale | None = None
    set_level: Whole | None = None
    """Set the ladder level outright (a ceasefire)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
        given = [k for k in ("emit", "scale", "set_level") if getattr(self, k) is not None]
        if len(given) != 1:
            raise contract_error(
                "exactly one of emit, scale, set_level", ", ".join(given) if given else "none"
            )
        return self


class Rule(Sourced):
    """A conditional response: when an `on` event occurs and the conditions hold,
    the actor fires with `probability` after `delay`, subject to cooldown and
    `max_pending` (docs/MODEL.md, rules). A hazard rule has `hazard` instead of
    `on`: it decides at a constant daily rate while its conditions hold, rather
    than by a lottery on each trigger (docs/MODEL.md, Hazard rules)."""

    actor: Id
    """Who responds."""
    on: tuple[Id, ...] = ()
    """Event types whose occurrences trigger the rule (a lottery per trigger)."""
    hazard: NonNegative | None = None
    """Decisions per day while `if` holds (instead of `on`): a hazard rule."""
    if_: Condition | None = Field(default=None, alias="if")
    """Conditions evaluated at the trigger's time (all must hold); for a hazard
    rule, the conditions under which the hazard runs."""
    probability: Probability = 1.0
    """Chance that a trigger meeting the conditions draws a response."""
    delay: Delay | None = None
    """Days from trigger to firing; none: fires at once."""
    cooldown_days: NonNegative = 0.0
    """The rule never fires twice within this many days."""
    recheck: bool = False
    """Re-evaluate `if` at firing time and drop the response if it no longer holds."""
    max_pending: PositiveWhole | None = None
    """Bound on responses drawn but not yet fired."""
    then: Annotated[tuple[Action, ...], Field(min_length=1)]
    """Actions run in order when the rule fires."""

    @model_validator(mode="after")
    def _trigger_or_hazard(self) -> Rule:
        if bool(self.on) == (self.hazard is not None):
            raise contract_error(
                "exactly one of 'on: [EVENT, ...]' (a lottery per trigger) and 'hazard: "
                "RATE' (decisions per day while 'if' holds)",
                "both" if self.on else "neither",
            )
        if self.hazard is not None and self.probability != 1:
            raise contract_error(
                "no probability on a hazard rule (its hazard is the daily rate of deciding)",
                f"probability {self.probability:g}",
            )
        return self


class RegimeOnset(StrictModel):
    """When a regime switches on: at a constant daily `hazard` (while the `while`
    conditions hold), or after an `on` event with `probability`, after `delay`,
    if the `if` conditions hold at the trigger, or whichever of the two comes
    first (docs/MODEL.md, Regimes)."""

    hazard: NonNegative | None = None
    """Onsets per day while the regime is off and `while` holds."""
    while_: Condition | None = Field(default=None, alias="while")
    """With `hazard`: the conditions under which the hazard runs (none: always)."""
    on: tuple[Id, ...] = ()
    """Event types whose occurrences may switch the regime on."""
    if_: Condition | None = Field(default=None, alias="if")
    """With `on`: conditions evaluated at the trigger's time."""
    probability: Probability = 1.0
    """With `on`: chance that a trigger meeting the conditions starts an onset."""
    delay: Delay | None = None
    """With `on`: days from trigger to onset; none: at once."""

    @model_validator(mode="after")
    def _hazard_or_trigger(self) -> RegimeOnset:
        if not self.on and self.hazard is None:
            raise contract_error("'hazard: RATE', 'on: [EVENT, ...]' or both", "neither")
        if self.hazard is None and self.while_ is not None:
            raise contract_error("'while' only with 'hazard: RATE'", "'while' without a hazard")
        stray = [
            key
            for key, given in (
                ("if", self.if_ is not None),
                ("probability", self.probability != 1),
                ("delay", self.delay is not None),
            )
            if given
        ]
        if not self.on and stray:
            raise contract_error(
                "'if', 'probability' and 'delay' only with 'on: [EVENT, ...]'",
                ", ".join(stray) + " without 'on'",
            )
        return self


class StreamEffect(StrictModel):
    """What a regime does to one stream while it is on."""

    factor: NonNegative
    """Multiplies the stream's intensity, like a `scale` factor (0: the stream is off)."""


class RuleEffect(StrictModel):
    """What a regime does to one rule while it is on."""

    factor: NonNegative
    """Multiplies the rule's probability (capped at 1) or its hazard; 0 disables it."""


class Regime(Sourced):
    """A change of regime at a random time (a ceasefire elsewhere, a faction's
    suspension, a crackdown that holds): once on, it multiplies several streams
    and rules at once, for the rest of the horizon or for a drawn `duration`
    (docs/MODEL.md, Regimes)."""

    label: str | None = None
    """Short human label for traces and charts (defaults to the id)."""
    onset: RegimeOnset
    """When it switches on."""
    duration: Delay | None = None
    """How long it lasts once on, drawn at each onset; none: to the horizon."""
    streams: dict[Id, StreamEffect] = Field(default_factory=dict)
    """Streams whose intensity it multiplies while on."""
    rules: dict[Id, RuleEffect] = Field(default_factory=dict)
    """Rules whose probability or hazard it multiplies while on."""

    @model_validator(mode="after")
    def _has_effect(self) -> Regime:
        if not self.streams and not self.rules:
            raise contract_error("at least one effect under 'streams:' or 'rules:'", "none")
        return self


class Outcome(StrictModel):
    """Exactly one of level_at_least, event, regime."""

    level_at_least: Whole | None = None
    event: Id | None = None
    count_at_least: PositiveWhole = 1
    """With `event`: the cumulative count at which the outcome happens."""
    regime: Id | None = None
    """The regime's first onset (docs/MODEL.md, Regimes)."""
    label: str | None = None
    """Human label for charts (defaults to the id)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Outcome:
        given = [k for k in ("level_at_least", "event", "regime") if getattr(self, k) is not None]
        if len(given) != 1:
            raise contract_error(
                "exactly one of level_at_least, event, regime",
                "both " + " and ".join(given) if len(given) == 2 else ", ".join(given) or "neither",
            )
        return self


class Observation(Sourced):
    """A documented count of an event type over a date window (both ends
    inclusive), used for overlays and calibration, never by the engine."""

    from_: Day = Field(alias="from")
    """First day of the window (inclusive)."""
    to: Day
    """Last day of the window (inclusive)."""
    count: Whole
    """Occurrences documented in the window."""

    @model_validator(mode="after")
    def _ordered(self) -> Observation:
        if self.to < self.from_:
            raise contract_error(f"to on or after from ({self.from_})", f"to {self.to}")
        return self


class History(Sourced):
    """Events that happened before `start_date`, so a forecast starts from what
    has happened rather than from an empty past (docs/MODEL.md, History)."""

    events: dict[Id, tuple[Day, ...]] = Field(default_factory=dict)
    """Dates of past occurrences per event type (a date repeats for several that day)."""
    fired: dict[Id, tuple[Day, ...]] = Field(default_factory=dict)
    """Dates on which rules last fired (their cooldown runs on into the horizon)."""

    def times(self, start: dt.date) -> dict[str, tuple[float, ...]]:
        """Each event's past occurrences in days from `start`, ascending: an event
        dated D sits at the middle of its day, (D - start) + 0.5."""
        return {
            event: tuple(sorted((d - start).days + 0.5 for d in dates))
            for event, dates in self.events.items()
        }


class Scenario(StrictModel):
    """A whole scenario file, validated; docs/MODEL.md is the contract of what
    each field means. Numbers must cite evidence or state an assumption."""

    name: Name
    """Identifier used for results folders and titles."""
    title: str | None = None
    """Human title for charts."""
    description: str | None = None
    start_date: Day
    """Calendar date of day 0."""
    horizon_days: Annotated[float, Field(gt=0, le=MAX_HORIZON_DAYS, allow_inf_nan=False), NUMBER]
    """Length of one replication in days."""
    actors: Annotated[dict[Id, Actor], Field(min_length=1)]
    ladder: Annotated[tuple[str, ...], Field(min_length=2)]
    """Names of rungs 0..K-1, from calm to the worst."""
    ladder_decay_days: Positive | None = None
    """Level steps down a rung after this many days with no event at or above it."""
    initial_level: Whole = 0
    events: Annotated[dict[Id, EventType], Field(min_length=1)]
    streams: dict[Id, Stream] = Field(default_factory=dict)
    rules: dict[Id, Rule] = Field(default_factory=dict)
    regimes: dict[Id, Regime] = Field(default_factory=dict)
    """Changes of regime at random times (docs/MODEL.md, Regimes)."""
    outcomes: Annotated[dict[Id, Outcome], Field(min_length=1)]
    """What we ask the probability of; the first is the headline."""
    observed: dict[Id, tuple[Observation, ...]] = Field(default_factory=dict)
    """Documented counts per event type, for overlays and calibration."""
    history: History | None = None
    """Events before `start_date` that the replications start from."""
    # issue 10: numbers written as distributions, by dotted path (the fields hold
    # their medians); set by the loader, not by the file, and left out of dumps.
    uncertain: dict[str, Distribution] = Field(default_factory=dict, exclude=True)

    _origin: Path | None = PrivateAttr(default=None)
    _overrides: dict[str, Any] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        """Take the origin and overrides from a `Provenance` validation context."""
        if isinstance(context, Provenance):
            self._origin = context.origin
            self._overrides = dict(context.overrides)

    @property
    def origin(self) -> Path | None:
        """The file this scenario was read from (None when built in code)."""
        return self._origin

    @property
    def overrides(self) -> dict[str, Any]:
        """Dotted path -> value changed from the file, in the order applied."""
        return dict(self._overrides)

    @property
    def headline(self) -> str:
        """The first outcome's id: the number reports and charts lead with."""
        return next(iter(self.outcomes))

    def date_of(self, day: float) -> dt.date:
        """The calendar date of a simulated day (day 0 is `start_date`)."""
        return self.start_date + dt.timedelta(days=float(day))

    def day_of(self, date: dt.date) -> float:
        """Days from `start_date` to `date` (negative before it), whole days."""
        return float((date - self.start_date).days)

    def event_label(self, event: str) -> str:
        """An event type's label for charts: its `label`, else the id with spaces."""
        return self.events[event].label or event.replace("_", " ")

    def outcome_label(self, outcome: str) -> str:
        """An outcome's label for charts: its `label`, else the id with spaces."""
        return self.outcomes[outcome].label or outcome.replace("_", " ")

    def regime_label(self, regime: str) -> str:
        """A regime's label for traces: its `label`, else the id with spaces."""
        return self.regimes[regime].label or regime.replace("_", " ")
