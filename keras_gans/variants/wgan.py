"""WGAN: Arjovsky, Chintala & Bottou, "Wasserstein GAN", 2017 (https://arxiv.org/abs/1701.07875)."""
import keras
from keras import ops

from .. import losses
from ..base import GANModel
from . import register


@register("wgan")
class WGAN(GANModel):
    """The Wasserstein game (Algorithm 1 of the paper): a critic D with a linear output estimates the
    Wasserstein-1 distance E[D(x)] - E[D(G(z))]; the generator minimises -E[D(G(z))].

        critic loss   E_z[D(G(z))] - E_x[D(x)],   then clip every critic weight to [-c, c]
        G loss        -E_z[D(G(z))]

    `n_critic` critic updates (each on its own real batch) per generator update, with the paper's RMSprop.
    Three defaults differ from the paper's Algorithm 1 (n_critic 5, RMSprop(5e-5) for both, c = 0.01, for its
    DCGAN critic on LSUN); all three were measured after one epoch of Fashion-MNIST on the infoGAN-paper
    networks, classifier-FID of `evaluate`'s 10,000 samples (`python benchmarks/one_epoch.py wgan ...`):
    - c = 0.05: with 0.01 the critic stayed too flat to move G (near-black squares for nine epochs, pixel mean
      -0.95). With the paper's schedule, epochs 1, 2, 3 gave 66.6, 62.9, 69.2 with 0.01, 65.4, 54.3, 43.7 with
      0.05 and 65.1, 51.2, 42.3 with 0.1; on the toy's MLP critic (ring) 0/8 modes with 0.01, 8/8 with 0.05.
    - One critic update per generator update and RMSprop at D 2e-4, G 1e-3 (the rates, and the single critic
      update, of the infoGAN-paper-network WGAN in the TF "generative model collections", which uses Adam;
      RMSprop, the paper's, did better here): 9.86, 8.05, 6.95 at seeds 0-2, all ten classes >= 5%, against
      65.4 with the paper's schedule at c = 0.05. Apart: 5 critic updates with these rates 35.7 (c = 0.01), G
      at D's 2e-4 36.3 (c = 0.01, against 14.95 with G at 1e-3), Adam(beta_1 0.5) at 2e-4 and 1e-3 22.4.
    The WGAN paper's Algorithm 1 is `WGAN(n_critic=5, clip_value=0.01)` compiled with `RMSprop(5e-5)` for both.
    Metrics: d_loss, g_loss and `wasserstein`, the critic's estimate E[D(x)] - E[D(G(z))].
    """

    metric_names = ("d_loss", "g_loss", "wasserstein")
    optimizer_class = keras.optimizers.RMSprop
    optimizer_options = {}
    learning_rates = (2e-4, 1e-3)

    def __init__(self, generator=None, discriminator=None, *, n_critic=1, clip_value=0.05, **kwargs):
        self.clip_value = clip_value
        super().__init__(generator, discriminator, d_steps=n_critic, **kwargs)

    @property
    def n_critic(self):
        return self.d_steps

    @property
    def critic(self):
        return self.discriminator

    def discriminator_loss(self, real, labels=None):
        out = self.discriminator_outputs(real, labels)
        loss = losses.wasserstein_critic_loss(out.real_out, out.fake_out)
        return {"d_loss": loss, "wasserstein": -loss}

    def generator_loss(self, real, labels=None):
        return {"g_loss": losses.wasserstein_generator_loss(self.generator_outputs(real, labels).fake_out)}

    def after_discriminator_update(self, logs):
        # Weight clipping keeps the critic (roughly) K-Lipschitz.
        if self.clip_value:
            for weight in self.critic.trainable_variables:
                weight.assign(ops.clip(weight, -self.clip_value, self.clip_value))

    def get_config(self):
        config = super().get_config()
        config["n_critic"] = config.pop("d_steps")
        config["clip_value"] = self.clip_value
        return config
