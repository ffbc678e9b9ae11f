"""infoGAN: Chen et al., "InfoGAN: Interpretable Representation Learning by Information Maximizing Generative
Adversarial Nets", 2016 (https://arxiv.org/abs/1606.03657)."""
import keras
import numpy as np
import tensorflow as tf
from keras import ops

from .. import losses, networks
from . import register
from .gan import GAN


@register("infogan")
class InfoGAN(GAN):
    """The GAN game plus a variational bound on the mutual information between latent codes c and G(z, c)
    (eq. 5-6):

        min_{G,Q} max_D  V(D, G) - lambda L_I(G, Q),    L_I = E_{c, x = G(z, c)}[log Q(c | x)] + H(c)

    G reads [z, c]: one categorical code per entry of `categorical_codes` (one-hot, uniform) and
    `continuous_codes` codes ~ U[-1, 1]. Q shares every layer of D but its last and has its own head
    (`networks.add_q_head`): the discriminator is one network with outputs [D's logit, Q's outputs]; Q's
    outputs are the categorical logits, then the continuous means (then their log-variances when
    `learn_variance`). D+Q and G each minimise their GAN loss plus `info_loss` = lambda_cat * cross-entropy
    + lambda_cont * Gaussian negative log-likelihood (-L_I up to the constant H(c)), as in the paper's
    code: lambda_cat = 1 and the smaller lambda_cont = 0.1 the paper uses for continuous codes
    (`categorical_weight`, `continuous_weight`), Adam with the paper's rates, D 2e-4 and G 1e-3.
    `generate(n, codes=...)`, `infer_codes(images)`, `q_network`.
    """

    metric_names = GAN.metric_names + ("info_loss",)
    # The paper's rates (appendix C.1): D 2e-4, G 1e-3. With GAN's 2e-4 for both and lambda 1 for the continuous
    # codes too, c1 had not become the garment class after an epoch of Fashion-MNIST (purity of c1 against the
    # classifier's classes 19.6%, classifier-FID 15.8, seed 0). G at 1e-3: 71.7% and 8.0; with the paper's smaller
    # lambda for continuous codes (0.1) as well: 80.5%, 66.2%, 68.1% and 7.2, 9.2, 8.0 (seeds 0, 1, 2).
    learning_rates = (2e-4, 1e-3)

    @classmethod
    def toy_setup(cls, modes):
        # One categorical code with a value per mode, so that c can pick the mode.
        return {"options": {"categorical_codes": (modes,), "continuous_codes": 0}, "labels": False}

    def __init__(self, generator=None, discriminator=None, *, categorical_codes=(10,), continuous_codes=2,
                 categorical_weight=1.0, continuous_weight=0.1, learn_variance=False, **kwargs):
        self.categorical_codes = tuple(int(k) for k in categorical_codes)
        self.continuous_codes = int(continuous_codes)
        self.categorical_weight, self.continuous_weight = float(categorical_weight), float(continuous_weight)
        self.learn_variance = bool(learn_variance)
        self.code_dim = sum(self.categorical_codes) + self.continuous_codes
        if any(k < 2 for k in self.categorical_codes) or self.continuous_codes < 0 or not self.code_dim:
            raise ValueError("InfoGAN needs at least one code: categorical_codes of 2 or more values each and/or "
                             f"continuous_codes >= 1; got {categorical_codes} and {continuous_codes}.")
        super().__init__(generator, discriminator, **kwargs)

    def build_generator(self):
        return networks.build_generator(self.architecture, self.image_shape, self.latent_dim + self.code_dim)

    def build_discriminator(self):
        q_units = sum(self.categorical_codes) + self.continuous_codes * (2 if self.learn_variance else 1)
        return networks.build_q_head(self.architecture, super().build_discriminator(), q_units)

    @property
    def q_network(self):
        """Q alone: images -> Q's outputs, built on the discriminator's own layers."""
        return keras.Model(self.discriminator.inputs, self.discriminator.outputs[1], name="q_network")

    # ------------------------------------------------------------------------------------------- codes
    def sample_conditions(self, n):
        parts = [ops.one_hot(self._draw(lambda shape, seed, k=k: tf.random.stateless_uniform(
            shape, seed, 0, k, dtype=tf.int32), (n,)), k) for k in self.categorical_codes]
        if self.continuous_codes:
            parts.append(self._draw(lambda shape, seed: tf.random.stateless_uniform(shape, seed, -1.0, 1.0),
                                    (n, self.continuous_codes)))
        return ops.concatenate(parts, axis=-1)

    def generator_input(self, z, conditions=None):
        return ops.concatenate([z, ops.cast(conditions, z.dtype)], axis=-1)

    def _split(self, values, sizes):
        return ops.split(values, np.cumsum(sizes)[:-1].tolist(), axis=-1) if len(sizes) > 1 else [values]

    def information_loss(self, q_outputs, codes):
        """-L_I (weighted) of Q's outputs on fakes against the codes G received."""
        cat = self.categorical_codes
        n_cont = self.continuous_codes
        q_parts = self._split(q_outputs, cat + (n_cont,) * (2 if self.learn_variance else 1 if n_cont else 0))
        code_parts = self._split(codes, cat + ((n_cont,) if n_cont else ()))
        loss = 0.0
        for logits, one_hot in zip(q_parts[:len(cat)], code_parts[:len(cat)]):
            loss += self.categorical_weight * losses.categorical_information_loss(logits, one_hot)
        if n_cont:
            log_variances = q_parts[len(cat) + 1] if self.learn_variance else None
            loss += self.continuous_weight * losses.gaussian_information_loss(q_parts[len(cat)], code_parts[-1],
                                                                              log_variances)
        return loss

    # -------------------------------------------------------------------------------------------- game
    def discriminator_loss(self, real, labels=None):
        out = self.discriminator_outputs(real, labels)  # D's outputs: [logits, Q's outputs]
        logs = self.source_losses(out.real_out[0], out.fake_out[0])
        info = self.information_loss(out.fake_out[1], out.conditions)
        return {**logs, "d_loss": logs["d_loss"] + info, "info_loss": info}

    def generator_loss(self, real, labels=None):
        out = self.generator_outputs(real, labels)
        fake_logits, fake_q = out.fake_out
        info = self.information_loss(fake_q, out.conditions)
        return {"g_loss": self.source_generator_loss(fake_logits) + info, "info_loss": info}

    # ------------------------------------------------------------------------------ sampling, serving
    def serving_signature(self):
        signature = super().serving_signature()
        if self.categorical_codes:
            signature["categorical"] = tf.TensorSpec([None, len(self.categorical_codes)], tf.int32,
                                                     name="categorical")
        if self.continuous_codes:
            signature["continuous"] = tf.TensorSpec([None, self.continuous_codes], tf.float32, name="continuous")
        return signature

    def generator_input_from(self, inputs):
        parts = [ops.one_hot(ops.cast(inputs["categorical"][:, i], "int32"), k)
                 for i, k in enumerate(self.categorical_codes)]
        if self.continuous_codes:
            parts.append(ops.cast(inputs["continuous"], "float32"))
        return self.generator_input(inputs["z"], ops.concatenate(parts, axis=-1))

    def condition_classes(self):
        return self.categorical_codes[0] if self.categorical_codes else None

    def conditions_for(self, n, seed=None, classes=None):
        """Codes for n samples: {"categorical": ints (n, len(categorical_codes)), "continuous": (n, k)} (keys
        for the codes this model has). The first categorical code is `classes`, by default cycling over its
        values; the rest are drawn uniformly from `seed`."""
        rng = np.random.default_rng(seed)
        categorical = np.array([rng.integers(0, k, n) for k in self.categorical_codes], "int32").T \
            .reshape(n, len(self.categorical_codes))
        continuous = rng.uniform(-1, 1, (n, self.continuous_codes)).astype("float32")
        codes = {}
        if self.categorical_codes:
            categorical[:, 0] = np.arange(n) % self.categorical_codes[0] if classes is None else classes
            codes["categorical"] = categorical
        if self.continuous_codes:
            codes["continuous"] = continuous
        return codes

    def generate(self, n, codes=None, seed=None, batch_size=256, labels=None):
        """`n` samples in [-1, 1]. `codes`: a dict with "categorical" (ints, (n, len(categorical_codes))) and/or
        "continuous" ((n, continuous_codes)); what is missing comes from `conditions_for(n, seed)`."""
        if labels is not None:
            raise ValueError("InfoGAN's generator takes latent codes, not labels: use generate(n, codes={...}).")
        inputs = {"z": self.latent_for(n, seed), **self.conditions_for(n, seed)}
        for key, value in (codes or {}).items():
            if key not in ("categorical", "continuous"):
                raise ValueError(f"Unknown code {key!r}: codes has the keys 'categorical' and 'continuous'.")
            inputs[key] = self.check_codes(key, value, n)
        return self.generate_from(inputs, batch_size)

    def code_traversal_inputs(self, code=0, categorical=0, steps=10, span=2.0, seed=0):
        """The paper's figure of a continuous code (figure 2): one row per value of categorical code
        `categorical`, columns sweeping continuous code `code` over [-span, span] -- past the training range
        [-1, 1], as in the paper's rotation and width figures. z and the other codes are drawn once (from
        `seed`) and shared by every image. Returns generator inputs for values * steps images, row-major."""
        if not self.continuous_codes or not self.categorical_codes:
            return super().code_traversal_inputs(code, categorical, steps, span, seed)
        if not 0 <= code < self.continuous_codes or not 0 <= categorical < len(self.categorical_codes):
            raise ValueError(f"code must lie in [0, {self.continuous_codes}) and categorical in "
                             f"[0, {len(self.categorical_codes)}); got {code} and {categorical}.")
        values = self.categorical_codes[categorical]
        n = values * steps
        codes = {key: np.repeat(value, n, axis=0) for key, value in self.conditions_for(1, seed).items()}
        codes["categorical"][:, categorical] = np.repeat(np.arange(values), steps)
        codes["continuous"][:, code] = np.tile(np.linspace(-span, span, steps), values)
        return {"z": np.repeat(self.latent_for(1, seed), n, axis=0), **codes}

    def check_codes(self, key, value, n):
        """Codes as numpy, or one clear error: categorical values in range, the right widths."""
        width = len(self.categorical_codes) if key == "categorical" else self.continuous_codes
        value = np.asarray(value)
        value = value.reshape(n, -1) if value.size == n * width else value
        if value.shape != (n, width):
            raise ValueError(f"{key} codes for {n} samples must have shape ({n}, {width}); got {value.shape}.")
        if key == "continuous":
            return value.astype("float32")
        if not np.issubdtype(value.dtype, np.integer):
            raise ValueError(f"Categorical codes must be integers; got dtype {value.dtype}.")
        for i, k in enumerate(self.categorical_codes):
            if value[:, i].min() < 0 or value[:, i].max() >= k:
                raise ValueError(f"Categorical code {i} takes values in [0, {k}); got values from "
                                 f"{value[:, i].min()} to {value[:, i].max()}.")
        return value.astype("int32")

    def infer_codes(self, images, batch_size=256):
        """Q's estimate of the codes behind `images`: {"categorical": argmax ints (n, len(categorical_codes)),
        "categorical_probabilities": [(n, k) ...], "continuous": means (n, continuous_codes)}."""
        q = np.concatenate([ops.convert_to_numpy(self.discriminator(np.asarray(images[i:i + batch_size], "float32"),
                                                                    training=False)[1])
                            for i in range(0, len(images), batch_size)])
        parts = np.split(q, np.cumsum(self.categorical_codes).tolist(), axis=-1)
        probabilities = [ops.convert_to_numpy(ops.softmax(p, axis=-1)) for p in parts[:len(self.categorical_codes)]]
        return {"categorical": np.stack([p.argmax(-1) for p in probabilities], axis=-1).astype("int32"),
                "categorical_probabilities": probabilities,
                "continuous": parts[-1][:, :self.continuous_codes]}

    def get_config(self):
        return {**super().get_config(), "categorical_codes": self.categorical_codes,
                "continuous_codes": self.continuous_codes, "categorical_weight": self.categorical_weight,
                "continuous_weight": self.continuous_weight, "learn_variance": self.learn_variance}
