"""The Fashion-MNIST classifier whose features judge generated samples (classifier-FID, KID, ...).

The package ships it (`fashion_mnist_classifier.keras` beside this module, 92.25% test accuracy), and every
command uses it unless given another: its weights are the yardstick, so the same samples get the same
classifier-FID on every machine. Training it again gives other weights on another CPU (the same seeded command
is repeatable on one machine only), and figures measured with two classifiers do not compare. Your own, for
another dataset or to check the shipped one, is trained on the real training set, nothing downloaded:

    keras-gans evaluate --train-classifier          # 8 epochs: 92.2% test accuracy; 833 CPU-seconds

which writes `<dataset>_classifier.keras` into the cache directory (`$KERAS_GANS_CACHE`, else
`$XDG_CACHE_HOME/keras_gans`, else `~/.cache/keras_gans`); pass it as `--classifier PATH` (`classifier=`). The
network takes images in [-1, 1] (the generator's range) and outputs class probabilities; its penultimate layer,
named "features", gives the feature vectors of the Fréchet and kernel distances.
"""
import hashlib
import os
import time

import numpy as np

from .. import atomic, data

FEATURES_LAYER = "features"
TRAIN_COMMAND = "keras-gans evaluate --train-classifier"


def cache_dir():
    """Where cached files live: $KERAS_GANS_CACHE, else $XDG_CACHE_HOME/keras_gans, else ~/.cache/keras_gans."""
    if os.environ.get("KERAS_GANS_CACHE"):
        return os.environ["KERAS_GANS_CACHE"]
    if os.environ.get("XDG_CACHE_HOME"):
        return os.path.join(os.environ["XDG_CACHE_HOME"], "keras_gans")
    return os.path.join(os.path.expanduser("~"), ".cache", "keras_gans")


def default_path(dataset="fashion_mnist"):
    """Where `train_classifier` caches the classifier of `dataset`: `<cache_dir()>/<dataset>_classifier.keras`."""
    return os.path.join(cache_dir(), f"{dataset}_classifier.keras")


# The classifiers that ship with the package, by dataset: file name beside this module, and the sha256 of the file
# (what makes two machines' figures comparable is that they read these very bytes). Trained by
# `keras-gans evaluate --train-classifier` (seed 0) on a 2-core AMD EPYC machine: 92.25% on the real test split.
SHIPPED = {"fashion_mnist": ("fashion_mnist_classifier.keras",
                             "8d5eef76beb7bc83f6a7c0caa58f673eb2023b6f1999b374954c990ce4c0333a")}


def shipped_path(dataset="fashion_mnist"):
    """The package's own classifier of `dataset` (None for a dataset without one)."""
    if dataset not in SHIPPED:
        return None
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), SHIPPED[dataset][0])


def file_digest(path):
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def classifier_path(path=None, dataset="fashion_mnist"):
    """The classifier file a command reads: `path` when given, else the shipped one of `dataset`, else the cached
    one (`default_path`)."""
    return path or shipped_path(dataset) or default_path(dataset)


