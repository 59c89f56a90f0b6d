"""Fit outputs: the results folder of `escsim fit` and the fitted scenario.

The folder holds the estimates with their intervals, the model comparison,
the goodness-of-fit tables (time-rescaling KS and QQ, fitted intensity
against daily counts), the branching matrix, their charts, `report.html`,
a manifest naming every data file with its SHA-256, and `fitted.yaml`: a
scenario whose streams carry the estimates. That scenario `extends` the
scenario given to the fit, or, without one, is a complete scenario of its
own (one actor standing for whoever the data record, one outcome per event
type) that starts the day after the data end, so `escsim run` forecasts
from the information cut-off. Every fitted number's provenance (file,
SHA-256, filter, period, method, interval) is in its stream's `assumption:`
(sim/experiments/fit/scenario_out.py), which `escsim sources` lists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd
import yaml

from sim.charts import fit as fit_charts
from sim.charts.style import figure
from sim.errors import ScenarioError, UsageError
from sim.experiments.fit import FitResult
from sim.scenario.fingerprint import scenario_sha256
from sim.scenario.schema import Scenario
from sim.writers import folder as io
from sim.writers.report import Chart, Page, Table, write_report

FITTED = "fitted.yaml"
FORECAST_DAYS = 30
"""Horizon of a scenario written without a base: a month from the data's end."""


@dataclass(frozen=True)
class FitJob:
    """What the fit was asked to do, beside the result: for the manifest, the
    fitted scenario's header and the report."""

    map_file: Path
    command: str
    """The command line that regenerates this output."""
    scenario: Scenario | None = None
    """The scenario the fitted one extends (None: a new scenario)."""
    scenario_out: Path | None = None
    """Where the fitted scenario is written besides the folder's copy."""
    rate_pieces: int = 1


def _sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _label(event: str) -> str:
    return event.replace("_", " ")


def _interval(row: Any, digits: int = 2) -> str:
    if pd.isna(row["lower"]):
        return f"{row['estimate']:.{digits}f} ({row['note']})"
    return f"{row['estimate']:.{digits}f} [{row['lower']:.{digits}f}, {row['upper']:.{digits}f}]"


def ks_failures(fit: FitResult) -> list[str]:
    """The event types whose time-rescaling KS test rejects the fit at 5%."""
    ks = fit.gof.ks
    return [str(e) for e in ks.loc[~ks["passed"], "event"]]


def headline(fit: FitResult) -> str:
    """Per event type, its self-excitation and KS result, in words, e.g.
    'ied attack: branching 0.53 [0.45, 0.60], decay 1.0 days; KS p = 0.2'."""
    table = fit.table()
    ks = fit.gof.ks.set_index("event")
    parts = []
    for event in fit.events:
        rows = table[table["event"] == event].set_index("parameter")
        own = f"streams.{event}.self_excitation"
        p_value = float(fit.gof.ks.loc[fit.gof.ks["event"] == event, "p_value"].iloc[0])
        verdict = (
            "" if ks.loc[event, "passed"] else " (fails: the fit does not describe these data)"
        )
        if f"{own}.branching" in rows.index:
            branching = rows.loc[f"{own}.branching"]
            decay = rows.loc[f"{own}.decay_days"]
            text = f"branching {_interval(branching)}"
            text += (
                f", decay {_interval(decay, 1)} days"
                if pd.notna(decay["lower"])
                else " (no self-excitation detected)"
            )
        else:
            text = "Poisson (no excitation fitted)"
        crossing = [
            f"excited by {_label(row['source'])} {_interval(row)}"
            for _, row in table[
                (table["kind"] == "branching")
                & (table["event"] == event)
                & (table["source"] != event)
            ].iterrows()
            if row["lower"] > 0
        ]
        text += "".join(f"; {c}" for c in crossing)
        parts.append(f"{_label(event)}: {text}; KS p = {p_value:.2g}{verdict}")
    return (
        f"{'. '.join(parts)}. Fitted with {fit.label} over {fit.data.start}..{fit.data.end}; "
        f"log-likelihood {fit.loglik:.1f}, AIC {fit.aic:.1f}"
        + ("" if fit.converged else "; the optimiser did NOT converge (best point kept)")
        + "."
    )


