"""Shared test setup: two logical CPU devices (for tf.distribute tests), the real Fashion-MNIST subset,
and tiny networks so that every test trains in seconds."""
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


@pytest.fixture(scope="session")
def mirrored():
    """One MirroredStrategy over the two logical CPUs for the whole session: strategies created one after
    another in one process share TensorFlow's collective-op keys, and their all-reduces then collide."""
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
