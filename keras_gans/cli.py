"""`keras-gans` command line: the parser and every command's body (read options, call into the package, print).

    keras-gans train dcgan --dataset fashion_mnist --epochs 1 --out runs/dcgan
    keras-gans sample runs/dcgan/model.keras --n 64 --out grid.png

Options that several commands take (--dataset and --data-dir, --seed, --set KEY=VALUE) are defined once, on
parent parsers (`argparse` `parents=`), so their names, types and defaults cannot drift apart between commands.
"""
import argparse
import ast
import json
import os
import sys
import time


def _option(text):
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


# ------------------------------------------------------------------------------------ shared options
def _data_options(dataset_help=None, data_dir_help="directory with IDX files (train-images-idx3-ubyte.gz, ...)"):
    """--dataset and --data-dir, for the commands that read image data; the help says what each reads it for."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--dataset", default="fashion_mnist", help=dataset_help)
    parent.add_argument("--data-dir", help=data_dir_help)
    return parent


def _constructor_options(help_text="any other constructor argument of the variant"):
    """--set KEY=VALUE (repeatable), for the commands that build a variant: args.options, a list of pairs."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--set", dest="options", type=_option, action="append", default=[], metavar="KEY=VALUE",
                        help=help_text)
    return parent


def _seed_option():
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--seed", type=int, default=0)
    return parent


