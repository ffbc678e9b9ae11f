"""Training data: TFDS datasets, local IDX files or numpy arrays -> batched `tf.data.Dataset`s.

    ds = keras_gans.data.load("fashion_mnist", split="train", batch_size=64)

yields `(images, labels)`: float32 NHWC images scaled to [-1, 1] and int32 labels. Where the data come from:

1. a folder of your own images (PNG, JPEG, BMP, GIF; class subfolders become labels), resized and cropped
   with `image_size=` and `crop=`, in `color_mode=` "rgb" or "grayscale" (`load_folder`), or a .npz file;
2. `data_dir`, if it holds IDX files (`train-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`, ...);
3. for `fashion_mnist`, Debian's `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist/`),
   so an offline machine trains on the real data;
4. otherwise TensorFlow Datasets by name (`mnist`, `cifar10`, `celeb_a`, `lsun/bedroom`, ...), which
   downloads on first use: the "image" feature, and "label" where the dataset has one.

Every source takes `image_size=`, `color_mode=` and `crop=` (`convert_images`): the centre crop and bilinear
resize of `keras.utils.image_dataset_from_directory`, applied to folders, TFDS datasets, IDX and .npz files alike.

A split is held in memory as uint8 and scaled per batch, which suits the small image datasets GANs are
trained on here (Fashion-MNIST is 47 MB).
"""
import glob
import gzip
import os
import warnings
import zlib

import keras
import numpy as np
import tensorflow as tf

# Datasets that a Debian package installs as IDX files, and the package to install.
LOCAL_DIRS = {"fashion_mnist": ("/usr/share/datasets/fashion-mnist", "dataset-fashion-mnist")}
_IDX_PREFIXES = {"train": ("train",), "test": ("t10k", "test")}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


