"""`keras-gans` command line: the parser and every command's body (read options, call into the package, print).

    keras-gans train dcgan --dataset fashion_mnist --epochs 1 --out runs/dcgan
    keras-gans train dcgan --images path/to/folder --image-size 32 --out runs/mine   # your own (colour) images
    keras-gans sample runs/dcgan/model.keras --n 64 --out grid.png
    keras-gans plot runs/dcgan                                    # redraw runs/dcgan/curves.png
    keras-gans baseline sgan --labeled-per-class 10               # what the labels alone give, no GAN

Options that several commands take (--dataset and --data-dir, --seed, --set KEY=VALUE) are defined once, on
parent parsers (`argparse` `parents=`), so their names, types and defaults cannot drift apart between commands.

Nothing lost, nothing silent: `train` never writes into a directory that holds a run unless told to continue
it (--resume) or to replace it (--overwrite), records the options of a run in OUT/run.json so that --resume
can refuse options that would change what the run is, and on SIGINT / SIGTERM stops at the next step, saves
a checkpoint it can resume from and says how. Every error a user's input can cause is one line on stderr
and exit status 2 (`--debug` shows the traceback instead); numbers are checked when the options are parsed.
"""
import argparse
import ast
import json
import math
import os
import shlex
import signal
import sys
import threading
import time

# Samples one command may hold as float32: a request beyond it is a typo (a zero too many) far more often
# than a wish, and would otherwise end, minutes later, in the kernel's out-of-memory killer.
MEMORY_LIMIT = 4 * 2**30
# The smallest images `train` makes models for (MNIST-like): the bound --n can be checked against before a
# checkpoint says its real image shape.
SMALLEST_IMAGE = (28, 28, 1)
# Samples `evaluate` scores by default, and `train --quality-every` after its epochs.
QUALITY_SAMPLES = 10000
DEBUG_HINT = "(--debug shows the traceback)"


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line, like every other error of the command line: argparse's
    own put the usage message first, which for `train` is a dozen lines that bury the one that matters."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _option(text):
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE with KEY a constructor argument, got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def _integer(minimum, maximum=None):
    """An argparse type: a whole number in [minimum, maximum]."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return parse


def _positive_number(text):
    """An argparse type for learning rates: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def memory_error(count, shape, what):
    """Why `count` float32 samples of `shape` are more than MEMORY_LIMIT, or None if they are not."""
    size = 4 * count * math.prod(shape)
    if size <= MEMORY_LIMIT:
        return None
    return (f"{count} {what} {'x'.join(map(str, shape))} would need {size / 2**30:.1f} GiB as float32, more "
            f"than the {MEMORY_LIMIT // 2**30} GiB one command may use")


def _sample_count(shape, what):
    """An argparse type for --n: at least 1, and few enough samples of `shape` to fit in MEMORY_LIMIT."""
    at_least_one = _integer(1)

    def parse(text):
        count = at_least_one(text)
        error = memory_error(count, shape, what)
        if error:
            raise argparse.ArgumentTypeError(error)
        return count

    return parse


def _check_memory(count, shape, options):
    """The same bound once a checkpoint has said its real image shape."""
    error = memory_error(count, tuple(shape), "images of")
    if error:
        raise ValueError(f"{options}: {error}; ask for fewer.")


# ------------------------------------------------------------------------------------ shared options
def _data_options(dataset_help=None, data_dir_help="directory with IDX files (train-images-idx3-ubyte.gz, ...)",
                  dataset_default="fashion_mnist"):
    """--dataset and --data-dir, for the commands that read image data; the help says what each reads it for."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--dataset", default=dataset_default, help=dataset_help)
    parent.add_argument("--data-dir", help=data_dir_help)
    return parent


def _folder_options():
    """--image-size, --color-mode and --crop: how the images are converted as they are read (a folder of
    --images, a TFDS dataset, IDX files, a .npz), and --cache: where a folder's decoded images are kept."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--image-size", type=_integer(1, 8192), metavar="PX",
                        help="resize every image to PX x PX (needed when the images differ in size, as in a "
                             "folder of photos or lsun/bedroom)")
    parent.add_argument("--color-mode", choices=("rgb", "grayscale"),
                        help="convert every image (needed when colour and grayscale images mix)")
    parent.add_argument("--crop", choices=("center", "resize"),
                        help="with --image-size: cut the largest centred square first (center, the default) or "
                             "squeeze the whole image (resize)")
    parent.add_argument("--cache", metavar="FILE.npz",
                        help="--images: keep the decoded images in FILE.npz for the next command (same options)")
    return parent


def _constructor_options(help_text="any other constructor argument of the variant"):
    """--set KEY=VALUE (repeatable), for the commands that build a variant: args.options, a list of pairs."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--set", dest="options", type=_option, action="append", default=[], metavar="KEY=VALUE",
                        help=help_text)
    return parent


def _seed_option(default=0):
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--seed", type=_integer(0, 2**31 - 1), default=default,
                        help=None if default is not None else "seed of the run (default: 0)")
    return parent


def _debug_option():
    """--debug after the command as well as before it; SUPPRESS, so that it does not reset the global one."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an error instead of one line")
    return parent