def _parser():
    from .networks import architectures
    from .variants import VARIANTS

    seed = _seed_option()
    parser = argparse.ArgumentParser(prog="keras-gans", description="Train and sample Keras GANs.")
    commands = parser.add_subparsers(dest="command", required=True)

    train_parser = commands.add_parser(
        "train", help="train a variant; writes sample grids and a .keras checkpoint",
        parents=[_data_options("TFDS name (mnist, cifar10, ...); fashion_mnist reads Debian's offline copy if "
                               "installed"),
                 _constructor_options("any other constructor argument of the variant, e.g. --set loss=minimax "
                                      "--set d_steps=2"),
                 seed])
    train_parser.add_argument("variant", choices=sorted(VARIANTS))
    train_parser.add_argument("--split", default="train")
    train_parser.add_argument("--epochs", type=int, default=1)
    train_parser.add_argument("--steps-per-epoch", type=int, help="generator steps per epoch (default: the whole split)")
    train_parser.add_argument("--batch-size", type=int, default=64, help="real examples per discriminator update")
    train_parser.add_argument("--labeled-per-class", type=int, metavar="N",
                              help="semi-supervised (catgan, sgan): each step adds a batch from a subset of N labeled "
                                   "examples per class to the batch of unlabeled ones (N=10: 100 labels)")
    train_parser.add_argument("--d-lr", type=float, help="discriminator learning rate (default: the variant's)")
    train_parser.add_argument("--g-lr", type=float, help="generator learning rate (default: the variant's)")
    train_parser.add_argument("--latent-dim", type=int)
    train_parser.add_argument("--architecture", choices=architectures())
    train_parser.add_argument("--no-xla", action="store_true", help="train without XLA compilation")
    train_parser.add_argument("--sample-every", type=int, default=1, help="write a sample grid every N epochs")
    train_parser.add_argument("--out", default="runs/latest", help="output directory")
    train_parser.add_argument("--resume", action="store_true",
                              help="continue the run in --out from its checkpoint (optimizer state, step counter "
                                   "and noise included) for --epochs more epochs")
    train_parser.add_argument("--verbose", default="auto", help="Keras progress: auto, 0, 1 or 2")
    train_parser.set_defaults(run=train)

    sample_parser = commands.add_parser(
        "sample", help="write a grid of samples from a checkpoint",
        parents=[_data_options("training images for --nearest", "directory with IDX files, for --nearest"), seed])
    sample_parser.add_argument("checkpoint")
    sample_parser.add_argument("--n", type=int, default=100,
                               help="samples (rows of n // classes for conditional models and infoGAN)")
    sample_parser.add_argument("--columns", type=int)
    sample_parser.add_argument("--out", default="samples.png")
    sample_parser.add_argument("--nearest", action="store_true",
                               help="pair each sample with its nearest training image (L2 in pixel space)")
    sample_parser.add_argument("--interpolate", type=int, metavar="ROWS",
                               help="walk the latent space: ROWS lines between random latent points (slerp for a "
                                    "normal prior), labels or codes fixed along each row")
    sample_parser.add_argument("--steps", type=int, default=10, help="images per interpolation or traversal row")
    sample_parser.add_argument("--traverse", type=int, metavar="CODE",
                               help="infoGAN: rows = values of the categorical code, columns = continuous code CODE "
                                    "swept over [-2, 2] (--steps columns)")
    sample_parser.set_defaults(run=sample)

    # The toy command's --dataset names a 2-D mixture, not image data: it takes no _data_options.
    toy_parser = commands.add_parser("toy", help="mode coverage on a 2-D mixture of Gaussians (ring or grid)",
                                     parents=[_constructor_options(), seed])
    toy_parser.add_argument("variant", choices=sorted(VARIANTS))
    toy_parser.add_argument("--dataset", choices=("ring", "grid"), default="ring",
                            help="ring: 8 Gaussians on a circle; grid: 25 Gaussians on a 5 x 5 grid")
    toy_parser.add_argument("--steps", type=int, default=5000, help="generator steps")
    toy_parser.add_argument("--batch-size", type=int, default=128, help="real samples per discriminator update")
    toy_parser.add_argument("--latent-dim", type=int, default=16)
    toy_parser.add_argument("--n", type=int, default=2500, help="samples drawn for the metrics")
    toy_parser.add_argument("--plot-every", type=int, help="also write a scatter PNG every N steps")
    toy_parser.add_argument("--size", type=int, default=256, help="scatter PNG size in pixels")
    toy_parser.add_argument("--out", default="runs/toy", help="output directory for the PNGs")
    toy_parser.set_defaults(run=toy)

    bench_parser = commands.add_parser("bench", help="training speed of variants (XLA on/off), optionally vs PyTorch",
                                       parents=[_data_options(data_dir_help="directory with IDX files")])
    bench_parser.add_argument("variants", nargs="*", metavar="VARIANT", help="variants to time (default: all)")
    bench_parser.add_argument("--batch-size", type=int, default=64, help="real examples per discriminator update")
    bench_parser.add_argument("--steps", type=int, default=200, help="timed fit steps (generator updates) per run")
    bench_parser.add_argument("--warmup", type=int, default=3, help="untimed first steps (compilation), reported apart")
    bench_parser.add_argument("--xla", choices=("both", "on", "off"), default="both")
    bench_parser.add_argument("--compare-torch", action="store_true",
                              help='also time the PyTorch baseline (pip install "keras-gans[benchmark]")')
    bench_parser.add_argument("--json", dest="json_path", metavar="PATH", help="also write the rows as JSON")
    bench_parser.set_defaults(run=bench)

    evaluate_parser = commands.add_parser(
        "evaluate", help="sample quality against the real test set: classifier-FID, KID, IS-style score, coverage, ...",
        parents=[_data_options("real data to compare with"), seed])
    evaluate_parser.add_argument("checkpoint", nargs="?", help=".keras checkpoint (optional with --train-classifier)")
    evaluate_parser.add_argument("--n", type=int, default=10000, help="generated samples to compare")
    evaluate_parser.add_argument("--classifier", help="classifier .keras file (default: the cached Fashion-MNIST one)")
    evaluate_parser.add_argument("--train-classifier", action="store_true",
                                 help="train the classifier on the real training set and cache it (then evaluate "
                                      "CHECKPOINT, if given)")
    evaluate_parser.add_argument("--auto-train", action="store_true", help="train and cache the classifier if missing")
    evaluate_parser.add_argument("--classifier-epochs", type=int, default=8)
    evaluate_parser.add_argument("--inception", action="store_true",
                                 help="also the standard Inception FID (needs the ImageNet InceptionV3 weights; "
                                      "skipped with a message when they cannot be had)")
    evaluate_parser.add_argument("--parzen", action="store_true",
                                 help="also the GAN paper's Parzen window log-likelihood of the test set (unreliable "
                                      "in high dimensions; for comparison with published numbers)")
    evaluate_parser.add_argument("--json", help="also write the numbers to this JSON file")
    evaluate_parser.set_defaults(run=evaluate)
    return parser


# -------------------------------------------------------------------------------------------- train
def _with_learning_rate(optimizer, learning_rate):
    if learning_rate is None:
        return optimizer
    return type(optimizer).from_config({**optimizer.get_config(), "learning_rate": learning_rate})


def _check_labeled_per_class(args, variant):
    """--labeled-per-class only means something to the games that train on partly labeled batches."""
    from .variants import VARIANTS

    if args.labeled_per_class is not None and variant.label_mode != "semi_supervised":
        semi_supervised = sorted(name for name, cls in VARIANTS.items() if cls.label_mode == "semi_supervised")
        raise ValueError(f"--labeled-per-class is for the semi-supervised variants ({', '.join(semi_supervised)}), "
                         f"not {args.variant}.")