# ---------------------------------------------------------------------------------------------- IDX
def read_idx(path):
    """Read one IDX file (the MNIST format, optionally gzipped) into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise ValueError(f"{path} is truncated or not a gzip file ({error}); download or copy it again.") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    body = np.frombuffer(data, dtype=dtype, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: header says {shape}, found {body.size} values.")
    return body.reshape(shape)


def _find_idx(directory, split, kind):
    prefixes = _IDX_PREFIXES.get(split)
    if prefixes is None:
        raise ValueError(f"IDX directories hold the splits 'train' and 'test', not {split!r}.")
    for prefix in prefixes:
        for suffix in ("", ".gz"):
            matches = sorted(glob.glob(os.path.join(directory, f"{prefix}*-{kind}-idx*-ubyte{suffix}")))
            if matches:
                return matches[0]
    return None


def has_idx(directory, split="train"):
    """Whether `directory` holds the images and labels IDX files of `split`."""
    return bool(directory) and all(_find_idx(directory, split, kind) for kind in ("images", "labels"))


def load_idx(directory, split="train"):
    """(images uint8 (N, H, W, 1), labels int32 (N,)) from `{train,t10k}-{images,labels}-idx*-ubyte[.gz]`."""
    if not has_idx(directory, split):
        raise FileNotFoundError(f"No {split} IDX files (e.g. {_IDX_PREFIXES.get(split, ('train',))[0]}-images-"
                                f"idx3-ubyte.gz and the matching labels file) in {directory!r}.")
    images = read_idx(_find_idx(directory, split, "images"))
    labels = read_idx(_find_idx(directory, split, "labels")).astype("int32")
    if len(images) != len(labels):
        raise ValueError(f"{directory}: {len(images)} images but {len(labels)} labels in split {split!r}.")
    return images[..., None] if images.ndim == 3 else images, labels


# --------------------------------------------------------------------------------------------- TFDS
def _load_tfds(name, split, data_dir, image_size=None, color_mode=None, crop="center"):
    """(uint8 images, int32 labels or None) of a TFDS image dataset: its "image" feature, converted with
    `convert_images` on the way (so that datasets of many sizes, like LSUN, can be resized before they are
    stacked), and its "label" feature if it has one (CelebA and LSUN have none)."""
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise ValueError(
            f"Unknown dataset {name!r}. Pass a TensorFlow Datasets image dataset name (mnist, fashion_mnist, "
            f"cifar10, ...), data_dir=<a directory with IDX files>, or numpy arrays (images, labels)."
        ) from None
    features = builder.info.features
    if "image" not in features:
        raise ValueError(f"{name!r} has no 'image' feature (it has {', '.join(features)}): it is not an image "
                         f"dataset this package can train on.")
    shape = tuple(features["image"].shape)
    if image_size is None and None in shape[:2]:
        raise ValueError(f"{name!r} holds images of many sizes; pass image_size= (e.g. 64; --image-size 64 on the "
                         f"command line) to resize them all.")
    labelled = "label" in features and tuple(features["label"].shape) == ()

    def convert(example):
        images = convert_images(example["image"][None], image_size, color_mode, crop)[0]
        return images, (tf.cast(example["label"], tf.int32) if labelled else tf.zeros((), tf.int32))

    try:
        chunks = list(tfds.as_numpy(tfds.load(name, split=split, data_dir=data_dir)
                                    .map(convert, num_parallel_calls=tf.data.AUTOTUNE).batch(4096)))
    except Exception as error:  # tfds raises many kinds of errors when it cannot download
        hint = ""
        if name in LOCAL_DIRS:
            directory, package = LOCAL_DIRS[name]
            hint = f" Offline, install the real files with `apt-get install {package}` (read from {directory})."
        raise RuntimeError(
            f"Could not load {name!r} through TensorFlow Datasets ({type(error).__name__}: {error}). It downloads "
            f"the data on first use, which needs internet access; or pass data_dir=<a directory with IDX "
            f"files>, or numpy arrays.{hint}"
        ) from error
    if not chunks:
        raise ValueError(f"Split {split!r} of {name!r} is empty.")
    images = np.concatenate([images for images, _ in chunks])
    return images, (np.concatenate([labels for _, labels in chunks]) if labelled else None)


def convert_images(images, image_size=None, color_mode=None, crop="center"):
    """uint8 NHWC images (a tensor or array) -> uint8 images of `image_size` (an int or (height, width)) in
    `color_mode` ("rgb" or "grayscale"); None keeps the size or the colour as it is. `crop="center"` cuts the
    largest centred region of the new aspect ratio before resizing, `crop="resize"` squeezes the whole image --
    the bilinear resize of `keras.utils.image_dataset_from_directory`, so a dataset and a folder of the same
    pictures give the same arrays."""
    _check_conversion(color_mode, crop)
    images = tf.convert_to_tensor(images)
    if color_mode == "rgb" and images.shape[-1] == 1:
        images = tf.image.grayscale_to_rgb(images)
    elif color_mode == "grayscale" and images.shape[-1] == 3:
        images = tf.image.rgb_to_grayscale(images)
    if image_size is not None:
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        resized = keras.ops.image.resize(tf.cast(images, tf.float32), size, interpolation="bilinear",
                                         crop_to_aspect_ratio=crop == "center")
        images = tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)
    return images


def _check_conversion(color_mode, crop):
    """One clear error for a `color_mode` or `crop` that `convert_images` and `load_folder` do not know."""
    if crop not in ("center", "resize"):
        raise ValueError(f"crop must be 'center' or 'resize', not {crop!r}.")
    if color_mode not in (None, "rgb", "grayscale"):
        raise ValueError(f"color_mode must be 'rgb' or 'grayscale', not {color_mode!r}.")


def _convert_arrays(images, image_size=None, color_mode=None, crop="center", chunk=4096):
    """`convert_images` on a numpy array, a chunk at a time; the array itself when there is nothing to do."""
    if image_size is None and color_mode is None:
        return images
    return np.concatenate([convert_images(images[i:i + chunk], image_size, color_mode, crop).numpy()
                           for i in range(0, len(images), chunk)])


# --------------------------------------------------------------------------------- your own images
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")  # what keras.utils.image_dataset_from_directory reads
_GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")


def _scan_images(directory):
    """(image paths by class folder {class name or None: [paths]}, number of other files) of an image folder."""
    entries = sorted(os.listdir(directory))
    folders = [e for e in entries if os.path.isdir(os.path.join(directory, e))]
    groups = {name: os.path.join(directory, name) for name in folders} if folders else {None: directory}
    found, skipped = {}, 0
    for name, folder in groups.items():
        for root, _, files in sorted(os.walk(folder)):
            for file in sorted(files):
                if file.lower().endswith(IMAGE_EXTENSIONS):
                    found.setdefault(name, []).append(os.path.join(root, file))
                else:
                    skipped += 1
    if folders:
        skipped += sum(1 for e in entries if e not in folders)  # loose files beside class folders are not read
    return found, skipped


def load_folder(directory, image_size=None, color_mode=None, crop="center", cache=None):
    """Images from a folder, through `keras.utils.image_dataset_from_directory`: (uint8 (N, H, W, C), int32
    labels or None).

    Class subfolders (`folder/cats/*.png`, `folder/dogs/*.jpg`) become labels 0, 1, ... in sorted order; a
    folder of images alone has no labels. `image_size` (an int or (height, width)) resizes every image --
    `crop="center"` first cuts the largest centred region of that aspect ratio, `crop="resize"` squeezes the whole
    image; without it all images must share one size. `color_mode` "rgb" or "grayscale" converts; without it
    all images must be of one kind. `cache`, a path ending in .npz, keeps the decoded arrays there (written
    once, atomically) for later loads with the same options. Files that are not images are skipped, with a
    count; an unreadable image, an empty folder, mixed sizes or mixed colour modes are one clear error.
    """
    from PIL import Image

    if not os.path.isdir(directory):
        raise FileNotFoundError(f"No image folder at {directory!r}.")
    _check_conversion(color_mode, crop)
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    options = np.array([str(image_size), str(color_mode), crop])  # as asked, so that a cache hit needs no scan
    if cache and os.path.exists(cache):
        with np.load(cache) as stored:
            if stored["options"].tolist() == options.tolist():
                return stored["images"], (stored["labels"] if stored["labels"].size else None)
    found, skipped = _scan_images(directory)
    if not found:
        raise ValueError(f"No images ({', '.join(IMAGE_EXTENSIONS)}) in {directory!r} or its class folders.")
    if skipped:
        warnings.warn(f"Skipped {skipped} file(s) in {directory!r} that are not images ({', '.join(IMAGE_EXTENSIONS)}).",
                      stacklevel=2)
    sizes, modes = {}, {"grayscale": 0, "rgb": 0}
    for path in (p for paths in found.values() for p in paths):
        try:
            with Image.open(path) as image:
                image.verify()
                size, mode = image.size, image.mode
        except Exception as error:
            raise ValueError(f"{path} is not a readable image ({type(error).__name__}: {error}); remove or replace "
                             f"it.") from None
        sizes[size] = sizes.get(size, 0) + 1
        modes["grayscale" if mode in _GREY_MODES else "rgb"] += 1
    if color_mode is None:
        if modes["grayscale"] and modes["rgb"]:
            raise ValueError(f"{directory!r} mixes {modes['grayscale']} grayscale and {modes['rgb']} colour images; "
                             f"pass color_mode='rgb' or 'grayscale' to convert them all.")
        color_mode = "grayscale" if modes["grayscale"] else "rgb"
    if image_size is None:
        if len(sizes) > 1:
            common = ", ".join(f"{w}x{h} ({n})" for (w, h), n in sorted(sizes.items(), key=lambda kv: -kv[1])[:3])
            raise ValueError(f"{directory!r} holds images of {len(sizes)} sizes ({common}, ...); pass image_size= "
                             f"(e.g. 64) to resize them all.")
        width, height = next(iter(sizes))
        image_size = (height, width)
    labelled = None not in found
    dataset = keras.utils.image_dataset_from_directory(
        directory, labels="inferred" if labelled else None, label_mode="int" if labelled else None,
        class_names=sorted(found) if labelled else None, color_mode=color_mode, batch_size=256,
        image_size=tuple(image_size), shuffle=False, crop_to_aspect_ratio=crop == "center", verbose=False)
    images, labels = [], []
    for batch in dataset:
        batch_images, batch_labels = batch if labelled else (batch, None)
        images.append(np.clip(np.round(batch_images.numpy()), 0, 255).astype("uint8"))
        if labelled:
            labels.append(batch_labels.numpy().astype("int32"))
    images = np.concatenate(images)
    labels = np.concatenate(labels) if labelled else None
    if cache:
        from . import atomic

        with atomic.atomic_write(cache) as f:
            np.savez(f, images=images, labels=labels if labelled else np.zeros(0, "int32"), options=options)
    return images, labels


def load_npz(path):
    """(images, labels or None) from a .npz file with an `images` (or `x`) array and optionally `labels` (or `y`)."""
    with np.load(path) as stored:
        keys = set(stored.files)
        image_key = next((k for k in ("images", "x", "x_train") if k in keys), None)
        if image_key is None:
            raise ValueError(f"{path} has the arrays {sorted(keys)}; name the images 'images' (and the labels "
                             f"'labels').")
        label_key = next((k for k in ("labels", "y", "y_train") if k in keys), None)
        return stored[image_key], (stored[label_key] if label_key else None)


def load_arrays(name, split="train", data_dir=None, image_size=None, color_mode=None, crop="center", cache=None):
    """The whole split as numpy arrays: (images as stored, usually uint8 NHWC; labels int32 or None).

    `name` is a dataset name, an image folder (see `load_folder`; `split` does not apply) or a .npz file. A
    `data_dir` that is given is the only place looked in -- its IDX files, or TensorFlow Datasets' copy of `name`
    prepared there -- so a mistyped or incomplete directory is an error, never other data. `image_size`,
    `color_mode` and `crop` convert uint8 images from any source (`convert_images`); `cache` keeps a folder's
    decoded images (the other sources are files already)."""
    if os.path.isdir(name):
        return load_folder(name, image_size=image_size, color_mode=color_mode, crop=crop, cache=cache)
    if cache:
        raise ValueError(f"cache= keeps the decoded images of a folder; {name!r} is not a folder.")
    convert = {"image_size": image_size, "color_mode": color_mode, "crop": crop}
    if name.endswith(".npz"):
        if not os.path.isfile(name):
            raise FileNotFoundError(f"No .npz file at {name!r}.")
        images, labels = load_npz(name)
    elif data_dir and has_idx(data_dir, split):
        images, labels = load_idx(data_dir, split)
    elif data_dir:
        if os.path.isdir(os.path.join(data_dir, name.split("/")[0])):
            return _load_tfds(name, split, data_dir, **convert)
        if not os.path.isdir(data_dir):
            raise FileNotFoundError(f"The data directory {data_dir!r} does not exist.")
        raise FileNotFoundError(f"No {split} IDX files (e.g. {_IDX_PREFIXES.get(split, ('train',))[0]}-images-idx3-"
                                f"ubyte.gz and the matching labels file) and no TensorFlow Datasets copy of {name!r} "
                                f"in {data_dir!r}.")
    elif name in LOCAL_DIRS and has_idx(LOCAL_DIRS[name][0], split):
        images, labels = load_idx(LOCAL_DIRS[name][0], split)
    else:
        return _load_tfds(name, split, data_dir, **convert)
    if (image_size is not None or color_mode is not None) and np.asarray(images).dtype != np.uint8:
        raise ValueError(f"image_size= and color_mode= convert uint8 images; {name!r} holds "
                         f"{np.asarray(images).dtype} ones.")
    return _convert_arrays(images, **convert), labels


# ------------------------------------------------------------------------------------------- arrays
def check_images(images, image_shape=None, trainer=None):
    """Validate an image (or vector) array and return it NHWC (or (N, d)), uint8 or float32, or raise one
    clear error: uint8 data are taken as [0, 255] and scaled later; float data must be finite, and float
    images (N, H, W, C) must lie in [-1, 1] already (vectors may take any value).

    `image_shape` is the shape one sample must have (a model's; then (N, H, W) is not expanded), and
    `trainer`, the name of a model about to train on the array, which takes floats in [-1, 1] only.
    """
    images = np.asarray(images)
    if image_shape is not None:
        shape = tuple(images.shape[1:])
        if shape != tuple(image_shape):
            raise ValueError(f"{trainer or 'The model'} was built for samples of shape {tuple(image_shape)}, but the "
                             f"data have shape {shape} (batch {tuple(images.shape)}). Load data of that shape (e.g. "
                             f"keras_gans.data.load(...) gives NHWC) or build the model with image_shape={shape}.")
    else:
        if images.ndim == 3:
            images = images[..., None]  # (N, H, W) grayscale
        if images.ndim not in (2, 4):
            raise ValueError(f"Expected images of shape (N, H, W, C) or (N, H, W), or vectors (N, d); got an array "
                             f"of shape {images.shape}.")
    if images.dtype == np.uint8 and not trainer:
        return images
    if not np.issubdtype(images.dtype, np.floating):
        accepted = f"{trainer} trains on float images in [-1, 1]" if trainer else \
            "Expected uint8 images in [0, 255] or float images in [-1, 1]"
        fix = "images / 127.5 - 1" if trainer else "images.astype('uint8') or images / 127.5 - 1"
        raise ValueError(f"{accepted}; got dtype {images.dtype}. Use keras_gans.data.load(...) or convert with {fix}.")
    if not np.isfinite(images).all():
        raise ValueError("The images contain NaN or infinite values; clean the data before training on them.")
    low, high = (float(images.min()), float(images.max())) if images.size else (0.0, 0.0)
    if images.ndim == 4 and images.size and low >= 0.0 and high <= 1.0:
        # Images scaled to [-1, 1] have their dark pixels below 0; none at all means [0, 1] data, which a tanh
        # generator would learn as washed-out greys.
        raise ValueError(f"These float images lie in [{low:.3g}, {high:.3g}]: they look like [0, 1] data, but "
                         f"training takes [-1, 1]. Scale them with 2 * x - 1.")
    # Images must lie in the generators' tanh range; vectors (the toy mixtures, tabular data) may lie anywhere,
    # for a generator with a linear output.
    if images.ndim == 4 and (low < -1.0 - 1e-3 or high > 1.0 + 1e-3):
        raise ValueError(f"{trainer + ' trains on' if trainer else 'Float'} images in [-1, 1] (the generator's tanh "
                         f"range); these span [{low:.3g}, {high:.3g}]. Scale them, e.g. x / 127.5 - 1 for [0, 255] "
                         f"data or 2 * x - 1 for [0, 1] data.")
    return images.astype("float32")


def check_labels(labels, num_classes=None, n=None, unlabeled=False):
    """Labels as int32 numpy, or one clear error: integers in [0, num_classes) (any class number >= 0 when
    num_classes is None), `n` of them when given; `unlabeled=True` also accepts -1 (no label)."""
    labels = np.asarray(labels)
    classes = f"[0, {num_classes})" if num_classes else ">= 0"
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"Labels must be integers {classes}; got dtype {labels.dtype}. Pass class numbers, e.g. "
                         f"labels.astype('int32') if they are whole numbers stored as floats.")
    labels = labels.astype("int32").reshape(-1)
    if n is not None and len(labels) != n:
        raise ValueError(f"Got {len(labels)} labels for {n} samples.")
    low = -1 if unlabeled else 0
    if labels.size and (labels.min() < low or (num_classes and labels.max() >= num_classes)):
        raise ValueError(f"Labels must lie in {classes} for this model"
                         f"{' (or be -1 for unlabeled examples)' if unlabeled else ''}; got values from "
                         f"{labels.min()} to {labels.max()}.")
    return labels


def regroup(dataset, d_steps, replicas, batch_size):
    """One dataset element per fit step: `d_steps` consecutive batches of `batch_size`, laid out for
    `replicas` replicas (what `GANModel.fit` trains on).

    A distribution strategy hands replica r the r-th contiguous block of each element; the layout gives that
    block the r-th part of every one of the d_steps batches, so each discriminator update uses one whole
    real batch across the replicas, as it does on one device."""
    if batch_size % replicas:
        raise ValueError(f"A batch of {batch_size} cannot be split evenly across {replicas} replicas; use a "
                         f"batch size divisible by {replicas}.")
    if d_steps == 1:
        return dataset
    if any(spec.shape[0] is None for spec in tf.nest.flatten(dataset.element_spec)):
        raise ValueError(f"With d_steps={d_steps}, fit needs batches of one static size: batch the dataset with "
                         f"drop_remainder=True (keras_gans.data.load does).")

    def layout(t):
        parts = tf.reshape(t, [d_steps, replicas, batch_size // replicas] + t.shape[2:].as_list())
        parts = tf.transpose(parts, [1, 0] + list(range(2, len(parts.shape))))
        return tf.reshape(parts, [d_steps * batch_size] + t.shape[2:].as_list())

    return dataset.batch(d_steps, drop_remainder=True).map(
        lambda *batch: tf.nest.map_structure(layout, batch if len(batch) > 1 else batch[0]),
        num_parallel_calls=tf.data.AUTOTUNE)


def to_model_range(images):
    """Images as float32 NHWC in [-1, 1], the range every generator and discriminator here works in: uint8
    images are scaled from [0, 255], float images are checked to lie in [-1, 1] already."""
    images = check_images(images)
    return images.astype("float32") / 127.5 - 1.0 if images.dtype == np.uint8 else images


def labeled_subset(images, labels, per_class, seed=0):
    """Exactly `per_class` examples of every class, drawn without replacement (seeded), in shuffled order."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        if len(where) < per_class:
            raise ValueError(f"Class {label} has only {len(where)} examples; cannot take {per_class} per class.")
        chosen.append(rng.choice(where, per_class, replace=False))
    chosen = rng.permutation(np.concatenate(chosen))
    return np.asarray(images)[chosen], labels[chosen]


def semi_supervised(name, labeled_per_class, split="train", batch_size=64, data_dir=None, seed=0):
    """Batches for semi-supervised training (catGAN, SGAN): per step, `batch_size` unlabeled images and
    `batch_size` images of a labeled subset (exactly `labeled_per_class` of every class, drawn from `split`
    with `seed`), interleaved in one batch of 2 * batch_size whose labels are -1 on the unlabeled rows.

    An epoch is one pass over the unlabeled images (the whole split, labels hidden); the labeled subset
    repeats, reshuffled each time. Interleaving keeps half of every slice labeled, so a distribution
    strategy hands each replica both kinds. `name` is a dataset name or `(images, labels)` arrays.
    """
    images, labels = (load_arrays(name, split, data_dir) if isinstance(name, str) else name)
    if labels is None:
        raise ValueError("Semi-supervised training needs labels for the labeled subset: pass (images, labels).")
    images = check_images(images)
    labeled_images, labeled_labels = labeled_subset(images, labels, labeled_per_class, seed=seed)
    return interleave_labeled(from_arrays(images, batch_size=batch_size, seed=seed),
                              labeled_batches(labeled_images, labeled_labels, batch_size, seed))


def labeled_batches(images, labels, batch_size=64, seed=0):
    """Endless `(images in [-1, 1], int32 labels)` batches of a small labeled set, reshuffled (seeded) on every
    pass: the labeled half of semi-supervised batches."""
    images, labels = tf.constant(images), tf.constant(np.asarray(labels).astype("int32"))
    count = int(labels.shape[0])
    return (tf.data.Dataset.range(count).shuffle(count, seed=seed, reshuffle_each_iteration=True).repeat()
            .batch(batch_size, drop_remainder=True)
            .map(lambda index: (_scale(tf.gather(images, index)), tf.gather(labels, index))))


def interleave_labeled(unlabeled, labeled):
    """Zip a dataset of unlabeled batches with one of (inputs, labels) batches into single batches whose rows
    alternate unlabeled, labeled, ..., with label -1 on the unlabeled rows; ends with the shorter one."""
    def interleave(unlabeled_batch, labeled_batch):
        batch, batch_labels = labeled_batch
        rows = tf.reshape(tf.stack([unlabeled_batch, batch], axis=1), [-1] + batch.shape[1:].as_list())
        return rows, tf.reshape(tf.stack([-tf.ones_like(batch_labels), batch_labels], axis=1), [-1])

    return tf.data.Dataset.zip(unlabeled, labeled).map(interleave).prefetch(tf.data.AUTOTUNE)


def _scale(images):
    if images.dtype == tf.uint8:
        return tf.cast(images, tf.float32) / 127.5 - 1.0
    return images


def from_arrays(images, labels=None, batch_size=64, shuffle=True, drop_remainder=True, seed=None):
    """A dataset of `(images, labels)` (or `images`) batches scaled to [-1, 1], shuffled every epoch.

    Batches are gathered from in-memory tensors by shuffled indices, which keeps the input pipeline far
    from being the bottleneck of a small GAN.
    """
    images = check_images(images)
    if labels is not None:
        labels = check_labels(labels, unlabeled=True)  # -1: an unlabeled row (semi-supervised games)
        if len(labels) != len(images):
            raise ValueError(f"{len(images)} images but {len(labels)} labels.")
    if drop_remainder and len(images) < batch_size:
        raise ValueError(f"Only {len(images)} examples, fewer than one batch of {batch_size}: lower batch_size.")
    images = tf.constant(images)
    labels = None if labels is None else tf.constant(labels)
    ds = tf.data.Dataset.range(len(images))
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)

    def gather(index):
        batch = _scale(tf.gather(images, index))
        return batch if labels is None else (batch, tf.gather(labels, index))

    return ds.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)


