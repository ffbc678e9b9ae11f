"""Penalties and the critic/autoencoder losses against values worked out independently."""
import numpy as np
import pytest
import tensorflow as tf

import keras
from keras_gans import losses, penalties


def tiny_critic(shape=(2, 2, 1)):
    keras.utils.set_random_seed(3)
    return keras.Sequential([keras.Input(shape), keras.layers.Flatten(), keras.layers.Dense(5, activation="tanh"),
                             keras.layers.Dense(1)])


def finite_difference_norms(critic, points, h=1e-2):
    """||grad D(x)||_2 per sample by central differences, one coordinate at a time."""
    points = np.asarray(points, "float64")
    norms = []
    for x in points:
        grad = np.zeros(x.size)
        for i in range(x.size):
            step = np.zeros(x.size)
            step[i] = h
            up = critic((x.ravel() + step).reshape((1,) + x.shape).astype("float32")).numpy()[0, 0]
            down = critic((x.ravel() - step).reshape((1,) + x.shape).astype("float32")).numpy()[0, 0]
            grad[i] = (up - down) / (2 * h)
        norms.append(np.linalg.norm(grad))
    return np.array(norms)


def test_gradient_penalty_equals_a_finite_difference_estimate():
    critic = tiny_critic()
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (6, 2, 2, 1)).astype("float32")
    fake = rng.uniform(-1, 1, (6, 2, 2, 1)).astype("float32")
    epsilon = rng.uniform(0, 1, (6, 1, 1, 1)).astype("float32")
    x_hat = epsilon * real + (1 - epsilon) * fake
    expected = np.mean((finite_difference_norms(critic, x_hat) - 1.0) ** 2)
    value = float(penalties.gradient_penalty(critic, real, fake, epsilon))
    assert value == pytest.approx(expected, rel=2e-3)
    # epsilon is per sample: each x_hat lies on its own segment between its real and fake sample.
    np.testing.assert_allclose(penalties.interpolate(real, fake, epsilon), x_hat, atol=1e-6)


def test_gradient_penalty_stays_finite_where_the_critic_gradient_is_zero():
    # D(x) = w * sum(x) with w = 0: ||grad_x D|| = 0, where sqrt has an infinite derivative.
    w = tf.Variable(0.0)
    critic = lambda x: w * tf.reduce_sum(x, axis=[1, 2, 3])[:, None]
    x = np.ones((3, 2, 2, 1), "float32")
    with tf.GradientTape() as tape:
        value = penalties.gradient_penalty(critic, x, x, np.full((3, 1, 1, 1), 0.5, "float32"))
    assert float(value) == pytest.approx(1.0, abs=1e-5)  # (sqrt(0 + 1e-12) - 1)^2
    assert np.isfinite(tape.gradient(value, w).numpy())


@pytest.mark.parametrize("one_sided", [False, True])
def test_dragan_penalty_on_a_linear_critic(one_sided):
    w = np.array([0.3, -1.2, 0.4, 2.0], "float32")
    critic = lambda x: tf.reshape(x, (-1, 4)) @ w[:, None] + 0.7
    x = np.random.default_rng(1).normal(size=(5, 2, 2, 1)).astype("float32")
    norm = np.linalg.norm(w)
    expected = max(0.0, norm ** 2 - 1.0) if one_sided else (norm - 1.0) ** 2
    assert float(penalties.dragan_penalty(critic, x, k=1.0, one_sided=one_sided)) == pytest.approx(expected, rel=1e-5)


def test_dragan_perturbation_stays_near_the_real_data():
    rng = np.random.default_rng(2)
    real = rng.uniform(-1, 1, (8, 4, 4, 1)).astype("float32")
    noise = rng.uniform(0, 1, real.shape).astype("float32")
    alpha = rng.uniform(0, 1, (8, 1, 1, 1)).astype("float32")
    moved = penalties.dragan_perturb(real, noise, alpha).numpy()
    np.testing.assert_allclose(moved, real + alpha * 0.5 * real.std() * noise, rtol=1e-5, atol=1e-6)


def test_pulling_away_term():
    assert float(penalties.pulling_away_term(np.eye(4, 6, dtype="float32"))) == pytest.approx(0.0, abs=1e-6)
    same = np.tile(np.array([[0.5, -2.0, 1.0]], "float32"), (5, 1))
    assert float(penalties.pulling_away_term(same)) == pytest.approx(1.0, rel=1e-5)
    s = np.random.default_rng(3).normal(size=(7, 5))
    total = 0.0
    for i in range(7):
        for j in range(7):
            if i != j:
                total += (s[i] @ s[j] / (np.linalg.norm(s[i]) * np.linalg.norm(s[j]))) ** 2
    assert float(penalties.pulling_away_term(s.astype("float32"))) == pytest.approx(total / (7 * 6), rel=1e-5)


def test_wasserstein_and_energy_losses_by_hand():
    assert float(losses.wasserstein_critic_loss(np.array([1.0, 3.0]), np.array([0.5]))) == pytest.approx(-1.5)
    assert float(losses.wasserstein_generator_loss(np.array([0.5, 1.5]))) == pytest.approx(-1.0)
    energies = losses.reconstruction_energy(np.zeros((2, 2, 1, 1)), np.array([[[[1.0]], [[3.0]]], [[[0.0]], [[2.0]]]]))
    np.testing.assert_allclose(energies, [5.0, 2.0])
    l1 = losses.reconstruction_energy(np.zeros((1, 2)), np.array([[1.0, -3.0]]), norm="l1")
    np.testing.assert_allclose(l1, [2.0])
    # m = 1: real energy 0.2; fake energies 0.5 (inside the margin) and 1.5 (outside).
    assert float(losses.energy_discriminator_loss(np.array([0.2]), np.array([0.5, 1.5]), 1.0)) == pytest.approx(0.45)
    assert float(losses.energy_generator_loss(np.array([0.5, 1.5]))) == pytest.approx(1.0)


def test_began_control_of_k_and_its_clipping():
    # k + lambda_k (gamma L(x) - L(G(z))) = 0.5 + 0.001 * (0.5 * 0.2 - 0.05)
    assert float(losses.began_k_update(0.5, 0.2, 0.05, gamma=0.5, lambda_k=0.001)) == pytest.approx(0.50005)
    assert float(losses.began_k_update(0.5, 0.2, 0.3, gamma=0.5, lambda_k=0.001)) == pytest.approx(0.4998)
    assert float(losses.began_k_update(0.9999, 1.0, 0.0, gamma=1.0, lambda_k=0.1)) == 1.0
    assert float(losses.began_k_update(0.0, 0.0, 1.0, gamma=0.5, lambda_k=0.1)) == 0.0
    assert float(losses.began_discriminator_loss(0.2, 0.1, 0.5)) == pytest.approx(0.15)
    assert float(losses.began_convergence(0.2, 0.3, gamma=0.5)) == pytest.approx(0.4)
