"""A backtest's folder: scores, skill against the baselines, calibration charts.

Two kinds (docs/questions.md):

- a question set (`write_questions`): written at once through
  `folder.staged_folder`, so it is complete or absent;
- a rolling-origin backtest (`run_rolling`): each origin's forecast and
  scores are written to `origins/<date>.json` the moment the origin is done
  (under a temporary name, then renamed, as the sweep's points), so a
  backtest killed at any moment leaves only whole origins and `--resume`
  runs the rest; the table is always built from those files, in origin
  order, so a resumed backtest gives the uninterrupted one's table exactly.
  The folder holds `backtest.json` (what a resume must match) and a
  manifest from its start, so `--force` recognises it as escsim's.

Both end with `scores.parquet` (one row per question, or per forecaster x
origin x event type), `skill.csv`, `summary.json`, charts, `manifest.json`
and `report.html`.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.charts.style import figure
from sim.errors import UsageError
from sim.experiments.backtest.forecaster import OriginForecast, RollingPlan, run_origins
from sim.experiments.backtest.questions_run import QuestionBacktest
from sim.experiments.backtest.rolling import RollingScores
from sim.writers import folder as io
from sim.writers.report import Chart, Page, Table, write_report

RECORD = "backtest.json"
ORIGINS = "origins"
BASELINE_WORDS = {
    "poisson": "trailing Poisson",
    "negbin": "trailing negative binomial",
    "persistence": "persistence",
    "coin": "a coin (0.5)",
    "base_rate": "the stated base rate",
    "leave_one_out": "the leave-one-out base rate",
}
METRIC_WORDS = {"log_score": "log score", "crps": "CRPS", "brier": "Brier score"}


def written(folder: Path) -> str:
    """What a finished backtest folder holds, report first, for the "wrote"
    line: read from the folder itself, so the line can never omit a file the
    writer added (a folder shows as `name/ (N files)`)."""
    entries = sorted(
        (p for p in folder.iterdir() if not p.name.startswith(".")),
        key=lambda p: (p.name != "report.html", p.is_dir(), p.name),
    )
    return ", ".join(
        f"{p.name}/ ({sum(1 for f in p.iterdir() if not f.name.startswith('.'))} files)"
        if p.is_dir()
        else p.name
        for p in entries
    )


def _charts_close(fig: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


# --- question sets ------------------------------------------------------------------------


def question_headline(bt: QuestionBacktest) -> str:
    """The skill against each reference in words, log score first."""
    parts = []
    for row in bt.skill.sort_values(["metric", "reference"], ascending=[False, True]).itertuples():
        parts.append(
            f"model vs {BASELINE_WORDS[str(row.reference)]}, "
            f"{METRIC_WORDS[str(row.metric)]}: {row.difference:+.3f} "
            f"[{row.difference_lower:+.3f}, {row.difference_upper:+.3f}] per question "
            f"(skill {row.skill:+.2f} [{row.skill_lower:+.2f}, {row.skill_upper:+.2f}])"
        )
    scored = f"{len(bt.scores)} question(s), {int(bt.scores['happened'].sum())} happened"
    if not parts:
        return f"{scored}; too few for skill intervals."
    return f"{scored}. " + "; ".join(parts) + " (negative difference = model better)."


def questions_page(bt: QuestionBacktest) -> Page:
    """report.html of a question set: skill against each baseline in words."""
    scores = bt.scores[
        [
            *("id", "outcome", "window_from", "window_to", "probability", "lower", "upper"),
            *("happened", "brier", "log_score"),
        ]
    ]
    left_out = pd.DataFrame([{"id": x.id, "reason": x.reason} for x in bt.question_set.left_out])
    tables = [Table("Questions", scores), Table("Skill against the references", bt.skill)]
    if len(left_out):
        tables.append(Table("Candidates left out, and why", left_out))
    return Page(
        kind="backtest",
        title=f"Resolved questions: {bt.question_set.path.name}",
        question="How good were the model's forecasts of questions whose answers are now "
        "known, by proper scores, against simple references?",
        headline=question_headline(bt),
        interval_note="Each forecast's interval is a 95% Wilson interval for Monte Carlo "
        "noise; skill intervals are 95% percentile intervals of a bootstrap over questions.",
        charts=[
            Chart("reliability.png", "Forecast probability against observed frequency."),
            Chart("sharpness.png", "How many forecasts fall in each probability bin."),
        ],
        tables=tables,
    )


def write_questions(bt: QuestionBacktest, folder: Path, force: bool = False, **facts: Any) -> Path:
    """Write a scored question set atomically."""
    first = bt.question_set.questions[0].scenario
    with io.staged_folder(folder, force) as staging:
        io.write_json(
            staging / io.MANIFEST,
            io.manifest(
                first,
                questions_file=str(bt.question_set.path),
                seed=bt.seed,
                replications=bt.replications,
                scenarios=sorted({str(q.scenario_file) for q in bt.question_set.questions}),
                **facts,
            ),
        )
        io.write_table(bt.scores, staging / "scores.parquet")
        io.write_table(bt.scores, staging / "scores.csv")
        io.write_table(bt.skill, staging / "skill.csv")
        io.write_json(staging / "summary.json", bt.summary)
        io.write_table(bt.reliability(), staging / "reliability.csv")
        for name, draw in (("reliability", bt.plot_reliability), ("sharpness", bt.plot_sharpness)):
            fig, ax = figure((6.4, 6.0) if name == "reliability" else (6.4, 3.6))
            draw(ax=ax)
            io.save_figure(fig, staging / name)
            _charts_close(fig)
        write_report(questions_page(bt), staging)
    return folder


# --- rolling-origin backtests ---------------------------------------------------------------


@dataclass(frozen=True)
class RollingResult:
    """A finished rolling backtest: its scores, skill and per-origin facts."""

    plan: RollingPlan
    folder: Path
    scores: RollingScores
    skill: pd.DataFrame
    """`RollingScores.differences()`: per metric, baseline and event type (and `all`)."""
    origins: pd.DataFrame
    """One row per origin: seed, seconds, history used, fitted values."""


def _fingerprint_changes(began: dict[str, Any], now: dict[str, Any]) -> list[str]:
    return [
        f"{key}: {json.dumps(began.get(key))} -> {json.dumps(now.get(key))}"
        for key in sorted(set(began) | set(now))
        if began.get(key) != now.get(key)
    ]


def prepare_folder(plan: RollingPlan, folder: Path, resume: bool, force: bool) -> set[str]:
    """Create or reopen the backtest folder (inside its reservation);
    returns the origins already done."""
    fingerprint = json.loads(json.dumps(plan.fingerprint()))
    record = folder / RECORD
    if resume:
        began = json.loads(record.read_text(encoding="utf-8"))
        changes = _fingerprint_changes(began, fingerprint)
        if changes:
            raise UsageError(
                "the backtest changed since it began, so its origins would not match; "
                "refusing to resume:\n  " + "\n  ".join(changes) + f"\nRun it afresh with "
                f"--force (discarding {folder}) or restore its inputs."
            )
        for leftover in (folder / ORIGINS).glob(".*.partial-*"):
            leftover.unlink()  # an origin killed mid-write: it is run again
        for leftover in folder.glob(".*.partial-*"):
            leftover.unlink()
        return {p.stem for p in (folder / ORIGINS).glob(io.FINISHED_JSON)}
    if folder.exists():
        shutil.rmtree(folder)  # `reserve` allowed it: an escsim folder and --force
    (folder / ORIGINS).mkdir(parents=True)
    io.write_json(
        folder / io.MANIFEST,
        io.manifest(plan.forecaster.scenario, status="running: origins being written"),
    )
    io.write_json(record, fingerprint)
    return set()


def check_resumable(folder: Path, resume: bool) -> None:
    """Refuse a resume with nothing to resume, before anything is reserved."""
    if not resume:
        return
    if not folder.exists():
        raise UsageError(f"nothing to resume: {folder} does not exist")
    if not folder.is_dir() or not (folder / RECORD).is_file():
        raise UsageError(f"{folder} is not a rolling backtest folder (no {RECORD}); cannot resume")


def origin_record(plan: RollingPlan, forecast: OriginForecast) -> dict[str, Any]:
    """What is kept of one origin: its draws, its scores and how it was made."""
    rows = plan.score(forecast)
    rows["origin"] = rows["origin"].map(str)
    return {
        "origin": str(forecast.origin),
        "seed": forecast.seed,
        "seconds": forecast.seconds,
        "cpu_seconds": forecast.cpu_seconds,
        "history_from": str(forecast.history_from),
        "history_events": forecast.history_events,
        "fit": forecast.fit,
        "draws": {e: np.asarray(d).tolist() for e, d in forecast.draws.items()},
        "rows": rows.to_dict(orient="records"),
    }


def write_origin(folder: Path, record: dict[str, Any]) -> None:
    """One finished origin, atomically (Python's JSON floats read back exactly)."""
    io.write_text(folder / ORIGINS / f"{record['origin']}.json", json.dumps(record))


def collect(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(score table, per-origin facts) from the origin files, in origin order."""
    records = [json.loads(p.read_text()) for p in sorted((folder / ORIGINS).glob(io.FINISHED_JSON))]
    rows = [row for r in records for row in r["rows"]]
    table = pd.DataFrame(rows)
    table["origin"] = [dt.date.fromisoformat(o) for o in table["origin"]]
    facts = pd.DataFrame(
        [
            {
                "origin": dt.date.fromisoformat(r["origin"]),
                "seed": r["seed"],
                "seconds": r["seconds"],
                "cpu_seconds": r["cpu_seconds"],
                "history_from": r["history_from"],
                "history_events": r["history_events"],
                **r["fit"],
            }
            for r in records
        ]
    )
    return table, facts


def skill_headline(skill: pd.DataFrame, metric: str = "log_score") -> list[str]:
    """One sentence per baseline: the pooled mean score difference with its interval."""
    pooled = skill[(skill["metric"] == metric) & (skill["event"] == "all")]
    return [
        f"model vs {BASELINE_WORDS[str(r.baseline)]}, {METRIC_WORDS[metric]}: "
        f"{r.difference:+.3g} [{r.difference_lower:+.3g}, {r.difference_upper:+.3g}] per window "
        f"and event type (negative = model better; skill {r.skill:+.2f} "
        f"[{r.skill_lower:+.2f}, {r.skill_upper:+.2f}])"
        for r in pooled.itertuples()
    ]


def rolling_page(result: RollingResult) -> Page:
    """report.html of a rolling backtest: skill against each baseline in words."""
    plan, scores = result.plan, result.scores
    f = plan.forecaster
    events = list(f.data.events)
    origins = scores.origins()
    how = (
        f"refitted on the {f.refit_days} days before each origin"
        if f.refit_days
        else "with the scenario's own streams"
    )
    charts = [
        Chart(f"fan_{e}.png", f"{e}: the model's forecasts against what happened.") for e in events
    ] + [
        Chart(f"pit_{e}.png", f"{e}: PIT histogram of the model (flat = calibrated).")
        for e in events
    ]
    pooled = result.skill[result.skill["event"] == "all"]
    return Page(
        kind="backtest",
        title=f"Rolling backtest: {f.scenario.title or f.scenario.name}",
        question=f"At {len(origins)} origins from {origins[0]} to {origins[-1]} (every "
        f"{plan.every_days} days), how well did the model, conditioned on the events before "
        f"each origin and {how}, forecast each event type's count in the next "
        f"{plan.lead_days} days, against the trailing Poisson, negative binomial and "
        "persistence baselines on the same windows?",
        headline="; ".join(skill_headline(result.skill)) + ".",
        interval_note=f"Intervals: 95% moving-block-bootstrap intervals over origins (blocks of "
        f"{scores.block()} origins, all event types of an origin together), for serial "
        "correlation. Scores are per window and event type; lower is better.",
        charts=charts,
        tables=[
            Table("Skill pooled over event types", pooled),
            Table("Skill per event type", result.skill[result.skill["event"] != "all"]),
            Table("PIT uniformity (chi-square; a screen when windows overlap)", scores.pit_tests()),
            Table("Origins", result.origins),
        ],
        notes=[
            f"{f.reps} replications per origin; seed {f.seed}, each origin's seed derived "
            "from (seed, origin) alone.",
            "An event type with no rows in a lead window is scored as a count of zero "
            "(days inside the data with no events count as zero).",
        ],
    )


def finalise(result: RollingResult, wall_seconds: float, workers: int, command: str) -> None:
    """Write the table, summary, charts, manifest and report of a finished
    rolling backtest (the origins are already on disk)."""
    folder, plan = result.folder, result.plan
    f = plan.forecaster
    io.write_table(result.scores.scores, folder / "scores.parquet")
    io.write_table(result.skill, folder / "skill.csv")
    io.write_table(result.scores.pit_tests(), folder / "pit.csv")
    io.write_table(result.origins, folder / "origins.csv")
    summary = result.scores.summary(seed=f.seed, differences=result.skill)
    summary["headline"] = skill_headline(result.skill)
    summary["replications"] = f.reps
    summary["refit_days"] = f.refit_days
    summary["seconds_per_origin_median"] = float(statistics.median(result.origins["seconds"]))
    summary["cpu_seconds_per_origin_median"] = float(
        statistics.median(result.origins["cpu_seconds"])
    )
    summary["command"] = command
    io.write_json(folder / "summary.json", summary)
    for event in f.data.events:
        fig, ax = figure()
        result.scores.plot_fan(event, ax=ax)
        io.save_figure(fig, folder / f"fan_{event}")
        _charts_close(fig)
        fig, ax = figure((6.4, 4.0))
        result.scores.plot_pit(event, ax=ax)
        io.save_figure(fig, folder / f"pit_{event}")
        _charts_close(fig)
    io.write_json(
        folder / io.MANIFEST,
        io.manifest(
            f.scenario,
            map_file=f.data.map_file,
            data_files={e: {"path": d.path, "sha256": d.sha256} for e, d in f.data.files.items()},
            origins=len(result.scores.origins()),
            lead_days=plan.lead_days,
            every_days=plan.every_days,
            replications_per_origin=f.reps,
            seed=f.seed,
            refit_days=f.refit_days,
            engine=f.engine,
            workers=workers,
            wall_seconds=round(wall_seconds, 3),
        ),
    )
    write_report(rolling_page(result), folder)


def run_rolling(
    plan: RollingPlan,
    folder: Path,
    workers: int = 2,
    resume: bool = False,
    force: bool = False,
    on_start: Callable[[int, int], Callable[[], None] | None] | None = None,
    command: str = "",
) -> RollingResult:
    """Run (or resume) a rolling backtest into `folder` and write its results.

    `on_start(done, total)` is told how many origins were already done and
    may return a function called as each further origin is written.
    """
    check_resumable(folder, resume)
    started = time.perf_counter()
    with io.reserve(folder, force or resume):
        done = prepare_folder(plan, folder, resume, force)
        todo = [o for o in plan.origins if str(o) not in done]
        tick = on_start(len(plan.origins) - len(todo), len(plan.origins)) if on_start else None

        def on_origin(forecast: OriginForecast) -> None:
            write_origin(folder, origin_record(plan, forecast))
            if tick:
                tick()

        run_origins(plan.forecaster, todo, workers, on_origin)
        table, facts = collect(folder)
        scores = plan.scores(table)
        result = RollingResult(
            plan, folder, scores, scores.differences(seed=plan.forecaster.seed), facts
        )
        finalise(result, time.perf_counter() - started, workers, command)
    return result
