import os

import keras
import numpy as np
import pytest
from PIL import Image

import keras_gans
from conftest import SUBSET, tiny


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


class Poison(keras.callbacks.Callback):
    """Turns the discriminator's first weight into NaN before batch `batch` of epoch `epoch` (0-based)."""

    def __init__(self, epoch=0, batch=1):
        super().__init__()
        self.epoch, self.batch, self._current = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self._current = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self._current, batch) == (self.epoch, self.batch):
            weight = self.model.discriminator.trainable_weights[0]
            weight.assign(np.full(weight.shape, np.nan, "float32"))


def test_a_nan_run_stops_and_keeps_the_last_good_checkpoint(dataset, tmp_path):
    model = tiny(keras_gans.GAN)
    model.compile()
    path = str(tmp_path / "model.keras")
    checkpoint = keras_gans.callbacks.FiniteCheckpoint(path)
    model.fit(dataset.take(2), epochs=1, verbose=0, callbacks=[checkpoint])
    good = model.generate(4, seed=0)

    history = model.fit(dataset.take(4), epochs=3, verbose=0,
                        callbacks=[Poison(), keras_gans.callbacks.TerminateOnNaN(), checkpoint])
    assert len(history.history["d_loss"]) == 1 and np.isnan(history.history["d_loss"][0])
    restored = keras_gans.GAN.load(path)
    np.testing.assert_array_equal(restored.generate(4, seed=0), good)
    assert all(np.isfinite(w.numpy()).all() for w in restored.discriminator.weights)


def test_terminate_on_nan_names_the_epoch_the_global_step_and_the_metrics(dataset, capsys):
    model = tiny(keras_gans.GAN)
    model.compile()
    model.fit(dataset.take(2), epochs=1, verbose=0)  # 2 steps before: the global step is not the epoch's
    model.fit(dataset.take(3), epochs=3, verbose=0,
              callbacks=[Poison(epoch=1, batch=1), keras_gans.callbacks.TerminateOnNaN()])
    lines = [line for line in capsys.readouterr().out.splitlines() if "non-finite" in line]
    assert len(lines) == 1
    step = int(model.step_counter.numpy())
    assert step == 2 + 3 + 2  # two warm-up steps, epoch 1, and the poisoned second step of epoch 2
    assert lines[0].startswith(f"Epoch 2, global step {step} (batch 2 of the epoch): non-finite metrics ")
    assert "d_loss=nan" in lines[0]

    # The weights are NaN now: the next fit diverges at its first step.
    with pytest.raises(RuntimeError, match=r"^Epoch 1, global step 8 \(batch 1 of the epoch\): .*d_loss=nan"):
        model.fit(dataset.take(3), epochs=1, verbose=0,
                  callbacks=[keras_gans.callbacks.TerminateOnNaN(raise_error=True)])


