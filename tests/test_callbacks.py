import os

import keras
import numpy as np
from PIL import Image

import keras_gans
from conftest import tiny


def test_sample_grid_writes_the_same_noise_every_epoch(dataset, tmp_path):
    model = tiny(keras_gans.GAN)
    model.compile()
    grid = keras_gans.callbacks.SampleGrid(str(tmp_path), every=2, n=16)
    model.fit(dataset.take(2), epochs=4, verbose=0, callbacks=[grid])
    assert sorted(os.listdir(tmp_path)) == ["epoch_002.png", "epoch_004.png"]
    picture = np.asarray(Image.open(tmp_path / "epoch_004.png"))
    assert picture.shape == (4 * 29 + 1, 4 * 29 + 1)
    # The grid shows exactly model.generate(16, seed=0), tiled.
    expected = keras_gans.images.tile(model.generate(16, seed=0), 4)[..., 0]
    np.testing.assert_array_equal(picture, expected)


def test_a_nan_run_stops_and_keeps_the_last_good_checkpoint(dataset, tmp_path):
    model = tiny(keras_gans.GAN)
    model.compile()
    path = str(tmp_path / "model.keras")
    checkpoint = keras_gans.callbacks.FiniteCheckpoint(path)
    model.fit(dataset.take(2), epochs=1, verbose=0, callbacks=[checkpoint])
    good = model.generate(4, seed=0)

    class Poison(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 1:
                weight = self.model.discriminator.trainable_weights[0]
                weight.assign(np.full(weight.shape, np.nan, "float32"))

    history = model.fit(dataset.take(4), epochs=3, verbose=0,
                        callbacks=[Poison(), keras_gans.callbacks.TerminateOnNaN(), checkpoint])
    assert len(history.history["d_loss"]) == 1 and np.isnan(history.history["d_loss"][0])
    restored = keras_gans.GAN.load(path)
    np.testing.assert_array_equal(restored.generate(4, seed=0), good)
    assert all(np.isfinite(w.numpy()).all() for w in restored.discriminator.weights)
