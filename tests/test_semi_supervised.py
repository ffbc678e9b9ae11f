"""Few labels, honestly measured: the labeled subset and its held-out validation part, `train`'s per-epoch
validation on it (the test split scored once, after training), the supervised-only baseline, and SGAN's
feature matching against a hand computation."""
import csv
import json
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from conftest import IMAGE_SHAPE, SUBSET, make
from keras_gans import cli, data, losses, semi_supervised


def value(tensor):
    return float(keras.ops.convert_to_numpy(tensor))


def rows_of(images):
    return [row.tobytes() for row in np.asarray(images).reshape(len(images), -1)]


@pytest.fixture
def record_reads(monkeypatch):
    """`.reads`: every split `data.load_arrays` reads, in order, and whether a `fit` was running at the time
    (as the callback class `.during_fit` tells it)."""
    reads, read = [], data.load_arrays

    class DuringFit(keras.callbacks.Callback):
        running = False

        def on_train_begin(self, logs=None):
            DuringFit.running = True

        def on_train_end(self, logs=None):
            DuringFit.running = False

    def load_arrays(name, split="train", *args, **kwargs):
        reads.append((split, DuringFit.running))
        return read(name, split, *args, **kwargs)

    monkeypatch.setattr(data, "load_arrays", load_arrays)
    return SimpleNamespace(reads=reads, during_fit=DuringFit)


# ------------------------------------------------------------------------------- the labeled split
def test_the_split_is_the_labeled_subset_exactly_n_per_class_with_validation_drawn_from_it(fashion_mnist):
    images, labels = fashion_mnist
    split = semi_supervised.split_labeled(labels, 6, validation_per_class=2, seed=3)
    assert len(split.train) == 40 and len(split.validation) == 20
    assert np.bincount(labels[split.train]).tolist() == [4] * 10  # stratified: N - V of every class
    assert np.bincount(labels[split.validation]).tolist() == [2] * 10
    assert not set(split.train) & set(split.validation)
    # Together they are data.labeled_subset's draw -- the examples data.semi_supervised labels -- by index
    # into the training arrays, and by identity of the images.
    subset_images, subset_labels = data.labeled_subset(images, labels, 6, seed=3)
    both = np.concatenate([split.train, split.validation])
    assert sorted(rows_of(images[both])) == sorted(rows_of(subset_images))
    assert sorted(labels[both].tolist()) == sorted(subset_labels.tolist())
    assert both.min() >= 0 and both.max() < len(images)
    # Nothing of it is a test image.
    test_images, _ = data.load_idx(SUBSET, "test")
    assert not set(rows_of(images[both])) & set(rows_of(test_images))
    # Fixed by the seed; another seed draws others.
    again = semi_supervised.split_labeled(labels, 6, 2, seed=3)
    np.testing.assert_array_equal(again.validation, split.validation)
    assert set(semi_supervised.split_labeled(labels, 6, 2, seed=4).validation) != set(split.validation)


def test_how_many_are_held_out_and_what_is_refused(fashion_mnist):
    labels = fashion_mnist[1]
    assert [semi_supervised.default_validation_per_class(n) for n in (1, 2, 5, 10, 40)] == [1, 1, 1, 2, 8]
    assert len(semi_supervised.split_labeled(labels, 10, seed=0).validation) == 20  # default: 2 per class
    assert len(semi_supervised.split_labeled(labels, 3, 0, seed=0).validation) == 0
    with pytest.raises(ValueError, match="Holding out 3 of 3 labeled examples per class"):
        semi_supervised.split_labeled(labels, 3, 3)
    with pytest.raises(ValueError, match="Holding out 1 of 1"):  # the default, at least 1, needs N >= 2
        semi_supervised.split_labeled(labels, 1)
    with pytest.raises(ValueError, match="Class 0 has only 40 examples"):
        semi_supervised.split_labeled(labels, 41)


