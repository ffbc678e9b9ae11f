"""Sample-quality metrics (classifier-FID, KID, IS-style score, coverage, ...), `keras-gans evaluate` and
QualityMonitor -- with a tiny classifier trained here on the committed real subset, never the cached one."""
import glob
import csv
import json
import math
import time

import keras
import numpy as np
import pytest

import keras_gans
from conftest import SUBSET, tiny
from keras_gans import cli
from keras_gans.callbacks import QualityMonitor
from keras_gans.classifying import ClassifierMixin
from keras_gans.evaluation import classifier as classifiers
from keras_gans.evaluation import evaluate, inception, metrics


# --------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def real():
    """The committed real subset: {"train": (images, labels) 400, "test": (images, labels) 200}."""
    return {split: keras_gans.data.load_idx(SUBSET, split) for split in ("train", "test")}


@pytest.fixture(scope="module")
def tiny_classifier(real, tmp_path_factory):
    """A small CNN trained for a few epochs on the 400 real training images, saved as .keras."""
    keras.utils.set_random_seed(0)
    model = classifiers.build_classifier(filters=(8, 16), features=16)
    path = str(tmp_path_factory.mktemp("classifier") / "tiny.keras")
    model, info = classifiers.train_classifier(*real["train"], real["test"], epochs=6, batch_size=32, path=path,
                                               classifier=model, verbose=0)
    assert info["path"] == path and info["test_accuracy"] > 0.4  # 10 classes: chance is 0.1
    return model, path


# ------------------------------------------------------------------------------------- Fréchet
def test_frechet_distance_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 16)) @ np.random.default_rng(1).normal(size=(16, 16))
    assert metrics.frechet_distance(features, features) == pytest.approx(0, abs=1e-6)


def test_frechet_distance_matches_the_gaussian_formula():
    # N(mu_a, diag(s_a^2)) vs N(mu_b, diag(s_b^2)): FD = |mu_a - mu_b|^2 + sum (s_a - s_b)^2.
    rng = np.random.default_rng(0)
    mu_a, mu_b, s_a, s_b = np.zeros(4), np.array([1.0, 0, 0, 2]), np.ones(4), np.array([1.0, 2, 3, 1])
    a, b = mu_a + s_a * rng.normal(size=(200_000, 4)), mu_b + s_b * rng.normal(size=(200_000, 4))
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((s_a - s_b) ** 2)  # 5 + 5
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=0.02)


def test_classifier_fid_real_halves_small_real_vs_noise_large(real, tiny_classifier):
    model, _ = tiny_classifier
    images = real["train"][0]
    features = classifiers.features_and_probabilities(model, images)[0]
    noise = np.random.default_rng(0).uniform(-1, 1, images.shape).astype("float32")
    noise_features = classifiers.features_and_probabilities(model, noise)[0]
    halves = metrics.frechet_distance(features[::2], features[1::2])
    versus_noise = metrics.frechet_distance(features[:200], noise_features[:200])
    assert metrics.frechet_distance(features, features) == pytest.approx(0, abs=1e-6)
    assert 0 < halves < versus_noise / 10


# ------------------------------------------------------------------------------------------ KID
def _cubic_kernel_mean(p, q):
    """E (x y + 1)^3 for independent 1-D Gaussians x ~ N(mu_p, s_p^2), y ~ N(mu_q, s_q^2) (gamma = 1/d = 1)."""
    def moments(mu, s):
        return mu, mu ** 2 + s ** 2, mu ** 3 + 3 * mu * s ** 2

    (p1, p2, p3), (q1, q2, q3) = moments(*p), moments(*q)
    return 1 + 3 * p1 * q1 + 3 * p2 * q2 + p3 * q3


def test_kid_is_an_unbiased_estimate_on_known_gaussians():
    p, q = (0.0, 1.0), (0.5, 1.2)
    exact = _cubic_kernel_mean(p, p) + _cubic_kernel_mean(q, q) - 2 * _cubic_kernel_mean(p, q)
    rng = np.random.default_rng(0)
    a, b = rng.normal(p[0], p[1], (20_000, 1)), rng.normal(q[0], q[1], (20_000, 1))
    kid, se = metrics.kernel_inception_distance(a, b, subset_size=1000)
    assert se > 0 and abs(kid - exact) < 4 * se and abs(kid - exact) < 0.1 * exact

    # Same distribution: MMD^2 = 0. The unbiased estimate averages to 0 (a biased V-statistic would stay > 0).
    kids = np.array([metrics.kernel_inception_distance(rng.normal(size=(400, 1)), rng.normal(size=(400, 1)),
                                                       subset_size=100, seed=s)[0] for s in range(200)])
    assert abs(kids.mean()) < 4 * kids.std() / math.sqrt(len(kids))
    assert (kids < 0).any()