def failing_midway(write_part):
    """A save that writes part of its file, then fails as a full disk or a kill would."""
    def save(filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(write_part)
        raise OSError(28, "No space left on device")
    return save


def test_a_checkpoint_that_fails_midway_keeps_the_previous_one(dataset, tmp_path, monkeypatch):
    model = tiny(keras_gans.GAN)
    model.compile()
    path = tmp_path / "model.keras"
    checkpoint = keras_gans.callbacks.FiniteCheckpoint(str(path))
    model.fit(dataset.take(2), epochs=1, verbose=0, callbacks=[checkpoint])
    good = path.read_bytes()
    monkeypatch.setattr(model, "save", failing_midway(b"PK\x03\x04 half a zip"))
    with pytest.raises(OSError, match="No space"):
        model.fit(dataset.take(2), epochs=1, verbose=0, callbacks=[checkpoint])
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["model.keras"]
    keras_gans.GAN.load(str(path))


def test_best_checkpoint_keeps_the_latest_of_equal_scores_and_starts_from_the_threshold(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    path = tmp_path / "best.weights.h5"

    def run(scores, threshold=None, initial_epoch=None):
        best = keras_gans.callbacks.BestCheckpoint(str(path), initial_value_threshold=threshold,
                                                   initial_epoch=initial_epoch, save_weights_only=True)
        best.set_model(model)
        held = []
        for epoch, score in enumerate(scores):
            model.layers[0].bias.assign([float(epoch)])  # which epoch the weights are from
            best.on_epoch_end(epoch, {"val_accuracy": score})
            held.append(saved_epoch() if path.exists() else None)
            # best_epoch counts from 1 and names what the file holds.
            assert best.best_epoch == (held[-1] + 1 if held[-1] is not None else initial_epoch)
        return held

    def saved_epoch():
        restored = keras.models.clone_model(model)
        restored.load_weights(str(path))
        return float(restored.layers[0].bias.numpy()[0])

    # 0.5, then 0.7 (better), 0.7 again (a tie: the later is kept), 0.6 (worse: epoch 2 stays).
    assert run([0.5, 0.7, 0.7, 0.6]) == [0.0, 1.0, 2.0, 2.0]
    path.unlink()
    # Going on from a best of 0.7: a worse epoch writes nothing, an equal one is kept.
    assert run([0.6, 0.7], threshold=0.7, initial_epoch=3) == [None, 1.0]


def test_a_backup_that_fails_midway_keeps_the_previous_backup(dataset, tmp_path, monkeypatch):
    model = tiny(keras_gans.GAN)
    model.compile()
    directory = tmp_path / "backup"
    backup = keras_gans.callbacks.BackupAndRestore(str(directory), save_freq=1, delete_checkpoint=False)
    model.fit(dataset.take(2), epochs=1, verbose=0, callbacks=[backup])
    saved = {name: (directory / name).read_bytes() for name in os.listdir(directory)}
    assert sorted(saved) == ["latest.weights.h5", "training_metadata.json"]
    monkeypatch.setattr(model, "save_weights", failing_midway(b"\x89HDF half"))
    with pytest.raises(OSError, match="No space"):
        model.fit(dataset.take(2), epochs=2, verbose=0, callbacks=[backup])
    # Neither the weights nor the batch counts of the failed backup: the next run resumes from the last whole one.
    assert {name: (directory / name).read_bytes() for name in os.listdir(directory)} == saved


def test_a_grid_that_fails_midway_keeps_the_previous_png(tmp_path, monkeypatch):
    path = str(tmp_path / "grid.png")
    keras_gans.images.save_grid(np.zeros((4, 8, 8, 1)), path, columns=2)
    good = open(path, "rb").read()

    def failing_save(image, fp, *args, **kwargs):
        if isinstance(fp, (str, os.PathLike)):
            fp = open(fp, "wb")
        fp.write(b"\x89PNG half")
        fp.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(OSError):
        keras_gans.images.save_grid(np.ones((4, 8, 8, 1)), path, columns=2)
    assert open(path, "rb").read() == good
    assert os.listdir(tmp_path) == ["grid.png"]


def test_csv_logger_writes_keras_file_whole_and_appends(tmp_path):
    files = {}
    for name, logger in (("keras.csv", keras.callbacks.CSVLogger), ("ours.csv", keras_gans.callbacks.CSVLogger)):
        keras.utils.set_random_seed(0)
        model = tiny(keras_gans.GAN)
        model.compile(jit_compile=False)
        path = str(tmp_path / name)
        data = keras_gans.data.load("fashion_mnist", data_dir=SUBSET, batch_size=16, seed=0).take(2)
        model.fit(data, epochs=2, verbose=0, callbacks=[logger(path)])
        model.fit(data, epochs=3, initial_epoch=2, verbose=0, callbacks=[logger(path, append=True)])
        files[name] = open(path, "rb").read()
    assert files["ours.csv"] == files["keras.csv"]
    assert files["ours.csv"].count(b"epoch,") == 1 and files["ours.csv"].count(b"\n") == 4
    assert sorted(os.listdir(tmp_path)) == ["keras.csv", "ours.csv"]
