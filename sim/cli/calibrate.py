"""`escsim calibrate`: fit parameters to a scenario's documented counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.app import (
    AllowLargeOpt,
    EngineOpt,
    ForceOpt,
    ScenarioArg,
    SeedOpt,
    WorkersOpt,
    app,
    default_folder,
    err,
    frame_table,
    guarded,
    load,
    out,
    say,
    text,
)
from sim.errors import UsageError

if TYPE_CHECKING:
    from sim.experiments.calibrate import CalibrationResult
    from sim.experiments.posterior import Posterior
    from sim.scenario.schema import Scenario


FitOpt = Annotated[
    str,
    typer.Option(
        help="Comma-separated dotted paths to fit, e.g. "
        "streams.drone_attack_israel.rate,streams.drone_attack_israel"
        ".self_excitation.branching",
        show_default=False,
    ),
]
RepsOpt = Annotated[
    int,
    typer.Option(
        help="Replications per candidate point (common random numbers across candidates).",
        min=20,
    ),
]
LikelihoodOpt = Annotated[
    str,
    typer.Option(
        help="Count likelihood per observed window: negbin "
        "(mean and variance from the simulations) or "
        "poisson."
    ),
]
MaxEvalsOpt = Annotated[
    int | None,
    typer.Option(
        help="Optimiser budget (model evaluations) for the fit; the profile-likelihood "
        "intervals take more, counted apart [default: 80 per parameter].",
        min=1,
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Calibrated scenario file [default: <scenario>.calibrated.yaml beside it].",
    ),
]
PosteriorOpt = Annotated[
    bool,
    typer.Option(
        "--posterior",
        help="Also sample the parameters' posterior (emcee ensemble MCMC on the same "
        "likelihood): draws to posterior.csv, and the calibrated scenario draws its "
        "parameters from them.",
    ),
]
WalkersOpt = Annotated[
    int, typer.Option(help="--posterior: walkers (even, at least twice the parameters).")
]
StepsOpt = Annotated[int, typer.Option(help="--posterior: steps per walker.")]
BurnOpt = Annotated[
    int | None,
    typer.Option(help="--posterior: steps discarded as burn-in [default: a third of --steps]."),
]
FIT_COLUMNS = {
    "path": "parameter",
    "start": "start",
    "estimate": "estimate",
    "lower_95": "lower",
    "upper_95": "upper",
}
"""Columns of the fit table printed (frame column -> header)."""
POSTERIOR_COLUMNS = {
    "path": "parameter",
    "posterior_median": "median",
    "lower_90": "5%",
    "upper_90": "95%",
    "tau": "autocorr. time",
    "ess": "ESS",
}
"""Columns of the posterior table printed (frame column -> header)."""
WINDOW_COLUMNS = {
    "from": "from",
    "to": "to",
    "observed": "documented",
    "start_median": "median before",
    "fit_median": "median fitted",
    "fit_p05": "fitted 5%",
    "fit_p95": "fitted 95%",
}
"""Columns of the documented-counts table printed (frame column -> header)."""


@app.command()
def calibrate(
    scenario: ScenarioArg,
    fit: FitOpt,
    reps: RepsOpt = 200,
    seed: SeedOpt = 0,
    likelihood: LikelihoodOpt = "negbin",
    workers: WorkersOpt = 2,
    max_evals: MaxEvalsOpt = None,
    out_file: OutOpt = None,
    force: ForceOpt = False,
    allow_large: AllowLargeOpt = False,
    engine: EngineOpt = "simpy",
    posterior: PosteriorOpt = False,
    walkers: WalkersOpt = 16,
    steps: StepsOpt = 1500,
    burn: BurnOpt = None,
) -> None:
    """Fit parameters to the scenario's `observed` counts by simulated maximum
    likelihood; report estimates with 95% profile-likelihood intervals, chart
    the documented counts against the fit (results/<output name>/), and write a
    scenario file that extends the original with the fitted values (the fit
    recorded in each part's source). Exits 1, keeping the best point, if the
    optimiser did not converge. With --posterior, also sample the posterior
    from the fit (diagnostics printed and in summary.json, trace and pair
    charts) and let the calibrated scenario draw from it; if that fails, the
    point fit is still written, with a warning, and the command exits 1.

    \b
    Example:
      escsim calibrate scenarios/fits/iraq_2024_drone_fit_window.yaml \\
        --fit streams.drone_attack_israel.rate,streams.drone_attack_israel.self_excitation.branching
      escsim calibrate scenarios/fits/iraq_2024_drone_fit_window.yaml --posterior --engine fast \\
        --fit streams.drone_attack_israel.rate,streams.drone_attack_israel.self_excitation.branching
    """  # noqa: D301, RUF100 (\b: click's "keep these lines as written")
    from sim.experiments.calibrate import calibrate as fit_parameters
    from sim.experiments.calibrate import fit_parameters as fit_parameters_of
    from sim.experiments.posterior import Settings, check_prior, sample_posterior
    from sim.montecarlo.executors import executor_for
    from sim.scenario.workload import check_workload
    from sim.writers import folder as io
    from sim.writers.calibrate import write_calibration

    def action() -> bool:
        if likelihood not in ("negbin", "poisson"):
            raise UsageError(f"--likelihood must be negbin or poisson, not {likelihood!r}")
        s = load(scenario, None)
        paths = _fit_paths(fit)
        params = fit_parameters_of(s, paths)
        settings = Settings(walkers, steps, burn) if posterior else None
        if settings is not None:
            settings.check(len(params))
            check_prior(s, params)
        check_workload(s, reps, allow_large)
        target = _calibrated_file(scenario, out_file, force)
        folder = _results_folder(target, scenario)
        draws = None
        with io.reserve(folder, force):
            say(f"fitting {', '.join(paths)} with {reps} replications per candidate ...", err)
            with executor_for(workers) as executor:
                result = fit_parameters(
                    s,
                    paths,
                    reps,
                    seed,
                    likelihood,  # type: ignore[arg-type]
                    max_evals,
                    executor=executor,
                    engine=engine,
                    allow_large=allow_large,
                )
                if settings is not None:
                    say(
                        f"sampling the posterior: {walkers} walkers x {steps} steps "
                        f"({walkers * steps:,} candidates) ...",
                        err,
                    )
                    _suggest_fast_engine(s, engine)
                    draws = _sampled_or_warned(
                        lambda: sample_posterior(
                            s,
                            params,
                            result.estimates,
                            settings,
                            reps,
                            seed,
                            likelihood,  # type: ignore[arg-type]
                            executor,
                            engine,
                            allow_large=allow_large,
                        )
                    )
            write_calibration(result, target, folder, force, draws)
        _print_calibration(result)
        charts = "report.html, observed_vs_fitted.png, profiles.png"
        if draws is not None:
            _print_posterior(draws)
            charts += ", posterior.csv, trace.png, pair.png"
        say(f"wrote {target} and {folder}/ ({charts})")
        _warn_if_not_converged(result)
        return result.converged and (draws is not None or not posterior)

    if not guarded(action):
        raise typer.Exit(1)


def _suggest_fast_engine(s: Scenario, engine: str) -> None:
    """A posterior simulates tens of thousands of candidates: point to the fast
    engine (identical tables) when the scenario allows it and it was not asked for."""
    from sim.montecarlo.fast.select import unsupported_features

    if engine == "simpy" and not unsupported_features(s):
        say(
            "tip: --engine fast gives the same simulations at about 25x the speed for "
            "this scenario",
            err,
        )


def _sampled_or_warned(sample: Callable[[], Posterior]) -> Posterior | None:
    """The posterior, or None with a warning on standard error. It is sampled
    after the whole fit, so whatever fails there (no starting walker with a
    finite posterior, a worker's error) must not lose the fit: it is written
    without the draws. Ctrl-C still stops everything (not an `Exception`)."""
    try:
        return sample()
    except Exception as exc:
        why = str(exc) if isinstance(exc, UsageError) else f"{type(exc).__name__}: {exc}"
        err.print(
            "[bold yellow]warning:[/] the posterior could not be sampled ("
            + text(why)
            + "); the point fit is written without it.",
            highlight=False,
        )
        return None


def _fit_paths(fit: str) -> list[str]:
    """The dotted paths in `--fit` (comma-separated, blanks ignored); checking
    that each names a fittable number is `fit_parameters`' job.

    Raises:
        UsageError: `--fit` names no path at all.
    """
    paths = [p.strip() for p in fit.split(",") if p.strip()]
    if not paths:
        raise UsageError(f"--fit names no parameter ({fit!r}); give dotted paths")
    return paths


def _calibrated_file(scenario: Path, out_file: Path | None, force: bool) -> Path:
    """Where the calibrated scenario goes: `--out`, or `<scenario>.calibrated.yaml`
    beside the original (so its `extends` stays a short relative path).

    Raises:
        UsageError: the target is not a .yaml file, is the scenario or a file it
            extends, exists (without `--force`, or with it but is no
            calibrated scenario escsim wrote), or its folder cannot be made or
            written: all checked before any simulation, so no work is lost.
    """
    from sim.writers import folder as io
    from sim.writers.calibrate import check_calibrated_target

    target = out_file or scenario.with_name(scenario.stem + ".calibrated.yaml")
    if target.suffix not in (".yaml", ".yml"):
        raise UsageError(f"--out {target}: the calibrated scenario must be a .yaml file")
    check_calibrated_target(target, scenario, force)
    # A missing folder is made when the file is written, as every command
    # makes its --out's (a fresh clone has no results/); a file in its way,
    # no permission or no room is refused here, before any simulation.
    io.check_creatable(target.parent)
    return target


def _results_folder(target: Path, scenario: Path) -> Path:
    """`results/<the calibrated file's name>`: that name is checked as a folder
    name, as a sweep's is, so the folder is one plain part inside `results/`
    (`--out ..yaml` once made it `results/` itself, and `--force` removed it).

    Raises:
        UsageError: the name has a leading dot, a character other than letters,
            digits, '.', '_' or '-', or more than 100 of them; or the folder
            holds the scenario being calibrated or a file it extends (the copy
            an earlier calibration left there), which `--force` would delete.
    """
    from sim.scenario.base import NAME_PATTERN, PATTERN_WORDS
    from sim.scenario.loader import extends_chain

    name = target.name.removesuffix(target.suffix)
    if not re.fullmatch(NAME_PATTERN, name):
        raise UsageError(
            f"--out {target}: the file's name is no folder name for the results (expected "
            f"{PATTERN_WORDS[NAME_PATTERN]}, found {name!r}); choose another --out"
        )
    folder = default_folder(name)
    if target.resolve().is_relative_to(folder.resolve()):
        raise UsageError(
            f"--out {target} is inside {folder}, the results folder this calibration "
            "writes (and replaces): choose another --out"
        )
    inside = [f for f in extends_chain(scenario) if f.is_relative_to(folder.resolve())]
    if inside:
        raise UsageError(
            f"--out {target}: its results folder {folder} holds {inside[0]}, which this "
            "calibration reads; replacing the folder would delete it: choose another --out"
        )
    return folder


def _print_calibration(result: CalibrationResult) -> None:
    """The fitted parameters, the log-likelihood before and after, and the
    documented counts against the model, on standard output."""
    from sim.writers.calibrate import fit_table

    out.print(
        frame_table(
            fit_table(result), "Fitted parameters (95% profile likelihood intervals)", FIT_COLUMNS
        )
    )
    from sim.writers.calibrate import noise_text

    say(
        f"log-likelihood {result.loglik_start:.2f} -> {result.loglik_fit:.2f} "
        f"({noise_text(result)}; {result.likelihood}; {_evaluations_text(result)})"
    )
    if result.noisy:
        err.print(
            "[bold yellow]warning:[/] the fit's gain is within twice the objective's Monte "
            "Carlo noise: the counts barely distinguish the fit from the start. Use more "
            "--reps, or --posterior for the range of values the counts allow."
        )
    out.print(frame_table(result.windows, "Documented counts against the model", WINDOW_COLUMNS))


def _evaluations_text(result: CalibrationResult) -> str:
    """The model evaluations, the fit's (what --max-evals bounds) apart from the
    profiles' (which it does not)."""
    words = f"{result.fit_evaluations} model evaluations for the fit"
    if result.profile_evaluations:
        words += f", {result.profile_evaluations} for the profile-likelihood intervals"
    return words


def _print_posterior(posterior: Posterior) -> None:
    """The posterior medians and 90% credible intervals with the sampler's
    diagnostics on standard output, and its warnings in words on standard error."""
    s = posterior.settings
    out.print(
        frame_table(
            posterior.table().rename(columns={"median": "posterior_median"}),
            "Posterior (90% credible intervals)",
            POSTERIOR_COLUMNS,
        )
    )
    say(
        f"posterior: {len(posterior.draws)} draws from {s.walkers} walkers x {s.steps} steps "
        f"({s.burn_in} burn-in, thinned by {posterior.thin}); acceptance fraction "
        f"{posterior.acceptance.mean():.2f} (walkers {posterior.acceptance.min():.2f}-"
        f"{posterior.acceptance.max():.2f}); {posterior.evaluations:,} candidates simulated "
        f"({posterior.engine} engine)"
    )
    for warning in posterior.warnings():
        err.print("[bold yellow]warning:[/] " + text(warning))


def _warn_if_not_converged(result: CalibrationResult) -> None:
    """Say on standard error that the optimiser stopped early, why, and what to
    try; the command then exits 1 (the best point found is still written)."""
    if not result.converged:
        err.print(
            "[bold red]calibration did not converge[/] (" + text(result.message) + "); the "
            "best point found was kept. Try more --max-evals or --reps."
        )
