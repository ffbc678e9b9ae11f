"""Write docs/labels.md: what labels and latent codes buy, on Fashion-MNIST, each figure made by a `keras-gans` command.

    python examples/labels_table.py                    # trains what is missing into runs/labels, writes docs/labels.md
    python examples/labels_table.py --collect          # writes docs/labels.md from the runs there, trains nothing

Three tables, every cell over --seeds (a seed is also the label draw of a semi-supervised run):

- Semi-supervised classification, for each game of --games and each N of --labeled-per-class: the test accuracy
  of `keras-gans train GAME --labeled-per-class N --epochs E --seed S` (its best.keras, the epoch with the highest
  val_accuracy on the held-out labeled examples; the test split is scored once, after training), beside
  `keras-gans baseline GAME --labeled-per-class N --seed S` (the same discriminator trained as a plain classifier
  on the same labels, early stopping on the same held-out examples).
- Conditional generators (CGAN, ACGAN): the share of 10,000 samples the quality classifier puts in the requested
  class, `keras-gans evaluate` of `keras-gans train GAME --epochs E --seed S`.
- InfoGAN: the purity of c1 against the classes the quality classifier predicts, likewise.

Each run goes to --runs/NAME (its run directory) and NAME.json (the numbers read from it); a rerun skips what is
there, so a stopped table goes on where it stopped. A row this run does not ask for (its table not in --tables, or its
game or labels not in this run's lists) is read from --runs or, where its runs are gone, carried over from the page
as it was, marked with the machine it was made on. examples/results_table.py includes docs/labels.md as a
section of docs/results.md.
"""
import argparse
import glob
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results_table import machine  # noqa: E402

from keras_gans import atomic, cli  # noqa: E402


class OtherBudget(ValueError):
    """A kept run that was trained under other settings than this table's."""


def epochs_trained(run):
    """The epochs a run directory has finished: history.csv's rows (0 without one)."""
    path = os.path.join(run, "history.csv")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return max(0, sum(1 for _ in f) - 1)


def check_budget(run, args):
    """Refuse a kept run directory trained for another budget than this table's: its epochs (any but 0 or this
    table's --epochs: a run stopped part-way is not retrained over silently either), --lr-decay,
    --steps-per-epoch and --architecture (run.json). Nothing to check where there is no run yet."""
    record = _read(os.path.join(run, "run.json"))
    if not record:
        return
    epochs = epochs_trained(run) or args.epochs
    found = {"epochs": epochs, "lr_decay": record.get("lr_decay", "none"),
             "steps_per_epoch": record.get("steps_per_epoch")}
    wanted = {"epochs": args.epochs, "lr_decay": args.lr_decay, "steps_per_epoch": args.steps_per_epoch}
    if args.architecture:
        found["architecture"], wanted["architecture"] = record.get("architecture"), args.architecture
    differ = [f"{key} {found[key]} (this table: {wanted[key]})" for key in wanted if found[key] != wanted[key]]
    if differ:
        raise OtherBudget(f"{run} was trained with {', '.join(differ)}: give this table another --runs, or remove "
                          f"the run to train it again.")


def keras_gans(*argv):
    """Run one `keras-gans` command (in this process: the same code as the console script); raise if it fails."""
    print("$ keras-gans " + " ".join(argv), flush=True)
    code = cli.main(list(argv))
    if code:
        raise RuntimeError(f"keras-gans {' '.join(argv)} exited with {code}")


def train_flags(args):
    """What every training run is given: the budget, and the quick-check options when set."""
    flags = ["--epochs", str(args.epochs), *(["--lr-decay", args.lr_decay] if args.lr_decay != "none" else [])]
    for option in ("steps_per_epoch", "architecture"):
        if getattr(args, option):
            flags += ["--" + option.replace("_", "-"), str(getattr(args, option))]
    return flags + data_flags(args)


def data_flags(args):
    return ["--data-dir", args.data_dir] if args.data_dir else []


