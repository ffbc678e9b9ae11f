"""Mode coverage of every variant on the ring and grid mixtures: runs `keras_gans.toy.run` (what
`keras-gans toy` does) for each variant and dataset, appends each result to a JSON-lines file, and prints
the markdown table of everything in that file.

    python examples/toy_table.py                          # all variants, ring and grid, 5000 steps
    python examples/toy_table.py --variants acgan sgan --datasets ring
    python examples/toy_table.py --table-only             # just print the table of docs/toy/results.jsonl
"""
import argparse
import json
import os

from keras_gans import VARIANTS, atomic, toy


MARKDOWN = """# Mode coverage on the toy mixtures

Made by `python examples/toy_table.py` (each row: `keras_gans.toy.run(VARIANT, DATASET, steps, batch_size=128)`,
what `keras-gans toy` runs), on the 2-core development machine (AMD EPYC, no GPU), seed 0, 2,500 samples per
row. Seconds include XLA compilation and were measured while other jobs shared the two cores (load 5 to 17
for the nine older variants, one test run beside acgan, catgan, infogan and sgan), so they overstate the time
on an idle machine and do not compare across rows. A mode counts as covered when at least 1% of all samples lie
within 3 sigma of it; KL is that of the covered samples' mode histogram from uniform (nan: no sample near any
mode). Collapses are reported as they came, not tuned away.

{table}

| variant | ring (8 modes) | grid (25 modes) |
|---|---|---|
{scatter}
"""


def table(rows):
    lines = ["| variant | dataset | modes covered | high-quality share | KL(modes ‖ uniform) | seconds | steps |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['variant']} | {row['dataset']} | {row['modes_covered']}/{row['modes']} | "
                     f"{100 * row['high_quality']:.1f}% | {row['kl']:.3f} | {row['seconds']:.0f} | {row['steps']} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=sorted(VARIANTS))
    parser.add_argument("--datasets", nargs="*", default=["ring", "grid"])
    parser.add_argument("--steps", type=int, default=toy.DEFAULTS["steps"])
    parser.add_argument("--batch-size", type=int, default=toy.DEFAULTS["batch_size"])
    parser.add_argument("--out", default="docs/toy", help="scatter PNGs and results.jsonl go here")
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--markdown", default="docs/toy.md", help="write the table and the scatter plots here")
    args = parser.parse_args()
    results = os.path.join(args.out, "results.jsonl")
    if not args.table_only:
        os.makedirs(args.out, exist_ok=True)
        for dataset in args.datasets:
            for variant in args.variants:
                result = toy.run(variant, dataset, steps=args.steps, batch_size=args.batch_size, out=args.out, size=256)
                print(toy.format_result(result), flush=True)
                line = json.dumps({key: value.tolist() if hasattr(value, "tolist") else value
                                   for key, value in result.items()
                                   if key in ("variant", "dataset", "steps", "batch_size", "modes_covered", "modes",
                                              "high_quality", "kl", "counts", "seconds", "png")}) + "\n"
                # The file rewritten whole, atomically: a run killed while appending would leave a torn last
                # line that breaks reading back every earlier result.
                earlier = ""
                if os.path.exists(results):
                    with open(results) as f:
                        earlier = f.read()
                atomic.write_text(results, earlier + line)
    rows = {}
    for line in open(results):
        row = json.loads(line)
        rows[(row["variant"], row["dataset"])] = row  # the latest run of each pair
    text = table(sorted(rows.values(), key=lambda r: (r["dataset"] != "ring", r["variant"])))
    print(text)
    if args.markdown:
        atomic.write_text(args.markdown, MARKDOWN.format(table=text, scatter="\n".join(
            f"| {variant} | ![]({os.path.relpath(rows[variant, 'ring']['png'], os.path.dirname(args.markdown))}) | "
            f"![]({os.path.relpath(rows[variant, 'grid']['png'], os.path.dirname(args.markdown))}) |"
            for variant in sorted({v for v, _ in rows}) if (variant, "ring") in rows and (variant, "grid") in rows)))
        print(f"Wrote {args.markdown}")


if __name__ == "__main__":
    main()
