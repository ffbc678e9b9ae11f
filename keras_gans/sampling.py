"""The DCGAN paper's "walking in the latent space" (Radford et al., 2016, section 6.1) and the original GAN
paper's nearest-neighbour check (Goodfellow et al., 2014, figure 2), for any trained model.

    images = sampling.interpolation_grid(model, rows=8, steps=10, seed=0)   # (rows * steps, H, W, C)
    pairs = sampling.nearest_neighbour_grid(samples, train_images)         # sample, its nearest, ...

Interpolation: each row walks a straight line from one random latent point to another -- spherical
(slerp) for a normal prior, where most of the mass lies near a sphere and a straight chord would pass
through the improbable region near 0; linear for a uniform prior. Everything else the generator reads
(class labels, infoGAN's codes: `model.conditions_for`) is held fixed along a row and drawn once per row --
labels (or infoGAN's first code) 0, 1, 2, ... in turn, so that a conditional model shows one class per row.
"""
import math

import numpy as np


def check_counts(**counts):
    """Raise one ValueError naming the first of `counts` (name=value; None skipped) that is not a whole
    number >= 1: a zero or negative count would otherwise end deep inside numpy or Keras, or never end."""
    for name, value in counts.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")


def lerp(a, b, t):
    """(1 - t) a + t b for end points a, b (..., d) and fractions t (steps,) -> (..., steps, d)."""
    a, b, t = np.asarray(a, "float64"), np.asarray(b, "float64"), np.asarray(t, "float64")
    return a[..., None, :] + t[:, None] * (b - a)[..., None, :]


def slerp(a, b, t):
    """Spherical interpolation (Shoemake, 1985) of end points a, b (..., d) at fractions t (steps,):

        sin((1 - t) w) / sin(w) a + sin(t w) / sin(w) b,    cos w = <a, b> / (|a| |b|)

    (as in White, "Sampling Generative Networks", 2016): for end points of equal norm it moves along the
    great circle at constant angular speed, and in general it keeps the norm near that of typical draws
    of N(0, I) where a straight line would cut through the low-norm middle. Nearly parallel end points
    fall back to `lerp`. Returns (..., steps, d)."""
    a, b, t = np.asarray(a, "float64"), np.asarray(b, "float64"), np.asarray(t, "float64")
    norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    cosine = np.clip(np.sum(a * b, axis=-1) / np.maximum(norms, 1e-12), -1.0, 1.0)
    omega = np.arccos(cosine)[..., None]                                   # (..., 1)
    sine = np.sin(omega)
    safe = np.where(sine > 1e-6, sine, 1.0)
    weight_a = np.where(sine > 1e-6, np.sin((1.0 - t) * omega) / safe, 1.0 - t)  # (..., steps)
    weight_b = np.where(sine > 1e-6, np.sin(t * omega) / safe, t)
    return weight_a[..., None] * a[..., None, :] + weight_b[..., None] * b[..., None, :]


def _row_conditions(model, rows, seed, labels=None):
    """What the generator reads besides z, one value per row: a dict like `serving_signature()` minus z."""
    if labels is not None and not model.reads_labels("generator"):
        raise ValueError(f"{type(model).__name__}'s generator takes no labels.")
    return model.conditions_for(rows, seed, labels)


def interpolation_inputs(model, rows=8, steps=10, seed=0, method=None, labels=None):
    """The generator inputs of an interpolation grid: a dict like `model.serving_signature()` with
    rows * steps entries, row-major. Row r goes from z_r^0 to z_r^1 (both from the model's prior, drawn
    from `seed`) in `steps` equal steps, both ends included; labels / codes are fixed per row.
    `method`: "slerp" or "lerp" (default: slerp for a normal prior, lerp for a uniform one)."""
    check_counts(rows=rows, steps=steps)
    if steps < 2:
        raise ValueError(f"An interpolation needs at least 2 steps (its two end points); got {steps}.")
    method = method or ("slerp" if model.latent_prior == "normal" else "lerp")
    if method not in ("slerp", "lerp"):
        raise ValueError(f"method must be 'slerp' or 'lerp', not {method!r}.")
    ends = model.latent_for(2 * rows, seed).reshape(rows, 2, model.latent_dim)
    path = (slerp if method == "slerp" else lerp)(ends[:, 0], ends[:, 1], np.linspace(0.0, 1.0, steps))
    inputs = {"z": path.reshape(rows * steps, model.latent_dim).astype("float32")}
    for key, value in _row_conditions(model, rows, seed, labels).items():
        inputs[key] = np.repeat(value, steps, axis=0)
    return inputs


