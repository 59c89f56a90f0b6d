"""History and uncertain parameters give exactly the SimPy engine's tables.

History (docs/MODEL.md, History): past occurrences excite streams, count in
`count` conditions and keep cooldowns running, but are never counted as
simulated. Uncertain parameters: replication r draws its values from keyed
uniforms (draw r // M in the nested design), which the fast engine feeds to
the kernel per replication. Every column of the RunTable, `parameters`
included, must be equal, for shipped scenarios made uncertain, `samples:`
files, the nested design, `--history`-style histories (the CLI's own
`history_overrides`), the rolling backtest's restarted scenarios on the real
Iraq data when present, and hypothesis-generated scenarios with both.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.engine import compile_model
from sim.eventdata import read_events
from sim.eventdata.history import history_overrides
from sim.experiments.uncertainty import nested_chunk
from sim.montecarlo.fast.run import run_fast_chunk
from sim.montecarlo.fast.uncertain import remembered_uniforms
from sim.montecarlo.parameters import Parameters
from sim.montecarlo.runner import run_chunk, run_table
from sim.scenario import load_scenario
from sim.scenario.distributions import Gamma, Law, LogNormal, Samples, Uniform
from sim.scenario.overrides import with_overrides
from sim.scenario.schema import Scenario
from sim.scenario.uncertain import with_uncertain
from sim.scenario.workload import expected_events
from tests.engine.helpers import scenario
from tests.montecarlo.fast.test_differential import assert_identical, rule, scenarios

ROOT = Path(__file__).resolve().parents[3]
FLAGSHIP = ROOT / "scenarios" / "iraq_2024_israel_threat.yaml"
REFERENCE = sorted((ROOT / "scenarios" / "reference").glob("*.yaml"))


def both(s: Scenario, seed: int, reps: range, reps_per_draw: int = 1) -> None:
    model = compile_model(s)
    simpy = run_chunk(model, seed, reps, "simpy", reps_per_draw)
    fast = run_fast_chunk(model, seed, reps, reps_per_draw)
    assert_identical(fast, simpy)
    if s.uncertain:
        assert fast.parameters.shape == (len(reps), len(s.uncertain))


# --- uncertain parameters -------------------------------------------------------


def spread(value: float, lower: float = 0.0, upper: float | None = None) -> Law:
    """A uniform law around a written value (up to 1 for a written ~0), inside
    the parameter's domain."""
    low, high = max(lower, 0.6 * value), 1.4 * value if value > 1e-3 else 1.0
    if upper is not None:
        high = min(high, upper)
    return Uniform(dist="uniform", low=low, high=high)


def every_number_uncertain(s: Scenario) -> Scenario:
    """`s` with every number the contract lets be uncertain drawn around its
    value: rates, kernels, probabilities, cooldowns, delay parameters, scale
    factors and days, the ladder's decay."""
    laws: dict[str, Law] = {}
    for ident, stream in s.streams.items():
        if stream.rate > 0:
            laws[f"streams.{ident}.rate"] = LogNormal(
                dist="lognormal", median=stream.rate, sigma=0.3
            )
        kernels = {"self_excitation": stream.self_excitation} | {
            f"excited_by.{k}": v for k, v in stream.excited_by.items()
        }
        for where, kernel in kernels.items():
            if kernel is None:
                continue
            if 0 < kernel.branching < 0.9:
                laws[f"streams.{ident}.{where}.branching"] = spread(kernel.branching, upper=0.95)
            laws[f"streams.{ident}.{where}.decay_days"] = spread(kernel.decay_days)
    for ident, r in s.rules.items():
        if 0 < r.probability < 1:
            laws[f"rules.{ident}.probability"] = spread(r.probability, upper=1.0)
        if r.cooldown_days > 0:
            laws[f"rules.{ident}.cooldown_days"] = spread(r.cooldown_days)
        if r.delay is not None:
            for name in ("days", "mean", "cv", "median", "sigma"):
                value = getattr(r.delay, name)
                if value:
                    laws[f"rules.{ident}.delay.{name}"] = spread(value)
        for i, action in enumerate(r.then):
            if action.scale is not None:
                laws[f"rules.{ident}.then[{i}].scale.factor"] = spread(action.scale.factor)
                laws[f"rules.{ident}.then[{i}].scale.days"] = spread(action.scale.days)
    if s.ladder_decay_days is not None:
        laws["ladder_decay_days"] = spread(s.ladder_decay_days)
    return with_uncertain(s, laws)


@pytest.mark.parametrize(
    "path", [FLAGSHIP, *REFERENCE], ids=lambda p: str(p.relative_to(ROOT / "scenarios"))
)
def test_shipped_scenarios_with_every_number_uncertain_are_identical(path):
    s = every_number_uncertain(load_scenario(path))
    assert s.uncertain
    both(s, seed=13, reps=range(120))