def test_training_batches_never_show_the_validation_examples(fashion_mnist):
    images, labels = fashion_mnist
    split = semi_supervised.split_labeled(labels, 4, 1, seed=0)
    held_out = set(rows_of(images[split.validation]))
    labeled_rows, unlabeled_rows = [], []
    for batch, batch_labels in semi_supervised.training_batches(images, labels, split, batch_size=10, seed=0):
        pixels = np.round((batch.numpy() + 1) * 127.5).astype("uint8")  # back to uint8
        labeled_rows += rows_of(pixels[1::2])
        unlabeled_rows += rows_of(pixels[0::2])
        np.testing.assert_array_equal(batch_labels.numpy()[0::2], -1)
    assert len(unlabeled_rows) == 390  # one pass over the split less the 10 held out
    assert not held_out & (set(labeled_rows) | set(unlabeled_rows))
    assert set(labeled_rows) == set(rows_of(images[split.train]))


def test_without_a_validation_split_the_batches_are_data_semi_supervised_ones(fashion_mnist):
    images, labels = fashion_mnist
    split = semi_supervised.split_labeled(labels, 3, 0, seed=2)
    ours = semi_supervised.training_batches(images, labels, split, batch_size=8, seed=2).take(4)
    theirs = data.semi_supervised((images, labels), 3, batch_size=8, seed=2).take(4)
    for (a, a_labels), (b, b_labels) in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_array_equal(a_labels.numpy(), b_labels.numpy())


# ---------------------------------------------------------------------------------------- train
def test_train_validates_on_the_held_out_labels_and_scores_the_test_split_once(tmp_path, capsys, record_reads):
    out = tmp_path / "sgan"
    argv = ["train", "sgan", "--labeled-per-class", "3", "--validation-per-class", "1", "--epochs", "2",
            "--data-dir", SUBSET, "--steps-per-epoch", "2", "--batch-size", "8", "--architecture", "tiny",
            "--latent-dim", "8", "--no-xla", "--out", str(out), "--verbose", "0"]
    assert cli.train(cli._parser().parse_args(argv), extra_callbacks=[record_reads.during_fit()]) == 0
    assert record_reads.reads == [("train", False), ("test", False)]  # the test split: read once, after fit
    printed = capsys.readouterr().out
    assert "20 examples in training, 10 held out for validation" in printed
    assert "scored once, after training" in printed

    run = json.loads((out / "run.json").read_text())
    assert run["validation_per_class"] == 1 and run["validation_examples"] == 10 and run["labeled_examples"] == 20
    assert run["test_examples"] == 200
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert len(rows) == 2 and "test_accuracy" not in rows[0]
    # The last val_accuracy is the final model's on the 10 held-out images, and run.json's test accuracy its
    # accuracy on the test split.
    model = keras_gans.SGAN.load(str(out / "model.keras"))
    images, labels = data.load_idx(SUBSET, "train")
    split = semi_supervised.split_labeled(labels, 3, 1, seed=0)
    held_out = model.classify(data.to_model_range(images[split.validation])).argmax(-1)
    assert float(rows[-1]["val_accuracy"]) == pytest.approx((held_out == labels[split.validation]).mean(), abs=1e-6)
    test_images, test_labels = data.load_idx(SUBSET, "test")
    predicted = model.classify(data.to_model_range(test_images)).argmax(-1)
    assert run["test_accuracy"] == pytest.approx((predicted == test_labels).mean(), abs=1e-6)

    # --resume holds out the same examples; a run from before validation splits goes on without one.
    resume = ["train", "sgan", "--out", str(out), "--resume", "--epochs", "1", "--verbose", "0"]
    assert cli.main(resume + ["--validation-per-class", "2"]) == 2
    assert "--validation-per-class: run has 1, given 2" in capsys.readouterr().err
    run.pop("validation_per_class")
    (out / "run.json").write_text(json.dumps(run))
    assert cli.main(resume) == 0
    assert "trained before validation splits" in capsys.readouterr().out
    run = json.loads((out / "run.json").read_text())
    assert run["validation_per_class"] == 0 and run["validation_examples"] == 0 and "test_accuracy" in run
    assert cli.main(["train", "gan", "--validation-per-class", "1", "--out", str(tmp_path / "gan")]) == 2
    assert "add --labeled-per-class N" in capsys.readouterr().err