def completed_epochs(model, dataset, steps_per_epoch=None):
    """Epochs a loaded checkpoint has trained, for --resume: its step counter (fit steps, saved with the model)
    over the fit steps of one epoch of this run -- `steps_per_epoch`, else one pass over `dataset`, of which
    `model.d_steps` batches make one fit step."""
    if not steps_per_epoch:
        batches = int(dataset.cardinality())
        if batches < 0:  # tf.data's INFINITE (-1) or UNKNOWN (-2) cardinality: no pass to count in
            raise ValueError("--resume cannot tell how many epochs the checkpoint has trained: the training data "
                             "has no known length per epoch; pass --steps-per-epoch (the value of the first run).")
        steps_per_epoch = max(1, batches // model.d_steps)
    return int(model.step_counter) // steps_per_epoch


def train(args):
    import keras

    from . import callbacks, data
    from .classifying import ClassifierMixin
    from .variants import VARIANTS

    variant = VARIANTS[args.variant]
    _check_labeled_per_class(args, variant)
    keras.utils.set_random_seed(args.seed)
    images, labels = data.load_arrays(args.dataset, args.split, args.data_dir)
    images = data.check_images(images)
    options = dict(args.options)
    dataset = variant.training_dataset(images, labels, args.batch_size, args.labeled_per_class, args.seed)
    if args.latent_dim:
        options["latent_dim"] = args.latent_dim
    if args.architecture:
        options["architecture"] = args.architecture
    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "model.keras")
    history_path = os.path.join(args.out, "history.csv")
    initial_epoch = 0
    if args.resume:  # load_model restores the compiled optimizers too
        model = variant.load(checkpoint)
        initial_epoch = completed_epochs(model, dataset, args.steps_per_epoch)
    else:
        model = variant.for_data(images, labels, seed=args.seed, **options)
        d_optimizer, g_optimizer = model.default_optimizers()
        model.compile(d_optimizer=_with_learning_rate(d_optimizer, args.d_lr),
                      g_optimizer=_with_learning_rate(g_optimizer, args.g_lr),
                      jit_compile=False if args.no_xla else "auto")
    grid = callbacks.SampleGrid(os.path.join(args.out, "samples"), every=args.sample_every, seed=args.seed)
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)
    print(f"Training {variant.__name__} on {args.dataset} ({len(images)} examples of shape {images.shape[1:]}), "
          f"XLA {'on' if model.jit_compile else 'off'}, output in {args.out}/")
    validation = None
    # A semi-supervised game trained without labels has classes that need not match the real ones.
    labeled = args.labeled_per_class or variant.label_mode != "semi_supervised"
    if isinstance(model, ClassifierMixin) and labeled and args.split == "train":
        # The classifier the game trains, measured on real labeled test images after every epoch.
        validation = data.from_arrays(*data.load_arrays(args.dataset, "test", args.data_dir), batch_size=500,
                                      shuffle=False, drop_remainder=False)
    start = time.perf_counter()
    history = model.fit(dataset, epochs=initial_epoch + args.epochs, initial_epoch=initial_epoch,
                        steps_per_epoch=args.steps_per_epoch, verbose=verbose, validation_data=validation,
                        callbacks=[callbacks.TerminateOnNaN(), grid, callbacks.FiniteCheckpoint(checkpoint),
                                   keras.callbacks.CSVLogger(history_path, append=args.resume)])
    seconds = time.perf_counter() - start
    print(f"Trained {args.epochs} epoch(s) in {seconds:.0f} s. Samples: {grid.paths[-1] if grid.paths else 'none'}; "
          f"checkpoint: {checkpoint}")
    if validation is not None:
        accuracy = history.history["val_accuracy"][-1]
        print(f"Test accuracy of the discriminator's classifier on the real test split: {accuracy:.4f} "
              f"(test error {1 - accuracy:.2%}; every epoch's in history.csv as val_accuracy)")
    return 0


