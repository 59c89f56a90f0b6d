"""`escsim fit`: fit the scenario's stream model to dated event records."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sim.cli.app import (
    MAX_SEED,
    ForceOpt,
    app,
    default_folder,
    err,
    frame_table,
    guarded,
    load,
    out,
    print_warnings,
    say,
    text,
)
from sim.errors import UsageError

if TYPE_CHECKING:
    from sim.eventdata.data import EventData
    from sim.experiments.fit import FitResult

EXCITATIONS = {"poisson": "none", "none": "none", "self": "self", "cross": "cross"}


def _command(
    events_file: Path | None,
    map_file: Path,
    options: list[tuple[str, object, object]],
    flags: list[str],
) -> str:
    """The command line that regenerates this fit (defaults left out)."""
    words = ["escsim", "fit"]
    if events_file is not None:
        words.append(str(events_file))
    words += ["--map", str(map_file)]
    for name, value, default in options:
        if value is not None and value != default:
            words += [name, str(value)]
    return shlex.join(words + flags)


MapFileOpt = Annotated[
    Path,
    typer.Option(
        "--map",
        "-m",
        help="Map file: which rows are which event id, over which period (docs/eventdata.md).",
        show_default=False,
    ),
]

EventsFileOpt = Annotated[
    Path | None,
    typer.Argument(
        metavar="EVENTS.csv",
        help="Event file (CSV with a header row: ACLED exports, or date,type,... files). "
        "Optional when the map names its data.",
        show_default=False,
    ),
]

ScenarioOpt = Annotated[
    Path | None,
    typer.Option(
        help="Scenario the fitted one extends (its event ids are checked against the map). "
        "Without it, a new 30-day scenario from the data's end is written.",
        show_default=False,
    ),
]

EventsOpt = Annotated[
    str | None,
    typer.Option(
        help="Comma-separated event ids of the map to fit [default: all of them].",
        show_default=False,
    ),
]

ExcitationOpt = Annotated[
    str,
    typer.Option(
        help="poisson (no excitation), self (each type excites itself) or cross (every "
        "type excites every type)."
    ),
]

BaselineOpt = Annotated[
    str,
    typer.Option(
        help="constant, or monthly (one level per calendar month: a background drifting "
        "over months fitted as constant pushes the branching falsely towards 1)."
    ),
]

IntervalsOpt = Annotated[
    str,
    typer.Option(
        help="profile (branchings and decays by profile likelihood, right at 0) or wald "
        "(observed information throughout; faster)."
    ),
]

MinDecayDaysOpt = Annotated[
    float | None,
    typer.Option(
        help="Smallest decay allowed [default: 1 day for day-resolution dates, else 0.01].",
        min=0.001,
        show_default=False,
    ),
]

SeedOpt = Annotated[
    int,
    typer.Option(
        help="Seed of the within-day placement of day-resolution dates.", min=0, max=MAX_SEED
    ),
]

RatePiecesOpt = Annotated[
    int,
    typer.Option(
        help="With a monthly baseline: the fitted scenario's rate is the mean over this many "
        "final months.",
        min=1,
    ),
]

MaxIterationsOpt = Annotated[
    int,
    typer.Option(help="Optimiser iterations before it stops unconverged.", min=1),
]

OutDirOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Results folder [default: results/<map name>-fit]."),
]

ScenarioOutOpt = Annotated[
    Path | None,
    typer.Option(
        help="Also write the fitted scenario here (a .yaml file; always written to the "
        "results folder as fitted.yaml).",
        show_default=False,
    ),
]


@app.command()
def fit(
    map_file: MapFileOpt,
    events_file: EventsFileOpt = None,
    scenario: ScenarioOpt = None,
    events: EventsOpt = None,
    excitation: ExcitationOpt = "self",
    baseline: BaselineOpt = "monthly",
    intervals: IntervalsOpt = "profile",
    min_decay_days: MinDecayDaysOpt = None,
    seed: SeedOpt = 0,
    rate_pieces: RatePiecesOpt = 1,
    max_iterations: MaxIterationsOpt = 3000,
    out_dir: OutDirOpt = None,
    scenario_out: ScenarioOutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Fit self- and cross-exciting streams to dated event records by maximum
    likelihood; report the estimates with 95% intervals, the model comparison
    (Poisson / self / cross, constant / monthly baseline: likelihood ratio and
    AIC) and the time-rescaling KS test, and write a results folder (report.html,
    estimates.csv, comparison.csv, QQ, intensity and branching charts) with a
    fitted scenario that `escsim run` runs. Every fitted number's data file,
    SHA-256, filter, period and method are in its stream's assumption (listed
    by `escsim sources`). Exits 1, keeping the best point, if the optimiser did
    not converge.

    \b
    Examples:
      escsim fit --map data_maps/iraq_2007_08.yaml --events ied_attack
      escsim fit --map data_maps/iraq_2007_08.yaml --excitation cross \\
        --scenario scenarios/iraq_2007_08_insurgency.base.yaml \\
        --scenario-out scenarios/iraq_2007_08_insurgency.yaml
      escsim fit acled_export.csv --map my_map.yaml --baseline constant --out results/acled
    """  # noqa: D301, RUF100 (\b: click's "keep these lines as written")
    from sim.eventdata import check_against_scenario, read_events
    from sim.experiments.fit import FitSpec, fit_streams
    from sim.writers import folder as io
    from sim.writers.fit import FitJob, ks_failures, map_name, write_fit

    def action() -> bool:
        level = _checked_options(
            excitation, baseline, intervals, map_file, scenario_out, scenario, force
        )
        base = load(scenario, None) if scenario is not None else None
        data = read_events(events_file, map_file)
        chosen = _chosen_events(events, data, map_file)
        if chosen is not None:
            data = data.select(chosen)
        if base is not None:
            check_against_scenario(data, base)
        spec = FitSpec(
            events=chosen,
            excitation=level,  # type: ignore[arg-type]
            baseline=baseline,  # type: ignore[arg-type]
            intervals=intervals,  # type: ignore[arg-type]
            min_decay_days=min_decay_days,
            jitter_seed=seed,
            max_iterations=max_iterations,
        )
        folder = out_dir or default_folder(map_name(map_file) + "-fit")
        command = _command(
            events_file,
            map_file,
            [
                ("--scenario", scenario, None),
                ("--events", events, None),
                ("--excitation", excitation, "self"),
                ("--baseline", baseline, "monthly"),
                ("--intervals", intervals, "profile"),
                ("--min-decay-days", min_decay_days, None),
                ("--seed", seed, 0),
                ("--rate-pieces", rate_pieces, 1),
                ("--max-iterations", max_iterations, 3000),
                ("--out", out_dir, None),
                ("--scenario-out", scenario_out, None),
            ],
            ["--force"] if force else [],
        )
        with io.reserve(folder, force):
            counts = ", ".join(f"{e} {n:,}" for e, n in data.counts().items())
            say(
                f"fitting {spec.excitation_name} excitation, {baseline} baseline to "
                f"{data.start}..{data.end}: {counts} events ...",
                err,
            )
            result = fit_streams(data, spec)
            say("comparing with the simpler and the constant-baseline models ...", err)
            result.comparison()
            job = FitJob(map_file, command, base, scenario_out, rate_pieces)
            problems = write_fit(result, folder, force, job)
        show(result)
        print_warnings(list(result.warnings) + problems)
        for event in ks_failures(result):
            say(f"the KS test fails for {event}: the fit does not describe these data")
        say(
            f"wrote {folder}/ (report.html, estimates.csv, comparison.csv, qq.png, "
            f"intensity_*.png, branching.png, fitted.yaml)"
            + (f" and {scenario_out}" if scenario_out is not None else "")
        )
        if not result.converged:
            err.print(
                "[bold red]the fit did not converge[/] ("
                + text(result.message)
                + "); the best point found was kept and written. Try more --max-iterations."
            )
        return result.converged and not problems

    if not guarded(action):
        raise typer.Exit(1)


