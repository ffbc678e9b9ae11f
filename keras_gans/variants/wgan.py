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

    `n_critic` critic updates (each on its own real batch) per generator update; RMSprop(5e-5) for both.
    The clip value c (`clip_value`) is 0.05, not the paper's 0.01 (for its DCGAN critic on LSUN): with 0.01
    the critics here stayed too flat to move G (near-black squares, pixel mean -0.95). On Fashion-MNIST with
    the infoGAN-paper critic, the classifier-FID of `keras-gans train wgan --quality-every 1` after epochs 1,
    2, 3 was 66.6, 62.9, 69.2 with 0.01 (black squares through epoch 9), 65.4, 54.3, 43.7 with 0.05 and
    65.1, 51.2, 42.3 with 0.1 (seed 1: 65.2, 62.6, 65.4 with 0.01; 65.5, 52.3, 41.8 with 0.05). On the toy's
    MLP critic (ring, 5,000 steps, seed 0): 0/8 modes with 0.01; 6/8, 8/8, 7/8 with 0.03, 0.05, 0.1.
    Metrics: d_loss, g_loss and `wasserstein`, the critic's estimate E[D(x)] - E[D(G(z))].
    """

    metric_names = ("d_loss", "g_loss", "wasserstein")
    quick_options = {"n_critic": 2}

    def __init__(self, generator=None, discriminator=None, *, n_critic=5, clip_value=0.05, **kwargs):
        self.clip_value = clip_value
        super().__init__(generator, discriminator, d_steps=n_critic, **kwargs)

    @property
    def n_critic(self):
        return self.d_steps

    @property
    def critic(self):
        return self.discriminator

    def default_optimizers(self):
        return keras.optimizers.RMSprop(5e-5), keras.optimizers.RMSprop(5e-5)

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