def _parser():
    from .networks import architectures
    from .toy import DEFAULTS as TOY_DEFAULTS
    from .variants import VARIANTS

    seed, debug = _seed_option(), _debug_option()
    positive = _integer(1)
    parser = _Parser(prog="keras-gans", description="Train and sample Keras GANs.")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error instead of one line")
    commands = parser.add_subparsers(dest="command", required=True)

    # train's options that shape a run default to None: --resume must tell an option given on the command
    # line (compared with the run's) from one left out (the run's value is used); RUN_DEFAULTS fills them in.
    train_parser = commands.add_parser(
        "train", help="train a variant; writes sample grids and a .keras checkpoint",
        parents=[_data_options("TFDS name (mnist, cifar10, ...; default: fashion_mnist); fashion_mnist reads "
                               "Debian's offline copy if installed", dataset_default=None),
                 _constructor_options("any other constructor argument of the variant, e.g. --set loss=minimax "
                                      "--set d_steps=2"),
                 _seed_option(default=None), _folder_options(), debug])
    train_parser.add_argument("variant", choices=sorted(VARIANTS))
    train_parser.add_argument("--images", metavar="PATH",
                              help="train on your own images instead of --dataset: a folder of PNG/JPEG/BMP/GIF "
                                   "(class subfolders give labels, which conditional games need) or a .npz file")
    train_parser.add_argument("--split", help="default: train")
    train_parser.add_argument("--epochs", type=positive, default=1)
    train_parser.add_argument("--steps-per-epoch", type=positive,
                              help="generator steps per epoch (default: the whole split)")
    train_parser.add_argument("--batch-size", type=positive,
                              help="real examples per discriminator update (default: the game's, 64; BEGAN 16)")
    train_parser.add_argument("--labeled-per-class", type=positive, metavar="N",
                              help="semi-supervised (catgan, sgan): each step adds a batch from a subset of N labeled "
                                   "examples per class to the batch of unlabeled ones (N=10: 100 labels)")
    train_parser.add_argument("--validation-per-class", type=_integer(0), metavar="V",
                              help="with --labeled-per-class: hold V of the N labeled examples per class out of "
                                   "training (images and labels) and measure the classifier on them after every "
                                   "epoch (val_accuracy); default N // 5, at least 1; 0: no validation split. The "
                                   "test split is scored once, after training")
    train_parser.add_argument("--d-lr", type=_positive_number,
                              help="discriminator learning rate (default: the variant's)")
    train_parser.add_argument("--g-lr", type=_positive_number, help="generator learning rate (default: the variant's)")
    train_parser.add_argument("--lr-decay", choices=("none", "linear"),
                              help="linear: both learning rates fall linearly from their start to 0 at the end of "
                                   "this run's --epochs (Keras' PolynomialDecay, power 1, in the optimizers: "
                                   "--resume goes on along it; default: none, constant rates)")
    train_parser.add_argument("--latent-dim", type=positive)
    train_parser.add_argument("--architecture", choices=architectures())
    train_parser.add_argument("--no-xla", action="store_true", default=None, help="train without XLA compilation")
    train_parser.add_argument("--precision", choices=tuple(PRECISIONS),
                              help="float32 (default); bf16: the networks compute in bfloat16 (Keras' mixed_bfloat16 "
                                   "policy), weights, losses and samples stay float32 (without a GPU XLA stays off: "
                                   "TensorFlow's own kernels run bfloat16 faster on CPU); fp16: likewise in float16 "
                                   "(mixed_float16), with loss scaling")
    train_parser.add_argument("--sample-every", type=positive, help="write a sample grid every N epochs (default: 1)")
    train_parser.add_argument("--quality-every", type=positive, metavar="N",
                              help="Fashion-MNIST only: every N epochs, the classifier-FID of 10,000 samples against "
                                   "the test split into history.csv as classifier_fid -- the number keras-gans "
                                   "evaluate gives that epoch's checkpoint (with the package's classifier)")
    train_parser.add_argument("--out", default="runs/latest", help="output directory")
    train_parser.add_argument("--resume", action="store_true",
                              help="continue the run in --out from its checkpoint (optimizer state, step counter "
                                   "and noise included) for --epochs more epochs; options left out are the run's, "
                                   "and only --d-lr, --g-lr, --no-xla, --sample-every, --quality-every, --cache, "
                                   "--epochs and --verbose may differ from them")
    train_parser.add_argument("--overwrite", action="store_true",
                              help="replace the run in --out (its model.keras, history.csv, curves.png, samples/ "
                                   "and run.json)")
    train_parser.add_argument("--verbose", choices=("auto", "0", "1", "2"), default="auto",
                              help="Keras progress: auto, 0, 1 or 2")
    train_parser.set_defaults(run=train)

    baseline_parser = commands.add_parser(
        "baseline", help="the supervised-only baseline of a semi-supervised run: the game's discriminator trained as "
                         "a plain classifier on the run's labeled examples alone, test accuracy at the end",
        parents=[_data_options("TFDS name (default: fashion_mnist): its train split gives the labeled examples, "
                               "its test split the test accuracy"),
                 _constructor_options("a constructor argument of the variant that shapes its discriminator, e.g. "
                                      "--set spectral_norm=True"), seed, debug])
    baseline_parser.add_argument("variant", choices=sorted(VARIANTS), metavar="VARIANT",
                                 help="a game whose discriminator classifies: sgan, catgan (or acgan)")
    baseline_parser.add_argument("--labeled-per-class", type=positive, metavar="N", required=True,
                                 help="the labeled subset of `train VARIANT --labeled-per-class N` with the same "
                                      "--seed: the same N examples per class of the train split")
    baseline_parser.add_argument("--validation-per-class", type=_integer(1), metavar="V",
                                 help="of the N, held out for early stopping, as train holds them out for "
                                      "val_accuracy (default: N // 5, at least 1)")
    baseline_parser.add_argument("--epochs", type=positive, default=200,
                                 help="the most epochs (default: 200); early stopping ends sooner")
    baseline_parser.add_argument("--patience", type=positive, default=20,
                                 help="epochs without a lower validation loss before stopping (default: 20)")
    baseline_parser.add_argument("--batch-size", type=positive, default=32)
    baseline_parser.add_argument("--learning-rate", type=_positive_number, default=1e-3,
                                 help="of the classifier's Adam (default: 1e-3)")
    baseline_parser.add_argument("--architecture", choices=architectures(),
                                 help="the networks of the semi-supervised run (default: the variant's)")
    baseline_parser.add_argument("--json", help="also write the numbers to this JSON file")
    baseline_parser.add_argument("--verbose", choices=("auto", "0", "1", "2"), default="0",
                                 help="Keras progress: auto, 0 (default), 1 or 2")
    baseline_parser.set_defaults(run=baseline)

    sample_parser = commands.add_parser(
        "sample", help="write a grid of samples from a checkpoint",
        parents=[_data_options("training images for --nearest", "directory with IDX files, for --nearest"), seed,
                 _folder_options(), debug])
    sample_parser.add_argument("checkpoint")
    sample_parser.add_argument("--images", metavar="PATH",
                               help="--nearest: the training images are this folder or .npz file (read at the "
                                    "checkpoint's image size and colour unless --image-size / --color-mode say)")
    sample_parser.add_argument("--n", type=_sample_count(SMALLEST_IMAGE, "samples of at least"), default=100,
                               help="samples (rows of n // classes for conditional models and infoGAN)")
    sample_parser.add_argument("--columns", type=positive)
    sample_parser.add_argument("--out", default="samples.png")
    sample_parser.add_argument("--nearest", action="store_true",
                               help="pair each sample with its nearest training image (L2 in pixel space)")
    sample_parser.add_argument("--interpolate", type=positive, metavar="ROWS",
                               help="walk the latent space: ROWS lines between random latent points (slerp for a "
                                    "normal prior), labels or codes fixed along each row")
    sample_parser.add_argument("--steps", type=_integer(2), default=10,
                               help="images per interpolation or traversal row (at least 2: the two ends)")
    sample_parser.add_argument("--traverse", type=_integer(0), metavar="CODE",
                               help="infoGAN: rows = values of the categorical code, columns = continuous code CODE "
                                    "swept over [-2, 2] (--steps columns)")
    sample_parser.set_defaults(run=sample)

    # The toy command's --dataset names a 2-D mixture, not image data: it takes no _data_options.
    toy_parser = commands.add_parser("toy", help="mode coverage on a 2-D mixture of Gaussians (ring or grid)",
                                     parents=[_constructor_options(), seed, debug])
    toy_parser.add_argument("variant", choices=sorted(VARIANTS))
    toy_parser.add_argument("--dataset", choices=("ring", "grid"), default="ring",
                            help="ring: 8 Gaussians on a circle; grid: 25 Gaussians on a 5 x 5 grid")
    toy_parser.add_argument("--steps", type=positive, default=TOY_DEFAULTS["steps"], help="generator steps")
    toy_parser.add_argument("--batch-size", type=positive, default=TOY_DEFAULTS["batch_size"],
                            help="real samples per discriminator update")
    toy_parser.add_argument("--latent-dim", type=positive, default=TOY_DEFAULTS["latent_dim"])
    toy_parser.add_argument("--n", type=_sample_count((2,), "points of dimension"), default=TOY_DEFAULTS["n_samples"],
                            help="samples drawn for the metrics")
    toy_parser.add_argument("--plot-every", type=positive, help="also write a scatter PNG every N steps")
    toy_parser.add_argument("--size", type=_integer(16, 8192), default=256, help="scatter PNG size in pixels")
    toy_parser.add_argument("--out", default="runs/toy", help="output directory for the PNGs")
    toy_parser.set_defaults(run=toy)

    bench_parser = commands.add_parser("bench", help="training speed of variants (XLA on/off, float32/bf16), "
                                                     "optionally one epoch end to end and vs PyTorch",
                                       parents=[_data_options(data_dir_help="directory with IDX files"), debug])
    bench_parser.add_argument("variants", nargs="*", metavar="VARIANT", help="variants to time (default: all)")
    bench_parser.add_argument("--batch-size", type=positive, default=64,
                              help="real examples per discriminator update")
    bench_parser.add_argument("--steps", type=positive, default=200, help="timed fit steps (generator updates) per run")
    bench_parser.add_argument("--warmup", type=positive, default=3,
                              help="untimed first steps (compilation), reported apart")
    bench_parser.add_argument("--xla", choices=("both", "on", "off"), default="both")
    bench_parser.add_argument("--precision", choices=("float32", "bf16", "both"), default="float32",
                              help="Keras dtype policy of the runs: float32, mixed_bfloat16 (bf16) or both")
    bench_parser.add_argument("--architecture", choices=architectures(),
                              help="networks of every variant (default: each variant's own; the PyTorch "
                                   "comparison needs those)")
    bench_parser.add_argument("--epoch", action="store_true",
                              help="also time one epoch end to end through `keras-gans train` (data loading, "
                                   "callbacks, checkpoint; minutes on Fashion-MNIST)")
    bench_parser.add_argument("--profile", action="store_true",
                              help="instead of timing, profile STEPS steps of each variant under XLA and say where "
                                   "a step's time goes: its work on one thread by kind (matmuls, convolutions, "
                                   "fusions, copies), and what running it on every core adds")
    bench_parser.add_argument("--steps-per-epoch", type=positive,
                              help="with --epoch: end that epoch after N steps (default: the whole split)")
    bench_parser.add_argument("--compare-torch", action="store_true",
                              help='also time the PyTorch baseline (pip install "keras-gans[benchmark]")')
    bench_parser.add_argument("--json", dest="json_path", metavar="PATH", help="also write the rows as JSON")
    bench_parser.set_defaults(run=bench)

    evaluate_parser = commands.add_parser(
        "evaluate", help="sample quality against the real test set: classifier-FID, KID, IS-style score, coverage, ...",
        parents=[_data_options("real data to compare with: its test split (default: fashion_mnist)",
                               dataset_default=None), seed, _folder_options(), debug])
    evaluate_parser.add_argument("checkpoint", nargs="?", help=".keras checkpoint (optional with --train-classifier)")
    evaluate_parser.add_argument("--images", metavar="PATH",
                                 help="real images to compare with: a folder of your own images or a .npz file "
                                      "(for a model trained on them)")
    evaluate_parser.add_argument("--split", default="test",
                                 help="--dataset's split to compare with on Inception features (default: test; "
                                      "e.g. validation for lsun/bedroom, which has no test split)")
    evaluate_parser.add_argument("--inception-weights", metavar="FILE.h5",
                                 help="weights of InceptionV3 without its top, for the Inception path offline "
                                      "(default: the ImageNet weights, downloaded once into ~/.keras/models)")
    evaluate_parser.add_argument("--n", type=_sample_count(SMALLEST_IMAGE, "samples of at least"),
                                 default=QUALITY_SAMPLES,
                                 help="generated samples to compare")
    evaluate_parser.add_argument("--classifier", help="classifier .keras file (default: the Fashion-MNIST one that "
                                                      "ships with the package, the same on every machine)")
    evaluate_parser.add_argument("--train-classifier", action="store_true",
                                 help="train a classifier of your own on the real training set and cache it (then "
                                      "evaluate CHECKPOINT with it, if given); later commands take it with "
                                      "--classifier PATH")
    evaluate_parser.add_argument("--auto-train", action="store_true",
                                 help="train and cache the classifier if missing (for a dataset without a shipped one)")
    evaluate_parser.add_argument("--classifier-epochs", type=positive, default=8)
    evaluate_parser.add_argument("--inception", action="store_true",
                                 help="also the standard Inception FID (needs the ImageNet InceptionV3 weights; "
                                      "skipped with a message when they cannot be had)")
    evaluate_parser.add_argument("--parzen", action="store_true",
                                 help="also the GAN paper's Parzen window log-likelihood of the test set (unreliable "
                                      "in high dimensions; for comparison with published numbers)")
    evaluate_parser.add_argument("--samples", metavar="FILE.npy",
                                 help="score these samples (float (n, H, W, C) in [-1, 1] or uint8, e.g. written by "
                                      "python -m keras_gans.torch_baseline --train) instead of a checkpoint's")
    evaluate_parser.add_argument("--last-weights", action="store_true",
                                 help="sample from G's own last weights instead of its moving average (a model "
                                      "trained with ema, such as GAN's default): the same latent vectors, to see "
                                      "what the average adds")
    evaluate_parser.add_argument("--json", help="also write the numbers to this JSON file")
    evaluate_parser.set_defaults(run=evaluate)

    plot_parser = commands.add_parser("plot", help="redraw RUN_DIR/curves.png from RUN_DIR/history.csv",
                                      parents=[debug])
    plot_parser.add_argument("run_dir", metavar="RUN_DIR", help="the --out directory of a `keras-gans train` run")
    plot_parser.set_defaults(run=plot)
    return parser