# ------------------------------------------------------------------------------------------- sample
def sample(args):
    from . import data, sampling
    from .base import GANModel
    from .images import save_grid

    model = GANModel.load(args.checkpoint)
    if args.interpolate:
        images, columns = sampling.interpolation_grid(model, rows=args.interpolate, steps=args.steps,
                                                      seed=args.seed), args.steps
    elif args.traverse is not None:
        images, columns = sampling.code_traversal_grid(model, code=args.traverse, steps=args.steps,
                                                       seed=args.seed), args.steps
    elif args.nearest:
        train_images = data.to_model_range(data.load_arrays(args.dataset, "train", args.data_dir)[0])
        images, distances = sampling.nearest_neighbour_grid(model.generate(args.n, seed=args.seed), train_images)
        columns = args.columns or 2 * max(1, int(round((args.n / 2) ** 0.5)))
        columns += columns % 2  # pairs: a sample, then its nearest training image
        print(f"Mean L2 distance to the nearest training image: {distances.mean():.2f}")
    else:
        images, columns = sampling.sample_grid(model, args.n, args.columns, args.seed)
    print(save_grid(images, args.out, columns))
    return 0


# ----------------------------------------------------------------------------------------- evaluate
def evaluate(args):
    """Optionally train and cache the quality classifier, then judge CHECKPOINT's samples against the real test
    set: print the numbers and, with --json, write them."""
    from . import data
    from .base import GANModel
    from .evaluation import classifier as classifiers, evaluate as evaluation

    classifier = None
    if args.train_classifier:
        path = args.classifier or classifiers.default_path(args.dataset)
        print(f"Training the quality classifier on the real {args.dataset} training set "
              f"({args.classifier_epochs} epochs) ...")
        classifier, info = classifiers.train_classifier(dataset=args.dataset, data_dir=args.data_dir,
                                                        epochs=args.classifier_epochs, path=path)
        print(f"Quality classifier: test accuracy {100 * info['test_accuracy']:.2f}%, trained in "
              f"{info['seconds']:.0f} s, saved to {info['path']}")
    if args.checkpoint is None:
        if args.train_classifier:
            return 0
        raise ValueError("evaluate needs a CHECKPOINT (a .keras file from `keras-gans train`), or "
                         "--train-classifier to train the quality classifier.")
    model = GANModel.load(args.checkpoint)
    if classifier is None:
        classifier = classifiers.load_classifier(args.classifier, args.dataset, train_if_missing=args.auto_train,
                                                 data_dir=args.data_dir, epochs=args.classifier_epochs)
    if args.inception:
        print("Computing the Inception FID too (slow on a CPU) ...")
    results = evaluation.evaluate_model(model, n=args.n, classifier=classifier, seed=args.seed, dataset=args.dataset,
                                        data_dir=args.data_dir, inception=args.inception)
    print(f"keras-gans evaluate {args.checkpoint} ({type(model).__name__})")
    print(evaluation.format_results(results))
    if args.parzen:
        from .evaluation.likelihood import parzen_evaluation

        found = parzen_evaluation(model, data.load_arrays(args.dataset, "train", args.data_dir)[0],
                                  data.load_arrays(args.dataset, "test", args.data_dir)[0], n=args.n, seed=args.seed)
        results["parzen"] = {key: found[key] for key in ("mean", "std_error", "sigma", "sigma_at_edge")}
        print(f"Parzen window log-likelihood of the real test set: {found['mean']:.1f} ± {found['std_error']:.1f} "
              f"nats (sigma {found['sigma']:.3f}{', at the edge of the grid' if found['sigma_at_edge'] else ''}; "
              f"pixels in [0, 1]; unreliable in high dimensions, for comparison with the GAN paper only)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


# -------------------------------------------------------------------------------------- bench, toy
def bench(args):
    from . import bench as benchmark
    from .variants import VARIANTS

    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        raise ValueError(f"Unknown variant(s) {', '.join(unknown)}; choose from {', '.join(sorted(VARIANTS))}.")
    xla = {"both": (True, False), "on": (True,), "off": (False,)}[args.xla]
    rows = benchmark.run(args.variants or None, batch_size=args.batch_size, steps=args.steps, warmup=args.warmup,
                         xla=xla, compare_torch=args.compare_torch, dataset=args.dataset, data_dir=args.data_dir)
    print(benchmark.format_summary(rows))
    if args.json_path:
        print(f"Rows written to {benchmark.write_json(rows, args.json_path)}")
    return 0


def toy(args):
    from . import toy as experiment

    result = experiment.run(args.variant, args.dataset, steps=args.steps, batch_size=args.batch_size,
                            latent_dim=args.latent_dim, n_samples=args.n, seed=args.seed, out=args.out,
                            plot_every=args.plot_every, size=args.size, options=dict(args.options))
    print(experiment.format_result(result))
    print(f"Scatter plot: {result['png']}")
    return 0


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"keras-gans {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
