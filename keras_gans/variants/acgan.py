"""ACGAN: Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary Classifier GANs", 2017
(https://arxiv.org/abs/1610.09585)."""

from .. import losses
from ..classifying import ClassifierMixin
from . import register
from .gan import GAN


@register("acgan")
class ACGAN(ClassifierMixin, GAN):
    """G is conditioned on the class c; D does not read c but predicts it beside real/fake (section 3):

        L_S = E[log P(S = real | x_real)] + E[log P(S = fake | x_fake)]
        L_C = E[log P(C = c | x_real)] + E[log P(C = c | x_fake)]
        D maximises L_S + L_C,  G maximises L_C - L_S

    D has 1 + num_classes outputs: the source logit, then the class logits. G's -L_S is the `loss` of GAN
    (non-saturating by default). `classify(images)` and `evaluate(images, labels)` use D's class head.
    Metrics: d_loss, g_loss, d_real, d_fake, class_loss (D's -L_C).
    """

    label_mode = "auxiliary"
    # One D call on real and fake batches together: after one epoch on Fashion-MNIST it reached classifier-FID
    # 8.0 against 10.6 with GAN's separate calls (docs/parity.md).
    joint_batches_default = True
    metric_names = GAN.metric_names + ("class_loss",)
    # G five times faster than D, infoGAN's rates: after one epoch of Fashion-MNIST, `keras-gans evaluate` put
    # 93.6% of samples in the requested class (92.4, 94.9, 93.4% at seeds 0, 1, 2; classifier-FID 7.2, 5.8, 7.7)
    # against 88.5% with G at D's 2e-4 (89.3, 87.2, 88.9%; FID 8.0, 9.1, 9.4).
    learning_rates = (2e-4, 1e-3)

    def __init__(self, generator=None, discriminator=None, *, num_classes=10, **kwargs):
        if not num_classes:
            raise ValueError("ACGAN is conditional: pass num_classes (e.g. 10 for Fashion-MNIST).")
        super().__init__(generator, discriminator, num_classes=num_classes, **kwargs)

    @classmethod
    def toy_setup(cls, modes):
        # On the 2-D mixtures at half the harness's factor on its rates: at ten times them, 10,000 steps left the
        # grid's modes of some labels empty, their samples drawn onto other labels' modes (seed 0: 20/25 modes,
        # seed 1: 21/25); at five times, 25/25 with 99.6% of the samples high-quality (seed 0). The ring, seed 0,
        # went the other way: 8/8 modes at ten times, 7/8 at five (99.8% high-quality).
        return {**super().toy_setup(modes), "learning_rate": 5.0}

    def build_discriminator(self):
        return super().build_discriminator(output_units=1 + self.num_classes)

    def class_logits(self, outputs):
        return outputs[:, 1:]

    def discriminator_loss(self, real, labels=None):
        out = self.discriminator_outputs(real, labels)
        logs = self.source_losses(out.real_out[:, :1], out.fake_out[:, :1])
        class_loss = (losses.labeled_cross_entropy(self.class_logits(out.real_out), labels)
                      + losses.labeled_cross_entropy(self.class_logits(out.fake_out), out.conditions))
        return {**logs, "d_loss": logs["d_loss"] + class_loss, "class_loss": class_loss}

    def generator_loss(self, real, labels=None):
        out = self.generator_outputs(real, labels)
        return {"g_loss": self.source_generator_loss(out.fake_out[:, :1])
                + losses.labeled_cross_entropy(self.class_logits(out.fake_out), out.conditions)}
