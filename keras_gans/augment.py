"""DiffAugment (Zhao et al., 2020, "Differentiable Augmentation for Data-Efficient GAN Training") as pure
functions: an NHWC batch and uniform noise in, the augmented batch out.

The discriminator of a GAN trained on little data memorises the real images; DiffAugment shows it every
batch -- real and fake alike, in both updates -- through the same random transformation T, so that it
cannot tell them apart by details T destroys, and G's gradient flows back through T (every function here
is differentiable in its input). Like `penalties`, the random parts are arguments: `u` is U[0, 1) noise of
shape (batch, k) drawn by the caller (`GANModel.sample_uniform`, so that it follows the model's seed,
replicas and checkpoints), k = `NOISE_WIDTH[name]`. Wherever a no-op exists, u = 0.5 gives it.

`apply(images, policy, sample_uniform)` runs a policy, a tuple of names from `AUGMENTATIONS`.
"""
from keras import ops

# Where a transformation has a no-op, this noise value gives it (the middle of every range below).
IDENTITY = 0.5


def _per_sample(u, images):
    """(batch,) noise as (batch, 1, 1, 1), in the images' dtype."""
    return ops.reshape(ops.cast(u, images.dtype), (-1, 1, 1, 1))


def color(images, u):
    """Random brightness, saturation and contrast, one draw of each per image, u of shape (batch, 3):

        brightness   x <- x + (u0 - 0.5)                             shift in [-0.5, 0.5)
        saturation   x <- (x - mean_c(x)) * 2 u1 + mean_c(x)         factor in [0, 2), mean over channels
        contrast     x <- (x - mean_hwc(x)) * (u2 + 0.5) + mean_hwc(x)   factor in [0.5, 1.5), mean over the image

    u = 0.5 leaves the images as they are. (Saturation does nothing to one-channel images.)"""
    brightness, saturation, contrast = (_per_sample(u[:, i], images) for i in range(3))
    images = images + (brightness - 0.5)
    mean = ops.mean(images, axis=3, keepdims=True)
    images = (images - mean) * (2.0 * saturation) + mean
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    return (images - mean) * (contrast + 0.5) + mean


def _max_shift(size, ratio):
    return int(size * ratio + 0.5)


def _shift_matrices(size, shifts):
    """(batch, size, size) 0/1 matrices S with S[b, i, j] = 1 where j = i - shifts[b]: S @ x moves x by
    shifts[b] along that axis and fills the uncovered rows with zeros."""
    rows = ops.reshape(ops.arange(size, dtype="int32"), (1, size, 1))
    cols = ops.reshape(ops.arange(size, dtype="int32"), (1, 1, size))
    return ops.equal(cols, rows - ops.reshape(shifts, (-1, 1, 1)))


def translation(images, u, ratio=0.125):
    """Shift each image by whole pixels, zero padding what the shift uncovers, u of shape (batch, 2):

        x'[i, j] = x[i - t_h, j - t_w]  (0 outside the image),   t = floor(u (2 s + 1)) - s,   s = round(ratio * size)

    so t is uniform on {-s, ..., s} along height and width (s = 4 for 28 px at ratio 1/8); u = 0.5 gives
    t = 0, the identity. Done as two batched matrix products with 0/1 shift matrices, which XLA compiles
    and whose gradient is the opposite shift."""
    height, width = images.shape[1], images.shape[2]
    shifts = []
    for axis, size in ((0, height), (1, width)):
        s = _max_shift(size, ratio)
        shifts.append(ops.cast(ops.floor(ops.cast(u[:, axis], "float32") * (2 * s + 1)), "int32") - s)
    rows = ops.cast(_shift_matrices(height, shifts[0]), images.dtype)
    cols = ops.cast(_shift_matrices(width, shifts[1]), images.dtype)
    images = ops.einsum("bij,bjwc->biwc", rows, images)
    return ops.einsum("bkl,bhlc->bhkc", cols, images)


def cutout(images, u, ratio=0.5):
    """Zero one square of side c = round(ratio * size) per image at a random place, u of shape (batch, 2):

        x'[i, j] = 0 for a_h <= i < a_h + c and a_w <= j < a_w + c, x[i, j] elsewhere,
        a = floor(u (size + 1 - c mod 2)) - c // 2      (the square's first row / column)

    The square may reach past the border, so fewer than c x c pixels may be cut; there is no no-op."""
    height, width = images.shape[1], images.shape[2]
    inside = []
    for axis, size in ((0, height), (1, width)):
        c = _max_shift(size, ratio)
        centre = ops.cast(ops.floor(ops.cast(u[:, axis], "float32") * (size + 1 - c % 2)), "int32")
        start = ops.reshape(centre - c // 2, (-1, 1))
        index = ops.reshape(ops.arange(size, dtype="int32"), (1, size))
        inside.append(ops.logical_and(index >= start, index < start + c))
    cut = ops.logical_and(ops.expand_dims(inside[0], 2), ops.expand_dims(inside[1], 1))
    return images * ops.expand_dims(1.0 - ops.cast(cut, images.dtype), 3)


AUGMENTATIONS = {"color": color, "translation": translation, "cutout": cutout}
# Noise values per image that each transformation takes.
NOISE_WIDTH = {"color": 3, "translation": 2, "cutout": 2}


def parse_policy(policy):
    """A policy as a tuple of names: None/""/() -> (), "translation,cutout,color" -> ("translation", "cutout",
    "color"); one clear ValueError for an unknown name."""
    if not policy:
        return ()
    names = [name.strip() for name in policy.split(",")] if isinstance(policy, str) else [str(p) for p in policy]
    unknown = [name for name in names if name not in AUGMENTATIONS]
    if unknown or not names:
        raise ValueError(f"Unknown augmentation {', '.join(map(repr, unknown))} in augment={policy!r}: use a "
                         f"comma-separated list of {', '.join(AUGMENTATIONS)}, e.g. 'translation,cutout,color'.")
    return tuple(names)


def apply(images, policy, sample_uniform):
    """`images` (batch, height, width, channels) through each transformation of `policy` in turn, with noise
    from `sample_uniform(shape)` (U[0, 1), one draw per transformation)."""
    batch = ops.shape(images)[0]
    for name in policy:
        images = AUGMENTATIONS[name](images, sample_uniform((batch, NOISE_WIDTH[name])))
    return images
