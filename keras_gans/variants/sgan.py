"""SGAN: Odena, "Semi-Supervised Learning with Generative Adversarial Networks", 2016
(https://arxiv.org/abs/1606.01583), with the losses of Salimans et al., "Improved Techniques for Training
GANs", 2016, section 5."""
from keras import ops

from .. import losses
from ..base import GANModel
from ..classifying import ClassifierMixin
from . import register


@register("sgan")
class SGAN(ClassifierMixin, GANModel):
    """D/C is one network with N+1 softmax outputs: the N classes, then "fake".

        L_D = E_labeled[-log p(y | x, real)] + E_unlabeled[-log(1 - p(fake | x))] + E_z[-log p(fake | G(z))]
        L_G = E_z[-log(1 - p(fake | G(z)))]

    Train on batches where label -1 marks unlabeled images (`keras_gans.data.semi_supervised` yields a
    batch of unlabeled images plus a batch of a labeled subset per step); without labels it is a GAN
    whose D also sorts images into N unnamed classes. `classify(images)` / `evaluate(images, labels)`
    give p(y | x, real) from the first N outputs. Metrics: d_loss, g_loss, d_fake (mean p(fake | G(z))).
    """

    label_mode = "semi_supervised"
    metric_names = ("d_loss", "g_loss", "d_fake")

    def __init__(self, generator=None, discriminator=None, *, num_classes=10, **kwargs):
        if not num_classes or int(num_classes) < 2:
            raise ValueError(f"SGAN needs num_classes >= 2 (the real classes; D adds 'fake'); got {num_classes}.")
        super().__init__(generator, discriminator, num_classes=num_classes, **kwargs)

    def build_discriminator(self):
        return super().build_discriminator(output_units=self.num_classes + 1)

    def class_logits(self, outputs):
        return outputs[:, :-1]

    def discriminator_loss(self, real, labels=None):
        out = self.discriminator_outputs(real, labels)
        real_logits, fake_logits = out.real_out, out.fake_out
        if labels is None:
            labels = -ops.ones((ops.shape(real)[0],), "int32")
        return {"d_loss": losses.semi_supervised_discriminator_loss(real_logits, labels, fake_logits),
                "d_fake": ops.mean(ops.softmax(ops.cast(fake_logits, "float32"), axis=-1)[:, -1])}

    def generator_loss(self, real, labels=None):
        return {"g_loss": losses.semi_supervised_generator_loss(self.generator_outputs(real, labels).fake_out)}
