#!/usr/bin/env bash
# Our variants against the PyTorch reference at equal budget on Fashion-MNIST: one epoch (937 batches of 64)
# unless PARITY_EPOCHS says more, the infoGAN-paper networks, the same optimizers; each run scored with 10,000
# samples by keras-gans evaluate.
# Usage: [PARITY_VARIANTS="gan wgan_gp"] [PARITY_EPOCHS=2] benchmarks/parity.sh [SEED...]
#   default variants: gan wgan_gp lsgan dragan (the games the reference has); default seed: 0.
# Results in runs/parity/ for one epoch, runs/parity_eE/ for E epochs (NAME_sSEED/eval.json ours,
# torch_NAME_sSEED.json the reference); docs/parity.md quotes them. A finished run is skipped, so the script
# can be rerun after an interruption.
# Needs torch for the reference.
set -u
cd "$(dirname "$0")/.."
epochs=${PARITY_EPOCHS:-1}
out=runs/parity
[ "$epochs" = 1 ] || out=runs/parity_e$epochs
mkdir -p "$out"
ours() {  # variant, seed
  name=$1_s$2
  [ -f "$out/$name/eval.json" ] && return
  [ -f "$out/$name/model.keras" ] || keras-gans train "$1" --epochs "$epochs" --seed "$2" --overwrite \
    --out "$out/$name" --verbose 2 > "$out/$name.log" 2>&1
  keras-gans evaluate "$out/$name/model.keras" --json "$out/$name/eval.json" >> "$out/$name.log" 2>&1
}
reference() {  # variant, seed
  name=torch_$1_s$2
  [ -f "$out/$name.json" ] && return
  [ -f "$out/$name.npy" ] || python -m keras_gans.torch_baseline "$1" --train "$epochs" --seed "$2" \
    --samples "$out/$name.npy" > "$out/$name.log" 2>&1
  keras-gans evaluate --samples "$out/$name.npy" --json "$out/$name.json" >> "$out/$name.log" 2>&1
}
for seed in "${@:-0}"; do
  for variant in ${PARITY_VARIANTS:-gan wgan_gp lsgan dragan}; do
    ours "$variant" "$seed"
    reference "$variant" "$seed"
  done
done
