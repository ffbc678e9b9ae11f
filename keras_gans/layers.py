"""Layers of our own: other formulations of standard Keras layers, with the same weights.

`SubPixelConv2DTranspose` computes `keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same")`
as one stride-1 convolution followed by a depth-to-space rearrangement (the "sub-pixel" formulation of a
strided transposed convolution, Shi et al. 2016, https://arxiv.org/abs/1609.05158). XLA compiles a
transposed convolution into a convolution over the input dilated with zeros (`lhs_dilate=2x2` in its HLO):
on paper 4x the multiply-adds of the transposed convolution, since three of every four taps meet a zero;
the sub-pixel form does only the useful ones, at (H + 1)(W + 1) windows for H W inputs. Which runs faster
depends on the backend's convolution kernels: measure before choosing. On TensorFlow 2.21's XLA for CPU
(2 cores, shared with other jobs) the infoGAN generator's two transposed convolutions took about 1.5x
longer in this form, forward and backward at batch 64.
"""
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gans")
class SubPixelConv2DTranspose(keras.layers.Conv2DTranspose):
    """`keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same")`, evaluated as a stride-1 2x2
    convolution with 4 * filters outputs and a depth-to-space of its four phases.

    The same function, and the same weights: the kernel variable has Conv2DTranspose's shape and layout,
    (4, 4, filters, input channels), and `bias` (filters,), so `get_weights()` of either layer go into the
    other with `set_weights()` (Keras' weight files key a layer by its class, so a file written with one is
    not read into the other by `load_weights`). Channels-last inputs of any height and width (odd ones
    too), with `use_bias`, `activation`, initializers, regularizers and constraints as in Conv2DTranspose.
    Other kernel sizes, strides, paddings, dilations, `output_padding` or channels-first data are refused.

    How: output row p = 2m + r of the transposed convolution (padding "same" pads the equivalent
    convolution by 1 before) is

        r = 0:  x[m - 1] w[3] + x[m] w[1]        r = 1:  x[m] w[2] + x[m + 1] w[0]

    (w[a] the kernel's row a), and the same for columns. With x padded by one row and column on each side,
    a 2x2 "valid" convolution at window j sees x[j - 1], x[j]: phase r = 0 of output m is window m, phase
    r = 1 is window m + 1, with tap t of the window holding w[3 - 2t - r]. So one convolution with the 4x4
    kernel rearranged into a 2x2 one of 4 * filters outputs (one group per phase (r_rows, r_cols)) gives
    every phase; each phase is cut out with its offset, and a depth-to-space interleaves the four into the
    2x upsampled output. The rearrangement is a reshape and transpose of the kernel variable at call
    time, so gradients reach the kernel as they do in Conv2DTranspose.
    """

    # The configuration the phase decomposition below is worked out for.
    SUPPORTED = {"kernel_size": (4, 4), "strides": (2, 2), "padding": "same", "dilation_rate": (1, 1),
                 "output_padding": None, "data_format": "channels_last"}

    def __init__(self, filters, kernel_size=4, strides=2, padding="same", **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, **kwargs)
        given = {"kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
                 "dilation_rate": self.dilation_rate, "output_padding": self.output_padding,
                 "data_format": self.data_format}
        unsupported = {key: value for key, value in given.items() if value != self.SUPPORTED[key]}
        if unsupported:
            raise ValueError(f"SubPixelConv2DTranspose supports kernel_size=4, strides=2, padding='same', no "
                             f"dilation, no output_padding, channels_last; got "
                             f"{', '.join(f'{key}={value!r}' for key, value in unsupported.items())}. Use "
                             f"keras.layers.Conv2DTranspose for other configurations.")

    def phase_kernel(self):
        """The kernel as the 2x2 convolution's, (2, 2, input channels, 4 * filters): output channel
        (2 r_rows + r_cols) * filters + f holds, at tap (t_rows, t_cols), kernel[3 - 2 t_rows - r_rows,
        3 - 2 t_cols - r_cols, f]."""
        kernel = self.kernel
        filters, channels = kernel.shape[2], kernel.shape[3]
        # Reversed, the kernel's row index is 3 - a = 2t + r: its halves are the taps, its parity the phase.
        kernel = ops.reshape(ops.flip(kernel, axis=(0, 1)), (2, 2, 2, 2, filters, channels))
        kernel = ops.transpose(kernel, (0, 2, 5, 1, 3, 4))  # (t_rows, t_cols, channel, r_rows, r_cols, filter)
        return ops.reshape(kernel, (2, 2, channels, 4 * filters))

    def call(self, inputs):
        height, width = ops.shape(inputs)[1], ops.shape(inputs)[2]
        filters = self.filters
        windows = ops.conv(ops.pad(inputs, ((0, 0), (1, 1), (1, 1), (0, 0))), self.phase_kernel(), strides=1,
                           padding="valid")  # (batch, height + 1, width + 1, 4 * filters)
        # Each phase from its own windows (phase r starts at window r), then the 2x2 interleave.
        phases = [windows[:, r_rows:r_rows + height, r_cols:r_cols + width,
                          (2 * r_rows + r_cols) * filters:(2 * r_rows + r_cols + 1) * filters]
                  for r_rows in (0, 1) for r_cols in (0, 1)]
        outputs = ops.depth_to_space(ops.concatenate(phases, axis=-1), 2)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, filters)))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs
