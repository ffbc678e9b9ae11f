#!/usr/bin/env bash
# The measured effect of each stabiliser on GAN at the results table's budget: one epoch of Fashion-MNIST
# (937 generator updates of batch 64, the infoGAN-paper networks, default optimizers), with and without
# ema=0.999, spectral_norm=True and augment="translation,cutout,color"; DiffAugment also on a 1,000-image subset
# (100 per class, drawn with seed 0 from the training split) for 62 epochs of 15 batches (930 updates).
# Every run is scored by keras-gans evaluate (10,000 samples against the real test set).
# Usage: benchmarks/stabilisers.sh [SEED...]   (results in runs/stabilisers/; docs/results.md quotes them)
set -u
cd "$(dirname "$0")/.."
out=runs/stabilisers
mkdir -p "$out"
subset=$out/fashion_mnist_1000.npz
[ -f "$subset" ] || python - "$subset" <<'PY'
import sys
import numpy as np
from keras_gans import atomic, data
images, labels = data.load_arrays("fashion_mnist", "train")
rng = np.random.default_rng(0)
rows = np.concatenate([rng.choice(np.flatnonzero(labels == c), 100, replace=False) for c in range(10)])
rng.shuffle(rows)
with atomic.atomic_write(sys.argv[1], "wb") as f:
    np.savez(f, images=images[rows], labels=labels[rows].astype("int32"))
PY
run() {  # name, then train options
  name=$1; shift
  [ -f "$out/$name/eval.json" ] && return
  [ -f "$out/$name/model.keras" ] || keras-gans train gan --overwrite --out "$out/$name" --verbose 2 "$@" \
    > "$out/$name.log" 2>&1
  keras-gans evaluate "$out/$name/model.keras" --json "$out/$name/eval.json" >> "$out/$name.log" 2>&1
}
# GAN samples from G's average by default (ema=0.999); the other rows switch it off, so that each row has one
# stabiliser or none.
for seed in "${@:-0}"; do
  run "none_s$seed" --epochs 1 --seed "$seed" --set ema=None
  run "ema_s$seed" --epochs 1 --seed "$seed" --set ema=0.999
  run "spectral_norm_s$seed" --epochs 1 --seed "$seed" --set ema=None --set spectral_norm=True
  run "augment_s$seed" --epochs 1 --seed "$seed" --set ema=None --set augment=translation,cutout,color
  run "subset_none_s$seed" --images "$subset" --epochs 62 --sample-every 62 --seed "$seed" --set ema=None
  run "subset_augment_s$seed" --images "$subset" --epochs 62 --sample-every 62 --seed "$seed" --set ema=None \
    --set augment=translation,cutout,color
done
