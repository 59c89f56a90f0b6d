"""The fit of the real Iraq 2007-08 files (../shared/data), pinned.

Regression values: they detect a change in the reader, the likelihood, the
optimiser or the within-day placement; they do not prove correctness (the
recovery tests do that). The figures were produced by this code on
2026-11-24 and are discussed in docs/eventdata.md.

- univariate: all 67,079 insurgent events of 2007-03-01..2008-06-30 (the
  file's whole months), self-excitation, monthly baseline, Wald intervals;
- multivariate subset (kept small for test time): IED attacks and US
  airstrikes (type Airstrike) of 2007-03-01..2007-08-31, 8,403 and 937
  events, all four kernels, constant baseline, profile intervals.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.eventdata import read_events
from sim.experiments.fit import FitSpec, fit_streams

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
INSURGENT = DATA / "iraq_insurgent_events_2007-02-23_2008-07-05.csv"
AIRSTRIKES = DATA / "iraq_us_airstrikes_2007-02-23_2008-07-05.csv"

pytestmark = [
    pytest.mark.regression,
    pytest.mark.skipif(
        not (INSURGENT.exists() and AIRSTRIKES.exists()),
        reason=f"the shared Iraq event files are not at {DATA} (a checkout without ../shared)",
    ),
]


def estimates(fit):
    return fit.table().set_index("parameter")


def test_insurgent_attacks_monthly_baseline(tmp_path):
    (tmp_path / "map.yaml").write_text(
        f"data: {INSURGENT}\nperiod: {{from: 2007-03-01, to: 2008-06-30}}\n"
        "events: {insurgent_attack: {}}\n",
        encoding="utf-8",
    )
    data = read_events(None, tmp_path / "map.yaml")
    assert data.counts() == {"insurgent_attack": 67079}
    assert data.files["insurgent_attack"].sha256.startswith("f40c10534148dbd3")
    fit = fit_streams(data, FitSpec(baseline="monthly", intervals="wald"))
    rows = estimates(fit)
    assert fit.converged
    assert fit.loglik == pytest.approx(270349.9208, abs=1e-3)
    branching = rows.loc["streams.insurgent_attack.self_excitation.branching"]
    assert branching["estimate"] == pytest.approx(0.755309, abs=1e-4)
    assert (branching["lower"], branching["upper"]) == pytest.approx((0.7132, 0.7974), abs=1e-3)
    decay = rows.loc["streams.insurgent_attack.self_excitation.decay_days"]
    assert decay["estimate"] == pytest.approx(1.0)
    assert decay["note"] == "at its lower bound 1"
    assert rows.loc["streams.insurgent_attack.rate[2007-03-01]", "estimate"] == pytest.approx(
        56.289, abs=1e-2
    )
    assert rows.loc["streams.insurgent_attack.rate[2008-06-01]", "estimate"] == pytest.approx(
        11.950, abs=1e-2
    )
    assert fit.gof.ks["p_value"].iloc[0] == pytest.approx(0.1954, abs=1e-3)


def test_ied_attacks_and_airstrikes_cross_excitation(tmp_path):
    (tmp_path / "map.yaml").write_text(
        f"data: {INSURGENT}\nperiod: {{from: 2007-03-01, to: 2007-08-31}}\nevents:\n"
        "  ied_attack: {where: {type: IED}}\n"
        f"  us_airstrike: {{data: {AIRSTRIKES}, where: {{type: Airstrike}}}}\n",
        encoding="utf-8",
    )
    data = read_events(None, tmp_path / "map.yaml")
    assert data.counts() == {"ied_attack": 8403, "us_airstrike": 937}
    fit = fit_streams(data, FitSpec(excitation="cross"))
    rows = estimates(fit)
    assert fit.loglik == pytest.approx(24629.0424, abs=1e-3)
    expected = {
        "streams.ied_attack.self_excitation.branching": (0.5078, 0.3847, 0.6318),
        "streams.ied_attack.excited_by.us_airstrike.branching": (0.0, 0.0, 0.1855),
        "streams.us_airstrike.excited_by.ied_attack.branching": (0.0138, 0.0, 0.0331),
        "streams.us_airstrike.self_excitation.branching": (0.8552, 0.7680, 0.9430),
    }
    for path, (estimate, lower, upper) in expected.items():
        row = rows.loc[path]
        assert (row["estimate"], row["lower"], row["upper"]) == pytest.approx(
            (estimate, lower, upper), abs=1e-3
        ), path
    ks = fit.gof.ks.set_index("event")
    assert ks.loc["ied_attack", "passed"]
    assert not ks.loc["us_airstrike", "passed"]
    assert any("us_airstrike: the time-rescaling KS test rejects" in w for w in fit.warnings)