def _checked_options(
    excitation: str,
    baseline: str,
    intervals: str,
    map_file: Path,
    scenario_out: Path | None,
    scenario: Path | None,
    force: bool,
) -> str:
    """The excitation level FitSpec takes, once every option has been checked
    before any data is read (a typo should not cost a minute of reading).

    Raises:
        UsageError: an unknown --excitation, --baseline or --intervals word, a
            --scenario-out that `_check_scenario_out` refuses, or a missing
            --map file.
    """
    level = EXCITATIONS.get(excitation)
    if level is None:
        raise UsageError(f"--excitation must be poisson, self or cross, not {excitation!r}")
    if baseline not in ("constant", "monthly"):
        raise UsageError(f"--baseline must be constant or monthly, not {baseline!r}")
    if intervals not in ("profile", "wald"):
        raise UsageError(f"--intervals must be profile or wald, not {intervals!r}")
    if scenario_out is not None:
        _check_scenario_out(scenario_out, scenario, force)
    if not map_file.is_file():
        raise UsageError(f"--map {map_file}: no such map file")
    return level


def _check_scenario_out(target: Path, scenario: Path | None, force: bool) -> None:
    """`--scenario-out` is a .yaml file that is neither the --scenario nor a
    file it extends, and that `--force` may replace only if escsim fit wrote
    it (it replaced any YAML file, a hand-written scenario included); a
    missing folder is made when it is written, as every command makes its
    outputs' folders."""
    from sim.scenario.loader import extends_chain
    from sim.writers import folder as io
    from sim.writers.fit import is_fitted_file

    if target.suffix not in (".yaml", ".yml"):
        raise UsageError(f"--scenario-out {target}: must be a .yaml file")
    if scenario is not None and target.resolve() in extends_chain(scenario):
        raise UsageError(
            f"--scenario-out {target} is the --scenario or a file it extends; "
            "it is never replaced, not even with --force: choose another --scenario-out"
        )
    if target.exists() or target.is_symlink():
        if not force:
            raise UsageError(f"{target} already exists; choose another --scenario-out or --force")
        if not is_fitted_file(target):
            raise UsageError(
                f"{target} exists and was not written by escsim fit; --force replaces only "
                "a fitted scenario escsim wrote: choose another --scenario-out"
            )
    io.check_creatable(target.parent)  # made when the file is written


