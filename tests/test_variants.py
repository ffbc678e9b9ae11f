"""Every game trains with plain fit() on real Fashion-MNIST and updates both networks."""
import re

import numpy as np
import pytest

import keras_gans
from keras_gans import networks
from conftest import tiny

UNCONDITIONAL = [
    (keras_gans.GAN, {}),
    (keras_gans.GAN, {"loss": "minimax"}),
    (keras_gans.DCGAN, {}),
    (keras_gans.LSGAN, {}),
    (keras_gans.LSGAN, keras_gans.variants.lsgan.PEARSON_CODING),
]


def weights(network):
    return [w.numpy().copy() for w in network.trainable_weights]


def changed(before, network):
    return any(not np.array_equal(a, b.numpy()) for a, b in zip(before, network.trainable_weights))


@pytest.mark.parametrize("cls, options", UNCONDITIONAL + [(keras_gans.CGAN, {"num_classes": 10})],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_fit_updates_both_networks_with_finite_losses(cls, options, dataset):
    model = tiny(cls, **options)
    model.compile()
    g_before, d_before = weights(model.generator), weights(model.discriminator)
    history = model.fit(dataset.take(3), epochs=2, verbose=0)
    assert changed(g_before, model.generator) and changed(d_before, model.discriminator)
    for name in ("d_loss", "g_loss"):
        assert len(history.history[name]) == 2 and np.all(np.isfinite(history.history[name]))
    assert int(model.g_optimizer.iterations.numpy()) == 6


def test_dcgan_builds_the_paper_networks_and_trains_on_real_data(dataset):
    model = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=62, seed=0)
    assert model.generator.get_layer("deconv_1").output.shape[1:] == (28, 28, 1)
    assert not any("dense" in layer.name for layer in model.discriminator.layers if layer.name != "logits")
    # D halves down to a 4x4 map as the paper's does: one stage more than G at 28 px, as many at 32 and 64.
    assert model.discriminator.get_layer("conv_2").output.shape[1:] == (4, 4, 256)
    for size, last in ((32, "conv_2"), (64, "conv_3")):
        discriminator = networks.dcgan_discriminator((size, size, 3))
        assert [l.name for l in discriminator.layers if re.fullmatch(r"conv_\d+", l.name)][-1] == last
        assert discriminator.get_layer(last).output.shape[1:3] == (4, 4)
    model.compile()
    history = model.fit(dataset.take(2), epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"][-1])
    assert model.generate(3, seed=0).shape == (3, 28, 28, 1)


@pytest.mark.parametrize("d_steps, g_steps", [(1, 1), (3, 1), (2, 3)])
def test_d_steps_updates_discriminator_k_times_per_generator_update(d_steps, g_steps, dataset):
    model = tiny(keras_gans.GAN, d_steps=d_steps, g_steps=g_steps)
    model.compile()
    model.fit(dataset.take(6), epochs=1, verbose=0)
    generator_steps = 6 // d_steps
    assert int(model.step_counter.numpy()) == generator_steps
    assert int(model.d_optimizer.iterations.numpy()) == d_steps * generator_steps
    assert int(model.g_optimizer.iterations.numpy()) == g_steps * generator_steps


def test_d_steps_with_numpy_arrays_batches_per_discriminator_update(fashion_mnist):
    images = fashion_mnist[0].astype("float32") / 127.5 - 1
    model = tiny(keras_gans.GAN, d_steps=2)
    model.compile()
    model.fit(images[:128], batch_size=16, epochs=1, verbose=0)
    assert int(model.d_optimizer.iterations.numpy()) == 8
    assert int(model.g_optimizer.iterations.numpy()) == 4


def test_cgan_generates_the_requested_classes_and_rejects_bad_labels(dataset):
    model = tiny(keras_gans.CGAN, num_classes=10)
    model.compile()
    model.fit(dataset.take(2), epochs=1, verbose=0)
    assert model.generate(5, labels=[0, 3, 3, 9, 1], seed=0).shape == (5, 28, 28, 1)
    assert model.generate(20, seed=0).shape == (20, 28, 28, 1)
    # The label changes the sample for the same z.
    assert not np.allclose(model.generate(1, labels=[0], seed=4), model.generate(1, labels=[7], seed=4))
    with pytest.raises(ValueError, match=r"Labels must lie in \[0, 10\)"):
        model.generate(2, labels=[3, 10])
    with pytest.raises(ValueError, match="Got 1 labels for 2 samples"):
        model.generate(2, labels=[3])


def test_cgan_without_labels_in_the_data_is_a_clear_error(dataset):
    model = tiny(keras_gans.CGAN, num_classes=10)
    model.compile()
    with pytest.raises(ValueError, match=r"conditional.*\(images, labels\)"):
        model.fit(dataset.map(lambda images, labels: images).take(2), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"Labels must lie in \[0, 10\)"):
        model.fit(dataset.map(lambda images, labels: (images, labels + 5)).take(2), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="CGAN is conditional"):
        keras_gans.CGAN(num_classes=None)


def test_unknown_gan_loss_is_refused():
    with pytest.raises(ValueError, match="loss must be one of"):
        keras_gans.GAN(loss="hinge")
