"""The DCGAN paper's discriminator-as-feature-extractor test on a trained checkpoint:

    python examples/linear_probe.py runs/dcgan/model.keras

prints the Fashion-MNIST test accuracy of a linear softmax classifier on the discriminator's max-pooled
conv features, trained on all training labels and on 100 per class, beside the same network with random
weights (`keras_gans.evaluation.linear_probe`).
"""
import argparse
import time

from keras_gans import GANModel
from keras_gans.evaluation import linear_probe


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--data-dir", help="directory with Fashion-MNIST IDX files (default: the usual sources)")
    args = parser.parse_args()
    start = time.perf_counter()
    result = linear_probe(GANModel.load(args.checkpoint), data_dir=args.data_dir)
    print(f"{len(result['layers'])} conv layers ({', '.join(result['layers'])}), {result['features']} features")
    for weights in ("trained", "random"):
        print(f"{weights:>8} discriminator: " + ", ".join(
            f"{'all labels' if size == 'all' else f'{size} per class'} {100 * accuracy:.2f}%"
            for size, accuracy in result[weights].items()))
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
