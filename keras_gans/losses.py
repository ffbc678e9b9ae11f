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


def wasserstein_critic_loss(real_scores, fake_scores):
    """WGAN critic loss (Arjovsky et al., 2017, Algorithm 1), the negated Wasserstein-1 estimate:

        L_D = E_z[D(G(z))] - E_x[D(x)]
    """
    return ops.mean(_f32(fake_scores)) - ops.mean(_f32(real_scores))


def wasserstein_generator_loss(fake_scores):
    """WGAN generator loss (Arjovsky et al., 2017, Algorithm 1):

        L_G = -E_z[D(G(z))]
    """
    return -ops.mean(_f32(fake_scores))


def reconstruction_energy(images, reconstructions, norm="l2"):
    """Per-sample energy of an autoencoder discriminator, shape (batch,):

        l2: mean_pixels (x - D(x))^2   (EBGAN, Zhao et al., 2017, eq. 3: D(x) = ||Dec(Enc(x)) - x||)
        l1: mean_pixels |x - D(x)|     (BEGAN, Berthelot et al., 2017, eq. 1 with eta = 1)
    """
    difference = _f32(images) - _f32(reconstructions)
    per_pixel = ops.square(difference) if norm == "l2" else ops.abs(difference)
    return ops.mean(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=1)


def energy_discriminator_loss(real_energy, fake_energy, margin):
    """EBGAN discriminator loss (Zhao et al., 2017, eq. 1):

        L_D = E_x[D(x)] + E_z[max(0, m - D(G(z)))]
    """
    return ops.mean(_f32(real_energy)) + ops.mean(ops.relu(margin - _f32(fake_energy)))


def energy_generator_loss(fake_energy):
    """EBGAN generator loss (Zhao et al., 2017, eq. 2), before the pulling-away term:

        L_G = E_z[D(G(z))]
    """
    return ops.mean(_f32(fake_energy))


def began_discriminator_loss(real_loss, fake_loss, k):
    """BEGAN discriminator loss (Berthelot et al., 2017, eq. 4), with L(v) = mean |v - D(v)|:

        L_D = L(x) - k_t L(G(z))
    """
    return _f32(real_loss) - _f32(k) * _f32(fake_loss)


def began_k_update(k, real_loss, fake_loss, gamma=0.5, lambda_k=0.001):
    """BEGAN's proportional control of k (Berthelot et al., 2017, eq. 4), keeping E[L(G(z))] = gamma E[L(x)]:

        k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1)
    """
    return ops.clip(_f32(k) + lambda_k * (gamma * _f32(real_loss) - _f32(fake_loss)), 0.0, 1.0)


def began_convergence(real_loss, fake_loss, gamma=0.5):
    """BEGAN's global convergence measure (Berthelot et al., 2017, section 3.4.1):

        M_global = L(x) + |gamma L(x) - L(G(z))|
    """
    return _f32(real_loss) + ops.abs(gamma * _f32(real_loss) - _f32(fake_loss))