def test_train_keeps_the_checkpoint_with_the_best_val_accuracy_across_resume(tmp_path, capsys):
    out = tmp_path / "sgan"
    argv = ["train", "sgan", "--labeled-per-class", "3", "--validation-per-class", "1", "--epochs", "3",
            "--data-dir", SUBSET, "--steps-per-epoch", "3", "--batch-size", "8", "--architecture", "tiny",
            "--latent-dim", "8", "--no-xla", "--out", str(out), "--verbose", "0", "--d-lr", "0.01"]
    assert cli.main(argv) == 0
    assert cli.main(["train", "sgan", "--out", str(out), "--resume", "--epochs", "2", "--verbose", "0"]) == 0
    rows = list(csv.DictReader(open(out / "history.csv")))
    val = [float(row["val_accuracy"]) for row in rows]
    run = json.loads((out / "run.json").read_text())
    # The latest epoch of the highest val_accuracy over both invocations, and best.keras holds that epoch's D.
    assert len(val) == 5 and run["best_epoch"] == 5 - val[::-1].index(max(val))
    assert run["best_val_accuracy"] == pytest.approx(max(val), abs=1e-6)
    images, labels = data.load_idx(SUBSET, "train")
    split = semi_supervised.split_labeled(labels, 3, 1, seed=0)
    best = keras_gans.SGAN.load(str(out / "best.keras"))
    held_out = best.classify(data.to_model_range(images[split.validation])).argmax(-1)
    assert (held_out == labels[split.validation]).mean() == pytest.approx(max(val), abs=1e-6)
    test_images, test_labels = data.load_idx(SUBSET, "test")
    predicted = best.classify(data.to_model_range(test_images)).argmax(-1)
    assert run["best_test_accuracy"] == pytest.approx((predicted == test_labels).mean(), abs=1e-6)
    assert f"Chosen by val_accuracy: epoch {run['best_epoch']}" in capsys.readouterr().out
    # --overwrite takes best.keras with the rest of the run.
    assert cli.main(argv[:-2] + ["--epochs", "1", "--overwrite", "--validation-per-class", "0"]) == 0
    assert not (out / "best.keras").exists()