def semi_supervised_run(game, per_class, seed, args, train=True):
    """{"baseline": baseline's JSON, "game": run.json} of one label draw, trained unless already there (or unless
    `train` is False or --collect is given)."""
    name = f"{game}_n{per_class}_s{seed}"
    baseline = os.path.join(args.runs, f"baseline_{name}.json")
    run = os.path.join(args.runs, name)
    check_budget(run, args)
    if train and not args.collect:
        if not os.path.exists(baseline):
            keras_gans("baseline", game, "--labeled-per-class", str(per_class), "--seed", str(seed),
                       *(["--architecture", args.architecture] if args.architecture else []), *data_flags(args),
                       "--json", baseline)
        if "best_test_accuracy" not in _read(os.path.join(run, "run.json")):
            keras_gans("train", game, "--labeled-per-class", str(per_class), "--seed", str(seed), *train_flags(args),
                       "--verbose", "2", "--out", run, *(["--overwrite"] if os.path.isdir(run) else []))
    return {"baseline": _read(baseline), "game": _read(os.path.join(run, "run.json"))}


def generator_run(game, seed, args, train=True):
    """`keras-gans evaluate`'s JSON for one seed of a conditional or coded game, trained unless already there (or
    unless `train` is False or --collect is given)."""
    run = os.path.join(args.runs, f"{game}_s{seed}")
    numbers = run + ".json"
    check_budget(run, args)
    if train and not args.collect and not os.path.exists(numbers):
        if epochs_trained(run) != args.epochs:
            keras_gans("train", game, "--seed", str(seed), *train_flags(args), "--verbose", "2", "--out", run,
                       *(["--overwrite"] if os.path.isdir(run) else []))
        keras_gans("evaluate", os.path.join(run, "model.keras"), "--n", str(args.n), *data_flags(args),
                   *(["--classifier", args.classifier] if args.classifier else []), "--json", numbers)
    return _read(numbers)


