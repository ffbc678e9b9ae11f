"""Games whose discriminator also classifies (ACGAN, catGAN, SGAN): `classify` and `evaluate` on real data.

A game takes `ClassifierMixin` before `GANModel` and says where the class logits sit among its
discriminator's outputs (`class_logits`). `model.classify(images)` then gives p(y | x), and
`model.evaluate(images, labels)` (Keras' own `evaluate`, through `test_step`) its accuracy -- also what
`fit(validation_data=...)` reports as `val_accuracy`.

With `classifier_ema` (a decay such as 0.999), both classify with an exponential moving average of the
discriminator's trainable weights instead of its last iterate, as Salimans et al. (2016) score their
semi-supervised discriminator; training itself uses and updates the discriminator as ever.
"""
import numpy as np

import keras
from keras import ops

from .averaging import call_with_averages, check_decay, moving_averages, update_moving_averages


class ClassifierMixin:
    """Class prediction from the discriminator of a `GANModel`.

    Args:
        classifier_ema: None, or a decay in (0, 1): keep an exponential moving average of the discriminator's
            trainable weights, updated after every discriminator update with the warm-up of the generator's
            `ema` (`averaging.update_moving_averages`), and classify with it; its non-trainable weights (batch-norm
            statistics) are the discriminator's own. The averages are model variables, saved and resumed.
    """

    def __init__(self, *args, classifier_ema=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.classifier_ema = check_decay("classifier_ema", classifier_ema)
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        # In the order of discriminator.trainable_variables.
        self.classifier_ema_weights = ([] if self.classifier_ema is None else
                                       moving_averages(self.discriminator.trainable_variables, "classifier_ema_"))

    def after_discriminator_update(self, logs):
        super().after_discriminator_update(logs)
        if self.classifier_ema_weights:
            update_moving_averages(self.classifier_ema_weights, self.discriminator.trainable_variables,
                                   self.classifier_ema, self.d_optimizer.iterations)

    def classifier_outputs(self, images):
        """The discriminator's outputs for `images` in inference mode, through the averaged weights with
        `classifier_ema` (`averaging.call_with_averages`)."""
        return call_with_averages(self.discriminator, self.classifier_ema_weights, images)

    def class_logits(self, outputs):
        """(batch, num_classes) class logits from the discriminator's outputs."""
        raise NotImplementedError

    @property
    def metrics(self):
        return super().metrics + [self.accuracy_tracker]

    def classify(self, images, batch_size=256):
        """p(y | x) from the trained discriminator: numpy (n, num_classes) for images in [-1, 1]."""
        images = np.asarray(images, "float32")
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(f"classify() takes images of shape (n, {', '.join(map(str, self.image_shape))}) in "
                             f"[-1, 1]; got {images.shape}.")
        return np.concatenate([ops.convert_to_numpy(ops.softmax(self.class_logits(
            self.classifier_outputs(images[i:i + batch_size])), axis=-1))
            for i in range(0, len(images), batch_size)])

    def test_step(self, data):
        """`model.evaluate(images, labels)` (or a dataset of (images, labels)): the accuracy of the
        discriminator's class prediction on real labeled data."""
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if labels is None:
            raise ValueError("evaluate() measures classification accuracy: pass (images, labels).")
        self.accuracy_tracker.update_state(labels, self.class_logits(self.classifier_outputs(images)))
        return self._replica_logs({"accuracy": self.accuracy_tracker.result()})

    def get_config(self):
        return {**super().get_config(), "classifier_ema": self.classifier_ema}

    @classmethod
    def from_config(cls, config):
        # Models saved before classifier_ema existed classified with the discriminator itself (and hold no
        # averages to load).
        return super().from_config({"classifier_ema": None, **config})
