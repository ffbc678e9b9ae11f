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


AUTOENCODER_GAMES = {"ebgan", "began"}
CLASSIFIER_OUTPUTS = {"acgan": 11, "catgan": 10, "sgan": 11}  # ACGAN: source + 10 classes; SGAN: 10 + fake


def make(name, dropout=0.3, **options):
    """A tiny instance of the variant registered as `name`, with the networks its game needs."""
    cls = keras_gans.VARIANTS[name]
    num_classes = 10 if (cls.conditional or cls.classifies) else None
    reads = lambda role: num_classes if role in cls.label_inputs else None
    code_dim = 12 if name == "infogan" else 0  # the default codes: one 10-way categorical + 2 continuous
    generator = networks.mlp_generator(IMAGE_SHAPE, LATENT_DIM + code_dim, reads("generator"), hidden=(32,))
    if name in AUTOENCODER_GAMES:
        discriminator = tiny_autoencoder(reads("discriminator"))
    else:
        discriminator = networks.mlp_discriminator(IMAGE_SHAPE, reads("discriminator"), hidden=(32,), dropout=dropout,
                                                   output_units=CLASSIFIER_OUTPUTS.get(name, 1))
    if name == "infogan":
        discriminator = networks.add_q_head(discriminator, code_dim, hidden=16, normalization=None)
    if num_classes:
        options["num_classes"] = num_classes
    if name in ("wgan", "wgan_gp"):
        options.setdefault("n_critic", 2)
    return cls(generator, discriminator, image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=1, **options)


@pytest.fixture(scope="session")
def mirrored():
    """One MirroredStrategy over the two logical CPUs for the whole session: strategies created one after
    another in one process share TensorFlow's collective-op keys, and their all-reduces then collide."""
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
