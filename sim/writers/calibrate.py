"""Calibration outputs: the calibrated scenario file (which `extends` the
original and records the fit), the fit table, summary.json and the charts.

With `--posterior`, the draws go to `posterior.csv` in the results folder
(one column per fitted path, rows drawn jointly) and both calibrated scenario
files give each fitted parameter as `{samples: <that file>, column: <path>}`,
so `escsim run` on them carries the fit's uncertainty (docs/MODEL.md,
Uncertain parameters); the nominal value is then the posterior median."""

from __future__ import annotations

import datetime as dt
import math
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
from sim.experiments.calibrate import NOISE_SEEDS, CalibrationResult
from sim.experiments.posterior import Posterior
from sim.scenario.fields import parse_path
from sim.scenario.loader import extends_chain
from sim.scenario.sources import evidence_table
from sim.writers import folder as io
from sim.writers.report import Chart, Page, Table, write_report

POSTERIOR_FILE = "posterior.csv"
HEADER = "# Calibrated variant of "
"""First line of every calibrated scenario file escsim writes (its second is
`NOTE_LINE` and the fit's note): how `--force` tells such a file from one a
user wrote, which it never replaces."""
NOTE_LINE = "# Calibrated by escsim calibrate on "
"""How the second line (the fit's note, `fit_note`) opens."""


