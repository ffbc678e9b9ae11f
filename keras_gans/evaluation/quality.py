"""Sample quality against real data, measured with the features of a Fashion-MNIST classifier.

The metric functions take numpy arrays (features, probabilities, labels); `evaluate_model` draws samples from a
trained GAN, runs them and the real data through the classifier (`keras_gans.evaluation.classifier`) and
returns every number as a dict; `evaluate_command` is what `keras-gans evaluate` runs.

    from keras_gans.evaluation import classifier, quality
    results = quality.evaluate_model(model, n=10000)       # uses the cached classifier
    print(quality.format_results(results))

Classifier-FID/KID use the classifier's penultimate ("features") layer in place of Inception's pool3 features:
the numbers are comparable between runs of this package, not with Inception FIDs in papers (for those, see
`inception_fid`). The "sanity floor" is the same metric between a real training subset of the same size and
the real test set: no generator can be expected to do better.
"""
import json
import math
import socket
import sys

import numpy as np

from .. import data

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                         "Bag", "Ankle boot")


# ------------------------------------------------------------------------------------------ metrics
def _as_features(features):
    features = np.asarray(features, dtype="float64")
    return features.reshape(len(features), -1)


def _psd_sqrt(matrix):
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two sets of feature vectors (rows):

        FD = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))

    with means mu and covariances S (unbiased, n - 1). Tr((S_a S_b)^(1/2)) is computed as
    Tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)) -- the same eigenvalues, of a symmetric PSD matrix -- with `eigh`, which is
    stable where a general matrix square root returns complex noise. With Inception pool3 features this is the FID
    of Heusel et al. (2017); here it is usually computed on the quality classifier's features ("classifier-FID").
    """
    a, b = _as_features(features_a), _as_features(features_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"Feature sets of different widths: {a.shape[1]} and {b.shape[1]}.")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("The Fréchet distance needs at least 2 feature vectors per set.")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root_a = _psd_sqrt(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def polynomial_kernel(x, y, degree=3, gamma=None, coef0=1.0):
    """k(x, y) = (gamma <x, y> + coef0)^degree for all row pairs; gamma defaults to 1 / dimension."""
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    return (gamma * (x @ y.T) + coef0) ** degree


def mmd2_unbiased(x, y, kernel=polynomial_kernel, **kernel_kwargs):
    """Unbiased estimate of the squared maximum mean discrepancy between the samples x (m rows) and y (n rows):

        MMD^2_u = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(n(n-1)) sum_{i != j} k(y_i, y_j)
                  - 2/(mn) sum_{i,j} k(x_i, y_j)

    Its expectation is MMD^2 exactly (it can be negative when the distributions are close)."""
    m, n = len(x), len(y)
    k_xx, k_yy, k_xy = (kernel(p, q, **kernel_kwargs) for p, q in ((x, x), (y, y), (x, y)))
    return float((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
                 - 2 * k_xy.mean())


def kernel_inception_distance(features_a, features_b, subset_size=1000, num_subsets=None, degree=3, gamma=None,
                              coef0=1.0, seed=0):
    """Kernel (Inception) distance of Bińkowski et al. (2018): the unbiased MMD^2 estimate (`mmd2_unbiased`) with
    the cubic polynomial kernel k(x, y) = (<x, y> / d + 1)^3, averaged over subsets, and its standard error.

    Both sets are shuffled (seeded) and cut into `num_subsets` disjoint subsets of m = min(subset_size,
    min(n_a, n_b) // num_subsets) rows; default num_subsets = max(10, min(n_a, n_b) // subset_size), so 10
    subsets of 1000 for 10 000 samples. The subset estimates e_1..e_k are independent and unbiased, so

        KID = mean(e),    standard error = std(e, ddof=1) / sqrt(k).

    (The reference code averages 100 overlapping subsets and reports their standard deviation; that is a spread,
    not the uncertainty of the mean.)

    Returns:
        (kid, standard_error) as floats.
    """
    a, b = _as_features(features_a), _as_features(features_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"Feature sets of different widths: {a.shape[1]} and {b.shape[1]}.")
    smallest = min(len(a), len(b))
    if smallest < 4:
        raise ValueError("KID needs at least 4 feature vectors per set (2 subsets of 2).")
    k = num_subsets or max(10, smallest // subset_size)
    k = min(k, smallest // 2)
    m = min(subset_size, smallest // k)
    rng = np.random.default_rng(seed)
    a, b = a[rng.permutation(len(a))], b[rng.permutation(len(b))]
    estimates = np.array([mmd2_unbiased(a[i * m:(i + 1) * m], b[i * m:(i + 1) * m], degree=degree, gamma=gamma,
                                        coef0=coef0) for i in range(k)])
    return float(estimates.mean()), float(estimates.std(ddof=1) / math.sqrt(k))


def classifier_score(probabilities, splits=1, return_std=False, eps=1e-12):
    """Inception-Score-style score from class probabilities p(y|x) (rows):

        score = exp( E_x KL(p(y|x) || p(y)) ),   p(y) = E_x p(y|x)

    between 1 (every sample gets the same prediction) and the number of classes (confident predictions spread
    evenly over all classes). With `splits`, the mean over that many equal parts (and their std if `return_std`),
    as in Salimans et al. (2016), who used 10 splits of Inception's ImageNet predictions."""
    p = np.asarray(probabilities, dtype="float64")
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(0, keepdims=True)
        kl = (part * (np.log(part + eps) - np.log(marginal + eps))).sum(1)
        scores.append(math.exp(kl.mean()))
    mean = float(np.mean(scores))
    return (mean, float(np.std(scores))) if return_std else mean


def _labels(predicted):
    predicted = np.asarray(predicted)
    return predicted.argmax(-1) if predicted.ndim == 2 else predicted.reshape(-1).astype("int64")


def class_coverage(predicted, num_classes=None, threshold=0.05):
    """How the samples spread over classes, from predicted labels (or probabilities, argmax taken):

        share_c = #{samples predicted as c} / n,   under_threshold = [c : share_c < threshold]

    A balanced generator on 10 classes gives 10% each; mode collapse shows as classes under 5%.

    Returns:
        {"shares": list of num_classes floats, "under_threshold": list of classes, "covered": number of classes
        at or above the threshold, "threshold": threshold}.
    """
    probabilities = np.asarray(predicted)
    if num_classes is None:
        num_classes = probabilities.shape[-1] if probabilities.ndim == 2 else int(_labels(predicted).max()) + 1
    labels = _labels(predicted)
    shares = np.bincount(labels, minlength=num_classes)[:num_classes] / max(len(labels), 1)
    under = [int(c) for c in np.flatnonzero(shares < threshold)]
    return {"shares": [float(s) for s in shares], "under_threshold": under, "covered": num_classes - len(under),
            "threshold": threshold}


def conditional_accuracy(requested, predicted):
    """Share of samples generated for class `requested[i]` that the classifier puts in that class:
    mean(argmax p(y|x_i) == requested_i)."""
    requested = np.asarray(requested).reshape(-1)
    return float(np.mean(_labels(predicted) == requested))


def purity(codes, predicted):
    """How well a categorical code (InfoGAN's c1) matches the classifier's classes: for each code value v, the
    share of its samples in their most frequent predicted class, averaged over the values present:

        purity = mean_v max_c #{i : code_i = v, pred_i = c} / #{i : code_i = v}

    1 when every code value maps to one class; about 1 / classes for codes unrelated to the classes."""
    codes, labels = np.asarray(codes).reshape(-1), _labels(predicted)
    if len(codes) != len(labels):
        raise ValueError(f"{len(codes)} codes but {len(labels)} predictions.")
    values = np.unique(codes)
    return float(np.mean([np.bincount(labels[codes == v]).max() / np.sum(codes == v) for v in values]))


def classification_error(true_labels, predicted):
    """Test error of a classifier: mean(argmax p(y|x_i) != y_i)."""
    return float(np.mean(_labels(predicted) != np.asarray(true_labels).reshape(-1)))


def cluster_error(true_labels, predicted):
    """Error after mapping each predicted cluster to its most frequent true label (for unsupervised classifiers
    such as an unsupervised CatGAN, whose categories are unnamed), as in Springenberg (2016)."""
    true_labels, labels = np.asarray(true_labels).reshape(-1), _labels(predicted)
    correct = sum(np.bincount(true_labels[labels == c]).max() for c in np.unique(labels))
    return float(1 - correct / len(labels))


# ------------------------------------------------------------------------------------ Inception FID
class InceptionUnavailable(RuntimeError):
    """The ImageNet weights of InceptionV3 could not be had (offline and not cached in ~/.keras/models)."""


def inception_features(images, batch_size=50, model=None, timeout=30):
    """Inception-v3 pool3 features (n, 2048) of images in [-1, 1] (grayscale is repeated to RGB, resized to
    299x299 bilinearly). Needs `keras.applications.InceptionV3(weights="imagenet")`, which downloads its weights
    once; raises InceptionUnavailable when that fails. Slow on a CPU (about 6 GFLOPs per image)."""
    import tensorflow as tf

    if model is None:
        model = inception_model(timeout)
    features = []
    for i in range(0, len(images), batch_size):
        batch = tf.convert_to_tensor(np.asarray(images[i:i + batch_size], "float32"))
        if batch.shape[-1] == 1:
            batch = tf.repeat(batch, 3, axis=-1)
        batch = tf.image.resize(batch, (299, 299), method="bilinear")  # [-1, 1] is InceptionV3's own input range
        features.append(np.asarray(model(batch, training=False)))
    return np.concatenate(features)


def inception_model(timeout=30):
    """`keras.applications.InceptionV3(include_top=False, pooling="avg", weights="imagenet")`, or
    InceptionUnavailable with the reason."""
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        return keras.applications.InceptionV3(include_top=False, pooling="avg", weights="imagenet",
                                              input_shape=(299, 299, 3))
    except Exception as error:
        raise InceptionUnavailable(f"the ImageNet weights of InceptionV3 could not be loaded ({type(error).__name__}: "
                                   f"{str(error)[:200]}); offline, Inception FID is skipped") from error
    finally:
        socket.setdefaulttimeout(previous)


def inception_fid(images_a, images_b, batch_size=50):
    """The standard FID (Fréchet distance of Inception-v3 pool3 features) of two image sets in [-1, 1]."""
    model = inception_model()
    return frechet_distance(inception_features(images_a, batch_size, model),
                            inception_features(images_b, batch_size, model))


# ------------------------------------------------------------------------------------- a GAN model
def generate_for_evaluation(model, n, seed=0):
    """n samples in [-1, 1] and what they were asked to be: (images, {"labels": ...} | {"codes": c1} | {}).

    Conditional models get balanced labels 0, 1, ..., num_classes - 1, 0, ...; InfoGAN models balanced values of
    the first categorical code c1, uniformly random other categorical codes and continuous codes ~ U[-1, 1]."""
    rng = np.random.default_rng(seed)
    categorical = tuple(getattr(model, "categorical_codes", None) or ())
    if categorical:
        codes = {"categorical": np.stack([np.arange(n) % categorical[0]] +
                                         [rng.integers(0, k, n) for k in categorical[1:]], axis=1).astype("int32"),
                 "continuous": rng.uniform(-1, 1, (n, int(getattr(model, "continuous_codes", 0) or 0)))
                 .astype("float32")}
        return model.generate(n, codes=codes, seed=seed), {"codes": codes["categorical"][:, 0]}
    if model.reads_labels("generator"):
        labels = (np.arange(n) % model.num_classes).astype("int32")
        return model.generate(n, labels=labels, seed=seed), {"labels": labels}
    return model.generate(n, seed=seed), {}


def evaluate_model(model, n=10000, classifier=None, real_test=None, real_train=None, seed=0, dataset="fashion_mnist",
                   data_dir=None, subset_size=1000, inception=False, batch_size=500):
    """Judge `model`'s samples against the real test set with the quality classifier.

    Args:
        model: a trained GAN (anything with `generate(n, seed=...)`; see `generate_for_evaluation`).
        n: generated samples.
        classifier: a Keras classifier (images in [-1, 1] -> probabilities) with a "features" layer; default: the
            cached one (`classifier.load_classifier()`).
        real_test, real_train: (images, labels) (uint8 or [-1, 1]); default: the splits of `dataset`. n random
            training images (fewer if there are fewer) give the sanity floor, real-train vs real-test.
        subset_size: KID subset size (see `kernel_inception_distance`).
        inception: also the Inception FID of n samples (None, with the reason, when the weights are unavailable).

    Returns:
        a dict of numbers (and lists): n, fid, kid, kid_se, classifier_score, coverage (shares per predicted class),
        classes_under_5pct, covered_classes; the floor real_fid, real_kid, real_kid_se, real_classifier_score;
        classifier_test_accuracy; conditional models: conditional_accuracy; InfoGAN: purity; models with
        `classify`: classifier_test_error (and cluster_error, for unsupervised categories); with inception:
        inception_fid (and inception_note).
    """
    from . import classifier as classifiers

    if classifier is None:
        classifier = classifiers.load_classifier(dataset=dataset)
    if real_test is None:
        real_test = data.load_arrays(dataset, "test", data_dir)
    if real_train is None:
        real_train = data.load_arrays(dataset, "train", data_dir)
    test_images, test_labels = data.to_model_range(real_test[0]), np.asarray(real_test[1]).reshape(-1)
    expected = tuple(classifier.inputs[0].shape[1:])
    shape = tuple(getattr(model, "image_shape", expected))
    if shape != expected:
        raise ValueError(f"The classifier takes images of shape {expected}, but the model makes {shape}.")
    rng = np.random.default_rng(seed)
    train_rows = rng.choice(len(real_train[0]), min(n, len(real_train[0])), replace=False)
    train_images = data.to_model_range(np.asarray(real_train[0])[train_rows])

    images, asked = generate_for_evaluation(model, n, seed)
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
    coverage = class_coverage(fake_probs, num_classes, 0.05)
    results["coverage"] = coverage["shares"]
    results["classes_under_5pct"] = coverage["under_threshold"]
    results["covered_classes"] = coverage["covered"]
    if "labels" in asked and model.num_classes == num_classes:
        results["conditional_accuracy"] = conditional_accuracy(asked["labels"], fake_probs)
    if "codes" in asked:
        results["purity"] = purity(asked["codes"], fake_probs)
    if callable(getattr(model, "classify", None)) and getattr(model, "classifies", True):
        own = np.concatenate([np.asarray(model.classify(test_images[i:i + batch_size]))
                              for i in range(0, len(test_images), batch_size)])
        results["classifier_test_error"] = classification_error(test_labels, own)
        results["cluster_error"] = cluster_error(test_labels, own)
    results["real_fid"] = frechet_distance(train_features, test_features)
    results["real_kid"], results["real_kid_se"] = kernel_inception_distance(train_features, test_features,
                                                                            subset_size, seed=seed)
    results["real_classifier_score"] = classifier_score(test_probs)
    results["classifier_test_accuracy"] = 1 - classification_error(test_labels, test_probs)
    if inception:
        try:
            results["inception_fid"] = inception_fid(images, test_images[:n])
        except InceptionUnavailable as error:
            results["inception_fid"], results["inception_note"] = None, f"Inception FID skipped: {error}."
    return results


def format_results(results, class_names=None):
    """`evaluate_model`'s dict as the text `keras-gans evaluate` prints."""
    r = results
    lines = [f"{'':30}{'generated':>18}{'real train (floor)':>22}",
             f"{'classifier-FID':30}{r['fid']:>18.3f}{r['real_fid']:>22.3f}",
             f"{'KID (± standard error)':30}{_pm(r['kid'], r['kid_se']):>18}"
             f"{_pm(r['real_kid'], r['real_kid_se']):>22}",
             f"{'classifier score (IS-style)':30}{r['classifier_score']:>18.3f}"
             f"{r['real_classifier_score']:>22.3f}  (real test)"]
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


def evaluate_command(checkpoint=None, n=10000, classifier_path=None, train_classifier=False, auto_train=False,
                     classifier_epochs=8, dataset="fashion_mnist", data_dir=None, inception=False, seed=0,
                     json_path=None, out=None, parzen=False):
    """What `keras-gans evaluate` does: optionally train and cache the classifier, then evaluate `checkpoint` and
    print the numbers (and write them as JSON to `json_path`). Returns the exit code."""
    from . import classifier as classifiers
    from ..base import GANModel

    out = out or sys.stdout
    classifier = None
    if train_classifier:
        path = classifier_path or classifiers.default_path(dataset)
        print(f"Training the quality classifier on the real {dataset} training set ({classifier_epochs} epochs) ...",
              file=out)
        classifier, info = classifiers.train_classifier(dataset=dataset, data_dir=data_dir, epochs=classifier_epochs,
                                                        path=path)
        print(f"Quality classifier: test accuracy {100 * info['test_accuracy']:.2f}%, trained in "
              f"{info['seconds']:.0f} s, saved to {info['path']}", file=out)
    if checkpoint is None:
        if train_classifier:
            return 0
        raise ValueError("evaluate needs a CHECKPOINT (a .keras file from `keras-gans train`), or "
                         "--train-classifier to train the quality classifier.")
    model = GANModel.load(checkpoint)
    if classifier is None:
        classifier = classifiers.load_classifier(classifier_path, dataset, train_if_missing=auto_train,
                                                 data_dir=data_dir, epochs=classifier_epochs)
    if inception:
        print("Computing the Inception FID too (slow on a CPU) ...", file=out)
    results = evaluate_model(model, n=n, classifier=classifier, seed=seed, dataset=dataset, data_dir=data_dir,
                             inception=inception)
    print(f"keras-gans evaluate {checkpoint} ({type(model).__name__})", file=out)
    print(format_results(results), file=out)
    if parzen:
        from .likelihood import parzen_evaluation

        found = parzen_evaluation(model, data.load_arrays(dataset, "train", data_dir)[0],
                                  data.load_arrays(dataset, "test", data_dir)[0], n=n, seed=seed)
        results["parzen"] = {key: found[key] for key in ("mean", "std_error", "sigma", "sigma_at_edge")}
        print(f"Parzen window log-likelihood of the real test set: {found['mean']:.1f} ± {found['std_error']:.1f} "
              f"nats (sigma {found['sigma']:.3f}{', at the edge of the grid' if found['sigma_at_edge'] else ''}; "
              f"pixels in [0, 1]; unreliable in high dimensions, for comparison with the GAN paper only)", file=out)
    if json_path:
        with open(json_path, "w") as f:
            json.dump(results, f, indent=2)
    return 0
