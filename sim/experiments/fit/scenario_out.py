"""A fit as scenario YAML content: streams that carry the estimates and say,
in their `assumption:`, exactly which data and method gave them.

A data source must be as traceable as a seed fact: the text names each data
file with its SHA-256, the filter, the period, the method and the interval of
every number. It goes in `assumption:` because `source:` must resolve to an
evidence file (`seeds/...#fact`), which a data file is not. The scenario
schema has one constant `rate` per stream: a piecewise baseline is written as
its mean over the last piece(s) of the period, which is what a forecast from
the data's end should start from, and the text says so.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sim.eventdata.data import check_against_scenario
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.experiments.fit.estimate import FitResult

NEGLIGIBLE_BRANCHING = 1e-3


def _figure(value: float) -> float:
    return float(f"{value:.6g}")


def _interval(row: Any) -> str:
    if row["lower"] != row["lower"]:  # NaN: not identified
        return f"{row['estimate']:.4g} ({row['note']})"
    return f"{row['estimate']:.4g} [95% {row['lower']:.3g}, {row['upper']:.3g}]"


def method_text(fit: FitResult) -> str:
    """The sentence that says how the scenario's numbers were estimated (data,
    spec, decay bounds, date placement), cited by every fitted stream."""
    spec = fit.spec
    low, high = spec.decay_bounds(fit.data)
    placement = (
        f"day-resolution dates placed uniformly within their day (seed {spec.jitter_seed}), "
        if fit.data.day_resolution
        else ""
    )
    return (
        "maximum likelihood, exact exponential-kernel Hawkes likelihood "
        f"(sim.experiments.fit; {fit.label}; {placement}decays held in "
        f"[{low:g}, {high:g}] days; 95% intervals: rates Wald on the log scale, "
        "branchings and decays "
        f"{'profile likelihood' if spec.intervals == 'profile' else 'Wald'})"
    )


def stream_values(fit: FitResult, event: str, rate_pieces: int) -> tuple[dict[str, Any], str]:
    """(stream keys with the estimates, sentence on the rate and kernels)."""
    table = fit.estimates
    rows = table[table["event"] == event]
    rates = rows[rows["kind"] == "rate"]
    notes: list[str] = []
    if len(rates) == 1:
        rate = float(rates["estimate"].iloc[0])
        notes.append(f"rate {_interval(rates.iloc[0])}")
    else:
        last = rates.tail(rate_pieces)
        lengths = fit.prepared.lengths[-len(last) :]
        rate = float((last["estimate"].to_numpy() * lengths).sum() / lengths.sum())
        first_day = last["piece_start"].iloc[0]
        notes.append(
            f"rate = the mean fitted baseline over the last {len(last)} baseline piece(s) "
            f"({first_day}..{fit.data.end}), because the scenario schema has no piecewise "
            f"baseline; the {len(rates)} fitted pieces ranged "
            f"{rates['estimate'].min():.4g}..{rates['estimate'].max():.4g} per day"
        )
    values: dict[str, Any] = {"rate": _figure(rate)}
    kernels = rows[rows["kind"] == "branching"]
    for _, row in kernels.iterrows():
        decay_path = row["parameter"].replace(".branching", ".decay_days")
        decay = table[table["parameter"] == decay_path].iloc[0]
        name = "self-excitation" if row["source"] == event else f"excitation by {row['source']}"
        if row["estimate"] <= NEGLIGIBLE_BRANCHING:
            notes.append(f"{name} fitted at 0 and left out (interval {_interval(row)})")
            continue
        kernel = {
            "branching": _figure(row["estimate"]),
            "decay_days": _figure(decay["estimate"]),
        }
        if row["source"] == event:
            values["self_excitation"] = kernel
        else:
            values.setdefault("excited_by", {})[row["source"]] = kernel
        notes.append(f"{name}: branching {_interval(row)}, decay_days {_interval(decay)}")
    return values, "; ".join(notes)


def scenario_content(
    fit: FitResult,
    scenario: Scenario | None = None,
    extends: str | None = None,
    name: str | None = None,
    rate_pieces: int = 1,
) -> dict[str, Any]:
    """Scenario YAML content (a plain dict) carrying the fitted streams.

    Args:
        fit: the fit.
        scenario: the scenario the streams belong to; its event ids are
            checked against the fit's. With it, the content `extends` it:
            streams it has are changed (keys the fit does not set, such as a
            kernel not fitted or an evidence `source:`, are removed, so no
            hand-typed number mixes with fitted ones), new ones are added.
        extends: the `extends:` value (a path relative to where the content
            will be written); default: the scenario file's name.
        name: the new scenario's name; default `<scenario>-fitted`.
        rate_pieces: with a piecewise baseline, how many final pieces the
            written `rate` averages.

    Without `scenario`, the content is only a `streams:` section.

    Raises:
        ScenarioError: the fit names an event id the scenario lacks.
    """
    frame = fit.gof.ks
    ks = dict(
        zip(
            frame["event"].tolist(),
            zip(frame["p_value"].tolist(), frame["passed"].tolist(), strict=True),
            strict=True,
        )
    )
    streams: dict[str, Any] = {}
    for event in fit.events:
        values, notes = stream_values(fit, event, rate_pieces)
        sources = {
            fit.data.provenance(e) for e in [event, *[r for r in values.get("excited_by", {})]]
        }
        p_value, passed = ks[event]
        values["assumption"] = (
            f"Fitted to {'; '.join(sorted(sources))} by {method_text(fit)} on "
            f"{dt.date.today()}: {notes}. Log-likelihood {fit.loglik:.2f}, AIC {fit.aic:.1f}; "
            f"time-rescaling KS p = {p_value:.3g}{'' if passed else ' (the fit FAILS this test)'}."
        )
        streams[event] = values
    if scenario is None:
        return {"streams": streams}
    check_against_scenario(fit.data.select(fit.events), scenario)
    origin = scenario.origin
    doc: dict[str, Any] = {
        "extends": extends or (origin.name if origin is not None else f"{scenario.name}.yaml"),
        "name": name or f"{scenario.name}-fitted",
    }
    changed = {e: v for e, v in streams.items() if e in scenario.streams}
    added = {e: v for e, v in streams.items() if e not in scenario.streams}
    removals: list[str] = []
    for event in changed:
        old = scenario.streams[event]
        if old.source is not None:
            removals.append(f"streams.{event}.source")
        if old.self_excitation is not None and "self_excitation" not in changed[event]:
            removals.append(f"streams.{event}.self_excitation")
        fitted = changed[event].get("excited_by", {})
        removals += [f"streams.{event}.excited_by.{s}" for s in old.excited_by if s not in fitted]
    if changed:
        doc["streams"] = changed
    if added:
        doc["add"] = {"streams": added}
    if removals:
        doc["remove"] = removals
    return doc
