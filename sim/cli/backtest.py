"""`escsim backtest`: the model's forecasts scored against what happened.

Two forms (docs/questions.md): a file of resolved questions, or a rolling-
origin backtest on dated event data. Both parse and check every input
first, then reserve the results folder, compute, write and print.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import (
    EngineOpt,
    ForceOpt,
    ProgressOpt,
    SeedOpt,
    SetOpt,
    WorkersOpt,
    app,
    check_replications,
    default_folder,
    err,
    frame_table,
    guarded,
    load,
    out,
    progress_bar,
    say,
    stem_name,
)
from sim.errors import UsageError

DAYS = re.compile(r"^\s*(-?\d+)\s*d?\s*$")
MAX_DAYS = 36_525
"""Longest --every, --lead or --refit-window (100 years): longer than any event
data, and far enough from the calendar's end (year 9999) that date arithmetic
on it cannot overflow."""
MAX_TRAILING = MAX_DAYS
"""Most --trailing windows: each is at least a day, so more cannot fit in data
of MAX_DAYS days."""
MAX_AT_LEAST = 1_000_000
"""Largest --at-least K: beyond it P(count >= K) is 0 for any conflict, and a
number past 64 bits cannot be compared with the simulated counts at all."""


def parse_days(value: str, option: str) -> int:
    """`7d` or `7` -> 7; zero, negative, past `MAX_DAYS` or anything else refused
    here, so an overflow can never surface later as a traceback mid-backtest."""
    match = DAYS.match(value)
    if match is None:
        raise UsageError(f"{option}: expected a number of days such as 7d or 7, found {value!r}")
    number = match.group(1)
    digits = number.lstrip("-").lstrip("0")
    if number.startswith("-") or not digits:
        raise UsageError(f"{option}: expected a positive number of days, found {value!r}")
    # Measured as text first: Python refuses int() of thousands of digits itself.
    if len(digits) > len(str(MAX_DAYS)) or int(digits) > MAX_DAYS:
        raise UsageError(f"{option}: expected at most {MAX_DAYS} days (100 years), found {value!r}")
    return int(digits)


def parse_date(value: str | None, option: str) -> dt.date | None:
    """An ISO date option's value (None stays None); a bad one is a UsageError naming it."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option}: expected a date YYYY-MM-DD, found {value!r}") from None


def _skill_columns(by: str) -> dict[str, str]:
    return {
        "metric": "metric",
        by: by,
        "score": "model",
        f"{by}_score" if by == "baseline" else "reference_score": by,
        "difference": "difference",
        "difference_lower": "lower",
        "difference_upper": "upper",
        "skill": "skill",
        "skill_lower": "lower",
        "skill_upper": "upper",
    }


QuestionsOpt = Annotated[
    Path | None,
    typer.Argument(
        help="Questions YAML file (docs/questions.md); omit for a rolling backtest.",
        show_default=False,
    ),
]

EventsOpt = Annotated[
    Path | None,
    typer.Option(
        "--events",
        help="Rolling: the event file (CSV) [default: the map's data: files].",
        show_default=False,
    ),
]

MapFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--map",
        help="Rolling: map of the event data to the scenario's event ids.",
        show_default=False,
    ),
]

ScenarioOpt = Annotated[
    Path | None,
    typer.Option("--scenario", help="Rolling: the scenario to forecast with.", show_default=False),
]

EveryOpt = Annotated[str, typer.Option(help="Rolling: days between origins, e.g. 7d.")]

LeadOpt = Annotated[str, typer.Option(help="Rolling: days forecast from each origin, e.g. 7d.")]

RefitWindowOpt = Annotated[
    str | None,
    typer.Option(
        "--refit-window",
        help="Rolling: refit the streams on this many days before each origin, e.g. 90d.",
        show_default=False,
    ),
]

FirstOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="Rolling: first origin [default: --trailing lead windows after the data start].",
        show_default=False,
    ),
]

LastOpt = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="Rolling: last origin [default: the last whose lead window is in the data].",
        show_default=False,
    ),
]

TrailingOpt = Annotated[
    int,
    typer.Option(help="Rolling: lead windows the baselines average over.", min=1, max=MAX_TRAILING),
]

