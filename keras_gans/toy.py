"""Mode coverage on the 2-D toy mixtures: train a variant with small MLPs, then count the modes it reaches.

    result = keras_gans.toy.run("gan", dataset="ring")
    # {'modes_covered': 6, 'modes': 8, 'high_quality': 0.71, 'kl': 0.25, 'seconds': 42.0, ...}

or `keras-gans toy gan --dataset ring`. Every variant keeps its paper's loss, its optimizers' kind and betas,
and its D:G update ratio (WGAN: clipped critic updates with RMSprop; WGAN-GP: 5 critic updates with
Adam(beta_1=0, beta_2=0.9), ...). The rest is the toy harness's, the same for every game (`HARNESS`):

- networks: architecture="toy", G = MLP 3 x 256 (LeakyReLU 0.2) -> a linear output, D = MLP 3 x 256
  (LeakyReLU, no dropout) -> the game's heads, or an MLP autoencoder (2 x 256, code 16) for EBGAN/BEGAN;
- the data in their own units (ring of radius 2, grid to +-4): with a linear output nothing needs them in
  [-1, 1] (the range check is for images), and a tanh put the outer modes on its flat tails;
- a real batch of 256 per D update, 10,000 generator steps (5,000 left WGAN's ring samples on the arcs
  between modes: 8/8 modes with 59.5% of the samples high-quality at seed 0, 79.2% after 10,000; grid,
  GAN 0/25 -> 7/25 and WGAN 6/25 -> 11/25 modes);
- learning rates: each game's own times 10 (GAN 2e-3, WGAN-GP 1e-3, WGAN 2e-3, BEGAN 1e-3, ...; CatGAN,
  whose G then runs off, keeps its own, and ACGAN takes times 5 -- a game's `toy_setup` may say so), G never
  faster than D (InfoGAN's and ACGAN's G, at 1e-3 five times faster than D on images, train at D's rate),
  lowered linearly to 0 over the last 30% of the steps, which settles the samples onto the modes;
- PacGAN's packing (Lin et al., 2018): where D judges real against fake with no per-sample term (GAN,
  DCGAN, LSGAN; the game's `toy_setup` says "pack"), D sees four samples side by side per input;
- a game's `toy_setup` may set its own constructor options for the toy's networks.

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

from . import callbacks, data, images, networks
from .evaluation.modes import mode_metrics
from .sampling import check_counts

DEFAULTS = {"steps": 10000, "batch_size": 256, "latent_dim": 16, "n_samples": 2500}
LABELLED_PER_MODE = 10
# The harness's training choices, the same for every game (none of them touches a game's loss):
#   scale          the data are divided by this before training and the samples multiplied back; 1: the
#                  mixtures in their own units -- with the linear generator output nothing needs them in [-1, 1].
#   learning_rate  every game trains with its own optimizers (kind, betas, ratio of D to G steps) at this many
#                  times their learning rates: rates meant for images and long runs leave a GAN on 2-D data
#                  barely moving in a few thousand steps (GAN, ring: 0/8 modes after 3,000 steps at 2e-4,
#                  4/8 at 1e-3 without packing). Adam moves each weight by about its learning rate per step
#                  whatever the gradient's size, which (we think) bounds how fast D's first layer sharpens to
#                  modes of sigma 0.02. Ring, 5,000 steps, seed 0, times 5 -> times 10: GAN 6/8 modes with 71% of
#                  samples high-quality -> 8/8 with 73%, WGAN-GP 8/8 55% -> 8/8 74%, DRAGAN 3/8 8% -> 8/8 74%,
#                  LSGAN 8/8 71% -> 79%, InfoGAN 98% -> 99.9% (15,000 steps at times 5 came close at three
#                  times the cost: GAN 7/8 with 89%, WGAN-GP 8/8 with 82%).
#   decay          the last `decay` share of the steps lowers both learning rates linearly to 0: the last
#                  iterates of a GAN circle around the optimum, and the shrinking steps settle them onto the
#                  modes, which is what the 3-sigma high-quality criterion (0.06 on the ring) counts.
#   instance_noise_until  the share of the steps over which a game's instance noise (its `toy_instance_noise`,
#                  `GANModel`'s `instance_noise=`) is lowered linearly to 0 (`callbacks.AnnealInstanceNoise`), so
#                  that the learning-rate decay after it settles samples on the game's own, noiseless loss. Noise
#                  on what D sees keeps D smooth between modes early on, so that its gradient reaches fakes far
#                  from any mode; measured per game, it helps only some (ring, 5,000 steps, seed 0: SGAN 4/8
#                  modes -> 8/8 with 83% of samples high-quality at noise 1.0; GAN 8/8 73% -> 8/8 70% at 0.5,
#                  4/8 at 1.0; LSGAN 79% -> 69% at 0.5; WGAN-GP at 2,000 steps 8/8 -> 7/8; CatGAN 8/8 54% ->
#                  8/8 59% and EBGAN 4/8 -> 6/8 at 1.0, small and unsteady gains), hence a game's choice.
#   ema            None, or the decay of the generator's weight average that samples are drawn from
#                  (`GANModel`'s `ema=`). Off: the average of a GAN that still moves between modes lies between
#                  them (GAN, ring, 0.999: every sample near the centre, 0/8 modes).
HARNESS = {"scale": 1.0, "decay": 0.3, "ema": None, "learning_rate": 10.0,
           "instance_noise_until": 0.7}


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


def stream(dataset, labels=False, batch_size=DEFAULTS["batch_size"], seed=0, scale=None):
    """The training batches of a toy mixture, divided by `scale` (None: the harness's): samples,
    (samples, modes), or with labels="few" unlabeled and labelled batches interleaved as
    `data.semi_supervised` does."""
    centres, sigma = data.toy_centres(dataset)
    scale = HARNESS["scale"] if scale is None else scale
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
    # Stated for every game, so that the games that average G on images by default (GAN and most games built on
    # it) do not on the toys, and the games that augment D's images by default (SGAN) leave 2-D points as they are.
    harness = {"ema": HARNESS["ema"], "augment": None}
    options = {**plan["options"], **(options or {})}
    if plan.get("pack", 1) > 1:
        # PacGAN's packed D, for the games whose D judges real against fake with no per-sample term. Built here,
        # so `spectral_norm=True` is applied here too: the game refuses a D passed in without it.
        packed = networks.toy_discriminator((centres.shape[1],), pack=plan["pack"])
        harness["discriminator"] = networks.spectral_normalize(packed) if options.get("spectral_norm") else packed
        # Real and fake batches in separate calls: the outputs of one joint call are split at the real batch's
        # size, which packing halves (LSGAN's NaN after 50 steps).
        harness["joint_batches"] = False
    model = cls(image_shape=(centres.shape[1],), latent_dim=latent_dim, architecture="toy", seed=seed,
                **{**harness, **options})
    model.compile()
    for optimizer, rate in zip((model.d_optimizer, model.g_optimizer), learning_rates(cls, plan)):
        optimizer.learning_rate.assign(rate)
    return model, plan


def learning_rates(game, plan):
    """(D's, G's) learning rate of `game` (a variant class) on the toys, for its `toy_setup` `plan`: its own
    `learning_rates` times the harness's factor (or the plan's "learning_rate"), G never faster than D.

    Each game keeps its own optimizer and betas, at `factor` times its own rates (see HARNESS), but G never
    faster than D: a G five times faster on images (InfoGAN, ACGAN: 1e-3 against D's 2e-4) ran off at ten
    times that (InfoGAN, ring, 5,000 steps, seed 0: 8/8 modes with 99.9% of samples high-quality at G 2e-3 ->
    2/8 at 1e-2)."""
    factor = plan.get("learning_rate", HARNESS["learning_rate"])
    # The rates as the compiled optimizers hold them, in float32: the products then round to the float32 rates the
    # toy table was made with. The short runs are that sensitive: WGAN-GP's 2,000-step ring (seed 0) covers 8/8
    # modes at D 0.00099999993 and 0/8 at 0.0010000000475, one float32 step apart.
    d_rate, g_rate = (float(np.float32(rate)) for rate in game.learning_rates)
    return d_rate * factor, min(g_rate, d_rate) * factor


class LearningRateTail(keras.callbacks.Callback):
    """Lowers both optimizers' learning rates linearly from their own values to 0 over the last `share` of
    `steps` generator steps (checked between calls into the compiled step, i.e. every steps_per_execution)."""

    def __init__(self, steps, share):
        super().__init__()
        self.steps, self.share = int(steps), float(share)
        self.start = self.steps * (1.0 - self.share)
        self.base = None

    def on_train_batch_begin(self, batch, logs=None):
        optimizers = (self.model.d_optimizer, self.model.g_optimizer)
        if self.base is None:
            self.base = [float(keras.ops.convert_to_numpy(o.learning_rate)) for o in optimizers]
        step = int(self.model.step_counter.numpy())
        factor = 1.0 if step < self.start else max(0.0, (self.steps - step) / (self.steps - self.start))
        for optimizer, rate in zip(optimizers, self.base):
            optimizer.learning_rate.assign(rate * factor)


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
    scale = HARNESS["scale"]
    model, plan = build(variant, dataset, latent_dim, seed, options)
    if batch_size % plan.get("pack", 1):
        raise ValueError(f"{name} packs {plan['pack']} samples per D input on the toys: batch_size must be a "
                         f"multiple of {plan['pack']}, not {batch_size}.")
    batches = stream(dataset, plan["labels"], batch_size, seed, scale)
    watchers = [callbacks.TerminateOnNaN()]
    if HARNESS["decay"]:
        watchers.append(LearningRateTail(steps, HARNESS["decay"]))
    if model.instance_noise:
        watchers.append(callbacks.AnnealInstanceNoise(max(1, int(steps * HARNESS["instance_noise_until"]))))
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
