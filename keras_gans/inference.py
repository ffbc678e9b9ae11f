"""Using a trained generator: `generate`, `call`, and the SavedModel `export` for serving.

`InferenceMixin` is part of every `GANModel`. What a generator reads besides z is the game's business: a game
describes it with `serving_signature()` (the named inputs), `conditions_for(n, seed, classes)` (values for n
samples) and `generator_input_from(inputs)` (the network's input from those names). Sampling figures,
evaluation and the command line ask these methods, so they work for every game without knowing its kind.

With generator EMA (`GANModel(ema=...)`), every way out of this module -- `call`, `generate`, `generate_from`
and `export` -- runs the averaged generator: the generator network with the averaged trainable weights
(`ema_weights`) in place of its own, through `stateless_call`, which needs no copy of the network and assigns
nothing (so it also runs inside `predict` under a distribution strategy).
"""
import numpy as np
import tensorflow as tf

import keras
from keras import ops

from . import atomic, data, noise
from .averaging import call_with_averages


class InferenceMixin:
    """Generation, serving and export for a model with `generator`, `latent_dim`, `latent_prior`,
    `image_shape`, `num_classes`, `reads_labels(role)` and `ema_weights` (empty without generator EMA; always set)."""

    # ------------------------------------------------------------------------------ the averaged generator
    def run_generator(self, generator_input, training=False):
        """The generator used for inference on its network input: the averaged one with EMA, else the
        generator itself. The samples are float32 whatever the generator computes in."""
        outputs = call_with_averages(self.generator, self.ema_weights, generator_input, training)
        # The default networks end in a float32 layer; a generator whose last layer computes in bfloat16 or
        # float16 (a mixed policy) would hand out half-precision samples.
        return ops.cast(outputs, "float32")

    def averaged_generator(self):
        """The generator that inference uses, as a `keras.Model`: with EMA a new copy of the generator holding
        the averaged trainable weights and the generator's non-trainable ones (a snapshot: it does not follow
        further training); without, `generator` itself."""
        if not self.ema_weights:
            return self.generator
        copy = keras.models.clone_model(self.generator)
        for targets, sources in ((copy.trainable_variables, self.ema_weights),
                                 (copy.non_trainable_variables, self.generator.non_trainable_variables)):
            if [tuple(t.shape) for t in targets] != [tuple(s.shape) for s in sources]:
                raise ValueError("The generator could not be copied weight for weight (keras.models.clone_model "
                                 "changed its weights); its averaged weights are in model.ema_weights.")
            for target, source in zip(targets, sources):
                target.assign(source.value)
        return copy

    # ------------------------------------------------------------------------- what the generator reads
    def serving_signature(self):
        """The inputs of the exported `serve` endpoint and of `call`: name -> `tf.TensorSpec` (batch free)."""
        signature = {"z": tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")}
        if self.reads_labels("generator"):
            signature["labels"] = tf.TensorSpec([None], tf.int32, name="labels")
        return signature

    def condition_classes(self):
        """How many values the generator's first categorical input takes (its class labels), or None when it
        reads nothing but z. Sample grids give each value a row; evaluation balances samples over them."""
        return self.num_classes if self.reads_labels("generator") else None

    def conditions_for(self, n, seed=None, classes=None):
        """Everything the generator reads besides z, for `n` samples: a dict of numpy arrays keyed like
        `serving_signature()` without "z" ({} for an unconditional generator). `classes` (n ints) sets the
        class labels; by default they cycle 0, 1, ..., condition_classes() - 1, 0, ... Inputs that
        `classes` does not set are drawn from `seed`."""
        if not self.reads_labels("generator"):
            return {}
        return {"labels": self.check_labels(np.arange(n) % self.num_classes if classes is None else classes, n)}

    def check_labels(self, labels, n=None, unlabeled=False):
        """Labels for this model as int32 numpy, or one clear error (see `data.check_labels`)."""
        return data.check_labels(labels, self.num_classes, n, unlabeled)

    def generator_input(self, z, conditions=None):
        """The generator network's input from z and conditions: z, or [z, labels]."""
        return [z, conditions] if self.reads_labels("generator") else z

    def generator_input_from(self, inputs):
        """The generator network's input from a dict shaped like `serving_signature()`."""
        return self.generator_input(inputs["z"], inputs.get("labels"))

    # ------------------------------------------------------------------------------------- generating
    def call(self, inputs, training=False):
        """Run the generator on a dict like `serving_signature()` ({"z": z} plus "labels" for conditional
        models), on `z` alone, or on the generator network's own input ([z, labels])."""
        if isinstance(inputs, dict):
            inputs = self.generator_input_from(inputs)
        return self.run_generator(inputs, training=training)

    def latent_for(self, n, seed=None):
        """(n, latent_dim) numpy z from the latent prior: the same `seed` gives the same z (None: random)."""
        seed = np.random.randint(2**31 - 1) if seed is None else seed
        return ops.convert_to_numpy(noise.latent(n, self.latent_dim, self.latent_prior,
                                                 tf.constant([seed, 1], tf.int64)))

    def generate(self, n, labels=None, seed=None, batch_size=256):
        """`n` samples as a numpy array in [-1, 1]. `seed` fixes z (the same seed gives the same images);
        conditional models take `labels` (default: 0, 1, ..., num_classes - 1, 0, 1, ...)."""
        if labels is not None and not self.reads_labels("generator"):
            raise ValueError(f"{type(self).__name__}'s generator takes no labels: generate() takes none.")
        return self.generate_from({"z": self.latent_for(n, seed), **self.conditions_for(n, seed, labels)},
                                  batch_size)

    def generate_from(self, inputs, batch_size=256):
        """Samples (numpy, in [-1, 1]) for a dict of numpy arrays like `serving_signature()`."""
        n = len(inputs["z"])
        # Called eagerly, batch by batch: predict() would trace a new function for every new n.
        batches = [self.run_generator(self.generator_input_from({key: tf.constant(value[i:i + batch_size])
                                                                 for key, value in inputs.items()}))
                   for i in range(0, n, batch_size)]
        return np.concatenate([ops.convert_to_numpy(b) for b in batches]) if batches else \
            np.zeros((0,) + self.image_shape, "float32")

    def code_traversal_inputs(self, code=0, categorical=0, steps=10, span=2.0, seed=0):
        """The generator inputs of infoGAN's latent-code figure (see `sampling.code_traversal_grid`); only
        games with categorical and continuous latent codes draw it."""
        raise ValueError(f"{type(self).__name__} has no categorical and continuous latent codes to traverse; "
                         f"this figure is for InfoGAN.")

    # -------------------------------------------------------------------------------------- exporting
    def export(self, filepath, format="tf_saved_model", verbose=None, overwrite=False, **kwargs):
        """Write the generator as a TensorFlow SavedModel for serving (TF Serving, `tf.saved_model.load`,
        `keras.layers.TFSMLayer`), without any keras_gans code.

        Its `serve` endpoint (also the `serving_default` signature) maps
          unconditional models: z, float32 (batch, latent_dim)                      -> images
          conditional models:   {"z": float32 (batch, latent_dim), "labels": int32 (batch,)} -> images
        with images float32 (batch, *image_shape) in [-1, 1] (signature output "output_0"); the batch size
        is free. With generator EMA it serves the averaged generator. Other formats go to `keras.Model.export`.

        A file or non-empty directory at `filepath` is refused unless `overwrite=True`; the SavedModel is
        built in a temporary directory beside it and moved into place only when complete, so an export
        that fails or is killed leaves no half-written model and replaces nothing.
        """
        if format != "tf_saved_model":
            return super().export(filepath, format=format, verbose=verbose, **kwargs)
        signature = self.serving_signature()
        # Refused (or a temporary directory made) before anything is traced: see atomic.atomic_directory.
        with atomic.atomic_directory(filepath, overwrite=overwrite) as build:
            archive = keras.export.ExportArchive()
            generator = self.averaged_generator()
            archive.track(generator)
            if list(signature) == ["z"]:
                # float32 images, as the signature promises, also from a generator ending in half precision.
                archive.add_endpoint("serve", lambda z: ops.cast(generator(z, training=False), "float32"),
                                     input_signature=[signature["z"]])
            else:
                # One dict argument: an endpoint of several positional tensors cannot be called through
                # keras.layers.TFSMLayer, and default export names them args_0, args_0_1 and traces integer
                # labels as float32.
                archive.add_endpoint("serve", lambda inputs: ops.cast(generator(self.generator_input_from(inputs),
                                                                                training=False), "float32"),
                                     input_signature=[signature])
            # Not verbose: Keras would announce the temporary directory as where the model is.
            archive.write_out(build, verbose=False)
        if verbose:
            inputs = ", ".join(f"{name} {spec.dtype.name} {spec.shape.as_list()}" for name, spec in signature.items())
            print(f"Saved artifact at '{filepath}'. Endpoint 'serve' (also 'serving_default'): {inputs} -> images.")
        return filepath
