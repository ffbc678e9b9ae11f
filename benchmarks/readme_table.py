"""The README's speed tables: from a `keras-gans bench --precision both --compare-torch --json FILE` run, and
from a `keras-gans bench --profile --json FILE` run.

    python benchmarks/readme_table.py docs/bench-2core-cpu.json
    python benchmarks/readme_table.py docs/profile-2core-cpu.json

One row per variant: real images/s in float32 and bf16 (XLA on), the bf16 speed-up, each as a share of the
matmul probe of its precision, and float32's ratio to the PyTorch baseline schedule that does the same work.
"""
import json
import sys

NAMES = {"gan": "GAN", "cgan": "CGAN", "dcgan": "DCGAN", "lsgan": "LSGAN", "wgan": "WGAN", "wgan_gp": "WGAN-GP",
         "dragan": "DRAGAN", "ebgan": "EBGAN", "began": "BEGAN", "acgan": "ACGAN", "infogan": "InfoGAN",
         "catgan": "catGAN", "sgan": "SGAN"}

ARCHITECTURES = {"infogan": "infoGAN-paper", "dcgan": "DCGAN, 28 px"}
# The games whose discriminator is not the architecture's own.
NETWORKS = {"ebgan": "infoGAN-paper G, autoencoder D", "began": "infoGAN-paper G, autoencoder D"}


def networks(variant, architecture):
    return NETWORKS.get(variant) if architecture == "infogan" and variant in NETWORKS else \
        ARCHITECTURES.get(architecture, architecture)


def profile_table(report):
    """Per variant: the step on every core, then its core-milliseconds: the work on one thread by kind, what the
    trace does not see, and what running it in parallel adds (they add up to the step x cores)."""
    print("| variant | step on 2 cores (ms) | core-ms | matmul | dilated conv | conv | fusions | copies, other "
          "| untraced | parallel loss | model FLOPs on one thread, % of its matmul probe |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for profile in report["profiles"]:
        capacity = profile["step_ms"] * profile["cores"]
        parts = profile["categories"]
        cell = lambda ms: f"{ms:.0f} ({100 * ms / capacity:.0f}%)"  # noqa: E731
        print(f"| {NAMES.get(profile['variant'], profile['variant'])} | {profile['step_ms']:.0f} | {capacity:.0f} | "
              f"{cell(parts['matmul'])} | {cell(parts['dilated conv'])} | {cell(parts['conv'])} | "
              f"{cell(parts['fusion'])} | {cell(parts['copy'] + parts['other'])} | {cell(profile['untraced_ms'])} | "
              f"{cell(profile['parallel_loss_ms'])} | {profile['one_thread_pct_of_matmul']:.0f}% |")


def main(path):
    with open(path) as f:
        report = json.load(f)
    if "profiles" in report:
        return profile_table(report)
    # Each precision as `keras-gans train` runs it on a CPU: float32 with XLA, bfloat16 without (the default
    # of compile(jit_compile="auto")); a run with only one of them gives what it has.
    preferred_xla = {"float32": True, "bf16": False}
    keras_rows = [row for row in report["rows"] if row.get("backend") == "keras"]
    torch_rows = {row["variant"]: row for row in report["rows"] if row.get("backend") == "torch"}
    by_variant = {}
    for row in keras_rows:
        rows = by_variant.setdefault(row["variant"], {})
        held = rows.get(row["precision"])
        if held is None or (held["xla"] != preferred_xla[row["precision"]] and row["xla"] == preferred_xla[row["precision"]]):
            rows[row["precision"]] = row
    xla = lambda row: "" if row is None else (" (XLA)" if row["xla"] else " (no XLA)")  # noqa: E731
    any_rows = next(iter(by_variant.values()), {})
    print(f"| variant | networks | images/s float32{xla(any_rows.get('float32'))} | images/s bf16{xla(any_rows.get('bf16'))} "
          "| bf16 / float32 | % of matmul, float32 / bf16 "
          "| × PyTorch (float32) | PyTorch schedule: images/s |")
    print("|---|---|---|---|---|---|---|---|")
    for variant, rows in by_variant.items():
        f32, bf16 = rows.get("float32"), rows.get("bf16")
        cell = lambda row, key, fmt: fmt.format(row[key]) if row and row.get(key) is not None else "–"  # noqa: E731
        speedup = (f"{bf16['images_per_s'] / f32['images_per_s']:.2f}×" if f32 and bf16 and f32.get("images_per_s")
                   and bf16.get("images_per_s") else "–")
        schedule = (f32 or {}).get("torch_schedule")
        torch = (f"{schedule}: {torch_rows[schedule]['images_per_s']:.0f}" if schedule in torch_rows else "–")
        print(f"| {NAMES.get(variant, variant)} | {networks(variant, (f32 or bf16)['architecture'])} | {cell(f32, 'images_per_s', '{:.0f}')} "
              f"| {cell(bf16, 'images_per_s', '{:.0f}')} | {speedup} | {cell(f32, 'pct_of_matmul', '{:.0f}%')} / "
              f"{cell(bf16, 'pct_of_matmul', '{:.0f}%')} | {cell(f32, 'vs_torch', '{:.2f}')} | {torch} |")


if __name__ == "__main__":
    main(sys.argv[1])
