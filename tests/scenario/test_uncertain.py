"""Numbers written as distributions (issue 10): how they are read, checked,
kept through `extends` and `--set`, and refused with a located problem."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.errors import ScenarioError
from sim.scenario import load_scenario
from sim.scenario.distributions import (
    Beta,
    Gamma,
    LogNormal,
    Pert,
    Samples,
    Uniform,
    generator_key,
)
from sim.scenario.overrides import with_overrides
from sim.scenario.schema import Scenario
from sim.scenario.uncertain import (
    document_with_uncertain,
    extract_uncertain,
    uncertain_lines,
    uncertain_manifest,
    with_uncertain,
)
from tests.conftest import Bad, assert_bad_case, dump, tweaked

RATE = "streams.attack.rate"
PROB = "rules.respond.probability"
OWN = "streams.attack.self_excitation.branching"
DECAY = "streams.attack.self_excitation.decay_days"


@pytest.mark.parametrize(
    ("law", "scipy_law"),
    [
        (LogNormal(dist="lognormal", median=0.2, sigma=0.5), stats.lognorm(0.5, scale=0.2)),
        (Gamma(dist="gamma", mean=3.0, cv=0.5), stats.gamma(4.0, scale=0.75)),
        (Beta(dist="beta", mean=0.3, sd=0.1), stats.beta(6.0, 14.0)),
        (Uniform(dist="uniform", low=1.0, high=3.0), stats.uniform(1.0, 2.0)),
        (Pert(dist="pert", low=0.0, mode=1.0, high=4.0), stats.beta(2.0, 4.0, scale=4.0)),
    ],
    ids=lambda x: getattr(x, "dist", ""),
)
def test_laws_match_their_closed_forms(law, scipy_law):
    """Parameterisations by median/sigma, mean/cv, mean/sd and low/mode/high map
    to the textbook shapes (Beta: a = m nu, b = (1-m) nu; PERT: 1 + 4 (mode-low)/width)."""
    u = np.array([0.01, 0.25, 0.5, 0.9])
    assert np.allclose(law.ppf(u), scipy_law.ppf(u))
    assert math.isclose(law.mean(), scipy_law.mean(), rel_tol=1e-12)
    assert math.isclose(law.median(), scipy_law.median(), rel_tol=1e-9)


def test_a_distribution_is_read_and_its_median_is_the_nominal_value(write_scenario):
    law = {"dist": "lognormal", "median": 0.4, "sigma": 0.3}
    s = load_scenario(write_scenario({RATE: law}))
    assert s.streams["attack"].rate == 0.4
    assert list(s.uncertain) == [RATE]
    assert s.uncertain[RATE] == LogNormal(dist="lognormal", median=0.4, sigma=0.3)
    assert uncertain_lines(s)[0] == "uncertain parameters: 1"
    assert uncertain_lines(s)[1].startswith(f"  {RATE}: lognormal(median 0.4, sigma 0.3)")
    assert uncertain_manifest(s)[0]["generator_key"] == f"param:{RATE}"


def test_a_delay_law_is_not_an_uncertain_number_but_its_mean_may_be(write_scenario):
    """`delay: {dist: exponential, mean: 2}` is the law of a delay; a mapping with
    `dist:` where the schema expects a number is an uncertain value."""
    s = load_scenario(write_scenario())
    assert s.uncertain == {}
    assert uncertain_lines(s) == ["uncertain parameters: none (every parameter fixed)"]
    mean = {"dist": "gamma", "mean": 2, "cv": 0.5}
    s = load_scenario(
        write_scenario({"rules.respond.delay": {"dist": "gamma", "mean": mean, "cv": 0.5}})
    )
    assert list(s.uncertain) == ["rules.respond.delay.mean"]
    assert s.rules["respond"].delay is not None
    assert s.rules["respond"].delay.mean == pytest.approx(Gamma(**mean).median())


def test_set_fixes_an_uncertain_value_and_keeps_the_others(write_scenario):
    s = load_scenario(
        write_scenario(
            {
                RATE: {"dist": "gamma", "mean": 0.5, "cv": 0.4},
                PROB: {"dist": "beta", "mean": 0.2, "sd": 0.1},
            }
        )
    )
    changed = with_overrides(s, {RATE: 0.7})
    assert changed.streams["attack"].rate == 0.7
    assert list(changed.uncertain) == [PROB]
    assert changed.uncertain[PROB] == s.uncertain[PROB]
    again = load_scenario(write_scenario(), {PROB: "{dist: uniform, low: 0.1, high: 0.2}"})
    assert again.uncertain == {PROB: Uniform(dist="uniform", low=0.1, high=0.2)}


def test_a_variant_replaces_or_fixes_its_base_distribution(write_scenario, project):
    write_scenario({RATE: {"dist": "gamma", "mean": 0.5, "cv": 0.4}}, name="base.yaml")
    fixed = project / "fixed.yaml"
    fixed.write_text(dump({"extends": "base.yaml", "streams": {"attack": {"rate": 0.3}}}))
    assert load_scenario(fixed).uncertain == {}
    wider = project / "wider.yaml"
    wider.write_text(dump({"extends": "base.yaml", "streams": {"attack": {"rate": {"cv": 0.8}}}}))
    assert load_scenario(wider).uncertain[RATE] == Gamma(dist="gamma", mean=0.5, cv=0.8)


def test_the_resolved_document_reloads_with_the_same_distributions(write_scenario, project):
    s = load_scenario(write_scenario({PROB: {"dist": "pert", "low": 0, "mode": 0.1, "high": 0.5}}))
    copy = project / "copy.yaml"
    copy.write_text(dump(document_with_uncertain(s)))
    assert load_scenario(copy).uncertain == s.uncertain


def test_with_uncertain_checks_like_a_file(write_scenario):
    s = load_scenario(write_scenario())
    made = with_uncertain(s, {RATE: Gamma(dist="gamma", mean=0.5, cv=0.3)})
    assert list(made.uncertain) == [RATE] and made.origin == s.origin
    with pytest.raises(ScenarioError, match="inside \\[0, 1\\]"):
        with_uncertain(s, {PROB: Gamma(dist="gamma", mean=0.5, cv=0.3)})


def test_extract_uncertain_on_a_raw_document():
    data = tweaked({RATE: {"dist": "uniform", "low": 0.2, "high": 0.6}})
    nominal, found = extract_uncertain(data, Scenario)
    assert nominal["streams"]["attack"]["rate"] == pytest.approx(0.4)
    assert data["streams"]["attack"]["rate"]["dist"] == "uniform"  # the input is not changed
    assert list(found) == [RATE]


def test_columns_of_one_samples_file_share_their_generator(write_scenario, project):
    pd.DataFrame({"rate": [0.1, 0.2, 0.3], "p": [0.5, 0.6, 0.7]}).to_csv(
        project / "posterior.csv", index=False
    )
    s = load_scenario(
        write_scenario(
            {
                RATE: {"samples": "posterior.csv", "column": "rate"},
                PROB: {"samples": "posterior.csv", "column": "p"},
            }
        )
    )
    rate, prob = s.uncertain[RATE], s.uncertain[PROB]
    assert isinstance(rate, Samples) and isinstance(prob, Samples)
    assert s.streams["attack"].rate == pytest.approx(0.2)
    assert rate.digest == prob.digest != ""
    keys = {m["generator_key"] for m in uncertain_manifest(s)}
    assert keys == {f"param:samples:{rate.digest}"}
    u = np.array([0.01, 0.5, 0.99])
    assert list(rate.ppf(u)) == [0.1, 0.2, 0.3] and list(prob.ppf(u)) == [0.5, 0.6, 0.7]


def test_parquet_samples_are_read(write_scenario, project):
    pd.DataFrame({"b": [0.2, 0.4]}).to_parquet(project / "draws.parquet")
    s = load_scenario(write_scenario({OWN: {"samples": "draws.parquet", "column": "b"}}))
    assert s.uncertain[OWN].support() == (0.2, 0.4)


UNCERTAIN_CASES = [
    Bad(
        "missing-parameter",
        {RATE: {"dist": "lognormal", "median": 0.5}},
        f"{RATE}.sigma",
        "a value (lognormal needs median, sigma)",
        "nothing",
        ("rate:", None),
    ),
    Bad(
        "negative-parameter",
        {RATE: {"dist": "gamma", "mean": -1, "cv": 0.5}},
        f"{RATE}.mean",
        "a number > 0",
        "-1",
        ("mean: -1", None),
    ),
    Bad(
        "beta-sd-too-large",
        {PROB: {"dist": "beta", "mean": 0.1, "sd": 0.4}},
        PROB,
        "sd below sqrt(mean (1 - mean)) = 0.3",
        "sd 0.4",
        ("probability:", None),
    ),
    Bad(
        "unknown-law",
        {RATE: {"dist": "weibull", "shape": 2}},
        f"{RATE}.dist",
        "one of lognormal, gamma, beta, uniform, pert",
        "'weibull'",
        ("dist: weibull", None),
    ),
    Bad(
        "unknown-parameter",
        {RATE: {"dist": "gamma", "mean": 1, "cv": 0.5, "sd": 2}},
        f"{RATE}.sd",
        "one of: mean, cv",
        "unknown key 'sd'",
        ("sd: 2", None),
    ),
    Bad(
        "integer-parameter",
        {"rules.respond.max_pending": {"dist": "uniform", "low": 1, "high": 5}},
        "rules.respond.max_pending",
        "a whole number",
        "a distribution",
        ("max_pending:", None),
    ),
    Bad(
        "integer-initial-level",
        {"initial_level": {"dist": "pert", "low": 0, "mode": 1, "high": 2}},
        "initial_level",
        "a whole number",
        "a distribution",
        ("initial_level:", None),
    ),
    Bad(
        "probability-outside-0-1",
        {PROB: {"dist": "lognormal", "median": 0.1, "sigma": 0.5}},
        PROB,
        "a distribution inside [0, 1]",
        "draws from 0.001582 to 6.063",
        ("probability:", None),
    ),
    Bad(
        "negative-rate",
        {RATE: {"dist": "uniform", "low": -0.1, "high": 0.5}},
        RATE,
        "a distribution inside [0, inf)",
        "draws from -0.1 to 0.5",
        ("rate:", None),
    ),
    Bad(
        "decay-drawing-below-the-floor",
        {DECAY: {"dist": "gamma", "mean": 2, "cv": 3}},
        DECAY,
        "a distribution inside [1e-06, inf)",
        "draws from 5.517e-146",
        ("decay_days:", None),
    ),
    Bad(
        "delay-cv-drawing-exactly-0",
        {
            "rules.respond.delay": {
                "dist": "gamma",
                "mean": 2,
                "cv": {"dist": "gamma", "mean": 1, "cv": 10},
            }
        },
        "rules.respond.delay.cv",
        "a distribution inside (0, inf)",
        "draws from 0 to 2878",
        ("cv:", None),
    ),
    Bad(
        "rate-drawing-inf",
        {RATE: {"dist": "gamma", "mean": 1e307, "cv": 1}},
        RATE,
        "a distribution inside [0, inf)",
        "draws from 5.551e+290 to inf",
        ("rate:", None),
    ),
    Bad(
        "branching-reaching-1",
        {OWN: {"dist": "beta", "mean": 0.8, "sd": 0.1}},
        OWN,
        "own branching distribution below 1 (or 'max_events'",
        "support reaching 1",
        ("branching:", None),
    ),
    Bad(
        "not-an-uncertain-place",
        {"rules.respond.if": {"after_day": {"dist": "uniform", "low": 1, "high": 5}}},
        "rules.respond.if.after_day",
        "uncertain values are for stream rates",
        "a distribution",
        ("after_day:", None),
    ),
    Bad(
        "uniform-delay-bounds-overlap",
        {
            "rules.respond.delay": {
                "dist": "uniform",
                "low": {"dist": "uniform", "low": 1, "high": 4},
                "high": 3,
            }
        },
        "rules.respond.delay.low",
        "delay low below high in every draw",
        "low up to 4, high from 3",
        ("low:", "delay:"),
    ),
    Bad(
        "samples-file-missing",
        {RATE: {"samples": "nowhere.csv", "column": "rate"}},
        f"{RATE}.samples",
        "an existing CSV or Parquet file of draws",
        "no file 'nowhere.csv'",
        ("samples: nowhere.csv", None),
    ),
]


@pytest.mark.parametrize("case", UNCERTAIN_CASES, ids=lambda c: c.id)
def test_bad_distribution(case: Bad, write_scenario):
    assert_bad_case(case, write_scenario(case.changes))


def test_branching_reaching_1_is_allowed_with_max_events(write_scenario):
    s = load_scenario(
        write_scenario(
            {OWN: {"dist": "beta", "mean": 0.8, "sd": 0.1}, "streams.attack.max_events": 500}
        )
    )
    assert list(s.uncertain) == [OWN]


def test_a_remembered_verdict_still_reads_the_document_and_its_own_file(write_scenario):
    # A law's verdict at a path is remembered (calibration re-checks the same
    # laws per candidate); what depends on the rest of the document (max_events)
    # and where a problem is reported must not be remembered with it.
    law = {"dist": "beta", "mean": 0.8, "sd": 0.1}
    capped = write_scenario({OWN: law, "streams.attack.max_events": 500}, name="capped.yaml")
    for attempt in range(2):
        assert list(load_scenario(capped).uncertain) == [OWN]
        uncapped = write_scenario({OWN: law}, name=f"uncapped{attempt}.yaml")
        with pytest.raises(ScenarioError, match="support reaching 1") as refused:
            load_scenario(uncapped)
        assert str(refused.value).startswith(f"{uncapped.name}:")
    wide = {"dist": "uniform", "low": -1, "high": 2}
    for name in ("wide0.yaml", "wide1.yaml"):  # the second is remembered
        with pytest.raises(ScenarioError, match="draws from -1 to 2") as refused:
            load_scenario(write_scenario({RATE: wide}, name=name))
        assert str(refused.value).startswith(f"{name}:")


def test_a_decay_is_checked_on_the_draws_it_can_make_not_its_open_support(write_scenario):
    """A lognormal's support starts at 0, below the 1e-6-day floor, yet no
    replication can draw below its quantile at the smallest uniform (0.0316
    days here): the range check reads that, so the law is accepted."""
    s = load_scenario(write_scenario({DECAY: {"dist": "lognormal", "median": 2, "sigma": 0.5}}))
    assert list(s.uncertain) == [DECAY]
    low, high = s.uncertain[DECAY].attainable()
    assert 0.03 < low < 0.04 and 100 < high < 150


def test_no_parameter_uniform_reaches_1():
    """The top 53-bit step shifted by half a step rounds to 1.0 in float64, where
    a lognormal's inverse CDF is infinite; the drawn uniforms stop at U_MAX."""
    from sim.montecarlo.parameters import _keyed
    from sim.scenario.distributions import U_MAX, U_MIN

    assert 1.0 - U_MIN == 1.0  # why the cap is needed
    roots = np.full((4, 2), np.iinfo(np.uint64).max, dtype=np.uint64)
    u = _keyed(roots, "param:x")
    assert ((u >= U_MIN) & (u <= U_MAX) & (u < 1.0)).all()
    assert math.isfinite(LogNormal(dist="lognormal", median=1.0, sigma=1.0).attainable()[1])


