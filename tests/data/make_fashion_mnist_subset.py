"""Write the small real Fashion-MNIST subset the tests use (run once; its output is committed).

    apt-get install -y dataset-fashion-mnist && python tests/data/make_fashion_mnist_subset.py

Takes the first 40 training and 20 test images of every class from Debian's copy of the real data and
writes them as gzipped IDX files, the format of the originals, to tests/data/fashion-mnist-subset/.
"""
import gzip
import os

import numpy as np

from keras_gans.data import LOCAL_DIRS, load_idx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-mnist-subset")


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime=0: the same bytes on every run
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def main():
    os.makedirs(OUT, exist_ok=True)
    for split, prefix, per_class in (("train", "train", 40), ("test", "t10k", 20)):
        images, labels = load_idx(LOCAL_DIRS["fashion_mnist"][0], split)
        keep = np.sort(np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)]))
        write_idx(os.path.join(OUT, f"{prefix}-images-idx3-ubyte.gz"), images[keep, ..., 0])
        write_idx(os.path.join(OUT, f"{prefix}-labels-idx1-ubyte.gz"), labels[keep])
        print(split, len(keep), "examples")


if __name__ == "__main__":
    main()
