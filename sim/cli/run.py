"""`escsim run`: a Monte Carlo experiment on one scenario, into a results folder."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sim.cli.app import (
    MAX_REPLICATIONS,
    AllowLargeOpt,
    EngineOpt,
    ForceOpt,
    ProgressOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    WorkersOpt,
    app,
    check_replications,
    default_folder,
    err,
    guarded,
    load,
    out,
    outcome_table,
    print_notes,
    print_warnings,
    progress_bar,
    say,
    text,
)
from sim.errors import UsageError

if TYPE_CHECKING:
    from sim.experiments.uncertainty import SobolResult
    from sim.scenario.schema import Scenario


DEFAULT_REPS = 2000
"""Replications of a plain run when --reps is not given."""
DEFAULT_PARAM_DRAWS = 100
"""K, the nested design's parameter draws, when --param-draws is not given."""
DEFAULT_REPS_PER_DRAW = 100
"""M, replications per parameter draw (and per Sobol design point), when
--reps-per-draw is not given: at 50 the replication noise was a third or
more of the flagship's parameter band. The library's default is the same
(`sim.experiments.uncertainty.DEFAULT_REPS_PER_DRAW`; a test keeps them equal)."""
DEFAULT_DESIGN = (
    f"{DEFAULT_PARAM_DRAWS} parameter draws x {DEFAULT_REPS_PER_DRAW} replications "
    f"= {DEFAULT_PARAM_DRAWS * DEFAULT_REPS_PER_DRAW:,}"
)
"""The default nested design in words: a scenario with uncertain parameters
runs it when none of --reps, --param-draws, --reps-per-draw and --precision
is given, so a plain `escsim run` never shows a Monte Carlo interval alone
as if the parameters were known. The help and the printed note both say it."""
DEFAULT_DESIGN_NOTE = (
    f"uncertain parameters: ran the nested design, {DEFAULT_DESIGN} (the default; "
    "--param-draws/--reps-per-draw to choose, --reps N for a plain predictive run)"
)
RepsOpt = Annotated[
    int | None,
    typer.Option(
        "--reps",
        "-n",
        help="Replications of a plain run (the first batch with --precision) [default: "
        f"{DEFAULT_REPS:,}; with uncertain parameters the nested design, {DEFAULT_DESIGN}]. "
        "With --param-draws the run has K x M replications: leave --reps out (or give K x M).",
        min=1,
        show_default=False,
    ),
]
ParamDrawsOpt = Annotated[
    int | None,
    typer.Option(
        "--param-draws",
        help="Nested design: K draws of the uncertain parameters, each run --reps-per-draw "
        "times, giving the parameter band (median, 50% and 90% across draws of the "
        "probability given the parameters) beside the Monte Carlo interval. Not with "
        f"--precision [default: {DEFAULT_PARAM_DRAWS}, the nested design being the default "
        "with uncertain parameters].",
        min=1,
        show_default=False,
    ),
]
RepsPerDrawOpt = Annotated[
    int | None,
    typer.Option(
        "--reps-per-draw",
        help="Replications per parameter draw (M) of the nested design, and per design "
        f"point for --sobol [default: {DEFAULT_REPS_PER_DRAW}]. Alone it asks for the "
        f"nested design with --param-draws {DEFAULT_PARAM_DRAWS}.",
        min=1,
        show_default=False,
    ),
]
SobolOpt = Annotated[
    int | None,
    typer.Option(
        "--sobol",
        help="Also rank the uncertain parameters by how much of the outcomes' variance "
        "each carries (Sobol indices on a Saltelli design of N base points, a power of 2 "
        "such as 64; N x (parameters + 2) points of --reps-per-draw replications): writes "
        "sobol.csv and research.png, 'what to research next'.",
        min=2,
        show_default=False,
    ),
]
PrecisionOpt = Annotated[
    float | None,
    typer.Option(
        help="Keep adding replications until the headline probability's 95% interval is "
        "within +-PRECISION, e.g. 0.01.",
        min=0.0001,
        max=0.49,
    ),
]
MaxRepsOpt = Annotated[
    int,
    typer.Option(
        help="With --precision: stop at this many replications (the first batch included), "
        "saying so when the interval is still wider than the target.",
        min=1,
        max=MAX_REPLICATIONS,
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Results folder [default: results/<scenario name>]."),
]
SvgOpt = Annotated[bool, typer.Option("--svg", help="Also write charts as SVG.")]
HistoryOpt = Annotated[
    Path | None,
    typer.Option(
        help="Event data (CSV) to start from: the run begins the day after the data's "
        "period and carries its events as history. Needs --map.",
        show_default=False,
    ),
]
MapOpt = Annotated[
    Path | None,
    typer.Option(
        "--map",
        help="Map of the --history data to the scenario's event ids.",
        show_default=False,
    ),
]


@app.command()
def run(
    scenario: ScenarioArg,
    reps: RepsOpt = None,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 2,
    precision: PrecisionOpt = None,
    max_reps: MaxRepsOpt = 200_000,
    out_dir: OutOpt = None,
    force: ForceOpt = False,
    svg: SvgOpt = False,
    set_: SetOpt = None,
    history: HistoryOpt = None,
    map_file: MapOpt = None,
    progress: ProgressOpt = True,
    allow_large: AllowLargeOpt = False,
    engine: EngineOpt = "simpy",
    param_draws: ParamDrawsOpt = None,
    reps_per_draw: RepsPerDrawOpt = None,
    sobol: SobolOpt = None,
) -> None:
    """Run a Monte Carlo experiment and write a results folder.

    The folder holds report.html (open it in a browser), manifest.json (versions,
    seed, scenario hash), summary.json, replications.parquet (one row per
    replication), CSV tables and PNG charts. It is never overwritten without
    --force.

    With uncertain parameters (written as distributions in the scenario, or
    with --set path='{dist: ...}') each replication draws its own values and
    the probabilities are predictive. Such a run is by default a nested
    design (100 parameter draws x 100 replications) that prints two bands: the
    Monte Carlo interval of the predictive probability and the parameter
    band (how the probability moves with what is not known). --param-draws K
    --reps-per-draw M choose the design, --reps N asks for a plain predictive
    run, and --sobol N ranks which parameters drive the answer.

    \b
    Examples:
      escsim run scenarios/iraq_2024_israel_threat.yaml
      escsim run scenarios/iraq_2024_israel_threat.yaml --precision 0.01 --out results/precise
      escsim run scenarios/iraq_2024_israel_threat.yaml \\
        --set rules.israel_strikes_factions.hazard=0.01 --out results/cautious
      escsim run S.yaml --history events.csv --map map.yaml   # forecast from the data's end
      escsim run scenarios/iraq_2024_israel_threat.yaml \\
        --set 'streams.drone_attack_israel.rate={dist: lognormal, median: 0.1, sigma: 0.4}' \\
        --param-draws 200 --reps-per-draw 50 --sobol 64
    """  # noqa: D301, RUF100 (\b: click's "keep these lines as written")
    from sim.experiments.run import run as run_experiment
    from sim.scenario.checks import scenario_warnings
    from sim.scenario.workload import check_workload
    from sim.writers import folder as io
    from sim.writers.run import write_run

    def action() -> None:
        _check_sobol_size(sobol)
        s = load(scenario, set_)
        design = plan_design(
            bool(s.uncertain), reps, param_draws, reps_per_draw, precision, max_reps, sobol
        )
        s = with_history(s, history, map_file)
        folder = out_dir or default_folder(s.name)
        notes, sobol_points = _design_notes(s, design, param_draws, sobol)
        per = design.reps_per_draw
        sobol_reps = sobol_points * per
        if sobol_reps > MAX_REPLICATIONS:
            raise UsageError(
                f"--sobol: expected at most {MAX_REPLICATIONS:,} replications in one command, "
                f"found {sobol_points:,} design points x {per:,} = {sobol_reps:,}"
            )
        n = design.replications
        check_workload(s, (max_reps if precision else n) + sobol_reps, allow_large)
        with io.reserve(folder, force):
            print_notes(notes)  # only now: the run is accepted
            warnings = scenario_warnings(s)
            print_warnings([f"{scenario}: {w}" for w in warnings])
            bar = progress and sys.stderr.isatty()
            with progress_bar(n, s.name, bar) as tick:
                result = run_experiment(
                    s,
                    seed,
                    n,
                    workers,
                    precision,
                    progress=tick,
                    max_reps=max_reps,
                    engine=engine,
                    param_draws=design.param_draws,
                    reps_per_draw=per if design.param_draws else None,
                )
            indices = None
            if sobol_points:
                from sim.experiments.uncertainty import run_sobol

                assert sobol is not None
                with progress_bar(sobol_reps, f"{s.name}: Sobol design", bar) as tick:
                    indices = run_sobol(s, seed, sobol, per, workers, progress=tick)
            charts_written = write_run(
                result, folder, force, ("png", "svg") if svg else ("png",), warnings, indices
            )
        say(result.headline_text())
        print_warnings([*result.precision_warnings(), *result.band_warnings()])
        if result.nested is not None:
            out.print(band_table(result.outcome_rows(), "All outcomes by the horizon"))
        else:
            out.print(outcome_table(result.outcome_rows(), "All outcomes by the horizon"))
        if indices is not None:
            say(research_text(indices))
        say(
            f"wrote {folder}/: report.html, "
            + ", ".join(p.name for p in charts_written)
            + ", summary.json, replications.parquet, ..."
            + (", sobol.csv" if indices is not None else "")
        )

    guarded(action)


@dataclass(frozen=True)
class Design:
    """The replications a run has and how they share parameter draws: one
    reading of --reps, --param-draws, --reps-per-draw and --precision for `run`
    and for `trace`, so replication N of a trace is replication N of the run
    given the same options."""

    replications: int
    """How many (with --precision, the first batch)."""
    param_draws: int | None
    """K of the nested design; None for a plain run (each replication draws
    its own parameters)."""
    reps_per_draw: int
    """M: replications per parameter draw of the nested design, and per
    design point of --sobol."""
    defaulted: bool = False
    """True when neither K nor M was given and uncertain parameters chose the
    default nested design (said in a note)."""

    @property
    def draw_size(self) -> int:
        """Replication r takes parameter draw r // this (1: its own draw)."""
        return self.reps_per_draw if self.param_draws is not None else 1

    def describe(self) -> str:
        """The design in words, e.g. "100 parameter draws x 100 replications"."""
        if self.param_draws is None:
            return f"{self.replications:,} replications, each drawing its own parameters"
        return f"{self.param_draws:,} parameter draws x {self.reps_per_draw:,} replications"


def plan_design(
    uncertain: bool,
    reps: int | None,
    param_draws: int | None,
    reps_per_draw: int | None,
    precision: float | None = None,
    max_reps: int = MAX_REPLICATIONS,
    sobol: int | None = None,
) -> Design:
    """The run's design from its options, with one default for each number.

    The nested design runs when --param-draws is given, or when neither --reps
    nor --precision is and --reps-per-draw is given or the scenario has
    uncertain parameters; a missing K or M then takes `DEFAULT_PARAM_DRAWS` or
    `DEFAULT_REPS_PER_DRAW`. Otherwise the run is plain: --reps replications
    (`DEFAULT_REPS`, or with --precision at most --max-reps, as the first batch).

    Raises:
        UsageError: a design `check_design` refuses, K x M above the
            replication cap or different from a --reps given, --reps-per-draw
            with a plain run and no --sobol, or a first batch above --max-reps.
    """
    from sim.experiments.run import check_design

    check_design(param_draws, reps_per_draw, precision)
    plain = reps is not None or precision is not None
    if param_draws is None and (plain or (reps_per_draw is None and not uncertain)):
        if reps_per_draw is not None and sobol is None:
            raise UsageError(
                "--reps-per-draw: goes with the nested design (--param-draws, or no --reps and "
                "--precision) or --sobol; found it with "
                + ("--reps" if reps is not None else "--precision")
                + ", a plain run"
            )
        return Design(
            _plain_replications(reps, precision, max_reps),
            None,
            reps_per_draw or DEFAULT_REPS_PER_DRAW,
        )
    k, m = param_draws or DEFAULT_PARAM_DRAWS, reps_per_draw or DEFAULT_REPS_PER_DRAW
    n = k * m
    if n > MAX_REPLICATIONS:
        raise UsageError(
            f"--param-draws x --reps-per-draw: expected at most {MAX_REPLICATIONS:,} "
            f"replications in one command, found {k:,} x {m:,} = {n:,}"
        )
    if reps is not None and reps != n:
        raise UsageError(
            f"--reps: with --param-draws {k:,} --reps-per-draw {m:,} the run has {n:,} "
            f"replications (K x M); found --reps {reps:,} (leave --reps out"
            + (
                f", or give --reps-per-draw {reps // k:,})"
                if reps_per_draw is None and reps % k == 0
                else ")"
            )
        )
    return Design(n, k, m, defaulted=param_draws is None and reps_per_draw is None)


def _plain_replications(reps: int | None, precision: float | None, max_reps: int) -> int:
    """A plain run's replications: --reps or `DEFAULT_REPS`; with --precision
    the first batch, within --max-reps (the default batch shrinks to fit).

    Raises:
        UsageError: above the replication cap, or a first batch above --max-reps.
    """
    if reps is not None:
        check_replications(reps)
    if precision is None:
        return reps or DEFAULT_REPS
    if reps is not None and reps > max_reps:
        raise UsageError(
            f"--reps: with --precision it is the first batch, at most --max-reps "
            f"({max_reps:,}); found --reps {reps:,}"
        )
    return reps or min(DEFAULT_REPS, max_reps)


def _check_sobol_size(base: int | None) -> None:
    """Refuse a Saltelli base size that is not a power of 2 (Sobol sequences
    keep their balance only at powers of 2; SALib warns otherwise).

    Raises:
        UsageError: `base` is not a power of 2.
    """
    if base is not None and base & (base - 1):
        lower = 1 << (base.bit_length() - 1)
        raise UsageError(
            f"--sobol: expected a power of 2 (the Sobol sequence's balance), found {base:,}; "
            f"try {lower:,} or {lower * 2:,}"
        )


def _design_notes(
    s: Scenario, design: Design, param_draws: int | None, sobol: int | None
) -> tuple[list[str], int]:
    """What the run will do, or do differently from what was asked, in a line
    each, and the number of Sobol design points to run (0: none).

    The default nested design is said (K x M was not asked for). A nested
    design on a scenario whose parameters are all fixed runs the K x M
    replications as a plain run; with M = 1 there is no band either.
    `--sobol` needs two uncertain inputs (with one, its index is 1 by
    definition: nothing to rank) and is skipped with a note otherwise.
    """
    from sim.experiments.uncertainty import FIXED_NOTE

    notes = []
    asked = "--param-draws" if param_draws is not None else "--reps-per-draw"
    if design.defaulted and s.uncertain:
        notes.append(DEFAULT_DESIGN_NOTE)
    elif design.param_draws is not None and not s.uncertain:
        notes.append(f"{asked}: {FIXED_NOTE}")
    elif design.param_draws is not None and design.reps_per_draw == 1:
        notes.append(
            "--reps-per-draw 1: one replication per draw gives no parameter band; ran as a "
            f"plain run of {design.replications:,} replications (M of 50 or more is usual)"
        )
    return notes, _sobol_points(s, sobol, notes)


def _sobol_points(s: Scenario, sobol: int | None, notes: list[str]) -> int:
    """Saltelli design points for `--sobol` (0: none), adding to `notes` why
    it is skipped when the scenario has fewer than two uncertain inputs."""
    from sim.experiments.uncertainty import design_inputs

    if sobol is None:
        return 0
    inputs = design_inputs(s)[0] if s.uncertain else []
    if len(inputs) < 2:
        notes.append(
            f"--sobol: skipped: the scenario has {len(inputs)} uncertain input(s); Sobol "
            "indices rank two or more (a single one carries all the parameter variance)"
        )
        return 0
    return sobol * (len(inputs) + 2)


def band_table(summary: Any, title: str) -> Table:
    """A rich table of a nested run's outcomes: the predictive probability with
    its 95% Monte Carlo interval, the parameter band (median, 50% and 90% of
    the probability given the parameters, across draws), the share of that
    band's variance that is replication noise ("noise"), and the median date."""
    table = Table(title=text(title), title_justify="left", show_edge=False, header_style="bold")
    columns = (
        "outcome",
        "predictive [MC 95%]",
        "param. median",
        "50% band",
        "90% band",
        "noise",
        "median date",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "outcome" else "right")
    for row in summary.itertuples():
        noise = row.noise_share
        table.add_row(
            text(row.label),
            text(f"{row.probability:.3f} [{row.lower:.3f}, {row.upper:.3f}]"),
            f"{row.cond_median:.3f}",
            f"{row.cond_p25:.3f}-{row.cond_p75:.3f}",
            f"{row.cond_p05:.3f}-{row.cond_p95:.3f}",
            "-" if noise != noise else ">=100%" if noise >= 1 else f"{noise:.0%}",
            row.median_date,
        )
    return table


def research_text(result: SobolResult) -> str:
    """One line: the headline's three parameters with the largest total Sobol
    index, i.e. what to research next."""
    s = result.scenario
    indices = result.indices()
    head = indices[indices["outcome"] == s.headline].head(3)
    if head.empty:
        return (
            f"what to research next: P({s.outcome_label(s.headline)}) does not vary with the "
            "uncertain parameters (see sobol.csv for the other outcomes)"
        )
    ranked = "; ".join(
        f"{i}. {row['parameter']} (total {row['ST']:.2f} +-{row['ST_conf']:.2f}, "
        f"first-order {row['S1']:.2f})"
        for i, row in enumerate(head.to_dict(orient="records"), start=1)
    )
    return f"what to research next for P({s.outcome_label(s.headline)}): {ranked}"


def with_history(s: Scenario, history: Path | None, map_file: Path | None) -> Scenario:
    """`s` started the day after the `--history` data's period, carrying its
    events as history (and saying so on standard error); `s` itself without
    `--history`.

    Raises:
        UsageError: only one of `--history` and `--map` was given.
    """
    if (history is None) != (map_file is None):
        raise UsageError("--history and --map go together: the data and how to read it")
    if history is None or map_file is None:
        return s
    from sim.eventdata import read_events
    from sim.eventdata.history import history_overrides
    from sim.scenario import with_overrides

    s = with_overrides(s, history_overrides(read_events(history, map_file), s))
    say(f"starting on {s.start_date} from {history}: " + _history_counts(s), err)
    return s


def _history_counts(s: Scenario) -> str:
    events = s.history.events if s.history else {}
    return ", ".join(f"{len(dates):,} {s.event_label(e)}" for e, dates in events.items())
