"""Sample quality of a trained GAN against real data, measured with the features of a Fashion-MNIST classifier.

`evaluate_model` draws samples from a trained GAN (`generate_for_evaluation`) and `evaluate_samples` runs them (or
any other generator's samples) and the real data through the classifier (`keras_gans.evaluation.classifier`),
applies the metrics of `keras_gans.evaluation.metrics` and returns every number as a dict; `format_results` is
the text that `keras-gans evaluate` prints.

    from keras_gans.evaluation import evaluate
    results = evaluate.evaluate_model(model, n=10000)       # uses the package's classifier
    print(evaluate.format_results(results))

Classifier-FID/KID use the classifier's penultimate ("features") layer in place of Inception's pool3 features:
the numbers are comparable between runs of this package, not with Inception FIDs in papers (for those, see
`keras_gans.evaluation.inception.inception_fid`). The "sanity floor" is the same metric between a real training
subset of the same size and the real test set: no generator can be expected to do better. Precision and recall
(Kynkäänniemi et al., 2019) and density and coverage (Naeem et al., 2020) on the same features separate the
samples' quality (do they look real?) from their coverage of the data (is every kind of real image generated?).
"""
import numpy as np

from .. import data
from ..classifying import ClassifierMixin
from . import classifier as classifiers
from .inception import InceptionUnavailable, inception_fid
from .metrics import (class_coverage, classification_error, classifier_score, cluster_error, conditional_accuracy,
                      density_coverage, frechet_distance, kernel_inception_distance, precision_recall, purity)

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                         "Bag", "Ankle boot")


def generate_for_evaluation(model, n, seed=0):
    """n samples in [-1, 1] and what they were asked to be: (images, {"labels": ...} | {"codes": c1} | {}).

    Models with a categorical condition (`model.condition_classes()`: the class labels of a conditional
    generator, InfoGAN's first categorical code c1) get it balanced: 0, 1, ..., k - 1, 0, ...; whatever else the
    generator reads (InfoGAN's other codes) the model draws itself from `seed` (`model.conditions_for`). z comes
    from `model.latent_for(n, seed)`, so an unconditional model gives exactly `model.generate(n, seed=seed)`."""
    k = model.condition_classes()
    classes = (np.arange(n) % k).astype("int32") if k else None
    images = model.generate_from({"z": model.latent_for(n, seed), **model.conditions_for(n, seed, classes=classes)})
    if model.reads_labels("generator"):
        return images, {"labels": classes}
    if k:
        return images, {"codes": classes}
    return images, {}


def evaluate_model(model, n=10000, classifier=None, real_test=None, real_train=None, seed=0, dataset="fashion_mnist",
                   data_dir=None, subset_size=1000, inception=False, batch_size=500):
    """Judge `model`'s samples against the real test set with the quality classifier: `evaluate_samples` on
    `generate_for_evaluation(model, n, seed)`, plus what the model itself can be asked.

    Args:
        model: a trained GAN (a `keras_gans.base.GANModel`; see `generate_for_evaluation`).
        n: generated samples.
        other arguments: see `evaluate_samples`.

    Returns:
        `evaluate_samples`' dict; conditional models add conditional_accuracy, InfoGAN purity, and games whose
        discriminator classifies (`keras_gans.classifying.ClassifierMixin`: ACGAN, catGAN, SGAN)
        classifier_test_error (and cluster_error, for unsupervised categories).
    """
    images, asked = generate_for_evaluation(model, n, seed)
    own_classifier = model.classify if isinstance(model, ClassifierMixin) else None
    results = evaluate_samples(images, classifier, real_test, real_train, seed, dataset, data_dir, subset_size,
                               inception, batch_size, own_classifier=own_classifier)
    probabilities = results.pop("probabilities")
    if "labels" in asked and model.num_classes == probabilities.shape[1]:
        results["conditional_accuracy"] = conditional_accuracy(asked["labels"], probabilities)
    if "codes" in asked:
        results["purity"] = purity(asked["codes"], probabilities)
    return results


