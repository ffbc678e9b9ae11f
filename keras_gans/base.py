"""`GANModel`: the game every variant shares -- networks, optimizers, the update loop and its metrics.

A variant (a "game") only says what its players minimise: it overrides `discriminator_loss` and
`generator_loss`, each returning a dict of scalars with the loss under "d_loss" / "g_loss" and anything
else worth tracking (names listed in the variant's `metric_names`). Games whose step is more than
alternating updates (weight clipping, a control variable) use `after_discriminator_update`, not a
second loop. The losses get their batches from the plumbing: `discriminator_outputs` and
`generator_outputs` draw fresh fakes and return D's outputs as one `Outputs` tuple.

One `fit` step is one round of the game:

    for each of d_steps slices of the batch:   one discriminator update on that slice, fresh noise
    g_steps times:                             one generator update, fresh noise
                                               (with joint_batches, D sees the last real slice alongside)

so every discriminator update sees its own real batch (as in Goodfellow et al.'s Algorithm 1 and the WGAN
papers) and the step has no data-dependent control flow. That is what lets the same step run under XLA and
under `tf.distribute`: an optimizer update inside `tf.cond` ("G on every 5th step") fails under
MirroredStrategy on CPU. `fit` regroups a dataset (`data.regroup`) so that this is invisible to the user:
each batch the dataset yields is one discriminator batch, one epoch shows every real example to the
discriminator once, and History counts generator steps.

What lives elsewhere: the training noise in `noise`, generation and export in `inference.InferenceMixin`,
class prediction in `classifying.ClassifierMixin`, moving averages of weights in `averaging`, data checks and
regrouping in `data`.
"""
import os
from typing import NamedTuple

import numpy as np
import tensorflow as tf

import keras
from keras import ops

from . import augment as diff_augment
from . import data, networks, noise
from .averaging import check_decay, moving_averages, update_moving_averages
from .inference import InferenceMixin

# How a game uses class labels (`GANModel.label_mode`), and which networks then read them as an input:
#   "optional"         no labels unless num_classes is given; then both networks read them (any GAN made
#                      conditional)
#   "conditional"      labels always, read by both networks (CGAN)
#   "auxiliary"        labels always; G reads them, D predicts them (ACGAN)
#   "semi_supervised"  D predicts classes; batches may hold unlabeled rows, label -1 (catGAN, SGAN)
LABEL_INPUTS = {"optional": ("generator", "discriminator"), "conditional": ("generator", "discriminator"),
                "auxiliary": ("generator",), "semi_supervised": ()}


class Outputs(NamedTuple):
    """What one discriminator call of an update gives a game's loss."""
    real_out: object    # D's output on the real batch (None in a generator update)
    fake_out: object    # D's output on the fakes
    fake: object        # the fresh fakes
    conditions: object  # what they were generated from besides z: labels, codes or None


def _has_batch_norm(layer):
    return isinstance(layer, keras.layers.BatchNormalization) or any(
        _has_batch_norm(child) for child in getattr(layer, "layers", ()))


def _is_autoencoder(discriminator, image_shape):
    """Whether `discriminator`'s first output is a reconstruction of its input (EBGAN, BEGAN)."""
    outputs = discriminator.outputs
    return len(outputs) > 1 and tuple(outputs[0].shape[1:]) == tuple(image_shape)


