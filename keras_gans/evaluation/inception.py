"""The standard FID: the Fréchet distance of Inception-v3 pool3 features, as in the papers.

It needs the ImageNet weights of `keras.applications.InceptionV3`, downloaded once into ~/.keras/models, or a
weights file of the same network (`weights="path/to/inception_v3_notop.h5"`, for an offline machine); without
them every function here raises `InceptionUnavailable`, which `evaluate_model(inception=True)` turns into a
note instead of a number and `keras-gans evaluate` into one line that names the fix. TensorFlow and Keras are imported inside the functions, so importing this
module stays cheap for code that never asks for an Inception FID.
"""
import socket

import numpy as np

from .metrics import frechet_distance


class InceptionUnavailable(RuntimeError):
    """The ImageNet weights of InceptionV3 could not be had (offline and not cached in ~/.keras/models)."""


def inception_features(images, batch_size=50, model=None, timeout=30, weights="imagenet"):
    """Inception-v3 pool3 features (n, 2048) of images in [-1, 1] (grayscale is repeated to RGB, resized to
    299x299 bilinearly). Needs `keras.applications.InceptionV3(weights="imagenet")`, which downloads its weights
    once; raises InceptionUnavailable when that fails. Slow on a CPU (about 6 GFLOPs per image)."""
    import tensorflow as tf

    if model is None:
        model = inception_model(timeout, weights)
    features = []
    for i in range(0, len(images), batch_size):
        batch = tf.convert_to_tensor(np.asarray(images[i:i + batch_size], "float32"))
        if batch.shape[-1] == 1:
            batch = tf.repeat(batch, 3, axis=-1)
        batch = tf.image.resize(batch, (299, 299), method="bilinear")  # [-1, 1] is InceptionV3's own input range
        features.append(np.asarray(model(batch, training=False)))
    return np.concatenate(features)


def inception_model(timeout=30, weights="imagenet"):
    """`keras.applications.InceptionV3(include_top=False, pooling="avg", weights=weights)` ("imagenet", or the
    path of a weights file of that network without its top), or InceptionUnavailable with the reason."""
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        return keras.applications.InceptionV3(include_top=False, pooling="avg", weights=weights,
                                              input_shape=(299, 299, 3))
    except Exception as error:
        source = "the ImageNet weights" if weights == "imagenet" else f"the weights file {weights!r}"
        raise InceptionUnavailable(f"{source} of InceptionV3 could not be loaded ({type(error).__name__}: "
                                   f"{str(error)[:200]})") from error
    finally:
        socket.setdefaulttimeout(previous)


def inception_fid(images_a, images_b, batch_size=50, weights="imagenet"):
    """The standard FID (Fréchet distance of Inception-v3 pool3 features) of two image sets in [-1, 1]."""
    model = inception_model(weights=weights)
    return frechet_distance(inception_features(images_a, batch_size, model),
                            inception_features(images_b, batch_size, model))