def test_the_nested_design_shares_each_draw_across_its_block():
    s = every_number_uncertain(load_scenario(FLAGSHIP))
    model = compile_model(s)
    fast = run_fast_chunk(model, 3, range(40, 100), reps_per_draw=20)
    assert_identical(fast, run_chunk(model, 3, range(40, 100), "simpy", reps_per_draw=20))
    # What sim.experiments.uncertainty.run_nested runs today, chunk for chunk.
    assert_identical(fast, nested_chunk(s, 3, range(40, 100), reps_per_draw=20))
    draws = fast.parameters.reshape(3, 20, -1)
    assert np.all(draws == draws[:, :1]) and not np.array_equal(draws[0, 0], draws[1, 0])


def test_remembered_uniforms_are_the_reference_draws_and_cannot_be_changed():
    # Calibration candidates reuse one seed and one set of replications, so the
    # fast engine remembers their uniforms; a repeat must give the reference
    # (numpy generator per draw) bits, for any order of the same draws.
    s = every_number_uncertain(load_scenario(FLAGSHIP))
    params = Parameters.of(compile_model(s))
    inputs = tuple(params.inputs)
    first = remembered_uniforms(5, inputs, [7, 3, 11])
    again = remembered_uniforms(5, inputs, [7, 3, 11])
    assert again is first
    assert np.array_equal(first, params.uniforms(5, [7, 3, 11]))
    for seed, draws in [(5, [3, 7]), (6, [7, 3, 11])]:
        expected = params.uniforms(seed, draws)
        assert np.array_equal(remembered_uniforms(seed, inputs, draws), expected)
    with pytest.raises(ValueError, match="read-only"):
        first[0, 0] = 0.5


def test_a_samples_file_law_and_a_kernel_written_at_zero_branching():
    # A `samples:` column (rows shared by its two columns) and an uncertain
    # decay on a kernel whose written branching is 0: `compile_model` drops
    # that kernel, `Parameters.apply` adds it back, and it wakes its stream.
    s = scenario(
        streams={
            "attack": {
                "rate": 0.8,
                "excited_by": {"strike": {"branching": 0.0, "decay_days": 2}},
                "assumption": "test",
            },
            "strike": {"rate": 0.3, "assumption": "test"},
        },
        rules={"answer": rule("attack", [{"emit": "big"}], probability=0.3, cooldown_days=2)},
        outcomes={"big": {"event": "big"}, "top": {"level_at_least": 2}},
    )
    rows = np.linspace(0.1, 1.5, 50)
    rate = Samples(samples="post.csv", column="rate").attach(rows, "digest-1")
    p = Samples(samples="post.csv", column="p").attach(rows / 3, "digest-1")
    s = with_uncertain(
        s,
        {
            "streams.attack.rate": rate,
            "rules.answer.probability": p,
            "streams.strike.rate": Gamma(dist="gamma", mean=0.3, cv=0.5),
            "streams.attack.excited_by.strike.decay_days": Uniform(dist="uniform", low=0.5, high=4),
        },
    )
    both(s, seed=8, reps=range(200))
    drawn = run_fast_chunk(compile_model(s), 8, range(200)).parameters
    assert np.allclose(drawn[:, 0], 3 * drawn[:, 1])


def test_run_table_gives_uncertain_tables_on_either_engine_any_workers():
    s = every_number_uncertain(load_scenario(REFERENCE[0]))
    simpy = run_table(s, 4, range(300))
    assert_identical(run_table(s, 4, range(300), engine="fast"), simpy)
    assert_identical(run_table(s, 4, range(300), workers=2, chunk=90, engine="fast"), simpy)


# --- history ------------------------------------------------------------------

START = dt.date(2024, 1, 1)


def day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


def history_scenario(**extra: Any) -> Scenario:
    """Past attacks and strikes exciting two streams, `count` windows reaching
    before day 0, a rule that fired before the start, an observed window."""
    return scenario(
        horizon_days=60,
        streams={
            "attack": {
                "rate": 0.3,
                "self_excitation": {"branching": 0.5, "decay_days": 4},
                "excited_by": {"strike": {"branching": 0.4, "decay_days": 2}},
                "max_events": 40,
                "assumption": "test",
            },
            "strike": {
                "rate": 0.05,
                "excited_by": {"attack": {"branching": 0.3, "decay_days": 3}},
                "assumption": "test",
            },
        },
        rules={
            "answer": rule(
                "attack",
                [{"emit": "big"}],
                probability=0.5,
                cooldown_days=10,
                **{"if": {"count": {"event": "attack", "within_days": 6, "at_least": 4}}},
            ),
            "recent": rule(
                "strike",
                [{"set_level": 2}],
                **{
                    "if": {
                        "count": [
                            {"event": "strike", "within_days": 20, "at_least": 3},
                            {"event": "attack", "within_days": 1.5, "at_least": 1},
                        ],
                        "total": {"event": "strike", "at_least": 1},
                    }
                },
            ),
        },
        outcomes={
            "big": {"event": "big"},
            "strikes": {"event": "strike", "count_at_least": 2},
            "mid": {"level_at_least": 2},
        },
        observed={
            "attack": [{"from": "2024-01-10", "to": "2024-02-05", "count": 9, "assumption": "t"}]
        },
        history={
            "events": {
                "attack": [day(k) for k in (-40, -9, -5, -3, -3, -2, -1, -1, -1)],
                "strike": [day(k) for k in (-30, -12, -4)],
            },
            "fired": {"answer": [day(-2)]},
            "assumption": "test",
        },
        ladder_decay_days=5,
        **extra,
    )


