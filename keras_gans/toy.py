"""Mode coverage on the 2-D toy mixtures: train a variant with small MLPs, then count the modes it reaches.

    result = keras_gans.toy.run("gan", dataset="ring", steps=5000)
    # {'modes_covered': 8, 'modes': 8, 'high_quality': 0.93, 'kl': 0.01, 'seconds': 41.0, ...}

or `keras-gans toy gan --dataset ring`. The variant keeps its paper's loss, optimizers and update ratio
(WGAN: 5 clipped critic updates with RMSprop(5e-5); WGAN-GP: 5 critic updates with Adam(1e-4, 0, 0.9), ...);
only the networks are the toy's: architecture="toy", G = MLP 3 x 128 (LeakyReLU) -> tanh, D = MLP 2 x 128
(LeakyReLU, no dropout) -> the game's heads, or an MLP autoencoder for EBGAN/BEGAN. The data are divided
by `data.TOY_SCALE` (2.5 for the ring, 5 for the grid) to lie in the generators' [-1, 1]; samples are
multiplied back before the metrics.

Metrics (`keras_gans.evaluation.modes`), on 2,500 samples: modes covered (>= 1% of all samples are
high-quality samples of the mode), the high-quality share (within 3 sigma of the nearest centre), and the
KL divergence of the high-quality samples' histogram over modes from uniform. How each game meets the
mixture -- conditional games get the mode index as label; others are told the number of modes where they
have such a setting -- is the game's own `toy_setup(modes)`; its networks are the "toy" architecture's
(`networks.toy_generator`, `toy_discriminator`, `toy_autoencoder`).
"""
import os
import time

import keras
import numpy as np
import tensorflow as tf

from . import callbacks, data, images
from .evaluation.modes import mode_metrics
from .sampling import check_counts

DEFAULTS = {"steps": 5000, "batch_size": 128, "latent_dim": 16, "n_samples": 2500}
LABELLED_PER_MODE = 10


def _variant(variant):
    from .variants import VARIANTS

    if isinstance(variant, str):
        if variant not in VARIANTS:
            raise ValueError(f"Unknown variant {variant!r}; choose one of {', '.join(sorted(VARIANTS))}.")
        return variant, VARIANTS[variant]
    names = [name for name, cls in VARIANTS.items() if cls is variant]
    return (names[0] if names else variant.__name__.lower()), variant


def labelled_points(dataset, per_mode=LABELLED_PER_MODE, seed=0, scale=1.0):
    """(samples, mode indices): exactly `per_mode` points of every mode of a toy mixture (seeded)."""
    centres, _ = data.toy_centres(dataset)
    samples, modes = data.toy_arrays(dataset, per_mode * len(centres) * 4, seed=seed + 1000, scale=scale)
    return data.labeled_subset(samples, modes, per_mode, seed=seed)


def stream(dataset, labels=False, batch_size=DEFAULTS["batch_size"], seed=0):
    """The training batches of a toy mixture, scaled by 1 / TOY_SCALE: samples, (samples, modes), or
    with labels="few" unlabeled and labelled batches interleaved as `data.semi_supervised` does."""
    centres, sigma = data.toy_centres(dataset)
    scale = data.TOY_SCALE[dataset]
    if labels != "few":
        return data.mixture(centres, sigma, batch_size, seed=seed, scale=scale, labels=bool(labels))
    points, modes = labelled_points(dataset, seed=seed, scale=scale)
    labelled = (tf.data.Dataset.from_tensor_slices((points, modes)).shuffle(len(modes), seed=seed).repeat()
                .batch(batch_size, drop_remainder=True))
    return data.interleave_labeled(data.mixture(centres, sigma, batch_size, seed=seed, scale=scale), labelled)


def build(variant, dataset="ring", latent_dim=DEFAULTS["latent_dim"], seed=0, options=None):
    """(model, setup): the variant with the toy networks for 2-D data, compiled with its own default
    optimizers, and the setup it is trained with (the game's `toy_setup`)."""
    _, cls = _variant(variant)
    check_counts(latent_dim=latent_dim)
    centres, _ = data.toy_centres(dataset)
    plan = cls.toy_setup(len(centres))
    keras.utils.set_random_seed(seed)
    model = cls(image_shape=(centres.shape[1],), latent_dim=latent_dim, architecture="toy", seed=seed,
                **{**plan["options"], **(options or {})})
    model.compile()
    return model, plan


def run(variant, dataset="ring", steps=DEFAULTS["steps"], batch_size=DEFAULTS["batch_size"],
        latent_dim=DEFAULTS["latent_dim"], n_samples=DEFAULTS["n_samples"], seed=0, out=None, plot_every=None,
        size=256, options=None, steps_per_execution=50, jit_compile="auto", verbose=0):
    """Train `variant` (a name or class) on the "ring" or "grid" mixture for `steps` generator steps of
    `batch_size` real samples per discriminator update, draw `n_samples`, and measure mode coverage.

    Writes `out/<variant>_<dataset>.png` (the samples over the true centres) when `out` is given, and with
    `plot_every` also `out/<variant>_<dataset>/step_NNNNNN.png` every that many steps. Returns the dict of
    `mode_metrics` plus variant, dataset, steps, batch_size, seconds (training wall time, compilation
    included), samples (n_samples, 2) and png.
    """
    name, _ = _variant(variant)
    # Checked first: steps=0 would make fit wait forever for a first step; the others fail deep in Keras.
    check_counts(steps=steps, batch_size=batch_size, n_samples=n_samples, plot_every=plot_every, size=size,
                 steps_per_execution=steps_per_execution)
    centres, sigma = data.toy_centres(dataset)
    scale = data.TOY_SCALE[dataset]
    model, plan = build(variant, dataset, latent_dim, seed, options)
    batches = stream(dataset, plan["labels"], batch_size, seed)
    watchers = [callbacks.TerminateOnNaN()]
    every = steps
    if out and plot_every:
        every = int(plot_every)
        watchers.append(callbacks.ScatterPlot(os.path.join(out, f"{name}_{dataset}"), centres, every=every,
                                              scale=scale, seed=seed, size=size, sigma=sigma))
    # Several steps per call into the compiled function: the nets are tiny, so Python overhead would
    # otherwise dominate. A divisor of the plot interval, so that the plots land on their steps.
    per_call = max(1, int(np.gcd(int(steps_per_execution), int(np.gcd(every, steps)))))
    model.compile(d_optimizer=model.d_optimizer, g_optimizer=model.g_optimizer, steps_per_execution=per_call,
                  jit_compile=jit_compile)
    start = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=verbose, callbacks=watchers)
    seconds = time.perf_counter() - start
    samples = model.generate(n_samples, seed=seed + 1) * scale
    result = {"variant": name, "dataset": dataset, "steps": steps, "batch_size": batch_size,
              **mode_metrics(samples, centres, sigma), "seconds": seconds, "samples": samples, "model": model}
    result["png"] = None
    if out:
        title = (f"{name} {dataset}: {result['modes_covered']}/{result['modes']} modes, "
                 f"{100 * result['high_quality']:.0f}% HQ")
        result["png"] = images.save_scatter(samples, os.path.join(out, f"{name}_{dataset}.png"), centres, size,
                                            title=title, sigma=sigma)
    return result


def format_result(result):
    """One line: variant, dataset, modes covered, high-quality share, KL, seconds."""
    return (f"{result['variant']:>8} {result['dataset']:>5}: modes covered {result['modes_covered']:>2}/"
            f"{result['modes']:<2}  high quality {100 * result['high_quality']:5.1f}%  "
            f"KL {result['kl']:.3f}  {result['seconds']:.0f} s")
