"""Network builders: functions that return `keras.Model`s sized from the data shape.

Generators map `z` (plus `labels` for conditional models) to samples in [-1, 1]; discriminators map
samples (plus `labels`) to `output_units` linear outputs (logits). Conditional networks take a list
`[inputs, labels]` with integer labels of shape `(batch,)`.

The last layer of every network runs in float32, so that a `mixed_float16` policy computes the
hidden layers in half precision while samples and logits stay float32.

Architectures, selected by name (`architecture=` of every game; `architectures()` lists them):
- "mlp":       the original GAN tutorial's fully connected nets (LeakyReLU, dropout in D, tanh output).
- "infogan":   the 28x28 conv nets of the infoGAN paper (Chen et al., 2016, appendix C.1), also used by the
               public PyTorch/TF "generative model collections" -- the default, so results compare with theirs.
- "dcgan":     the DCGAN rules (Radford et al., 2016): strided (transposed) convs, no pooling, no hidden FC,
               batch norm everywhere except G's output and D's input, ReLU + tanh in G, LeakyReLU in D.
- "gan_paper": the MNIST nets of the original GAN paper (ReLU/sigmoid generator, maxout discriminator).
- "toy":       small MLPs for low-dimensional data such as the 2-D mixtures of `keras_gans.toy`.
Each names a generator, a discriminator, an autoencoder discriminator (EBGAN, BEGAN) and infoGAN's Q head;
`register_architecture` adds one.
"""
import math
from typing import Callable, NamedTuple

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


