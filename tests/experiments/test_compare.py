"""Policy comparison with common random numbers: paired differences that are
exactly zero for a scenario against itself and far tighter than unpaired ones
for a small change; scenarios put on a common footing (horizon) or refused
(start date); and `escsim compare` writing its differences."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import ScenarioError, UsageError
from sim.experiments.compare import align, compare, hit, parse_variants
from sim.montecarlo.runner import run_table
from sim.scenario import load_scenario
from sim.scenario.overrides import with_overrides
from sim.stats import Z95
from tests.conftest import SCENARIOS, dump, files_under, flat, tweaked
from tests.sweep import invoke

POISSON = SCENARIOS / "reference" / "poisson_count.yaml"
FLAGSHIP = SCENARIOS / "iraq_2024_israel_threat.yaml"


def test_a_scenario_against_itself_differs_by_exactly_zero():
    s = load_scenario(POISSON)
    result = compare([("a", s), ("b", s)], seed=3, reps=200)
    diff = result.differences()
    assert list(diff["outcome"]) == ["ten_attacks", "any_attack"]
    for row in diff.to_dict(orient="records"):
        # The same seed and replication indices: the same draws, the same runs.
        assert row["difference"] == 0.0
        # No pair differs: the difference is 0, bounded by the Wilson upper
        # limit of 0 differing replications out of n.
        bound = Z95**2 / (row["replications"] + Z95**2)
        assert row["paired_lower"] == pytest.approx(-bound) and row[
            "paired_upper"
        ] == pytest.approx(bound)
        assert row["replications_differing"] == 0
        assert row["p_baseline"] == row["p_scenario"]
        assert math.isfinite(row["narrowing"]) and row["narrowing"] >= 1 - 1e-9
    np.testing.assert_array_equal(result.results[0].table.counts, result.results[1].table.counts)


def test_differences_are_the_paired_replications():
    s = with_overrides(load_scenario(POISSON), {"streams.attack.rate": 0.09})
    faster = with_overrides(s, {"streams.attack.rate": 0.11})  # P(10 attacks) ~0.41 -> ~0.58
    result = compare([("base", s), ("faster", faster)], seed=1, reps=300)
    row = result.differences().set_index("outcome").loc["ten_attacks"]
    a, b = hit(result.results[0], "ten_attacks"), hit(result.results[1], "ten_attacks")
    d = b - a
    assert row["difference"] == pytest.approx(d.mean(), abs=1e-15)
    # Newcombe's paired score interval is close to the normal interval of the
    # per-replication differences when neither is near a boundary.
    half = Z95 * d.std(ddof=1) / math.sqrt(300)
    assert row["paired_lower"] < d.mean() < row["paired_upper"]
    assert row["paired_lower"] == pytest.approx(d.mean() - half, abs=0.25 * half)
    assert row["paired_upper"] == pytest.approx(d.mean() + half, abs=0.25 * half)
    assert row["replications_differing"] == int(np.sum(a != b))
    # Each scenario's runs are those run_table gives it alone.
    alone = run_table(faster, 1, range(300))
    np.testing.assert_array_equal(result.results[1].table.outcome_days, alone.outcome_days)


@pytest.mark.slow
def test_pairing_narrows_the_interval_of_a_small_effect():
    """Israel's daily hazard of deciding to strike, 0.03 -> 0.033, in the flagship.

    With common random numbers, replication i of both scenarios draws the same
    numbers for every stream and rule (the hazard's unit exponentials
    included), so the two runs differ only where the 10% faster decision
    clock changes a strike: the 0/1 outcomes agree in all but k of n
    replications. The paired standard error is then at most sqrt(k/n)/sqrt(n),
    while the unpaired one is sqrt(2 p (1-p)/n), so the ratio of widths is
    about sqrt(2 p (1-p) n / k): above 2 whenever k/n < p (1-p) / 2, about
    0.1 for the headline's p near 0.65 - far more than a small change moves.
    (The score intervals used are a little wider than the normal ones for
    small k, so the test allows 10% of that ratio.) Both hazards are fixed
    (the file's is uncertain), so the change is the only difference.
    """
    s = with_overrides(load_scenario(FLAGSHIP), {"rules.israel_strikes_factions.hazard": 0.03})
    variant = with_overrides(s, {"rules.israel_strikes_factions.hazard": 0.033})
    result = compare([("base", s), ("variant", variant)], seed=7, reps=1000, workers=2)
    row = result.differences().set_index("outcome").loc["spillover"]
    n, k = 1000, row["replications_differing"]
    assert 0 < k < 0.05 * n, k  # a small effect, but an effect
    paired = row["paired_upper"] - row["paired_lower"]
    unpaired = row["unpaired_upper"] - row["unpaired_lower"]
    assert row["narrowing"] == pytest.approx(unpaired / paired)
    assert unpaired / paired > 2
    pa, pb = row["p_baseline"], row["p_scenario"]
    bound = math.sqrt((pa * (1 - pa) + pb * (1 - pb)) * n / k)
    assert unpaired / paired >= 0.9 * bound


def test_different_horizons_are_compared_on_the_common_one(project: Path):
    """The longer scenario has an observed window past the shorter horizon: it
    is dropped with the horizon, not refused."""
    (project / "long.yaml").write_text(dump(tweaked()))
    (project / "short.yaml").write_text(dump(tweaked({"horizon_days": 20, "observed": {}})))
    long, short = load_scenario(project / "long.yaml"), load_scenario(project / "short.yaml")
    aligned, outcomes, notes = align([("long", long), ("short", short)])
    assert [s.horizon_days for _, s in aligned] == [20, 20]
    assert aligned[0][1].observed == {}
    assert outcomes == ["struck_level", "strike"]
    assert notes == [
        "horizons differ (long: 100, short: 20 days); compared on the common horizon of 20 days"
    ]
    result = compare([("long", long), ("short", short)], seed=2, reps=100)
    assert result.notes == notes
    assert [r.scenario.horizon_days for r in result.results] == [20, 20]
    # The only difference was the horizon, so on the common one they agree exactly.
    assert (result.differences()["difference"] == 0).all()


def test_different_start_dates_are_refused(project: Path):
    (project / "a.yaml").write_text(dump(tweaked()))
    (project / "b.yaml").write_text(dump(tweaked({"start_date": "2023-12-31"})))
    a, b = load_scenario(project / "a.yaml"), load_scenario(project / "b.yaml")
    with pytest.raises(UsageError, match="start on different dates"):
        align([("a", a), ("b", b)])


def test_outcomes_not_shared_are_left_out_with_a_note(project: Path):
    (project / "a.yaml").write_text(dump(tweaked()))
    data = tweaked()
    del data["outcomes"]["strike"]
    (project / "b.yaml").write_text(dump(data))
    _, outcomes, notes = align(
        [("a", load_scenario(project / "a.yaml")), ("b", load_scenario(project / "b.yaml"))]
    )
    assert outcomes == ["struck_level"]
    assert notes == ["outcomes not in every scenario are left out: strike"]


def test_a_comparison_needs_two_scenarios():
    with pytest.raises(UsageError, match="at least two"):
        align([("a", load_scenario(POISSON))])


def test_variants_are_parsed_and_validated():
    s = load_scenario(POISSON)
    [(name, v)] = parse_variants(s, ["fast: streams.attack.rate=0.7, horizon_days=80"])
    assert name == "fast"
    assert v.streams["attack"].rate == 0.7 and v.horizon_days == 80
    for bad in ["bad-spec", "x:", ":streams.attack.rate=1", "x:streams.attack.rate=1,oops"]:
        with pytest.raises(UsageError, match="--variant expects NAME:PATH=VALUE"):
            parse_variants(s, [bad])
    with pytest.raises(ScenarioError):
        parse_variants(s, ["neg:streams.attack.rate=-1"])


@pytest.mark.parametrize("name", ["a/../../x", "../x", "[red]v[/red]", "a b", ".x", "x" * 101])
def test_a_variant_name_is_checked_as_a_scenario_name(name: str):
    """It names the results folder: one safe path component, as a scenario's
    `name:` (checked as a name, never as a path)."""
    with pytest.raises(UsageError, match="expected NAME to be a name of at most 100"):
        parse_variants(load_scenario(POISSON), [f"{name}:streams.attack.rate=0.7"])


# --- the command -----------------------------------------------------------------------


CLI = ["--reps", "200", "--workers", "1", "--seed", "4"]


def test_cli_compare_writes_differences(project: Path):
    # Rates 0.08 and 0.1 a day: P(ten attacks in 100 days) about 0.33 and 0.54.
    for name, rate in (("a", "0.08"), ("b", "0.1")):
        text = POISSON.read_text().replace("rate: 0.5", f"rate: {rate}")
        assert text != POISSON.read_text()
        (project / f"{name}.yaml").write_text(text)
    result = invoke("compare", "a.yaml", "b.yaml", *CLI, "--out", "cmp")
    assert result.exit_code == 0, result.output
    out = project / "cmp"
    for name in ("differences.csv", "probabilities.csv", "probability_by_day.csv"):
        assert (out / name).exists(), name
    for name in ("differences.png", "compare_ten_attacks.png", "compare_any_attack.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG"), name
    diff = pd.read_csv(out / "differences.csv")
    assert list(diff["scenario"]) == ["b", "b"]
    assert list(diff["baseline"]) == ["a", "a"]
    assert list(diff["outcome"]) == ["ten_attacks", "any_attack"]
    # The same numbers as the library's (the CSV keeps six significant digits).
    a, b = load_scenario(project / "a.yaml"), load_scenario(project / "b.yaml")
    expected = compare([("a", a), ("b", b)], seed=4, reps=200).differences()
    np.testing.assert_allclose(diff["difference"], expected["difference"], rtol=1e-5, atol=1e-12)
    assert 0 < diff["difference"].iloc[0] < 1
    assert (diff["paired_upper"] - diff["paired_lower"]).iloc[0] > 0
    assert not list(project.glob(".cmp*")), "no staging folder left behind"


def test_cli_compare_notes_a_common_horizon(project: Path):
    (project / "long.yaml").write_text(dump(tweaked()))
    (project / "short.yaml").write_text(dump(tweaked({"horizon_days": 20, "observed": {}})))
    result = invoke("compare", "long.yaml", "short.yaml", *CLI, "--out", "cmp")
    assert result.exit_code == 0, result.output
    assert "note: horizons differ" in flat(result.stderr)
    assert (project / "cmp" / "differences.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--variant", "bad-spec"], "--variant expects NAME:PATH=VALUE"),
        (["--variant", "x:streams.attack.rate=0.6,oops"], "--variant expects NAME:PATH=VALUE"),
        (["--variant", "x:streams.attack.rat=0.6"], "a path that exists in the scenario"),
        (["--variant", "a:streams.attack.rate=0.6"], "scenario names repeat"),
        ([], "a comparison needs at least two scenarios"),
        (["--variant", "a/../../x:streams.attack.rate=0.6"], "found 'a/../../x'"),
        (["--variant", "[red]v[/red]:streams.attack.rate=0.6"], "found '[red]v[/red]'"),
        (["--variant", ".hidden:streams.attack.rate=0.6"], "expected NAME to be a name of"),
    ],
    ids=[
        "no-colon",
        "assignment-without-equals",
        "unknown-path",
        "repeated-name",
        "alone",
        "path-in-name",
        "markup-in-name",
        "leading-dot",
    ],
)
def test_cli_compare_refuses_bad_variants(project: Path, args, message):
    (project / "a.yaml").write_text(POISSON.read_text())
    before = files_under(project)
    result = invoke("compare", "a.yaml", *args, *CLI)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert message in flat(result.stderr)
    assert files_under(project) == before
    assert not (project / "results").exists()


def test_cli_compare_refuses_different_start_dates(project: Path):
    (project / "a.yaml").write_text(dump(tweaked()))
    (project / "b.yaml").write_text(dump(tweaked({"start_date": "2023-12-31"})))
    before = files_under(project)
    result = invoke("compare", "a.yaml", "b.yaml", *CLI, "--out", "cmp")
    assert result.exit_code == 2, result.output
    assert "start on different dates" in flat(result.stderr)
    assert files_under(project) == before
