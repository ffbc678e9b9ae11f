"""Keras callbacks for GANs."""
import math
import os

import keras
import numpy as np

from .images import save_grid, tile


class SampleGrid(keras.callbacks.Callback):
    """Every `every` epochs, write a PNG grid of samples from fixed noise to `directory/epoch_NNN.png`.

    The same latent vectors are used at every epoch (from `seed`), so the grids show how the same samples
    evolve. Conditional models get one row per class with `columns` samples each. With `log_dir`, the grid
    is also logged with `tf.summary.image` for TensorBoard (use the log_dir of `keras.callbacks.TensorBoard`).
    """

    def __init__(self, directory, every=1, n=64, columns=None, seed=0, log_dir=None):
        super().__init__()
        self.directory, self.every, self.n, self.columns, self.seed = directory, every, n, columns, seed
        self.log_dir = log_dir
        self.paths = []
        self._writer = None

    def samples(self):
        """(images, columns) of the grid: the same latent vectors every time."""
        num_classes = getattr(self.model, "num_classes", None)
        if num_classes:
            columns = self.columns or 10
            labels = np.repeat(np.arange(num_classes), columns)
            return self.model.generate(len(labels), labels=labels, seed=self.seed), columns
        return self.model.generate(self.n, seed=self.seed), self.columns or int(math.ceil(math.sqrt(self.n)))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        images, columns = self.samples()
        self.paths.append(save_grid(images, os.path.join(self.directory, f"epoch_{epoch + 1:03d}.png"), columns))
        if self.log_dir:
            import tensorflow as tf

            # Into the same event files as keras.callbacks.TensorBoard(log_dir) writes its scalars.
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))
            with self._writer.as_default():
                tf.summary.image("samples", tile(images, columns)[None], step=epoch + 1)
            self._writer.flush()


def _finite(logs):
    return all(np.isfinite(float(v)) for v in (logs or {}).values() if np.ndim(v) == 0)


class TerminateOnNaN(keras.callbacks.TerminateOnNaN):
    """Stop training at the first step where any metric is NaN or infinite.

    Keras' own `TerminateOnNaN` watches only a metric named "loss", which a GAN does not have (it has
    d_loss, g_loss, ...); this one watches them all and names the step that diverged.
    """

    def on_train_batch_end(self, batch, logs=None):
        if not _finite(logs):
            bad = ", ".join(f"{k}={float(v):g}" for k, v in logs.items() if np.ndim(v) == 0 and not np.isfinite(v))
            message = f"Step {batch + 1} of the epoch: non-finite metrics ({bad}); terminating training."
            if self.raise_error:
                raise RuntimeError(message)
            print("\n" + message)
            self.model.stop_training = True


class FiniteCheckpoint(keras.callbacks.ModelCheckpoint):
    """`ModelCheckpoint` that never overwrites a good checkpoint with a diverged model.

    Use with `TerminateOnNaN`: when a loss turns NaN/inf, training stops, and Keras still
    calls `on_epoch_end`; this callback then keeps the last checkpoint whose metrics were all finite.
    """

    def on_epoch_end(self, epoch, logs=None):
        if not _finite(logs):
            print(f"\nEpoch {epoch + 1}: non-finite metrics; keeping the last good checkpoint {self.filepath}.")
            return
        super().on_epoch_end(epoch, logs)
