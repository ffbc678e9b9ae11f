"""Does an XLA CPU flag speed a variant up? Times it (XLA on) under each XLA_FLAGS setting, one process each.

    python benchmarks/xla_cpu_flags.py gan --steps 40 --rounds 2

Each setting runs in a fresh process (XLA reads XLA_FLAGS once), as `keras-gans bench VARIANT --xla on`
times it; the rounds repeat the whole list, so run-to-run noise shows beside any difference.
"""
import argparse
import json
import os
import subprocess
import sys

SETTINGS = {
    "default": "",
    "onednn": "--xla_cpu_use_onednn=true",
    "xnnpack": "--xla_cpu_use_xnnpack=true",
    "concurrency_scheduler": "--xla_cpu_enable_concurrency_optimized_scheduler=true",
    "fast_math": "--xla_cpu_enable_fast_math=true",
}
CHILD = """
import json, sys
from keras_gans import bench, data
images, labels = data.load_arrays("fashion_mnist", "train")
row = bench.bench_variant(sys.argv[1], data.check_images(images), labels, steps=int(sys.argv[2]), warmup=3, xla=True)
print("RESULT " + json.dumps({"images_per_s": row["images_per_s"], "compile_s": row["compile_s"]}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", nargs="?", default="gan")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for round_ in range(1, args.rounds + 1):
        for name, flags in SETTINGS.items():
            env = dict(os.environ, XLA_FLAGS=flags, TF_CPP_MIN_LOG_LEVEL="2")
            run = subprocess.run([sys.executable, "-c", CHILD, args.variant, str(args.steps)], env=env,
                                 capture_output=True, text=True)
            result = [line[len("RESULT "):] for line in run.stdout.splitlines() if line.startswith("RESULT ")]
            if not result:
                print(f"round {round_} {name}: failed\n{run.stderr[-1000:]}", flush=True)
                continue
            row = json.loads(result[0])
            print(f"round {round_} {name:22s} {row['images_per_s']:.0f} images/s (compile {row['compile_s']:.1f} s)",
                  flush=True)


if __name__ == "__main__":
    main()
