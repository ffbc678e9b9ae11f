#!/usr/bin/env bash
# bfloat16 against float32 at equal budget: GAN and WGAN-GP trained for one epoch of Fashion-MNIST (the
# infoGAN-paper networks, default optimizers, batch 64) with --precision float32 and bf16, each scored by
# keras-gans evaluate (10,000 samples against the real test set).
# Usage: benchmarks/precision.sh [SEED...]   (results in runs/precision/; the README's speed section quotes them)
set -u
cd "$(dirname "$0")/.."
out=runs/precision
mkdir -p "$out"
for seed in "${@:-0}"; do
  for variant in gan wgan_gp; do
    for precision in float32 bf16; do
      name=${variant}_${precision}_s$seed
      [ -f "$out/$name/eval.json" ] && continue
      [ -f "$out/$name/model.keras" ] || keras-gans train "$variant" --epochs 1 --precision "$precision" --seed "$seed" \
        --overwrite --out "$out/$name" --verbose 2 > "$out/$name.log" 2>&1
      keras-gans evaluate "$out/$name/model.keras" --json "$out/$name/eval.json" >> "$out/$name.log" 2>&1
    done
  done
done
