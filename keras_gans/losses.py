"""GAN losses as pure functions: tensors in, scalar out.

Every discriminator here returns *logits* (no sigmoid); the functions apply the sigmoid inside, in a
numerically stable form, and compute in float32 so that they can be used unchanged under a
`mixed_float16` policy. Each docstring gives the formula with D(x) = sigmoid(logit(x)) where it matters.
Means are over the (local) batch; scaling for tf.distribute is the caller's job.
"""
from keras import ops


def _f32(x):
    return ops.cast(x, "float32")


def minimax_discriminator_loss(real_logits, fake_logits):
    """The discriminator's side of the original minimax game (Goodfellow et al., 2014, eq. 1).

        L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]

    i.e. binary cross-entropy with target 1 on real and 0 on generated samples.
    With logits l: -log sigmoid(l) = softplus(-l) and -log(1 - sigmoid(l)) = softplus(l).
    """
    return ops.mean(ops.softplus(-_f32(real_logits))) + ops.mean(ops.softplus(_f32(fake_logits)))


def minimax_generator_loss(fake_logits):
    """The generator's side of the minimax game (Goodfellow et al., 2014, eq. 1).

        L_G = E_z[log(1 - D(G(z)))]  = -E_z[softplus(l)]

    Saturates early in training: where D confidently rejects the fakes (D(G(z)) ≈ 0) its gradient
    vanishes, which is why the paper proposes the non-saturating loss instead.
    """
    return -ops.mean(ops.softplus(_f32(fake_logits)))


def non_saturating_generator_loss(fake_logits):
    """The non-saturating generator loss (Goodfellow et al., 2014, section 3).

        L_G = -E_z[log D(G(z))]  = E_z[softplus(-l)]

    Same fixed point as the minimax loss, but strong gradients where D(G(z)) ≈ 0.
    """
    return ops.mean(ops.softplus(-_f32(fake_logits)))


def least_squares_discriminator_loss(real_outputs, fake_outputs, a=0.0, b=1.0):
    """LSGAN discriminator loss (Mao et al., 2017, eq. 2), D with a linear output.

        L_D = 1/2 E_x[(D(x) - b)^2] + 1/2 E_z[(D(G(z)) - a)^2]

    `a` labels fake data and `b` real data: a=0, b=1 (eq. 9) or a=-1, b=1 (eq. 8, Pearson χ² coding).
    """
    return 0.5 * ops.mean(ops.square(_f32(real_outputs) - b)) + 0.5 * ops.mean(ops.square(_f32(fake_outputs) - a))


def least_squares_generator_loss(fake_outputs, c=1.0):
    """LSGAN generator loss (Mao et al., 2017, eq. 2).

        L_G = 1/2 E_z[(D(G(z)) - c)^2]

    `c` is the value G wants D to believe for fake data: c=1 (eq. 9) or c=0 (eq. 8).
    """
    return 0.5 * ops.mean(ops.square(_f32(fake_outputs) - c))
