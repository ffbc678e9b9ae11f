"""One epoch of Fashion-MNIST (or --epochs E) for a variant under candidate settings, scored as `keras-gans
evaluate` scores a checkpoint; one JSON line per run. What decided EBGAN's and BEGAN's defaults
(docs/one_epoch.md) came from it.

    python benchmarks/one_epoch.py ebgan --seed 0                                 # the defaults
    python benchmarks/one_epoch.py ebgan --seed 0 --autoencoder '{"normalization": "batch"}'
    python benchmarks/one_epoch.py began --options '{"gamma": 0.7}' --batch-size 16
    python benchmarks/one_epoch.py dcgan --seed 0 --generator '{"filters": 128}'

--options are the game's constructor arguments (as `keras-gans train --set`); --autoencoder builds D with
`networks.autoencoder_discriminator(**AUTOENCODER)` (EBGAN/BEGAN) in place of the game's own; --generator builds G
with its architecture's builder and these arguments (`networks.build_generator`); --adam-epsilon
replaces the epsilon of the game's own optimizers (Keras adds it to the square root of the uncorrected second
moment, PyTorch to that of the bias-corrected one, so Keras' default 1e-7 is the larger early on). The last
epoch-mean of every metric is kept, so that a run that did not start says why (energies, k_t).
"""
import argparse
import json
import time

import keras

from keras_gans import atomic, data, networks, sampling
from keras_gans import images as images_module
from keras_gans.evaluation import evaluate
from keras_gans.variants import VARIANTS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=sorted(VARIANTS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, help="default: the game's (64; BEGAN 16)")
    parser.add_argument("--options", type=json.loads, default={}, help="constructor arguments, JSON")
    parser.add_argument("--autoencoder", type=json.loads, default=None, help="autoencoder D arguments, JSON")
    parser.add_argument("--generator", type=json.loads, default=None,
                        help="arguments of the game's generator builder, JSON")
    parser.add_argument("--adam-epsilon", type=float, help="epsilon of the game's optimizers (default: theirs)")
    parser.add_argument("--optimizers", type=json.loads, default=None,
                        help='D and G optimizers in place of the game\'s, JSON: {"d": CONFIG, "g": CONFIG}, each as '
                             'keras.optimizers.deserialize takes it, e.g. {"class_name": "Adam", "config": '
                             '{"learning_rate": 2e-4, "beta_1": 0.5}}')
    parser.add_argument("--grid", help="also save 64 samples (seed 0) as a PNG grid here")
    parser.add_argument("--n", type=int, default=10000, help="samples to evaluate")
    parser.add_argument("--results", default="runs/one_epoch.jsonl", help="JSON lines are appended here")
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    images, _ = data.load_arrays("fashion_mnist", "train")
    images = data.check_images(images)
    discriminator = (networks.autoencoder_discriminator((28, 28, 1), **args.autoencoder)
                     if args.autoencoder is not None else None)
    model = VARIANTS[args.variant](image_shape=(28, 28, 1), seed=args.seed, discriminator=discriminator,
                                   **args.options)
    if args.generator is not None:
        generator = networks.build_generator(model.architecture, (28, 28, 1), model.latent_dim,
                                             **args.generator)
        model = VARIANTS[args.variant](image_shape=(28, 28, 1), seed=args.seed, discriminator=discriminator,
                                       generator=generator, **args.options)
    optimizers = model.default_optimizers()
    if args.adam_epsilon is not None:
        optimizers = [type(o).from_config({**o.get_config(), "epsilon": args.adam_epsilon}) for o in optimizers]
    if args.optimizers is not None:
        optimizers = [keras.optimizers.deserialize(args.optimizers[key]) for key in ("d", "g")]
    model.compile(*optimizers)
    args.batch_size = args.batch_size or model.default_batch_size
    start = time.perf_counter()
    history = model.fit(model.training_dataset(images, batch_size=args.batch_size, seed=args.seed),
                        epochs=args.epochs, verbose=0)
    seconds = time.perf_counter() - start
    scores = evaluate.evaluate_model(model, n=args.n)  # drawn with seed 0, as `keras-gans evaluate` does
    if args.grid:
        grid, columns = sampling.sample_grid(model, n=64, seed=0)
        images_module.save_grid(grid, args.grid, columns=columns)
    row = {"variant": args.variant, "seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size,
           "options": args.options, "optimizers": args.optimizers, "autoencoder": args.autoencoder,
           "generator": args.generator, "adam_epsilon": args.adam_epsilon, "fid": round(scores["fid"], 2),
           "precision": round(scores["precision"], 3), "recall": round(scores["recall"], 3),
           "classes_under_5pct": scores["classes_under_5pct"], "seconds": round(seconds),
           "last": {key: round(float(values[-1]), 4) for key, values in history.history.items()}}
    print(json.dumps(row), flush=True)
    atomic.append_text(args.results, json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
