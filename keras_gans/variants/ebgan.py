"""EBGAN: Zhao, Mathieu & LeCun, "Energy-based Generative Adversarial Network", 2017
(https://arxiv.org/abs/1609.03126)."""
from keras import ops

from .. import losses, networks, penalties
from ..base import GANModel
from . import register


@register("ebgan")
class EBGAN(GANModel):
    """Energy-based GAN: D is an autoencoder whose energy is its per-pixel mean squared reconstruction error.

        L_D = D(x) + [m - D(G(z))]^+
        L_G = D(G(z)) + w f_PT(S)      f_PT: the pulling-away term on the encoder's codes S of the fake batch

    `margin` m (1.0, for energies that are per-pixel means of images in [-1, 1]); `pt_weight` w = 0.1
    (EBGAN-PT), 0 for plain EBGAN. Metrics: real_energy, fake_energy, pulling_away.
    """

    metric_names = ("d_loss", "g_loss", "real_energy", "fake_energy", "pulling_away")

    def __init__(self, generator=None, discriminator=None, *, margin=1.0, pt_weight=0.1, **kwargs):
        self.margin, self.pt_weight = float(margin), float(pt_weight)
        super().__init__(generator, discriminator, **kwargs)

    def build_discriminator(self):
        # No batch norm in the autoencoder: a fake batch of near-identical images, normalized by its own
        # statistics, decodes to the same average image whatever G draws, so G's energy stops answering to G
        # (one epoch of Fashion-MNIST with it: the fake energy stayed above the margin, nearly every sample the
        # same dark image, classifier-FID 46.3 and 77.6 at seeds 0 and 1; without it 26.9 and 21.6, garments
        # of 8 classes: docs/one_epoch.md).
        return networks.build_autoencoder(self.architecture, self.image_shape,
                                          self.num_classes if self.reads_labels("discriminator") else None,
                                          normalization=None)

    def discriminator_loss(self, real, labels=None):
        out = self.discriminator_outputs(real, labels)  # autoencoder outputs: [reconstruction, code]
        real_energy = losses.reconstruction_energy(real, out.real_out[0], "l2")
        fake_energy = losses.reconstruction_energy(out.fake, out.fake_out[0], "l2")
        return {"d_loss": losses.energy_discriminator_loss(real_energy, fake_energy, self.margin),
                "real_energy": ops.mean(real_energy), "fake_energy": ops.mean(fake_energy)}

    def generator_loss(self, real, labels=None):
        out = self.generator_outputs(real, labels)
        reconstruction, codes = out.fake_out
        energy = losses.reconstruction_energy(out.fake, reconstruction, "l2")
        pulling_away = penalties.pulling_away_term(codes)
        return {"g_loss": losses.energy_generator_loss(energy) + self.pt_weight * pulling_away,
                "pulling_away": pulling_away}

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "pt_weight": self.pt_weight}
