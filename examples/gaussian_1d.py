""""GAN in 50 lines" (Dev Nag, 2017) with keras_gans: learn N(4, 1.25) from samples.

    python examples/gaussian_1d.py                 # D reads a batch's 4 moments, as the tutorial does
    python examples/gaussian_1d.py --raw           # D reads each raw sample instead
    python examples/gaussian_1d.py --steps 1000 --out docs/toy

As in the tutorial: G maps uniform noise (1 number) through two tanh layers of 5 units to one number;
D is two sigmoid layers of 10 units; both train with SGD(1e-3, momentum 0.9) on binary cross-entropy (G: -log D(G(z)));
every step makes 20 discriminator updates (each on its own real batch of 500) and then 20 generator
updates -- `GAN(d_steps=20, g_steps=20)`. The tutorial's D reads the mean, standard deviation, skewness
and kurtosis of a whole batch of 500 (`networks.moment_discriminator`); `--raw` gives it each sample
alone (a plain per-sample discriminator). Differences: the noise is U(-1, 1) (the tutorial's U(0, 1) up to
an affine map that G's first layer absorbs), and the data are divided by 10 so that they lie in [-1, 1]
like every dataset of the package (G's output stays linear; samples are multiplied back).

Prints the learned mean and std beside 4 and 1.25, and writes a histogram of 10,000 samples against the
true density to OUT/gaussian_1d.png (OUT/gaussian_1d_raw.png with --raw).
"""
import argparse
import math
import os

import keras
import numpy as np

import keras_gans
from keras_gans import data, networks

MEAN, STD = data.GAUSSIAN_1D["mean"], data.GAUSSIAN_1D["std"]
SCALE = data.TOY_SCALE["gaussian_1d"]


def tutorial_generator(hidden=5):
    """The tutorial's G: noise (1) -> Dense(5, tanh) -> Dense(5, tanh) -> Dense(1), linear output."""
    z = keras.Input((1,), name="z")
    h = keras.layers.Dense(hidden, activation="tanh")(z)
    h = keras.layers.Dense(hidden, activation="tanh")(h)
    return keras.Model(z, keras.layers.Dense(1, name="samples")(h), name="generator")


def per_sample_discriminator(hidden=10):
    """The tutorial's D on one raw sample at a time: x (1) -> Dense(10, sigmoid) x 2 -> one logit."""
    x = keras.Input((1,), name="samples")
    h = keras.layers.Dense(hidden, activation="sigmoid")(x)
    h = keras.layers.Dense(hidden, activation="sigmoid")(h)
    return keras.Model(x, keras.layers.Dense(1, name="logits")(h), name="discriminator")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000, help="fit steps (the tutorial's 5000 epochs)")
    parser.add_argument("--batch-size", type=int, default=500, help="samples per batch (the tutorial's 500)")
    parser.add_argument("--updates", type=int, default=20, help="D updates, then G updates, per step (20, 20)")
    parser.add_argument("--raw", action="store_true", help="D reads raw samples instead of the batch's moments")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/gaussian_1d")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    discriminator = per_sample_discriminator() if args.raw else networks.moment_discriminator(args.batch_size)
    gan = keras_gans.GAN(tutorial_generator(), discriminator, image_shape=(1,), latent_dim=1, latent_prior="uniform",
                         d_steps=args.updates, g_steps=args.updates, seed=args.seed)
    gan.compile(d_optimizer=keras.optimizers.SGD(1e-3, momentum=0.9),
                g_optimizer=keras.optimizers.SGD(1e-3, momentum=0.9), steps_per_execution=100)
    per_epoch = min(args.steps, 1000)
    gan.fit(data.gaussian_1d(args.batch_size, seed=args.seed, scale=SCALE), epochs=max(1, args.steps // per_epoch),
            steps_per_epoch=per_epoch, verbose=2, callbacks=[keras_gans.callbacks.TerminateOnNaN()])

    samples = gan.generate(10000, seed=args.seed + 1)[:, 0] * SCALE
    print(f"learned mean {samples.mean():.3f} (true {MEAN}), learned std {samples.std():.3f} (true {STD})"
          f"{' -- D read raw samples' if args.raw else ' -- D read the 4 moments'}")
    density = lambda x: np.exp(-0.5 * ((x - MEAN) / STD) ** 2) / (STD * math.sqrt(2 * math.pi))  # noqa: E731
    path = os.path.join(args.out, "gaussian_1d_raw.png" if args.raw else "gaussian_1d.png")
    title = f"G: mean {samples.mean():.2f}, std {samples.std():.2f}; true N(4, 1.25) in red"
    low, high = min(-1.0, float(np.percentile(samples, 0.5))), max(9.0, float(np.percentile(samples, 99.5)))
    print(keras_gans.images.save_histogram(samples, path, density, bins=60, value_range=(low, high), title=title))


if __name__ == "__main__":
    main()
