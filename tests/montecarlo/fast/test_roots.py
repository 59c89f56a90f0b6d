"""The chunk-wide root bits equal numpy's SeedSequence + PCG64, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import compile_model
from sim.montecarlo.fast.roots import root_bits
from sim.montecarlo.fast.uncertain import _draw
from sim.montecarlo.parameters import Parameters
from sim.rng import component_generator
from sim.scenario.distributions import Pert, Uniform
from sim.scenario.uncertain import with_uncertain
from tests.engine.helpers import scenario

SEEDS = [0, 1, 7, 2**31, 2**32 - 1, 2**32, 2**40 + 5, 123456789012345, 2**64 - 1]
DRAWS = [0, 1, 2, 3, 999, 65_536, 2**31, 2**32 - 1]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("component", ["param", "stream:attack", "x"])
def test_root_bits_are_numpys_generators_first_two_outputs(seed, component):
    want = np.array(
        [component_generator(seed, i, component).bit_generator.random_raw(2) for i in DRAWS],
        dtype=np.uint64,
    )
    assert np.array_equal(root_bits(seed, DRAWS, component), want)


def test_replication_numbers_beyond_one_word_are_refused():
    with pytest.raises(ValueError, match="below 2"):
        root_bits(1, [2**32], "param")


def test_the_fast_draw_is_parameters_draw_including_the_fallback():
    s = with_uncertain(
        scenario(streams={"attack": {"rate": 1.0, "assumption": "test"}}),
        {
            "streams.attack.rate": Pert(dist="pert", low=0.5, mode=1, high=3),
            "ladder_decay_days": Uniform(dist="uniform", low=1, high=5),
        },
    )
    params = Parameters.of(compile_model(s))
    for draws in ([0, 5, 17, 2**32 - 1], [3, 2**32 + 3]):  # the second: numpy's generators
        assert np.array_equal(_draw(params, 11, draws), params.draw(11, draws))
