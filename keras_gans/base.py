"""`GANModel`: what every game shares -- networks, latent prior, noise, optimizers, the update loop, metrics.

A variant (a "game") only says what its players minimise: it overrides `discriminator_loss` and
`generator_loss`, each returning a dict of scalars with the loss under "d_loss" / "g_loss" and anything
else worth tracking (names listed in the variant's `metric_names`). Games whose step is more than
alternating updates (weight clipping, a control variable) use `after_discriminator_update`, not a
second loop.

One `fit` step is one round of the game:

    for each of d_steps slices of the batch:   one discriminator update on that slice, fresh noise
    g_steps times:                             one generator update, fresh noise
                                               (D sees the last real slice alongside, if it has batch norm)

so every discriminator update sees its own real batch (as in Goodfellow et al.'s Algorithm 1 and the WGAN
papers) and the step has no data-dependent control flow -- which is what lets the same step run under XLA
and under `tf.distribute` (see ../shared/notes/keras3-gan-facts.md, item 1). `fit` regroups a dataset
so that this is invisible to the user: each batch the dataset yields is one discriminator batch, one
epoch shows every real example to the discriminator once, and History counts generator steps.
"""
import os
import threading

import numpy as np
import tensorflow as tf

import keras
from keras import ops

from . import data, networks

PRIORS = ("normal", "uniform")


def _replica_context():
    context = tf.distribute.get_replica_context()
    return (context.replica_id_in_sync_group, context.num_replicas_in_sync) if context else (0, 1)


def _has_batch_norm(layer):
    return isinstance(layer, keras.layers.BatchNormalization) or any(
        _has_batch_norm(child) for child in getattr(layer, "layers", ()))


