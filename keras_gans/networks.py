"""Network builders: functions that return `keras.Model`s sized from the data shape.

Generators map `z` (plus `labels` for conditional models) to samples in [-1, 1]; discriminators map
samples (plus `labels`) to `output_units` linear outputs (logits). Conditional networks take a list
`[inputs, labels]` with integer labels of shape `(batch,)`.

The last layer of every network runs in float32, so that a `mixed_float16` policy computes the
hidden layers in half precision while samples and logits stay float32.

Architectures, selected by name with `build_generator` / `build_discriminator`:
- "mlp":     the original GAN tutorial's fully connected nets (LeakyReLU, dropout in D, tanh output).
- "infogan": the 28x28 conv nets of the infoGAN paper (Chen et al., 2016, appendix C.1), also used by the
             public PyTorch/TF "generative model collections" -- the default, so results compare with theirs.
- "dcgan":   the DCGAN rules (Radford et al., 2016): strided (transposed) convs, no pooling, no hidden FC,
             batch norm everywhere except G's output and D's input, ReLU + tanh in G, LeakyReLU in D.
"""
import math

import keras
from keras import layers

# DCGAN paper, section 4: "All weights were initialized from a zero-centered Normal distribution with
# standard deviation 0.02"; the infoGAN collections use the same.
def _init():
    return keras.initializers.RandomNormal(stddev=0.02)


def _inputs(shape, num_classes, name):
    """Input(s) of a network and the tensor to build on: one-hot labels joined to `shape` when conditional."""
    x = keras.Input(shape, name=name)
    if not num_classes:
        return x, x, None
    labels = keras.Input((), dtype="int32", name="labels")
    return [x, labels], x, layers.CategoryEncoding(num_classes, output_mode="one_hot", name="one_hot")(labels)


def _join_labels(h, one_hot):
    """Concatenate one-hot labels to a feature vector or, tiled over space, to a feature map."""
    if one_hot is None:
        return h
    if len(h.shape) == 4:
        height, width = h.shape[1], h.shape[2]
        maps = layers.Reshape((1, 1, one_hot.shape[-1]))(one_hot)
        maps = layers.UpSampling2D((height, width))(maps)
        return layers.Concatenate()([h, maps])
    return layers.Concatenate()([h, one_hot])


def _normalization(kind, name):
    if kind == "batch":
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
    if kind == "layer":
        return layers.LayerNormalization(name=name)
    if kind is None:
        return layers.Identity(name=name)
    raise ValueError(f"Unknown normalization {kind!r}: use 'batch', 'layer' or None.")


def _to_output(h, shape, name):
    h = layers.Dense(math.prod(shape), kernel_initializer=_init(), name=f"{name}_dense")(h)
    if len(shape) > 1:
        h = layers.Reshape(shape)(h)
    # The last layer runs in float32 so that mixed precision never hands out half-precision samples.
    return layers.Activation("tanh", dtype="float32", name=name)(h)


def _logits(h, units):
    return layers.Dense(units, kernel_initializer=_init(), dtype="float32", name="logits")(h)


# ---------------------------------------------------------------------------------------------- MLP
def mlp_generator(output_shape, latent_dim=100, num_classes=None, hidden=(256, 512, 1024), name="generator"):
    """z -> Dense(h) + LeakyReLU(0.2) for each h in `hidden` -> Dense(prod(output_shape)) + tanh."""
    output_shape = tuple(output_shape)
    inputs, z, one_hot = _inputs((latent_dim,), num_classes, "z")
    h = _join_labels(z, one_hot)
    for i, units in enumerate(hidden):
        h = layers.Dense(units, kernel_initializer=_init(), name=f"dense_{i}")(h)
        h = layers.LeakyReLU(0.2)(h)
    return keras.Model(inputs, _to_output(h, output_shape, "samples"), name=name)


def mlp_discriminator(input_shape, num_classes=None, hidden=(1024, 512, 256), dropout=0.3, output_units=1,
                      normalization=None, name="discriminator"):
    """x -> flatten -> Dense(h) + LeakyReLU(0.2) + Dropout for each h in `hidden` -> Dense(output_units)."""
    inputs, x, one_hot = _inputs(tuple(input_shape), num_classes, "images")
    h = _join_labels(layers.Flatten()(x), one_hot)
    for i, units in enumerate(hidden):
        h = layers.Dense(units, kernel_initializer=_init(), name=f"dense_{i}")(h)
        h = _normalization(normalization, f"norm_{i}")(h)
        h = layers.LeakyReLU(0.2)(h)
        if dropout:
            h = layers.Dropout(dropout)(h)
    return keras.Model(inputs, _logits(h, output_units), name=name)


