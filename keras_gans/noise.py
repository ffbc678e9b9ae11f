"""Training noise: every random draw of a training step is a stateless function of (seed, step, draw).

    z = noise.draw(lambda shape, seed: tf.random.stateless_normal(shape, seed), (batch, 62), seed, step, draw)

Three properties follow, and the models rely on each:
- a model reloaded from a checkpoint continues the same noise sequence, because the step counter is a saved
  variable and nothing else holds random state (a `keras.random.SeedGenerator`'s state is not saved);
- replicas under `tf.distribute` draw different noise: every replica draws the whole global batch and keeps
  its own rows (a SeedGenerator would hand every replica the same numbers);
- the noise of a step does not depend on how many replicas share it: one step on R replicas x B rows uses
  exactly the noise of one step on 1 device x R*B rows.
"""
import threading

import tensorflow as tf

PRIORS = ("normal", "uniform")


def replica_context():
    """(this replica's index, number of replicas in sync); (0, 1) outside a distribution strategy."""
    context = tf.distribute.get_replica_context()
    return (context.replica_id_in_sync_group, context.num_replicas_in_sync) if context else (0, 1)


def draw(sampler, shape, seed, step, draw_number):
    """This replica's rows of one random draw: `sampler(global_shape, stateless_seed)` where the stateless
    seed folds `step` and `draw_number` into `seed`, and the global batch is `shape[0]` x the replica count."""
    key = tf.random.experimental.stateless_fold_in(tf.constant([seed, 0], tf.int64), tf.convert_to_tensor(step))
    key = tf.random.experimental.stateless_fold_in(key, draw_number)
    replica, replicas = replica_context()
    if replicas == 1:
        return sampler(shape, key)
    rows = shape[0]
    values = sampler((rows * replicas,) + tuple(shape[1:]), key)
    return values[replica * rows:(replica + 1) * rows]


def latent(n, latent_dim, prior, seed):
    """(n, latent_dim) z from the prior -- "normal": N(0, I), "uniform": U[-1, 1] -- for a stateless seed."""
    shape = (n, latent_dim)
    if prior == "uniform":
        return tf.random.stateless_uniform(shape, seed, minval=-1.0, maxval=1.0)
    return tf.random.stateless_normal(shape, seed)


class DrawCounter(threading.local):
    """Numbers the draws of one `train_step` trace in the order they are traced. MirroredStrategy traces the
    step for its replicas in parallel threads, so each thread keeps its own count."""

    def __init__(self):
        self.count = 0

    def reset(self):
        self.count = 0

    def next(self):
        self.count += 1
        return self.count