@keras.saving.register_keras_serializable(package="keras_gans")
class GANModel(keras.Model):
    """Base class of the GANs in this package; a `keras.Model` trained with `compile()` and `fit()`.

    Args:
        generator, discriminator: `keras.Model`s; built from `architecture` when omitted. Conditional
            networks (num_classes set) take `[inputs, labels]`.
        image_shape: shape of one sample, e.g. (28, 28, 1) (also (d,) for vector data).
        latent_dim: size of z.
        num_classes: makes the model conditional on integer labels in [0, num_classes).
        latent_prior: "normal" (N(0, I)) or "uniform" (U[-1, 1]).
        d_steps: discriminator (critic) updates per generator update, each on its own real batch.
        g_steps: generator updates per step, each with fresh noise.
        architecture: "infogan" (default, the 28x28 nets of the public model collections), "dcgan" or "mlp".
        seed: root of all training noise. Each draw is a stateless function of (seed, step, draw) of which
            every replica takes its own rows, so noise continues exactly after `load_model`, differs across
            replicas, and does not depend on the number of replicas.
    """

    default_architecture = "infogan"
    conditional = False  # True for games that always need labels
    # With num_classes set, the networks that take the label as a second input. Games whose discriminator
    # predicts the class instead of reading it (ACGAN, catGAN, SGAN) narrow this.
    label_inputs = ("generator", "discriminator")
    # Semi-supervised games train on batches where label -1 marks an unlabeled example (as in
    # scikit-learn), or on images alone.
    semi_supervised = False
    classifies = False  # True where the discriminator also predicts the class: see class_logits()
    metric_names = ("d_loss", "g_loss")

    def __init__(self, generator=None, discriminator=None, *, image_shape=(28, 28, 1), latent_dim=62,
                 num_classes=None, latent_prior="normal", d_steps=1, g_steps=1, architecture=None, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if latent_prior not in PRIORS:
            raise ValueError(f"latent_prior must be one of {PRIORS}, not {latent_prior!r}.")
        if int(d_steps) < 1 or int(g_steps) < 1:
            raise ValueError(f"d_steps and g_steps must be >= 1 (got {d_steps}, {g_steps}).")
        self.image_shape = tuple(int(d) for d in image_shape)
        self.latent_dim = int(latent_dim)
        self.num_classes = int(num_classes) if num_classes else None
        self.latent_prior = latent_prior
        self.d_steps, self.g_steps = int(d_steps), int(g_steps)
        self.architecture = architecture or self.default_architecture
        self.seed = int(np.random.randint(2**31 - 1)) if seed is None else int(seed)
        self.generator = generator or self.build_generator()
        self.discriminator = discriminator or self.build_discriminator()
        self._check_networks()
        self._batch_norm_in_discriminator = _has_batch_norm(self.discriminator)
        # Counts fit steps; it keys the noise, so training noise resumes exactly after save/load.
        self.step_counter = keras.Variable(0, dtype="int64", trainable=False, name="step_counter",
                                           aggregation="only_first_replica")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}
        if self.classifies:
            self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        # MirroredStrategy traces train_step for its replicas in parallel threads: one draw count per thread.
        self._trace = threading.local()
        # The networks exist already; without this, fit() would "build" the model by calling call() on a
        # batch of images, which are not latent vectors (keras3-gan-facts item 3).
        self.built = True

    @classmethod
    def for_data(cls, images, labels=None, **options):
        """An instance sized for `images` (image_shape) and, in games that use labels, for `labels`
        (num_classes = largest label + 1, unless `options` say)."""
        if labels is not None and (cls.conditional or cls.classifies or options.get("num_classes")):
            options.setdefault("num_classes", int(np.max(labels)) + 1)
        return cls(image_shape=tuple(np.shape(images)[1:]), **options)

    @classmethod
    def training_dataset(cls, images, labels=None, batch_size=64, labeled_per_class=None, seed=None):
        """The batches this game trains on, from arrays: (images, labels); for semi-supervised games, images
        alone (unsupervised) or, with `labeled_per_class`, `data.semi_supervised` batches."""
        if labeled_per_class:
            if not cls.semi_supervised:
                raise ValueError(f"labeled_per_class (--labeled-per-class) is for the semi-supervised variants "
                                 f"(CatGAN, SGAN), not {cls.__name__}.")
            return data.semi_supervised((images, labels), labeled_per_class, batch_size=batch_size, seed=seed or 0)
        return data.from_arrays(images, None if cls.semi_supervised else labels, batch_size=batch_size, seed=seed)

    # ------------------------------------------------------------------------------------ networks
    def reads_labels(self, role):
        """Whether the network `role` ("generator" or "discriminator") takes labels as a second input."""
        return bool(self.num_classes) and role in self.label_inputs

    def build_generator(self):
        """The default generator of this game; games with special networks override this."""
        return networks.build_generator(self.architecture, self.image_shape, self.latent_dim,
                                        self.num_classes if self.reads_labels("generator") else None)

    def build_discriminator(self, output_units=1, **options):
        """The default discriminator of this game (`output_units` logits); games with special networks
        override this."""
        return networks.build_discriminator(self.architecture, self.image_shape,
                                            self.num_classes if self.reads_labels("discriminator") else None,
                                            output_units=output_units, **options)

    def _check_networks(self):
        for net, role in ((self.generator, "generator"), (self.discriminator, "discriminator")):
            conditional = self.reads_labels(role)
            if len(net.inputs) != (2 if conditional else 1):
                raise ValueError(f"The {role} takes {len(net.inputs)} input(s); in {type(self).__name__} "
                                 f"(num_classes={self.num_classes}) it needs "
                                 f"{'[inputs, labels]' if conditional else 'one tensor'}.")
        if tuple(self.generator.output.shape[1:]) != self.image_shape:
            raise ValueError(f"The generator makes samples of shape {tuple(self.generator.output.shape[1:])}, "
                             f"but image_shape is {self.image_shape}.")

    @property
    def discriminator_variables(self):
        """What the discriminator update trains (games with extra heads add theirs)."""
        return self.discriminator.trainable_variables

    @property
    def generator_variables(self):
        return self.generator.trainable_variables

    # ----------------------------------------------------------------------------------- compiling
    def default_optimizers(self):
        """(d_optimizer, g_optimizer) used when compile() gets none: Adam(2e-4, beta_1=0.5), as in the
        DCGAN paper and the public GAN collections."""
        return keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)

    def compile(self, d_optimizer=None, g_optimizer=None, jit_compile="auto", **kwargs):
        """Configure training. Other keyword arguments (`steps_per_execution`, `run_eagerly`, ...) go to
        `keras.Model.compile`. `jit_compile="auto"` means XLA on one device and off under a distribution
        strategy, where XLA on CPU cannot place the replicas' variables."""
        defaults = self.default_optimizers()
        d_optimizer = keras.optimizers.get(d_optimizer) if d_optimizer is not None else defaults[0]
        g_optimizer = keras.optimizers.get(g_optimizer) if g_optimizer is not None else defaults[1]
        if d_optimizer is g_optimizer:
            raise ValueError("d_optimizer and g_optimizer are the same object; the two networks need their own "
                             "optimizer state. Pass two instances, e.g. keras.optimizers.Adam(...) twice.")
        if kwargs.get("loss") is not None or kwargs.get("optimizer") is not None:
            raise ValueError("A GAN's losses and optimizers are its own: pass d_optimizer= and g_optimizer=.")
        for key in ("loss", "optimizer"):
            kwargs.pop(key, None)
        if jit_compile == "auto":
            jit_compile = not kwargs.get("run_eagerly") and not tf.distribute.has_strategy()
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        if self.dtype_policy.name == "mixed_float16" or keras.config.dtype_policy().name == "mixed_float16":
            d_optimizer, g_optimizer = (o if isinstance(o, keras.optimizers.LossScaleOptimizer)
                                        else keras.optimizers.LossScaleOptimizer(o) for o in (d_optimizer, g_optimizer))
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        # Built here, not lazily in train_step: lazily built optimizers fail under MirroredStrategy, and
        # built ones are what load_model restores moments into (keras3-gan-facts items 2 and 5).
        self.d_optimizer.build(self.discriminator_variables)
        self.g_optimizer.build(self.generator_variables)

    def get_compile_config(self):
        config = super().get_compile_config()
        if config:
            config = {key: value for key, value in config.items() if key not in ("optimizer", "loss")}
            config["d_optimizer"] = keras.saving.serialize_keras_object(self.d_optimizer)
            config["g_optimizer"] = keras.saving.serialize_keras_object(self.g_optimizer)
        return config

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("d_optimizer", "g_optimizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        for key in ("loss", "metrics", "weighted_metrics", "loss_weights"):
            config.pop(key, None)
        self.compile(**config)

    # ------------------------------------------------------------------------------------- sampling
    def _draw(self, sampler, shape):
        """One random draw inside `train_step`, for this replica's rows of the global batch.

        The draw is a stateless function of (seed, step, draw number): every replica draws the whole global
        batch and keeps its own rows. So replicas get different noise, and one step on R replicas x B rows
        uses exactly the noise of one step on 1 replica x R*B rows. `train_step` is traced once (per
        replica, each in its own thread); a per-thread counter numbers its draws in trace order."""
        self._trace.draws = getattr(self._trace, "draws", 0) + 1
        seed = tf.random.experimental.stateless_fold_in(tf.constant([self.seed, 0], tf.int64),
                                                        tf.convert_to_tensor(self.step_counter))
        seed = tf.random.experimental.stateless_fold_in(seed, self._trace.draws)
        replica, replicas = _replica_context()
        if replicas == 1:
            return sampler(shape, seed)
        rows = shape[0]
        values = sampler((rows * replicas,) + tuple(shape[1:]), seed)
        return values[replica * rows:(replica + 1) * rows]

    def _latent(self, n, seed):
        shape = (n, self.latent_dim)
        if self.latent_prior == "uniform":
            return tf.random.stateless_uniform(shape, seed, minval=-1.0, maxval=1.0)
        return tf.random.stateless_normal(shape, seed)

    def sample_latent(self, n):
        """z for one draw inside `train_step`: (n, latent_dim) from the latent prior."""
        return self._draw(lambda shape, seed: self._latent(shape[0], seed), (n,))

    def sample_labels(self, n):
        """Uniformly random class labels for one draw inside `train_step` (conditional games)."""
        return self._draw(lambda shape, seed: tf.random.stateless_uniform(shape, seed, 0, self.num_classes,
                                                                          dtype=tf.int32), (n,))

    def sample_uniform(self, shape):
        """U[0, 1) noise whose first axis is the batch, for one draw inside `train_step`."""
        return self._draw(lambda shape, seed: tf.random.stateless_uniform(shape, seed), tuple(shape))

    def sample_conditions(self, n):
        """What the generator is given besides z, for one training draw: random labels for a generator that
        reads labels, else None. Games with latent codes (infoGAN) return their codes."""
        return self.sample_labels(n) if self.reads_labels("generator") else None

    def generator_input(self, z, conditions=None):
        """The generator network's input from z and conditions: z, or [z, labels]."""
        return [z, conditions] if self.reads_labels("generator") else z

    def fakes(self, n):
        """n generated samples for a training update (BN in training mode), and the conditions (labels,
        codes or None) they were generated from."""
        conditions = self.sample_conditions(n)
        return self.generator(self.generator_input(self.sample_latent(n), conditions), training=True), conditions

    def discriminate(self, images, labels=None):
        """The discriminator's output on a batch during training (labels for discriminators that read them)."""
        if self.reads_labels("discriminator"):
            return self.discriminator([images, labels], training=True)
        return self.discriminator(images, training=True)

    def discriminate_real_fake(self, real, real_labels, fake, fake_labels):
        """(output on `real`, output on `fake`) from one discriminator call on both batches.

        With batch normalization in D, one call normalizes over a mixed batch, so D sees what sets the
        fakes apart as a whole (a grey background, say); called on an all-fake batch, batch norm would
        subtract exactly that. For per-sample networks this equals two separate calls. Multi-output
        discriminators (autoencoders) give lists."""
        n = ops.shape(real)[0]
        labels = ops.concatenate([real_labels, fake_labels], axis=0) if self.reads_labels("discriminator") else None
        outputs = self.discriminate(ops.concatenate([real, fake], axis=0), labels)
        if isinstance(outputs, (list, tuple)):
            return [t[:n] for t in outputs], [t[n:] for t in outputs]
        return outputs[:n], outputs[n:]

    def discriminator_outputs(self, real, labels=None):
        """For a discriminator update: fresh fakes as many as `real` (no gradient to G) and D's outputs
        on both from one call. Returns (output on real, output on fake, fake images, their conditions)."""
        fake, conditions = self.fakes(ops.shape(real)[0])
        fake = ops.stop_gradient(fake)
        real_out, fake_out = self.discriminate_real_fake(real, labels, fake, conditions)
        return real_out, fake_out, fake, conditions

    def generator_outputs(self, real, labels=None):
        """For a generator update: fresh fakes as many as `real` and D's output on them (see
        `discriminate_fake`). Returns (fake images, output on fake, their conditions)."""
        fake, conditions = self.fakes(ops.shape(real)[0])
        return fake, self.discriminate_fake(fake, conditions, real, labels), conditions

    def discriminate_fake(self, fake, fake_labels, real, real_labels):
        """The discriminator's output on `fake` in a generator update. A discriminator with batch norm
        sees the real batch alongside, so that it normalizes as in its own update; one without does not
        need it and skips the extra work."""
        if not self._batch_norm_in_discriminator:
            return self.discriminate(fake, fake_labels)
        return self.discriminate_real_fake(real, real_labels, fake, fake_labels)[1]

    def serving_signature(self):
        """The inputs of the exported `serve` endpoint and of `call`: name -> `tf.TensorSpec` (batch free)."""
        signature = {"z": tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")}
        if self.reads_labels("generator"):
            signature["labels"] = tf.TensorSpec([None], tf.int32, name="labels")
        return signature

    def generator_input_from(self, inputs):
        """The generator network's input from a dict shaped like `serving_signature()`."""
        return self.generator_input(inputs["z"], inputs.get("labels"))

    def call(self, inputs, training=False):
        """Run the generator on a dict like `serving_signature()` ({"z": z} plus "labels" for conditional
        models), on `z` alone, or on the generator network's own input ([z, labels])."""
        if isinstance(inputs, dict):
            inputs = self.generator_input_from(inputs)
        return self.generator(inputs, training=training)

    def latent_for(self, n, seed=None):
        """(n, latent_dim) numpy z from the latent prior: the same `seed` gives the same z (None: random)."""
        seed = np.random.randint(2**31 - 1) if seed is None else seed
        return ops.convert_to_numpy(self._latent(n, tf.constant([seed, 1], tf.int64)))

    def generate(self, n, labels=None, seed=None, batch_size=256):
        """`n` samples as a numpy array in [-1, 1]. `seed` fixes z (the same seed gives the same images);
        conditional models take `labels` (default: 0, 1, ..., num_classes - 1, 0, 1, ...)."""
        inputs = {"z": self.latent_for(n, seed)}
        if self.reads_labels("generator"):
            inputs["labels"] = self.check_labels(np.arange(n) % self.num_classes if labels is None else labels, n)
        elif labels is not None:
            raise ValueError(f"{type(self).__name__}'s generator takes no labels: generate() takes none.")
        return self.generate_from(inputs, batch_size)

    def generate_from(self, inputs, batch_size=256):
        """Samples (numpy, in [-1, 1]) for a dict of numpy arrays like `serving_signature()`."""
        n = len(inputs["z"])
        # Called eagerly, batch by batch: predict() would trace a new function for every new n.
        batches = [self.generator(self.generator_input_from({key: tf.constant(value[i:i + batch_size])
                                                             for key, value in inputs.items()}), training=False)
                   for i in range(0, n, batch_size)]
        return np.concatenate([ops.convert_to_numpy(b) for b in batches]) if batches else \
            np.zeros((0,) + self.image_shape, "float32")

    # ------------------------------------------------------------------------------- data checking
    def check_labels(self, labels, n=None, unlabeled=False):
        """Labels as int32 numpy, or one clear error. `unlabeled=True` also accepts -1 (no label)."""
        labels = np.asarray(labels)
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"Labels must be integers in [0, {self.num_classes}); got dtype {labels.dtype}.")
        labels = labels.astype("int32").reshape(-1)
        if n is not None and len(labels) != n:
            raise ValueError(f"Got {len(labels)} labels for {n} samples.")
        low = -1 if unlabeled else 0
        if labels.size and (labels.min() < low or labels.max() >= self.num_classes):
            raise ValueError(f"Labels must lie in [0, {self.num_classes}) for this model"
                             f"{' (or be -1 for unlabeled examples)' if unlabeled else ''}; got values from "
                             f"{labels.min()} to {labels.max()}.")
        return labels

    def check_batch(self, images, labels=None):
        """One clear error for data this model cannot train on (checked on the first batch in `fit`)."""
        name = type(self).__name__
        shape = tuple(images.shape[1:])
        if shape != self.image_shape:
            raise ValueError(f"{name} was built for samples of shape {self.image_shape}, but the data have shape "
                             f"{shape} (batch {tuple(images.shape)}). Load data of that shape (e.g. "
                             f"keras_gans.data.load(...) gives NHWC) or build the model with "
                             f"image_shape={shape}.")
        images = np.asarray(images)
        if not np.issubdtype(images.dtype, np.floating):
            raise ValueError(f"{name} trains on float images in [-1, 1], got dtype {images.dtype}. Use "
                             f"keras_gans.data.load(...) or convert with images / 127.5 - 1.")
        if not np.isfinite(images).all():
            raise ValueError("The training images contain NaN or infinite values; clean the data before fit().")
        if images.size and (images.min() < -1 - 1e-3 or images.max() > 1 + 1e-3):
            raise ValueError(f"{name} trains on images in [-1, 1] (the generator's tanh range); this batch spans "
                             f"[{images.min():.3g}, {images.max():.3g}]. Scale it, e.g. x / 127.5 - 1 for [0, 255].")
        if self.num_classes and labels is None and not self.semi_supervised:
            raise ValueError(f"{name} is conditional (num_classes={self.num_classes}): fit it on "
                             f"(images, labels) batches, e.g. keras_gans.data.load(...) yields them.")
        if self.num_classes and labels is not None:
            self.check_labels(labels, unlabeled=self.semi_supervised)

    # ------------------------------------------------------------------------------------- training
    def fit(self, x=None, y=None, batch_size=None, **kwargs):
        """`keras.Model.fit`, where each batch of `x` is one discriminator batch.

        With d_steps = k, a dataset is regrouped so that one fit step receives k batches (k discriminator
        updates, then the generator updates); arrays are batched by k * batch_size. So `steps_per_epoch`,
        History and callbacks count generator steps, and an epoch still shows every example once.
        """
        # With steps_per_epoch, Keras draws every epoch from one iterator (callbacks.BackupAndRestore needs to know).
        self._input_spans_epochs = kwargs.get("steps_per_epoch") is not None
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself; Keras warns otherwise
            first = next(iter(x.take(1)))
            images, labels, _ = keras.utils.unpack_x_y_sample_weight(first)
            self.check_batch(images, labels)
            x = self._regroup(x, int(images.shape[0]))
        elif x is not None and not hasattr(x, "__next__") and not isinstance(x, keras.utils.PyDataset):
            self.check_batch(np.asarray(x[:2]), None if y is None else np.asarray(y[:2]))
            batch_size = (batch_size or 32) * self.d_steps
        return super().fit(x, y, batch_size=batch_size, **kwargs)

    def _regroup(self, dataset, batch_size):
        """One dataset element per fit step: d_steps consecutive batches, laid out for the replicas.

        A distribution strategy hands replica r the r-th contiguous block of each element; the layout
        gives that block the r-th part of every one of the d_steps batches, so each discriminator update
        uses one whole real batch across the replicas, as it does on one device."""
        replicas = self.distribute_strategy.num_replicas_in_sync
        if batch_size % replicas:
            raise ValueError(f"A batch of {batch_size} cannot be split evenly across {replicas} replicas; use a "
                             f"batch size divisible by {replicas}.")
        if self.d_steps == 1:
            return dataset
        if any(spec.shape[0] is None for spec in tf.nest.flatten(dataset.element_spec)):
            raise ValueError(f"With d_steps={self.d_steps}, fit needs batches of one static size: batch the "
                             f"dataset with drop_remainder=True (keras_gans.data.load does).")

        def layout(t):
            parts = tf.reshape(t, [self.d_steps, replicas, batch_size // replicas] + t.shape[2:].as_list())
            parts = tf.transpose(parts, [1, 0] + list(range(2, len(parts.shape))))
            return tf.reshape(parts, [self.d_steps * batch_size] + t.shape[2:].as_list())

        return dataset.batch(self.d_steps, drop_remainder=True).map(
            lambda *batch: tf.nest.map_structure(layout, batch if len(batch) > 1 else batch[0]),
            num_parallel_calls=tf.data.AUTOTUNE)

    def train_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.num_classes and labels is None and not self.semi_supervised:
            raise ValueError(f"{type(self).__name__} is conditional: its batches must be (images, labels).")
        self._trace.draws = 0
        image_slices = ops.split(images, self.d_steps, axis=0)
        uses_labels = self.num_classes and labels is not None
        label_slices = ops.split(labels, self.d_steps, axis=0) if uses_labels else [None] * self.d_steps
        for real, real_labels in zip(image_slices, label_slices):
            logs = self._update(self.d_optimizer, self.discriminator_variables, "d_loss",
                                lambda: self.discriminator_loss(real, real_labels))
            self.after_discriminator_update(logs)
            self._track(logs)
        for _ in range(self.g_steps):
            self._track(self._update(self.g_optimizer, self.generator_variables, "g_loss",
                                     lambda: self.generator_loss(real, real_labels)))
        self.step_counter.assign_add(1)
        return self._replica_logs({name: tracker.result() for name, tracker in self.trackers.items()})

    @staticmethod
    def _replica_logs(results):
        """A step's metric results as Keras can reduce them. Across several workers Keras averages the
        replicas' logs with strategy.reduce("MEAN", axis=0), which fails on scalars (tensorflow#72388):
        there each result gets that axis, and the reduction returns the scalar mean over all replicas."""
        if tf.distribute.has_strategy():
            strategy = tf.distribute.get_strategy()
            if strategy.num_replicas_in_sync > len(strategy.extended.worker_devices):
                return {name: ops.reshape(value, (1,)) for name, value in results.items()}
        return results

    def _update(self, optimizer, variables, loss_key, loss_fn):
        """One gradient step of `variables` on `loss_fn()[loss_key]`.

        Keras sums gradients across replicas, so each replica's mean loss is divided by the replica count
        (keras3-gan-facts item 8); the reported metrics stay unscaled."""
        _, replicas = _replica_context()
        with tf.GradientTape() as tape:
            logs = loss_fn()
            loss = optimizer.scale_loss(logs[loss_key] / replicas)
        optimizer.apply(tape.gradient(loss, variables), variables)
        return logs

    def _track(self, logs):
        for name, value in logs.items():
            if name not in self.trackers:
                raise KeyError(f"{type(self).__name__} reports {name!r}; add it to metric_names.")
            self.trackers[name].update_state(value)

    def after_discriminator_update(self, logs):
        """Hook run after every discriminator update with the logs of its loss (WGAN clips its critic
        here, BEGAN updates k_t)."""

    def discriminator_loss(self, real, labels=None):
        """{"d_loss": scalar, ...} for one real batch (labels for conditional games). Games override this."""
        raise NotImplementedError

    def generator_loss(self, real, labels=None):
        """{"g_loss": scalar, ...} for a batch of fresh samples as large as `real`, the last real batch
        (which `discriminate_fake` shows D alongside the fakes). Games override this."""
        raise NotImplementedError

    @property
    def metrics(self):
        # Listed so that Keras resets them every epoch.
        return list(self.trackers.values()) + ([self.accuracy_tracker] if self.classifies else [])

    # ---------------------------------------------------------------------------------- classifying
    def class_logits(self, outputs):
        """(batch, num_classes) class logits from the discriminator's outputs, in games whose discriminator
        classifies (`classifies = True`: ACGAN, catGAN, SGAN)."""
        raise NotImplementedError

    def _check_classifies(self):
        if not self.classifies:
            raise ValueError(f"{type(self).__name__}'s discriminator does not classify; classify() and evaluate() "
                             f"exist for the games whose discriminator predicts classes (ACGAN, CatGAN, SGAN).")

    def classify(self, images, batch_size=256):
        """p(y | x) from the trained discriminator: numpy (n, num_classes) for images in [-1, 1]."""
        self._check_classifies()
        images = np.asarray(images, "float32")
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(f"classify() takes images of shape (n, {', '.join(map(str, self.image_shape))}) in "
                             f"[-1, 1]; got {images.shape}.")
        return np.concatenate([ops.convert_to_numpy(ops.softmax(self.class_logits(
            self.discriminator(images[i:i + batch_size], training=False)), axis=-1))
            for i in range(0, len(images), batch_size)])

    def test_step(self, data):
        """`model.evaluate(images, labels)` (or a dataset of (images, labels)): the accuracy of the
        discriminator's class prediction on real labeled data."""
        self._check_classifies()
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if labels is None:
            raise ValueError("evaluate() measures classification accuracy: pass (images, labels).")
        self.accuracy_tracker.update_state(labels, self.class_logits(self.discriminator(images, training=False)))
        return self._replica_logs({"accuracy": self.accuracy_tracker.result()})

    # ------------------------------------------------------------------------------------ exporting
    def export(self, filepath, format="tf_saved_model", verbose=None, **kwargs):
        """Write the generator as a TensorFlow SavedModel for serving (TF Serving, `tf.saved_model.load`,
        `keras.layers.TFSMLayer`), without any keras_gans code.

        Its `serve` endpoint (also the `serving_default` signature) maps
          unconditional models: z, float32 (batch, latent_dim)                      -> images
          conditional models:   {"z": float32 (batch, latent_dim), "labels": int32 (batch,)} -> images
        with images float32 (batch, *image_shape) in [-1, 1] (signature output "output_0"); the batch size
        is free. Other formats go to `keras.Model.export`.
        """
        if format != "tf_saved_model":
            return super().export(filepath, format=format, verbose=verbose, **kwargs)
        archive = keras.export.ExportArchive()
        archive.track(self.generator)
        signature = self.serving_signature()
        if list(signature) == ["z"]:
            archive.add_endpoint("serve", lambda z: self.generator(z, training=False), input_signature=[signature["z"]])
        else:
            # One dict argument: an endpoint of two positional tensors cannot be called through TFSMLayer
            # (keras3-gan-facts item 7).
            archive.add_endpoint("serve", lambda inputs: self.generator(self.generator_input_from(inputs),
                                                                        training=False),
                                 input_signature=[signature])
        archive.write_out(filepath, verbose=bool(verbose))
        return filepath

    # ---------------------------------------------------------------------------------- serializing
    def get_config(self):
        config = super().get_config()
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=keras.saving.serialize_keras_object(self.discriminator),
            image_shape=self.image_shape, latent_dim=self.latent_dim, num_classes=self.num_classes,
            latent_prior=self.latent_prior, d_steps=self.d_steps, g_steps=self.g_steps,
            architecture=self.architecture, seed=self.seed,
        )
        return config

    @classmethod
    def load(cls, path, **kwargs):
        """`keras.saving.load_model(path)`, checked: one clear error for a missing, unreadable or truncated
        file, or for a file that holds another kind of model than `cls`."""
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No checkpoint at {path!r}.")
        try:
            model = keras.saving.load_model(path, **kwargs)
        except Exception as error:
            raise ValueError(f"Could not read the checkpoint {path!r} ({type(error).__name__}: {error}). Pass a "
                             f"complete .keras file written by model.save() or `keras-gans train`.") from error
        if not isinstance(model, cls):
            raise ValueError(f"{path!r} holds a {type(model).__name__}, not a {cls.__name__}; load it with "
                             f"keras_gans.{type(model).__name__}.load() or keras.saving.load_model().")
        return model

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
