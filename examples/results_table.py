"""Train every registered variant for E epochs on Fashion-MNIST, evaluate it, and write the results table.

    python examples/results_table.py --epochs 25        # writes docs/results.md and docs/results/VARIANT.png

Each variant in `keras_gans.VARIANTS` (whatever is registered when this runs) is built with its default
architecture and optimizers, trained on the real training set with batch 64 per discriminator update
(catGAN and SGAN semi-supervised, with --labeled-per-class labeled images of each class), timed, and judged
with `keras_gans.evaluation.evaluate.evaluate_model` against the real test set: classifier-FID, KID, an
IS-style score, class coverage and the variant's own numbers (accuracy of the requested class, purity of c1,
test error of its classifier). A variant that fails gets a row with its error; the others still run.
For a quick end-to-end check: --epochs 1 --steps-per-epoch 2 --n 500 --architecture mlp --out /tmp/table.

Long tables are not lost: each finished variant's numbers and checkpoint go to --runs (default
runs/results_table) as NAME.json and NAME.keras, and a rerun with the same settings reuses them and trains only
what is missing (--rerun trains everything again). --update trains only the --variants and --references named
and keeps every other row of OUT/results.json that was made under the same settings (the budget, the
classifier's weights, the variant's untrained configuration and optimizers), saying which command made it: a
changed default retrains one row, not the table. --references gan,lsgan,wgan_gp,dragan adds rows for the
PyTorch reference games of `keras_gans.torch_baseline` (same networks, batch and optimizer, trained for the same
epochs; needs torch), whose samples are scored as `keras-gans evaluate --samples` scores them.
"""
import argparse
import hashlib
import json
import os
import platform
import shlex
import sys
import time
import traceback

import keras
import numpy as np

import keras_gans
from keras_gans import atomic
from keras_gans.evaluation import classifier as classifiers
from keras_gans.evaluation import evaluate
from keras_gans.evaluation.likelihood import parzen_evaluation


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of every epoch."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def machine():
    """One line about where this ran: CPU model and count, OS, accelerators, library versions."""
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return (f"{cpu}, {os.cpu_count()} CPU cores, {'GPUs: ' + ', '.join(gpus) if gpus else 'no GPU'}; "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, TensorFlow "
            f"{tf.__version__}, Keras {keras.__version__}")


def build_variant(variant, train, args):
    """`variant` with its defaults (or --architecture) for the training images, seeded. Keras' session is
    cleared first, so that layer names, which count the models built before, are the same in every build and
    `variant_settings` can compare configurations across runs."""
    images, labels = train
    keras.backend.clear_session()
    keras.utils.set_random_seed(args.seed)
    options = {"architecture": args.architecture} if args.architecture else {}
    return variant.for_data(images, labels, seed=args.seed, **options)


def train_variant(name, variant, train, args):
    """Build `variant` with its defaults, train it; returns (model, seconds per epoch, seconds in all)."""
    images, labels = train
    model = build_variant(variant, train, args)
    model.compile(jit_compile=False if args.no_xla else "auto")
    dataset = variant.training_dataset(images, labels, args.batch_size,
                                       args.labeled_per_class if variant.label_mode == "semi_supervised" else None,
                                       args.seed)
    timer = EpochTimer()
    model.fit(dataset, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, verbose=args.verbose,
              callbacks=[keras_gans.callbacks.TerminateOnNaN(), timer])
    # The first epoch includes tracing and XLA compilation: leave it out when there are others.
    per_epoch = float(np.mean(timer.seconds[1:] if len(timer.seconds) > 1 else timer.seconds))
    return model, per_epoch, float(sum(timer.seconds))


