"""Regularisers of the discriminator (and EBGAN's generator) as pure functions: tensors in, scalar out.

The random parts (interpolation weights, perturbations) are arguments, drawn by the caller, so that the
functions are deterministic and testable. The gradient penalties take the critic as a function and use
a nested `tf.GradientTape`; their inner gradient is with respect to inputs, so they are computed in float32.
"""
import tensorflow as tf
from keras import ops

# Inside the square root so that a zero gradient gives a zero norm, not NaN gradients.
_EPSILON = 1e-12


def _gradient_norms(critic_fn, points):
    points = tf.cast(points, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(points)
        scores = tf.cast(critic_fn(points), tf.float32)
    gradients = tape.gradient(scores, points)
    return tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=list(range(1, len(points.shape)))) + _EPSILON)


def interpolate(real, fake, epsilon):
    """x_hat = epsilon x + (1 - epsilon) G(z), with one epsilon per sample (shape (batch, 1, ..., 1))."""
    return epsilon * tf.cast(real, tf.float32) + (1.0 - epsilon) * tf.cast(fake, tf.float32)


def gradient_penalty(critic_fn, real, fake, epsilon, target=1.0):
    """WGAN-GP's penalty (Gulrajani et al., 2017, Algorithm 1), without its weight lambda:

        E_x_hat[(||grad_x_hat D(x_hat)||_2 - 1)^2],   x_hat = eps x + (1 - eps) G(z),  eps ~ U[0, 1] per sample

    The norm is over all non-batch axes.
    """
    norms = _gradient_norms(critic_fn, interpolate(real, fake, epsilon))
    return tf.reduce_mean(tf.square(norms - target))


def dragan_perturb(real, uniform_noise, alpha, scale=0.5):
    """DRAGAN's points around the real data (Kodali et al., 2017; the authors' code):

        x_tilde = x + alpha * delta,   delta = scale * std(x) * u,  u ~ U[0, 1] per element,  alpha ~ U[0, 1] per sample
    """
    real = tf.cast(real, tf.float32)
    return real + alpha * scale * tf.math.reduce_std(real) * uniform_noise


def dragan_penalty(critic_fn, perturbed_real, k=1.0, one_sided=False):
    """DRAGAN's penalty (Kodali et al., 2017, eq. 8), without its weight lambda, on perturbed real data:

        two-sided: E[(||grad D(x + delta)||_2 - k)^2]
        one-sided: E[max(0, ||grad D(x + delta)||_2^2 - k)]
    """
    norms = _gradient_norms(critic_fn, perturbed_real)
    if one_sided:
        return tf.reduce_mean(tf.nn.relu(tf.square(norms) - k))
    return tf.reduce_mean(tf.square(norms - k))


def pulling_away_term(embeddings):
    """EBGAN's pulling-away term (Zhao et al., 2017, eq. 4) on a batch of N embeddings S:

        f_PT(S) = 1 / (N (N - 1)) sum_i sum_{j != i} (S_i^T S_j / (||S_i|| ||S_j||))^2

    0 for mutually orthogonal embeddings, 1 for identical ones.
    """
    s = ops.reshape(ops.cast(embeddings, "float32"), (ops.shape(embeddings)[0], -1))
    s = s / ops.sqrt(ops.sum(ops.square(s), axis=1, keepdims=True) + _EPSILON)
    n = ops.cast(ops.shape(s)[0], "float32")
    cosines = ops.square(ops.matmul(s, ops.transpose(s)))
    return (ops.sum(cosines) - ops.sum(ops.diagonal(cosines))) / (n * (n - 1.0))
