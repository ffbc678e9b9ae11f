"""The original GAN paper's likelihood estimate (Goodfellow et al., 2014, section 5; after Breuleux et al.):
fit a Gaussian Parzen window to generated samples and report the log-likelihood of the test set under it.

    log p(x) = log (1/N) sum_i N(x; s_i, sigma^2 I)
             = logsumexp_i(-||x - s_i||^2 / (2 sigma^2)) - log N - (d/2) log(2 pi sigma^2)

sigma is chosen by maximising the mean log-likelihood of a validation set of real *training* images; the
test set's mean log-likelihood is reported with its standard error (std / sqrt(n)). Pixels are scaled to
[0, 1], as in the paper (which reports 225 +- 2 nats on MNIST for its GAN).

**This estimate is unreliable in high dimensions.** A Parzen window needs exponentially many samples in
the dimension d to approach the density it estimates; with 10,000 samples in 784 dimensions the number
is dominated by the distance from each test image to its few nearest samples and by sigma's d/2 log term.
Theis, van den Oord & Bethge ("A note on the evaluation of generative models", 2016) show that it ranks
models unlike their true log-likelihood, and that a model which memorises the training set, or even
k-means centroids, can beat real generative models on it. It is offered anyway so that results can be
compared with the numbers of the original paper and of the papers that followed its protocol -- read it
as "how close do real test images come to some generated sample", never as a likelihood.

Distances are computed batch by batch as |x|^2 + |s|^2 - 2 x.s with one matrix product, and the sums with
a numerically stable log-sum-exp; the distances do not depend on sigma, so every candidate sigma is scored
from one pass. 10,000 x 10,000 Fashion-MNIST images take seconds on a CPU.
"""
import math

import numpy as np

# The grid of the paper's code (goodfeli/adversarial, parzen_ll.py: np.logspace(-1, 0, 10)), pixels in [0, 1].
DEFAULT_SIGMAS = tuple(float(s) for s in np.logspace(-1.0, 0.0, 10))


def _flat(x):
    return np.asarray(x, "float32").reshape(len(x), -1)


def _squared_distances(x, samples, sample_norms):
    """||x_j - s_i||^2 (len(x), len(samples)), float32, clipped at 0 (rounding can go below)."""
    d = x @ samples.T
    d *= -2.0
    d += (x * x).sum(1)[:, None]
    d += sample_norms[None, :]
    return np.maximum(d, 0.0, out=d)


def parzen_log_likelihoods(x, samples, sigmas, batch_size=500):
    """log p(x_j) under the Parzen window of `samples` for each sigma: an array (len(sigmas), len(x)).

    x (m, ...) and samples (N, ...) are flattened; pixels should be in [0, 1]. For each batch of x the
    distances are computed once and shifted by their row minimum, so that every sigma costs one exp pass:
    logsumexp_i(-d_i / 2s^2) = -d_min / 2s^2 + log sum_i exp(-(d_i - d_min) / 2s^2)."""
    x, samples = _flat(x), _flat(samples)
    if x.shape[1] != samples.shape[1]:
        raise ValueError(f"x has {x.shape[1]} dimensions per example but the samples have {samples.shape[1]}.")
    sigmas = np.atleast_1d(np.asarray(sigmas, "float64"))
    if np.any(sigmas <= 0):
        raise ValueError(f"sigma must be positive; got {sigmas}.")
    n, d = samples.shape
    norms = (samples * samples).sum(1)
    constant = -math.log(n) - 0.5 * d * np.log(2 * np.pi * sigmas ** 2)
    out = np.empty((len(sigmas), len(x)))
    for start in range(0, len(x), batch_size):
        distances = _squared_distances(x[start:start + batch_size], samples, norms)
        nearest = distances.min(axis=1, keepdims=True)
        distances -= nearest
        terms = np.empty_like(distances)
        for k, sigma in enumerate(sigmas):
            np.exp(distances * np.float32(-0.5 / sigma ** 2), out=terms)
            out[k, start:start + batch_size] = (np.log(terms.sum(1, dtype="float64")) - nearest[:, 0] / (2 * sigma ** 2)
                                                + constant[k])
    return out


def parzen_log_likelihood(x, samples, sigma, batch_size=500):
    """log p(x_j) (len(x),) under a Gaussian Parzen window of bandwidth `sigma` centred on `samples`."""
    return parzen_log_likelihoods(x, samples, [sigma], batch_size)[0]


def select_sigma(validation, samples, sigmas=DEFAULT_SIGMAS, batch_size=500):
    """The sigma (from the candidates) that maximises the mean validation log-likelihood.

    Returns (best sigma, mean log-likelihood of each candidate (len(sigmas),))."""
    scores = parzen_log_likelihoods(validation, samples, sigmas, batch_size).mean(axis=1)
    return float(np.asarray(sigmas)[int(np.argmax(scores))]), scores


def mean_and_standard_error(log_likelihoods):
    """(mean, standard error = std / sqrt(n)) of per-example log-likelihoods."""
    ll = np.asarray(log_likelihoods, "float64")
    return float(ll.mean()), float(ll.std(ddof=1) / math.sqrt(len(ll))) if len(ll) > 1 else float("nan")


def _unit(images):
    """Images as float32 pixels in [0, 1]: uint8 / 255, or floats in [-1, 1] (the models') -> (x + 1) / 2."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images.astype("float32") / 255.0
    return (images.astype("float32") + 1.0) / 2.0


def parzen_evaluation(model, train_images, test_images, n=10000, validation=10000, sigmas=DEFAULT_SIGMAS,
                      seed=0, batch_size=500, labels=None):
    """The paper's protocol for a trained model: Parzen window on `n` generated samples, sigma chosen on
    `validation` real training images (a seeded random subset), mean test log-likelihood +- standard error.

    Images may be uint8 in [0, 255] or floats in [-1, 1]; everything is scaled to [0, 1]. Conditional
    models generate `labels` (default: classes in turn). Returns a dict with mean, std_error, sigma,
    sigmas, validation_scores, sigma_at_edge (the best sigma is the grid's smallest or largest: widen
    the grid), n_samples, n_validation, n_test.
    """
    samples = _unit(model.generate(n, labels=labels, seed=seed))
    train_images = np.asarray(train_images)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(train_images), min(validation, len(train_images)), replace=False)
    sigma, scores = select_sigma(_unit(train_images[chosen]), samples, sigmas, batch_size)
    mean, error = mean_and_standard_error(parzen_log_likelihood(_unit(test_images), samples, sigma, batch_size))
    sigmas = np.asarray(sigmas)
    return {"mean": mean, "std_error": error, "sigma": sigma, "sigmas": sigmas, "validation_scores": scores,
            "sigma_at_edge": bool(sigma in (sigmas.min(), sigmas.max())), "n_samples": n,
            "n_validation": len(chosen), "n_test": len(test_images)}
