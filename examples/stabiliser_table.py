"""Write docs/stabilisers.md: the measured effect of each stabiliser, from the runs of benchmarks/stabilisers.sh.

    benchmarks/stabilisers.sh 0 1                 # trains and evaluates GAN with and without each (hours on 2 cores)
    python examples/stabiliser_table.py           # reads runs/stabilisers/*/eval.json, writes docs/stabilisers.md

examples/results_table.py includes docs/stabilisers.md as a section of docs/results.md.
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

from keras_gans import atomic  # noqa: E402

# (run name without the seed, what the row says), in table order.
FULL = [("none", "none (`ema=None`)"), ("ema", "`ema=0.999` (GAN's default now)"),
        ("spectral_norm", "`spectral_norm=True`"), ("augment", "`augment=\"translation,cutout,color\"`")]
SUBSET = [("subset_none", "none"), ("subset_augment", "`augment=\"translation,cutout,color\"`")]


def read_runs(directory):
    """{run name without the seed: {seed: eval.json's dict}}."""
    found = {}
    for path in sorted(glob.glob(os.path.join(directory, "*_s*", "eval.json"))):
        match = re.fullmatch(r"(.+)_s(\d+)", os.path.basename(os.path.dirname(path)))
        with open(path) as f:
            found.setdefault(match.group(1), {})[int(match.group(2))] = json.load(f)
    return found


def rows(runs, names):
    lines = ["| stabiliser | classifier-FID per seed | mean | classes ≥ 5% per seed | precision / recall | "
             "density / coverage |", "|---|---|---|---|---|---|"]
    for key, label in names:
        by_seed = runs.get(key, {})
        if not by_seed:
            lines.append(f"| {label} | not measured | | | | |")
            continue
        seeds = sorted(by_seed)
        fids = [by_seed[s]["fid"] for s in seeds]
        mean = lambda name: np.mean([by_seed[s][name] for s in seeds])  # noqa: E731
        lines.append(f"| {label} | {', '.join(f'{f:.2f} (s{s})' for f, s in zip(fids, seeds))} | {np.mean(fids):.2f} | "
                     f"{', '.join(str(by_seed[s]['covered_classes']) for s in seeds)} | "
                     f"{mean('precision'):.3f} / {mean('recall'):.3f} | {mean('density'):.3f} / "
                     f"{mean('knn_coverage'):.3f} |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default="runs/stabilisers")
    parser.add_argument("--out", default="docs/stabilisers.md")
    args = parser.parse_args(argv)
    runs = read_runs(args.runs)
    lines = [
        "# Stabilisers: their measured effect on GAN", "",
        f"Made with `benchmarks/stabilisers.sh 0 1` and `python examples/stabiliser_table.py` on: {machine()}.", "",
        "GAN (infoGAN-paper networks, its default Adam(beta_1 = 0.5): D 2e-4, G 1e-3, batch 64) with one stabiliser "
        "switched on at a time (`ema=None` in every other row), "
        "each run scored by `keras-gans evaluate` (10,000 samples against the 10,000 real test images, classifier-FID: "
        "lower is better; precision and recall k = 3, density and coverage k = 5, on the same features). Means are "
        "over the seeds shown; precision to coverage are means too.", "",
        "**One epoch of Fashion-MNIST** (937 generator updates; the results table's budget):", "",
        *rows(runs, FULL), "",
        "**A 1,000-image subset** (100 per class, drawn with seed 0 from the training split), 62 epochs of 15 batches "
        "(930 generator updates, about the same number as one full epoch); DiffAugment is meant for this case, where "
        "D can memorise the real images:", "",
        *rows(runs, SUBSET), "",
    ]
    atomic.write_text(args.out, "\n".join(lines))
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
