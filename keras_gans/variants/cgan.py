"""CGAN: Mirza & Osindero, "Conditional Generative Adversarial Nets", 2014 (https://arxiv.org/abs/1411.1784)."""

from . import register
from .gan import GAN


@register("cgan")
class CGAN(GAN):
    """The GAN game with G and D both conditioned on the class label y (eq. 2 of the paper):

        min_G max_D E_x[log D(x|y)] + E_z[log(1 - D(G(z|y)|y))]

    The networks receive y one-hot, joined to z and to D's input. Train on `(images, labels)` batches;
    generated samples use uniformly drawn labels. `generate(n, labels=[...])` picks the classes. Samples come
    from an exponential moving average of G's weights (`ema=0.999`) unless `ema=None`.
    """

    label_mode = "conditional"
    # G at D's rate, not GAN's five times: after one epoch with G at 1e-3, 81.5% of samples in the requested
    # class and classifier-FID 12.83, against 87.4% and 6.79 at 2e-4 (seed 0; docs/parity.md).
    learning_rates = (2e-4, 2e-4)

    # Samples come from an average of G's weights (GAN's `ema=0.999`): after two epochs of Fashion-MNIST, seeds
    # 0-2, 91.6%, 91.5% and 89.5% of samples in the requested class (mean 90.9%) and classifier-FID 2.57, 2.21
    # and 3.15, against 89.6%, 90.2%, 88.3% (89.4%) and 3.36, 2.82, 3.02 without (docs/parity.md).
    def __init__(self, generator=None, discriminator=None, *, num_classes=10, **kwargs):
        if not num_classes:
            raise ValueError("CGAN is conditional: pass num_classes (e.g. 10 for Fashion-MNIST).")
        super().__init__(generator, discriminator, num_classes=num_classes, **kwargs)
