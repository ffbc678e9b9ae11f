"""`keras-gans` command line: argument parsing and calls into the package, no training logic of its own.

    keras-gans train dcgan --dataset fashion_mnist --epochs 1 --out runs/dcgan
    keras-gans sample runs/dcgan/model.keras --n 64 --out grid.png
"""
import argparse
import ast
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


def _parser():
    from .variants import VARIANTS

    parser = argparse.ArgumentParser(prog="keras-gans", description="Train and sample Keras GANs.")
    commands = parser.add_subparsers(dest="command", required=True)

    train_parser = commands.add_parser("train", help="train a variant; writes sample grids and a .keras checkpoint")
    train_parser.add_argument("variant", choices=sorted(VARIANTS))
    train_parser.add_argument("--dataset", default="fashion_mnist",
                              help="TFDS name (mnist, cifar10, ...); fashion_mnist reads Debian's offline copy if installed")
    train_parser.add_argument("--data-dir", help="directory with IDX files (train-images-idx3-ubyte.gz, ...)")
    train_parser.add_argument("--split", default="train")
    train_parser.add_argument("--epochs", type=int, default=1)
    train_parser.add_argument("--steps-per-epoch", type=int, help="generator steps per epoch (default: the whole split)")
    train_parser.add_argument("--batch-size", type=int, default=64, help="real examples per discriminator update")
    train_parser.add_argument("--d-lr", type=float, help="discriminator learning rate (default: the variant's)")
    train_parser.add_argument("--g-lr", type=float, help="generator learning rate (default: the variant's)")
    train_parser.add_argument("--latent-dim", type=int)
    train_parser.add_argument("--architecture", choices=("infogan", "dcgan", "mlp"))
    train_parser.add_argument("--set", dest="options", type=_option, action="append", default=[], metavar="KEY=VALUE",
                              help="any other constructor argument of the variant, e.g. --set loss=minimax --set d_steps=2")
    train_parser.add_argument("--no-xla", action="store_true", help="train without XLA compilation")
    train_parser.add_argument("--seed", type=int, default=0)
    train_parser.add_argument("--sample-every", type=int, default=1, help="write a sample grid every N epochs")
    train_parser.add_argument("--out", default="runs/latest", help="output directory")
    train_parser.add_argument("--verbose", default="auto", help="Keras progress: auto, 0, 1 or 2")

    sample_parser = commands.add_parser("sample", help="write a grid of samples from a checkpoint")
    sample_parser.add_argument("checkpoint")
    sample_parser.add_argument("--n", type=int, default=64, help="samples (per class for conditional models: n // classes)")
    sample_parser.add_argument("--columns", type=int)
    sample_parser.add_argument("--seed", type=int, default=0)
    sample_parser.add_argument("--out", default="samples.png")
    train_parser.set_defaults(run=train)
    sample_parser.set_defaults(run=sample)
    # Further commands (evaluate, bench, toy) register here: one add_parser block and set_defaults(run=...).
    return parser


def _with_learning_rate(optimizer, learning_rate):
    if learning_rate is None:
        return optimizer
    return type(optimizer).from_config({**optimizer.get_config(), "learning_rate": learning_rate})


def train(args):
    import keras

    from . import callbacks, data
    from .variants import VARIANTS

    keras.utils.set_random_seed(args.seed)
    images, labels = data.load_arrays(args.dataset, args.split, args.data_dir)
    images = data.check_images(images)
    dataset = data.from_arrays(images, labels, batch_size=args.batch_size, seed=args.seed)
    options = dict(args.options)
    variant = VARIANTS[args.variant]
    if args.latent_dim:
        options["latent_dim"] = args.latent_dim
    if args.architecture:
        options["architecture"] = args.architecture
    if variant.conditional or options.get("num_classes"):
        options.setdefault("num_classes", int(labels.max()) + 1)
    model = variant(image_shape=images.shape[1:], seed=args.seed, **options)
    d_optimizer, g_optimizer = model.default_optimizers()
    model.compile(d_optimizer=_with_learning_rate(d_optimizer, args.d_lr),
                  g_optimizer=_with_learning_rate(g_optimizer, args.g_lr),
                  jit_compile=False if args.no_xla else "auto")

    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "model.keras")
    grid = callbacks.SampleGrid(os.path.join(args.out, "samples"), every=args.sample_every, seed=args.seed)
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)
    print(f"Training {variant.__name__} on {args.dataset} ({len(images)} examples of shape {images.shape[1:]}), "
          f"XLA {'on' if model.jit_compile else 'off'}, output in {args.out}/")
    start = time.perf_counter()
    model.fit(dataset, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, verbose=verbose,
              callbacks=[callbacks.TerminateOnNaN(), grid, callbacks.FiniteCheckpoint(checkpoint),
                         keras.callbacks.CSVLogger(os.path.join(args.out, "history.csv"))])
    seconds = time.perf_counter() - start
    print(f"Trained {args.epochs} epoch(s) in {seconds:.0f} s. Samples: {grid.paths[-1] if grid.paths else 'none'}; "
          f"checkpoint: {checkpoint}")
    return 0


def sample(args):
    from .base import GANModel
    from .images import save_grid

    model = GANModel.load(args.checkpoint)
    if model.num_classes:
        per_class = max(1, args.n // model.num_classes)
        labels = [c for c in range(model.num_classes) for _ in range(per_class)]
        images = model.generate(len(labels), labels=labels, seed=args.seed)
        columns = args.columns or per_class
    else:
        images = model.generate(args.n, seed=args.seed)
        columns = args.columns or max(1, int(round(args.n ** 0.5)))
    print(save_grid(images, args.out, columns))
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