def _check_output_file(path, option, create_directory=False):
    """Fail before any computation when the file an option names cannot be written: the path is a directory,
    its directory is missing (unless the command creates it), or the nearest existing one is a file or
    read-only."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"{option} {path!r} is a directory; name a file in it.")
    directory = existing = os.path.dirname(os.path.abspath(path))
    if not create_directory and not os.path.isdir(directory):
        raise FileNotFoundError(f"{option} {path!r}: the directory {directory!r} does not exist.")
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise NotADirectoryError(f"{option} {path!r}: {existing!r} is a file, not a directory.")
    if not os.access(existing, os.W_OK):
        raise PermissionError(f"{option} {path!r}: the directory {existing!r} is not writable.")


# -------------------------------------------------------------------------------------------- train
# What OUT/run.json records: every option that shaped the run -- the value given, else this default (after
# building the model, latent_dim, architecture and the learning rates are the model's own; batch_size is the
# game's `default_batch_size`).
RUN_DEFAULTS = {"dataset": "fashion_mnist", "data_dir": None, "split": "train", "images": None, "image_size": None,
                "color_mode": None, "crop": "center", "cache": None, "batch_size": 64, "labeled_per_class": None,
                "validation_per_class": None,
                "latent_dim": None, "architecture": None, "options": {}, "seed": 0, "d_lr": None, "g_lr": None,
                "no_xla": False, "steps_per_epoch": None, "sample_every": 1, "quality_every": None,
                "precision": "float32", "lr_decay": "none"}
# --precision: the Keras dtype policy it sets before the model is built. Not changeable on --resume: the
# checkpoint's layers are rebuilt with the policy they were saved with, whatever the global one.
PRECISIONS = {"float32": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}
# The options --resume may change (applied to the loaded model, or read only by this command); any other
# that differs from the run's would make the continued run a different run, and is refused.
# --cache only says where the decoded images of --images are kept: the images are the same without it.
CHANGEABLE_ON_RESUME = ("d_lr", "g_lr", "no_xla", "sample_every", "quality_every", "cache")
FLAGS = {**{key: "--" + key.replace("_", "-") for key in RUN_DEFAULTS}, "options": "--set"}
# A run's files, which --overwrite removes (and nothing else in OUT); their atomic writes' leftovers, hidden
# ".NAME.<random>.tmp..." siblings of a process killed mid-write, go with them.
RUN_FILES = ("model.keras", "best.keras", "history.csv", "curves.png", "samples", "run.json")
# The options that say how to read the folder of --images, and the ones that name other data instead.
FOLDER_OPTIONS = ("image_size", "color_mode", "crop", "cache")
OTHER_DATA = ("dataset", "data_dir", "split")
# --set keys that are options of their own: what to do instead.
OWN_OPTIONS = {"seed": "use --seed", "latent_dim": "use --latent-dim", "architecture": "use --architecture"}
TOY_OWN_OPTIONS = {**OWN_OPTIONS, "architecture": "the toy's networks are its own (architecture 'toy')"}
# What keras.Model itself takes besides a game's arguments.
KERAS_MODEL_ARGUMENTS = ["name", "dtype", "trainable"]


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


def _check_validation_split(args, config):
    """--validation-per-class (V of the N labeled examples per class held out for val_accuracy), checked and
    resolved before any data is read: N // 5 (at least 1) when not given, and recorded as resolved, so that
    --resume holds out the same examples. A run from before validation splits (no value in its run.json) held
    out none, and goes on holding out none."""
    from .semi_supervised import resolve_validation_per_class

    if not args.labeled_per_class:
        if args.validation_per_class is not None:
            raise ValueError("--validation-per-class holds out some of the labeled examples of --labeled-per-class; "
                             "add --labeled-per-class N.")
        return
    if args.resume and args.validation_per_class is None:
        print(f"Note: {args.out} was trained before validation splits; it goes on with all its labeled examples "
              f"in training and no per-epoch validation.")
        args.validation_per_class = 0
    args.validation_per_class = config["validation_per_class"] = resolve_validation_per_class(
        args.labeled_per_class, args.validation_per_class)


def _check_images_option(args, other_data):
    """--images names the data itself: beside it, the options in `other_data` (name: the flag) would name
    other data or be ignored, so a command takes one or the other."""
    if args.images is None:
        return
    if not os.path.isdir(args.images) and not (args.images.endswith(".npz") and os.path.isfile(args.images)):
        raise FileNotFoundError(f"--images {args.images!r} is neither a folder of images nor a .npz file.")
    if other_data:
        raise ValueError(f"--images reads your own images and {' and '.join(other_data.values())} name other data: "
                         f"pass one or the other.")


def _check_folder_options(args, given):
    """--cache (`given`: run.json's names) keeps the decoded images of a folder of --images; without one it
    would be ignored, which is refused. (--image-size, --color-mode and --crop convert images of any source.)"""
    if "cache" not in given:
        return
    if not args.images:
        raise ValueError("--cache keeps the decoded images of --images; pass --images PATH (a folder of images).")
    if not os.path.isdir(args.images):
        raise ValueError(f"--cache keeps the decoded images of a folder; --images {args.images!r} is a .npz file, "
                         f"read as it is.")


def _read_images(path, **folder_options):
    """(images, labels or None) of --images, a folder or a .npz, read with the folder options that are set."""
    from . import data

    if not os.path.isdir(path) and not (path.endswith(".npz") and os.path.isfile(path)):
        # a run.json's folder that has gone since
        raise FileNotFoundError(f"--images {path!r} is neither a folder of images nor a .npz file.")
    return data.load_arrays(path, **{key: value for key, value in folder_options.items() if value is not None})


def _read_dataset(args, split, **convert):
    """(images, labels or None) of --dataset/--data-dir's `split`, converted by --image-size, --color-mode and
    --crop where they are given (`convert` overrides them)."""
    from . import data

    convert = {**{key: getattr(args, key, None) for key in ("image_size", "color_mode", "crop")}, **convert}
    return data.load_arrays(args.dataset, split, args.data_dir,
                            **{key: value for key, value in convert.items() if value is not None})


def _check_labels(variant, labels, args):
    """A game that reads class labels (CGAN, ACGAN), or --labeled-per-class, on images that have none: one
    error that says where labels come from, not a failure inside the model."""
    if labels is not None:
        return
    if variant.label_mode in ("conditional", "auxiliary"):
        needs = f"{args.variant} is a conditional game: it"
    elif args.labeled_per_class:
        needs = "--labeled-per-class"
    else:
        return
    where = ("class subfolders (one folder of images per class: PATH/CLASS/*.png)" if os.path.isdir(args.images)
             else "a 'labels' array beside 'images' in the .npz file")
    raise ValueError(f"{needs} needs class labels, and --images {args.images!r} has none; give it {where}.")


def _fit_steps_per_epoch(model, dataset, steps_per_epoch=None):
    """Fit steps in one epoch of this run: `steps_per_epoch`, else one pass over `dataset`, of which
    `model.d_steps` batches make one fit step."""
    if steps_per_epoch:
        return steps_per_epoch
    batches = int(dataset.cardinality())
    if batches < 0:  # tf.data's INFINITE (-1) or UNKNOWN (-2) cardinality: no pass to count in
        raise ValueError("the training data has no known length per epoch, so epochs cannot be counted in steps; "
                         "pass --steps-per-epoch (on --resume, the value of the first run).")
    return max(1, batches // model.d_steps)


def completed_epochs(model, dataset, steps_per_epoch=None):
    """Epochs a loaded checkpoint has trained, for --resume: its step counter (fit steps, saved with the model)
    over the fit steps of one epoch of this run."""
    return int(model.step_counter) // _fit_steps_per_epoch(model, dataset, steps_per_epoch)


def _linear_decay(optimizer, steps):
    """`optimizer` with its learning rate r falling linearly from r to 0 over its first `steps` updates, and 0
    after them (Salimans et al. 2016 decay theirs so): a `PolynomialDecay` schedule, saved with the optimizer."""
    import keras

    schedule = keras.optimizers.schedules.PolynomialDecay(_learning_rate(optimizer), decay_steps=int(steps),
                                                          end_learning_rate=0.0, power=1.0)
    return _with_learning_rate(optimizer, keras.optimizers.schedules.serialize(schedule))


def _check_decay_left(model):
    """--resume of a run whose rates decayed (--lr-decay) to 0: more epochs would change nothing."""
    schedule = model.g_optimizer.get_config()["learning_rate"]
    if not isinstance(schedule, dict):  # a constant rate, not a serialized schedule
        return
    decay_steps = schedule["config"]["decay_steps"]
    if int(model.g_optimizer.iterations) >= decay_steps:
        raise ValueError(f"--resume: this run's learning rates decayed (--lr-decay) to 0 at the end of its first "
                         f"{decay_steps // model.g_steps} steps, so more epochs would not train it; start "
                         f"a new run with more --epochs.")


def _plain(value):
    """`value` as run.json holds it (tuples as lists, anything JSON lacks as its repr), so that what is given
    compares equal with what was recorded."""
    return json.loads(json.dumps(value, default=repr))


def _show(value):
    return "none" if value is None else value if isinstance(value, str) else json.dumps(value)


def _given(args):
    """The run-shaping options given on the command line (the ones that are not None), as run.json holds them."""
    given = {key: getattr(args, key) for key in RUN_DEFAULTS if key != "options" and getattr(args, key) is not None}
    if args.options:
        given["options"] = dict(args.options)
    for key in ("data_dir", "images", "cache"):  # the same files, whichever directory --resume is run from
        if given.get(key):
            given[key] = os.path.abspath(given[key])
    return _plain(given)


def _differences(run, given, variant):
    """One `OPTION: run has X, given Y` per option given that --resume may not change."""
    found = [] if run.get("variant", variant) == variant else [f"variant: run has {run['variant']}, given {variant}"]
    for key, value in given.items():
        if key in CHANGEABLE_ON_RESUME:
            continue
        if key == "options":
            recorded = run.get("options", {})
            for option, wanted in value.items():
                if option not in recorded:
                    found.append(f"--set {option}: run has the variant's default, given {_show(wanted)}")
                elif recorded[option] != wanted:
                    found.append(f"--set {option}: run has {_show(recorded[option])}, given {_show(wanted)}")
        elif run.get(key, RUN_DEFAULTS[key]) != value:
            found.append(f"{FLAGS[key]}: run has {_show(run.get(key, RUN_DEFAULTS[key]))}, given {_show(value)}")
    return found


def _leftover(name):
    """Whether a file in OUT is one of a run's files, or the leftover of an atomic write of one."""
    return name in RUN_FILES or any(name.startswith(f".{file}.") and ".tmp" in name for file in RUN_FILES)


def _remove_run(out, leftovers_only=False):
    """Remove the run's files from `out` (--overwrite), or only the leftovers of killed writes (--resume)."""
    import shutil

    for name in os.listdir(out):
        if _leftover(name) and (name.startswith(".") or not leftovers_only):
            path = os.path.join(out, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)


def _prepare_out(args):
    """Check --out against --resume / --overwrite before anything is loaded; returns the run's run.json
    (a dict; {} for a new run or a run from before run.json)."""
    out, checkpoint = args.out, os.path.join(args.out, "model.keras")
    if args.resume and args.overwrite:
        raise ValueError("--resume continues the run in --out and --overwrite replaces it: pass one of them.")
    if os.path.lexists(out) and not os.path.isdir(out):
        raise NotADirectoryError(f"--out {out!r} is a file, not a directory.")
    previous = sorted(os.listdir(out)) if os.path.isdir(out) else []
    if args.resume:
        if not os.path.isfile(checkpoint):
            if "run.json" in previous:
                raise FileNotFoundError(f"{out!r} has no checkpoint to resume: the run stopped before its first "
                                        f"checkpoint; start it again with --overwrite.")
            raise FileNotFoundError(f"Nothing to resume: no checkpoint {checkpoint!r}; start a new run without "
                                    f"--resume.")
    elif previous and not args.overwrite:
        raise FileExistsError(f"--out {out!r} already holds a run ({', '.join(previous[:4])}"
                              f"{', ...' if len(previous) > 4 else ''}): pass --resume to continue it or --overwrite "
                              f"to replace it.")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise OSError(f"Cannot create --out {out!r}: {error.strerror}.") from error
    if not os.access(out, os.W_OK):
        raise PermissionError(f"--out {out!r} is not writable.")
    path = os.path.join(out, "run.json")
    if not args.resume or not os.path.isfile(path):
        return {}
    try:
        with open(path) as f:
            run = json.load(f)
    except (OSError, ValueError) as error:
        raise ValueError(f"Cannot read {path!r} ({error}); it records the options of the run that --resume "
                         f"continues.") from error
    if not isinstance(run, dict):
        raise ValueError(f"{path!r} does not hold the options of a run.")
    return run


def _resolve(args):
    """Fill in the options left out (None): on --resume the run's (after refusing any given one that differs
    from it and may not change), else RUN_DEFAULTS. Returns (the run's record, the options given)."""
    run = _prepare_out(args)
    given = _given(args)
    if args.resume and not run:
        print(f"Note: {args.out} has no run.json (a run from an older keras-gans): the options given are not "
              f"checked against the run's; one is written now.")
    differences = _differences(run, given, args.variant) if run else []
    if differences:
        raise ValueError(f"--resume: {args.out} was trained with other options ({'; '.join(differences)}); leave "
                         f"them out (the run's are used) or start a new run with --overwrite.")
    from .variants import VARIANTS

    defaults = {**RUN_DEFAULTS, "batch_size": VARIANTS[args.variant].default_batch_size}
    config = {**defaults, **{key: run[key] for key in RUN_DEFAULTS if key in run}, **given}
    for key, value in config.items():
        if key != "options":
            setattr(args, key, value)
    return config, given


def _constructor_arguments(variant):
    """(the game's own keyword arguments, those GANModel takes for every game), from the signatures."""
    import inspect

    from .base import GANModel

    def keywords(cls):
        return [name for name, parameter in inspect.signature(cls.__init__).parameters.items()
                if parameter.kind == parameter.KEYWORD_ONLY]

    # The game's classes and mixins: whatever comes before GANModel in its method resolution order (SGAN's
    # ClassifierMixin takes classifier_ema).
    mro = variant.__mro__
    own = [name for cls in mro[:mro.index(GANModel)] for name in keywords(cls)]
    return list(dict.fromkeys(own)), keywords(GANModel)


def _check_set_options(options, variant, own_options=OWN_OPTIONS):
    """Each --set key, before any data is read: one a variant takes, and not one with an option of its own."""
    own, common = _constructor_arguments(variant)
    for key in options:
        if key in own_options:
            raise ValueError(f"--set {key}: {own_options[key]}.")
        if key in ("image_shape", "generator", "discriminator"):
            raise ValueError(f"--set {key}: {'the data decide it' if key == 'image_shape' else 'networks are built'}"
                             f" by the command; choose them with --architecture.")
        if key not in own + common + KERAS_MODEL_ARGUMENTS:
            settable = [name for name in own + common if name not in own_options and name != "image_shape"]
            raise ValueError(f"--set {key}: {variant.__name__} takes no argument {key!r}; it takes "
                             f"{', '.join(settable)}.")


def _build(variant, images, labels, args):
    """The new model, its --set options translated into one clear error each."""
    options = dict(args.options)
    for key in ("latent_dim", "architecture"):
        if getattr(args, key):
            options[key] = getattr(args, key)
    try:
        return variant.for_data(images, labels, seed=args.seed, **options)
    except TypeError as error:
        # A game that sets a GANModel argument itself (WGAN: d_steps from n_critic) gets it twice.
        twice = [key for key in options if f"multiple values for keyword argument '{key}'" in str(error)]
        if twice:
            raise ValueError(f"--set {twice[0]}: {variant.__name__} sets {twice[0]} itself; its own options are "
                             f"{', '.join(_constructor_arguments(variant)[0]) or 'none'}.") from error
        if not args.options:
            raise
        raise ValueError(f"--set {_show_options(args.options)}: {error}") from error
    except ValueError as error:
        if not args.options:
            raise
        # The constructor's message names the argument, but not that it came from --set.
        raise ValueError(f"--set {_show_options(args.options)}: {error}") from error


def _show_options(options):
    return " ".join(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}" for key, value in options)


def _learning_rate(optimizer):
    """The optimizer's learning rate, or the start of its schedule (--lr-decay); None if it has neither."""
    import keras

    rate = optimizer.get_config().get("learning_rate")
    if isinstance(rate, dict):  # a serialized schedule: its starting rate
        rate = rate.get("config", {}).get("initial_learning_rate")
    try:  # float32 in the optimizer: 7 digits say it all (2e-4, not 0.00019999999494757503)
        return float(f"{float(keras.ops.convert_to_numpy(rate)):.7g}")
    except Exception:  # an optimizer that keeps it elsewhere: nothing to record
        return None


class _StopOnSignal:
    """SIGINT and SIGTERM while `train` runs: the handler only notes the signal (training stops at the next
    step, see `callback`); a second one while the checkpoint is being saved is noted again and changes
    nothing, so the save is never interrupted half-way. The previous handlers come back when `train` ends."""

    def __init__(self):
        self.received, self._previous = None, {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # Python lets only that thread set handlers
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._note)
        return self

    def _note(self, number, frame):
        # Nothing else here: printing from a handler can interrupt a print to the same stream.
        if self.received is None:
            self.received = number

    def __exit__(self, *exc_info):
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    @property
    def name(self):
        return signal.Signals(self.received).name

    def callback(self):
        """A Keras callback that stops `fit` at the next batch end (or epoch end) after a signal, and keeps
        the last logs, by which the checkpoint after it is judged."""
        import keras

        stop = self

        class StopOnSignal(keras.callbacks.Callback):
            logs = None

            def _check(self, logs):
                self.logs = logs
                if stop.received is not None and not self.model.stop_training:
                    print(f"\n{stop.name}: stopping after this step and saving a checkpoint ...", file=sys.stderr,
                          flush=True)
                    self.model.stop_training = True

            def on_train_batch_end(self, batch, logs=None):
                self._check(logs)

            def on_epoch_end(self, epoch, logs=None):
                self._check(logs)

        return StopOnSignal()


def train(args, extra_callbacks=()):
    """The train command. `extra_callbacks` join the run's own in `fit`: `keras-gans bench --epoch` times an
    epoch of this very code path with them."""
    import keras

    policy = keras.config.dtype_policy()
    try:
        with _StopOnSignal() as stop:
            return _train(args, stop, extra_callbacks)
    finally:
        # --precision is this run's: code that runs after it in the same process (tests, bench) keeps its own.
        keras.config.set_dtype_policy(policy)


def _train(args, stop, extra_callbacks=()):
    from .variants import VARIANTS

    # The options alone first, then --out, then the data: the cheapest check that can fail comes first.
    variant = VARIANTS[args.variant]
    _check_labeled_per_class(args, variant)
    _check_set_options(dict(args.options), variant)
    _check_images_option(args, {key: FLAGS[key] for key in OTHER_DATA if getattr(args, key) is not None})
    config, given = _resolve(args)
    _check_folder_options(args, given)
    _check_validation_split(args, config)
    if args.quality_every and (args.images or args.dataset != "fashion_mnist"):
        raise ValueError("--quality-every scores samples with the Fashion-MNIST quality classifier, so it needs "
                         "--dataset fashion_mnist; for other images run keras-gans evaluate on the checkpoint.")
    if args.images:  # a folder or .npz has no named dataset and no splits: run.json says so
        for key in ("dataset", "split"):
            config[key] = None
            setattr(args, key, None)
    import keras

    from . import atomic, callbacks, data, plots, semi_supervised
    from .classifying import ClassifierMixin

    # Before the model is built: layers take the global policy when they are created (`train` restores it).
    keras.mixed_precision.set_global_policy(PRECISIONS[args.precision])
    keras.utils.set_random_seed(args.seed)
    if args.images:
        images, labels = _read_images(args.images, **{key: getattr(args, key) for key in FOLDER_OPTIONS})
        _check_labels(variant, labels, args)
    else:
        images, labels = _read_dataset(args, args.split)
    images = data.check_images(images)
    quality = []
    if args.quality_every:
        if tuple(images.shape[1:]) != QUALITY_CLASSIFIER_SHAPE:
            raise ValueError(f"--quality-every scores samples with the quality classifier of 28x28x1 Fashion-MNIST "
                             f"images, and --image-size/--color-mode make them "
                             f"{'x'.join(map(str, images.shape[1:]))}; leave those out, or run keras-gans evaluate "
                             f"on the checkpoint.")
        # The samples are `keras-gans evaluate`'s (its n and seed 0) and so is the real test split, so an epoch's
        # figure is the one evaluating that epoch's checkpoint prints. Loaded now: a missing classifier fails
        # before anything is trained or replaced.
        quality = [callbacks.QualityMonitor(_read_dataset(args, "test")[0], every=args.quality_every,
                                            n=QUALITY_SAMPLES, seed=0)]
        quality[0].on_train_begin()
    split = None
    if args.labeled_per_class:
        # The labeled subset of data.semi_supervised, less the examples held out for validation (their images too).
        split = semi_supervised.split_labeled(labels, args.labeled_per_class, args.validation_per_class, args.seed)
        dataset = semi_supervised.training_batches(images, labels, split, args.batch_size, args.seed)
    else:
        dataset = variant.training_dataset(images, labels, args.batch_size, None, args.seed)
    if args.steps_per_epoch:
        # An epoch of N steps need not end where a pass over the data does: Keras draws every epoch from one
        # iterator, and a finite one that ran dry cut that epoch short (SGAN, 4 epochs of 400 steps on 937
        # batches: the third trained 137 steps), so the data repeat, and every epoch trains its N steps.
        dataset = dataset.repeat()
    checkpoint = os.path.join(args.out, "model.keras")
    history_path = os.path.join(args.out, "history.csv")
    curves_path = os.path.join(args.out, "curves.png")
    initial_epoch = 0
    if args.resume:  # load_model restores the compiled optimizers too
        model = variant.load(checkpoint)
        initial_epoch = completed_epochs(model, dataset, args.steps_per_epoch)
        changes = []
        _check_decay_left(model)
        for key, optimizer in (("d_lr", model.d_optimizer), ("g_lr", model.g_optimizer)):
            if given.get(key) is not None and given[key] != _learning_rate(optimizer):
                if config["lr_decay"] != "none":
                    raise ValueError(f"{FLAGS[key]}: this run's rates follow --lr-decay {config['lr_decay']} "
                                     f"from {_learning_rate(optimizer)}, so they cannot be set on --resume; leave "
                                     f"{FLAGS[key]} out.")
                changes.append(f"{FLAGS[key]} {_learning_rate(optimizer)} -> {given[key]}")
                optimizer.learning_rate = given[key]
        if given.get("no_xla") and model.jit_compile:
            changes.append("XLA off")
            model.compile(d_optimizer=model.d_optimizer, g_optimizer=model.g_optimizer, jit_compile=False)
        if changes:
            print(f"Resuming with {', '.join(changes)}.")
        _remove_run(args.out, leftovers_only=True)
    else:
        model = _build(variant, images, labels, args)
        d_optimizer, g_optimizer = model.default_optimizers()
        d_optimizer, g_optimizer = (_with_learning_rate(d_optimizer, args.d_lr),
                                    _with_learning_rate(g_optimizer, args.g_lr))
        if config["lr_decay"] == "linear":
            steps = args.epochs * _fit_steps_per_epoch(model, dataset, args.steps_per_epoch)
            # Each optimizer counts its own updates: D's d_steps, G's g_steps per fit step.
            d_optimizer, g_optimizer = (_linear_decay(d_optimizer, steps * model.d_steps),
                                        _linear_decay(g_optimizer, steps * model.g_steps))
        model.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer,
                      jit_compile=False if args.no_xla else "auto")
        # Only now, with the new run ready to start, does the old one go.
        _remove_run(args.out)
    record = {"variant": args.variant, **config, "latent_dim": model.latent_dim, "architecture": model.architecture,
              "d_lr": _learning_rate(model.d_optimizer), "g_lr": _learning_rate(model.g_optimizer)}
    if split is not None:
        record.update(labeled_examples=len(split.train), validation_examples=len(split.validation))
    record_path = os.path.join(args.out, "run.json")
    atomic.write_json(record, record_path, indent=2)
    grid = callbacks.SampleGrid(os.path.join(args.out, "samples"), every=args.sample_every, seed=args.seed)
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)
    print(f"Training {variant.__name__} on {args.images or args.dataset} ({len(images)} examples of shape "
          f"{images.shape[1:]}), XLA {'on' if model.jit_compile else 'off'}, output in {args.out}/", flush=True)
    if split is not None:
        print(f"Labeled: {len(split.train)} examples in training, {len(split.validation)} held out for validation "
              f"({args.labeled_per_class - args.validation_per_class} and {args.validation_per_class} per class).")
    validation = test = None
    selection = []
    # A semi-supervised game trained without labels has classes that need not match the real ones.
    labeled = args.labeled_per_class or variant.label_mode != "semi_supervised"
    # Your own images have no test split to measure it on.
    scores_test = isinstance(model, ClassifierMixin) and labeled and args.split == "train" and not args.images
    if split is not None and len(split.validation):
        # The classifier the game trains, measured after every epoch on the held-out labeled examples: whatever
        # is chosen by watching val_accuracy is chosen without the test split, which is scored after training.
        validation = semi_supervised.validation_batches(images, labels, split)
        # The checkpoint to publish is chosen by val_accuracy alone: best.keras, the epoch with the highest one
        # (the latest of equals), carried across --resume by starting from the one it holds.
        best_path = os.path.join(args.out, "best.keras")
        epoch, value = (_best_validation(variant.load(best_path), history_path, dataset, args.steps_per_epoch)
                        if os.path.isfile(best_path) else (None, None))
        selection = [callbacks.BestCheckpoint(best_path, monitor="val_accuracy", initial_value_threshold=value,
                                              initial_epoch=epoch)]
    elif scores_test and not args.labeled_per_class:
        # A fully labeled game (ACGAN): measured on the real labeled test images after every epoch.
        test = _read_dataset(args, "test")
        validation = semi_supervised.scoring_batches(*test)
    watcher = stop.callback()
    start = time.perf_counter()
    history = None
    if stop.received is None:  # a signal during the setup: nothing to train, but a checkpoint to resume from
        history = model.fit(dataset, epochs=initial_epoch + args.epochs, initial_epoch=initial_epoch,
                            steps_per_epoch=args.steps_per_epoch, verbose=verbose, validation_data=validation,
                            callbacks=[callbacks.TerminateOnNaN(), grid, callbacks.FiniteCheckpoint(checkpoint),
                                       *quality, callbacks.CSVLogger(history_path, append=args.resume),
                                       # After the CSVLogger, so that history.csv holds this epoch's row.
                                       keras.callbacks.LambdaCallback(
                                           on_epoch_end=lambda epoch, logs: plots.plot_history(history_path,
                                                                                               curves_path)),
                                       *selection, watcher, *extra_callbacks])
    seconds = time.perf_counter() - start
    finite = callbacks._finite(watcher.logs)
    if stop.received is not None:
        return _stopped(args, stop, model, dataset, checkpoint, initial_epoch, finite)
    if not finite:
        kept = (f"{checkpoint} holds the last epoch with finite metrics" if os.path.isfile(checkpoint) else
                "no epoch ended with finite metrics, so no checkpoint was written")
        print(f"keras-gans train: error: training diverged (non-finite metrics, see above); {kept}. Try lower "
              f"learning rates (--d-lr, --g-lr).", file=sys.stderr)
        return 1
    print(f"Trained {args.epochs} epoch(s) in {seconds:.0f} s. Samples: {grid.paths[-1] if grid.paths else 'none'}; "
          f"checkpoint: {checkpoint}")
    if scores_test:
        if args.labeled_per_class:  # read only now: nothing during training looked at it
            test = _read_dataset(args, "test")
            accuracy = _test_accuracy(model, test)
            every = (f"history.csv's val_accuracy is on the {len(split.validation)} held-out labeled examples"
                     if len(split.validation) else "no per-epoch validation (--validation-per-class 0)")
        else:
            accuracy = history.history["val_accuracy"][-1]
            every = "every epoch's in history.csv as val_accuracy"
        accuracy = float(accuracy)
        record.update(test_accuracy=accuracy, test_examples=len(test[0]))
        best = _best_checkpoint(variant, selection[0], test) if selection else {}
        record.update(best)
        atomic.write_json(record, record_path, indent=2)
        print(f"Test accuracy of the discriminator's classifier on the real test split ({len(test[0])} images, "
              f"{'scored once, after training' if args.labeled_per_class else 'after the last epoch'}): {accuracy:.4f} "
              f"(test error {1 - accuracy:.2%}; in run.json as test_accuracy; {every})")
        if best:
            print(f"Chosen by val_accuracy: epoch {best['best_epoch']} ({best['best_val_accuracy']:.4f} on the "
                  f"held-out labeled examples), {selection[0].filepath}: test accuracy "
                  f"{best['best_test_accuracy']:.4f} (in run.json as best_test_accuracy)")
    elif validation is not None:
        accuracy = history.history["val_accuracy"][-1]
        print(f"Accuracy of the discriminator's classifier on the {len(split.validation)} held-out labeled examples: "
              f"{accuracy:.4f} (no test split to score; every epoch's in history.csv as val_accuracy)")
    return 0


