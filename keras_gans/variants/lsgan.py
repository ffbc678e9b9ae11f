"""LSGAN: Mao et al., "Least Squares Generative Adversarial Networks", 2017 (https://arxiv.org/abs/1611.04076)."""

from .. import losses
from ..base import GANModel
from . import register

# The paper's eq. 8 coding (section 3.2): b - c = 1 and b - a = 2 make the game minimise the Pearson chi^2
# divergence. The default a=0, b=c=1 is its eq. 9.
PEARSON_CODING = {"a": -1.0, "b": 1.0, "c": 0.0}


@register("lsgan")
class LSGAN(GANModel):
    """Least-squares GAN: D regresses real samples to b and fakes to a; G pushes D's output on fakes to c.

        L_D = 1/2 E_x[(D(x) - b)^2] + 1/2 E_z[(D(G(z)) - a)^2],   L_G = 1/2 E_z[(D(G(z)) - c)^2]

    Defaults a=0, b=c=1 (eq. 9); `LSGAN(**PEARSON_CODING)` gives a=-1, b=1, c=0 (eq. 8). D's output is linear.
    Samples come from an exponential moving average of G's weights (`ema=0.999`) unless `ema=None`.
    """

    # Samples come from an average of G's weights (`ema`, see GANModel), as GAN's do: in the same runs, the
    # average against G's last weights gave classifier-FID 14.77, 12.14, 14.62 against 16.12, 15.69, 16.06 after
    # one epoch of Fashion-MNIST (seeds 0-2, docs/parity.md). The 2-D toys train without it (toy.HARNESS).
    def __init__(self, generator=None, discriminator=None, *, a=0.0, b=1.0, c=1.0, ema=0.999, **kwargs):
        self.a, self.b, self.c = float(a), float(b), float(c)
        super().__init__(generator, discriminator, ema=ema, **kwargs)

    # D on the real batch and its fakes in separate calls, as GAN and the PyTorch reference do. After two
    # epochs of Fashion-MNIST, seeds 0-2: classifier-FID 8.18, 7.32, 7.84 against 11.31, 10.65, 9.17 with one
    # joint call, the default before, which left trousers under 5% of the samples at every seed (docs/parity.md).
    joint_batches_default = False
    # G five times faster than D (Adam(beta_1=0.5), D 2e-4, G 1e-3, infoGAN's rates): after one epoch of
    # Fashion-MNIST, classifier-FID 16.63, 16.10, 14.86 at seeds 0-2 against 24.78 and 24.08 (seeds 0, 1) with G
    # at D's 2e-4 (docs/parity.md). On the 2-D mixtures G keeps D's rate (the toy harness's rule).
    learning_rates = (2e-4, 1e-3)

    toy_pack = 4  # PacGAN on the toy mixtures, as for the GAN: 8/8 ring modes with 71% high-quality samples

    def discriminator_loss(self, real, labels=None):
        out = self.discriminator_outputs(real, labels)
        return {"d_loss": losses.least_squares_discriminator_loss(out.real_out, out.fake_out, self.a, self.b)}

    def generator_loss(self, real, labels=None):
        return {"g_loss": losses.least_squares_generator_loss(self.generator_outputs(real, labels).fake_out, self.c)}

    def get_config(self):
        return {**super().get_config(), "a": self.a, "b": self.b, "c": self.c}
