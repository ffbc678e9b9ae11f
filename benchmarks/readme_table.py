"""The README's speed table from a `keras-gans bench --precision both --compare-torch --json FILE` run.

    python benchmarks/readme_table.py docs/bench-2core-cpu.json

One row per variant: real images/s in float32 and bf16 (XLA on), the bf16 speed-up, each as a share of the
matmul probe of its precision, and float32's ratio to the PyTorch baseline schedule that does the same work.
"""
import json
import sys

NAMES = {"gan": "GAN", "cgan": "CGAN", "dcgan": "DCGAN", "lsgan": "LSGAN", "wgan": "WGAN", "wgan_gp": "WGAN-GP",
         "dragan": "DRAGAN", "ebgan": "EBGAN", "began": "BEGAN", "acgan": "ACGAN", "infogan": "InfoGAN",
         "catgan": "catGAN", "sgan": "SGAN"}


def main(path):
    with open(path) as f:
        report = json.load(f)
    keras_rows = [row for row in report["rows"] if row.get("backend") == "keras" and row.get("xla")]
    torch_rows = {row["variant"]: row for row in report["rows"] if row.get("backend") == "torch"}
    by_variant = {}
    for row in keras_rows:
        by_variant.setdefault(row["variant"], {})[row["precision"]] = row
    print("| variant | networks | images/s float32 | images/s bf16 | bf16 / float32 | % of matmul, float32 / bf16 "
          "| × PyTorch (float32) | PyTorch schedule: images/s |")
    print("|---|---|---|---|---|---|---|---|")
    for variant, rows in by_variant.items():
        f32, bf16 = rows.get("float32"), rows.get("bf16")
        cell = lambda row, key, fmt: fmt.format(row[key]) if row and row.get(key) is not None else "–"  # noqa: E731
        speedup = (f"{bf16['images_per_s'] / f32['images_per_s']:.2f}×" if f32 and bf16 and f32.get("images_per_s")
                   and bf16.get("images_per_s") else "–")
        schedule = (f32 or {}).get("torch_schedule")
        torch = (f"{schedule}: {torch_rows[schedule]['images_per_s']:.0f}" if schedule in torch_rows else "–")
        print(f"| {NAMES.get(variant, variant)} | {(f32 or bf16)['architecture']} | {cell(f32, 'images_per_s', '{:.0f}')} "
              f"| {cell(bf16, 'images_per_s', '{:.0f}')} | {speedup} | {cell(f32, 'pct_of_matmul', '{:.0f}%')} / "
              f"{cell(bf16, 'pct_of_matmul', '{:.0f}%')} | {cell(f32, 'vs_torch', '{:.2f}')} | {torch} |")


if __name__ == "__main__":
    main(sys.argv[1])