def build_classifier(input_shape=(28, 28, 1), num_classes=10, filters=(32, 64, 128), features=128, dropout=0.3):
    """A small CNN for images in [-1, 1]: conv blocks (conv 3x3, batch norm, ReLU, 2x2 max-pool, dropout), then
    a dense layer of `features` units (batch norm, ReLU) named "features" -- the feature vectors for FID/KID --
    and a softmax over `num_classes`."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape, name="images")
    x = inputs
    for i, width in enumerate(filters):
        x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        if min(x.shape[1:3]) >= 2:
            x = layers.MaxPooling2D()(x)
        x = layers.Dropout(dropout / 3)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(features, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(name=FEATURES_LAYER)(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="quality_classifier")


def train_classifier(images=None, labels=None, test=None, *, dataset="fashion_mnist", data_dir=None, epochs=8,
                     batch_size=128, learning_rate=2e-3, path=None, classifier=None, seed=0, verbose=2):
    """Train the quality classifier and save it (as .keras) to `path` (default: `default_path(dataset)`).

    Args:
        images, labels: training data (uint8 [0, 255] or float [-1, 1], NHWC); default: the real training split
            of `dataset` (read from `data_dir`, Debian's offline copy, or TFDS; see `keras_gans.data`).
        test: (images, labels) to report accuracy on; default: the test split of `dataset` (when images is None).
        epochs, batch_size, learning_rate: Adam with a cosine-decayed learning rate.
        path: where to save; `False` does not save.
        classifier: a model to train instead of `build_classifier(...)`.

    Returns:
        (classifier, info) with info = {"test_accuracy", "train_accuracy", "seconds", "epochs", "path"}.
    """
    import keras


    if images is None:
        images, labels = data.load_arrays(dataset, "train", data_dir)
        if test is None:
            test = data.load_arrays(dataset, "test", data_dir)
    images, labels = data.to_model_range(images), np.asarray(labels).astype("int32").reshape(-1)
    num_classes = int(labels.max()) + 1
    keras.utils.set_random_seed(seed)
    model = classifier or build_classifier(images.shape[1:], num_classes)
    steps = epochs * -(-len(images) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.05)
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(images, labels, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=verbose)
    seconds = time.perf_counter() - start
    info = {"train_accuracy": float(history.history["accuracy"][-1]), "seconds": seconds, "epochs": epochs,
            "test_accuracy": None, "path": None}
    if test is not None:
        info["test_accuracy"] = accuracy(model, *test)
    if path is not False:
        # Atomically: a cache left half-written by a killed training would fail every later evaluation.
        info["path"] = atomic.save_model(model, path or default_path(dataset))
    return model, info


def predict(classifier, images, batch_size=500):
    """Class probabilities (n, classes) of `images` (uint8 or [-1, 1] floats)."""
    return classifier.predict(data.to_model_range(images), batch_size=batch_size, verbose=0)


def accuracy(classifier, images, labels, batch_size=500):
    """Share of `images` whose most probable class is `labels`."""
    return float(np.mean(predict(classifier, images, batch_size).argmax(-1) == np.asarray(labels).reshape(-1)))


def feature_model(classifier):
    """A model mapping images to [features, probabilities]: features from the layer named "features" (else the
    input of the last layer, i.e. the penultimate representation), probabilities from the output."""
    import keras

    try:
        features = classifier.get_layer(FEATURES_LAYER).output
    except ValueError:
        features = classifier.layers[-1].input
    return keras.Model(classifier.inputs, [features, classifier.output])


def features_and_probabilities(classifier, images, batch_size=500):
    """(features (n, d) float64, probabilities (n, classes) float64) of `images` under `classifier` (a classifier
    or the output of `feature_model`)."""
    model = classifier if len(classifier.outputs) == 2 else feature_model(classifier)
    images = data.to_model_range(images)
    n = len(images)
    batch_size = min(batch_size, max(n, 1))
    # Padded to whole batches: one traced predict function for every call, whatever n is.
    padded = np.concatenate([images, np.zeros(((-n) % batch_size,) + images.shape[1:], "float32")])
    features, probabilities = model.predict(padded, batch_size=batch_size, verbose=0)
    return features[:n].reshape(n, -1).astype("float64"), probabilities[:n].astype("float64")


def load_classifier(path=None, dataset="fashion_mnist", train_if_missing=False, **train_kwargs):
    """The given classifier, else the shipped one of `dataset`, else the cached one (`classifier_path`). When the
    file is missing: train and cache it if `train_if_missing`, else raise FileNotFoundError naming the command
    that trains it. The shipped file is checked against its sha256 first: altered bytes would change every figure
    silently."""
    import keras

    path = classifier_path(path, dataset)
    shipped = path == shipped_path(dataset)
    if shipped and os.path.isfile(path):
        found = file_digest(path)
        if found != SHIPPED[dataset][1]:
            raise ValueError(f"The shipped classifier {path!r} is not the file the package was released with (sha256 "
                             f"{found[:12]}, expected {SHIPPED[dataset][1][:12]}); reinstall keras-gans, or pass your "
                             f"own with --classifier PATH.")
    if not os.path.isfile(path):
        if train_if_missing:  # into the cache, never into the installed package
            return train_classifier(dataset=dataset, path=default_path(dataset) if shipped else path,
                                    **train_kwargs)[0]
        raise FileNotFoundError(
            f"No quality classifier at {path!r}. Train and cache it once (a few minutes on CPU, nothing is "
            f"downloaded) with `{TRAIN_COMMAND}`, or pass --classifier PATH / classifier=... "
            f"(cache directory: $KERAS_GANS_CACHE, $XDG_CACHE_HOME/keras_gans or ~/.cache/keras_gans).")
    try:
        return keras.saving.load_model(path)
    except Exception as error:
        raise ValueError(f"Could not read the classifier {path!r} ({type(error).__name__}: {error}). Retrain it "
                         f"with `{TRAIN_COMMAND}`.") from error