def test_a_top_level_uncertain_key_is_refused(write_scenario):
    data = tweaked()
    data["uncertain"] = {RATE: {"dist": "gamma", "mean": 1, "cv": 1}}
    assert_bad_case(
        Bad(
            "top-level",
            {},
            "uncertain",
            "distributions written in place of numbers",
            "a top-level 'uncertain' key",
            ("uncertain:", None),
        ),
        write_scenario(data=data),
    )


@pytest.mark.parametrize(
    ("content", "expected", "found"),
    [
        ("", "a file of draws with a header row", "an empty file"),
        ("rate\n", "a file of draws with at least one row", "no rows"),
        ("other\n0.1\n", "a column of post.csv (one of: other)", "'rate'"),
        ("rate\n0.1\ninf\n", "finite numbers in column 'rate'", "first in data row 2"),
        ("rate\n0.1\nabc\n", "finite numbers in column 'rate'", "1 non-finite or non-numeric"),
    ],
    ids=["empty", "no-rows", "no-column", "infinite", "not-a-number"],
)
def test_bad_samples_file(content, expected, found, write_scenario, project):
    (project / "post.csv").write_text(content)
    file = write_scenario({RATE: {"samples": "post.csv", "column": "rate"}})
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    (problem,) = info.value.problems
    assert problem.file == file.name and problem.line is not None
    assert problem.path.startswith(RATE)
    assert expected in problem.expected and found in problem.found