def test_resume_seeds_best_keras_from_the_epoch_it_holds_not_from_history(tmp_path, capsys):
    # A run from before best.keras existed (here: best.keras deleted after two epochs) resumed twice: history.csv
    # has epochs best.keras never held, and one of them scored higher than anything since (set to 1.0 here).
    # The second resume must start from best.keras's own epoch and score, or run.json names an epoch it lacks.
    out = tmp_path / "sgan"
    argv = ["train", "sgan", "--labeled-per-class", "3", "--validation-per-class", "1", "--epochs", "2",
            "--data-dir", SUBSET, "--steps-per-epoch", "3", "--batch-size", "8", "--architecture", "tiny",
            "--latent-dim", "8", "--no-xla", "--out", str(out), "--verbose", "0"]
    resume = ["train", "sgan", "--out", str(out), "--resume", "--epochs", "1", "--verbose", "0"]
    assert cli.main(argv) == 0
    (out / "best.keras").unlink()
    assert cli.main(resume) == 0
    rows = list(csv.DictReader(open(out / "history.csv")))
    rows[0]["val_accuracy"] = "1.0"
    with open(out / "history.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert cli.main(resume) == 0
    capsys.readouterr()
    val = [float(row["val_accuracy"]) for row in csv.DictReader(open(out / "history.csv"))]
    run = json.loads((out / "run.json").read_text())
    assert len(val) == 4 and run["best_epoch"] == (4 if val[3] >= val[2] else 3)
    assert run["best_val_accuracy"] == pytest.approx(max(val[2:]), abs=1e-6)
    images, labels = data.load_idx(SUBSET, "train")
    split = semi_supervised.split_labeled(labels, 3, 1, seed=0)
    best = keras_gans.SGAN.load(str(out / "best.keras"))
    assert int(best.step_counter) == 3 * run["best_epoch"]
    held_out = best.classify(data.to_model_range(images[split.validation])).argmax(-1)
    assert (held_out == labels[split.validation]).mean() == pytest.approx(run["best_val_accuracy"], abs=1e-6)

# ------------------------------------------------------------------------------------- baseline
def test_the_baseline_command_writes_test_accuracy_and_its_validation_split(tmp_path, capsys, record_reads):
    path = tmp_path / "baseline.json"
    assert cli.main(["baseline", "sgan", "--labeled-per-class", "4", "--epochs", "2", "--data-dir", SUBSET,
                     "--architecture", "tiny", "--json", str(path)]) == 0
    assert record_reads.reads == [("train", False), ("test", False)]
    result = json.loads(path.read_text())
    assert 0 <= result["test_accuracy"] <= 1 and result["test_error"] == pytest.approx(1 - result["test_accuracy"])
    assert result["test_examples"] == 200
    assert result["validation_per_class"] == 1 and result["validation_examples"] == 10
    assert result["train_examples"] == 30 and result["labeled_per_class"] == 4
    assert 1 <= result["best_epoch"] <= result["epochs_trained"] <= 2
    # The restored epoch is the one with the lowest validation loss.
    assert result["validation_loss"] == pytest.approx(min(result["history"]["val_loss"]))
    assert "Test accuracy on the real test split (200 images, scored once)" in capsys.readouterr().out

    assert cli.main(["baseline", "gan", "--labeled-per-class", "4", "--data-dir", SUBSET]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "class head of a game whose discriminator classifies" in err
    assert cli.main(["baseline", "sgan", "--data-dir", SUBSET]) == 2
    assert "--labeled-per-class" in capsys.readouterr().err


def test_the_baseline_trains_the_games_own_class_head():
    sgan, catgan, acgan = make("sgan"), make("catgan"), make("acgan")
    images = np.random.default_rng(0).uniform(-1, 1, (3,) + IMAGE_SHAPE).astype("float32")
    for game in (sgan, catgan, acgan):
        head = semi_supervised.class_head(game)
        assert head.output.shape[-1] == 10
        logits = head(images, training=False).numpy()
        np.testing.assert_allclose(keras.ops.softmax(logits).numpy(), game.classify(images), atol=1e-6)
        assert {id(v) for v in head.trainable_variables} <= {id(v) for v in game.discriminator.trainable_variables}
    result = semi_supervised.supervised_baseline("catgan", 3, epochs=1, data_dir=SUBSET, architecture="tiny")
    assert result["variant"] == "catgan" and result["train_examples"] == 20 and result["epochs_trained"] == 1


def test_the_baseline_sees_the_games_augmentation(monkeypatch):
    images = np.linspace(-1, 1, 4 * 8 * 8).reshape(4, 8, 8, 1).astype("float32")
    labels = np.arange(4, dtype="int32")
    batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(2)
    augmented = semi_supervised.augmented_batches(batches, ("translation",), seed=0)
    epochs = [[(x.numpy(), y.numpy()) for x, y in augmented] for _ in range(2)]
    for epoch in epochs:
        np.testing.assert_array_equal(np.concatenate([y for _, y in epoch]), labels)  # labels untouched
        assert not np.allclose(np.concatenate([x for x, _ in epoch]), images)         # images shifted
    assert not np.allclose(epochs[0][0][0], epochs[1][0][0])  # fresh noise every epoch

    seen = []
    original = semi_supervised.augmented_batches
    monkeypatch.setattr(semi_supervised, "augmented_batches",
                        lambda *args, **kwargs: seen.append(args[1]) or original(*args, **kwargs))
    semi_supervised.supervised_baseline("catgan", 3, epochs=1, data_dir=SUBSET, architecture="tiny")
    semi_supervised.supervised_baseline("sgan", 3, epochs=1, data_dir=SUBSET, architecture="tiny",
                                        options={"augment": None})
    assert seen == []  # no augmentation unless the game has one
    semi_supervised.supervised_baseline("sgan", 3, epochs=1, data_dir=SUBSET, architecture="tiny")
    assert seen == [("translation",)]  # SGAN's default


# ----------------------------------------------------------------------------- feature matching
def test_the_feature_matching_loss_on_known_arrays():
    real = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")        # mean (2, 3)
    fake = np.array([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]], "float32")  # mean (1, 1)
    assert value(losses.feature_matching_loss(real, fake)) == pytest.approx(1.0 + 4.0)
    assert value(losses.feature_matching_loss(fake, fake[::-1])) == 0.0  # same mean, whatever the order
    maps = np.random.default_rng(0).normal(size=(4, 3, 3, 2)).astype("float32")  # summed over every feature axis
    expected = np.square(maps.mean(0) - (maps ** 2).mean(0)).sum()
    assert value(losses.feature_matching_loss(maps, maps ** 2)) == pytest.approx(expected, rel=1e-5)


def test_sgan_feature_matching_is_the_mean_feature_distance_computed_by_hand():
    # D: flatten, dense_0, LeakyReLU, logits; no augmentation, so that D's training view is the batch itself.
    model = make("sgan", dropout=0.0, generator_loss="feature_matching", augment=None)
    rng = np.random.default_rng(1)
    real = rng.uniform(-1, 1, (6,) + IMAGE_SHAPE).astype("float32")
    fake = rng.uniform(-1, 1, (5,) + IMAGE_SHAPE).astype("float32")
    dense = model.discriminator.get_layer("dense_0")
    kernel, bias = dense.kernel.numpy(), dense.bias.numpy()

    def features(x):  # the input of D's "logits" layer, in numpy
        h = x.reshape(len(x), -1) @ kernel + bias
        return np.where(h > 0, h, 0.2 * h)

    network_features, logits = model.feature_network()(real)
    np.testing.assert_allclose(network_features.numpy(), features(real), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(logits.numpy(), model.discriminator(real).numpy(), atol=1e-6)
    expected = np.square(features(real).mean(0) - features(fake).mean(0)).sum()
    assert value(model.feature_matching(real, fake)) == pytest.approx(expected, rel=1e-5)
    model.fakes = lambda n: (fake[:n], None)  # the generator update's fresh fakes, fixed
    assert value(model.generator_loss(real[:5])["g_loss"]) == pytest.approx(
        np.square(features(real[:5]).mean(0) - features(fake).mean(0)).sum(), rel=1e-5)

    default = make("sgan", dropout=0.0, augment=None)  # the default G loss is still the non-saturating one
    default.fakes = lambda n: (fake[:n], None)
    assert default.generator_objective == "non_saturating"
    assert value(default.generator_loss(real[:5])["g_loss"]) == pytest.approx(
        value(losses.semi_supervised_generator_loss(default.discriminator(fake))), rel=1e-5)


def test_feature_matching_trains_saves_loads_and_refuses_what_it_cannot_do(fashion_mnist, tmp_path):
    model = make("sgan", generator_loss="feature_matching")
    model.compile(jit_compile=False)
    before = [w.numpy().copy() for w in model.generator.trainable_weights]
    history = model.fit(data.semi_supervised(fashion_mnist, 2, batch_size=8).take(2), epochs=1, verbose=0).history
    assert all(np.isfinite(values[0]) for values in history.values())
    assert any(not np.allclose(w.numpy(), b) for w, b in zip(model.generator.trainable_weights, before))
    model.save(tmp_path / "sgan.keras")
    loaded = keras_gans.SGAN.load(str(tmp_path / "sgan.keras"))
    assert loaded.generator_objective == loaded.get_config()["generator_loss"] == "feature_matching"
    images = data.to_model_range(fashion_mnist[0][:4])
    np.testing.assert_allclose(loaded.feature_network()(images)[0].numpy(),
                               model.feature_network()(images)[0].numpy(), atol=1e-6)

    with pytest.raises(ValueError, match="generator_loss must be one of non_saturating, feature_matching; got 'l2'"):
        make("sgan", generator_loss="l2")
    images_in = keras.Input(IMAGE_SHAPE)
    unnamed = keras.Model(images_in, keras.layers.Dense(11, name="scores")(keras.layers.Flatten()(images_in)))
    with pytest.raises(ValueError, match="found by its name 'logits'"):
        keras_gans.SGAN(None, unnamed, image_shape=IMAGE_SHAPE, latent_dim=8, generator_loss="feature_matching")


# ------------------------------------------------------------------------ classifying with D's average
@pytest.mark.parametrize("name", ["sgan", "catgan"])
def test_classifier_ema_follows_its_formula_and_classify_and_evaluate_use_it(name, fashion_mnist, tmp_path):
    model = make(name, dropout=0.0, classifier_ema=0.2)
    model.compile(jit_compile=False)
    averages = [w.numpy() for w in model.discriminator.trainable_variables]  # the average starts at the weights
    batches = data.semi_supervised(fashion_mnist, 2, batch_size=8)
    # d = min(decay, (1 + t) / (10 + t)) after the t-th D update: 2/11, then the cap 0.2 (< 3/12).
    for batch, decay in zip(batches.take(2), (2 / 11, 0.2)):
        model.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0)
        averages = [decay * a + (1 - decay) * w.numpy()
                    for a, w in zip(averages, model.discriminator.trainable_variables)]
        for average, expected in zip(model.classifier_ema_weights, averages):
            np.testing.assert_allclose(average.numpy(), expected, rtol=1e-5, atol=1e-7)

    images, labels = data.to_model_range(fashion_mnist[0][:32]), fashion_mnist[1][:32]
    # The discriminator with the averaged weights, built by hand: what classify() must give.
    copy = keras.models.clone_model(model.discriminator)
    copy.set_weights(model.discriminator.get_weights())
    for target, average in zip(copy.trainable_variables, model.classifier_ema_weights):
        target.assign(average.numpy())
    expected = keras.ops.convert_to_numpy(keras.ops.softmax(model.class_logits(copy(images, training=False)), -1))
    raw = keras.ops.convert_to_numpy(keras.ops.softmax(model.class_logits(model.discriminator(images)), -1))
    assert np.abs(expected - raw).max() > 1e-4  # the average is not the last iterate
    np.testing.assert_allclose(model.classify(images), expected, atol=1e-5)
    accuracy = model.evaluate(images, labels, verbose=0, return_dict=True)["accuracy"]
    assert accuracy == pytest.approx(np.mean(expected.argmax(-1) == labels))

    model.save(tmp_path / "model.keras")
    loaded = type(model).load(str(tmp_path / "model.keras"))
    assert loaded.classifier_ema == 0.2
    np.testing.assert_allclose(loaded.classify(images), expected, atol=1e-5)


@pytest.mark.parametrize("name", ["sgan", "catgan"])
def test_classifier_ema_is_checked_and_off_for_models_saved_without_it(name):
    with pytest.raises(ValueError, match=r"classifier_ema must be None or a decay in \(0, 1\)"):
        make(name, classifier_ema=1.0)
    plain = make("acgan")
    assert plain.classifier_ema is None and plain.classifier_ema_weights == []
    # The semi-supervised games classify with the average unless told not to.
    averaged = make(name)
    assert averaged.classifier_ema == 0.999 and len(averaged.classifier_ema_weights) > 0
    config = make(name, classifier_ema=0.9).get_config()
    del config["classifier_ema"]  # as written before the option existed
    assert keras_gans.VARIANTS[name].from_config(config).classifier_ema is None
