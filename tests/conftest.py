"""Shared test setup: two logical CPU devices (for tf.distribute tests), the real Fashion-MNIST subset,
and tiny networks so that every test trains in seconds."""
import functools
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

# Must happen before TensorFlow initialises its devices, i.e. before any test touches a tensor.
_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(_cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import pytest  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans import networks  # noqa: E402

SUBSET = str(Path(__file__).parent / "data" / "fashion-mnist-subset")
IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = 8


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture(scope="session")
def fashion_mnist():
    """The committed real subset: (images uint8 (400, 28, 28, 1), labels int32 (400,)), 40 per class."""
    return keras_gans.data.load_idx(SUBSET, "train")


@pytest.fixture
def dataset():
    """Real Fashion-MNIST (images in [-1, 1], labels) in batches of 16."""
    return keras_gans.data.load("fashion_mnist", data_dir=SUBSET, batch_size=16, seed=0)


def tiny_networks(num_classes=None, output_units=1, latent_dim=LATENT_DIM):
    return (networks.mlp_generator(IMAGE_SHAPE, latent_dim, num_classes, hidden=(32,)),
            networks.mlp_discriminator(IMAGE_SHAPE, num_classes, hidden=(32,), output_units=output_units))


def tiny(cls, num_classes=None, **kwargs):
    """A variant with tiny MLP networks on 28x28x1 images."""
    generator, discriminator = tiny_networks(num_classes)
    if num_classes:
        kwargs["num_classes"] = num_classes
    return cls(generator, discriminator, image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=1, **kwargs)


def tiny_autoencoder(num_classes=None):
    return networks.autoencoder_discriminator(IMAGE_SHAPE, num_classes, embedding_dim=8, filters=8)


def _tiny_architecture(dropout):
    def discriminator(input_shape, normalization=None, **options):
        # No normalization layer, whatever the game asks for (WGAN-GP: layer norm): float rounding then stays
        # small enough for the tests that compare two runs number for number.
        return networks.mlp_discriminator(input_shape, hidden=(32,), dropout=dropout, **options)

    return dict(generator=functools.partial(networks.mlp_generator, hidden=(32,)), discriminator=discriminator,
                autoencoder=functools.partial(networks.autoencoder_discriminator, embedding_dim=8, filters=8),
                q_head=functools.partial(networks.add_q_head, hidden=16, normalization=None))


# Tiny networks for every game, built by the game itself: "tiny" with dropout in D, "tiny_exact" without (for
# tests that compare two runs number for number).
networks.register_architecture("tiny", **_tiny_architecture(dropout=0.3))
networks.register_architecture("tiny_exact", **_tiny_architecture(dropout=0.0))


def make(name, dropout=0.3, **options):
    """A tiny instance of the variant registered as `name`."""
    cls = keras_gans.VARIANTS[name]
    return cls(image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=1, architecture="tiny" if dropout else "tiny_exact",
               **options)


@pytest.fixture(scope="session")
def mirrored():
    """One MirroredStrategy over the two logical CPUs for the whole session: strategies created one after
    another in one process share TensorFlow's collective-op keys, and their all-reduces then collide."""
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