def load(name, split="train", batch_size=64, shuffle=True, drop_remainder=True, data_dir=None,
         labeled_per_class=None, seed=None, **convert_options):
    """A batched, shuffled, prefetched dataset of `(images in [-1, 1], int32 labels)` (images alone for a
    folder without class subfolders).

    Args:
        name: a dataset name (see the module docstring for where it is read from), a folder of images (PNG,
            JPEG, ...; class subfolders become labels), a .npz file, or numpy data: `images` or `(images, labels)`.
        split: "train" or "test" (TFDS names like "train[:10%]" work for TFDS datasets).
        batch_size: examples per batch -- per discriminator update; see `GANModel.fit`.
        drop_remainder: drop a last, smaller batch (training needs equal batches).
        data_dir: a directory with IDX files, or TFDS's data directory.
        labeled_per_class: keep exactly this many examples of every class (a labeled subset).
        seed: shuffling and subset seed.
        convert_options: `image_size`, `color_mode` and `crop` for uint8 images from any source, and for a
            folder `cache` (see `load_arrays`).
    """
    if isinstance(name, str):
        images, labels = load_arrays(name, split, data_dir, **convert_options)
    elif isinstance(name, (tuple, list)):
        images, labels = name if len(name) == 2 else (name[0], None)
    else:
        images, labels = name, None
    if labeled_per_class is not None:
        if labels is None:
            raise ValueError("labeled_per_class needs labels: pass (images, labels).")
        images, labels = labeled_subset(images, labels, labeled_per_class, seed=seed or 0)
    return from_arrays(images, labels, batch_size=batch_size, shuffle=shuffle, drop_remainder=drop_remainder,
                       seed=seed)


