"""`escsim calibrate`: fit parameters to a scenario's documented counts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import ForceOpt, ScenarioArg, SeedOpt, app, err, guarded, load, out
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
    workers: Annotated[int, typer.Option("--workers", "-w", min=1)] = 2,
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
    from sim import io
    from sim.calibration import calibrate as fit_parameters
    from sim.calibration import fit_parameters as fit_parameters_of
    from sim.calibration_report import fit_table, write_calibration
    from sim.cli.common import write_frame_table
    from sim.distributed import executor_for

    def action() -> bool:
        if likelihood not in ("negbin", "poisson"):
            raise UsageError(f"--likelihood must be negbin or poisson, not {likelihood!r}")
        s, _ = load(scenario, None)
        paths = [p.strip() for p in fit.split(",") if p.strip()]
        fit_parameters_of(s, paths)
        target = out_file or scenario.with_name(scenario.stem + ".calibrated.yaml")
        folder = Path("results") / target.name.removesuffix(".yaml")
        if target.exists() and not force:
            raise UsageError(f"{target} already exists; choose another --out or pass --force")
        io.check_target(folder, force)
        err.print(f"fitting {', '.join(paths)} with {reps} replications per candidate ...")
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
        out.print(
            write_frame_table(
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
        out.print(
            f"log-likelihood {result.loglik_start:.2f} -> {result.loglik_fit:.2f} "
            f"({result.likelihood}; {result.evaluations} model evaluations)",
            highlight=False,
        )
        out.print(
            write_frame_table(
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
        write_calibration(result, target, folder, force)
        out.print(
            f"wrote {target} and {folder}/ (observed_vs_fitted.png, profiles.png, fit.csv)",
            highlight=False,
        )
        if not result.converged:
            err.print(
                f"[bold red]calibration did not converge[/] ({result.message}); the best "
                "point found was kept. Try more --max-evals or --reps."
            )
        return result.converged

    if not guarded(action):
        raise typer.Exit(1)
