"""DCGAN: Radford et al., "Unsupervised Representation Learning with Deep Convolutional Generative
Adversarial Networks", 2016 (https://arxiv.org/abs/1511.06434)."""

from . import register
from .gan import GAN


@register("dcgan")
class DCGAN(GAN):
    """The GAN game (non-saturating G loss) with the DCGAN networks and the paper's training defaults:
    all-convolutional G and D with batch norm (`networks.dcgan_generator` / `dcgan_discriminator`),
    weights from N(0, 0.02), Adam(learning_rate=2e-4, beta_1=0.5), a 100-d latent vector."""

    default_architecture = "dcgan"

    def __init__(self, generator=None, discriminator=None, *, latent_dim=100, **kwargs):
        super().__init__(generator, discriminator, latent_dim=latent_dim, **kwargs)