def _chosen_events(events: str | None, data: EventData, map_file: Path) -> tuple[str, ...] | None:
    """The event ids named by --events (comma-separated), or None for all.

    Raises:
        UsageError: the list is empty or names an id the map does not define.
    """
    if events is None:
        return None
    chosen = tuple(e.strip() for e in events.split(",") if e.strip())
    unknown = [e for e in chosen if e not in data.events]
    if not chosen or unknown:
        raise UsageError(
            f"--events {events}: expected event ids of {map_file} "
            f"(one of: {', '.join(data.events)})"
        )
    return chosen


def show(result: FitResult) -> None:
    """The estimates, the model comparison and the KS tests as tables."""
    import pandas as pd

    from sim.writers.fit import comparison_frame, headline

    table = result.table()
    rates = table[table["kind"] == "rate"]
    shown = table[table["kind"] != "rate"]
    monthly = len(rates) > len(result.events)
    last_rates = rates.groupby("event", sort=False).tail(1)
    shown = pd.concat([last_rates, shown], ignore_index=True)
    listed = Table(
        title="Estimates (95% intervals)"
        + (": rates of the last month; every month is in estimates.csv" if monthly else ""),
        title_justify="left",
        show_edge=False,
        header_style="bold",
    )
    # Parameter paths are copied into --set and sweeps: never fold them.
    listed.add_column("parameter", no_wrap=True, min_width=int(shown["parameter"].str.len().max()))
    for column in ("estimate", "95% interval", "interval method", "note"):
        listed.add_column(column, overflow="fold")
    for row in shown.to_dict(orient="records"):
        interval = "" if pd.isna(row["lower"]) else f"[{row['lower']:.4g}, {row['upper']:.4g}]"
        listed.add_row(
            text(row["parameter"]),
            f"{row['estimate']:.4g}",
            text(interval),
            text(row["method"]),
            text(row["note"]),
        )
    out.print(listed)
    out.print(
        frame_table(
            comparison_frame(result),
            "Model comparison (lowest AIC first)",
            {
                "model": "excitation / baseline",
                "n_params": "parameters",
                "loglik": "log-likelihood",
                "delta_aic": "ΔAIC",
                "lr_excitation": "LR vs simpler",
                "p_excitation": "p",
                "lr_baseline": "LR vs constant",
                "p_baseline": "p",
            },
        )
    )
    out.print(
        frame_table(
            result.gof.ks,
            "Time-rescaling KS test (Exp(1) gaps if the model is right)",
            {"event": "event", "n": "events", "statistic": "D", "p_value": "p", "passed": "passes"},
        )
    )
    say(headline(result))
