"""DCGAN: Radford et al., "Unsupervised Representation Learning with Deep Convolutional Generative
Adversarial Networks", 2016 (https://arxiv.org/abs/1511.06434)."""

from . import register
from .gan import GAN


@register("dcgan")
class DCGAN(GAN):
    """The GAN game (non-saturating G loss) with the DCGAN networks and the paper's training defaults:
    all-convolutional G and D with batch norm (`networks.dcgan_generator` / `dcgan_discriminator`),
    weights from N(0, 0.02), Adam(beta_1=0.5), a 100-d latent vector; D at the paper's 2e-4, G at 1e-3. D halves
    the image down to a 4x4 map as the paper's does, one stride-2 stage more than G at 28 px (28 -> 14 -> 7 -> 4)."""

    default_architecture = "dcgan"
    # G five times faster than D (the paper has 2e-4 for both): after one epoch of Fashion-MNIST,
    # classifier-FID 16.87, 17.22, 16.04 at seeds 0-2 against 23.38 and 21.26 (seeds 0, 1) with G at 2e-4
    # (docs/parity.md).
    learning_rates = (2e-4, 1e-3)

    def __init__(self, generator=None, discriminator=None, *, latent_dim=100, **kwargs):
        super().__init__(generator, discriminator, latent_dim=latent_dim, **kwargs)
