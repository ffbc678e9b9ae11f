"""Keras callbacks for GANs.

Everything they write -- checkpoints, backups, sample grids, plots, CSV logs -- goes through
`keras_gans.atomic`: a run killed while writing leaves the previous file whole, never a truncated one.
"""
import io
import json
import os

import keras
import numpy as np

from . import atomic
from .images import save_grid, tile
from .sampling import sample_grid


def _local(path):
    """Whether `path` is on this machine. Keras also writes to remote file systems ("gs://...") through
    TensorFlow's gfile; a rename there is no atomic swap, so those paths keep Keras' own writing."""
    return "://" not in os.fspath(path)


class SampleGrid(keras.callbacks.Callback):
    """Every `every` epochs, write a PNG grid of samples from fixed noise to `directory/epoch_NNN.png`.

    The same latent vectors are used at every epoch (from `seed`), so the grids show how the same samples
    evolve. Conditional models get one row per class, infoGAN one per value of its categorical code
    (`sampling.sample_grid`). With `log_dir`, the grid
    is also logged with `tf.summary.image` for TensorBoard (use the log_dir of `keras.callbacks.TensorBoard`).
    """

    def __init__(self, directory, every=1, n=100, columns=None, seed=0, log_dir=None):
        super().__init__()
        self.directory, self.every, self.n, self.columns, self.seed = directory, every, n, columns, seed
        self.log_dir = log_dir
        self.paths = []
        self._writer = None

    def samples(self):
        """(images, columns) of the grid: the same latent vectors every time."""
        return sample_grid(self.model, self.n, self.columns, self.seed)

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
    d_loss, g_loss, ...); this one watches them all and says, in one line, where the run diverged: the
    epoch, the model's global step (its `step_counter` of generator steps, which goes on across `fit`
    calls and resumed runs) and the metrics that were not finite.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if _finite(logs):
            return
        bad = ", ".join(f"{k}={float(v):g}" for k, v in logs.items() if np.ndim(v) == 0 and not np.isfinite(v))
        counter = getattr(self.model, "step_counter", None)
        step = f"global step {int(keras.ops.convert_to_numpy(counter))}" if counter is not None else "step"
        message = (f"Epoch {getattr(self, '_epoch', 0) + 1}, {step} (batch {batch + 1} of the epoch): "
                   f"non-finite metrics {bad}; terminating training.")
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
            kept = (f"keeping the last good checkpoint {self.filepath}" if os.path.exists(self.filepath)
                    else "not saving it; no checkpoint has been written yet")
            print(f"\nEpoch {epoch + 1}: non-finite metrics; {kept}.")
            return
        super().on_epoch_end(epoch, logs)

    def _save_model(self, epoch, batch, logs):
        """Keras' `ModelCheckpoint._save_model`, writing through `atomic.save_model` / `save_weights`:
        `model.save` opens the checkpoint for writing before it writes it, so a run killed (or out of disk)
        while saving would destroy the last good checkpoint along with the new one."""
        filepath = self._get_file_path(epoch, batch, logs)
        if not _local(filepath):
            return super()._save_model(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IOError(f"FiniteCheckpoint writes a file, but {filepath!r} is a directory.")
        (atomic.save_weights if self.save_weights_only else atomic.save_model)(self.model, filepath)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")


class BestCheckpoint(FiniteCheckpoint):
    """`FiniteCheckpoint` of the best epoch by `monitor` (`save_best_only`), keeping the latest of equal scores:
    a validation split of a few labeled images (20 with 10 labels per class, 2 of them held out) moves
    val_accuracy in steps of 5 points, so ties are common, and a tie is no evidence that the earlier epoch was
    the better one; the later one has trained longer. When a run goes on (`--resume`), `initial_value_threshold`
    and `initial_epoch` are the score and the epoch (counted from 1) of the checkpoint saved so far;
    `best_epoch` is the epoch the file holds (None: nothing saved)."""

    def __init__(self, filepath, monitor="val_accuracy", mode="max", initial_value_threshold=None, initial_epoch=None,
                 **kwargs):
        super().__init__(filepath, monitor=monitor, mode=mode, save_best_only=True,
                         initial_value_threshold=initial_value_threshold, **kwargs)
        self.best_epoch = initial_epoch

    def _is_improvement(self, monitor_value, reference_value):
        return reference_value is None or monitor_value == reference_value or bool(
            super()._is_improvement(monitor_value, reference_value))

    def _should_save_model(self, epoch, batch, logs, filepath):
        save = super()._should_save_model(epoch, batch, logs, filepath)
        if save:
            self.best_epoch = epoch + 1
        return save


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` that resumes where the run stopped, also in the middle of an epoch.

    Keras' callback restores the weights (both optimizers, the step counter and all) and the epoch of the
    last backup, but starts that epoch again from its first batch. This one also writes down how far into
    its input the run was and, when it restores, draws those batches from the new input without training
    on them, so training goes on with the batch after the backup. With `save_freq=N`, a run that crashes
    mid-epoch and is started again therefore ends with the weights of an uninterrupted run, as long as the
    input yields the same batches in the same order each time it is built: a seeded `keras_gans.data`
    pipeline, `.repeat()`-ed and fitted with `steps_per_epoch` (one stream across epochs, whose shuffles
    are fixed by the seed), or an unshuffled dataset. A finite dataset reshuffled every epoch gives a
    restarted process its first epoch's order again, so that case resumes at the right batch but not with
    the same examples.

    Skipped batches keep their batch numbers (other callbacks see the epoch's true numbering, and backups
    keep their cadence); the epoch's mean metrics cover the batches trained after the restart.
    """

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._stream, self._position, self._in_epoch = None, 0, 0
        self._skip_stream, self._skip_epoch = self._restored_position()
        self._skipped = False
        train_function = getattr(self.model.train_function, "without_skipping", self.model.train_function)

        def skip_or_train(iterator):
            if iterator is not self._stream:  # a new input iterator: its stream starts here
                self._stream, self._position = iterator, 0
            if self._skip_stream:  # batches of earlier epochs of a stream that runs across epochs
                for _ in range(self._skip_stream):
                    next(iterator)
                self._position, self._skip_stream = self._skip_stream, 0
            self._skipped = self._skip_epoch > 0
            if not self._skipped:
                return train_function(iterator)
            batches = min(self._skip_epoch, self.model.steps_per_execution)
            for _ in range(batches):
                next(iterator)
            self._skip_epoch -= batches
            return {}

        skip_or_train.without_skipping = train_function
        self.model.train_function = skip_or_train

    def _restored_position(self):
        """(batches of earlier epochs to draw silently, batches of the restored epoch to skip)."""
        import tensorflow as tf

        if not tf.io.gfile.exists(self._training_metadata_path):
            return 0, 0
        with tf.io.gfile.GFile(self._training_metadata_path) as f:
            metadata = json.load(f)
        in_epoch = int(metadata.get("batches_in_epoch", 0))
        return int(metadata.get("stream_position", in_epoch)) - in_epoch, in_epoch

    def on_train_batch_end(self, batch, logs=None):
        self._position += batch + 1 - self._in_epoch
        self._in_epoch = batch + 1
        # Count skipped batches towards the cadence, but never back up the restored state under their numbers.
        if self._should_save_on_batch(batch) and not self._skipped:
            self._save_model()

    def on_epoch_end(self, epoch, logs=None):
        self._in_epoch = 0
        if not getattr(self.model, "_input_spans_epochs", False):
            self._position = 0
        super().on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        self.model.train_function = getattr(self.model.train_function, "without_skipping", self.model.train_function)
        super().on_train_end(logs)

    def _save_model(self):
        """The weights and the JSON of how far the run got, both written atomically (Keras overwrites
        them in place, so a crash during a backup -- the very event a backup is for -- could leave neither
        readable). The JSON's temporary file is written first and put in place last: a backup whose
        weights fail to save never claims their progress."""
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen,
                    "batches_in_epoch": self._in_epoch, "stream_position": self._position}
        if not _local(self.backup_dir):
            import tensorflow as tf

            super()._save_model()
            with tf.io.gfile.GFile(self._training_metadata_path, "w") as f:
                json.dump(metadata, f)
            return
        if self.double_checkpoint:  # Keras' option to keep the previous backup as well
            for current, previous in ((self._weights_path, self._prev_weights_path),
                                      (self._training_metadata_path, self._prev_training_metadata_path)):
                if os.path.exists(current):
                    atomic.copy_file(current, previous)
        with atomic.atomic_write(self._training_metadata_path, "w") as f:
            json.dump(metadata, f)
            f.flush()  # a full disk shows here, before the weights are replaced
            atomic.save_weights(self.model, self._weights_path)


class CSVLogger(keras.callbacks.CSVLogger):
    """`keras.callbacks.CSVLogger` (same arguments, same file) that rewrites the whole file atomically at
    the end of every epoch instead of appending to an open file: a run killed mid-write leaves the log of
    the epochs before, never a torn last line. With `append=True` it starts from the existing file's rows.
    """

    def on_train_begin(self, logs=None):
        if not _local(self.filename):
            return super().on_train_begin(logs)
        previous = ""
        if self.append and os.path.isfile(self.filename):
            with open(self.filename, newline="") as f:
                previous = f.read()
        # Keras' CSVLogger writes a header only into an empty file.
        self.append_header = not previous
        # Keras' own row writing goes into this buffer, which holds the whole file.
        self.csv_file = io.StringIO(newline="")
        self.csv_file.write(previous)
        self.writer = self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if isinstance(self.csv_file, io.StringIO):  # bytes as Keras writes them: its "\r\n" rows, untranslated
            atomic.write_bytes(self.filename, self.csv_file.getvalue().encode("utf-8"))


class QualityMonitor(keras.callbacks.Callback):
    """Every `every` epochs, the classifier-FID of `n` samples against real images, logged as `classifier_fid`.

    The value goes into the epoch's logs, so History (`history.history["classifier_fid"]`), `CSVLogger` and a
    `keras.callbacks.TensorBoard` listed *after* this callback record it; with `log_dir` it is also written to
    TensorBoard directly (`tf.summary.scalar("epoch_classifier_fid")` into `log_dir/train`, where Keras'
    TensorBoard callback writes its epoch scalars -- pass one of the two, not both, to avoid a double entry).
    Like Keras' `validation_freq`, epochs without a measurement have no entry, so with every > 1 the History list
    is shorter than the epochs; `self.history` holds (epoch, value) pairs.

    Args:
        real_images: images (uint8 or [-1, 1]) to compare with; default: the Fashion-MNIST test split.
        every: measure after every `every`-th epoch.
        n: generated samples per measurement (the same latent vectors every time, from `seed`).
        classifier: the quality classifier; default: the one that ships with the package
            (`classifier.load_classifier()`).
        kid: also log `classifier_kid`.
    """

    def __init__(self, real_images=None, every=1, n=2000, classifier=None, seed=0, log_dir=None, kid=False,
                 name="classifier_fid"):
        super().__init__()
        self.real_images, self.every, self.n, self.classifier, self.seed = real_images, every, n, classifier, seed
        self.log_dir, self.kid, self.name = log_dir, kid, name
        self.history = []
        self._extractor = self._real_features = self._writer = None

    def on_train_begin(self, logs=None):
        # Fail at once (a missing classifier names the command that trains it), not after the first epoch.
        from .evaluation import classifier as classifiers

        if self._extractor is None:
            self.classifier = self.classifier or classifiers.load_classifier()
            self._extractor = classifiers.feature_model(self.classifier)
        if self._real_features is None:
            if self.real_images is None:
                from .data import load_arrays

                self.real_images = load_arrays("fashion_mnist", "test")[0]
            self._real_features = classifiers.features_and_probabilities(self._extractor, self.real_images)[0]

    def measure(self):
        """{name: classifier-FID (, name-with-kid: KID)} of the model now."""
        from .evaluation import classifier as classifiers, evaluate, metrics

        images, _ = evaluate.generate_for_evaluation(self.model, self.n, self.seed)
        features = classifiers.features_and_probabilities(self._extractor, images)[0]
        values = {self.name: metrics.frechet_distance(features, self._real_features)}
        if self.kid:
            values[self.name.replace("fid", "kid")] = metrics.kernel_inception_distance(
                features, self._real_features, seed=self.seed)[0]
        return values

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        if self._extractor is None:
            self.on_train_begin()
        values = self.measure()
        self.history.append((epoch + 1, values[self.name]))
        if logs is not None:
            logs.update(values)
        if self.log_dir:
            import tensorflow as tf

            if self._writer is None:
                self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))
            with self._writer.as_default():
                for key, value in values.items():
                    tf.summary.scalar(f"epoch_{key}", value, step=epoch)
            self._writer.flush()


class ScatterPlot(keras.callbacks.Callback):
    """Every `every` training steps, draw `n` samples of a model of 2-D data from fixed noise and write a
    scatter PNG over the true mode `centres` to `directory/step_NNNNNN.png`, so that one can watch modes
    appear or collapse (`keras-gans toy` uses it with `--plot-every`).

    The model's samples are multiplied by `scale` (the toy streams divide the data by it to fit the
    generators' [-1, 1] range). Steps are the model's `step_counter` (generator steps, across `fit` calls),
    so the plots follow the same count with any `steps_per_execution`. `sigma` draws the 3-sigma circle
    of each mode. Conditional models generate the labels 0, 1, ..., K - 1 in turn.
    """

    def __init__(self, directory, centres=None, every=500, n=1000, scale=1.0, seed=0, size=256, sigma=None,
                 extent=None):
        super().__init__()
        self.directory, self.centres, self.every, self.n = directory, centres, int(every), int(n)
        self.scale, self.seed, self.size, self.sigma, self.extent = scale, seed, size, sigma, extent
        self.paths = []
        self._last = None

    def _step(self):
        counter = getattr(self.model, "step_counter", None)
        return int(counter.numpy()) if counter is not None else None

    def write(self, step):
        from .images import save_scatter

        points = self.model.generate(self.n, seed=self.seed) * self.scale
        path = os.path.join(self.directory, f"step_{step:06d}.png")
        self.paths.append(save_scatter(points, path, self.centres, self.size, self.extent, f"step {step}",
                                       self.sigma))
        self._last = step
        return path

    def on_train_begin(self, logs=None):
        self._seen = self._step() or 0

    def on_train_batch_end(self, batch, logs=None):
        step = self._step()
        if step is None:  # a model without a step counter: count calls
            self._seen += 1
            step = self._seen
        if step // self.every > (self._last if self._last is not None else -1) // self.every and step >= self.every:
            self.write(step)


class AnnealInstanceNoise(keras.callbacks.Callback):
    """Lowers a model's instance noise (`GANModel(instance_noise=sigma)`) linearly from sigma to 0 over the
    first `steps` generator steps, and keeps it at 0 after them:

        sigma_t = sigma * max(0, 1 - t / steps),   t = the model's `step_counter`

    Steps are the model's own count, which goes on across `fit` calls and resumed runs, so a resumed run
    continues the schedule where it stopped. Set before every call into the compiled step, i.e. every
    `steps_per_execution` steps."""

    def __init__(self, steps):
        super().__init__()
        if int(steps) < 1:
            raise ValueError(f"AnnealInstanceNoise needs steps >= 1; got {steps!r}.")
        self.steps = int(steps)

    def on_train_begin(self, logs=None):
        if getattr(self.model, "instance_noise_stddev", None) is None:
            raise ValueError("AnnealInstanceNoise anneals the model's instance noise, but the model has none: "
                             "build it with instance_noise=sigma > 0, e.g. instance_noise=0.5.")

    def on_train_batch_begin(self, batch, logs=None):
        step = int(keras.ops.convert_to_numpy(self.model.step_counter))
        self.model.instance_noise_stddev.assign(self.model.instance_noise * max(0.0, 1.0 - step / self.steps))