def test_samples_outside_the_domain_are_refused(write_scenario, project):
    (project / "post.csv").write_text("p\n0.5\n1.2\n")
    file = write_scenario({PROB: {"samples": "post.csv", "column": "p"}})
    with pytest.raises(ScenarioError, match=r"inside \[0, 1\]"):
        load_scenario(file)


def test_samples_are_found_beside_the_file_that_names_them(write_scenario, project):
    (project / "sub").mkdir()
    (project / "sub" / "post.csv").write_text("rate\n0.1\n0.3\n")
    data = tweaked({RATE: {"samples": "post.csv", "column": "rate"}})
    path = Path(project / "sub" / "s.yaml")
    path.write_text(dump(data))
    assert load_scenario(path).uncertain[RATE].median() == pytest.approx(0.2)


def test_an_aliased_distribution_is_drawn_independently_at_each_place(write_scenario):
    """A YAML alias copies a law to a second place; each place draws its own
    value, keyed by its own path (docs/decisions.md). Before, the copy kept the
    two places as one mapping and the second silently stayed at the median."""
    law = {"dist": "pert", "low": 0.1, "mode": 0.3, "high": 0.5}  # one object: dumped as an alias
    path = write_scenario(
        {OWN: law, "streams.attack.excited_by": {"strike": {"branching": law, "decay_days": 2}}}
    )
    assert "&id" in path.read_text() and "*id" in path.read_text()
    s = load_scenario(path)
    cross = "streams.attack.excited_by.strike.branching"
    assert {OWN, cross} <= set(s.uncertain)
    assert s.uncertain[OWN] == s.uncertain[cross]
    assert generator_key(OWN, s.uncertain[OWN]) != generator_key(cross, s.uncertain[cross])