# -------------------------------------------------------------------------------------- toy data
# The toy distributions of the GAN literature, as seeded `tf.data` streams of flat vectors (shape (d,)):
#   gaussian_1d  N(mu = 4, sigma = 1.25)                 ("GAN in 50 lines of code", Nag 2017)
#   ring         8 Gaussians evenly on a circle of radius 2, sigma = 0.02   (Metz et al., unrolled GANs)
#   grid         25 Gaussians at {-4, -2, 0, 2, 4}^2, sigma = 0.05          (Srivastava et al., VEEGAN)
# Their values lie outside the generators' tanh range [-1, 1], so every stream takes `scale`: it yields
# samples / scale (the toy runner uses 2.5 for the ring and 5 for the grid, 10 for the 1-D Gaussian) and
# reports results after multiplying back. Every sample is a stateless function of (seed, batch number),
# so a stream is the same on every run and every machine.
GAUSSIAN_1D = {"mean": 4.0, "std": 1.25}
TOY_SIGMA = {"ring": 0.02, "grid": 0.05}
TOY_SCALE = {"gaussian_1d": 10.0, "ring": 2.5, "grid": 5.0}


def ring_centres(modes=8, radius=2.0):
    """(modes, 2) centres evenly spaced on a circle of `radius`, the first at (radius, 0)."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype("float32")


def grid_centres(values=(-4.0, -2.0, 0.0, 2.0, 4.0)):
    """(len(values)^2, 2) centres of a square grid, row-major: (x0, y0), (x0, y1), ..."""
    values = np.asarray(values, "float32")
    return np.stack(np.meshgrid(values, values, indexing="ij"), axis=-1).reshape(-1, 2)


def toy_centres(name):
    """(centres (K, d), sigma) of a named 2-D mixture: "ring" or "grid"."""
    if name == "ring":
        return ring_centres(), TOY_SIGMA["ring"]
    if name == "grid":
        return grid_centres(), TOY_SIGMA["grid"]
    raise ValueError(f"Unknown toy mixture {name!r}: use 'ring' or 'grid'.")


def _mixture_batch(centres, sigma, n, seed):
    """n samples of the equal-weight mixture of N(centre, sigma^2 I), and their mode indices (int32)."""
    centres = tf.constant(centres, tf.float32)
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2)
    modes = tf.random.stateless_uniform((n,), seeds[0], 0, int(centres.shape[0]), dtype=tf.int32)
    noise = tf.random.stateless_normal((n, int(centres.shape[1])), seeds[1])
    return tf.gather(centres, modes) + sigma * noise, modes


def _stream(batch_fn, batch_size, seed):
    """An endless dataset whose i-th element is batch_fn(batch_size, (seed, i))."""
    seed = int(seed)
    return tf.data.Dataset.counter().map(
        lambda i: batch_fn(batch_size, tf.stack([tf.constant(seed, tf.int64), i])),
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)


def mixture(centres, sigma, batch_size=256, seed=0, scale=1.0, labels=False):
    """An endless, seeded stream of batches from the equal-weight mixture of N(centre, sigma^2 I).

    Yields float32 (batch_size, d) samples / `scale`, or `(samples, mode indices)` with `labels=True`
    (conditional models use the mode as the class label)."""
    centres = np.asarray(centres, "float32")

    def batch(n, seed_pair):
        samples, modes = _mixture_batch(centres, sigma, n, seed_pair)
        return (samples / scale, modes) if labels else samples / scale

    return _stream(batch, batch_size, seed)


def ring(batch_size=256, seed=0, scale=1.0, labels=False):
    """8 Gaussians evenly on a circle of radius 2, sigma = 0.02: a seeded `tf.data` stream (see `mixture`)."""
    return mixture(ring_centres(), TOY_SIGMA["ring"], batch_size, seed, scale, labels)


def grid(batch_size=256, seed=0, scale=1.0, labels=False):
    """25 Gaussians at {-4, -2, 0, 2, 4}^2, sigma = 0.05: a seeded `tf.data` stream (see `mixture`)."""
    return mixture(grid_centres(), TOY_SIGMA["grid"], batch_size, seed, scale, labels)


def gaussian_1d(batch_size=256, seed=0, scale=1.0, mean=GAUSSIAN_1D["mean"], std=GAUSSIAN_1D["std"]):
    """N(mean = 4, std = 1.25) as a seeded `tf.data` stream of float32 (batch_size, 1) batches / `scale`."""
    return _stream(lambda n, seed_pair: (mean + std * tf.random.stateless_normal((n, 1), seed_pair)) / scale,
                   batch_size, seed)


def toy_arrays(name, n, seed=0, scale=1.0):
    """n samples of a named toy distribution as numpy arrays: (samples (n, d), mode indices (n,) int32;
    all zeros for "gaussian_1d"), divided by `scale`."""
    seed_pair = tf.constant([int(seed), -1], tf.int64)  # not a batch of the stream with the same seed
    if name == "gaussian_1d":
        samples = GAUSSIAN_1D["mean"] + GAUSSIAN_1D["std"] * tf.random.stateless_normal((n, 1), seed_pair)
        return (samples / scale).numpy(), np.zeros(n, "int32")
    centres, sigma = toy_centres(name)
    samples, modes = _mixture_batch(centres, sigma, n, seed_pair)
    return (samples / scale).numpy(), modes.numpy()

