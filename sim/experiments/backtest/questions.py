"""Resolved-questions files: what was asked, when, and what then happened.

A question names a scenario (with optional `set:` overrides), one of its
outcomes, a window of dates, and how the question resolved, with a source
for the resolution and the date the scenario's information stops (`frozen`).
The format is documented with a complete example in docs/questions.md.

Everything is checked before anything runs, and every problem is reported at
once as `file:line: path: expected X, found Y` (a `ScenarioError`): a missing
scenario or an unknown outcome, a window outside the scenario's horizon, a
resolution date outside the window, an unknown resolution word, a frozen date
after the window starts (a forecast that saw the window would be no forecast)
or before the last evidence its scenario cites was known (`hindsight`), a
dangling source. A file may hold no questions only if its `left_out` list
says why (the record of candidate questions not posed is what shows a set was
not chosen after seeing the answers).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError, describe
from sim.experiments.backtest.hindsight import latest_evidence
from sim.scenario.evidence import EvidenceLibrary, project_root
from sim.scenario.loader import display_name, load_scenario
from sim.scenario.overrides import with_overrides
from sim.scenario.schema import Scenario
from sim.scenario.yamlmap import Located, read_yaml

ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
SEED_REF = re.compile(r"^seeds/\S+\.yaml#\S+$")
QUESTION_KEYS = (
    "id",
    "text",
    "scenario",
    "set",
    "outcome",
    "window",
    "resolution",
    "source",
    "frozen",
)
REQUIRED = ("id", "scenario", "outcome", "window", "resolution", "source", "frozen")
TOP_KEYS = ("questions", "base_rate", "left_out")
DID_NOT_HAPPEN = "did_not_happen"


@dataclass(frozen=True)
class Question:
    """One validated question, its scenario loaded with its overrides."""

    id: str
    scenario: Scenario
    scenario_file: Path
    overrides: dict[str, Any]
    outcome: str
    window_from: dt.date
    window_to: dt.date
    happened_on: dt.date | None
    """The date the outcome happened (within the window); None: it did not.
    With `happened_exact` false, the latest day it can have happened (the
    source dates it only as "by" that day)."""
    source: str | dict[str, str]
    frozen: dt.date
    text: str | None = None
    happened_exact: bool = True

    @property
    def happened(self) -> bool:
        """Whether the outcome happened in the window (a resolution date was given)."""
        return self.happened_on is not None

    def window_days(self) -> tuple[float, float]:
        """[first day, day after the last) of the window, in scenario days."""
        return (
            self.scenario.day_of(self.window_from),
            self.scenario.day_of(self.window_to) + 1.0,
        )

    def frozen_day(self) -> float:
        """The frozen date in scenario days: replications that saw the outcome
        before it are inconsistent with what was known then."""
        return self.scenario.day_of(self.frozen)


@dataclass(frozen=True)
class BaseRate:
    """A stated base rate for the set's questions, with where it comes from."""

    value: float
    source: str | dict[str, str]


@dataclass(frozen=True)
class LeftOut:
    """A candidate question deliberately not posed, and why (kept so that a
    reader can see the set was not picked after the fact)."""

    id: str
    reason: str


@dataclass(frozen=True)
class QuestionSet:
    """A checked questions file: its questions, its base rate if stated, and
    the candidate questions deliberately not posed (with why)."""

    path: Path
    questions: tuple[Question, ...]
    base_rate: BaseRate | None = None
    left_out: tuple[LeftOut, ...] = field(default_factory=tuple)


