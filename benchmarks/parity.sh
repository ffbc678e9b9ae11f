#!/usr/bin/env bash
# Our variants against the PyTorch reference at equal budget on Fashion-MNIST: one epoch (937 batches of 64),
# the infoGAN-paper networks, the same optimizers; each run scored with 10,000 samples by keras-gans evaluate.
# Usage: benchmarks/parity.sh [SEED...]   (results in runs/parity/; docs/parity.md quotes them)
# Needs the quality classifier (keras-gans evaluate --train-classifier) and, for the reference, torch.
set -u
cd "$(dirname "$0")/.."
out=runs/parity
mkdir -p "$out"
ours() {  # variant, name, then train options
  variant=$1; name=$2; shift 2
  [ -f "$out/$name/eval.json" ] && return
  [ -f "$out/$name/model.keras" ] || keras-gans train "$variant" --epochs 1 --overwrite --out "$out/$name" --verbose 2 "$@" \
    > "$out/$name.log" 2>&1
  keras-gans evaluate "$out/$name/model.keras" --json "$out/$name/eval.json" >> "$out/$name.log" 2>&1
}
reference() {  # variant, seed
  name=torch_$1_s$2
  [ -f "$out/$name.json" ] && return
  python -m keras_gans.torch_baseline "$1" --train 1 --seed "$2" --samples "$out/$name.npy" > "$out/$name.log" 2>&1
  keras-gans evaluate --samples "$out/$name.npy" --json "$out/$name.json" >> "$out/$name.log" 2>&1
}
for seed in "${@:-0}"; do
  ours gan "separate_s$seed" --seed "$seed" --set joint_batches=False
  ours gan "joint_s$seed" --seed "$seed" --set joint_batches=True
  reference gan "$seed"
done
