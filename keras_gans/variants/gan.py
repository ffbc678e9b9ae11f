"""GAN: Goodfellow et al., "Generative Adversarial Networks", 2014 (https://arxiv.org/abs/1406.2661)."""
from keras import ops

from .. import losses
from ..base import GANModel
from . import register

GENERATOR_LOSSES = {"non_saturating": losses.non_saturating_generator_loss,
                    "minimax": losses.minimax_generator_loss}


@register("gan")
class GAN(GANModel):
    """The original GAN game: D tells real from generated samples, G tries to fool it.

    Algorithm 1 of the paper: `d_steps` (the paper's k) discriminator updates, each on its own real batch,
    then one generator update. `loss="non_saturating"` trains G on -log D(G(z)) (the paper's practical
    advice), `loss="minimax"` on log(1 - D(G(z))). Samples come from an exponential moving average of G's
    weights (`ema=0.999`) unless `ema=None`.

    Metrics: d_loss, g_loss, and d_real / d_fake, the mean probability D gives real and generated samples.
    """

    metric_names = ("d_loss", "g_loss", "d_real", "d_fake")
    # Separate calls on real and fake batches: after one epoch on Fashion-MNIST, one joint call (batch norm
    # over the mixed batch) left out whole classes and doubled the classifier-FID (docs/parity.md).
    joint_batches_default = False
    # G five times faster than D (Adam(beta_1=0.5) both): after one epoch of Fashion-MNIST, classifier-FID 8.66,
    # 9.55, 8.27 at seeds 0-2 against 9.93, 11.20, 9.93 with G at D's 2e-4 (docs/parity.md).
    learning_rates = (2e-4, 1e-3)

    # Samples come from an average of G's weights (`ema`, see GANModel), which smooths the steps of a G at five
    # times D's rate: one epoch of Fashion-MNIST, seeds 0-2, classifier-FID 6.85, 7.29, 7.05 from the average
    # against 8.35, 8.86, 8.30 from G's last weights in the same runs (no class under 5% of the samples, where
    # seed 0 had pullovers under), and 9.37, 7.50, 8.47 for the PyTorch reference (docs/parity.md). The games
    # built on GAN inherit it (CGAN, DCGAN, DRAGAN, ACGAN, InfoGAN). `ema=None` turns it off; the 2-D toys train
    # without it (toy.HARNESS).
    def __init__(self, generator=None, discriminator=None, *, loss="non_saturating", ema=0.999, **kwargs):
        if loss not in GENERATOR_LOSSES:
            raise ValueError(f"loss must be one of {sorted(GENERATOR_LOSSES)}, not {loss!r}.")
        self.generator_objective = loss
        super().__init__(generator, discriminator, ema=ema, **kwargs)

    # PacGAN on the toy mixtures: D judging four samples at once sees how G's samples spread over the modes,
    # and G drops fewer of them (ring, 5,000 steps, seeds 0, 1, 2: 8, 5, 7 of 8 modes with pairs, 6, 8, 8 with
    # fours; 4/8 without packing after 3,000 steps).
    toy_pack = 4

    def discriminator_loss(self, real, labels=None):
        out = self.discriminator_outputs(real, labels)
        return self.source_losses(out.real_out, out.fake_out)

    def generator_loss(self, real, labels=None):
        return {"g_loss": self.source_generator_loss(self.generator_outputs(real, labels).fake_out)}

    def source_losses(self, real_logits, fake_logits):
        """D's real-vs-fake loss and its metrics, for the games that add terms to this one."""
        # The means in float32, as the losses are: a discriminator whose last layer computes in bfloat16 or
        # float16 (a mixed policy) hands out half-precision logits.
        real_logits, fake_logits = ops.cast(real_logits, "float32"), ops.cast(fake_logits, "float32")
        return {"d_loss": losses.minimax_discriminator_loss(real_logits, fake_logits),
                "d_real": ops.mean(ops.sigmoid(real_logits)), "d_fake": ops.mean(ops.sigmoid(fake_logits))}

    def source_generator_loss(self, fake_logits):
        """G's side of the real-vs-fake game: the `loss` chosen at construction."""
        return GENERATOR_LOSSES[self.generator_objective](fake_logits)

    def get_config(self):
        return {**super().get_config(), "loss": self.generator_objective}
