"""Write a folder of colour images with class subfolders, for trying `--images` on a machine without internet:
Fashion-MNIST garments, each tinted with its own random colour and resized to 32 px.

    python examples/colour_folder.py runs/colour_fashion --per-class 1000      # 10 classes x 1000 PNGs
    keras-gans train dcgan --images runs/colour_fashion --image-size 32 --epochs 10 --out runs/colour

Each garment's grey levels scale a colour drawn uniformly in hue (HSV, saturation 0.4-1, value 0.7-1), so
the class says the shape and the tint is free: a generator has to learn both. Seeded: the same folder on
every machine.
"""
import argparse
import colorsys
import os

import numpy as np
from PIL import Image

from keras_gans import data
from keras_gans.evaluation.evaluate import FASHION_MNIST_CLASSES


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="folder to create (must not exist)")
    parser.add_argument("--per-class", type=int, default=1000, help="images per class (default 1000)")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if os.path.exists(args.out):
        raise SystemExit(f"{args.out} exists; name a new folder.")
    images, labels = data.load_arrays("fashion_mnist", "train")
    rng = np.random.default_rng(args.seed)
    for c, name in enumerate(FASHION_MNIST_CLASSES):
        folder = os.path.join(args.out, f"{c}_{name.replace('/', '-').replace(' ', '_').lower()}")
        os.makedirs(folder)
        for i, index in enumerate(rng.choice(np.flatnonzero(labels == c), args.per_class, replace=False)):
            tint = colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.4, 1.0), rng.uniform(0.7, 1.0))
            rgb = (images[index, ..., 0, None].astype("float32") * np.asarray(tint, "float32")).astype("uint8")
            Image.fromarray(rgb).resize((args.size, args.size), Image.BILINEAR).save(os.path.join(folder, f"{i}.png"))
    print(f"Wrote {10 * args.per_class} images of {args.size}x{args.size} RGB to {args.out}")


if __name__ == "__main__":
    main()