AtLeastOpt = Annotated[
    list[int] | None,
    typer.Option(
        "--at-least",
        help="Rolling: also score P(count >= K) per window (repeatable) [default: 1].",
        max=MAX_AT_LEAST,
        show_default=False,
    ),
]

RepsOpt = Annotated[
    int | None,
    typer.Option(
        "--reps",
        "-n",
        help="Replications per origin (rolling, default 500) or per scenario (questions, "
        "default 2000).",
        min=2,
        show_default=False,
    ),
]

ResumeOpt = Annotated[
    bool,
    typer.Option("--resume", help="Rolling: finish an interrupted backtest (same inputs)."),
]

OutDirOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Results folder [default: results/backtest-<name>]."),
]


@app.command()
def backtest(
    questions: QuestionsOpt = None,
    events: EventsOpt = None,
    map_file: MapFileOpt = None,
    scenario: ScenarioOpt = None,
    every: EveryOpt = "7d",
    lead: LeadOpt = "7d",
    refit_window: RefitWindowOpt = None,
    first: FirstOpt = None,
    last: LastOpt = None,
    trailing: TrailingOpt = 8,
    at_least: AtLeastOpt = None,
    reps: RepsOpt = None,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 2,
    engine: EngineOpt = "simpy",
    resume: ResumeOpt = False,
    set_: SetOpt = None,
    out_dir: OutDirOpt = None,
    force: ForceOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """Score the model's forecasts against what happened, with proper scores and
    skill against simple baselines (intervals by bootstrap).

    A questions file: each question's scenario is run (common random numbers)
    and scored by Brier and log score against a coin, a stated base rate and
    the leave-one-out base rate. Rolling: at each origin the scenario restarts
    from the events before it (optionally refitted on a trailing window), is
    simulated LEAD days, and its count forecast per event type is scored by
    log score and CRPS, with PIT histograms, against trailing Poisson,
    negative binomial and persistence baselines. An event type with no rows in
    a lead window is scored as a count of zero. Origins run in parallel with
    identical results for any --workers; each is saved as it finishes, so an
    interrupted backtest continues with --resume.

    \b
    Examples:
      escsim backtest backtests/example.yaml
      escsim backtest --map data_maps/iraq_backtest_2007_08.yaml \\
        --scenario scenarios/backtests/iraq_2007_08_streams.yaml --every 7d --lead 7d
      escsim backtest --map MAP.yaml --scenario S.yaml --refit-window 90d --resume
      escsim backtest --map MAP.yaml --scenario S.yaml --engine fast   # same scores, faster
    """  # noqa: D301 (\b is click's 'keep these lines as written')

    def action() -> None:
        rolling = any(x is not None for x in (events, map_file, scenario, refit_window))
        if questions is not None and rolling:
            raise UsageError(
                "give either a questions file or --map/--scenario (a rolling backtest), not both"
            )
        if questions is not None:
            if resume:
                raise UsageError("--resume is for rolling backtests; a question set reruns whole")
            _questions(questions, reps or 2000, seed, workers, out_dir, force, set_, engine)
            return
        if map_file is None or scenario is None:
            raise UsageError(
                "give a questions file, or --map MAP.yaml and --scenario S.yaml for a rolling "
                "backtest (see escsim backtest --help)"
            )
        _rolling(
            events,
            map_file,
            scenario,
            set_,
            every,
            lead,
            refit_window,
            first,
            last,
            trailing,
            tuple(at_least or (1,)),
            reps or 500,
            seed,
            workers,
            resume,
            out_dir,
            force,
            progress,
            engine,
        )

    guarded(
        action,
        interrupted="interrupted: a rolling backtest keeps the origins already finished; run the "
        "same command with --resume to continue (a question set wrote nothing)",
    )


def _questions(
    path: Path,
    reps: int,
    seed: int,
    workers: int,
    out_dir: Path | None,
    force: bool,
    set_: list[str] | None,
    engine: str,
) -> None:
    from sim.experiments.backtest.questions import load_questions
    from sim.experiments.backtest.questions_run import run_questions
    from sim.montecarlo.fast.select import resolve_engine
    from sim.montecarlo.runner import process_pool, stopping_on_interrupt
    from sim.writers import folder as io
    from sim.writers.backtest import question_headline, write_questions, written

    check_replications(reps)
    if set_:
        raise UsageError("--set is for rolling backtests; a question sets its overrides in `set:`")
    question_set = load_questions(path)
    # Every scenario checked before any run (a refusal names the part); the
    # engine that actually runs (after a fallback) is the one recorded.
    engines = {resolve_engine(engine, q.scenario) for q in question_set.questions}
    engine = "simpy" if "simpy" in engines else engine
    folder = out_dir or default_folder(f"backtest-{stem_name(path)}")
    with io.reserve(folder, force):
        if workers > 1:
            with stopping_on_interrupt(process_pool(workers)) as pool:
                bt = run_questions(question_set, seed, reps, workers, executor=pool, engine=engine)
        else:
            bt = run_questions(question_set, seed, reps, 1, engine=engine)
        write_questions(bt, folder, force, engine=engine)
    shown = {
        "id": "question",
        "probability": "forecast",
        "lower": "lower",
        "upper": "upper",
        "happened": "happened",
        "brier": "Brier",
        "log_score": "log score",
    }
    out.print(frame_table(bt.scores, "Questions", shown))
    if len(bt.skill):
        out.print(
            frame_table(bt.skill, "Skill (95% bootstrap intervals)", _skill_columns("reference"))
        )
    say(question_headline(bt))
    say(f"wrote {folder}/: {written(folder)}")


def _rolling(
    events: Path | None,
    map_file: Path,
    scenario: Path,
    set_: list[str] | None,
    every: str,
    lead: str,
    refit_window: str | None,
    first: str | None,
    last: str | None,
    trailing: int,
    thresholds: tuple[int, ...],
    reps: int,
    seed: int,
    workers: int,
    resume: bool,
    out_dir: Path | None,
    force: bool,
    progress: bool,
    engine: str,
) -> None:
    from sim.eventdata import read_events
    from sim.experiments.backtest.forecaster import HistoryForecaster, plan_rolling
    from sim.montecarlo.fast.select import resolve_engine
    from sim.writers.backtest import run_rolling, skill_headline, written

    every_days, lead_days = parse_days(every, "--every"), parse_days(lead, "--lead")
    refit_days = parse_days(refit_window, "--refit-window") if refit_window else None
    first_date, last_date = parse_date(first, "--from"), parse_date(last, "--to")
    check_replications(reps)
    s = load(scenario, set_)
    data = read_events(events, map_file)
    engine = resolve_engine(engine, s)  # the engine that runs, recorded in the manifest
    forecaster = HistoryForecaster(s, data, lead_days, reps, seed, refit_days, engine)
    plan = plan_rolling(forecaster, every_days, first_date, last_date, trailing, thresholds)
    folder = out_dir or default_folder(f"backtest-{s.name}")
    command = " ".join(["escsim", *sys.argv[1:]])
    with contextlib.ExitStack() as stack:

        def on_start(done: int, total: int) -> Callable[[], None] | None:
            say(
                f"{s.name}: {total} origins x {reps} replications, lead {lead_days} days, every "
                f"{every_days} days ({done} already done)",
                err,
            )
            tick = stack.enter_context(
                progress_bar(total - done, "origins", progress and sys.stderr.isatty())
            )
            return (lambda: tick(1)) if tick else None

        result = run_rolling(plan, folder, workers, resume, force, on_start, command)
    pooled = result.skill[result.skill["metric"].isin(["log_score", "crps"])]
    pooled = pooled[pooled["event"] == "all"]
    out.print(
        frame_table(
            pooled,
            "Model against each baseline, pooled over event types "
            "(95% moving-block-bootstrap intervals; negative difference = model better)",
            _skill_columns("baseline"),
        )
    )
    for line in skill_headline(result.skill):
        say(line)
    say(
        f"{len(result.origins)} origins of {reps} replications: median "
        f"{result.origins['seconds'].median():.2f} s wall, "
        f"{result.origins['cpu_seconds'].median():.2f} s CPU per origin"
    )
    say(f"wrote {folder}/: {written(folder)}")
