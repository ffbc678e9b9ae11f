"""Games whose discriminator also classifies (ACGAN, catGAN, SGAN): `classify` and `evaluate` on real data.

A game takes `ClassifierMixin` before `GANModel` and says where the class logits sit among its
discriminator's outputs (`class_logits`). `model.classify(images)` then gives p(y | x), and
`model.evaluate(images, labels)` (Keras' own `evaluate`, through `test_step`) its accuracy -- also what
`fit(validation_data=...)` reports as `val_accuracy`.
"""
import numpy as np

import keras
from keras import ops


class ClassifierMixin:
    """Class prediction from the discriminator of a `GANModel`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

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
            self.discriminator(images[i:i + batch_size], training=False)), axis=-1))
            for i in range(0, len(images), batch_size)])

    def test_step(self, data):
        """`model.evaluate(images, labels)` (or a dataset of (images, labels)): the accuracy of the
        discriminator's class prediction on real labeled data."""
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if labels is None:
            raise ValueError("evaluate() measures classification accuracy: pass (images, labels).")
        self.accuracy_tracker.update_state(labels, self.class_logits(self.discriminator(images, training=False)))
        return self._replica_logs({"accuracy": self.accuracy_tracker.result()})