def comparison_frame(fit: FitResult) -> pd.DataFrame:
    """The model comparison, columns in reading order."""
    columns = [
        "model",
        "n_params",
        "loglik",
        "aic",
        "delta_aic",
        "vs_excitation",
        "lr_excitation",
        "df_excitation",
        "p_excitation",
        "vs_baseline",
        "lr_baseline",
        "df_baseline",
        "p_baseline",
        "converged",
    ]
    return cast(pd.DataFrame, fit.comparison()[columns])


def branching_frame(fit: FitResult) -> pd.DataFrame:
    """The branching matrix (target rows, source columns) as a flat table for the CSV."""
    return cast(pd.DataFrame, fit.branching_matrix().reset_index())


def _last_days_count(fit: FitResult, event: str, days: int) -> int:
    counts = fit.data.daily_counts(event)
    return int(counts[-days:].sum())


def map_name(map_file: Path) -> str:
    """An id from the map's file name (letters, digits, -, _, . inside)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", map_file.stem).strip(".-") or "data"


def standalone_content(fit: FitResult, name: str) -> dict[str, Any]:
    """A complete scenario around the fitted streams when no base was given:
    one actor for whoever the data record, a two-rung ladder, and per event
    type the outcome 'at least as many as in the data's last 30 days'. It
    starts the day after the data end and runs 30 days."""
    streams = fit.to_scenario()["streams"]
    outcomes = {}
    for event in fit.events:
        last = max(1, _last_days_count(fit, event, FORECAST_DAYS))
        outcomes[f"{event}_as_many_as_last_30_days"] = {
            "event": event,
            "count_at_least": last,
            "label": f"at least {last} {_label(event)} in 30 days (as many as the data's last 30)",
        }
    start = fit.data.end + dt.timedelta(days=1)
    return {
        "name": name,
        "title": f"Streams fitted to {fit.data.map_file or 'event data'}",
        "description": (
            f"How many events of each type in the {FORECAST_DAYS} days after the data end "
            f"({fit.data.end}), if the fitted streams go on as fitted? Replications start "
            "with no history: excitation by events before the start is left out."
        ),
        "start_date": start.isoformat(),
        "horizon_days": FORECAST_DAYS,
        "actors": {"recorded": {"name": "the actors the event data record", "kind": "other"}},
        "ladder": ["calm", "active"],
        "events": {e: {"actor": "recorded", "rung": 1, "label": _label(e)} for e in fit.events},
        "streams": streams,
        "outcomes": outcomes,
    }


def _comment(text: str) -> str:
    return "\n".join(
        "# " + line if line else "#"
        for paragraph in text.split("\n")
        for line in (textwrap.wrap(paragraph, 94) or [""])
    )


WRITTEN_BY = "Written by escsim fit; do not edit by hand: regenerate it."
"""The sentence every fitted scenario's header carries (`scenario_text`): how
`--force` tells a file escsim wrote from one a person wrote."""


def is_fitted_file(path: Path) -> bool:
    """Whether `path` is a fitted scenario escsim wrote: a regular file whose
    opening comment (its first lines, unwrapped) carries `WRITTEN_BY`."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            opening = [lines.readline(2**12) for _ in range(4)]
    except OSError:
        return False
    words = " ".join(line.removeprefix("#").strip() for line in opening if line.startswith("#"))
    return WRITTEN_BY in words


def scenario_text(fit: FitResult, job: FitJob, target: Path) -> str:
    """The fitted scenario's YAML, to be saved at `target`, with a header
    saying what it is, where its numbers come from and how to regenerate it."""
    base = job.scenario
    if base is not None:
        origin = base.origin
        extends = os.path.relpath(origin, target.parent) if origin is not None else None
        content = fit.to_scenario(
            scenario=base, extends=extends, name=f"{base.name}-fitted", rate_pieces=job.rate_pieces
        )
        question = (base.description or base.title or base.name).strip()
        what = f"The scenario {extends} with its streams fitted to event data."
    else:
        content = standalone_content(fit, f"{map_name(job.map_file)}-fitted")
        question = content["description"]
        what = "A scenario around streams fitted to event data."
    files = sorted(
        {f"{f.path} (sha256 {f.sha256})" for e, f in fit.data.files.items() if e in fit.events}
    )
    header = "\n".join(
        [
            f"{what} {WRITTEN_BY}",
            "",
            f"Question: {question}",
            "",
            f"Numbers: every stream's rate and kernels are maximum-likelihood estimates "
            f"({fit.label}) from {'; '.join(files)} through the map {job.map_file}, period "
            f"{fit.data.start}..{fit.data.end}. Each stream's assumption gives its filter, the "
            "method and every 95% interval; `escsim sources` lists them.",
            "",
            f"Information cut-off: {fit.data.end} (the end of the fitted period). "
            "Replications start with no history: excitation by events before start_date is "
            "left out, so early days are, if anything, too quiet.",
            "",
            f"Regenerate with: {job.command}",
        ]
    )
    body = yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=100)
    return _comment(header) + "\n" + body


