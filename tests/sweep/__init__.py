"""Helpers shared by the sweep tests: small sweep files over the reference
Poisson scenario (fast: about 0.2 ms a replication), written into the test's
project folder so every path in a message is short and nothing lands in the
repository."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner, Result

from sim.cli import app
from tests.conftest import SCENARIOS

POISSON = SCENARIOS / "reference" / "poisson_count.yaml"

# The reference Poisson stream (rate 0.5/day over 100 days) plus a rule whose
# condition can never hold (100,000 attacks in 100 days), so its probability
# is a parameter that cannot change any outcome: the rule is never triggered,
# draws nothing, and the stream's random numbers are its own.
INERT = """\
name: inert-rule
start_date: 2024-01-01
horizon_days: 100
actors:
  a: {name: Actor A, kind: armed_faction}
  b: {name: Actor B, kind: state}
ladder: [calm, attacked, struck]
events:
  attack: {actor: a, target: b, rung: 1}
  strike: {actor: b, target: a, rung: 2}
streams:
  attack:
    rate: 0.1
    assumption: a test rate
rules:
  never:
    actor: b
    on: [attack]
    if: {total: {event: attack, at_least: 100000}}
    probability: 0.5
    then:
      - emit: strike
    assumption: a rule that never fires
outcomes:
  ten_attacks: {event: attack, count_at_least: 10}
"""


def copy_poisson(folder: Path, name: str = "base.yaml") -> Path:
    target = folder / name
    shutil.copyfile(POISSON, target)
    return target


def write_sweep(folder: Path, body: str, name: str = "sweep.yaml", base: str = "base.yaml") -> Path:
    """A sweep file `base: <base>` followed by `body` (YAML text)."""
    path = folder / name
    path.write_text(f"base: {base}\n{body}", encoding="utf-8")
    return path


def grid_sweep(
    folder: Path,
    levels: int = 6,
    replications: int = 30,
    low: float = 0.05,
    high: float = 0.2,
    name: str = "sweep.yaml",
) -> Path:
    """A one-parameter grid over the Poisson rate (P(ten attacks) goes 0 -> 1)."""
    return write_sweep(
        folder,
        f"parameters:\n  streams.attack.rate: {{low: {low}, high: {high}, levels: {levels}}}\n"
        f"design: grid\nreplications: {replications}\nseed: 3\n",
        name=name,
    )


def invoke(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])
