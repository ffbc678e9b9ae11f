"""GAN losses as pure functions: tensors in, scalar out.

Every discriminator here returns *logits* (no sigmoid); the functions apply the sigmoid inside, in a
numerically stable form, and compute in float32 so that they can be used unchanged under a
`mixed_float16` policy. Each docstring gives the formula with D(x) = sigmoid(logit(x)) where it matters.
Means are over the (local) batch; scaling for tf.distribute is the caller's job.
"""
import math

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


# ------------------------------------------------------------------------ discriminators that classify
def _masked_mean(values, mask):
    """Mean of `values` over the rows where `mask` is true; 0 where no row is."""
    mask = ops.cast(mask, "float32")
    return ops.sum(values * mask) / ops.maximum(ops.sum(mask), 1.0)


def labeled_cross_entropy(logits, labels):
    """Cross-entropy of class logits against integer labels, over the labeled rows only (label >= 0;
    -1 marks an unlabeled example):

        L = E_{(x, y): y >= 0}[-log p(y | x)],   p = softmax(logits);   0 if no row is labeled
    """
    logits, labels = _f32(logits), ops.cast(labels, "int32")
    per_row = ops.sparse_categorical_crossentropy(ops.maximum(labels, 0), logits, from_logits=True)
    return _masked_mean(per_row, labels >= 0)


def conditional_entropy(logits):
    """Mean entropy of the per-sample class distributions p(y | x) = softmax(logits):

        E_x[H[p(y | x)]] = -E_x[sum_y p(y | x) log p(y | x)]

    Low when the classifier is certain of every sample (catGAN, Springenberg 2016, eq. 4)."""
    log_p = ops.log_softmax(_f32(logits), axis=-1)
    return -ops.mean(ops.sum(ops.exp(log_p) * log_p, axis=-1))


def marginal_entropy(logits):
    """Entropy of the batch's marginal class distribution p(y) = E_x[p(y | x)]:

        H[p(y)] = -sum_y p(y) log p(y)

    High when the samples spread evenly over the classes (catGAN, Springenberg 2016, eq. 5)."""
    p = ops.mean(ops.softmax(_f32(logits), axis=-1), axis=0)
    return -ops.sum(p * ops.log(ops.maximum(p, 1e-12)))


def catgan_discriminator_loss(real_logits, fake_logits):
    """catGAN discriminator loss (Springenberg, 2016, eq. 7), D a K-way classifier with no fake class:

        L_D = -H_X[p(y | D)] + E_x[H[p(y | x, D)]] - E_z[H[p(y | G(z), D)]]

    i.e. D wants balanced classes over the real data, certain predictions on real samples and
    uncertain ones on generated samples."""
    return -marginal_entropy(real_logits) + conditional_entropy(real_logits) - conditional_entropy(fake_logits)


def catgan_generator_loss(fake_logits):
    """catGAN generator loss (Springenberg, 2016, eq. 7):

        L_G = -H_G[p(y | D)] + E_z[H[p(y | G(z), D)]]

    G wants its samples classified with certainty, and spread evenly over the classes."""
    return -marginal_entropy(fake_logits) + conditional_entropy(fake_logits)


def _log_p_real(logits):
    """log p(not fake | x) = log sum_{k<K} p_k for K+1 logits whose last one is the fake class."""
    return ops.logsumexp(logits[:, :-1], axis=-1) - ops.logsumexp(logits, axis=-1)


def semi_supervised_discriminator_loss(real_logits, labels, fake_logits):
    """SGAN discriminator loss (Odena, 2016; Salimans et al., 2016, section 5), D with K+1 logits, the last
    for "fake":

        L_D = E_{(x, y) labeled}[-log p(y | x, y < K+1)] + E_{x unlabeled}[-log(1 - p(K+1 | x))]
              + E_z[-log p(K+1 | G(z))]

    Labels are integers in [0, K), -1 for unlabeled rows; every real row without a label counts as
    "some real class"."""
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    labels = ops.cast(labels, "int32")
    supervised = labeled_cross_entropy(real_logits[:, :-1], labels)  # softmax of the K real logits: p(y | x, real)
    unsupervised = _masked_mean(-_log_p_real(real_logits), labels < 0)
    fake = ops.mean(ops.logsumexp(fake_logits, axis=-1) - fake_logits[:, -1])
    return supervised + unsupervised + fake


def semi_supervised_generator_loss(fake_logits):
    """SGAN generator loss: G wants D to put its samples in one of the real classes (non-saturating):

        L_G = E_z[-log(1 - p(K+1 | G(z)))]
    """
    return ops.mean(-_log_p_real(_f32(fake_logits)))


def categorical_information_loss(code_logits, codes):
    """infoGAN's categorical term of -L_I (Chen et al., 2016, eq. 5), Q's logits against the one-hot code
    c ~ Cat(K) that G received:

        -E_{c, x = G(z, c)}[log Q(c | x)]
    """
    return ops.mean(ops.categorical_crossentropy(_f32(codes), _f32(code_logits), from_logits=True))


def gaussian_information_loss(means, codes, log_variances=None):
    """infoGAN's continuous term of -L_I (Chen et al., 2016, section 6): Q models each continuous code as a
    factored Gaussian; its negative log-likelihood, summed over code dimensions, averaged over the batch:

        -E[log Q(c | x)] = E[sum_j 1/2 log(2 pi) + 1/2 log s_j^2 + (c_j - mu_j)^2 / (2 s_j^2)]

    with log s^2 = `log_variances`, or s = 1 when None (then it is 1/2 the squared error plus a constant)."""
    means, codes = _f32(means), _f32(codes)
    log_variances = ops.zeros_like(means) if log_variances is None else _f32(log_variances)
    nll = 0.5 * (math.log(2 * math.pi) + log_variances + ops.square(codes - means) * ops.exp(-log_variances))
    return ops.mean(ops.sum(nll, axis=-1))


def feature_matching_loss(real_features, fake_features):
    """Feature matching (Salimans et al., "Improved Techniques for Training GANs", 2016, section 3.1): G
    matches the mean of the discriminator's intermediate features on real data instead of maximising D's
    output directly:

        L_G = || E_x f(x) - E_z f(G(z)) ||_2^2

    with f(.) the activations of an intermediate layer of D, the expectations the means over the batch
    (axis 0) and the squared norm summed over every other axis. The real batch and the fakes may differ in
    size. Only G is meant to follow this gradient: D keeps its own loss."""
    difference = ops.mean(_f32(real_features), axis=0) - ops.mean(_f32(fake_features), axis=0)
    return ops.sum(ops.square(difference))
