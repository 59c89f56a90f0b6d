"""Calibration outputs: the calibrated scenario file (which `extends` the
original and records the fit), the fit table and the charts."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, cast

import pandas as pd
import yaml
from matplotlib.figure import Figure

from sim.charts import calibrate as calibration_charts
from sim.charts.labels import parameter_label
from sim.charts.style import figure
from sim.errors import UsageError
from sim.experiments.calibrate import CalibrationResult
from sim.scenario.fields import parse_path
from sim.scenario.sources import evidence_table
from sim.writers import folder as io
from sim.writers.report import Chart, Page, Table, write_report


def fit_table(result: CalibrationResult) -> pd.DataFrame:
    """One row per fitted parameter: its path, starting value, estimate and
    95% profile-likelihood bounds (natural scale), as printed and written to
    fit.csv."""
    return cast(
        pd.DataFrame,
        pd.DataFrame(
            {
                "path": result.paths,
                "start": [p.start for p in result.params],
                "estimate": result.estimates,
                "lower_95": [lo for lo, _ in result.intervals],
                "upper_95": [hi for _, hi in result.intervals],
            }
        ),
    )


def fit_note(result: CalibrationResult) -> str:
    """One paragraph recording how the values were fitted (method, windows,
    replications, seed, log-likelihoods, convergence, today's date): written
    into each fitted part's `assumption` and the file header, so the calibrated
    scenario carries its own provenance."""
    parts = [
        f"{p}={v:.4g} [95% profile {lo:.3g}, {hi:.3g}]"
        for p, v, (lo, hi) in zip(result.paths, result.estimates, result.intervals, strict=True)
    ]
    state = "converged" if result.converged else f"NOT CONVERGED ({result.message})"
    windows = len(result.windows)
    return (
        f"Calibrated by escsim calibrate on {dt.date.today()}: {'; '.join(parts)}. "
        f"Simulated maximum likelihood, {result.likelihood} count likelihood over "
        f"{windows} observed window(s), {result.reps} replications per candidate with common "
        f"random numbers (seed {result.seed}); log-likelihood {result.loglik_start:.2f} "
        f"at the start, {result.loglik_fit:.2f} at the fit; {state}."
    )


def calibrated_document(result: CalibrationResult, target: Path, output: Path | None = None) -> str:
    """YAML text of a scenario, to be saved at `target`, that extends the original
    with the fitted values; `output` is the file the calibration wrote (for the
    "Regenerate with" line: the copy in the charts folder names the real one)."""
    origin = result.scenario.origin
    if origin is None:
        raise ValueError("the scenario has no file to extend")
    s = result.scenario
    doc: dict[str, Any] = {
        "extends": os.path.relpath(origin, target.parent),
        "name": f"{s.name}-calibrated",
    }
    observed_sources = sorted(
        {ref for windows in s.observed.values() for obs in windows for ref in obs.sources}
    )
    note = fit_note(result)
    for path, value in zip(result.paths, result.estimates, strict=True):
        loc = parse_path(path)
        section, ident = str(loc[0]), str(loc[1])
        part = doc.setdefault(section, {}).setdefault(ident, {})
        cursor = part
        for key in loc[2:-1]:
            cursor = cursor.setdefault(key, {})
        cursor[loc[-1]] = float(f"{value:.6g}")
        original = getattr(s, section)[ident]
        cited = list(dict.fromkeys([*original.sources, *observed_sources]))
        if cited:
            part["source"] = cited
        part["assumption"] = note + (
            f" Before fitting: {original.assumption.strip()}" if original.assumption else ""
        )
    header = (
        f"# Calibrated variant of {os.path.relpath(origin, target.parent)}.\n"
        f"# {note}\n# Regenerate with: escsim calibrate {os.path.relpath(origin)} "
        f"--fit {','.join(result.paths)} --reps {result.reps} --seed {result.seed} "
        f"--out {os.path.relpath(output or target)}\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def write_calibration(
    result: CalibrationResult, scenario_file: Path, charts_folder: Path, force: bool
) -> list[Path]:
    """Write the calibrated scenario and a folder with the fit table and charts."""
    if scenario_file.exists() and not force:
        raise UsageError(f"{scenario_file} already exists; choose another --out or --force")
    text = calibrated_document(result, scenario_file)
    copy = calibrated_document(result, charts_folder / "calibrated.yaml", scenario_file)
    with io.staged_folder(charts_folder, force) as out:
        io.write_json(
            out / io.MANIFEST,
            io.manifest(
                result.scenario,
                fit=result.paths,
                replications_per_candidate=result.reps,
                seed=result.seed,
                likelihood=result.likelihood,
                evaluations=result.evaluations,
                converged=result.converged,
                calibrated_scenario=str(scenario_file),
            ),
        )
        io.write_table(fit_table(result), out / "fit.csv")
        io.write_table(result.windows, out / "windows.csv")
        io.write_table(result.profile, out / "profile.csv")
        fig, ax = figure()
        calibration_charts.calibration_chart(
            result.windows, f"Calibration of {result.scenario.name}", ax=ax
        )
        io.save_figure(fig, out / "observed_vs_fitted")
        if not result.profile.empty:
            fig = Figure(figsize=(5 * len(result.paths), 3.8), layout="constrained")
            for i, (path, estimate, interval) in enumerate(
                zip(result.paths, result.estimates, result.intervals, strict=True)
            ):
                calibration_charts.profile_chart(
                    result.profile,
                    path,
                    estimate,
                    interval,
                    parameter_label(result.scenario, path),
                    ax=fig.add_subplot(1, len(result.paths), i + 1),
                )
            io.save_figure(fig, out / "profiles")
        io.write_text(out / "calibrated.yaml", copy)
        write_report(calibration_page(result, scenario_file), out)
        io.write_text(scenario_file, text)
    return [scenario_file, charts_folder]


def calibration_page(result: CalibrationResult, scenario_file: Path) -> Page:
    """The report.html page of a calibration: the fitted values with their
    intervals, whether the optimiser converged, the charts (profile chart only
    when profiles were computed), the fit and window tables and the evidence.

    Args:
        result: The finished calibration.
        scenario_file: Where the calibrated scenario was written, named in the
            headline.
    """
    fitted = "; ".join(
        f"{p} = {v:.4g} [{lo:.3g}, {hi:.3g}]"
        for p, v, (lo, hi) in zip(result.paths, result.estimates, result.intervals, strict=True)
    )
    state = "converged" if result.converged else f"did NOT converge ({result.message})"
    charts = [
        Chart(
            "observed_vs_fitted.png",
            "Documented counts against the model before and after fitting (median and 5-95%).",
        )
    ]
    if not result.profile.empty:
        charts.append(
            Chart(
                "profiles.png",
                "Profile deviance of each parameter; the dashed line is the 95% cut-off.",
            )
        )
    return Page(
        kind="calibrate",
        title=f"Calibration of {result.scenario.title or result.scenario.name}",
        question=f"Which values of {', '.join(result.paths)} make the documented counts most "
        "likely under the model?",
        headline=f"Fitted: {fitted}. Log-likelihood {result.loglik_start:.2f} -> "
        f"{result.loglik_fit:.2f}; the optimiser {state}. Written to {scenario_file}.",
        interval_note="Intervals are 95% profile-likelihood intervals (chi-square(1) cut-off "
        f"3.84), from {result.reps} replications per candidate with common random numbers; "
        "the objective itself carries Monte Carlo noise.",
        charts=charts,
        tables=[Table("Fitted parameters", fit_table(result)), Table("Windows", result.windows)],
        evidence=evidence_table(result.scenario),
    )