def test_kid_subsets_and_standard_error():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(10_000, 8)), rng.normal(0.3, 1, (10_000, 8))
    kid, se = metrics.kernel_inception_distance(a, b)
    assert kid > 10 * se > 0
    x, y = a[:50], b[:50]
    # mmd2_unbiased by hand.
    k = lambda u, v: (u @ v.T / 8 + 1) ** 3  # noqa: E731
    by_hand = ((k(x, x).sum() - np.trace(k(x, x))) / (50 * 49) + (k(y, y).sum() - np.trace(k(y, y))) / (50 * 49)
               - 2 * k(x, y).mean())
    assert metrics.mmd2_unbiased(x, y) == pytest.approx(by_hand)
    with pytest.raises(ValueError, match="widths"):
        metrics.kernel_inception_distance(a, b[:, :4])


# ------------------------------------------------------------------ score, coverage, accuracy, purity
def test_classifier_score_bounds():
    confident_balanced = np.eye(10)[np.arange(1000) % 10]
    assert metrics.classifier_score(confident_balanced) == pytest.approx(10, rel=1e-6)
    assert metrics.classifier_score(confident_balanced, splits=10) == pytest.approx(10, rel=1e-6)
    assert metrics.classifier_score(np.eye(10)[np.zeros(100, int)]) == pytest.approx(1)  # all one class
    assert metrics.classifier_score(np.full((100, 10), 0.1)) == pytest.approx(1)  # no confidence
    half = np.eye(10)[np.arange(1000) % 5]
    assert metrics.classifier_score(half) == pytest.approx(5, rel=1e-6)


def test_class_coverage_on_hand_made_labels():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 16 + [3] * 4)  # 4 classes present, 6 missing
    coverage = metrics.class_coverage(labels, num_classes=10)
    assert coverage["shares"] == pytest.approx([0.5, 0.3, 0.16, 0.04] + [0] * 6)
    assert coverage["under_threshold"] == [3, 4, 5, 6, 7, 8, 9] and coverage["covered"] == 3
    probabilities = np.eye(10)[labels] * 0.9 + 0.01  # argmax is taken
    assert metrics.class_coverage(probabilities)["shares"] == coverage["shares"]


def test_conditional_accuracy_purity_and_classifier_errors():
    requested = np.arange(100) % 10
    predicted = requested.copy()
    predicted[:20] = 0  # samples 1..9 and 11..19 land in class 0
    assert metrics.conditional_accuracy(requested, predicted) == pytest.approx(0.82)
    assert metrics.conditional_accuracy(requested, np.eye(10)[predicted]) == pytest.approx(0.82)
    # c1 value v always maps to class (v + 3) % 10: pure, although no value equals its class.
    assert metrics.purity(requested, (requested + 3) % 10) == pytest.approx(1)
    codes = np.repeat([0, 1], 10)
    mixed = np.array([5] * 6 + [2] * 4 + [7] * 10)
    assert metrics.purity(codes, mixed) == pytest.approx((0.6 + 1.0) / 2)
    truth = np.repeat(np.arange(3), 10)
    clusters = (truth + 1) % 3  # perfect up to renaming
    assert metrics.classification_error(truth, clusters) == pytest.approx(1)
    assert metrics.cluster_error(truth, clusters) == pytest.approx(0)