def _best_validation(best, history_path, dataset, steps_per_epoch=None):
    """(epoch counted from 1, val_accuracy) of the checkpoint `best` (best.keras, loaded): its epoch from its own
    step counter, as --resume counts model.keras's, and its score from that epoch's row of history.csv; (None,
    None) without a finite one. Not history's highest score: a run resumed from before best.keras existed has
    epochs in history.csv that best.keras never held."""
    import csv

    epoch = completed_epochs(best, dataset, steps_per_epoch)
    if not os.path.isfile(history_path):
        return None, None
    with open(history_path, newline="") as f:
        scores = [float(row.get("val_accuracy") or "nan") for row in csv.DictReader(f)
                  if int(row["epoch"]) + 1 == epoch]
    # A row written twice (an epoch trained again after a stop) keeps its latest.
    return (epoch, scores[-1]) if scores and math.isfinite(scores[-1]) else (None, None)


def _test_accuracy(model, test):
    """The accuracy of a classifying game's own classifier on the labeled `test` split, (images, labels)."""
    from . import semi_supervised

    return model.evaluate(semi_supervised.scoring_batches(*test), verbose=0, return_dict=True)["accuracy"]


def _best_checkpoint(variant, best, test):
    """run.json's record of the checkpoint `best` (a `callbacks.BestCheckpoint`) holds: its epoch, its
    val_accuracy and its accuracy on the test split; {} when it holds none."""
    if best.best_epoch is None or not os.path.isfile(best.filepath):
        return {}
    return {"best_epoch": best.best_epoch, "best_val_accuracy": float(best.best),
            "best_test_accuracy": float(_test_accuracy(variant.load(best.filepath), test))}