def _digest(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def weights_digest(model):
    """sha256 of a model's weights: the same for two files that hold the same network, whenever they were saved
    (a .keras file also records when it was written)."""
    digest = hashlib.sha256()
    for weights in model.get_weights():
        digest.update(np.ascontiguousarray(weights).tobytes())
    return digest.hexdigest()


def variant_settings(name, args, train):
    """What a variant's numbers depend on: the table's budget and evaluation, the classifier file, and the
    untrained model's own configuration and optimizers (so a changed default is never served from an old run)."""
    model = build_variant(keras_gans.VARIANTS[name], train, args)
    budget = {key: getattr(args, key) for key in ("epochs", "steps_per_epoch", "batch_size", "n", "architecture",
                                                  "labeled_per_class", "data_dir", "no_xla", "parzen", "seed")}
    return {**budget, "classifier": args.classifier_digest,
            "model": _digest([model.get_config()] + [o.get_config() for o in model.default_optimizers()])}


def reference_settings(game, args):
    """What a PyTorch reference row depends on: the budget, the classifier file and the reference game."""
    from keras_gans import torch_baseline

    return {"epochs": args.epochs, "n": args.n, "data_dir": args.data_dir, "seed": args.seed,
            "classifier": args.classifier_digest, "game": torch_baseline.GAMES[game]}


def reference_game(key):
    """The PyTorch reference game a table row's key names (torch_GAME), or None for a row of ours."""
    return key.removeprefix("torch_") if key.startswith("torch_") else None


def settings_of(key, args, train):
    """The current settings of a table row, ours (a variant's name) or a reference (torch_GAME), as JSON keeps
    them (lists, not tuples), so that settings read back from a kept run or row compare equal."""
    game = reference_game(key)
    settings = reference_settings(game, args) if game else variant_settings(key, args, train)
    return json.loads(json.dumps(settings))


def kept_rows(args, keys, train):
    """With --update: the rows of OUT/results.json other than `keys` that were made under the settings they would
    get now, as {key: (numbers, settings, made_by)}; a row made otherwise is dropped, and said so."""
    path = os.path.join(args.out, "results.json")
    if not args.update or not os.path.exists(path):
        return {}
    with open(path) as f:
        old = json.load(f)
    # Rows scored by another quality classifier (one trained on another machine: the same seeded command gives
    # other weights there) would all be dropped; refuse instead of writing a table of the named rows alone.
    others = {settings.get("classifier") for key, settings in old.get("settings", {}).items() if key not in keys}
    others.discard(args.classifier_digest)
    if others:
        used = args.classifier or "the package's own"
        raise ValueError(f"--update: the rows of {path} were scored by another quality classifier than "
                         f"{used} (weights sha256 {args.classifier_digest[:12]}, not "
                         f"{', '.join(sorted(d[:12] for d in others if d))}): pass theirs with --classifier, or "
                         "remake every row without --update")
    kept = {}
    for key, numbers in old.get("variants", {}).items():
        if key in keys:
            continue
        if (reference_game(key) or key) in keras_gans.VARIANTS:
            try:
                settings = settings_of(key, args, train)
            except ImportError:  # a reference row, and no torch here to tell its settings
                settings = None
            if settings is not None and old.get("settings", {}).get(key) == settings:
                kept[key] = (numbers, settings, old["made_by"][key])
                continue
        print(f"{key}: the row in {path} was made under other settings (a changed default, budget or classifier): "
              f"dropped; add it to --variants or --references to remake it", flush=True)
    return kept


def reuse_or_run(key, args, settings, artefact, run):
    """The numbers of RUNS/KEY.json when it was made with `settings` and its `artefact` (checkpoint or samples)
    is there; else `run()` (which writes the artefact) and its numbers, kept in RUNS/KEY.json. The old JSON is
    removed before `run()`, so a run killed half-way is never paired with another run's numbers."""
    path = os.path.join(args.runs, f"{key}.json")
    if not args.rerun and os.path.exists(path) and os.path.exists(artefact):
        with open(path) as f:
            kept = json.load(f)
        if kept.get("settings") == settings:
            print(f"{key}: reusing {path}", flush=True)
            return kept["results"]
    if os.path.exists(path):
        os.remove(path)
    results = run()
    atomic.write_json({"settings": settings, "results": results}, path, indent=2)
    return results


def run_variant(name, args, train, test, classifier, grid_path, settings):
    """Train and evaluate one variant of ours (or reuse its finished run in --runs, if made under `settings`, the
    row's `settings_of`); returns its numbers."""
    checkpoint = os.path.join(args.runs, f"{name}.keras")

    def run():
        model, per_epoch, seconds = train_variant(name, keras_gans.VARIANTS[name], train, args)
        atomic.save_model(model, checkpoint)
        results = evaluate.evaluate_model(model, n=args.n, classifier=classifier, real_test=test, real_train=train,
                                          seed=args.seed)
        results.update(seconds_per_epoch=per_epoch, train_seconds=seconds)
        if args.parzen:
            parzen = parzen_evaluation(model, train[0], test[0], n=args.n, seed=args.seed)
            results.update(parzen=parzen["mean"], parzen_se=parzen["std_error"], parzen_sigma=parzen["sigma"])
        return results

    results = reuse_or_run(name, args, settings, checkpoint, run)
    images, _ = evaluate.generate_for_evaluation(keras.saving.load_model(checkpoint), 100, args.seed)
    keras_gans.images.save_grid(images, grid_path, columns=10)
    return results


def run_reference(game, args, train, test, classifier, grid_path, settings):
    """Train the PyTorch reference `game` for the table's epochs (or reuse its finished run in --runs, if made
    under `settings`, the row's `settings_of`), write
    its samples to RUNS/torch_GAME.npy and score them as `keras-gans evaluate --samples` does."""
    from keras_gans import torch_baseline

    samples_path = os.path.join(args.runs, f"torch_{game}.npy")

    def run():
        start = time.perf_counter()
        images = torch_baseline.load_images(args.data_dir or torch_baseline.FASHION_MNIST)
        generator = torch_baseline.train(game, args.epochs, images, seed=args.seed)
        seconds = time.perf_counter() - start
        samples = torch_baseline.generate(generator, args.n, args.seed)
        with atomic.atomic_write(samples_path) as f:
            np.save(f, samples)
        results = evaluate.evaluate_samples(samples, classifier=classifier, real_test=test, real_train=train,
                                            seed=args.seed)
        results.pop("probabilities")  # per-sample class probabilities: not a table figure
        # No compilation to leave out: every epoch counts, and reading the images.
        results.update(seconds_per_epoch=seconds / args.epochs, train_seconds=seconds)
        return results

    results = reuse_or_run(f"torch_{game}", args, settings, samples_path, run)
    keras_gans.images.save_grid(np.load(samples_path)[:100], grid_path, columns=10)
    return results


def _row(name, r, grid):
    if "error" in r:
        return f"| {name} | failed: {r['error']} | | | | | | | |"
    own = []
    if "conditional_accuracy" in r:
        own.append(f"requested-class accuracy {100 * r['conditional_accuracy']:.1f}%")
    if "purity" in r:
        own.append(f"c1 purity {100 * r['purity']:.1f}%")
    if "classifier_test_error" in r:
        own.append(f"classifier test error {100 * r['classifier_test_error']:.1f}% "
                   f"(clusters {100 * r['cluster_error']:.1f}%)")
    if "parzen" in r:
        own.append(f"Parzen log-likelihood {r['parzen']:.0f} ± {r['parzen_se']:.0f} nats (sigma {r['parzen_sigma']:.2f})")
    names = evaluate.FASHION_MNIST_CLASSES
    under = ", ".join(names[c] if len(r["coverage"]) == 10 else str(c) for c in r["classes_under_5pct"]) or "none"
    return (f"| {name} | {r['fid']:.2f} | {1000 * r['kid']:.2f} ± {1000 * r['kid_se']:.2f} | "
            f"{r['classifier_score']:.2f} | {r['covered_classes']}/{len(r['coverage'])} | {under} | "
            f"{'; '.join(own) or '—'} | {r['seconds_per_epoch']:.1f} | [grid]({grid}) |")


def toy_section(directory):
    """The mode-coverage results of `examples/toy_table.py` (its toy.md in `directory`), as a section."""
    toy = os.path.join(directory, "toy.md")
    text = open(toy).read().replace("# Mode coverage", "## Mode coverage", 1) if os.path.exists(toy) else \
        "## Mode coverage on the toy mixtures\n\nNot measured yet: run `python examples/toy_table.py`.\n"
    return (text + "\nThe 1-D example, the latent walk and the linear probe of a "
            "trained discriminator are in the README.\n")


def stabiliser_section(directory):
    """The stabiliser comparison of `examples/stabiliser_table.py` (its stabilisers.md in `directory`), as a
    section; nothing when it has not been measured."""
    path = os.path.join(directory, "stabilisers.md")
    return open(path).read().replace("# Stabilisers", "## Stabilisers", 1) + "\n" if os.path.exists(path) else ""


def labels_section(directory):
    """What labels and latent codes buy, from `examples/labels_table.py` (its labels.md in `directory`), as a
    section; nothing when it has not been measured."""
    path = os.path.join(directory, "labels.md")
    return open(path).read().replace("# Labels", "## Labels", 1) + "\n" if os.path.exists(path) else ""


def kept_note(made_by, keys):
    """One sentence per earlier command whose rows this table kept (--update)."""
    groups = {}
    for key in keys:
        groups.setdefault((made_by[key]["command"], made_by[key]["machine"]), []).append(key)
    return "".join(f" Rows kept from an earlier run under the same settings (`--update`): {', '.join(group)}, made "
                   f"with `{command}` on: {machine_line}." for (command, machine_line), group in groups.items())


def write_markdown(path, rows, args, machine_line, floor, classifier_accuracy, command, references=(), kept=""):
    lines = [
        "# Results: every variant after the same training on Fashion-MNIST", "",
        f"Made with `{command}` ({args.epochs} epoch(s)"
        f"{f' of {args.steps_per_epoch} generator steps' if args.steps_per_epoch else ''}, "
        f"batch {args.batch_size or 'of each game (64; BEGAN 16)'} "
        f"per discriminator update, "
        f"{f'{args.architecture} networks for all' if args.architecture else 'default networks'} and default "
        f"optimizers, seed {args.seed}) on: {machine_line}.{kept}",
        "",
        f"Quality is measured on {args.n} samples per variant against the {floor['num_real_test']} real test images "
        f"with the features of the package's Fashion-MNIST classifier (test accuracy "
        f"{100 * classifier_accuracy:.2f}%; weights sha256 {args.classifier_digest[:12]}): classifier-FID (lower is "
        f"better), KID x 10^3 with its standard error, the IS-style score (at most 10), and how many classes get at "
        f"least 5% of the samples. Semi-supervised variants (catGAN, SGAN) train with "
        f"{f'{args.labeled_per_class} labeled images per class' if args.labeled_per_class else 'no labels'}; "
        f"their classifier's test error is also given after mapping each predicted class to its majority label "
        f"(clusters). The sanity floor compares {args.n} real training images with the test set. "
        f"Seconds per epoch leave out the first epoch (tracing, XLA compilation) when there are several; "
        f"other jobs may have shared the machine. Any variant: `keras-gans evaluate CHECKPOINT --n {args.n}`."
        + (" Rows named *(PyTorch reference)* are `keras_gans.torch_baseline`'s game of that name (the same "
           "infoGAN-paper networks, batch 64 and optimizer as ours) trained for the same epochs with the same seed "
           f"(`python -m keras_gans.torch_baseline GAME --train {args.epochs} --seed {args.seed} --n {args.n} "
           "--samples FILE.npy`; their seconds per epoch count every epoch), its samples "
           "scored as `keras-gans evaluate --samples FILE.npy` scores them." if references else "")
        + (" The Parzen window log-likelihood (the GAN paper's protocol: pixels in [0, 1], sigma chosen on 10,000 "
           "real training images, mean over the real test set) is known to be unreliable in 784 dimensions; it is "
           "given only to compare with papers that report it." if args.parzen else ""), "",
        "| variant | classifier-FID | KID x 10³ | IS-style | classes ≥ 5% | classes under 5% | own numbers | "
        "s / epoch | samples |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| *real train vs test (floor)* | {floor['real_fid']:.2f} | {1000 * floor['real_kid']:.2f} ± "
        f"{1000 * floor['real_kid_se']:.2f} | {floor['real_classifier_score']:.2f} (test) | | | | | |",
    ]
    lines += [_row(name, r, grid) for name, r, grid in rows]
    directory = os.path.dirname(path)
    lines += ["", labels_section(directory) + stabiliser_section(directory) + toy_section(directory)]
    atomic.write_text(path, "\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps-per-epoch", type=int, help="generator steps per epoch (default: the whole set)")
    parser.add_argument("--batch-size", type=int, help="default: each game's own (64; BEGAN 16)")
    parser.add_argument("--n", type=int, default=10000, help="samples to evaluate per variant")
    parser.add_argument("--variants", help="comma-separated names (default: every registered variant)")
    parser.add_argument("--architecture", choices=keras_gans.networks.architectures(),
                        help="override every variant's default networks (for quick checks)")
    parser.add_argument("--labeled-per-class", type=int, default=10,
                        help="labeled images per class for the semi-supervised variants (0: unsupervised)")
    parser.add_argument("--classifier", help="quality classifier .keras (default: the package's own)")
    parser.add_argument("--data-dir", help="directory with Fashion-MNIST IDX files (default: the usual sources)")
    parser.add_argument("--out", default="docs", help="writes OUT/results.md, OUT/results.json, OUT/results/*.png")
    parser.add_argument("--no-xla", action="store_true", help="train without XLA compilation")
    parser.add_argument("--parzen", action="store_true",
                        help="also the GAN paper's Parzen window log-likelihood of the test set (n samples)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2)
    parser.add_argument("--runs", default=os.path.join("runs", "results_table"),
                        help="each finished variant's numbers and checkpoint go here; a rerun reuses them")
    parser.add_argument("--rerun", action="store_true", help="train every variant again, ignoring --runs")
    parser.add_argument("--update", action="store_true",
                        help="train only --variants and --references; keep the other rows of OUT/results.json that "
                             "were made under the same settings")
    parser.add_argument("--references", default="",
                        help="comma-separated PyTorch reference games (keras_gans.torch_baseline: gan, lsgan, "
                             "wgan_gp, dragan, dcgan) trained for the same epochs, as rows beside ours")
    args = parser.parse_args(argv)
    command = "python examples/results_table.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))

    # Every variant by default; with --update only those named (--update --references gan remakes one row).
    names = args.variants.split(",") if args.variants else [] if args.update else list(keras_gans.VARIANTS)
    unknown = [name for name in names if name not in keras_gans.VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; registered: {', '.join(keras_gans.VARIANTS)}")
    references = [game for game in args.references.split(",") if game]
    if references:
        if args.steps_per_epoch or args.architecture or args.batch_size:
            parser.error("--references train whole epochs with their own networks and batch 64: drop "
                         "--steps-per-epoch, --architecture and --batch-size")
        try:
            from keras_gans.torch_baseline import GAMES
        except ImportError:
            parser.error('--references need PyTorch: pip install "keras-gans[benchmark]"')
        unknown = [game for game in references if game not in GAMES]
        if unknown:
            parser.error(f"no PyTorch reference for {unknown}; it has {', '.join(sorted(GAMES))}")
    os.makedirs(args.runs, exist_ok=True)
    classifier = classifiers.load_classifier(args.classifier)
    # Computed once: every kept run and row is checked against the classifier that judged it.
    args.classifier_digest = weights_digest(classifier)
    train = keras_gans.data.load_arrays("fashion_mnist", "train", args.data_dir)
    test = keras_gans.data.load_arrays("fashion_mnist", "test", args.data_dir)
    machine_line = machine()
    os.makedirs(os.path.join(args.out, "results"), exist_ok=True)
    print(f"{len(names)} variants and {len(references)} references, {args.epochs} epoch(s) each, on {machine_line}",
          flush=True)

    keys = names + [f"torch_{game}" for game in references]
    try:
        kept = kept_rows(args, keys, train)
    except ValueError as error:
        parser.error(str(error))
    # Ours in the registry's order, then the references in the order of the games they mirror.
    order = list(keras_gans.VARIANTS)
    keys = sorted(set(keys) | set(kept), key=lambda key: (reference_game(key) is not None,
                                                          order.index(reference_game(key) or key)))
    rows, numbers, settings, made_by, floor = [], {}, {}, {}, None
    for key in keys:
        game = reference_game(key)
        label, grid = (f"{game} (PyTorch reference)" if game else key), f"results/{key}.png"
        if key in kept:
            results, settings[key], made_by[key] = kept[key]
            print(f"{label}: row kept from {os.path.join(args.out, 'results.json')}", flush=True)
        else:
            try:
                start = time.perf_counter()
                run = run_reference if game else run_variant
                row_settings = settings_of(key, args, train)
                results = run(game or key, args, train, test, classifier, os.path.join(args.out, grid), row_settings)
                settings[key] = row_settings
                made_by[key] = {"command": command, "machine": machine_line}
                print(f"{label}: classifier-FID {results['fid']:.2f}, KID {results['kid']:.4f} ± "
                      f"{results['kid_se']:.4f}, {results['seconds_per_epoch']:.1f} s/epoch "
                      f"({time.perf_counter() - start:.0f} s here)", flush=True)
            except Exception as error:  # one broken variant must not lose the others' rows
                traceback.print_exc()
                results = {"error": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"}
                print(f"{label}: failed ({results['error']})", flush=True)
        if "error" not in results:
            floor = floor or results
        rows.append((label, results, grid))
        numbers[key] = results
    if floor is None:
        print("Every variant failed; no table written.", file=sys.stderr)
        return 1
    write_markdown(os.path.join(args.out, "results.md"), rows, args, machine_line, floor,
                   floor["classifier_test_accuracy"], command, [key for key in keys if reference_game(key)],
                   kept_note(made_by, list(kept)))
    atomic.write_json({"command": command, "machine": machine_line, "epochs": args.epochs, "variants": numbers,
                       "settings": settings, "made_by": made_by}, os.path.join(args.out, "results.json"), indent=2)
    print(f"Wrote {os.path.join(args.out, 'results.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