@keras.saving.register_keras_serializable(package="keras_gans")
class GANModel(InferenceMixin, keras.Model):
    """Base class of the GANs in this package; a `keras.Model` trained with `compile()` and `fit()`.

    Args:
        generator, discriminator: `keras.Model`s; built from `architecture` when omitted. Networks that read
            labels (see `label_mode`) take `[inputs, labels]`.
        image_shape: shape of one sample, e.g. (28, 28, 1) (also (d,) for vector data).
        latent_dim: size of z.
        num_classes: makes the model conditional on integer labels in [0, num_classes).
        latent_prior: "normal" (N(0, I)) or "uniform" (U[-1, 1]).
        d_steps: discriminator (critic) updates per generator update, each on its own real batch.
        g_steps: generator updates per step, each with fresh noise.
        architecture: a name from `networks.architectures()`: "infogan" (default, the 28x28 nets of the public
            model collections), "dcgan", "mlp", "gan_paper" or "toy".
        seed: root of all training noise (see `noise`): noise continues exactly after `load_model`, differs
            across replicas, and does not depend on the number of replicas.
        joint_batches: False: D is called on each real batch and on its fakes separately, and on the fakes
            alone in the generator update, as in the public PyTorch collections; True: one call on both (batch
            norm normalizes over the mixed batch) and the last real batch beside the fakes in the generator
            update. The two differ only for discriminators with batch norm. None (default): the game's own
            `joint_batches_default`, the one measured better for it -- separate for the GAN game (one epoch on
            Fashion-MNIST: classifier-FID 9.9 and 11.2 against 19.3 and 19.5 jointly, which left out whole
            classes) and for LSGAN (two epochs: 7.8 against 10.4 in the mean of three seeds), joint for ACGAN
            (8.0 against 10.6): see docs/parity.md.

    Stabilisers, switches of every game:
        ema: None, or a decay in (0, 1) such as 0.999: keep an exponential moving average of the generator's
            trainable weights, w_ema <- d * w_ema + (1 - d) * w after the generator's t-th update, with
            d = min(ema, (1 + t) / (10 + t)) (starting from the initial weights; the warm-up of TensorFlow's
            `ExponentialMovingAverage(num_updates=t)`, without which the average of a short run is mostly its
            random start). The averaged generator is smoother than the last iterate, which oscillates
            with the game, and is what `generate`, `generate_from`, `call` and `export` use (so evaluation and
            sample grids too); its non-trainable weights (batch-norm statistics) are the generator's own, as
            copying them after every update would give. `model.generator` stays the trained network and
            `averaged_generator()` returns the averaged one as a model of its own. The averages are model
            variables: saved in .keras files and resumed exactly.
        spectral_norm: True wraps every Dense and Conv2D layer of the default discriminator, its last one
            included, in `keras.layers.SpectralNormalization` (`networks.spectral_normalize`): each layer is
            1-Lipschitz, which bounds D's gradients for any game and loss. Normalization layers the
            architecture has stay. A discriminator you pass must already hold such layers.
        augment: None, or a DiffAugment policy such as "translation,cutout,color" (see `augment`): every
            batch the discriminator sees in training, real and fake, in both updates and in gradient
            penalties, goes through random differentiable transformations first, so that D cannot memorise
            a small training set and G still gets gradients through them. Images only (rank-4 batches);
            not for autoencoder discriminators (EBGAN, BEGAN), whose energy compares D's output with the
            untransformed input.
        instance_noise: a standard deviation sigma >= 0 (0: off): every batch the discriminator sees in
            training, real and fake, in both updates, gets Gaussian noise N(0, sigma^2) added first ("instance
            noise", Sonderby et al. 2016, https://arxiv.org/abs/1610.04490; Arjovsky & Bottou 2017). The two
            distributions then overlap, so D stays smooth between the data's modes and its gradient reaches
            samples far from them; anneal sigma to 0 (`callbacks.AnnealInstanceNoise`) to end on the game's
            own loss. sigma is a model variable, `instance_noise_stddev`: saved and resumed with the model.
            An autoencoder discriminator (EBGAN, BEGAN) then reconstructs the clean batch from the noisy one.
    """

    default_architecture = "infogan"
    label_mode = "optional"  # a key of LABEL_INPUTS
    metric_names = ("d_loss", "g_loss")
    # How D sees a real batch and its fakes when joint_batches is not given (see the class docstring).
    joint_batches_default = True
    # True where the discriminator loss also differentiates D with respect to its input (a gradient penalty);
    # bench counts the FLOPs of that extra pass.
    penalises_gradients = False
    # PacGAN's pack size on the 2-D toy mixtures (`toy_setup`): D judges that many samples at once; None: one.
    toy_pack = None
    # The instance noise (`instance_noise=`) this game trains with on the 2-D toy mixtures (`toy_setup`),
    # annealed to 0 by the harness; None: none.
    toy_instance_noise = None
    # Real examples per discriminator update when the caller does not say (`training_dataset`, `keras-gans
    # train` without --batch-size): the size the game's defaults were measured at.
    default_batch_size = 64

    def __init__(self, generator=None, discriminator=None, *, image_shape=(28, 28, 1), latent_dim=62,
                 num_classes=None, latent_prior="normal", d_steps=1, g_steps=1, architecture=None, seed=None,
                 joint_batches=None, ema=None, spectral_norm=False, augment=None, instance_noise=0.0, **kwargs):
        super().__init__(**kwargs)
        if latent_prior not in noise.PRIORS:
            raise ValueError(f"latent_prior must be one of {noise.PRIORS}, not {latent_prior!r}.")
        if int(d_steps) < 1 or int(g_steps) < 1:
            raise ValueError(f"d_steps and g_steps must be >= 1 (got {d_steps}, {g_steps}).")
        self.image_shape = tuple(int(d) for d in image_shape)
        self.latent_dim = int(latent_dim)
        self.num_classes = int(num_classes) if num_classes else None
        self.latent_prior = latent_prior
        self.d_steps, self.g_steps = int(d_steps), int(g_steps)
        self.architecture = architecture or self.default_architecture
        self.seed = int(np.random.randint(2**31 - 1)) if seed is None else int(seed)
        self.joint_batches = self.joint_batches_default if joint_batches is None else bool(joint_batches)
        self._set_stabilisers(ema, spectral_norm, augment, instance_noise)
        self.generator = generator or self.build_generator()
        self.discriminator = discriminator or self.build_discriminator()
        if self.spectral_norm and not networks.has_spectral_norm(self.discriminator):
            if discriminator is not None:
                raise ValueError("spectral_norm=True wraps the default discriminator's layers; the discriminator "
                                 "passed has no keras.layers.SpectralNormalization layer. Pass "
                                 "keras_gans.networks.spectral_normalize(discriminator) (a copy with new weights) "
                                 "or leave spectral_norm off.")
            self.discriminator = networks.spectral_normalize(self.discriminator)
        self._check_networks()
        if self.augment and _is_autoencoder(self.discriminator, self.image_shape):
            raise ValueError(f"augment is not available for {type(self).__name__}: its discriminator reconstructs "
                             f"its input, and the game's energy compares that reconstruction with the "
                             f"untransformed batch. Leave augment=None.")
        # A discriminator with batch norm sees the real batch beside the fakes in the generator update, so that
        # it normalizes as in its own update (see discriminate_fake).
        self.generator_update_sees_real = self.joint_batches and _has_batch_norm(self.discriminator)
        # Counts fit steps; it keys the noise, so training noise resumes exactly after save/load.
        self.step_counter = keras.Variable(0, dtype="int64", trainable=False, name="step_counter",
                                           aggregation="only_first_replica")
        # The noise's current standard deviation, a variable so that a callback can anneal it inside the
        # compiled step and checkpoints keep it; none at all when the noise is off.
        self.instance_noise_stddev = keras.Variable(
            self.instance_noise, trainable=False, name="instance_noise_stddev",
            aggregation="only_first_replica") if self.instance_noise else None
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}
        self._draws = noise.DrawCounter()
        # The generator's averaged weights, in the order of generator.trainable_variables.
        self.ema_weights = [] if self.ema is None else moving_averages(self.generator.trainable_variables, "ema_")
        # The networks exist already; without this, fit() would "build" the model by calling call() on a
        # batch of images, which are not latent vectors.
        self.built = True

    def _set_stabilisers(self, ema, spectral_norm, augment, instance_noise):
        """Check and set the switches `ema`, `spectral_norm`, `augment` and `instance_noise` (see the class
        docstring)."""
        self.ema = check_decay("ema", ema)
        if spectral_norm not in (True, False):
            raise ValueError(f"spectral_norm must be True or False; got {spectral_norm!r}.")
        self.spectral_norm = bool(spectral_norm)
        self.augment_policy = diff_augment.parse_policy(augment)
        self.augment = ",".join(self.augment_policy) or None
        if self.augment and len(self.image_shape) != 3:
            raise ValueError(f"augment={self.augment!r} transforms images (height, width, channels), but "
                             f"image_shape is {self.image_shape}: leave augment=None for vector data.")
        try:
            sigma = float(instance_noise)
        except (TypeError, ValueError):
            sigma = float("nan")
        if not (np.isfinite(sigma) and sigma >= 0.0):
            raise ValueError(f"instance_noise must be a standard deviation >= 0 such as 0.5 (0: off); got "
                             f"{instance_noise!r}.")
        self.instance_noise = sigma

    # --------------------------------------------------------------------------------------- labels
    def reads_labels(self, role):
        """Whether the network `role` ("generator" or "discriminator") takes labels as a second input."""
        return bool(self.num_classes) and role in LABEL_INPUTS[self.label_mode]

    @classmethod
    def for_data(cls, images, labels=None, **options):
        """An instance sized for `images` (image_shape) and, in games that use labels, for `labels`
        (num_classes = largest label + 1, unless `options` say)."""
        if labels is not None and (cls.label_mode != "optional" or options.get("num_classes")):
            options.setdefault("num_classes", int(np.max(labels)) + 1)
        model = cls(image_shape=tuple(np.shape(images)[1:]), **options)
        if labels is not None and model.num_classes:
            model.check_labels(labels, unlabeled=cls.label_mode == "semi_supervised")  # every label, not a batch
        return model

    @classmethod
    def training_dataset(cls, images, labels=None, batch_size=None, labeled_per_class=None, seed=None):
        """The batches this game trains on, from arrays: (images, labels); for semi-supervised games, images
        alone (unsupervised) or, with `labeled_per_class`, `data.semi_supervised` batches. `batch_size`:
        the game's `default_batch_size` when None."""
        batch_size = batch_size or cls.default_batch_size
        semi_supervised = cls.label_mode == "semi_supervised"
        if labeled_per_class:
            if not semi_supervised:
                raise ValueError(f"labeled_per_class is for the semi-supervised variants (CatGAN, SGAN), not "
                                 f"{cls.__name__}.")
            return data.semi_supervised((images, labels), labeled_per_class, batch_size=batch_size, seed=seed or 0)
        return data.from_arrays(images, None if semi_supervised else labels, batch_size=batch_size, seed=seed)

    @classmethod
    def toy_setup(cls, modes):
        """How this game meets a 2-D mixture of `modes` Gaussians (`keras_gans.toy`): {"options": constructor
        arguments, "labels": False (samples alone), True (each with its mode index as label) or "few"
        (unlabeled batches interleaved with a few labelled points per mode, label -1 = unlabeled)}, and
        optionally "pack": m > 1 for PacGAN's packed discriminator (`networks.toy_discriminator(pack=m)`) and
        "learning_rate": the factor on the game's own learning rates in place of `toy.HARNESS`'s. The game's
        `toy_instance_noise` goes into the options."""
        noisy = {"instance_noise": cls.toy_instance_noise} if cls.toy_instance_noise else {}
        if cls.label_mode in ("conditional", "auxiliary"):
            return {"options": {"num_classes": modes, **noisy}, "labels": True}
        if cls.label_mode == "semi_supervised":
            return {"options": {"num_classes": modes, **noisy}, "labels": "few"}
        # Packing needs D's output and penalty to be about the whole pack, not per sample (labels, codes and
        # gradient penalties are per sample).
        if cls.toy_pack and not cls.penalises_gradients:
            return {"options": noisy, "labels": False, "pack": cls.toy_pack}
        return {"options": noisy, "labels": False}

    # ------------------------------------------------------------------------------------ networks
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
    # The optimizers compile() builds when it gets none, one of `optimizer_class` for D and one for G, each with
    # `optimizer_options` and its own rate of `learning_rates` (D's, G's). Adam(beta_1=0.5) at 2e-4 for both, as
    # in the DCGAN paper and the public GAN collections; a game whose paper or measurements say otherwise sets its
    # own.
    optimizer_class = keras.optimizers.Adam
    optimizer_options = {"beta_1": 0.5}
    learning_rates = (2e-4, 2e-4)

    def default_optimizers(self):
        """(d_optimizer, g_optimizer) used when compile() gets none: `optimizer_class(rate,
        **optimizer_options)` at D's and G's `learning_rates`."""
        return tuple(self.optimizer_class(rate, **self.optimizer_options) for rate in self.learning_rates)

    def compile(self, d_optimizer=None, g_optimizer=None, jit_compile="auto", **kwargs):
        """Configure training. Other keyword arguments (`steps_per_execution`, `run_eagerly`, ...) go to
        `keras.Model.compile`. `jit_compile="auto"` means XLA on one device and off under a distribution
        strategy, where XLA on CPU cannot place the replicas' variables, and off for networks that compute in
        bfloat16 on a machine without a GPU: XLA's CPU compiler runs bfloat16 matrix products no faster than
        float32 ones, while TensorFlow's own kernels (oneDNN) use the CPU's bfloat16 units (measured on a
        2-core Xeon with AMX, `keras-gans bench gan --xla both --precision both`: GAN 608 images/s in
        bfloat16 without XLA, 468 with it, 508 in float32 with XLA)."""
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
            jit_compile = (not kwargs.get("run_eagerly") and not tf.distribute.has_strategy()
                           and not self._bfloat16_on_cpu())
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        if self.dtype_policy.name == "mixed_float16" or keras.config.dtype_policy().name == "mixed_float16":
            d_optimizer, g_optimizer = (o if isinstance(o, keras.optimizers.LossScaleOptimizer)
                                        else keras.optimizers.LossScaleOptimizer(o) for o in (d_optimizer, g_optimizer))
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        # Built here, not lazily in train_step: optimizers first built inside train_step fail under
        # MirroredStrategy ("You must feed a value for placeholder"), and built ones are what load_model
        # restores moments and iteration counts into.
        self.d_optimizer.build(self.discriminator_variables)
        self.g_optimizer.build(self.generator_variables)

    def _bfloat16_on_cpu(self):
        """Whether the networks compute in bfloat16 and no GPU is there to run them."""
        computes_in_bfloat16 = any(network.dtype_policy.compute_dtype == "bfloat16"
                                   for network in (self.generator, self.discriminator))
        return computes_in_bfloat16 and not tf.config.list_logical_devices("GPU")

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

    # ------------------------------------------------------------------------------------- training
    def fit(self, x=None, y=None, batch_size=None, **kwargs):
        """`keras.Model.fit`, where each batch of `x` is one discriminator batch.

        With d_steps = k, a dataset is regrouped so that one fit step receives k batches (k discriminator
        updates, then the generator updates). So `steps_per_epoch`, History and callbacks count generator
        steps, and an epoch still shows every example once. Arrays are checked whole and become a dataset
        (`data.from_arrays`: `batch_size` per discriminator update, default 32, reshuffled every epoch unless
        `shuffle=False`, the last incomplete batch dropped, as equal slices need).
        """
        # With steps_per_epoch, Keras draws every epoch from one iterator (callbacks.BackupAndRestore needs to know).
        self._input_spans_epochs = kwargs.get("steps_per_epoch") is not None
        if isinstance(x, np.ndarray):
            self._check_batch(x, y)
            x, y = data.from_arrays(x, y, batch_size=batch_size or 32, shuffle=kwargs.pop("shuffle", True)), None
            batch_size = None
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself; Keras warns otherwise
            first = next(iter(x.take(1)))
            images, labels, _ = keras.utils.unpack_x_y_sample_weight(first)
            self._check_batch(images, labels)
            x = data.regroup(x, self.d_steps, self.distribute_strategy.num_replicas_in_sync, int(images.shape[0]))
        return super().fit(x, y, batch_size=batch_size, **kwargs)

    def _needs_labels(self):
        return bool(self.num_classes) and self.label_mode != "semi_supervised"

    def _check_batch(self, images, labels=None):
        """One clear error for data this model cannot train on (checked on the first batch in `fit`)."""
        name = type(self).__name__
        data.check_images(images, image_shape=self.image_shape, trainer=name)
        if self._needs_labels() and labels is None:
            raise ValueError(f"{name} is conditional (num_classes={self.num_classes}): fit it on "
                             f"(images, labels) batches, e.g. keras_gans.data.load(...) yields them.")
        if self.num_classes and labels is not None:
            self.check_labels(labels, unlabeled=self.label_mode == "semi_supervised")

    def train_step(self, batch):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(batch)
        if self._needs_labels() and labels is None:
            raise ValueError(f"{type(self).__name__} is conditional: its batches must be (images, labels).")
        self._draws.reset()
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
            self._update_ema()
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
        (Keras' own loss classes do the same); the reported metrics stay unscaled."""
        _, replicas = noise.replica_context()
        with tf.GradientTape() as tape:
            logs = loss_fn()
            loss = optimizer.scale_loss(logs[loss_key] / replicas)
        optimizer.apply(tape.gradient(loss, variables), variables)
        return logs

    def _update_ema(self):
        """The generator's moving average (if `ema`) after its latest update (`update_moving_averages`)."""
        if self.ema_weights:
            update_moving_averages(self.ema_weights, self.generator.trainable_variables, self.ema,
                                   self.g_optimizer.iterations)

    def _track(self, logs):
        for name, value in logs.items():
            if name not in self.trackers:
                raise KeyError(f"{type(self).__name__} reports {name!r}; add it to metric_names.")
            self.trackers[name].update_state(value)

    @property
    def metrics(self):
        # Listed so that Keras resets them every epoch.
        return list(self.trackers.values())

    # ---------------------------------------------------------------------------- the game's hooks
    def discriminator_loss(self, real, labels=None):
        """{"d_loss": scalar, ...} for one real batch (labels for conditional games). Games override this."""
        raise NotImplementedError

    def generator_loss(self, real, labels=None):
        """{"g_loss": scalar, ...} for a batch of fresh samples as large as `real`, the last real batch
        (which `discriminate_fake` shows D alongside the fakes). Games override this."""
        raise NotImplementedError

    def after_discriminator_update(self, logs):
        """Hook run after every discriminator update with the logs of its loss (WGAN clips its critic
        here, BEGAN updates k_t)."""

    def sample_conditions(self, n):
        """What the generator is given besides z, for one training draw: random labels for a generator that
        reads labels, else None. Games with latent codes (infoGAN) return their codes."""
        return self.sample_labels(n) if self.reads_labels("generator") else None

    # ----------------------------------------------------------------------------- training noise
    def _draw(self, sampler, shape):
        """One random draw inside `train_step`, for this replica's rows of the global batch (see `noise`)."""
        return noise.draw(sampler, shape, self.seed, self.step_counter, self._draws.next())

    def sample_latent(self, n):
        """z for one draw inside `train_step`: (n, latent_dim) from the latent prior."""
        return self._draw(lambda shape, seed: noise.latent(shape[0], self.latent_dim, self.latent_prior, seed), (n,))

    def sample_labels(self, n):
        """Uniformly random class labels for one draw inside `train_step` (conditional games)."""
        return self._draw(lambda shape, seed: tf.random.stateless_uniform(shape, seed, 0, self.num_classes,
                                                                          dtype=tf.int32), (n,))

    def sample_uniform(self, shape):
        """U[0, 1) noise whose first axis is the batch, for one draw inside `train_step`."""
        return self._draw(lambda shape, seed: tf.random.stateless_uniform(shape, seed), tuple(shape))

    # --------------------------------------------------------------------- discriminator plumbing
    def fakes(self, n):
        """n generated samples for a training update (BN in training mode), and the conditions (labels,
        codes or None) they were generated from."""
        conditions = self.sample_conditions(n)
        return self.generator(self.generator_input(self.sample_latent(n), conditions), training=True), conditions

    def discriminator_view(self, images):
        """A batch as the discriminator sees it in training: through the `augment` policy, with fresh noise
        for every row, then with `instance_noise` plus Gaussian noise of the current `instance_noise_stddev`;
        the batch itself when both are off."""
        if self.augment_policy:
            images = diff_augment.apply(images, self.augment_policy, self.sample_uniform)
        if self.instance_noise_stddev is not None:
            shape = (ops.shape(images)[0],) + tuple(images.shape[1:])
            normal = self._draw(lambda shape, seed: tf.random.stateless_normal(shape, seed), shape)
            images = images + ops.cast(self.instance_noise_stddev, images.dtype) * ops.cast(normal, images.dtype)
        return images

    def discriminate(self, images, labels=None):
        """The discriminator's output on a batch during training (labels for discriminators that read them),
        on its `discriminator_view`: this is the one door to D in training, so real and fake batches, both
        updates and the gradient penalties (taken on D after the transformations, with respect to the
        untransformed points) all see the augmentations and the instance noise."""
        images = self.discriminator_view(images)
        if self.reads_labels("discriminator"):
            return self.discriminator([images, labels], training=True)
        return self.discriminator(images, training=True)

    def discriminate_real_fake(self, real, real_labels, fake, fake_labels):
        """(output on `real`, output on `fake`): two discriminator calls, or with `joint_batches` one call on
        both batches, in which batch normalization in D normalizes over the mixed batch. For per-sample
        networks the two are the same. Multi-output discriminators (autoencoders) give lists."""
        if not self.joint_batches:
            return self.discriminate(real, real_labels), self.discriminate(fake, fake_labels)
        n = ops.shape(real)[0]
        labels = ops.concatenate([real_labels, fake_labels], axis=0) if self.reads_labels("discriminator") else None
        outputs = self.discriminate(ops.concatenate([real, fake], axis=0), labels)
        if isinstance(outputs, (list, tuple)):
            return [t[:n] for t in outputs], [t[n:] for t in outputs]
        return outputs[:n], outputs[n:]

    def discriminate_fake(self, real, real_labels, fake, fake_labels):
        """The discriminator's output on `fake` in a generator update. With `joint_batches`, a discriminator
        with batch norm sees the real batch alongside, so that it normalizes as in its own update."""
        if not self.generator_update_sees_real:
            return self.discriminate(fake, fake_labels)
        return self.discriminate_real_fake(real, real_labels, fake, fake_labels)[1]

    def discriminator_outputs(self, real, labels=None):
        """For a discriminator update: fresh fakes as many as `real` (no gradient to G) and D's outputs on
        both (see `discriminate_real_fake`), as `Outputs(real_out, fake_out, fake, conditions)`."""
        fake, conditions = self.fakes(ops.shape(real)[0])
        fake = ops.stop_gradient(fake)
        real_out, fake_out = self.discriminate_real_fake(real, labels, fake, conditions)
        return Outputs(real_out, fake_out, fake, conditions)

    def generator_outputs(self, real, labels=None):
        """For a generator update: fresh fakes as many as `real` and D's output on them (see
        `discriminate_fake`), as `Outputs(None, fake_out, fake, conditions)`."""
        fake, conditions = self.fakes(ops.shape(real)[0])
        return Outputs(None, self.discriminate_fake(real, labels, fake, conditions), fake, conditions)

    # ---------------------------------------------------------------------------------- serializing
    def get_config(self):
        config = super().get_config()
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=keras.saving.serialize_keras_object(self.discriminator),
            image_shape=self.image_shape, latent_dim=self.latent_dim, num_classes=self.num_classes,
            latent_prior=self.latent_prior, d_steps=self.d_steps, g_steps=self.g_steps,
            joint_batches=self.joint_batches,
            architecture=self.architecture, seed=self.seed,
            ema=self.ema, spectral_norm=self.spectral_norm, augment=self.augment,
            instance_noise=self.instance_noise,
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
            if "safe_mode" in str(error):
                # A Lambda layer (or other code in the file) would run on load: a .keras file from elsewhere
                # could run anything on this machine.
                raise ValueError(f"Refused to load {path!r}: it holds code (a Lambda layer), which loading would run. "
                                 f"Only for a file you trust: keras.saving.load_model(path, safe_mode=False).") from None
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