def check_scenario(path: Path) -> list[str]:
    """Problems loading a written scenario (empty when it validates)."""
    from sim.scenario import load_scenario

    try:
        load_scenario(path)
    except (ScenarioError, UsageError) as exc:
        return [f"the fitted scenario does not validate: {exc}"]
    return []


def fit_manifest(fit: FitResult, job: FitJob, folder: Path) -> dict[str, Any]:
    """What is needed to reproduce the fit: data files with their SHA-256, the
    map, the period, the spec, the scenario extended, versions."""
    spec = fit.spec
    files: dict[str, dict[str, Any]] = {}
    for event in fit.events:
        f = fit.data.files[event]
        files.setdefault(f.path, {"path": f.path, "sha256": f.sha256, "rows": f.rows, "events": []})
        files[f.path]["events"].append(event)
    base = job.scenario
    return {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": job.command,
        "data": list(files.values()),
        "map": {"file": str(job.map_file), "sha256": _sha256(job.map_file)},
        "period": {"from": fit.data.start, "to": fit.data.end, "days": fit.data.period_days},
        "day_resolution": fit.data.day_resolution,
        "events": {
            e: {
                "filter": fit.data.filters[e],
                "rows_matched": fit.data.rows_matched[e],
                "rows_in_period": fit.data.rows_in_period[e],
            }
            for e in fit.events
        },
        "spec": {
            "excitation": spec.excitation_name,
            "kernels": [list(pair) for pair in spec.kernel_pairs(fit.data)],
            "baseline": spec.baseline_name,
            "decay_bounds_days": list(spec.decay_bounds(fit.data)),
            "jitter_seed": spec.jitter_seed,
            "intervals": spec.intervals,
            "max_iterations": spec.max_iterations,
        },
        "result": {
            "converged": fit.converged,
            "message": fit.message,
            "loglik": fit.loglik,
            "aic": fit.aic,
            "n_params": fit.n_params,
            "seconds": fit.seconds,
            "warnings": list(fit.warnings),
        },
        "scenario": None
        if base is None
        else {
            "name": base.name,
            "file": str(base.origin) if base.origin else None,
            "file_sha256": _sha256(base.origin) if base.origin else None,
            "resolved_sha256": scenario_sha256(base),
        },
        "fitted_scenario": [str(p) for p in (folder / FITTED, job.scenario_out) if p is not None],
        "versions": io.versions(),
        "git": io.git_commit(Path(__file__).resolve().parent),
        "platform": platform.platform(),
    }


def _charts(fit: FitResult, out: Path) -> list[Chart]:
    charts = []
    fig, ax = figure((6.0, 5.4))
    fit_charts.qq_chart(fit.gof.qq, fit.gof.ks, ax=ax)
    io.save_figure(fig, out / "qq")
    charts.append(
        Chart(
            "qq.png",
            "Time-rescaled gaps against Exp(1) quantiles, per event type: on the diagonal the "
            "model explains the timing; above it at the right, more long quiet gaps than it "
            "predicts. The KS p-values are in the title.",
        )
    )
    for event in fit.events:
        fig, ax = figure((9.0, 4.2))
        fit_charts.intensity_chart(fit.gof.daily, event, ax=ax)
        name = f"intensity_{event}"
        io.save_figure(fig, out / name)
        charts.append(
            Chart(
                f"{name}.png",
                f"{_label(event)}: events per day (bars) and the fitted expected count per day "
                "given the past (line).",
            )
        )
    if (fit.table()["kind"] == "branching").any():
        size = len(fit.events)
        fig, ax = figure((1.6 * size + 3.0, 1.4 * size + 2.0))
        fit_charts.branching_chart(fit.table(), ax=ax)
        io.save_figure(fig, out / "branching")
        charts.append(
            Chart(
                "branching.png",
                "Branching matrix: expected direct offspring in the row's stream of one event "
                "of the column's type, with its 95% interval; blank cells were not fitted.",
            )
        )
    return charts