def test_history_excitation_count_windows_and_cooldowns_are_identical():
    s = history_scenario()
    assert s.history is not None
    both(s, seed=21, reps=range(400))


def test_history_with_uncertain_decays_is_identical():
    # The history's excitation at day 0 depends on each draw's decay.
    s = with_uncertain(
        history_scenario(),
        {
            "streams.attack.self_excitation.decay_days": Uniform(dist="uniform", low=1, high=8),
            "streams.strike.excited_by.attack.decay_days": Uniform(dist="uniform", low=1, high=5),
            "rules.answer.cooldown_days": Uniform(dist="uniform", low=2, high=15),
        },
    )
    both(s, seed=2, reps=range(200))
    both(s, seed=2, reps=range(200), reps_per_draw=10)


def test_a_history_read_from_event_data_as_run_history_does_is_identical(tmp_path):
    # `escsim run --history e.csv --map m.yaml` on the flagship: its own path
    # from data to the scenario's history (history_overrides).
    s = load_scenario(FLAGSHIP)
    events = list(s.streams)[:2]
    rng = np.random.default_rng(0)
    rows = ["date,type"]
    for k, event in enumerate(events):
        days = np.sort(rng.integers(1, 61, size=25 + 15 * k))
        rows += [f"{dt.date(2024, 3, 1) + dt.timedelta(days=int(d) - 1)},{event}" for d in days]
    (tmp_path / "e.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "m.yaml").write_text(
        "data: e.csv\nperiod: {from: 2024-03-01, to: 2024-04-29}\nevents:\n"
        + "".join(f"  {e}: {{where: {{type: {e}}}}}\n" for e in events)
    )
    data = read_events(tmp_path / "e.csv", tmp_path / "m.yaml")
    restarted = with_overrides(s, history_overrides(data, s))
    assert restarted.history is not None and restarted.start_date == dt.date(2024, 4, 30)
    both(restarted, seed=5, reps=range(150))


SHARED_MAP = ROOT / "data_maps" / "iraq_backtest_2007_08.yaml"
SHARED_DATA = ROOT.parent / "shared" / "data" / "iraq_insurgent_events_2007-02-23_2008-07-05.csv"


@pytest.mark.skipif(
    not SHARED_DATA.is_file(), reason=f"the shared Iraq data are not at {SHARED_DATA}"
)
def test_the_rolling_backtests_restarted_scenarios_are_identical():
    # The real use: each origin's scenario carries thousands of past events.
    from sim.experiments.backtest.forecaster import HistoryForecaster

    data = read_events(None, SHARED_MAP)
    base = load_scenario(ROOT / "scenarios" / "backtests" / "iraq_2007_08_streams.yaml")
    forecaster = HistoryForecaster(base, data, lead_days=7, reps=2)
    for origin in (dt.date(2007, 9, 3), dt.date(2008, 3, 10)):
        s, _, history = forecaster.scenario_at(origin)
        assert sum(history.counts().values()) > 1000
        both(s, seed=origin.toordinal(), reps=range(40))


# --- hypothesis: generated scenarios with history and uncertain numbers ---------


@st.composite
def drawn_scenarios(draw: st.DrawFn) -> Scenario:
    """A generated scenario (test_differential's), with a history of past
    occurrences and fired rules, and some of its numbers made uncertain."""
    s = draw(scenarios())
    if draw(st.booleans()):
        past = st.lists(st.integers(-30, -1), max_size=12).map(sorted)
        history: dict[str, Any] = {
            "events": {
                e: [day(k) for k in draw(past)]
                for e in draw(st.sets(st.sampled_from(sorted(s.events))))
            },
            "assumption": "test",
        }
        fired = draw(st.sets(st.sampled_from(sorted(s.rules)))) if s.rules else set()
        history["fired"] = {r: [day(draw(st.integers(-5, -1)))] for r in fired}
        s = with_overrides(s, {"history": history})
    candidates = list(every_number_uncertain(s).uncertain.items())
    if candidates:
        chosen = draw(st.sets(st.integers(0, len(candidates) - 1), max_size=4))
        s = with_uncertain(s, dict(candidates[i] for i in sorted(chosen)))
    return s


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(drawn_scenarios(), st.integers(0, 2**64 - 1), st.sampled_from([1, 3]))
def test_generated_scenarios_with_history_and_uncertain_numbers_are_identical(s, seed, m):
    assume(expected_events(s) <= 20_000)  # as in test_differential: no supercritical draws
    both(s, seed=seed, reps=range(6), reps_per_draw=m)