def evaluate_samples(images, classifier=None, real_test=None, real_train=None, seed=0, dataset="fashion_mnist",
                     data_dir=None, subset_size=1000, inception=False, batch_size=500, own_classifier=None):
    """Judge generated `images` (n, H, W, C), in [-1, 1] or uint8, against the real test set with the quality
    classifier -- from any generator, e.g. the samples a reference implementation wrote to a .npy file.

    Args:
        classifier: a Keras classifier (images in [-1, 1] -> probabilities) with a "features" layer; default: the
            package's own (`classifier.load_classifier()`).
        real_test, real_train: (images, labels) (uint8 or [-1, 1]); default: the splits of `dataset`. n random
            training images (fewer if there are fewer) give the sanity floor, real-train vs real-test.
        subset_size: KID subset size (see `metrics.kernel_inception_distance`).
        inception: also the Inception FID of the samples (None, with the reason, when the weights are unavailable);
            True for the ImageNet weights, or the path of an InceptionV3 weights file without its top.
        own_classifier: images -> class probabilities of the generator's own game (ACGAN, catGAN, SGAN), whose
            test error is reported too.

    Returns:
        a dict of numbers (and lists): n, fid, kid, kid_se, classifier_score, precision and recall (k = 3),
        density and knn_coverage (k = 5), coverage (shares per predicted class), classes_under_5pct,
        covered_classes; the floor real_fid, real_kid, real_kid_se, real_classifier_score, real_precision, ...;
        classifier_test_accuracy; with own_classifier: classifier_test_error, cluster_error; with inception:
        inception_fid (and inception_note); and "probabilities", the classifier's (n, classes) on the samples.
    """
    if classifier is None:
        classifier = classifiers.load_classifier(dataset=dataset)
    expected = tuple(classifier.inputs[0].shape[1:])
    if tuple(np.shape(images)[1:]) != expected:
        raise ValueError(f"The quality classifier takes images of shape {expected}; these samples have shape "
                         f"{tuple(np.shape(images)[1:])}.")
    images = data.to_model_range(data.check_images(images, image_shape=expected))
    n = len(images)
    if real_test is None:
        real_test = data.load_arrays(dataset, "test", data_dir)
    if real_train is None:
        real_train = data.load_arrays(dataset, "train", data_dir)
    test_images, test_labels = data.to_model_range(real_test[0]), np.asarray(real_test[1]).reshape(-1)
    rng = np.random.default_rng(seed)
    train_rows = rng.choice(len(real_train[0]), min(n, len(real_train[0])), replace=False)
    train_images = data.to_model_range(np.asarray(real_train[0])[train_rows])

    extractor = classifiers.feature_model(classifier)
    fake_features, fake_probs = classifiers.features_and_probabilities(extractor, images, batch_size)
    test_features, test_probs = classifiers.features_and_probabilities(extractor, test_images, batch_size)
    train_features, _ = classifiers.features_and_probabilities(extractor, train_images, batch_size)
    num_classes = fake_probs.shape[1]

    results = {"n": int(n), "num_real_test": len(test_images)}
    results["fid"] = frechet_distance(fake_features, test_features)
    results["kid"], results["kid_se"] = kernel_inception_distance(fake_features, test_features, subset_size,
                                                                  seed=seed)
    results["classifier_score"] = classifier_score(fake_probs)
    results["precision"], results["recall"] = precision_recall(test_features, fake_features, k=3)
    results["density"], results["knn_coverage"] = density_coverage(test_features, fake_features, k=5)
    coverage = class_coverage(fake_probs, num_classes, 0.05)
    results["coverage"] = coverage["shares"]
    results["classes_under_5pct"] = coverage["under_threshold"]
    results["covered_classes"] = coverage["covered"]
    if own_classifier is not None:
        own = np.concatenate([np.asarray(own_classifier(test_images[i:i + batch_size]))
                              for i in range(0, len(test_images), batch_size)])
        results["classifier_test_error"] = classification_error(test_labels, own)
        results["cluster_error"] = cluster_error(test_labels, own)
    results["real_fid"] = frechet_distance(train_features, test_features)
    results["real_kid"], results["real_kid_se"] = kernel_inception_distance(train_features, test_features,
                                                                            subset_size, seed=seed)
    results["real_classifier_score"] = classifier_score(test_probs)
    results["real_precision"], results["real_recall"] = precision_recall(test_features, train_features, k=3)
    results["real_density"], results["real_knn_coverage"] = density_coverage(test_features, train_features, k=5)
    results["classifier_test_accuracy"] = 1 - classification_error(test_labels, test_probs)
    if inception:
        try:
            results["inception_fid"] = inception_fid(images, test_images[:n],
                                                     weights="imagenet" if inception is True else inception)
        except InceptionUnavailable as error:
            results["inception_fid"], results["inception_note"] = None, f"Inception FID skipped: {error}."
    results["probabilities"] = fake_probs
    return results


