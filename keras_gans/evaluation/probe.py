"""The DCGAN paper's use of the discriminator as a feature extractor (Radford et al., 2016, section 5.1):
take every convolutional layer's output of the trained discriminator, max-pool each to a 4 x 4 grid,
concatenate them, and fit a linear classifier on labelled real images; compare with the same network
with random weights, which shows how much of the accuracy the GAN training contributed.

    result = linear_probe(model, train=(images, labels), test=(test_images, labels))
    # {"trained": {"all": 0.86, 100: 0.74}, "random": {"all": 0.80, 100: 0.66}, "features": 3072, ...}

The classifier is multinomial logistic regression (softmax, a small L2 penalty) on standardised features,
fitted to convergence with L-BFGS -- deterministic, no learning rate to tune. Only the discriminator is
used; the generator is never called.
"""
import math

import keras
import numpy as np

from .. import data


def feature_layers(discriminator):
    """The discriminator's `Conv2D` layers, in order (transposed convolutions, which decode, are not)."""
    return [layer for layer in discriminator.layers if isinstance(layer, keras.layers.Conv2D)
            and not isinstance(layer, keras.layers.Conv2DTranspose)]


def adaptive_max_pool(maps, grid=4):
    """Max over a grid x grid partition of each feature map: (n, H, W, C) -> (n, grid, grid, C). Bin i of
    an axis of length L covers [floor(i L / grid), ceil((i + 1) L / grid)), so bins overlap where L is
    not a multiple of grid and every position is used (as torch's AdaptiveMaxPool2d)."""
    maps = np.asarray(maps)
    n, height, width, channels = maps.shape
    out = np.empty((n, grid, grid, channels), maps.dtype)
    for i in range(grid):
        top, bottom = (i * height) // grid, math.ceil((i + 1) * height / grid)
        for j in range(grid):
            left, right = (j * width) // grid, math.ceil((j + 1) * width / grid)
            out[:, i, j] = maps[:, top:bottom, left:right].max(axis=(1, 2))
    return out


_as_model_input = data.to_model_range


def extract_features(discriminator, images, grid=4, batch_size=500):
    """(n, features): every conv layer's output max-pooled to grid x grid and concatenated. A
    discriminator that reads labels is given label 0 for every image (the label would leak the class)."""
    layers = feature_layers(discriminator)
    if not layers:
        raise ValueError(f"The discriminator {discriminator.name!r} has no Conv2D layers to take features from "
                         f"(an MLP?); the DCGAN probe needs a convolutional discriminator.")
    extractor = keras.Model(discriminator.input, [layer.output for layer in layers])
    images = _as_model_input(images)
    chunks = []
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        inputs = [batch, np.zeros(len(batch), "int32")] if len(discriminator.inputs) == 2 else batch
        outputs = extractor(inputs, training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        chunks.append(np.concatenate([adaptive_max_pool(keras.ops.convert_to_numpy(o), grid).reshape(len(batch), -1)
                                      for o in outputs], axis=1))
    return np.concatenate(chunks)


def fit_softmax(features, labels, num_classes=None, l2=1e-4, max_iter=300):
    """Multinomial logistic regression on standardised features with L-BFGS (scipy). Returns a function
    features -> predicted labels."""
    from scipy.optimize import minimize

    features = np.asarray(features, "float64")
    labels = np.asarray(labels).astype(int)
    num_classes = num_classes or int(labels.max()) + 1
    mean, std = features.mean(0), features.std(0) + 1e-6
    x = (features - mean) / std
    n, d = x.shape
    targets = np.eye(num_classes)[labels]

    def loss_and_gradient(theta):
        weights, bias = theta[:d * num_classes].reshape(d, num_classes), theta[d * num_classes:]
        logits = x @ weights + bias
        logits -= logits.max(1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        residual = (np.exp(log_p) - targets) / n
        loss = -(targets * log_p).sum() / n + 0.5 * l2 * (weights ** 2).sum()
        gradient = np.concatenate([(x.T @ residual + l2 * weights).ravel(), residual.sum(0)])
        return loss, gradient

    theta = minimize(loss_and_gradient, np.zeros(d * num_classes + num_classes), jac=True, method="L-BFGS-B",
                     options={"maxiter": max_iter}).x
    weights, bias = theta[:d * num_classes].reshape(d, num_classes), theta[d * num_classes:]
    return lambda f: (((np.asarray(f, "float64") - mean) / std) @ weights + bias).argmax(1)


def _probe(discriminator, train, test, per_class, seed, grid, l2):
    train_features = extract_features(discriminator, train[0], grid)
    test_features = extract_features(discriminator, test[0], grid)
    train_labels, test_labels = np.asarray(train[1]).astype(int), np.asarray(test[1]).astype(int)
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    accuracies = {}
    for size in per_class:
        if size is None:
            features, labels = train_features, train_labels
        else:
            features, labels = data.labeled_subset(train_features, train_labels, size, seed=seed)
        predict = fit_softmax(features, labels, num_classes, l2)
        accuracies["all" if size is None else size] = float(np.mean(predict(test_features) == test_labels))
    return accuracies, train_features.shape[1]


def linear_probe(model, train=None, test=None, per_class=(None, 100), seed=0, grid=4, l2=1e-4,
                 random_baseline=True, dataset="fashion_mnist", data_dir=None):
    """Test accuracy of a linear softmax classifier on the discriminator's max-pooled conv features.

    Args:
        model: a trained GAN (its `discriminator` is used, nothing else) or a discriminator network.
        train, test: (images, labels) with images uint8 in [0, 255] or floats in [-1, 1]; default the
            training and test splits of `dataset` (Fashion-MNIST).
        per_class: training-set sizes: None for all labels, k for exactly k per class (seeded).
        random_baseline: also probe a copy of the discriminator with freshly initialised weights.
    Returns {"trained": {size: accuracy}, "random": {size: accuracy}, "features": dimension,
    "layers": conv layer names}, sizes keyed "all" or k.
    """
    discriminator = getattr(model, "discriminator", model)
    train = train if train is not None else data.load_arrays(dataset, "train", data_dir)
    test = test if test is not None else data.load_arrays(dataset, "test", data_dir)
    result = {"layers": [layer.name for layer in feature_layers(discriminator)]}
    result["trained"], result["features"] = _probe(discriminator, train, test, per_class, seed, grid, l2)
    if random_baseline:
        keras.utils.set_random_seed(seed)
        fresh = keras.models.clone_model(discriminator)  # same architecture, newly initialised weights
        result["random"], _ = _probe(fresh, train, test, per_class, seed, grid, l2)
    return result