def interpolation_grid(model, rows=8, steps=10, seed=0, method=None, labels=None):
    """Samples along `rows` latent lines of `steps` points each: numpy (rows * steps, *image_shape) in
    [-1, 1], row-major (save with `images.save_grid(grid, path, columns=steps)`)."""
    return model.generate_from(interpolation_inputs(model, rows, steps, seed, method, labels))


def nearest_neighbours(queries, references, batch_size=1000):
    """For each query, the index of the nearest reference and the L2 distance to it (pixel space, all
    axes but the first flattened): (indices (n,), distances (n,)). Exact, batch by batch, with
    |q - r|^2 = |q|^2 + |r|^2 - 2 q.r in float64."""
    queries = np.asarray(queries, "float64").reshape(len(queries), -1)
    references = np.asarray(references, "float64").reshape(len(references), -1)
    if queries.shape[1] != references.shape[1]:
        raise ValueError(f"Queries have {queries.shape[1]} values each but references {references.shape[1]}.")
    if not len(references):
        raise ValueError("No reference images to search.")
    if not len(queries):
        raise ValueError("No query images to search for.")
    norms = (references ** 2).sum(1)
    indices, distances = [], []
    for start in range(0, len(queries), batch_size):
        q = queries[start:start + batch_size]
        squared = (q ** 2).sum(1)[:, None] + norms[None, :] - 2.0 * q @ references.T
        best = squared.argmin(axis=1)
        indices.append(best)
        distances.append(np.sqrt(np.maximum(squared[np.arange(len(q)), best], 0.0)))
    return np.concatenate(indices), np.concatenate(distances)


def nearest_neighbour_grid(samples, train_images, batch_size=1000):
    """Each sample followed by its nearest training image (L2 in pixel space, both in [-1, 1]):
    numpy (2n, ...) [s_0, nn_0, s_1, nn_1, ...], and the distances (n,). Save with an even number of
    columns so that pairs stay side by side."""
    samples = np.asarray(samples, "float32")
    train_images = np.asarray(train_images)
    indices, distances = nearest_neighbours(samples, train_images, batch_size)
    pairs = np.stack([samples, np.asarray(train_images[indices], "float32")], axis=1)
    return pairs.reshape((-1,) + samples.shape[1:]), distances


def code_traversal_grid(model, code=0, categorical=0, steps=10, span=2.0, seed=0):
    """infoGAN's figure of a continuous code (Chen et al., 2016, figure 2): one row per value of the
    categorical code `categorical`, columns sweeping continuous code `code` over [-span, span]; z and the
    other codes are the same in every image (see `InfoGAN.code_traversal_inputs`). Returns numpy
    (values * steps, *image_shape), row-major. Models without such codes raise a ValueError."""
    check_counts(steps=steps)
    if steps < 2:
        raise ValueError(f"A traversal needs at least 2 steps (the two ends of the sweep); got {steps}.")
    return model.generate_from(model.code_traversal_inputs(code, categorical, steps, span, seed))


def sample_grid(model, n=100, columns=None, seed=0):
    """The standard picture of a model: (images, columns) for `images.save_grid`. A generator with a
    categorical input (class labels, infoGAN's first code) gets one row per value; others n samples in a
    square-ish grid. `n` counts all samples (rows of n // values for the row-wise grids, unless `columns`
    says); the same `seed` gives the same latent vectors, so grids of one run compare."""
    check_counts(n=n, columns=columns)
    rows = model.condition_classes()
    if rows is None:
        return model.generate(n, seed=seed), columns or int(math.ceil(math.sqrt(n)))
    columns = columns or max(1, n // rows)
    values = np.repeat(np.arange(rows), columns).astype("int32")
    inputs = {"z": model.latent_for(len(values), seed), **model.conditions_for(len(values), seed, values)}
    return model.generate_from(inputs), columns