def fit_page(fit: FitResult, job: FitJob, charts: list[Chart], written: list[str]) -> Page:
    """The report page of a fit: comparison, estimates, checks, charts, and notes
    on what the fitted scenario is and where its numbers can mislead."""
    failing = ks_failures(fit)
    notes = [
        f"The fitted scenario is {', '.join(written)}; it runs with `escsim run`.",
        "A constant baseline fitted to a background that drifts over months pushes the "
        "branching towards 1 (Lewis et al. 2012); compare the constant and monthly rows of the "
        "model comparison.",
    ]
    if fit.data.day_resolution:
        low, _ = fit.spec.decay_bounds(fit.data)
        notes.append(
            "The dates are days: events were placed uniformly within their day (seed "
            f"{fit.spec.jitter_seed}) and decays held at {low:g} day or more, since faster "
            "excitation cannot be resolved from dates (docs/eventdata.md)."
        )
    warnings = list(fit.warnings) + [
        f"the KS test fails for {event}: the fit does not describe these data" for event in failing
    ]
    events = ", ".join(_label(e) for e in fit.events)
    return Page(
        kind="fit",
        title=f"Stream fit: {events}",
        question=f"How strongly do {events} excite themselves"
        + (" and each other" if len(fit.events) > 1 else "")
        + f", and does a self-exciting stream describe their timing, {fit.data.start} to "
        f"{fit.data.end}?",
        headline=headline(fit),
        interval_note="Intervals are 95%: baselines by observed information on the log scale; "
        + (
            "branchings and decays by profile likelihood (the 3.84 cut of twice the "
            "log-likelihood drop), which stays right at the boundary 0."
            if fit.spec.intervals == "profile"
            else "branchings and decays by observed information (Wald)."
        ),
        charts=charts,
        tables=[
            Table("Estimates", fit.table()),
            Table(
                "Model comparison",
                comparison_frame(fit),
                "Likelihood-ratio tests against the next simpler excitation (same baseline) and "
                "against a constant baseline; chi-square p-values are conservative when a "
                "branching is tested at 0 (Self & Liang 1987).",
            ),
            Table("Time-rescaling KS test", fit.gof.ks),
            Table("Branching matrix (target row, source column)", branching_frame(fit)),
        ],
        warnings=warnings,
        notes=notes,
    )


def write_fit(fit: FitResult, folder: Path, force: bool, job: FitJob) -> list[str]:
    """Write the results folder (and `job.scenario_out`, if given); returns
    problems found loading the fitted scenario (none expected)."""
    target = job.scenario_out
    if target is not None and target.exists() and not force:
        raise UsageError(f"{target} already exists; choose another --scenario-out or --force")
    with io.staged_folder(folder, force) as out:
        io.write_table(fit.table(), out / "estimates.csv")
        io.write_table(comparison_frame(fit), out / "comparison.csv")
        io.write_table(fit.gof.ks, out / "gof_ks.csv")
        io.write_table(fit.gof.qq, out / "qq.csv")
        io.write_table(fit.gof.daily, out / "intensity_by_day.csv")
        io.write_table(branching_frame(fit), out / "branching.csv")
        charts = _charts(fit, out)
        io.write_text(out / FITTED, scenario_text(fit, job, folder / FITTED))
        problems = check_scenario(out / FITTED)
        io.write_json(out / io.MANIFEST, fit_manifest(fit, job, folder))
        written = [str(folder / FITTED)] + ([str(target)] if target is not None else [])
        write_report(fit_page(fit, job, charts, written), out)
        if target is not None:
            io.make_parent(target)
            io.write_text(target, scenario_text(fit, job, target))
    return problems
