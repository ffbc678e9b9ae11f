"""Learning from a few labels: the labeled subset and its validation split, the batches a semi-supervised game
(catGAN, SGAN) trains on beside them, and the supervised-only baseline its classifier has to beat.

    split = split_labeled(train_labels, labeled_per_class=10, seed=0)      # indices into the TRAIN split
    dataset = training_batches(train_images, train_labels, split)          # for model.fit
    validation = validation_batches(train_images, train_labels, split)     # fit(validation_data=...)
    supervised_baseline("sgan", labeled_per_class=10, seed=0)              # keras-gans baseline sgan ...

The labeled subset is `data.labeled_subset(train images, train labels, per_class=N, seed=seed)`'s draw,
exactly the examples `data.semi_supervised` labels. Of its N examples per class, V are held out as the
validation split: the first V of each class in the subset's seeded order (a stratified split; V = N // 5,
at least 1, unless given). Those V per class are held out of training altogether, their images as well as
their labels, so that they are as unseen as the test split; they are what every per-epoch `val_accuracy`
and any early stopping or model selection read. The test split is scored once, at the end.
"""
import time
from typing import NamedTuple

import numpy as np
import tensorflow as tf

import keras

from . import augment, data


class LabeledSplit(NamedTuple):
    """Indices into the training split's arrays: the labeled examples a run trains on, and the held-out
    labeled examples it validates on (both stratified: the same number of every class)."""
    train: np.ndarray
    validation: np.ndarray