class _Checker:
    """Collects located problems while reading one questions file."""

    def __init__(self, doc: Located, display: str, folder: Path):
        self.doc = doc
        self.display = display
        self.folder = folder
        # Duplicate keys first: YAML keeps the last silently, so a question
        # with two `id:` keys would be scored under the one not meant.
        self.problems: list[Problem] = list(doc.problems)
        self.library = EvidenceLibrary(project_root(folder))

    def problem(self, path: str, expected: str, found: str) -> None:
        file, line = self.doc.where(path, self.display)
        self.problems.append(Problem(file, line, path, expected, found))

    def date(self, value: Any, path: str) -> dt.date | None:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        self.problem(path, "a date YYYY-MM-DD", describe(value))
        return None

    def source(self, value: Any, path: str) -> str | dict[str, str] | None:
        """A seed fact, a data file next to the questions file, or a cited
        document with a verbatim quote."""
        if isinstance(value, str) and SEED_REF.match(value):
            resolved = self.library.resolve(value)
            if isinstance(resolved, str):
                self.problem(path, "a source naming an existing evidence file and fact", resolved)
                return None
            return value
        if isinstance(value, str) and value.strip():
            if not (self.folder / value).is_file():
                self.problem(
                    path,
                    "'seeds/<file>.yaml#<fact-id>', an existing data file or {document, quote}",
                    f"no file {value} next to {self.display}",
                )
                return None
            return value
        if isinstance(value, dict):
            unknown = sorted(set(value) - {"document", "quote"})
            missing = [k for k in ("document", "quote") if not _text(value.get(k))]
            if unknown:
                self.problem(f"{path}.{unknown[0]}", "one of: document, quote", repr(unknown[0]))
            for key in missing:
                self.problem(f"{path}.{key}", "non-empty text", describe(value.get(key)))
            if not unknown and not missing:
                return {"document": value["document"], "quote": value["quote"]}
            return None
        self.problem(
            path,
            "'seeds/<file>.yaml#<fact-id>', a data file or {document, quote}",
            describe(value),
        )
        return None


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def load_questions(path: str | Path) -> QuestionSet:
    """Read and check a questions file; load every scenario it names.

    Raises:
        ScenarioError: with every problem found, each located in its file.
    """
    file = Path(path)
    display = display_name(file)
    doc = read_yaml(file, display)
    check = _Checker(doc, display, file.resolve().parent)
    for key in doc.data:
        if key not in TOP_KEYS:
            check.problem(str(key), "one of: " + ", ".join(TOP_KEYS), f"unknown key '{key}'")
    raw = doc.data.get("questions")
    questions: list[Question] = []
    left_out = _left_out(check, doc.data.get("left_out"))
    if not isinstance(raw, list) or not (raw or left_out):
        check.problem(
            "questions",
            "a list of at least one question (an empty list only beside a 'left_out' list "
            "saying why)",
            describe(raw),
        )
    else:
        seen: set[str] = set()
        for index, item in enumerate(raw):
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str) and ident in seen:
                check.problem(f"questions[{index}].id", "each id once", f"'{ident}' again")
            seen.add(str(ident))
            question = _question(check, item, f"questions[{index}]")
            if question is not None:
                questions.append(question)
    base_rate = _base_rate(check, doc.data.get("base_rate"))
    if check.problems:
        raise ScenarioError(check.problems)
    return QuestionSet(file, tuple(questions), base_rate, left_out)


def _question(check: _Checker, item: Any, at: str) -> Question | None:
    if not isinstance(item, dict):
        check.problem(at, "a question mapping", describe(item))
        return None
    before = len(check.problems)
    for key in item:
        if key not in QUESTION_KEYS:
            expected = "one of: " + ", ".join(QUESTION_KEYS)
            check.problem(f"{at}.{key}", expected, f"unknown key '{key}'")
    for key in REQUIRED:
        if key not in item:
            check.problem(f"{at}.{key}", "a value (required)", "nothing")
    if len(check.problems) > before:
        return None
    ident = item["id"]
    if not (isinstance(ident, str) and ID.match(ident)):
        check.problem(f"{at}.id", "an id: letters, digits, '_' or '-'", describe(ident))
    text = item.get("text")
    if text is not None and not _text(text):
        check.problem(f"{at}.text", "the question in words", describe(text))
    scenario, scenario_file, overrides = _scenario(check, item, at)
    if scenario is not None:
        outcome = item["outcome"]
        if outcome not in scenario.outcomes:
            check.problem(
                f"{at}.outcome",
                "an outcome of the scenario (" + ", ".join(scenario.outcomes) + ")",
                describe(outcome),
            )
    frozen = check.date(item["frozen"], f"{at}.frozen")
    window = _window(check, item["window"], f"{at}.window", scenario)
    happened_on = _resolution(check, item["resolution"], f"{at}.resolution", window)
    exact = not (isinstance(item["resolution"], dict) and "happened_by" in item["resolution"])
    source = check.source(item["source"], f"{at}.source")
    _check_frozen(check, f"{at}.frozen", frozen, window, scenario)
    if len(check.problems) > before:
        return None
    assert scenario is not None and scenario_file is not None and window is not None
    assert frozen is not None and source is not None
    return Question(
        id=ident,
        scenario=scenario,
        scenario_file=scenario_file,
        overrides=overrides,
        outcome=item["outcome"],
        window_from=window[0],
        window_to=window[1],
        happened_on=happened_on,
        source=source,
        frozen=frozen,
        text=text,
        happened_exact=exact,
    )


def _check_frozen(
    check: _Checker,
    at: str,
    frozen: dt.date | None,
    window: tuple[dt.date, dt.date] | None,
    scenario: Scenario | None,
) -> None:
    """Refuse a frozen date after the window starts (the forecast would see
    its window) or before the last evidence the scenario cites was known
    (the scenario would use hindsight)."""
    if frozen is not None and window is not None and frozen > window[0]:
        check.problem(
            at,
            f"a date on or before the window's start ({window[0]}): a forecast must not see "
            "its window",
            str(frozen),
        )
    latest = latest_evidence(scenario) if scenario is not None else None
    if frozen is not None and latest is not None and latest.known > frozen:
        check.problem(
            at,
            "a date on or after everything the scenario cites was known (its information "
            f"runs to {latest.known}: {latest.ref})",
            f"{frozen}, so the scenario uses hindsight",
        )


