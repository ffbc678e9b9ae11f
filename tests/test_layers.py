"""keras_gans.layers: SubPixelConv2DTranspose is Conv2DTranspose(filters, 4, 2, "same") -- the same function,
gradients and weights."""
import numpy as np
import pytest
import tensorflow as tf

import keras
from keras_gans.layers import SubPixelConv2DTranspose

# (batch, height, width, channels, filters, use_bias, activation): odd and even sizes, one and many channels.
CASES = [(1, 7, 7, 128, 64, False, None),   # the infoGAN generator's first transposed conv
         (3, 14, 14, 64, 1, True, "tanh"),   # its last one
         (2, 7, 14, 3, 5, True, None),
         (5, 5, 9, 1, 3, False, "tanh"),
         (4, 14, 7, 8, 16, True, "relu")]


def pair(filters, use_bias, activation, input_shape, rng, **kwargs):
    """Conv2DTranspose(filters, 4, 2, "same") and a SubPixelConv2DTranspose holding the same random weights."""
    reference = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=use_bias,
                                             activation=activation, **kwargs)
    layer = SubPixelConv2DTranspose(filters, use_bias=use_bias, activation=activation, **kwargs)
    reference.build(input_shape)
    layer.build(input_shape)
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [(w.name, tuple(w.shape)) for w in reference.weights]
    weights = [rng.normal(size=w.shape) for w in reference.weights]
    reference.set_weights(weights)
    layer.set_weights(weights)
    return reference, layer


def outputs_and_gradients(layer, x, upstream, jit_compile):
    """The layer's output on x and the gradients of sum(output * upstream) with respect to x and its weights."""
    @tf.function(jit_compile=jit_compile)
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(tf.cast(y, upstream.dtype) * upstream)
        return y, tape.gradient(loss, [x] + layer.trainable_variables)

    y, gradients = run(x)
    return [y.numpy()] + [g.numpy() for g in gradients]


def magnitudes(reference, x, upstream, jit_compile):
    """The scale at which float rounding errs, per tensor of `outputs_and_gradients`: its largest entry computed
    on absolute values (|x|, |weights|, |upstream|, no activation), i.e. the largest sum of |terms| behind an
    entry. A sum that cancels (the bias gradient sums thousands of terms of either sign) is off by rounding
    in proportion to its terms, not to its small result."""
    absolute = keras.layers.Conv2DTranspose(reference.filters, 4, strides=2, padding="same",
                                            use_bias=reference.use_bias, dtype=reference.dtype_policy)
    absolute.build(x.shape)
    absolute.set_weights([np.abs(w) for w in reference.get_weights()])
    return [np.abs(t).max() for t in outputs_and_gradients(absolute, tf.abs(x), tf.abs(upstream), jit_compile)]


def assert_close(actual, expected, tolerance):
    """Equal up to `tolerance` times the largest magnitude of `expected`."""
    np.testing.assert_allclose(actual, expected, rtol=0, atol=tolerance * np.abs(expected).max())


@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
@pytest.mark.parametrize("batch, height, width, channels, filters, use_bias, activation", CASES)
def test_same_outputs_and_gradients_as_conv2d_transpose(batch, height, width, channels, filters, use_bias, activation,
                                                        jit_compile, dtype, tolerance):
    rng = np.random.default_rng(height * 1000 + channels * 10 + filters)
    shape = (batch, height, width, channels)
    reference, layer = pair(filters, use_bias, activation, shape, rng, dtype=dtype)
    x = tf.constant(rng.normal(size=shape), dtype)
    upstream = tf.constant(rng.normal(size=(batch, 2 * height, 2 * width, filters)), dtype)
    expected = outputs_and_gradients(reference, x, upstream, jit_compile)
    actual = outputs_and_gradients(layer, x, upstream, jit_compile)
    assert actual[0].shape == expected[0].shape == (batch, 2 * height, 2 * width, filters)
    assert actual[0].dtype == expected[0].dtype == dtype
    assert len(actual) == len(expected) == 3 + use_bias  # output, d/dx, d/dkernel (, d/dbias)
    scales = magnitudes(reference, x, upstream, jit_compile)
    for name, a, e, scale in zip(["output", "input gradient", "kernel gradient", "bias gradient"], actual, expected,
                                 scales):
        assert a.shape == e.shape, name
        np.testing.assert_allclose(a, e, rtol=0, atol=tolerance * scale, err_msg=name)