# ------------------------------------------------------------------------------------------ infoGAN
def _check_divisible(image_shape, factor, architecture):
    if len(image_shape) != 3 or image_shape[0] % factor or image_shape[1] % factor:
        raise ValueError(f"The {architecture!r} networks need images (height, width, channels) with height and "
                         f"width divisible by {factor}; got image_shape={tuple(image_shape)}. Resize the images "
                         f"or use architecture='mlp'.")


def infogan_generator(image_shape=(28, 28, 1), latent_dim=62, num_classes=None, name="generator"):
    """infoGAN paper, table (MNIST): FC 1024-BN-ReLU, FC (H/4)(W/4)128-BN-ReLU,
    deconv 64 4x4 s2-BN-ReLU, deconv C 4x4 s2 + tanh."""
    _check_divisible(image_shape, 4, "infogan")
    height, width, channels = image_shape
    inputs, z, one_hot = _inputs((latent_dim,), num_classes, "z")
    h = _join_labels(z, one_hot)
    for i, units in enumerate((1024, (height // 4) * (width // 4) * 128)):
        h = layers.Dense(units, use_bias=False, kernel_initializer=_init(), name=f"fc_{i}")(h)
        h = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"fc_{i}_bn")(h)
        h = layers.ReLU()(h)
    h = layers.Reshape((height // 4, width // 4, 128))(h)
    h = layers.Conv2DTranspose(64, 4, 2, "same", use_bias=False, kernel_initializer=_init(), name="deconv_0")(h)
    h = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name="deconv_0_bn")(h)
    h = layers.ReLU()(h)
    h = layers.Conv2DTranspose(channels, 4, 2, "same", kernel_initializer=_init(), name="deconv_1")(h)
    images = layers.Activation("tanh", dtype="float32", name="images")(h)
    return keras.Model(inputs, images, name=name)


def infogan_features(image_shape=(28, 28, 1), num_classes=None, normalization="batch", name="features"):
    """The infoGAN discriminator without its last layer: conv 64 4x4 s2-LReLU, conv 128 4x4 s2-BN-LReLU,
    FC 1024-BN-LReLU. Returned separately so that heads (D's logit, infoGAN's Q) can share it."""
    _check_divisible(image_shape, 4, "infogan")
    inputs, x, one_hot = _inputs(tuple(image_shape), num_classes, "images")
    h = _join_labels(x, one_hot)
    h = layers.Conv2D(64, 4, 2, "same", kernel_initializer=_init(), name="conv_0")(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Conv2D(128, 4, 2, "same", kernel_initializer=_init(), name="conv_1")(h)
    h = _normalization(normalization, "conv_1_norm")(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Dense(1024, kernel_initializer=_init(), name="fc")(layers.Flatten()(h))
    h = _normalization(normalization, "fc_norm")(h)
    h = layers.LeakyReLU(0.2)(h)
    return keras.Model(inputs, h, name=name)


def infogan_discriminator(image_shape=(28, 28, 1), num_classes=None, output_units=1, normalization="batch",
                          name="discriminator"):
    """`infogan_features` followed by FC `output_units` (linear: logits or critic values)."""
    features = infogan_features(image_shape, num_classes, normalization)
    return keras.Model(features.inputs, _logits(features.output, output_units), name=name)


# -------------------------------------------------------------------------------------------- DCGAN
def _dcgan_depth(image_shape):
    """Number of stride-2 stages: halve the image while it stays whole and at least 4 px."""
    _check_divisible(image_shape, 4, "dcgan")
    depth, size = 0, min(image_shape[:2])
    while size % 2 == 0 and size // 2 >= 4 and image_shape[0] % 2 ** (depth + 1) == 0 \
            and image_shape[1] % 2 ** (depth + 1) == 0:
        depth, size = depth + 1, size // 2
    return depth


def dcgan_generator(image_shape=(64, 64, 3), latent_dim=100, num_classes=None, filters=64, name="generator"):
    """DCGAN generator: project z to a (H/2^n, W/2^n, filters*2^(n-1)) map (BN, ReLU), then n transposed
    convs 4x4 stride 2 that halve the filters (BN, ReLU), the last one to C channels with tanh.
    n = 2 for 28 px (7 -> 14 -> 28), 3 for 32 px, 4 for 64 px (the paper's 4 -> 8 -> 16 -> 32 -> 64)."""
    depth = _dcgan_depth(image_shape)
    height, width, channels = image_shape
    inputs, z, one_hot = _inputs((latent_dim,), num_classes, "z")
    h = _join_labels(z, one_hot)
    top = filters * 2 ** (depth - 1)
    h = layers.Dense((height >> depth) * (width >> depth) * top, use_bias=False, kernel_initializer=_init(),
                     name="project")(h)
    h = layers.Reshape((height >> depth, width >> depth, top))(h)
    h = layers.ReLU()(layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name="project_bn")(h))
    for i in range(depth - 1):
        h = layers.Conv2DTranspose(top >> (i + 1), 4, 2, "same", use_bias=False, kernel_initializer=_init(),
                                   name=f"deconv_{i}")(h)
        h = layers.ReLU()(layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"deconv_{i}_bn")(h))
    h = layers.Conv2DTranspose(channels, 4, 2, "same", kernel_initializer=_init(), name=f"deconv_{depth - 1}")(h)
    return keras.Model(inputs, layers.Activation("tanh", dtype="float32", name="images")(h), name=name)


def dcgan_discriminator(image_shape=(64, 64, 3), num_classes=None, filters=64, output_units=1,
                        normalization="batch", name="discriminator"):
    """DCGAN discriminator: n convs 4x4 stride 2 doubling the filters, LeakyReLU(0.2), normalization on all
    but the first, then a linear unit on the flattened features."""
    depth = _dcgan_depth(image_shape)
    inputs, x, one_hot = _inputs(tuple(image_shape), num_classes, "images")
    h = _join_labels(x, one_hot)
    for i in range(depth):
        h = layers.Conv2D(filters << i, 4, 2, "same", use_bias=i == 0, kernel_initializer=_init(), name=f"conv_{i}")(h)
        if i:
            h = _normalization(normalization, f"conv_{i}_norm")(h)
        h = layers.LeakyReLU(0.2)(h)
    return keras.Model(inputs, _logits(layers.Flatten()(h), output_units), name=name)


# ------------------------------------------------------------------------------------- autoencoder
def autoencoder_discriminator(image_shape=(28, 28, 1), num_classes=None, embedding_dim=32, filters=64,
                              activation="relu", normalization="batch", name="discriminator"):
    """The autoencoder discriminator of EBGAN/BEGAN for small images, as in the public model collections:
    conv `filters` 4x4 s2 + activation -> FC `embedding_dim` (the code S) -> FC filters*(H/2)*(W/2)
    (+ normalization + activation) -> deconv C 4x4 s2 (linear). Outputs `[reconstruction, embedding]`."""
    _check_divisible(image_shape, 2, "autoencoder")
    height, width, channels = image_shape
    inputs, x, one_hot = _inputs(tuple(image_shape), num_classes, "images")
    h = layers.Conv2D(filters, 4, 2, "same", kernel_initializer=_init(), name="conv")(_join_labels(x, one_hot))
    h = layers.Activation(activation)(h)
    embedding = layers.Dense(embedding_dim, kernel_initializer=_init(), name="embedding")(layers.Flatten()(h))
    h = layers.Dense(filters * (height // 2) * (width // 2), kernel_initializer=_init(), name="decode")(embedding)
    h = layers.Activation(activation)(_normalization(normalization, "decode_norm")(h))
    h = layers.Reshape((height // 2, width // 2, filters))(h)
    h = layers.Conv2DTranspose(channels, 4, 2, "same", kernel_initializer=_init(), name="deconv")(h)
    reconstruction = layers.Activation("linear", dtype="float32", name="reconstruction")(h)
    embedding = layers.Activation("linear", dtype="float32", name="code")(embedding)
    return keras.Model(inputs, [reconstruction, embedding], name=name)


# ---------------------------------------------------------------------------------------- selection
_GENERATORS = {"mlp": mlp_generator, "infogan": infogan_generator, "dcgan": dcgan_generator}
_DISCRIMINATORS = {"mlp": mlp_discriminator, "infogan": infogan_discriminator, "dcgan": dcgan_discriminator}
ARCHITECTURES = tuple(_GENERATORS)


def _lookup(table, architecture):
    if architecture not in table:
        raise ValueError(f"Unknown architecture {architecture!r}; choose one of {', '.join(ARCHITECTURES)}.")
    return table[architecture]


def build_generator(architecture, image_shape, latent_dim, num_classes=None):
    """The generator of a named architecture, sized from `image_shape` and `latent_dim`."""
    return _lookup(_GENERATORS, architecture)(tuple(image_shape), latent_dim=latent_dim, num_classes=num_classes)


def build_discriminator(architecture, image_shape, num_classes=None, **options):
    """The discriminator of a named architecture; `options` go to its builder (output_units, normalization)."""
    return _lookup(_DISCRIMINATORS, architecture)(tuple(image_shape), num_classes=num_classes, **options)
