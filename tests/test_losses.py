import math

import numpy as np
import pytest
import tensorflow as tf

from keras_gans import losses


def value(x):
    return float(np.asarray(x))


def test_minimax_discriminator_loss_by_hand():
    # D(x) = sigmoid(0) = 1/2 everywhere: -log(1/2) - log(1 - 1/2) = 2 log 2.
    assert value(losses.minimax_discriminator_loss(np.zeros(4), np.zeros(4))) == pytest.approx(2 * math.log(2))
    # D(x) = 3/4 (logit log 3) on real, D(G(z)) = 1/4 (logit -log 3) on fake: -2 log(3/4).
    loss = losses.minimax_discriminator_loss(np.full(3, math.log(3)), np.full(5, -math.log(3)))
    assert value(loss) == pytest.approx(-2 * math.log(0.75), rel=1e-6)


def test_generator_losses_by_hand():
    fake_logits = np.array([math.log(3), -math.log(3)])  # D(G(z)) = 3/4 and 1/4
    assert value(losses.minimax_generator_loss(fake_logits)) == pytest.approx(
        0.5 * (math.log(0.25) + math.log(0.75)), rel=1e-6)
    assert value(losses.non_saturating_generator_loss(fake_logits)) == pytest.approx(
        -0.5 * (math.log(0.75) + math.log(0.25)), rel=1e-6)


def test_non_saturating_loss_has_the_larger_gradient_where_d_rejects_fakes():
    fake_logits = tf.Variable([-8.0, -10.0])  # D(G(z)) ≈ 0
    grads = {}
    for name, loss_fn in (("minimax", losses.minimax_generator_loss),
                          ("non_saturating", losses.non_saturating_generator_loss)):
        with tf.GradientTape() as tape:
            loss = loss_fn(fake_logits)
        grads[name] = np.abs(tape.gradient(loss, fake_logits).numpy()).sum()
    assert grads["minimax"] < 1e-3
    assert grads["non_saturating"] > 0.9
    assert grads["non_saturating"] > 1000 * grads["minimax"]


def test_least_squares_losses_by_hand():
    real, fake = np.array([1.0, 0.0]), np.array([0.5])
    # a=0, b=1: 1/2 mean([0, 1]) + 1/2 (0.5)^2
    assert value(losses.least_squares_discriminator_loss(real, fake, a=0.0, b=1.0)) == pytest.approx(0.375)
    # a=-1, b=1: 1/2 mean([0, 1]) + 1/2 (1.5)^2
    assert value(losses.least_squares_discriminator_loss(real, fake, a=-1.0, b=1.0)) == pytest.approx(0.25 + 1.125)
    assert value(losses.least_squares_generator_loss(fake, c=1.0)) == pytest.approx(0.125)
    assert value(losses.least_squares_generator_loss(fake, c=0.0)) == pytest.approx(0.125)
    assert value(losses.least_squares_generator_loss(np.array([2.0, 0.0]), c=0.0)) == pytest.approx(1.0)


def test_losses_are_float32_for_half_precision_inputs():
    assert losses.minimax_discriminator_loss(np.zeros(2, "float16"), np.zeros(2, "float16")).dtype == "float32"
    assert losses.least_squares_generator_loss(np.zeros(2, "float16")).dtype == "float32"
