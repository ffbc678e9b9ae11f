"""catGAN: Springenberg, "Unsupervised and Semi-supervised Learning with Categorical Generative Adversarial
Networks", 2016 (https://arxiv.org/abs/1511.06390)."""
from keras import ops

from .. import losses
from ..base import GANModel
from ..classifying import ClassifierMixin
from . import register


@register("catgan")
class CatGAN(ClassifierMixin, GANModel):
    """D is a K-way classifier with no real/fake unit; the game is played with entropies (eq. 7):

        L_D = -H_X[p(y | D)] + E_x[H[p(y | x, D)]] - E_z[H[p(y | G(z), D)]]  (+ lambda CE on labeled x)
        L_G = -H_G[p(y | D)] + E_z[H[p(y | G(z), D)]]

    D wants class-balanced, confident predictions on real data and uncertain ones on fakes; G wants
    confident, class-balanced predictions on its samples. Unsupervised on images alone (K = num_classes
    clusters), semi-supervised on batches where label -1 marks unlabeled images
    (`keras_gans.data.semi_supervised`), with `supervised_weight` lambda on the labeled cross-entropy.
    `classify(images)` / `evaluate(images, labels)` use D, through the moving average of its weights
    (`classifier_ema=0.999`) unless `classifier_ema=None`; samples come from an exponential moving average of
    G's weights (`ema=0.999`) unless `ema=None`. Metrics: d_loss, g_loss, real_entropy and
    fake_entropy (E[H[p(y|x)]]), marginal_entropy (of the real batch), supervised_loss.
    """

    label_mode = "semi_supervised"
    metric_names = ("d_loss", "g_loss", "real_entropy", "fake_entropy", "marginal_entropy", "supervised_loss")

    # G five times faster than D, as GAN's, and samples from an average of G's weights (`ema`, see GANModel):
    # 100 labels, two epochs, seed 0, the samples' classifier-FID 2.46 against 7.71 with G at D's 2e-4 and its
    # last weights; best.keras's test accuracy over label draws 0-2, 74.3% against 74.6%, within the spread of
    # reruns (docs/parity.md, docs/labels.md).
    learning_rates = (2e-4, 1e-3)

    # D classifies with the moving average of its weights (`classifier_ema`, see ClassifierMixin), as SGAN's does:
    # 100 labels, two epochs, label draws 0-2, best.keras scores 73.2%, 75.7% and 74.8% of the test split (mean
    # 74.6%) against 71.2%, 74.7% and 72.6% (72.8%) with D's last iterate (docs/parity.md).
    # `classifier_ema=None` and `ema=None` turn the averages off.
    def __init__(self, generator=None, discriminator=None, *, num_classes=10, supervised_weight=1.0,
                 classifier_ema=0.999, ema=0.999, **kwargs):
        if not num_classes or int(num_classes) < 2:
            raise ValueError(f"CatGAN needs num_classes >= 2 (the number of classes D sorts into); got {num_classes}.")
        self.supervised_weight = float(supervised_weight)
        super().__init__(generator, discriminator, num_classes=num_classes, classifier_ema=classifier_ema, ema=ema,
                         **kwargs)

    # On the 2-D mixtures, instance noise annealed to 0 keeps D's class boundaries smooth while G spreads over
    # the modes (ring, 10,000 steps, seed 0: 8/8 modes with 62.5% of the samples high-quality without it,
    # 72.0% at 0.3).
    toy_instance_noise = 0.3

    @classmethod
    def toy_setup(cls, modes):
        # Unsupervised on the mixtures: D sorts the samples into `modes` clusters by itself. At its own learning
        # rates, not the harness's 10x: G's entropy terms have no bound on a linear output, and faster its samples
        # ran off far from the data (ring, 5,000 steps: 0/8 modes at 3x and at 5x; 8/8 at 1x).
        return {**super().toy_setup(modes), "labels": False, "learning_rate": 1.0}

    def build_discriminator(self):
        return super().build_discriminator(output_units=self.num_classes)

    def class_logits(self, outputs):
        return outputs

    def discriminator_loss(self, real, labels=None):
        out = self.discriminator_outputs(real, labels)
        real_logits, fake_logits = out.real_out, out.fake_out
        supervised = losses.labeled_cross_entropy(real_logits, labels) if labels is not None else ops.zeros(())
        return {"d_loss": losses.catgan_discriminator_loss(real_logits, fake_logits)
                + self.supervised_weight * supervised,
                "real_entropy": losses.conditional_entropy(real_logits),
                "fake_entropy": losses.conditional_entropy(fake_logits),
                "marginal_entropy": losses.marginal_entropy(real_logits), "supervised_loss": supervised}

    def generator_loss(self, real, labels=None):
        return {"g_loss": losses.catgan_generator_loss(self.generator_outputs(real, labels).fake_out)}

    def get_config(self):
        return {**super().get_config(), "supervised_weight": self.supervised_weight}