# ------------------------------------------------------------------------------------ classifier
def test_cache_directory_and_missing_classifier_error(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_GANS_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert classifiers.cache_dir() == str(tmp_path / "xdg" / "keras_gans")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert classifiers.cache_dir() == str(tmp_path / "home" / ".cache" / "keras_gans")
    monkeypatch.setenv("KERAS_GANS_CACHE", str(tmp_path / "cache"))
    assert classifiers.default_path() == str(tmp_path / "cache" / "fashion_mnist_classifier.keras")
    # Fashion-MNIST's is shipped; a dataset without one reads the cache, and names the command when it is empty.
    assert classifiers.classifier_path() == classifiers.shipped_path()
    assert classifiers.classifier_path(dataset="mnist") == str(tmp_path / "cache" / "mnist_classifier.keras")
    with pytest.raises(FileNotFoundError, match="keras-gans evaluate --train-classifier"):
        classifiers.load_classifier(dataset="mnist")


def test_the_shipped_classifier_is_the_pinned_file_and_classifies(real, monkeypatch):
    path = classifiers.shipped_path()
    assert classifiers.file_digest(path) == classifiers.SHIPPED["fashion_mnist"][1]
    classifier = classifiers.load_classifier()
    # The committed subset's test images: the full test split gives 92.25%; a few hundred images, well above 80%.
    assert classifiers.accuracy(classifier, *real["test"]) > 0.8
    monkeypatch.setitem(classifiers.SHIPPED, "fashion_mnist", ("fashion_mnist_classifier.keras", "0" * 64))
    with pytest.raises(ValueError, match="not the file the package was released with"):
        classifiers.load_classifier()


def test_feature_model_gives_the_penultimate_layer(tiny_classifier, real):
    model, path = tiny_classifier
    loaded = classifiers.load_classifier(path)
    features, probabilities = classifiers.features_and_probabilities(loaded, real["test"][0][:7])
    assert features.shape == (7, 16) and probabilities.shape == (7, 10)
    assert np.allclose(probabilities.sum(1), 1, atol=1e-5) and (features >= 0).all()  # after ReLU


# --------------------------------------------------------------------------------- evaluate_model
class _StubInfoGAN(ClassifierMixin):
    """The evaluation contract of an InfoGAN whose discriminator classifies: condition_classes(), conditions_for(),
    latent_for(), generate_from(), reads_labels(), classify(images). Its 'generator' returns real images of the
    class given by c1, so purity must be high."""
    num_classes = None
    image_shape = (28, 28, 1)

    def __init__(self, images, labels):  # no super().__init__(): there is no Keras model behind the stub
        self.by_class = [images[labels == c] for c in range(10)]
        self.calls = []

    def condition_classes(self):
        return 10

    def reads_labels(self, role):
        return False

    def latent_for(self, n, seed=None):
        return np.zeros((n, 1), "float32")

    def conditions_for(self, n, seed=None, classes=None):
        return {"categorical": np.asarray(classes, "int32").reshape(n, 1),
                "continuous": np.random.default_rng(seed).uniform(-1, 1, (n, 2)).astype("float32")}

    def generate_from(self, inputs):
        self.calls.append(inputs)
        c1 = inputs["categorical"][:, 0]
        return np.stack([self.by_class[c][i % len(self.by_class[c])] for i, c in enumerate(c1)]) / 127.5 - 1

    def classify(self, images):
        return np.full((len(images), 10), 0.1)


def test_evaluate_model_on_a_tiny_gan_and_a_conditional_one(real, tiny_classifier):
    classifier, _ = tiny_classifier
    results = evaluate.evaluate_model(tiny(keras_gans.GAN), n=200, classifier=classifier, real_test=real["test"],
                                      real_train=real["train"], subset_size=50)
    for key in ("fid", "kid", "kid_se", "classifier_score", "real_fid", "real_kid", "real_classifier_score",
                "classifier_test_accuracy"):
        assert np.isfinite(results[key]), key
    assert results["fid"] > results["real_fid"] > 0  # an untrained generator is far worse than real data
    assert len(results["coverage"]) == 10 and sum(results["coverage"]) == pytest.approx(1)
    assert "conditional_accuracy" not in results and "purity" not in results
    json.dumps(results)  # plain numbers

    results = evaluate.evaluate_model(tiny(keras_gans.CGAN, num_classes=10), n=100, classifier=classifier,
                                      real_test=real["test"], real_train=real["train"], subset_size=50)
    assert 0 <= results["conditional_accuracy"] <= 1
    text = evaluate.format_results(results)
    assert "classifier-FID" in text and "accuracy of the requested class" in text and "Sandal" in text


def test_evaluate_model_infogan_purity_and_own_classifier(real, tiny_classifier):
    classifier, _ = tiny_classifier
    stub = _StubInfoGAN(*real["train"])
    results = evaluate.evaluate_model(stub, n=200, classifier=classifier, real_test=real["test"],
                                      real_train=real["train"], subset_size=50)
    codes = stub.calls[0]
    assert codes["categorical"].shape == (200, 1) and codes["continuous"].shape == (200, 2)
    assert (np.bincount(codes["categorical"][:, 0]) == 20).all()  # balanced c1
    assert results["purity"] > 0.4  # real images of one class per c1 value
    assert results["classifier_test_error"] == pytest.approx(1 - np.mean(real["test"][1] == 0))  # argmax 0
    assert results["fid"] < 3 * results["real_fid"] + 1  # these "samples" are real training images


def test_inception_fid_is_skipped_with_a_message_when_weights_are_unavailable(real, tiny_classifier, monkeypatch):
    def offline(**kwargs):
        raise OSError("URL fetch failure: no network")

    monkeypatch.setattr(keras.applications, "InceptionV3", offline)
    with pytest.raises(inception.InceptionUnavailable, match="ImageNet weights of InceptionV3 could not be loaded"):
        inception.inception_fid(real["test"][0][:4] / 127.5 - 1, real["test"][0][4:8] / 127.5 - 1)
    results = evaluate.evaluate_model(tiny(keras_gans.GAN), n=60, classifier=tiny_classifier[0],
                                      real_test=real["test"], real_train=real["train"], subset_size=20, inception=True)
    assert results["inception_fid"] is None and "Inception FID skipped" in results["inception_note"]
    assert "Inception FID skipped" in evaluate.format_results(results)


# ------------------------------------------------------------------------------------ QualityMonitor
def test_quality_monitor_logs_into_history_and_tensorboard(real, tiny_classifier, dataset, tmp_path):
    import tensorflow as tf

    classifier, _ = tiny_classifier
    model = tiny(keras_gans.GAN)
    model.compile(jit_compile=False)
    monitor = QualityMonitor(real["test"][0], every=2, n=100, classifier=classifier, log_dir=str(tmp_path), kid=True)
    history = model.fit(dataset, epochs=4, steps_per_epoch=1, verbose=0, callbacks=[monitor])
    assert len(history.history["classifier_fid"]) == 2 and len(history.history["classifier_kid"]) == 2
    assert [epoch for epoch, _ in monitor.history] == [2, 4]
    assert history.history["classifier_fid"] == [value for _, value in monitor.history]
    tags = {(value.tag, event.step) for path in glob.glob(str(tmp_path / "train" / "events.*"))
            for event in tf.compat.v1.train.summary_iterator(path) for value in event.summary.value}
    assert {("epoch_classifier_fid", 1), ("epoch_classifier_fid", 3)} <= tags


# ------------------------------------------------------------------------------------------- CLI
def test_cli_train_classifier_then_evaluate_a_checkpoint(real, tmp_path, capsys, monkeypatch):
    build = classifiers.build_classifier
    monkeypatch.setattr(classifiers, "build_classifier",  # the real one, smaller: this test is about the command
                        lambda shape, classes: build(shape, classes, filters=(4, 8), features=8))
    path = str(tmp_path / "clf.keras")
    assert cli.main(["evaluate", "--train-classifier", "--classifier", path, "--data-dir", SUBSET,
                     "--classifier-epochs", "1"]) == 0
    assert "test accuracy" in capsys.readouterr().out
    assert classifiers.load_classifier(path).output.shape[-1] == 10

    run = tmp_path / "run"
    assert cli.main(["train", "gan", "--data-dir", SUBSET, "--steps-per-epoch", "1", "--batch-size", "16",
                     "--architecture", "mlp", "--latent-dim", "8", "--out", str(run), "--verbose", "0",
                     "--no-xla"]) == 0
    capsys.readouterr()
    numbers = tmp_path / "numbers.json"
    assert cli.main(["evaluate", str(run / "model.keras"), "--classifier", path, "--data-dir", SUBSET, "--n", "120",
                     "--json", str(numbers)]) == 0
    out = capsys.readouterr().out
    assert "classifier-FID" in out and "KID" in out and "classes under 5%" in out and "real train" in out
    results = json.loads(numbers.read_text())
    assert results["n"] == 120 and results["num_real_test"] == 200 and np.isfinite(results["fid"])

    # The checkpoint's samples written to a file score exactly as the checkpoint does.
    samples, _ = evaluate.generate_for_evaluation(keras_gans.GANModel.load(str(run / "model.keras")), 120, seed=0)
    np.save(tmp_path / "samples.npy", samples)
    from_file = tmp_path / "from_file.json"
    assert cli.main(["evaluate", "--samples", str(tmp_path / "samples.npy"), "--classifier", path, "--data-dir",
                     SUBSET, "--json", str(from_file)]) == 0
    assert "--samples" in capsys.readouterr().out
    assert json.loads(from_file.read_text()) == results

    # GAN samples from G's moving average by default; --last-weights scores G's own weights, which differ from it.
    model = keras_gans.GANModel.load(str(run / "model.keras"))
    assert model.ema_weights
    model.ema_weights = []
    np.save(tmp_path / "last.npy", evaluate.generate_for_evaluation(model, 120, seed=0)[0])
    assert not np.allclose(np.load(tmp_path / "last.npy"), samples)
    last, last_file = tmp_path / "last.json", tmp_path / "last_file.json"
    assert cli.main(["evaluate", str(run / "model.keras"), "--last-weights", "--classifier", path, "--data-dir",
                     SUBSET, "--n", "120", "--json", str(last)]) == 0
    assert "last weights" in capsys.readouterr().out
    assert cli.main(["evaluate", "--samples", str(tmp_path / "last.npy"), "--classifier", path, "--data-dir", SUBSET,
                     "--json", str(last_file)]) == 0
    assert json.loads(last.read_text()) == json.loads(last_file.read_text()) != results
    without_average = tmp_path / "plain"
    assert cli.main(["train", "lsgan", "--data-dir", SUBSET, "--steps-per-epoch", "1", "--batch-size", "16",
                     "--architecture", "mlp", "--latent-dim", "8", "--set", "ema=None", "--out", str(without_average),
                     "--verbose", "0", "--no-xla"]) == 0
    capsys.readouterr()
    assert cli.main(["evaluate", str(without_average / "model.keras"), "--last-weights", "--classifier", path,
                     "--data-dir", SUBSET]) == 2
    assert "keeps none" in capsys.readouterr().err


def test_cli_train_quality_every_logs_what_evaluate_gives_each_checkpoint(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KERAS_GANS_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    flags = ["--data-dir", SUBSET, "--steps-per-epoch", "2", "--batch-size", "16", "--out", str(run), "--verbose",
             "0", "--no-xla"]
    # A missing classifier (here: an install without the shipped file) is one line naming the command, before
    # anything is trained.
    monkeypatch.setattr(classifiers, "shipped_path", lambda dataset="fashion_mnist": str(tmp_path / "none.keras"))
    assert cli.main(["train", "gan", "--architecture", "mlp", "--latent-dim", "8", "--quality-every", "1",
                     *flags]) == 2
    assert "keras-gans evaluate --train-classifier" in capsys.readouterr().err and not list(run.glob("*"))
    monkeypatch.undo()
    monkeypatch.setenv("KERAS_GANS_CACHE", str(tmp_path / "cache"))
    # Both judge with the classifier that ships with the package (the cache is empty).
    figures = []
    for epoch, more in enumerate((["--architecture", "mlp", "--latent-dim", "8"], ["--resume"])):
        assert cli.main(["train", "gan", "--epochs", "1", "--quality-every", "1", *more, *flags]) == 0
        numbers = tmp_path / f"epoch{epoch}.json"
        assert cli.main(["evaluate", str(run / "model.keras"), "--data-dir", SUBSET, "--json", str(numbers)]) == 0
        figures.append(json.loads(numbers.read_text())["fid"])
    with open(run / "history.csv") as f:
        logged = [float(row["classifier_fid"]) for row in csv.DictReader(f)]
    assert logged == pytest.approx(figures, rel=1e-4) and figures[0] != figures[1]
    assert cli.main(["train", "gan", "--dataset", "mnist", "--quality-every", "1",
                     "--out", str(tmp_path / "other")]) == 2
    assert "needs --dataset fashion_mnist" in capsys.readouterr().err
    assert cli.main(["train", "gan", "--data-dir", SUBSET, "--image-size", "32", "--quality-every", "1",
                     "--out", str(tmp_path / "other")]) == 2
    assert "make them 32x32x1" in capsys.readouterr().err and not (tmp_path / "other" / "run.json").exists()


def test_cli_evaluate_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KERAS_GANS_CACHE", str(tmp_path / "empty-cache"))
    assert cli.main(["evaluate"]) == 2
    assert "needs a CHECKPOINT" in capsys.readouterr().err
    np.save(tmp_path / "flat.npy", np.zeros((4, 784), "float32"))
    assert cli.main(["evaluate", "--samples", str(tmp_path / "flat.npy")]) == 2
    assert "evaluate takes images" in capsys.readouterr().err
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    assert cli.main(["evaluate", str(broken)]) == 2
    assert "Could not read the checkpoint" in capsys.readouterr().err
    model = tiny(keras_gans.GAN)
    model.save(tmp_path / "gan.keras")
    # A dataset without a shipped classifier, and none cached: the command that trains one.
    assert cli.main(["evaluate", str(tmp_path / "gan.keras"), "--dataset", "mnist", "--data-dir", SUBSET]) == 2
    err = capsys.readouterr().err
    assert "No quality classifier" in err and "keras-gans evaluate --train-classifier" in err


def _example(name):
    """The script examples/NAME.py, loaded as a module."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent.parent / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _results_table():
    return _example("results_table")


def test_results_table_example_end_to_end(tiny_classifier, tmp_path):
    results_table = _results_table()
    out = tmp_path / "docs"
    assert results_table.main(["--variants", "cgan", "--epochs", "2", "--steps-per-epoch", "1", "--n", "60",
                               "--architecture", "mlp", "--classifier", tiny_classifier[1], "--data-dir", SUBSET,
                               "--out", str(out), "--verbose", "0", "--no-xla", "--runs", str(tmp_path / "runs")]) == 0
    table = (out / "results.md").read_text()
    assert "--epochs 2" in table and "CPU cores" in table and "real train vs test" in table
    assert "| cgan |" in table and "requested-class accuracy" in table and "[grid](results/cgan.png)" in table
    assert (out / "results" / "cgan.png").exists()
    numbers = json.loads((out / "results.json").read_text())["variants"]
    assert numbers["cgan"]["seconds_per_epoch"] > 0 and np.isfinite(numbers["cgan"]["fid"])


def test_results_table_reuses_finished_variants_only_under_the_same_settings(tiny_classifier, tmp_path, capsys,
                                                                            monkeypatch):
    results_table = _results_table()
    trained = []
    train_variant = results_table.train_variant

    def counting(name, *args):
        trained.append(name)
        return train_variant(name, *args)

    monkeypatch.setattr(results_table, "train_variant", counting)
    runs, docs = tmp_path / "runs", tmp_path / "docs"
    argv = ["--variants", "gan,cgan", "--epochs", "1", "--steps-per-epoch", "1", "--n", "60", "--architecture",
            "mlp", "--classifier", tiny_classifier[1], "--data-dir", SUBSET, "--out", str(docs), "--verbose", "0",
            "--no-xla", "--runs", str(runs)]

    def cgan_row():
        return next(line for line in (docs / "results.md").read_text().splitlines() if line.startswith("| cgan |"))

    assert results_table.main(argv) == 0
    assert trained == ["gan", "cgan"] and (runs / "cgan.keras").exists()
    row, grid = cgan_row(), (docs / "results" / "cgan.png").read_bytes()
    (runs / "gan.json").unlink()  # as if the run had been killed before GAN's numbers were written
    (docs / "results" / "cgan.png").unlink()
    assert results_table.main(argv) == 0
    assert trained[2:] == ["gan"] and "cgan: reusing" in capsys.readouterr().out
    assert cgan_row() == row and (docs / "results" / "cgan.png").read_bytes() == grid  # from the kept checkpoint
    (runs / "gan.keras").unlink()  # numbers without their checkpoint are not reused
    assert results_table.main(argv) == 0 and trained[3:] == ["gan"]
    assert results_table.main([a if a != "60" else "80" for a in argv]) == 0  # another --n
    assert trained[4:] == ["gan", "cgan"]
    monkeypatch.setattr(keras_gans.CGAN, "learning_rates", (1e-4, 1e-4))  # a changed default of CGAN only
    assert results_table.main([a if a != "60" else "80" for a in argv]) == 0
    assert trained[6:] == ["cgan"]
    assert results_table.main(argv + ["--rerun"]) == 0
    assert trained[7:] == ["gan", "cgan"]


def test_results_table_update_keeps_other_rows_only_under_the_same_settings(tiny_classifier, tmp_path, capsys,
                                                                           monkeypatch):
    results_table = _results_table()
    docs = tmp_path / "docs"
    argv = ["--epochs", "1", "--steps-per-epoch", "1", "--n", "60", "--architecture", "mlp", "--classifier",
            tiny_classifier[1], "--data-dir", SUBSET, "--out", str(docs), "--verbose", "0", "--no-xla", "--runs",
            str(tmp_path / "runs")]

    def rows():
        return {line.split(" | ")[0][2:]: line for line in (docs / "results.md").read_text().splitlines()
                if line.startswith("| gan |") or line.startswith("| cgan |")}

    assert results_table.main(["--variants", "gan,cgan"] + argv) == 0
    before = rows()
    assert results_table.main(["--variants", "gan", "--update", "--rerun"] + argv) == 0
    assert "cgan: row kept" in capsys.readouterr().out
    after, table = rows(), (docs / "results.md").read_text()
    assert after["cgan"] == before["cgan"] and list(after) == ["gan", "cgan"]  # the registry's order
    assert "Rows kept from an earlier run under the same settings (`--update`): cgan, made with " \
           "`python examples/results_table.py --variants gan,cgan" in table
    made_by = json.loads((docs / "results.json").read_text())["made_by"]
    assert "--update" in made_by["gan"]["command"] and "--update" not in made_by["cgan"]["command"]
    assert results_table.main(["--update"] + argv) == 0  # nothing named: nothing trained, every row kept
    assert rows() == after
    assert results_table.main(["--variants", "gan"] + argv) == 0  # without --update: only what was asked
    assert list(rows()) == ["gan"]

    assert results_table.main(["--variants", "gan,cgan"] + argv) == 0
    monkeypatch.setattr(keras_gans.CGAN, "learning_rates", (1e-4, 1e-4))  # a changed default of CGAN only
    capsys.readouterr()
    assert results_table.main(["--variants", "gan", "--update"] + argv) == 0
    assert "cgan: the row in" in capsys.readouterr().out and list(rows()) == ["gan"]

    # Rows scored by another quality classifier (as on another machine): refused, not all dropped.
    results = json.loads((docs / "results.json").read_text())
    results["settings"]["gan"]["classifier"] = "0" * 64
    (docs / "results.json").write_text(json.dumps(results))
    with pytest.raises(SystemExit):
        results_table.main(["--variants", "cgan", "--update"] + argv)
    assert "scored by another quality classifier" in capsys.readouterr().err and list(rows()) == ["gan"]


def test_labels_table_runs_each_command_once_and_reports_what_they_wrote(tiny_classifier, tmp_path, monkeypatch,
                                                                          capsys):
    labels_table = _example("labels_table")
    commands = []
    run_command = labels_table.cli.main
    monkeypatch.setattr(labels_table.cli, "main", lambda argv: commands.append(argv[:2]) or run_command(argv))
    runs, page = tmp_path / "runs", tmp_path / "labels.md"
    argv = ["--games", "sgan", "--labeled-per-class", "3", "--seeds", "0", "--conditional", "cgan", "--coded", "",
            "--epochs", "1", "--steps-per-epoch", "2", "--architecture", "mlp", "--n", "60", "--classifier",
            tiny_classifier[1], "--data-dir", SUBSET, "--runs", str(runs), "--out", str(page)]
    assert labels_table.main(argv) == 0
    cgan_checkpoint = str(runs / "cgan_s0" / "model.keras")
    assert commands == [["baseline", "sgan"], ["train", "sgan"], ["train", "cgan"], ["evaluate", cgan_checkpoint]]
    text = page.read_text()
    baseline = json.loads((runs / "baseline_sgan_n3_s0.json").read_text())
    run = json.loads((runs / "sgan_n3_s0" / "run.json").read_text())
    row = next(line for line in text.splitlines() if line.startswith("| sgan |"))
    gain = 100 * (run["best_test_accuracy"] - baseline["test_accuracy"])
    assert (f"| {100 * baseline['test_accuracy']:.1f}: {100 * baseline['test_accuracy']:.1f} |" in row
            and f"**{100 * run['best_test_accuracy']:.1f}**" in row and f"| {gain:+.1f} ({gain:+.1f}) |" in row)
    assert run["labeled_per_class"] == 3 and run["steps_per_epoch"] == 2 and run["architecture"] == "mlp"
    cgan = json.loads((runs / "cgan_s0.json").read_text())
    assert f"| cgan | 0 | {100 * cgan['conditional_accuracy']:.1f} |" in text
    assert "--steps-per-epoch 2" in text and "CPU cores" in text
    # Everything there: a rerun trains nothing and writes the same page; a lost result is made again, alone.
    assert labels_table.main(argv) == 0 and len(commands) == 4 and page.read_text() == text
    (runs / "cgan_s0.json").unlink()
    assert labels_table.main(argv) == 0 and commands[4:] == [["evaluate", cgan_checkpoint]]
    # A table that --tables leaves alone keeps the page's rows whose runs are gone, marked, with their machine.
    cgan_row = next(line for line in page.read_text().splitlines() if line.startswith("| cgan |"))
    (runs / "cgan_s0.json").rename(tmp_path / "cgan_s0.json")
    assert labels_table.main(argv + ["--tables", "semi_supervised"]) == 0 and len(commands) == 5
    carried = page.read_text()
    assert cgan_row.replace("| cgan |", "| cgan \u2020 |") in carried and "| cgan | not run yet |" not in carried
    assert "carried over from the page as it was, made on: " in carried and "CPU cores" in carried.split("made on:")[1]
    assert labels_table.main(argv + ["--tables", "semi_supervised"]) == 0 and page.read_text() == carried
    # So is a row of labels this run does not name. Each carried row keeps the machine it was made on: the SGAN
    # row from the page's top line, the CGAN row from its footnote, each under a mark of its own.
    sgan_row = next(line for line in carried.splitlines() if line.startswith("| sgan |"))
    page.write_text(carried.replace("made on: ", "made on: Machine B, ", 1).replace(") on: ", ") on: Machine A, ", 1))
    for path in runs.glob("*sgan_n3_s0*"):
        path.rename(tmp_path / path.name)
    at = argv.index("--labeled-per-class") + 1
    assert labels_table.main(argv[:at] + ["4"] + argv[at + 1:] + ["--tables", "semi_supervised", "--collect"]) == 0
    mixed = page.read_text()
    assert [line for line in mixed.splitlines() if line.startswith("| sgan")] == [
        sgan_row.replace("| sgan |", "| sgan \u2020 |"), "| sgan | 40 (4 per class) | not run yet | | | | |"]
    assert cgan_row.replace("| cgan |", "| cgan \u2021 |") in mixed
    assert "marked \u2020 are carried over from the page as it was, made on: Machine A, " in mixed
    assert "marked \u2021 are carried over from the page as it was, made on: Machine B, " in mixed
    for path in tmp_path.glob("*sgan_n3_s0*"):
        path.rename(runs / path.name)
    (tmp_path / "cgan_s0.json").rename(runs / "cgan_s0.json")
    (runs / "cgan_s0.json").unlink()
    assert labels_table.main(argv + ["--collect"]) == 0 and len(commands) == 5
    assert "| cgan | not run yet |" in page.read_text()
    # Runs kept for another budget are refused, not reused or trained over.
    at = argv.index("--epochs") + 1
    assert labels_table.main(argv[:at] + ["2"] + argv[at + 1:]) == 2 and len(commands) == 5
    assert "sgan_n3_s0 was trained with epochs 1 (this table: 2)" in capsys.readouterr().err


def test_weights_digest_names_the_weights_not_the_file(tmp_path):
    results_table = _results_table()
    model = tiny(keras_gans.GAN)
    model.generator.save(tmp_path / "a.keras")
    time.sleep(1.1)  # a .keras file records when it was saved
    model.generator.save(tmp_path / "b.keras")
    first, second = (keras.saving.load_model(tmp_path / name) for name in ("a.keras", "b.keras"))
    assert results_table.weights_digest(first) == results_table.weights_digest(second)
    second.trainable_weights[0].assign(second.trainable_weights[0] + 1e-6)
    assert results_table.weights_digest(first) != results_table.weights_digest(second)


def test_results_table_reference_rows_refuse_what_they_cannot_match(tmp_path, capsys):
    results_table = _results_table()
    with pytest.raises(SystemExit):
        results_table.main(["--references", "gan", "--steps-per-epoch", "2", "--runs", str(tmp_path)])
    assert "--references train whole epochs" in capsys.readouterr().err
    pytest.importorskip("torch")
    with pytest.raises(SystemExit):
        results_table.main(["--references", "began", "--runs", str(tmp_path)])
    assert "no PyTorch reference for ['began']" in capsys.readouterr().err


def test_results_table_puts_the_pytorch_reference_beside_ours(tiny_classifier, tmp_path, capsys):
    pytest.importorskip("torch")
    results_table = _results_table()
    out = tmp_path / "docs"
    argv = ["--variants", "gan", "--references", "gan", "--epochs", "1", "--n", "60", "--classifier",
            tiny_classifier[1], "--data-dir", SUBSET, "--out", str(out), "--verbose", "0", "--no-xla", "--runs",
            str(tmp_path / "runs")]
    assert results_table.main(argv) == 0
    assert results_table.main(argv) == 0  # the finished reference run is reused, not trained again
    assert "torch_gan: reusing" in capsys.readouterr().out
    table = (out / "results.md").read_text()
    assert "| gan |" in table and "| gan (PyTorch reference) |" in table and "results/torch_gan.png" in table
    numbers = json.loads((out / "results.json").read_text())["variants"]
    samples = np.load(tmp_path / "runs" / "torch_gan.npy")
    assert samples.shape == (60, 28, 28, 1) and np.isfinite(numbers["torch_gan"]["fid"])
    assert (out / "results" / "torch_gan.png").exists()


def test_evaluate_samples_gives_the_numbers_of_the_checkpoint_that_wrote_them(real, tiny_classifier, tmp_path):
    classifier, _ = tiny_classifier
    model = tiny(keras_gans.GAN)
    options = dict(classifier=classifier, real_test=real["test"], real_train=real["train"], subset_size=50, seed=3)
    from_model = evaluate.evaluate_model(model, n=120, **options)
    images, _ = evaluate.generate_for_evaluation(model, 120, seed=3)
    np.save(tmp_path / "samples.npy", images)
    from_file = evaluate.evaluate_samples(np.load(tmp_path / "samples.npy"), **options)
    from_file.pop("probabilities")
    assert from_file == from_model
    with pytest.raises(ValueError, match=r"takes images of shape \(28, 28, 1\)"):
        evaluate.evaluate_samples(images[:, :14, :14], **options)


def test_precision_recall_density_coverage_on_points_with_known_answers():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])  # nearest-neighbour radius (k=1) of every real point: 1
    fake = np.array([[0.5], [10.0]])                # radius of each fake (k=1): 9.5
    # 0.5 lies in the balls of 0 and 1; 10 in none. Every real point lies within 9.5 of 0.5.
    assert metrics.precision_recall(real, fake, k=1) == (0.5, 1.0)
    assert metrics.density_coverage(real, fake, k=1) == (1.0, 0.5)
    rng = np.random.default_rng(0)
    cluster = rng.normal(size=(300, 4))
    far = cluster + 50.0
    # Samples from one of two real clusters: all look real, half the data is covered.
    assert metrics.precision_recall(np.concatenate([cluster, far]), cluster) == (1.0, 0.5)
    assert metrics.density_coverage(np.concatenate([cluster, far]), cluster)[1] == 0.5
    assert metrics.precision_recall(cluster, far) == (0.0, 0.0)
    with pytest.raises(ValueError, match="more than k"):
        metrics.knn_radii(real, k=4)
