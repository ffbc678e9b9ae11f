"""SGAN: Odena, "Semi-Supervised Learning with Generative Adversarial Networks", 2016
(https://arxiv.org/abs/1606.01583), with the losses of Salimans et al., "Improved Techniques for Training
GANs", 2016, sections 3.1 and 5."""
import keras
from keras import ops

from .. import losses
from ..base import GANModel
from ..classifying import ClassifierMixin
from . import register

# What G minimises (`generator_loss=`); the first is the default.
GENERATOR_LOSSES = ("non_saturating", "feature_matching")


@register("sgan")
class SGAN(ClassifierMixin, GANModel):
    """D/C is one network with N+1 softmax outputs: the N classes, then "fake".

        L_D = E_labeled[-log p(y | x, real)] + E_unlabeled[-log(1 - p(fake | x))] + E_z[-log p(fake | G(z))]
        L_G = E_z[-log(1 - p(fake | G(z)))]                 generator_loss="non_saturating" (default)
        L_G = || E_x f(x) - E_z f(G(z)) ||_2^2              generator_loss="feature_matching"

    Feature matching (Salimans et al., section 3.1; the G loss of their semi-supervised results) has G match
    the batch means of f, D's penultimate features: the input of its "logits" layer, read through
    `feature_network()`. D's own loss is the same for both.

    Train on batches where label -1 marks unlabeled images (`keras_gans.data.semi_supervised` yields a
    batch of unlabeled images plus a batch of a labeled subset per step); without labels it is a GAN
    whose D also sorts images into N unnamed classes. `classify(images)` / `evaluate(images, labels)`
    give p(y | x, real) from the first N outputs, through the moving average of D's weights
    (`classifier_ema=0.999`) unless `classifier_ema=None`; samples come from an exponential moving average of
    G's weights (`ema=0.999`) unless `ema=None`. Metrics: d_loss, g_loss, d_fake (mean p(fake | G(z))).
    """

    label_mode = "semi_supervised"
    metric_names = ("d_loss", "g_loss", "d_fake")
    # On the 2-D mixtures its G left most of the ring's modes alone (ring, 5,000 steps, seeds 0, 1, 2: 4/8, 2/8,
    # 2/8 modes). SGAN's D has a per-sample class term, so PacGAN's packing does not apply; instance noise
    # annealed to 0 finds them all: 8/8 modes at each seed, with 83%, 85% and 86% of samples high-quality.
    toy_instance_noise = 1.0

    # G five times faster than D, as GAN's, and samples from an average of G's weights (`ema`, see GANModel):
    # 100 labels, two epochs, seed 0, the samples' classifier-FID 7.70 against 15.13 with G at D's 2e-4 and its
    # last weights; best.keras's test accuracy over label draws 0-2, 73.1% against 72.1% (docs/parity.md,
    # docs/labels.md).
    learning_rates = (2e-4, 1e-3)

    # D classifies with the moving average of its weights (`classifier_ema`, see ClassifierMixin), as Salimans et
    # al. score theirs: 100 labels, two epochs, label draws 0-2, best.keras scores 75.9%, 69.1% and 71.4% of the
    # test split (mean 72.1%) against 73.1%, 65.1% and 71.0% (69.8%) with D's last iterate (docs/parity.md).
    # `classifier_ema=None` and `ema=None` turn the averages off.
    # D sees every batch, real and fake, through DiffAugment's translation (`augment`, see GANModel): 100 labels,
    # two epochs, label draws 0-2, the samples' classifier-FID 3.27, 2.88, 4.76 (mean 3.64) against 10.54, 7.64, 7.93
    # (8.70) without, and best.keras's test accuracy 73.8% against 73.1% in the mean (docs/parity.md,
    # docs/labels.md). With 1,000 labels it costs the classifier: 83.2% against 85.0% over draws 0-2, so a
    # classifier trained on a thousand labels or more is better off with `augment=None`, which turns it off; the
    # 2-D toys train without it (toy.run).
    def __init__(self, generator=None, discriminator=None, *, num_classes=10, generator_loss="non_saturating",
                 classifier_ema=0.999, ema=0.999, augment="translation", **kwargs):
        if not num_classes or int(num_classes) < 2:
            raise ValueError(f"SGAN needs num_classes >= 2 (the real classes; D adds 'fake'); got {num_classes}.")
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"SGAN's generator_loss must be one of {', '.join(GENERATOR_LOSSES)}; got "
                             f"{generator_loss!r}.")
        # Not `self.generator_loss`: that name is the game's hook.
        self.generator_objective = generator_loss
        super().__init__(generator, discriminator, num_classes=num_classes, classifier_ema=classifier_ema, ema=ema,
                         augment=augment, **kwargs)
        self._feature_network = None
        if generator_loss == "feature_matching":
            # Built now, so that a discriminator without the layer is refused here rather than mid-training.
            self.feature_network()

    def build_discriminator(self):
        return super().build_discriminator(output_units=self.num_classes + 1)

    def class_logits(self, outputs):
        return outputs[:, :-1]

    # ------------------------------------------------------------------------------ feature matching
    def feature_network(self):
        """A `keras.Model` from D's input to [f(x), D's logits], f(x) the features that feed D's "logits"
        layer (its penultimate activations). Built once, on D's own layers: it trains and saves nothing
        of its own."""
        if self._feature_network is None:
            try:
                head = self.discriminator.get_layer("logits")
            except ValueError:
                raise ValueError("Feature matching reads the features that feed the discriminator's last layer, "
                                 "found by its name 'logits' (as every architecture here names it); the "
                                 "discriminator passed has no layer of that name.") from None
            self._feature_network = keras.Model(self.discriminator.input,
                                                [head.input, self.discriminator.output], name="feature_network")
        return self._feature_network

    def discriminator_features(self, real, fake):
        """(f(real), f(fake)) in training mode, through the same door as D's other training calls (the
        `discriminator_view`: augmentations and instance noise, if any); one call on both batches with
        `joint_batches`, so that batch norm in D normalizes them as in its own update."""
        network = self.feature_network()

        def features(images):
            return network(self.discriminator_view(images), training=True)[0]

        if not self.joint_batches:
            return features(real), features(fake)
        n = ops.shape(real)[0]
        both = features(ops.concatenate([real, fake], axis=0))
        return both[:n], both[n:]

    def feature_matching(self, real, fake):
        """G's feature-matching loss (`losses.feature_matching_loss`) for a real batch (labeled and unlabeled
        rows alike: all are data) and fakes. The real features are constants to G."""
        real_features, fake_features = self.discriminator_features(real, fake)
        return losses.feature_matching_loss(ops.stop_gradient(real_features), fake_features)

    # ---------------------------------------------------------------------------------------- losses
    def discriminator_loss(self, real, labels=None):
        out = self.discriminator_outputs(real, labels)
        real_logits, fake_logits = out.real_out, out.fake_out
        if labels is None:
            labels = -ops.ones((ops.shape(real)[0],), "int32")
        return {"d_loss": losses.semi_supervised_discriminator_loss(real_logits, labels, fake_logits),
                "d_fake": ops.mean(ops.softmax(ops.cast(fake_logits, "float32"), axis=-1)[:, -1])}

    def generator_loss(self, real, labels=None):
        if self.generator_objective == "feature_matching":
            fake, _ = self.fakes(ops.shape(real)[0])
            return {"g_loss": self.feature_matching(real, fake)}
        return {"g_loss": losses.semi_supervised_generator_loss(self.generator_outputs(real, labels).fake_out)}

    def get_config(self):
        return {**super().get_config(), "generator_loss": self.generator_objective}