def _read(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _spread(values):
    """'mean (min-max)' in percent, or the one value."""
    values = 100 * np.asarray(values)
    return f"{values.mean():.1f}" + (f" ({values.min():.1f}-{values.max():.1f})" if len(values) > 1 else "")


# Marks of rows carried over from the page as it was, one per machine such rows were made on: the footnote names it.
MARKS = ("\u2020", "\u2021", "\u00a7", "\u00b6")


def previous_page(path):
    """The page at `path` as it stands, for the rows a remade page carries over: {table header: [(row without its
    mark, the machine it was made on)]}. An unmarked row was made on the machine named at the top of the page, a
    marked one on the machine its mark's footnote names."""
    if not os.path.exists(path):
        return {}
    text = open(path).read()
    page_machine = re.search(r"\) on: (.+?)\. Each figure", text)
    footnotes = dict(re.findall(r"Rows marked (\S+) are carried over from the page as it was, made on: (.+?)\. "
                                r"Their runs", text))
    rows, header = {}, None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
        elif header is None:
            header = line
        elif not line.startswith("|---"):
            cells = line.split("|")
            name, _, mark = cells[1].strip().partition(" ")
            made_on = footnotes.get(mark) if mark else page_machine and page_machine.group(1)
            cells[1] = f" {name} "
            rows.setdefault(header, []).append(("|".join(cells), made_on or "a machine the page does not name"))
    return rows


def rows_to_show(header, requested, key_of, args):
    """The keys of the rows of the table under `header`: those this run asks for, then those of the page as it was
    that it does not ask for and that were run (`key_of` reads one from a row's cells), in the order of their first
    cell and then the rest of the key."""
    kept = [key_of(row.split("|")) for row, _ in args.previous.get(header, []) if "| not run yet |" not in row]
    keys = list(requested) + [key for key in kept if key not in requested]
    first = list(dict.fromkeys(key[0] for key in keys))
    return sorted(dict.fromkeys(keys), key=lambda key: (first.index(key[0]), key[1:]))


def carried_row(header, cells, args):
    """The page's row as it was in the table under `header` whose first cells are `cells`, marked with the machine
    it was made on; None where the page has none."""
    for row, made_on in args.previous.get(header, []):
        columns = row.split("|")
        if tuple(cell.strip() for cell in columns[1:1 + len(cells)]) == cells:
            mark = args.carried.setdefault(made_on, MARKS[len(args.carried)])
            columns[1] = f" {columns[1].strip()} {mark} "
            return "|".join(columns)
    return None


def missing_row(header, cells, asked, args):
    """The row of a key whose runs are not in --runs: the page's row as it was, carried over, where this run does
    not ask to remake it (its table left out of --tables, or its key out of this run's lists); else "not run
    yet", with the header's other columns empty."""
    keep = args.carry or not asked
    empty = header.count("|") - 2 - len(cells)
    return (keep and carried_row(header, cells, args)) or f"| {' | '.join(cells)} | not run yet |" + " |" * empty


def semi_supervised_table(args):
    lines = ["| game | labels | label draws (seeds) | baseline, test accuracy % | game (best.keras), test accuracy % "
             "| game, last epoch % | game - baseline, points |", "|---|---|---|---|---|---|---|"]
    requested = [(game, per_class) for game in args.games for per_class in args.labeled_per_class]
    key_of = lambda cells: (cells[1].strip(), int(re.search(r"\((\d+) per class\)", cells[2]).group(1)))  # noqa: E731
    for game, per_class in rows_to_show(lines[0], requested, key_of, args):
        asked = (game, per_class) in requested
        runs = {seed: semi_supervised_run(game, per_class, seed, args, train=asked) for seed in args.seeds}
        done = [seed for seed, run in runs.items()
                if "test_accuracy" in run["baseline"] and "best_test_accuracy" in run["game"]]
        labels = f"{10 * per_class} ({per_class} per class)"
        if not done:
            lines.append(missing_row(lines[0], (game, labels), asked, args))
            continue
        base = [runs[seed]["baseline"]["test_accuracy"] for seed in done]
        best = [runs[seed]["game"]["best_test_accuracy"] for seed in done]
        last = [runs[seed]["game"]["test_accuracy"] for seed in done]
        gains = 100 * (np.asarray(best) - np.asarray(base))
        per_seed = lambda values: ", ".join(f"{100 * v:.1f}" for v in values)  # noqa: E731
        lines.append(f"| {game} | {labels} | {', '.join(map(str, done))} | {_spread(base)}: {per_seed(base)} | "
                     f"**{_spread(best)}**: {per_seed(best)} | {_spread(last)} | {gains.mean():+.1f} "
                     f"({', '.join(f'{g:+.1f}' for g in gains)}) |")
    return lines


def generator_table(games, key, label, args):
    lines = [f"| game | seeds | {label} per seed, % | mean (min-max), % | classifier-FID per seed |",
             "|---|---|---|---|---|"]
    for (game,) in rows_to_show(lines[0], [(game,) for game in games], lambda cells: (cells[1].strip(),), args):
        runs = {seed: generator_run(game, seed, args, train=game in games) for seed in args.seeds}
        done = [seed for seed, run in runs.items() if key in run]
        if not done:
            lines.append(missing_row(lines[0], (game,), game in games, args))
            continue
        values = [runs[seed][key] for seed in done]
        fids = ", ".join(f"{runs[seed]['fid']:.2f}" for seed in done)
        lines.append(f"| {game} | {', '.join(map(str, done))} | {', '.join(f'{100 * v:.1f}' for v in values)} | "
                     f"**{_spread(values)}** | {fids} |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default="sgan,catgan", help="semi-supervised games")
    parser.add_argument("--conditional", default="cgan,acgan", help="conditional games")
    parser.add_argument("--coded", default="infogan", help="games with a categorical latent code")
    parser.add_argument("--labeled-per-class", default="10,100", help="N labeled images per class, comma-separated")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of every training run")
    parser.add_argument("--lr-decay", choices=("none", "linear"), default="none", help="train's --lr-decay")
    parser.add_argument("--tables", default="semi_supervised,conditional,codes",
                        help="which tables to run (the others are read as they are from --runs; a row whose runs "
                             "are not there is carried over from --out, marked, as is one of a game or labels this "
                             "run does not name)")
    parser.add_argument("--collect", action="store_true", help="train nothing: write the page from --runs")
    parser.add_argument("--runs", default=os.path.join("runs", "labels"))
    # For a quick end-to-end check (tests): smaller data, networks, epochs and sample counts.
    parser.add_argument("--data-dir", help="Fashion-MNIST IDX files (default: the usual sources)")
    parser.add_argument("--steps-per-epoch", type=int)
    parser.add_argument("--architecture")
    parser.add_argument("--n", type=int, default=10000, help="samples keras-gans evaluate judges")
    parser.add_argument("--classifier", help="quality classifier .keras (default: the package's own)")
    parser.add_argument("--out", default=os.path.join("docs", "labels.md"))
    args = parser.parse_args(argv)
    args.games, args.conditional, args.coded = ([game for game in names.split(",") if game]
                                                for names in (args.games, args.conditional, args.coded))
    args.labeled_per_class = [int(n) for n in args.labeled_per_class.split(",")]
    args.seeds = [int(seed) for seed in args.seeds.split(",")]
    tables = set(args.tables.split(","))
    os.makedirs(args.runs, exist_ok=True)
    collect = args.collect

    args.previous, args.carried = previous_page(args.out), {}

    def table(name, make):
        args.collect = collect or name not in tables
        args.carry = name not in tables
        return make()

    try:
        semi = table("semi_supervised", lambda: semi_supervised_table(args))
        conditional = table("conditional", lambda: generator_table(args.conditional, "conditional_accuracy",
                                                                    "requested-class accuracy", args))
        codes = table("codes", lambda: generator_table(args.coded, "purity", "purity of c1", args))
    except OtherBudget as error:
        print(f"labels_table.py: error: {error}", file=sys.stderr)
        return 2
    judged = [_read(path) for path in sorted(glob.glob(os.path.join(args.runs, "*_s*.json")))]
    judge = next((f"{100 * numbers['classifier_test_accuracy']:.2f}%" for numbers in judged
                  if "classifier_test_accuracy" in numbers), "most")
    budget = f"{args.epochs} epoch(s) of the training split, batch 64, default networks and optimizers" + (
        f", `--lr-decay {args.lr_decay}`" if args.lr_decay != "none" else ", constant learning rates")
    flags = " ".join(train_flags(args))
    lines = [
        "# Labels and latent codes: what they buy", "",
        f"Made with `python examples/labels_table.py` ({budget}; seeds {', '.join(map(str, args.seeds))}) on: "
        f"{machine()}. Each figure is one `keras-gans` command's, kept in {args.runs} (the script runs the ones "
        f"missing there); means are over the seeds run, with the lowest and highest in brackets.", "",
        "**Semi-supervised classification**: test accuracy on the real test images. A seed draws the "
        f"labeled subset, of which a fifth per class is held out: `keras-gans train GAME --labeled-per-class N "
        f"--seed S {flags}` keeps the epoch with the highest accuracy on those held-out images as best.keras and "
        f"scores the test split once, after training; `keras-gans baseline GAME --labeled-per-class N --seed S` "
        "trains the same discriminator as a plain classifier on the same labels (Adam(1e-3), early stopping on "
        "the same held-out images).", "",
        *semi, "",
        f"**Conditional generators**: the share of {args.n:,} samples (an equal share per requested class) that "
        f"the quality classifier puts in the requested class, `keras-gans evaluate --n {args.n}` of `keras-gans "
        f"train GAME --seed S {flags}`. The quality classifier is itself right on {judge} of the real test images.", "",
        *conditional, "",
        "**InfoGAN's categorical code c1**: its purity against the classes the quality classifier predicts for "
        f"{args.n:,} samples (each value of c1 counted as its most frequent class), `keras-gans evaluate --n "
        f"{args.n}` of `keras-gans train infogan --seed S {flags}`.", "",
        *codes, "",
    ]
    for made_on, mark in args.carried.items():
        lines += [f"Rows marked {mark} are carried over from the page as it was, made on: {made_on}. Their runs are "
                  f"not in {args.runs}; name their table in --tables and their game (and labels) in this script's "
                  "lists to remake them here.", ""]
    atomic.write_text(args.out, "\n".join(lines))
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