def test_unknown_spatial_size_in_a_traced_function():
    rng = np.random.default_rng(0)
    reference, layer = pair(4, True, None, (None, None, None, 3), rng)
    run = tf.function(layer, input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32)])
    for shape in ((2, 7, 7, 3), (1, 14, 5, 3)):
        x = rng.normal(size=shape).astype("float32")
        assert_close(run(x).numpy(), reference(x).numpy(), 1e-5)


def test_mixed_bfloat16_computes_in_bfloat16_with_float32_weights():
    rng = np.random.default_rng(1)
    reference, layer = pair(8, True, None, (2, 7, 7, 16), rng, dtype="mixed_bfloat16")
    assert layer.compute_dtype == "bfloat16" and layer.kernel.dtype == "float32"
    x = rng.normal(size=(2, 7, 7, 16)).astype("float32")
    actual, expected = layer(x), reference(x)
    assert actual.dtype == expected.dtype == "bfloat16"
    # Products rounded to 8 bits of mantissa and summed in other orders: close, not equal.
    assert_close(np.asarray(actual, "float32"), np.asarray(expected, "float32"), 2e-2)


def test_weights_load_interchangeably_and_the_model_saves(tmp_path):
    def model(deconv):
        x = keras.Input((7, 7, 6))
        h = deconv(4, use_bias=True, activation="relu", name="deconv_0")(x)
        return keras.Model(x, deconv(2, name="deconv_1")(h))

    transposed = model(lambda filters, **kwargs: keras.layers.Conv2DTranspose(filters, 4, 2, "same", **kwargs))
    sub_pixel = model(SubPixelConv2DTranspose)
    # The same variables in the same order, shapes and layout. (Keras' weight files key a layer by its class,
    # so a file's weights move between the two models through get_weights / set_weights, not load_weights.)
    sub_pixel.set_weights(transposed.get_weights())
    x = np.random.default_rng(2).normal(size=(3, 7, 7, 6)).astype("float32")
    assert_close(sub_pixel.predict(x, verbose=0), transposed.predict(x, verbose=0), 1e-5)
    sub_pixel.set_weights([w * 2 for w in sub_pixel.get_weights()])
    transposed.set_weights(sub_pixel.get_weights())
    assert_close(transposed.predict(x, verbose=0), sub_pixel.predict(x, verbose=0), 1e-5)

    sub_pixel.save(tmp_path / "sub_pixel.keras")
    loaded = keras.saving.load_model(tmp_path / "sub_pixel.keras")  # safe_mode: a registered layer, no code
    assert type(loaded.get_layer("deconv_0")) is SubPixelConv2DTranspose
    assert loaded.get_layer("deconv_0").get_config() == sub_pixel.get_layer("deconv_0").get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), sub_pixel.predict(x, verbose=0))


@pytest.mark.parametrize("options, named", [
    ({"kernel_size": 3}, "kernel_size=(3, 3)"),
    ({"kernel_size": (4, 2)}, "kernel_size=(4, 2)"),
    ({"strides": 1}, "strides=(1, 1)"),
    ({"padding": "valid"}, "padding='valid'"),
    ({"output_padding": 1}, "output_padding=(1, 1)"),
    ({"data_format": "channels_first"}, "data_format='channels_first'"),
])
def test_unsupported_configurations_are_one_clear_error(options, named):
    with pytest.raises(ValueError, match="SubPixelConv2DTranspose supports kernel_size=4") as error:
        SubPixelConv2DTranspose(8, **options)
    assert named in str(error.value) and "keras.layers.Conv2DTranspose" in str(error.value)