def evaluate_on_inception(images, real_images, seed=0, subset_size=1000, batch_size=50, weights="imagenet"):
    """Judge generated `images` against `real_images` -- of any size, grayscale or colour, in [-1, 1] or uint8 --
    on Inception-v3 pool3 features, the papers' feature space: the standard FID, KID (Bińkowski et al. 2018),
    precision and recall (k = 3) and density and coverage (k = 5). For images the Fashion-MNIST quality classifier
    cannot read (CIFAR-10, CelebA, your own folder).

    Args:
        images, real_images: (n, H, W, C) arrays of the same image shape.
        weights: "imagenet" (downloaded once into ~/.keras/models) or the path of an InceptionV3 weights file
            without its top; raises `inception.InceptionUnavailable` when neither can be had.

    Returns:
        a dict: n, num_real, inception_fid, inception_kid, inception_kid_se, precision, recall, density and
        knn_coverage.
    """
    from .inception import inception_features, inception_model

    images = data.to_model_range(data.check_images(images))
    real_images = data.to_model_range(data.check_images(real_images, image_shape=images.shape[1:]))
    model = inception_model(weights=weights)
    fake = inception_features(images, batch_size, model)
    real = inception_features(real_images, batch_size, model)
    results = {"n": len(images), "num_real": len(real_images), "inception_fid": frechet_distance(fake, real)}
    results["inception_kid"], results["inception_kid_se"] = kernel_inception_distance(fake, real, subset_size,
                                                                                      seed=seed)
    results["precision"], results["recall"] = precision_recall(real, fake, k=3)
    results["density"], results["knn_coverage"] = density_coverage(real, fake, k=5)
    return results


def format_inception_results(results):
    """`evaluate_on_inception`'s dict as the text `keras-gans evaluate` prints."""
    r = results
    return "\n".join([
        f"{'Inception FID':30}{r['inception_fid']:>12.3f}",
        f"{'Inception KID (± s.e.)':30}{_pm(r['inception_kid'], r['inception_kid_se']):>18}",
        f"{'precision / recall (k=3)':30}{r['precision']:>10.3f} / {r['recall']:.3f}",
        f"{'density / coverage (k=5)':30}{r['density']:>10.3f} / {r['knn_coverage']:.3f}",
        f"({r['n']} samples vs {r['num_real']} real images, on Inception-v3 pool3 features)"])


def format_results(results, class_names=None):
    """`evaluate_model`'s dict as the text `keras-gans evaluate` prints."""
    r = results
    lines = [f"{'':30}{'generated':>18}{'real train (floor)':>22}",
             f"{'classifier-FID':30}{r['fid']:>18.3f}{r['real_fid']:>22.3f}",
             f"{'KID (± standard error)':30}{_pm(r['kid'], r['kid_se']):>18}"
             f"{_pm(r['real_kid'], r['real_kid_se']):>22}",
             f"{'classifier score (IS-style)':30}{r['classifier_score']:>18.3f}"
             f"{r['real_classifier_score']:>22.3f}  (real test)"]
    lines += [f"{'precision / recall (k=3)':30}{r['precision']:>10.3f} / {r['recall']:.3f}"
              f"{r['real_precision']:>14.3f} / {r['real_recall']:.3f}",
              f"{'density / coverage (k=5)':30}{r['density']:>10.3f} / {r['knn_coverage']:.3f}"
              f"{r['real_density']:>14.3f} / {r['real_knn_coverage']:.3f}"]
    names = class_names or (FASHION_MNIST_CLASSES if len(r["coverage"]) == 10 else None)
    name = (lambda c: names[c]) if names else str
    lines.append("class coverage (share of samples per predicted class):")
    lines.append("  " + ", ".join(f"{name(c)} {100 * s:.1f}%" for c, s in enumerate(r["coverage"])))
    under = r["classes_under_5pct"]
    lines.append(f"classes under 5%: {', '.join(name(c) for c in under) if under else 'none'}")
    for key, label in (("conditional_accuracy", "accuracy of the requested class"),
                       ("purity", "purity of c1 against predicted classes"),
                       ("classifier_test_error", "test error of the model's classifier"),
                       ("cluster_error", "  after mapping its classes to majority labels")):
        if key in r:
            lines.append(f"{label}: {100 * r[key]:.2f}%")
    if "inception_fid" in r:
        lines.append(r.get("inception_note") or f"Inception FID: {r['inception_fid']:.3f}")
    lines.append(f"({r['n']} samples vs {r['num_real_test']} real test images; the quality classifier's test accuracy "
                 f"is {100 * r['classifier_test_accuracy']:.2f}%)")
    return "\n".join(lines)


def _pm(value, error):
    return f"{value:.4f} ± {error:.4f}"
