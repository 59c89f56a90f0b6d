"""The likelihood code against a brute-force double sum and finite differences."""

from __future__ import annotations

import numpy as np

from sim.experiments.fit.likelihood import Layout, Prepared, compensator_at, loglik_and_grad


def brute_loglik(times, breaks, mu, kernels, branching, decay):
    """The textbook formula, O(n^2): sum log lambda(t_i) - integral of lambda."""
    horizon = breaks[-1]
    total = 0.0
    for k, own in enumerate(times):
        for t in own:
            piece = np.searchsorted(breaks, t, side="right") - 1
            lam = mu[k][piece]
            for (target, source), b, d in zip(kernels, branching, decay, strict=True):
                if target == k:
                    past = times[source][times[source] < t]
                    lam += np.sum(b / d * np.exp(-(t - past) / d))
            total += np.log(lam)
        total -= float(np.dot(mu[k], np.diff(breaks)))
        for (target, source), b, d in zip(kernels, branching, decay, strict=True):
            if target == k:
                total -= b * np.sum(1 - np.exp(-(horizon - times[source]) / d))
    return total


def setup():
    rng = np.random.default_rng(7)
    times = (np.sort(rng.uniform(0, 60, 90)), np.sort(rng.uniform(0, 60, 40)))
    layout = Layout(2, (0.0, 25.0, 60.0), ((0, 0), (0, 1), (1, 1), (1, 0)))
    mu = np.array([[1.0, 1.5], [0.4, 0.6]])
    branching = np.array([0.3, 0.2, 0.1, 0.4])
    decay = np.array([2.0, 5.0, 3.0, 1.5])
    return times, layout, mu, branching, decay


def test_loglik_matches_the_double_sum():
    times, layout, mu, branching, decay = setup()
    data = Prepared.build(layout, times)
    value, _ = loglik_and_grad(layout, data, layout.pack(mu, branching, decay))
    expected = brute_loglik(times, np.array(layout.breaks), mu, layout.kernels, branching, decay)
    assert abs(value - expected) < 1e-9 * abs(expected)


def test_gradient_matches_finite_differences():
    times, layout, mu, branching, decay = setup()
    data = Prepared.build(layout, times)
    theta = layout.pack(mu, branching, decay)
    _, grad = loglik_and_grad(layout, data, theta)
    step = 1e-6
    numeric = np.array(
        [
            (
                loglik_and_grad(layout, data, theta + step * e)[0]
                - loglik_and_grad(layout, data, theta - step * e)[0]
            )
            / (2 * step)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_compensator_at_the_end_is_the_integral():
    times, layout, mu, branching, decay = setup()
    data = Prepared.build(layout, times)
    theta = layout.pack(mu, branching, decay)
    end = compensator_at(layout, data, theta, 1, np.array([60.0]))[0]
    expected = float(np.dot(mu[1], [25.0, 35.0]))
    expected += 0.1 * np.sum(1 - np.exp(-(60 - times[1]) / 3.0))
    expected += 0.4 * np.sum(1 - np.exp(-(60 - times[0]) / 1.5))
    assert abs(end - expected) < 1e-9 * expected