def default_validation_per_class(labeled_per_class):
    """V when it is not given: a fifth of the N labeled examples per class, at least 1 (N = 10: 2 per class,
    20 validation images and 80 training labels)."""
    return max(1, int(labeled_per_class) // 5)


def resolve_validation_per_class(labeled_per_class, validation_per_class=None):
    """V checked against N (or its default): 0 <= V < N, so that every class keeps a labeled example to
    train on. One clear error otherwise."""
    labeled_per_class = int(labeled_per_class)
    if labeled_per_class < 1:
        raise ValueError(f"labeled_per_class must be at least 1; got {labeled_per_class}.")
    if validation_per_class is None:
        validation_per_class = default_validation_per_class(labeled_per_class)
    validation_per_class = int(validation_per_class)
    if validation_per_class < 0:
        raise ValueError(f"validation_per_class (--validation-per-class) must be at least 0; got "
                         f"{validation_per_class}.")
    if validation_per_class >= labeled_per_class:
        raise ValueError(f"Holding out {validation_per_class} of {labeled_per_class} labeled examples per class "
                         f"for validation leaves none to train on: hold out fewer (validation_per_class, "
                         f"--validation-per-class; 0 for no validation split) or label more.")
    return validation_per_class


def split_labeled(labels, labeled_per_class, validation_per_class=None, seed=0):
    """A `LabeledSplit` of the training split whose `labels` are given: the N = `labeled_per_class` examples of
    every class that `data.labeled_subset(..., per_class=N, seed=seed)` draws, of which the first V =
    `validation_per_class` of each class (in the subset's seeded, shuffled order) are the validation split
    and the other N - V the labeled training examples."""
    if labels is None:
        raise ValueError("Semi-supervised training needs labels for the labeled subset: pass (images, labels).")
    labels = np.asarray(labels)
    validation_per_class = resolve_validation_per_class(labeled_per_class, validation_per_class)
    # The draw depends on the labels and the seed alone: drawn on row numbers, it gives the indices of the very
    # examples `data.labeled_subset` returns for the images themselves.
    chosen, chosen_labels = data.labeled_subset(np.arange(len(labels)), labels, labeled_per_class, seed=seed)
    rank = np.zeros(len(chosen), "int64")  # each example's place among the chosen of its class
    for label in np.unique(chosen_labels):
        where = chosen_labels == label
        rank[where] = np.arange(int(where.sum()))
    held_out = rank < validation_per_class
    return LabeledSplit(train=chosen[~held_out], validation=chosen[held_out])


def training_batches(images, labels, split, batch_size=64, seed=0):
    """The batches of a semi-supervised run (what `data.semi_supervised` yields, with `split`): per step,
    `batch_size` unlabeled images and `batch_size` of the labeled training examples, interleaved, label -1
    on the unlabeled rows. The unlabeled images are the whole split but the validation examples; an epoch
    is one pass over them. With no validation examples these are `data.semi_supervised`'s batches exactly."""
    images = data.check_images(images)
    labels = np.asarray(labels)
    unlabeled = images
    if len(split.validation):
        unlabeled = np.delete(images, split.validation, axis=0)
    return data.interleave_labeled(data.from_arrays(unlabeled, batch_size=batch_size, seed=seed),
                                   data.labeled_batches(images[split.train], labels[split.train], batch_size, seed))


def validation_batches(images, labels, split, batch_size=500):
    """The held-out labeled examples of `split` as `(images, labels)` batches in order, for
    `fit(validation_data=...)` (a classifying game reports its accuracy on them as `val_accuracy`)."""
    if not len(split.validation):
        raise ValueError("This split holds out no labeled examples (validation_per_class=0): there is nothing to "
                         "validate on.")
    return scoring_batches(np.asarray(images)[split.validation], np.asarray(labels)[split.validation], batch_size)


def scoring_batches(images, labels, batch_size=500):
    """A labeled split (the test split) as `(images, labels)` batches in order, for `evaluate` or validation."""
    if labels is None:
        raise ValueError("The test split has no labels: there is no test accuracy to measure.")
    return data.from_arrays(images, labels, batch_size=batch_size, shuffle=False, drop_remainder=False)


# ------------------------------------------------------------------------------------ the baseline
def classifying_game(variant):
    """The game class of `variant` (a name or a class), or one clear error if its discriminator does not
    classify."""
    from .classifying import ClassifierMixin
    from .variants import VARIANTS

    cls = VARIANTS.get(variant) if isinstance(variant, str) else variant
    if cls is None:
        raise ValueError(f"Unknown variant {variant!r}; choose one of {', '.join(sorted(VARIANTS))}.")
    if not issubclass(cls, ClassifierMixin):
        classifying = sorted(name for name, game in VARIANTS.items() if issubclass(game, ClassifierMixin))
        name = variant if isinstance(variant, str) else cls.__name__
        raise ValueError(f"The supervised baseline trains the class head of a game whose discriminator classifies "
                         f"({', '.join(classifying)}); {name}'s discriminator has none.")
    return cls


def class_head(game):
    """The game's discriminator as a plain classifier: a `keras.Model` from images to the class logits
    `game.class_logits` reads from D's outputs (SGAN's first N, catGAN's K, ACGAN's class logits). It is
    made of D's own layers: training it trains `game.discriminator`."""
    discriminator = game.discriminator
    return keras.Model(discriminator.input, game.class_logits(discriminator.output), name="class_head")


def augmented_batches(batches, policy, seed=0):
    """`(images, labels)` batches through the DiffAugment `policy` (`augment.apply`), with fresh noise for every
    batch of every epoch from a generator seeded with `seed`: the labeled images as a game with that `augment`
    sees them in training. Validation and test images are never augmented."""
    generator = tf.random.Generator.from_seed(seed)

    def transform(images, labels):
        return augment.apply(images, policy, generator.uniform), labels

    return batches.map(transform)


def supervised_baseline(variant, labeled_per_class, seed=0, epochs=200, validation_per_class=None, patience=20,
                        dataset="fashion_mnist", data_dir=None, batch_size=32, learning_rate=1e-3,
                        architecture=None, options=None, verbose=0):
    """What the labels alone give: the discriminator a semi-supervised run of `variant` would build, trained as
    a plain softmax classifier on that run's labeled examples only, with no generator and no unlabeled data.

    The network is the game's own (`build_discriminator`, with `architecture` and any constructor `options`
    that shape it), read through its class head (`class_head`). It minimises the cross-entropy

        L = E_{(x, y) labeled}[-log softmax(class_logits(D(x)))_y]

    on the N - V labeled training examples per class of `split_labeled(train labels, N, V, seed)`: the same
    draw from the TRAIN split, the same seed and the same held-out validation examples as `keras-gans train
    VARIANT --labeled-per-class N --validation-per-class V --seed seed`, and the same augmentation: none, or
    the game's `augment` policy among `options` (`augmented_batches`), as its D sees real images. Early stopping
    (`keras.callbacks.EarlyStopping`, `patience` epochs, restore_best_weights=True) watches the loss on the V
    held-out examples per class, never the test split; `epochs` is only the most it may train. The test split
    is scored once, at the end.

    Optimizer: Adam(`learning_rate`, default 1e-3, beta_1 = 0.9), Keras' plain Adam. The games' own Adam(2e-4,
    beta_1 = 0.5) is tuned for the adversarial game; a classifier on a hundred images with early stopping gets
    nothing from it but slower progress, and a baseline should be a well-trained one.

    Returns a dict of plain numbers: test_accuracy and test_error on the `test_examples` of the test split,
    validation_accuracy and validation_loss of the restored (best) epoch, best_epoch and epochs_trained
    (1-based counts), train_examples, validation_examples, seconds, the settings used, and the per-epoch
    history.
    """
    cls = classifying_game(variant)
    name = variant if isinstance(variant, str) else cls.__name__.lower()
    validation_per_class = resolve_validation_per_class(labeled_per_class, validation_per_class)
    if validation_per_class < 1:
        raise ValueError("The baseline stops early on held-out labeled examples: validation_per_class "
                         "(--validation-per-class) must be at least 1.")
    images, labels = data.load_arrays(dataset, "train", data_dir)
    if labels is None:
        raise ValueError(f"{dataset!r} has no labels: there is nothing to train a classifier on.")
    images, labels = data.check_images(images), np.asarray(labels)
    split = split_labeled(labels, labeled_per_class, validation_per_class, seed)

    keras.utils.set_random_seed(seed)
    options = dict(options or {})
    if architecture:
        options["architecture"] = architecture
    game = cls.for_data(images, labels, seed=seed, **options)
    classifier = class_head(game)
    classifier.compile(optimizer=keras.optimizers.Adam(learning_rate),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                       metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    train = data.from_arrays(images[split.train], labels[split.train], batch_size=batch_size, shuffle=True,
                             drop_remainder=False, seed=seed)
    if game.augment_policy:
        train = augmented_batches(train, game.augment_policy, seed)
    stopping = keras.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=patience,
                                             restore_best_weights=True)
    start = time.perf_counter()
    # shuffle=False: the dataset reshuffles itself every epoch (Keras would warn that it cannot).
    history = classifier.fit(train, epochs=epochs, validation_data=validation_batches(images, labels, split),
                             callbacks=[stopping], verbose=verbose, shuffle=False).history
    seconds = time.perf_counter() - start
    best = int(stopping.best_epoch)

    test_images, test_labels = data.load_arrays(dataset, "test", data_dir)
    test_images = data.check_images(test_images)
    test = classifier.evaluate(scoring_batches(test_images, test_labels), verbose=0, return_dict=True)
    return {
        "variant": name, "dataset": dataset, "seed": int(seed), "architecture": game.architecture,
        "labeled_per_class": int(labeled_per_class), "validation_per_class": validation_per_class,
        "train_examples": len(split.train), "validation_examples": len(split.validation),
        "test_examples": len(test_images),
        "test_accuracy": float(test["accuracy"]), "test_error": 1.0 - float(test["accuracy"]),
        "validation_accuracy": float(history["val_accuracy"][best]),
        "validation_loss": float(history["val_loss"][best]),
        "best_epoch": best + 1, "epochs_trained": len(history["loss"]), "max_epochs": int(epochs),
        "patience": int(patience), "batch_size": int(batch_size), "optimizer": "Adam",
        "learning_rate": float(learning_rate), "seconds": seconds,
        "history": {key: [float(value) for value in values] for key, values in history.items()},
    }


def format_baseline(result):
    """The baseline's result as the lines `keras-gans baseline` prints."""
    return "\n".join([
        f"Supervised-only baseline: {result['variant']}'s discriminator trained as a classifier on "
        f"{result['train_examples']} labeled {result['dataset']} images ({result['labeled_per_class']} per class "
        f"minus {result['validation_per_class']} held out, seed {result['seed']}), no generator, no unlabeled data",
        f"Early stopping on the {result['validation_examples']} held-out labeled images: best epoch "
        f"{result['best_epoch']} of {result['epochs_trained']} trained (validation accuracy "
        f"{result['validation_accuracy']:.4f}), {result['seconds']:.0f} s",
        f"Test accuracy on the real test split ({result['test_examples']} images, scored once): "
        f"{result['test_accuracy']:.4f} (test error {result['test_error']:.2%})",
    ])