def infogan_generator(image_shape=(28, 28, 1), latent_dim=62, num_classes=None, normalization="batch",
                      name="generator"):
    """infoGAN paper, table (MNIST): FC 1024-BN-ReLU, FC (H/4)(W/4)128-BN-ReLU,
    deconv 64 4x4 s2-BN-ReLU, deconv C 4x4 s2 + tanh. `normalization=None` drops the batch norms (each layer
    then has a bias of its own)."""
    _check_divisible(image_shape, 4, "infogan")
    height, width, channels = image_shape
    inputs, z, one_hot = _inputs((latent_dim,), num_classes, "z")
    h = _join_labels(z, one_hot)
    # A normalized layer needs no bias: the normalization's own offset is one.
    bias = normalization is None
    for i, units in enumerate((1024, (height // 4) * (width // 4) * 128)):
        h = layers.Dense(units, use_bias=bias, kernel_initializer=_init(), name=f"fc_{i}")(h)
        h = _normalization(normalization, f"fc_{i}_bn")(h)
        h = layers.ReLU()(h)
    h = layers.Reshape((height // 4, width // 4, 128))(h)
    h = layers.Conv2DTranspose(64, 4, 2, "same", use_bias=bias, kernel_initializer=_init(), name="deconv_0")(h)
    h = _normalization(normalization, "deconv_0_bn")(h)
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
    return keras.Model(features.input, _logits(features.output, output_units), name=name)


def add_q_head(discriminator, q_units, hidden=128, normalization="batch", name="discriminator"):
    """infoGAN's Q network on top of a discriminator: the features that feed D's "logits" layer -- every
    layer of D but its last, the same layer objects, not a copy -- go through Q's own head, FC `hidden`-BN-
    LReLU-FC `q_units` (infoGAN paper, appendix C.1). Returns one model with outputs [D's logits, Q's outputs],
    so D and Q are trained, saved and loaded as one network with the shared layers stored once."""
    features = discriminator.get_layer("logits").input
    h = layers.Dense(hidden, kernel_initializer=_init(), name="q_fc")(features)
    h = layers.LeakyReLU(0.2)(_normalization(normalization, "q_fc_norm")(h))
    q = layers.Dense(q_units, kernel_initializer=_init(), dtype="float32", name="q")(h)
    return keras.Model(discriminator.input, [discriminator.output, q], name=name)


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


def _dcgan_discriminator_depth(image_shape):
    """Number of stride-2 ("same") stages of the DCGAN discriminator: halve the smaller side, rounding up,
    while the result stays at least 4 px. The paper's D ends on a 4x4 map (64 -> 32 -> 16 -> 8 -> 4); an odd
    side keeps going where the generator has to stop (28 -> 14 -> 7 -> 4: three, where G has two)."""
    _check_divisible(image_shape, 4, "dcgan")
    depth, size = 0, min(image_shape[:2])
    while (size + 1) // 2 >= 4:
        depth, size = depth + 1, (size + 1) // 2
    return depth


def dcgan_discriminator(image_shape=(64, 64, 3), num_classes=None, filters=64, output_units=1,
                        normalization="batch", name="discriminator"):
    """DCGAN discriminator: n convs 4x4 stride 2 ("same") doubling the filters, LeakyReLU(0.2), normalization
    on all but the first, then a linear unit on the flattened features. n halves the image down to 4 px
    (`_dcgan_discriminator_depth`): 3 for 28 px (28 -> 14 -> 7 -> 4) and 32 px, 4 for 64 px, as in the paper."""
    # One stage more than G at 28 px: after one epoch of Fashion-MNIST (`keras-gans train dcgan --epochs 1`),
    # classifier-FID 10.76, 10.75, 11.59 at seeds 0-2 against 17.34, 17.26, 16.73 with D stopping at 7x7 as G
    # does (docs/parity.md, "DCGAN's discriminator depth").
    depth = _dcgan_discriminator_depth(image_shape)
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
                              activation="relu", normalization="batch", depth=1, name="discriminator"):
    """The autoencoder discriminator of EBGAN/BEGAN for small images, as in the public model collections:
    conv `filters` 4x4 s2 + activation -> FC `embedding_dim` (the code S) -> FC filters*(H/2)*(W/2)
    (+ normalization + activation) -> deconv C 4x4 s2 (linear). Outputs `[reconstruction, embedding]`.

    `depth` > 1 stacks that many stride-2 convolutions in the encoder (filters doubling at each, the
    normalization after every one but the first) and as many transposed ones in the decoder, its mirror image:
    depth 2 is the infoGAN-paper D's convolutions before the code and its G's after it."""
    depth = int(depth)
    if depth < 1:
        raise ValueError(f"The autoencoder's depth (its stride-2 convolutions) must be at least 1; got {depth}.")
    _check_divisible(image_shape, 2 ** depth, "autoencoder")
    height, width, channels = image_shape
    inputs, x, one_hot = _inputs(tuple(image_shape), num_classes, "images")
    h = _join_labels(x, one_hot)
    for i in range(depth):
        # The first layer keeps its original name, so that a depth-1 autoencoder is the one it always was.
        h = layers.Conv2D(filters << i, 4, 2, "same", kernel_initializer=_init(),
                          name="conv" if i == 0 else f"conv_{i}")(h)
        if i:
            h = _normalization(normalization, f"conv_{i}_norm")(h)
        h = layers.Activation(activation)(h)
    embedding = layers.Dense(embedding_dim, kernel_initializer=_init(), name="embedding")(layers.Flatten()(h))
    side, deepest = 2 ** depth, filters << (depth - 1)
    h = layers.Dense(deepest * (height // side) * (width // side), kernel_initializer=_init(),
                     name="decode")(embedding)
    h = layers.Activation(activation)(_normalization(normalization, "decode_norm")(h))
    h = layers.Reshape((height // side, width // side, deepest))(h)
    for i in reversed(range(1, depth)):
        h = layers.Conv2DTranspose(filters << (i - 1), 4, 2, "same", kernel_initializer=_init(),
                                   name=f"deconv_{i}")(h)
        h = layers.Activation(activation)(_normalization(normalization, f"deconv_{i}_norm")(h))
    h = layers.Conv2DTranspose(channels, 4, 2, "same", kernel_initializer=_init(), name="deconv")(h)
    reconstruction = layers.Activation("linear", dtype="float32", name="reconstruction")(h)
    embedding = layers.Activation("linear", dtype="float32", name="code")(embedding)
    return keras.Model(inputs, [reconstruction, embedding], name=name)


# ------------------------------------------------------------------------------ vectors and papers
def mlp_autoencoder_discriminator(input_shape, num_classes=None, hidden=(128,), embedding_dim=16,
                                  activation="elu", normalization=None, name="discriminator"):
    """An autoencoder discriminator for flat data (EBGAN/BEGAN on vectors, e.g. the 2-D toy mixtures):
    x -> Dense(h) + activation for each h in `hidden` -> Dense(embedding_dim) (the code S) -> the mirror
    image of the encoder -> Dense(prod(input_shape)) (linear), Glorot initialisation (see `toy_generator`).
    Outputs `[reconstruction, embedding]`, like `autoencoder_discriminator`."""
    input_shape = tuple(input_shape)
    inputs, x, one_hot = _inputs(input_shape, num_classes, "images")
    h = _join_labels(layers.Flatten()(x), one_hot)
    for i, units in enumerate(hidden):
        h = layers.Dense(units, name=f"encode_{i}")(h)
        h = layers.Activation(activation)(_normalization(normalization, f"encode_{i}_norm")(h))
    embedding = layers.Dense(embedding_dim, name="embedding")(h)
    h = embedding
    for i, units in enumerate(reversed(hidden)):
        h = layers.Dense(units, name=f"decode_{i}")(h)
        h = layers.Activation(activation)(_normalization(normalization, f"decode_{i}_norm")(h))
    h = layers.Dense(math.prod(input_shape), name="decode_out")(h)
    if len(input_shape) > 1:
        h = layers.Reshape(input_shape)(h)
    reconstruction = layers.Activation("linear", dtype="float32", name="reconstruction")(h)
    embedding = layers.Activation("linear", dtype="float32", name="code")(embedding)
    return keras.Model(inputs, [reconstruction, embedding], name=name)


def _uniform_init(limit):
    return keras.initializers.RandomUniform(-limit, limit)


def paper_generator(image_shape=(28, 28, 1), latent_dim=100, num_classes=None, hidden=(1200, 1200),
                    name="generator"):
    """The MNIST generator of the original GAN paper (Goodfellow et al., 2014; goodfeli/adversarial,
    mnist.yaml): z -> Dense(1200) + ReLU -> Dense(1200) + ReLU -> Dense(prod(shape)) + sigmoid, weights
    U(-0.05, 0.05). The sigmoid gives pixel intensities p in [0, 1], the paper's data; they are handed out
    as 2p - 1 so that the samples are in [-1, 1] like every other model of the package (train on the same
    images scaled x / 127.5 - 1, i.e. p = (x + 1) / 2)."""
    image_shape = tuple(image_shape)
    inputs, z, one_hot = _inputs((latent_dim,), num_classes, "z")
    h = _join_labels(z, one_hot)
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation="relu", kernel_initializer=_uniform_init(0.05), name=f"dense_{i}")(h)
    h = layers.Dense(math.prod(image_shape), kernel_initializer=_uniform_init(0.05), name="samples_dense")(h)
    if len(image_shape) > 1:
        h = layers.Reshape(image_shape)(h)
    pixels = layers.Activation("sigmoid", dtype="float32", name="pixels")(h)
    return keras.Model(inputs, layers.Rescaling(2.0, offset=-1.0, dtype="float32", name="samples")(pixels),
                       name=name)


@keras.saving.register_keras_serializable(package="keras_gans")
class Maxout(layers.Layer):
    """Maxout units (Goodfellow et al., 2013): `units` outputs, each the max of `pieces` linear pieces."""

    def __init__(self, units, pieces=5, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units, self.pieces = int(units), int(pieces)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.dense = layers.Dense(self.units * self.pieces, kernel_initializer=self.kernel_initializer)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, x):
        h = self.dense(x)
        return keras.ops.max(keras.ops.reshape(h, (-1, self.units, self.pieces)), axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "pieces": self.pieces,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


def maxout_discriminator(input_shape=(28, 28, 1), num_classes=None, hidden=(240, 240), pieces=5,
                         input_dropout=0.2, dropout=0.5, output_units=1, name="discriminator"):
    """The MNIST discriminator of the original GAN paper (mnist.yaml): dropout on the input (keep 0.8),
    two maxout layers of 240 units x 5 pieces with dropout 0.5, weights U(-0.005, 0.005), then a linear
    logit (the paper's sigmoid is in the loss)."""
    inputs, x, one_hot = _inputs(tuple(input_shape), num_classes, "images")
    h = layers.Flatten()(x)
    if input_dropout:
        h = layers.Dropout(input_dropout)(h)
    h = _join_labels(h, one_hot)
    for i, units in enumerate(hidden):
        h = Maxout(units, pieces, kernel_initializer=_uniform_init(0.005), name=f"maxout_{i}")(h)
        if dropout:
            h = layers.Dropout(dropout)(h)
    return keras.Model(inputs, _logits(h, output_units), name=name)


@keras.saving.register_keras_serializable(package="keras_gans")
class GroupMoments(layers.Layer):
    """For (batch, 1) samples cut into consecutive groups of `group_size`: each group's mean, standard
    deviation, skewness E[z^3] and excess kurtosis E[z^4] - 3 (z standardised), repeated for every row of
    the group -> (batch, 4). With `group_size` equal to the training batch, a discriminator call on
    [real batch; fake batch] sees the moments of each batch separately, as the "GAN in 50 lines" tutorial's
    D does."""

    def __init__(self, group_size, **kwargs):
        super().__init__(**kwargs)
        self.group_size = int(group_size)

    def call(self, x):
        ops = keras.ops
        groups = ops.reshape(ops.cast(x, "float32"), (-1, self.group_size))
        mean = ops.mean(groups, axis=1, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(groups - mean), axis=1, keepdims=True) + 1e-8)
        z = (groups - mean) / std
        moments = ops.concatenate([mean, std, ops.mean(z ** 3, axis=1, keepdims=True),
                                   ops.mean(z ** 4, axis=1, keepdims=True) - 3.0], axis=1)
        return ops.reshape(ops.repeat(moments[:, None, :], self.group_size, axis=1), (-1, 4))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 4)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


def moment_discriminator(group_size, hidden=(10, 10), activation="sigmoid", name="discriminator"):
    """The 1-D discriminator of "GAN in 50 lines of code" (Nag, 2017): it reads the moments (mean, std,
    skewness, kurtosis) of a whole batch of `group_size` samples -> Dense(10, sigmoid) x 2 -> one logit,
    repeated for every sample of the batch. Batches must be a multiple of `group_size`."""
    x = keras.Input((1,), name="samples")
    h = GroupMoments(group_size, name="moments")(x)
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation=activation, name=f"dense_{i}")(h)
    return keras.Model(x, _logits(h, 1), name=name)


def _toy_activation(kind):
    return layers.LeakyReLU(0.2) if kind == "leaky_relu" else layers.Activation(kind)


def toy_generator(output_shape=(2,), latent_dim=16, num_classes=None, hidden=(256, 256, 256), activation="leaky_relu",
                  output_activation="linear", name="generator"):
    """A small generator for low-dimensional data (the 2-D toy mixtures): Dense(h) + `activation` per h in
    `hidden` -> Dense(prod(shape)) + `output_activation`, with Keras' default Glorot initialisation -- N(0, 0.02),
    meant for wide conv layers, shrinks the signal of a narrow MLP on 2-D data layer by layer, and D then barely
    learns.

    The output is linear by default: the mixtures are trained in their own units (radius 2, grid to +-4), and
    a tanh after scaling them into [-1, 1] put the outer modes on its flat tails, where G's gradient vanishes
    -- WGAN-GP's samples ended on a line at the edge of the square."""
    output_shape = tuple(output_shape)
    inputs, z, one_hot = _inputs((latent_dim,), num_classes, "z")
    h = _join_labels(z, one_hot)
    for i, units in enumerate(hidden):
        h = _toy_activation(activation)(layers.Dense(units, name=f"dense_{i}")(h))
    h = layers.Dense(math.prod(output_shape), name="samples_dense")(h)
    if len(output_shape) > 1:
        h = layers.Reshape(output_shape)(h)
    return keras.Model(inputs, layers.Activation(output_activation, dtype="float32", name="samples")(h), name=name)


@keras.saving.register_keras_serializable(package="keras_gans")
class PackSamples(layers.Layer):
    """PacGAN's packing (Lin et al., 2018, https://arxiv.org/abs/1712.04086): rows (n, d) -> (n / m, m * d),
    `m` consecutive samples of the batch side by side, so that D judges m samples at once and gives one
    logit per pack. The batch must be a multiple of m."""

    def __init__(self, m=2, **kwargs):
        super().__init__(**kwargs)
        self.m = int(m)

    def call(self, x):
        return keras.ops.reshape(x, (-1, self.m * x.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (None, self.m * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "m": self.m}


def toy_discriminator(input_shape=(2,), num_classes=None, output_units=1, normalization=None,
                      hidden=(256, 256, 256), activation="leaky_relu", pack=1, name="discriminator"):
    """A small discriminator for low-dimensional data: (with `pack` > 1, PacGAN's `PackSamples(pack)`:
    one logit per `pack` samples) Dense(h) (+ normalization) + `activation` per h in `hidden`, no dropout
    -> Dense(output_units) logits named "logits" (so heads such as infoGAN's Q attach), Glorot
    initialisation."""
    inputs, x, one_hot = _inputs(tuple(input_shape), num_classes, "images")
    h = _join_labels(layers.Flatten()(x), one_hot)
    if pack > 1:
        h = PackSamples(pack, name="pack")(h)
    for i, units in enumerate(hidden):
        h = layers.Dense(units, name=f"dense_{i}")(h)
        h = _toy_activation(activation)(_normalization(normalization, f"norm_{i}")(h))
    return keras.Model(inputs, layers.Dense(output_units, dtype="float32", name="logits")(h), name=name)


def toy_autoencoder(input_shape=(2,), num_classes=None, embedding_dim=16, activation="elu", normalization=None,
                    depth=2, name="discriminator"):
    """The autoencoder discriminator of EBGAN/BEGAN on the toy mixtures: `mlp_autoencoder_discriminator` with
    `depth` hidden layers of 256 each way and a code of `embedding_dim`; the arguments mean what they mean
    for `autoencoder_discriminator`, a hidden layer standing for a convolution."""
    return mlp_autoencoder_discriminator(input_shape, num_classes, hidden=(256,) * int(depth),
                                         embedding_dim=embedding_dim, activation=activation,
                                         normalization=normalization, name=name)


# ------------------------------------------------------------------------------ spectral normalization
def has_spectral_norm(model):
    """Whether any layer of `model` (or of a model nested in it) is a `keras.layers.SpectralNormalization`."""
    return any(isinstance(layer, layers.SpectralNormalization) or
               (isinstance(layer, keras.Model) and has_spectral_norm(layer)) for layer in model.layers)


def spectral_normalize(model, power_iterations=1):
    """A copy of the functional `model` (new weights) with every Dense and Conv2D layer -- the last, "logits",
    included -- wrapped in `keras.layers.SpectralNormalization` (Miyato et al., 2018): in training, each call
    divides the kernel W by an estimate of its largest singular value sigma(W) (W reshaped to (-1, units),
    `power_iterations` steps of the power method per call, the singular vector kept in the layer), so that
    every wrapped layer is 1-Lipschitz and the discriminator's gradients stay bounded whatever the game.
    Other layers (batch or layer normalization, Maxout's own Dense) are copied as they are. A wrapper takes
    its layer's name, so that `get_layer("logits")` (infoGAN's Q head) still finds it. The wrapped layer keeps
    its dtype policy (computes in bfloat16/float16 under mixed precision, the output layer in float32); the
    wrapper itself runs in float32 (see `clone`)."""
    def clone(layer):
        copy = layer.__class__.from_config(layer.get_config())
        if type(layer) in (layers.Dense, layers.Conv2D):
            # The wrapper in float32: in training it writes the normalized kernel back into the float32
            # variable, and in a mixed policy it would compute it from the kernel cast to bfloat16/float16,
            # rounding the weights to half precision at every call (optimizer steps below that resolution lost).
            return layers.SpectralNormalization(copy, power_iterations=power_iterations, name=layer.name,
                                                dtype="float32")
        return copy

    return keras.models.clone_model(model, clone_function=clone)


# ------------------------------------------------------------------------------------- architectures
class Architecture(NamedTuple):
    """The builders of one named architecture. `generator(image_shape, latent_dim=, num_classes=)`,
    `discriminator(image_shape, num_classes=, output_units=, **options)`; games whose discriminator is an
    autoencoder (EBGAN, BEGAN) ask `autoencoder(image_shape, num_classes=, **options)`, and infoGAN puts
    `q_head(discriminator, q_units)` on its discriminator."""
    generator: Callable
    discriminator: Callable
    autoencoder: Callable = autoencoder_discriminator
    q_head: Callable = add_q_head


_ARCHITECTURES = {}


def register_architecture(name, generator, discriminator, autoencoder=autoencoder_discriminator, q_head=add_q_head):
    """Make `architecture=name` build these networks for every game (see `Architecture`)."""
    _ARCHITECTURES[name] = Architecture(generator, discriminator, autoencoder, q_head)


def architectures():
    """The names `architecture=` accepts."""
    return tuple(_ARCHITECTURES)


def _lookup(architecture):
    if architecture not in _ARCHITECTURES:
        raise ValueError(f"Unknown architecture {architecture!r}; choose one of {', '.join(architectures())}.")
    return _ARCHITECTURES[architecture]


def build_generator(architecture, image_shape, latent_dim, num_classes=None, **options):
    """The generator of a named architecture, sized from `image_shape` and `latent_dim`; `options` go to its
    builder (e.g. `filters` of the DCGAN one)."""
    return _lookup(architecture).generator(tuple(image_shape), latent_dim=latent_dim, num_classes=num_classes,
                                           **options)


def build_discriminator(architecture, image_shape, num_classes=None, **options):
    """The discriminator of a named architecture; `options` go to its builder (output_units, normalization)."""
    return _lookup(architecture).discriminator(tuple(image_shape), num_classes=num_classes, **options)


def build_autoencoder(architecture, image_shape, num_classes=None, **options):
    """The autoencoder discriminator of a named architecture (outputs [reconstruction, code])."""
    return _lookup(architecture).autoencoder(tuple(image_shape), num_classes=num_classes, **options)


def build_q_head(architecture, discriminator, q_units):
    """infoGAN's Q head of a named architecture on `discriminator` (outputs [D's logits, Q's outputs])."""
    return _lookup(architecture).q_head(discriminator, q_units)


register_architecture("mlp", mlp_generator, mlp_discriminator)
register_architecture("infogan", infogan_generator, infogan_discriminator)
register_architecture("dcgan", dcgan_generator, dcgan_discriminator)
register_architecture("gan_paper", paper_generator, maxout_discriminator)
# The small MLPs `keras-gans toy` trains on 2-D mixtures; every game builds its own heads on them.
register_architecture("toy", toy_generator, toy_discriminator, autoencoder=toy_autoencoder)