def _stopped(args, stop, model, dataset, checkpoint, initial_epoch, finite):
    """After a signal: save where the run got to (unless its last metrics were not finite: then the last good
    checkpoint stays), say how to go on, and exit 128 + the signal's number, as a shell reports it."""
    from . import atomic

    if finite:
        atomic.save_model(model, checkpoint)
    step = int(model.step_counter.numpy())
    if not os.path.isfile(checkpoint):
        print(f"Stopped by {stop.name} at step {step}; no checkpoint with finite metrics was written, so there is "
              f"nothing to resume.", file=sys.stderr)
        return 128 + stop.received
    saved = f"checkpoint {checkpoint}" if finite else f"the last good checkpoint {checkpoint} (metrics were not finite)"
    try:
        remaining = max(1, initial_epoch + args.epochs - completed_epochs(model, dataset, args.steps_per_epoch))
    except ValueError:  # data of unknown length and no --steps-per-epoch: --resume will say so itself
        remaining = args.epochs
    # The options left out are the run's (run.json): --out and --resume say all there is to say.
    command = shlex.join(["keras-gans", "train", args.variant, "--out", args.out, "--resume",
                          "--epochs", str(remaining)])
    print(f"Stopped by {stop.name} at step {step}; kept {saved}. Continue with: {command}", file=sys.stderr)
    return 128 + stop.received