def _scenario(
    check: _Checker, item: Mapping[str, Any], at: str
) -> tuple[Scenario | None, Path | None, dict[str, Any]]:
    name = item["scenario"]
    if not _text(name):
        check.problem(f"{at}.scenario", "a scenario file name", describe(name))
        return None, None, {}
    file = check.folder / name
    if not file.is_file():
        check.problem(
            f"{at}.scenario",
            "an existing scenario file (relative to the questions file)",
            f"no file {display_name(file)}",
        )
        return None, None, {}
    overrides = item.get("set") or {}
    if not isinstance(overrides, dict):
        check.problem(f"{at}.set", "a mapping of dotted path -> value", describe(overrides))
        return None, file, {}
    try:
        scenario = load_scenario(file)
    except ScenarioError as exc:
        check.problem(f"{at}.scenario", "a valid scenario", f"{len(exc.problems)} problem(s)")
        check.problems.extend(exc.problems)
        return None, file, {}
    if overrides:
        try:
            scenario = with_overrides(scenario, {str(k): v for k, v in overrides.items()})
        except ScenarioError as exc:
            for problem in exc.problems:
                path = f"{at}.set.{problem.path}" if problem.path in overrides else f"{at}.set"
                check.problem(path, problem.expected, problem.found)
            return None, file, dict(overrides)
    return scenario, file, dict(overrides)


def _window(
    check: _Checker, value: Any, at: str, scenario: Scenario | None
) -> tuple[dt.date, dt.date] | None:
    if not isinstance(value, dict) or set(value) != {"from", "to"}:
        check.problem(at, "{from: DATE, to: DATE}", describe(value))
        return None
    start = check.date(value["from"], f"{at}.from")
    end = check.date(value["to"], f"{at}.to")
    if start is None or end is None:
        return None
    if end < start:
        check.problem(f"{at}.to", f"a date on or after from ({start})", str(end))
        return None
    if scenario is not None:
        horizon = (
            f"a date within the scenario's horizon ({scenario.start_date} to "
            f"{scenario.date_of(scenario.horizon_days - 1)})"
        )
        if start < scenario.start_date:
            check.problem(f"{at}.from", horizon, str(start))
            return None
        if scenario.day_of(end) + 1 > scenario.horizon_days:
            check.problem(f"{at}.to", horizon, str(end))
            return None
    return start, end


def _resolution(
    check: _Checker, value: Any, at: str, window: tuple[dt.date, dt.date] | None
) -> dt.date | None:
    if value == DID_NOT_HAPPEN:
        return None
    if isinstance(value, dict) and len(value) == 1 and set(value) <= {"happened", "happened_by"}:
        # happened_by: the source dates the outcome only as "on or before" a day
        # (a halt "announced on 24 June" after a strike it does not date); the
        # window question's answer does not depend on the exact day.
        ((key, raw),) = value.items()
        day = check.date(raw, f"{at}.{key}")
        if day is not None and window is not None and not window[0] <= day <= window[1]:
            check.problem(
                f"{at}.{key}",
                f"a date within the window ({window[0]} to {window[1]})",
                str(day),
            )
        return day
    check.problem(
        at, f"{{happened: DATE}}, {{happened_by: DATE}} or '{DID_NOT_HAPPEN}'", describe(value)
    )
    return None


def _base_rate(check: _Checker, value: Any) -> BaseRate | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"value", "source"}:
        check.problem("base_rate", "{value: PROBABILITY, source: ...}", describe(value))
        return None
    rate = value["value"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < 1:
        check.problem("base_rate.value", "a probability strictly between 0 and 1", describe(rate))
        return None
    source = check.source(value["source"], "base_rate.source")
    return BaseRate(float(rate), source) if source is not None else None


def _left_out(check: _Checker, value: Any) -> tuple[LeftOut, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.problem("left_out", "a list of {id, reason}", describe(value))
        return ()
    out = []
    for index, item in enumerate(value):
        at = f"left_out[{index}]"
        if (
            not isinstance(item, dict)
            or set(item) != {"id", "reason"}
            or not all(_text(item.get(k)) for k in ("id", "reason"))
        ):
            check.problem(at, "{id: TEXT, reason: TEXT}", describe(item))
            continue
        out.append(LeftOut(item["id"], item["reason"]))
    return tuple(out)
