"""`escsim calibrate`: fit parameters to a scenario's documented counts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import (
    AllowLargeOpt,
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


@app.command()
def calibrate(
    scenario: ScenarioArg,
    fit: Annotated[
        str,
        typer.Option(
            help="Comma-separated dotted paths to fit, e.g. "
            "streams.drone_attack_israel.rate,streams.drone_attack_israel"
            ".self_excitation.branching",
            show_default=False,
        ),
    ],
    reps: Annotated[
        int,
        typer.Option(
            help="Replications per candidate point (common random numbers across candidates).",
            min=20,
        ),
    ] = 200,
    seed: SeedOpt = 0,
    likelihood: Annotated[
        str,
        typer.Option(
            help="Count likelihood per observed window: negbin "
            "(mean and variance from the simulations) or "
            "poisson."
        ),
    ] = "negbin",
    workers: WorkersOpt = 2,
    max_evals: Annotated[
        int | None,
        typer.Option(
            help="Optimiser budget (model evaluations) [default: 80 per parameter].", min=1
        ),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Calibrated scenario file [default: <scenario>.calibrated.yaml beside it].",
        ),
    ] = None,
    force: ForceOpt = False,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Fit parameters to the scenario's `observed` counts by simulated maximum
    likelihood; report estimates with 95% profile-likelihood intervals, chart
    the documented counts against the fit (results/<output name>/), and write a
    scenario file that extends the original with the fitted values (the fit
    recorded in each part's source). Exits 1, keeping the best point, if the
    optimiser did not converge.

    \b
    Example:
      escsim calibrate scenarios/iraq_2024_israel_threat.yaml \\
        --fit streams.drone_attack_israel.rate,streams.drone_attack_israel.self_excitation.branching
    """
    from sim.experiments.calibrate import calibrate as fit_parameters
    from sim.experiments.calibrate import fit_parameters as fit_parameters_of
    from sim.montecarlo.executors import executor_for
    from sim.scenario.workload import check_workload
    from sim.writers import folder as io
    from sim.writers.calibrate import fit_table, write_calibration

    def action() -> bool:
        if likelihood not in ("negbin", "poisson"):
            raise UsageError(f"--likelihood must be negbin or poisson, not {likelihood!r}")
        s, _ = load(scenario, None)
        paths = [p.strip() for p in fit.split(",") if p.strip()]
        if not paths:
            raise UsageError(f"--fit names no parameter ({fit!r}); give dotted paths")
        fit_parameters_of(s, paths)
        check_workload(s, reps, allow_large)
        target = out_file or scenario.with_name(scenario.stem + ".calibrated.yaml")
        if target.suffix not in (".yaml", ".yml"):
            raise UsageError(f"--out {target}: the calibrated scenario must be a .yaml file")
        if target.exists() and (not force or not target.is_file()):
            raise UsageError(f"{target} already exists; choose another --out or pass --force")
        folder = default_folder(target.name.removesuffix(target.suffix))
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
                )
            write_calibration(result, target, folder, force)
        out.print(
            frame_table(
                fit_table(result),
                "Fitted parameters (95% profile likelihood intervals)",
                {
                    "path": "parameter",
                    "start": "start",
                    "estimate": "estimate",
                    "lower_95": "lower",
                    "upper_95": "upper",
                },
            )
        )
        say(
            f"log-likelihood {result.loglik_start:.2f} -> {result.loglik_fit:.2f} "
            f"({result.likelihood}; {result.evaluations} model evaluations)"
        )
        out.print(
            frame_table(
                result.windows,
                "Documented counts against the model",
                {
                    "from": "from",
                    "to": "to",
                    "observed": "documented",
                    "start_median": "median before",
                    "fit_median": "median fitted",
                    "fit_p05": "fitted 5%",
                    "fit_p95": "fitted 95%",
                },
            )
        )
        say(f"wrote {target} and {folder}/ (report.html, observed_vs_fitted.png, profiles.png)")
        if not result.converged:
            err.print(
                "[bold red]calibration did not converge[/] (" + text(result.message) + "); the "
                "best point found was kept. Try more --max-evals or --reps."
            )
        return result.converged

    if not guarded(action):
        raise typer.Exit(1)
