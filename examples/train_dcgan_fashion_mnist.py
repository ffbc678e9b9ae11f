"""Train a DCGAN on Fashion-MNIST with the public API only, then write samples and a checkpoint.

    python examples/train_dcgan_fashion_mnist.py --epochs 5 --out runs/example

Offline, the data come from Debian's `dataset-fashion-mnist` package; online, from TensorFlow Datasets.
"""
import argparse
import os

import keras

import keras_gans


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--steps-per-epoch", type=int, default=None)
    parser.add_argument("--out", default="runs/example")
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    ds = keras_gans.data.load("fashion_mnist", split="train", batch_size=64, seed=0)
    gan = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=62)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    gan.fit(ds, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
            callbacks=[keras_gans.callbacks.SampleGrid(os.path.join(args.out, "samples")),
                       keras_gans.callbacks.TerminateOnNaN(),
                       keras_gans.callbacks.FiniteCheckpoint(os.path.join(args.out, "dcgan.keras"))])
    images = gan.generate(16, seed=0)
    keras_gans.images.save_grid(images, os.path.join(args.out, "final.png"), columns=4)
    print("samples in", os.path.join(args.out, "samples"), "and", os.path.join(args.out, "final.png"))


if __name__ == "__main__":
    main()
