"""The sample-quality metrics as pure functions: numpy arrays in (feature vectors, class probabilities, labels),
plain numbers out. Nothing here draws samples or runs a network, so every formula can be checked by hand;
`keras_gans.evaluation.evaluate` feeds them a GAN's samples and `keras_gans.evaluation.inception` Inception's
features.

- `frechet_distance`: FID on whatever features it is given (classifier-FID, or Inception FID)
- `mmd2_unbiased`, `polynomial_kernel`, `kernel_inception_distance`: KID with its standard error
- `classifier_score`: the Inception-Score formula on any class probabilities
- `class_coverage`, `conditional_accuracy`, `purity`: how samples spread over (and match) classes
- `classification_error`, `cluster_error`: test error of a GAN's own classifier
"""
import math

import numpy as np


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


# ------------------------------------------------------------------- quality and coverage, separately
def _squared_distances(a, b):
    """||a_i - b_j||^2 for all row pairs, in float64 (clipped at 0 against rounding)."""
    return np.maximum((a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)


def knn_radii(features, k=3, batch_size=1000):
    """The distance from every row to its k-th nearest other row of the same set: (n,) floats."""
    x = _as_features(features)
    if len(x) <= k:
        raise ValueError(f"k-nearest-neighbour radii need more than k = {k} feature vectors; got {len(x)}.")
    radii = []
    for start in range(0, len(x), batch_size):
        squared = _squared_distances(x[start:start + batch_size], x)
        # Column k of the sorted row: column 0 is the row itself, at distance 0.
        radii.append(np.sqrt(np.partition(squared, k, axis=1)[:, k]))
    return np.concatenate(radii)


def _balls_containing(queries, centres, radii, batch_size=1000):
    """For every query row, how many of the balls B(centre_i, radius_i) contain it: (n_queries,) ints."""
    counts = []
    for start in range(0, len(queries), batch_size):
        inside = _squared_distances(queries[start:start + batch_size], centres) <= radii[None, :] ** 2
        counts.append(inside.sum(1))
    return np.concatenate(counts)


def precision_recall(real_features, fake_features, k=3):
    """Improved precision and recall of Kynkäänniemi et al. (2019), on feature vectors (rows):

        precision = 1/M sum_j 1[ exists i: ||y_j - x_i|| <= NND_k(x_i) ]     (fakes y inside the real manifold)
        recall    = 1/N sum_i 1[ exists j: ||x_i - y_j|| <= NND_k(y_j) ]     (reals x inside the fake manifold)

    NND_k(v) is the distance from v to its k-th nearest neighbour in its own set. Precision measures how
    many samples look real (quality), recall how much of the real distribution the samples cover.

    Returns:
        (precision, recall) as floats in [0, 1].
    """
    real, fake = _as_features(real_features), _as_features(fake_features)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"Feature sets of different widths: {real.shape[1]} and {fake.shape[1]}.")
    precision = float(np.mean(_balls_containing(fake, real, knn_radii(real, k)) > 0))
    recall = float(np.mean(_balls_containing(real, fake, knn_radii(fake, k)) > 0))
    return precision, recall


def density_coverage(real_features, fake_features, k=5):
    """Density and coverage of Naeem et al. (2020), on feature vectors (rows), with real x_1..x_N, fakes
    y_1..y_M and NND_k as in `precision_recall`:

        density  = 1/(k M) sum_j sum_i 1[ ||y_j - x_i|| <= NND_k(x_i) ]
        coverage = 1/N sum_i 1[ exists j: ||y_j - x_i|| <= NND_k(x_i) ]

    Density counts how many real neighbourhoods each sample falls in (about 1 for samples distributed like the
    data, above 1 where they crowd dense regions); coverage is the share of real neighbourhoods that hold at
    least one sample. Both use only the real set's balls, which makes them robust to outlying samples.

    Returns:
        (density, coverage) as floats; coverage in [0, 1].
    """
    real, fake = _as_features(real_features), _as_features(fake_features)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"Feature sets of different widths: {real.shape[1]} and {fake.shape[1]}.")
    radii = knn_radii(real, k)
    density = float(_balls_containing(fake, real, radii).sum() / (k * len(fake)))
    covered = np.zeros(len(real), bool)
    for start in range(0, len(fake), 1000):
        covered |= (_squared_distances(fake[start:start + 1000], real) <= radii[None, :] ** 2).any(0)
    return density, float(covered.mean())
