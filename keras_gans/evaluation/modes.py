"""Mode coverage on the 2-D toy mixtures (ring, grid), as reported by the unrolled-GAN, VEEGAN and PacGAN
papers: how many of the mixture's modes a generator reaches, and how well.

    metrics = mode_metrics(samples, centres, sigma)

A sample is *high quality* when it lies within `threshold` (3) standard deviations of its nearest mode
centre; it then counts for that mode. A mode is *covered* when at least `min_share` (1%) of all samples
are high-quality samples of it. The KL divergence is that of the histogram of high-quality samples over
the modes from the uniform distribution the mixture has: 0 when every mode gets the same share, log K when
all land on one mode. Pure numpy, no model.
"""
import numpy as np


def nearest_modes(samples, centres):
    """(index of the nearest centre (n,), distance to it (n,)) for samples (n, d) and centres (K, d)."""
    samples = np.asarray(samples, "float64").reshape(len(samples), -1)
    centres = np.asarray(centres, "float64").reshape(len(centres), -1)
    distances = np.sqrt(((samples[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    nearest = distances.argmin(axis=1)
    return nearest, distances[np.arange(len(samples)), nearest]


def mode_histogram(samples, centres, sigma, threshold=3.0):
    """Number of high-quality samples (within threshold * sigma of their nearest centre) of each mode (K,)."""
    nearest, distance = nearest_modes(samples, centres)
    good = distance <= threshold * sigma
    return np.bincount(nearest[good], minlength=len(centres))


def kl_from_uniform(counts):
    """KL(p || uniform) of the histogram `counts` over K bins, in nats: log K - H(p). NaN for an empty one."""
    counts = np.asarray(counts, "float64")
    if counts.sum() <= 0:
        return float("nan")
    p = counts / counts.sum()
    nonzero = p > 0
    return float(np.sum(p[nonzero] * np.log(p[nonzero] * len(p))))


def mode_metrics(samples, centres, sigma, threshold=3.0, min_share=0.01):
    """Mode coverage of `samples` (n, d) on a mixture of Gaussians with `centres` (K, d) and std `sigma`.

    Returns a dict:
        modes_covered       modes with at least min_share * n high-quality samples (of K = `modes`)
        modes               K
        high_quality        share of all samples within threshold * sigma of their nearest centre
        kl                  KL(high-quality histogram over modes || uniform), nats (NaN: no good sample)
        counts              the histogram (K,) of high-quality samples
    """
    samples = np.asarray(samples)
    n = len(samples)
    if n == 0:
        raise ValueError("mode_metrics needs at least one sample.")
    counts = mode_histogram(samples, centres, sigma, threshold)
    return {"modes_covered": int(np.sum(counts >= min_share * n)), "modes": len(counts),
            "high_quality": float(counts.sum() / n), "kl": kl_from_uniform(counts), "counts": counts}