def is_calibrated_file(path: Path) -> bool:
    """Whether `path` is a calibrated scenario escsim wrote: a regular file
    opening with `HEADER` and `NOTE_LINE` (only its first two lines are read,
    so a large or binary file costs nothing)."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            first, second = lines.readline(2**12), lines.readline(2**16)
    except OSError:
        return False
    return first.startswith(HEADER) and second.startswith(NOTE_LINE)


def check_calibrated_target(target: Path, scenario_file: Path, force: bool) -> None:
    """Refuse to write the calibrated scenario over a file it must not replace:
    the scenario being calibrated or any file it extends (even with `force`:
    the original would be lost and the result would extend itself), an
    existing file without `force`, and with `force` anything but a calibrated
    scenario escsim wrote (`is_calibrated_file`).

    Raises:
        UsageError: naming the file and why.
    """
    if not os.path.lexists(target):
        return
    chain = extends_chain(scenario_file)
    read = [k for k, p in enumerate(chain) if _same_file(target, p)]
    if read:
        what = "the scenario being calibrated" if read[0] == 0 else "a file the scenario extends"
        raise UsageError(
            f"--out {target} is {what}; the calibrated scenario extends it, so it is "
            "never replaced (not even with --force): choose another --out"
        )
    if not force:
        raise UsageError(f"{target} already exists; choose another --out or pass --force")
    if not is_calibrated_file(target):
        raise UsageError(
            f"{target} exists and is not a calibrated scenario escsim wrote (it does not "
            f"open with {HEADER.strip()!r}); --force replaces only those: choose another --out"
        )


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (through symbolic or hard links too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def fit_table(result: CalibrationResult, posterior: Posterior | None = None) -> pd.DataFrame:
    """One row per fitted parameter: its path, starting value, estimate and
    95% profile-likelihood bounds (natural scale), and with a posterior its
    median, 90% credible interval, autocorrelation time and effective sample
    size; as printed and written to fit.csv."""
    table = pd.DataFrame(
        {
            "path": result.paths,
            "start": [p.start for p in result.params],
            "estimate": result.estimates,
            "lower_95": [lo for lo, _ in result.intervals],
            "upper_95": [hi for _, hi in result.intervals],
        }
    )
    if posterior is not None:
        extra = posterior.table().rename(columns={"median": "posterior_median"})
        table = table.merge(extra, on="path", how="left")
    return cast(pd.DataFrame, table)


def noise_text(result: CalibrationResult) -> str:
    """The log-likelihood's gain with the objective's Monte Carlo noise beside it."""
    gain = result.loglik_fit - result.loglik_start
    if not math.isfinite(result.loglik_noise_sd):
        return f"gain {gain:.2f}"
    return (
        f"gain {gain:.2f}; Monte Carlo sd of the log-likelihood at the fit "
        f"{result.loglik_noise_sd:.2f} over {NOISE_SEEDS} independent seeds"
    )


def posterior_text(posterior: Posterior) -> str:
    """How the draws were made and how good they are, in one sentence."""
    s = posterior.settings
    ess = ", ".join(f"{e:.0f}" for e in posterior.ess)
    return (
        f"Posterior by emcee's ensemble sampler (differential-evolution moves) on the same "
        "synthetic likelihood: "
        f"{s.walkers} walkers x {s.steps} steps ({s.burn_in} burn-in, thinned by "
        f"{posterior.thin}), {len(posterior.draws)} draws in {POSTERIOR_FILE}; acceptance "
        f"{posterior.acceptance.mean():.2f}, autocorrelation time "
        f"{', '.join(f'{t:.1f}' for t in posterior.tau)} steps, effective sample size {ess}; "
        f"prior: {'; '.join(posterior.prior)}."
    )


def fit_note(result: CalibrationResult, posterior: Posterior | None = None) -> str:
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
    note = (
        f"Calibrated by escsim calibrate on {dt.date.today()}: {'; '.join(parts)}. "
        f"Simulated maximum likelihood, {result.likelihood} count likelihood over "
        f"{windows} observed window(s), {result.reps} replications per candidate with common "
        f"random numbers (seed {result.seed}); log-likelihood {result.loglik_start:.2f} "
        f"at the start, {result.loglik_fit:.2f} at the fit ({noise_text(result)}); {state}."
    )
    if posterior is None:
        return note
    medians = posterior.table()
    intervals = "; ".join(
        f"{r.path} median {r.median:.4g} [90% {r.lower_90:.3g}, {r.upper_90:.3g}]"
        for r in medians.itertuples()
    )
    return f"{note} {posterior_text(posterior)} Posterior: {intervals}."


def calibrated_document(
    result: CalibrationResult,
    target: Path,
    output: Path | None = None,
    draws: Path | None = None,
    posterior: Posterior | None = None,
) -> str:
    """YAML text of a scenario, to be saved at `target`, that extends the original
    with the fitted values; `output` is the file the calibration wrote (for the
    "Regenerate with" line: the copy in the charts folder names the real one).
    With a `posterior`, each fitted value is `{samples: <draws, relative to
    target>, column: <path>}` instead of the point estimate."""
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
    note = fit_note(result, posterior)
    for path, value in zip(result.paths, result.estimates, strict=True):
        loc = parse_path(path)
        section, ident = str(loc[0]), str(loc[1])
        part = doc.setdefault(section, {}).setdefault(ident, {})
        cursor = part
        for key in loc[2:-1]:
            cursor = cursor.setdefault(key, {})
        cursor[loc[-1]] = (
            {"samples": os.path.relpath(draws, target.parent), "column": path}
            if posterior is not None and draws is not None
            else float(f"{value:.6g}")
        )
        original = getattr(s, section)[ident]
        cited = list(dict.fromkeys([*original.sources, *observed_sources]))
        if cited:
            part["source"] = cited
        part["assumption"] = note + (
            f" Before fitting: {original.assumption.strip()}" if original.assumption else ""
        )
    header = (
        f"{HEADER}{os.path.relpath(origin, target.parent)}.\n"
        f"# {note}\n# Regenerate with: escsim calibrate {os.path.relpath(origin)} "
        f"--fit {','.join(result.paths)} --reps {result.reps} --seed {result.seed} "
        f"{regenerate_posterior(posterior)}--out {os.path.relpath(output or target)}\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def regenerate_posterior(posterior: Posterior | None) -> str:
    """The `--posterior` options of the "Regenerate with" line (empty without)."""
    if posterior is None:
        return ""
    s = posterior.settings
    return (
        f"--posterior --walkers {s.walkers} --steps {s.steps} --burn {s.burn_in} "
        f"--engine {posterior.engine} "
    )


def summary(result: CalibrationResult, posterior: Posterior | None) -> dict[str, Any]:
    """summary.json: the fit, the objective's noise and the posterior's diagnostics."""
    data: dict[str, Any] = {
        "fit": fit_table(result, posterior).to_dict(orient="records"),
        "likelihood": result.likelihood,
        "replications_per_candidate": result.reps,
        "seed": result.seed,
        "loglik_start": result.loglik_start,
        "loglik_fit": result.loglik_fit,
        "loglik_gain": result.loglik_fit - result.loglik_start,
        "loglik_noise_sd": result.loglik_noise_sd,
        "noise_seeds": NOISE_SEEDS,
        "gain_within_noise": result.noisy,
        "converged": result.converged,
        "evaluations": result.evaluations,
        "fit_evaluations": result.fit_evaluations,
        "profile_evaluations": result.profile_evaluations,
    }
    if posterior is not None:
        s = posterior.settings
        data["posterior"] = {
            "file": POSTERIOR_FILE,
            "sampler": "emcee EnsembleSampler (DEMove 0.8, DESnookerMove 0.2)",
            "engine": posterior.engine,
            "walkers": s.walkers,
            "steps": s.steps,
            "burn": s.burn_in,
            "thin": posterior.thin,
            "draws": len(posterior.draws),
            "evaluations": posterior.evaluations,
            "acceptance_mean": float(posterior.acceptance.mean()),
            "acceptance_min": float(posterior.acceptance.min()),
            "acceptance_max": float(posterior.acceptance.max()),
            "autocorrelation_time": dict(zip(posterior.paths, posterior.tau, strict=True)),
            "autocorrelation_time_reliable": posterior.tau_reliable,
            "effective_sample_size": dict(zip(posterior.paths, posterior.ess, strict=True)),
            "prior": posterior.prior,
            "warnings": posterior.warnings(),
        }
    return data


def write_calibration(
    result: CalibrationResult,
    scenario_file: Path,
    charts_folder: Path,
    force: bool,
    posterior: Posterior | None = None,
) -> list[Path]:
    """Write the calibrated scenario and a folder with the fit table, summary,
    charts and (with a posterior) its draws."""
    origin = result.scenario.origin
    if origin is None:
        raise ValueError("the scenario has no file to extend")
    check_calibrated_target(scenario_file, origin, force)
    draws = charts_folder / POSTERIOR_FILE
    text = calibrated_document(result, scenario_file, None, draws, posterior)
    copy = calibrated_document(
        result, charts_folder / "calibrated.yaml", scenario_file, draws, posterior
    )
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
                posterior=posterior is not None,
            ),
        )
        io.write_json(out / "summary.json", summary(result, posterior))
        io.write_table(fit_table(result, posterior), out / "fit.csv")
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
        if posterior is not None:
            _write_posterior(result, posterior, out)
        io.write_text(out / "calibrated.yaml", copy)
        write_report(calibration_page(result, scenario_file, posterior), out)
        check_calibrated_target(scenario_file, origin, force)  # still so, now it is written
        io.make_parent(scenario_file)
        io.write_text(scenario_file, text)
    return [scenario_file, charts_folder]


def _write_posterior(result: CalibrationResult, posterior: Posterior, out: Path) -> None:
    """posterior.csv (full precision, so the draws reload exactly), the trace
    chart (one row per parameter) and the pair chart."""
    io.atomic_write(
        out / POSTERIOR_FILE,
        lambda p: posterior.draws.to_csv(p, index=False, float_format="%.17g"),
    )
    labels = {p: parameter_label(result.scenario, p) for p in posterior.paths}
    trace = posterior.trace_frame()
    n = len(posterior.paths)
    fig = Figure(figsize=(10, 2.8 * n + 0.4), layout="constrained")
    for i, path in enumerate(posterior.paths):
        calibration_charts.trace_chart(
            trace, path, posterior.settings.burn_in, labels[path], ax=fig.add_subplot(n, 1, i + 1)
        )
    io.save_figure(fig, out / "trace")
    fig = Figure(figsize=(3.6 * n + 0.6, 3.2 * n + 0.6), layout="constrained")
    calibration_charts.pair_chart(
        posterior.draws,
        labels,
        f"Posterior of {result.scenario.name}: {len(posterior.draws)} draws",
        fig,
    )
    io.save_figure(fig, out / "pair")


def calibration_page(
    result: CalibrationResult, scenario_file: Path, posterior: Posterior | None = None
) -> Page:
    """The report.html page of a calibration: the fitted values with their
    intervals, whether the optimiser converged, the charts (profile chart only
    when profiles were computed), the fit and window tables and the evidence.

    Args:
        result: The finished calibration.
        scenario_file: Where the calibrated scenario was written, named in the
            headline.
        posterior: The posterior draws, if sampled (adds their charts and
            diagnostics).
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
    if posterior is not None:
        charts += [
            Chart("pair.png", "Posterior draws: marginals with median and 90% interval, pairs."),
            Chart("trace.png", "Every walker's path; the shaded steps are discarded as burn-in."),
        ]
    return Page(
        kind="calibrate",
        title=f"Calibration of {result.scenario.title or result.scenario.name}",
        question=f"Which values of {', '.join(result.paths)} make the documented counts most "
        "likely under the model?",
        headline=f"Fitted: {fitted}. Log-likelihood {result.loglik_start:.2f} -> "
        f"{result.loglik_fit:.2f} ({noise_text(result)}); the optimiser {state}. "
        f"Written to {scenario_file}.",
        interval_note="Intervals are 95% profile-likelihood intervals (chi-square(1) cut-off "
        f"3.84), from {result.reps} replications per candidate with common random numbers; "
        "the objective itself carries Monte Carlo noise."
        + (
            f" {posterior_text(posterior)} Credible intervals are 90% (5% to 95% quantiles "
            "of the draws); the calibrated scenario draws its parameters from them."
            if posterior is not None
            else ""
        ),
        charts=charts,
        tables=[
            Table("Fitted parameters", fit_table(result, posterior)),
            Table("Windows", result.windows),
        ],
        evidence=evidence_table(result.scenario),
    )