# ----------------------------------------------------------------------------------------- baseline
def baseline(args):
    """The baseline command: the supervised-only baseline of `train VARIANT --labeled-per-class N` with the same
    --seed (`semi_supervised.supervised_baseline`); prints it and, with --json, writes it."""
    from . import atomic, semi_supervised

    game = semi_supervised.classifying_game(args.variant)  # the cheapest check that can fail comes first
    if args.json:
        _check_output_file(args.json, "--json")
    options = dict(args.options)
    _check_set_options(options, game)
    result = semi_supervised.supervised_baseline(
        args.variant, args.labeled_per_class, seed=args.seed, epochs=args.epochs,
        validation_per_class=args.validation_per_class, patience=args.patience, dataset=args.dataset,
        data_dir=args.data_dir, batch_size=args.batch_size, learning_rate=args.learning_rate,
        architecture=args.architecture, options=options,
        verbose=args.verbose if args.verbose == "auto" else int(args.verbose))
    print(semi_supervised.format_baseline(result))
    if args.json:
        atomic.write_json(result, args.json, indent=2)
        print(f"Written to {args.json}")
    return 0


# ------------------------------------------------------------------------------------------- sample
def _grid_size(args, model):
    """(images the grid of `args` draws from `model`, the options that ask for them)."""
    rows = model.condition_classes()
    if args.interpolate:
        return args.interpolate * args.steps, "--interpolate x --steps"
    if args.traverse is not None:
        return (rows or 1) * args.steps, "--steps"
    if args.nearest:
        return 2 * args.n, "--n"
    if rows is None:
        return args.n, "--n"
    return rows * (args.columns or max(1, args.n // rows)), "--n / --columns"


def sample(args):
    from . import data, sampling
    from .base import GANModel
    from .images import save_grid

    _check_output_file(args.out, "--out", create_directory=True)
    # sample's --dataset has a default: only one that differs from it can have been given.
    _check_images_option(args, {**({"dataset": "--dataset"} if args.dataset != "fashion_mnist" else {}),
                                **({"data_dir": "--data-dir"} if args.data_dir else {})})
    given = [FLAGS[key] for key in FOLDER_OPTIONS if getattr(args, key) is not None]
    if (args.images or given) and not args.nearest:
        raise ValueError(f"{', '.join((['--images'] if args.images else []) + given)}: the training images are "
                         f"read for --nearest only; add --nearest or leave them out.")
    _check_folder_options(args, [key for key in FOLDER_OPTIONS if getattr(args, key) is not None])
    model = GANModel.load(args.checkpoint)
    count, options = _grid_size(args, model)
    _check_memory(count, model.image_shape, options)
    if args.interpolate:
        images, columns = sampling.interpolation_grid(model, rows=args.interpolate, steps=args.steps,
                                                      seed=args.seed), args.steps
    elif args.traverse is not None:
        images, columns = sampling.code_traversal_grid(model, code=args.traverse, steps=args.steps,
                                                       seed=args.seed), args.steps
    elif args.nearest:
        if args.images:  # read at the checkpoint's size and colour: the pairs are compared pixel by pixel
            height, width, channels = model.image_shape
            train_images = _read_images(args.images, image_size=args.image_size or (height, width),
                                        color_mode=args.color_mode or ("grayscale" if channels == 1 else "rgb"),
                                        crop=args.crop, cache=args.cache)[0]
        else:
            train_images = _read_dataset(args, "train")[0]
        train_images = data.to_model_range(data.check_images(train_images, image_shape=model.image_shape))
        images, distances = sampling.nearest_neighbour_grid(model.generate(args.n, seed=args.seed), train_images)
        columns = args.columns or 2 * max(1, int(round((args.n / 2) ** 0.5)))
        columns += columns % 2  # pairs: a sample, then its nearest training image
        print(f"Mean L2 distance to the nearest training image: {distances.mean():.2f}")
    else:
        images, columns = sampling.sample_grid(model, args.n, args.columns, args.seed)
    print(save_grid(images, args.out, columns))
    return 0


# ----------------------------------------------------------------------------------------- evaluate
def _check_classifier(classifier, path):
    """A .keras file of another kind given as --classifier: one line, not a failure deep in the metrics."""
    from .base import GANModel

    if isinstance(classifier, GANModel):
        raise ValueError(f"--classifier {path!r} is a GAN checkpoint ({type(classifier).__name__}), not a quality "
                         f"classifier; pass that as CHECKPOINT, and as --classifier the file of `keras-gans evaluate "
                         f"--train-classifier` (or leave --classifier out).")
    if not getattr(classifier, "inputs", None) or len(classifier.outputs) != 1:
        raise ValueError(f"--classifier {path!r} is not a quality classifier (a Keras model from images to class "
                         f"probabilities); make one with `keras-gans evaluate --train-classifier`.")


# The images the quality classifier of `evaluate --train-classifier` reads: Fashion-MNIST's.
QUALITY_CLASSIFIER_SHAPE = (28, 28, 1)


def _check_classifier_shape(shape, expected, args):
    """Images of another shape than the quality classifier's cannot be judged by it: one line that says so."""
    if tuple(shape) == tuple(expected):
        return
    what = f"--samples {args.samples!r} holds" if args.samples else f"{args.checkpoint!r} makes"
    raise ValueError(f"{what} images of shape {'x'.join(map(str, shape))}, and the quality classifier is for "
                     f"{'x'.join(map(str, expected))} images only; leave out --classifier to judge these on "
                     f"Inception-v3 features.")


def _evaluate_on_inception(args, samples, model, shape, dataset_given):
    """evaluate for images the Fashion-MNIST classifier cannot read (colour, other sizes, your own folder):
    the standard FID, KID, precision/recall and density/coverage on Inception-v3 features, against the real
    images of --images or --dataset's test split, read at the samples' size and colour."""
    import numpy as np

    from . import atomic
    from .evaluation import evaluate as evaluation
    from .evaluation.inception import InceptionUnavailable

    if args.parzen:
        raise ValueError("--parzen is the GAN paper's Fashion-MNIST protocol; leave it out for these images.")
    if not args.images and not dataset_given:
        raise ValueError(f"{'x'.join(map(str, shape))} images are judged against real images of their kind: pass "
                         f"--images PATH (the folder the model was trained on) or --dataset NAME (its test split).")
    convert = {"image_size": args.image_size or tuple(shape[:2]),
               "color_mode": args.color_mode or ("grayscale" if shape[2] == 1 else "rgb"), "crop": args.crop}
    if args.images:
        real = _read_images(args.images, cache=args.cache, **convert)[0]
    else:
        real = _read_dataset(args, args.split, **convert)[0]
    rows = np.random.default_rng(args.seed).choice(len(real), min(args.n, len(real)), replace=False)
    if samples is None:
        samples = evaluation.generate_for_evaluation(model, args.n, args.seed)[0]
    print(f"Judging {len(samples)} samples against {len(rows)} real images on Inception-v3 features (slow on a CPU) "
          f"...")
    try:
        results = evaluation.evaluate_on_inception(samples, np.asarray(real)[np.sort(rows)], seed=args.seed,
                                                   weights=args.inception_weights or "imagenet")
    except InceptionUnavailable as error:
        raise RuntimeError(f"{'x'.join(map(str, shape))} images are judged on Inception-v3 features, and {error}; "
                           f"run once with internet access (the weights are kept in ~/.keras/models) or pass "
                           f"--inception-weights FILE.h5 (InceptionV3 without its top).") from None
    print(f"keras-gans evaluate {args.samples or args.checkpoint} against "
          f"{args.images or f'{args.dataset} ({args.split} split)'}")
    print(evaluation.format_inception_results(results))
    if args.json:
        atomic.write_json(results, args.json, indent=2)
    return 0


def _load_samples(path):
    """The samples of a .npy file, for evaluate --samples: one clear error for anything else."""
    import numpy as np

    if not os.path.isfile(path):
        raise FileNotFoundError(f"--samples: no file at {path!r}.")
    try:
        samples = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise ValueError(f"--samples {path!r} is not a .npy array ({error}).") from None
    if samples.ndim != 4 or not len(samples):
        raise ValueError(f"--samples {path!r} holds an array of shape {samples.shape}; evaluate takes images "
                         f"(n, height, width, channels).")
    return samples


def evaluate(args):
    """Optionally train and cache the quality classifier, then judge CHECKPOINT's samples against the real test
    set: print the numbers and, with --json, write them."""
    from . import atomic, data
    from .base import GANModel
    from .evaluation import classifier as classifiers, evaluate as evaluation

    if args.json:
        _check_output_file(args.json, "--json")
    _check_images_option(args, {key: FLAGS[key] for key in ("dataset", "data_dir") if getattr(args, key)})
    dataset_given, args.dataset = args.dataset is not None, args.dataset or "fashion_mnist"
    classifier = None
    if args.train_classifier:
        path = args.classifier or classifiers.default_path(args.dataset)
        print(f"Training the quality classifier on the real {args.dataset} training set "
              f"({args.classifier_epochs} epochs) ...")
        classifier, info = classifiers.train_classifier(dataset=args.dataset, data_dir=args.data_dir,
                                                        epochs=args.classifier_epochs, path=path)
        print(f"Quality classifier: test accuracy {100 * info['test_accuracy']:.2f}%, trained in "
              f"{info['seconds']:.0f} s, saved to {info['path']} (this command judges with it; later ones take it "
              f"with --classifier {info['path']}, else the package's own)")
    if args.samples and (args.checkpoint or args.parzen or args.last_weights):
        raise ValueError("--samples scores a file of samples: pass it without a CHECKPOINT, --parzen and "
                         "--last-weights.")
    if args.checkpoint is None and not args.samples:
        if args.train_classifier:
            return 0
        raise ValueError("evaluate needs a CHECKPOINT (a .keras file from `keras-gans train`), --samples FILE.npy, "
                         "or --train-classifier to train the quality classifier.")
    if args.samples:
        samples = _load_samples(args.samples)
    else:
        model = GANModel.load(args.checkpoint)
        _check_memory(args.n, model.image_shape, "--n")
        if args.last_weights:
            if not model.ema_weights:
                raise ValueError(f"--last-weights compares with G's moving average, and {args.checkpoint} keeps none "
                                 f"(trained with ema=None): its samples come from G's last weights already; leave "
                                 f"out --last-weights.")
            # Every way to sample reads the averages from `ema_weights`; without them it runs the generator itself.
            # This loaded copy is only sampled from, never trained or saved.
            model.ema_weights = []
    shape = tuple(samples.shape[1:]) if args.samples else tuple(model.image_shape)
    if args.classifier is None and (args.images or shape != QUALITY_CLASSIFIER_SHAPE):
        return _evaluate_on_inception(args, samples if args.samples else None, None if args.samples else model, shape,
                                      dataset_given)
    if args.images:
        raise ValueError("--images gives the real images of the Inception path, for models the quality classifier "
                         "cannot judge; leave out --classifier, or --images.")
    if args.split != "test":
        raise ValueError("--split chooses the real images of the Inception path; the quality classifier always "
                         "compares with the test split.")
    if args.inception_weights and not args.inception:
        raise ValueError("--inception-weights is for the Inception FID: add --inception.")
    if classifier is None:
        classifier = classifiers.load_classifier(args.classifier, args.dataset, train_if_missing=args.auto_train,
                                                 data_dir=args.data_dir, epochs=args.classifier_epochs)
        _check_classifier(classifier, classifiers.classifier_path(args.classifier, args.dataset))
    _check_classifier_shape(shape, tuple(classifier.inputs[0].shape[1:]), args)
    # True for the ImageNet weights, or the weights file to load instead.
    inception = args.inception and (args.inception_weights or True)
    if inception:
        print("Computing the Inception FID too (slow on a CPU) ...")
    if args.samples:
        results = evaluation.evaluate_samples(samples, classifier=classifier, seed=args.seed, dataset=args.dataset,
                                              data_dir=args.data_dir, inception=inception)
        results.pop("probabilities")
        print(f"keras-gans evaluate --samples {args.samples} ({len(samples)} samples)")
    else:
        results = evaluation.evaluate_model(model, n=args.n, classifier=classifier, seed=args.seed,
                                            dataset=args.dataset, data_dir=args.data_dir, inception=inception)
        source = ", from G's last weights" if args.last_weights else ""
        print(f"keras-gans evaluate {args.checkpoint} ({type(model).__name__}{source})")
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
        atomic.write_json(results, args.json, indent=2)
    return 0


# ------------------------------------------------------------------------------------------- plot
def plot(args):
    from .plots import plot_history

    history = os.path.join(args.run_dir, "history.csv")
    if not os.path.isfile(history):
        raise FileNotFoundError(f"No history.csv in {args.run_dir!r}: plot takes the --out directory of a "
                                f"`keras-gans train` run.")
    print(plot_history(history, os.path.join(args.run_dir, "curves.png")))
    return 0


# -------------------------------------------------------------------------------------- bench, toy
def bench(args):
    from . import bench as benchmark
    from .variants import VARIANTS

    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        raise ValueError(f"Unknown variant(s) {', '.join(unknown)}; choose from {', '.join(sorted(VARIANTS))}.")
    if args.json_path:
        _check_output_file(args.json_path, "--json", create_directory=True)
    if args.steps_per_epoch and not args.epoch:
        raise ValueError("--steps-per-epoch limits the epoch that --epoch times; add --epoch.")
    xla = {"both": (True, False), "on": (True,), "off": (False,)}[args.xla]
    precisions = ("float32", "bf16") if args.precision == "both" else (args.precision,)
    if args.profile:
        return _profile(args, benchmark, precisions)
    rows = benchmark.run(args.variants or None, batch_size=args.batch_size, steps=args.steps, warmup=args.warmup,
                         xla=xla, precisions=precisions, compare_torch=args.compare_torch, dataset=args.dataset,
                         data_dir=args.data_dir, architecture=args.architecture, epoch=args.epoch,
                         epoch_steps=args.steps_per_epoch)
    print(benchmark.format_summary(rows))
    if args.json_path:
        print(f"Rows written to {benchmark.write_json(rows, args.json_path)}")
    failed = [row for row in rows if row.get("error")]
    if failed:
        print(f"keras-gans bench: {len(failed)} run(s) failed: "
              f"{'; '.join(row['variant'] + ' ' + row['precision'] + ': ' + row['error'] for row in failed)}",
              file=sys.stderr)
        return 1
    return 0


def _profile(args, benchmark, precisions):
    """bench --profile: where a step's time goes, per variant and precision (XLA on)."""
    from . import atomic, data
    from .variants import VARIANTS

    if args.compare_torch or args.epoch or args.xla == "off":
        raise ValueError("--profile looks inside our XLA steps: leave out --compare-torch, --epoch and --xla off.")
    images, labels = data.load_arrays(args.dataset, "train", args.data_dir)
    images = data.check_images(images)
    profiles = []
    for variant in args.variants or list(VARIANTS):
        for precision in precisions:
            profile = benchmark.profile_variant(variant, images, labels, dataset=args.dataset,
                                                data_dir=args.data_dir, batch_size=args.batch_size,
                                                steps=args.steps, precision=precision,
                                                architecture=args.architecture)
            profiles.append(profile)
            print(benchmark.format_profile(profile), flush=True)
    if args.json_path:
        atomic.write_json({"profiles": profiles, "categories": {name: what for name, _, what in
                                                                benchmark.PROFILE_CATEGORIES}},
                          args.json_path, indent=2)
        print(f"Profiles written to {args.json_path}")
    return 0


def toy(args):
    from . import toy as experiment
    from .variants import VARIANTS

    options = dict(args.options)
    _check_set_options(options, VARIANTS[args.variant], TOY_OWN_OPTIONS)
    result = experiment.run(args.variant, args.dataset, steps=args.steps, batch_size=args.batch_size,
                            latent_dim=args.latent_dim, n_samples=args.n, seed=args.seed, out=args.out,
                            plot_every=args.plot_every, size=args.size, options=options)
    print(experiment.format_result(result))
    print(f"Scatter plot: {result['png']}")
    return 0


def _one_line(error):
    """An exception as one line: its message (a KeyError's without the quotes repr gives it), lines joined;
    exceptions a user's input is not expected to cause also name their type."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    text = " ".join(line.strip() for line in text.splitlines() if line.strip()) or type(error).__name__
    if not isinstance(error, (ValueError, OSError, RuntimeError, KeyError, TypeError)):
        text = f"{type(error).__name__}: {text}"
    return f"{text} {DEBUG_HINT}" if not isinstance(error, (ValueError, OSError)) else text


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit:  # --help (0), or a usage error already printed as one line (2)
        return exit.code
    try:
        return args.run(args)
    except KeyboardInterrupt:  # outside `train`, which stops cleanly by itself
        if args.debug:
            raise
        print(f"keras-gans {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(f"keras-gans {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
