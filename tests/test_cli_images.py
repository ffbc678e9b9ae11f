"""`keras-gans train --images`: your own colour images through the command line, the curves.png of a run and
`keras-gans plot`, end to end on tiny folders of tinted Fashion-MNIST garments (3 classes x 4 images, 32 px)."""
import csv
import json
import shutil

import numpy as np
import pytest
from PIL import Image

import keras_gans
from conftest import SUBSET
from keras_gans import cli, data, plots
from test_folders import tinted_folder

FAST = ["--steps-per-epoch", "1", "--epochs", "1", "--batch-size", "4", "--no-xla", "--verbose", "0"]
# n_critic x batch images per step: two critic updates take 8 of the 12 images (regrouped batches from a folder).
VARIANT_OPTIONS = {"dcgan": [], "cgan": [], "wgan_gp": ["--set", "n_critic=2"]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tinted_folder(tmp_path_factory.mktemp("images") / "clothes", fashion=data.load_idx(SUBSET, "train"))


@pytest.fixture(scope="module")
def runs(folder, tmp_path_factory):
    """One trained run per variant on the colour folder: {variant: its --out directory}."""
    root, found = tmp_path_factory.mktemp("runs"), {}
    for variant, options in VARIANT_OPTIONS.items():
        out = root / variant
        code = cli.main(["train", variant, "--images", str(folder), "--image-size", "32", "--out", str(out)]
                        + FAST + options)
        assert code == 0, variant
        found[variant] = out
    return found


def _is_colour(path):
    """Whether the PNG at `path` is RGB with channels that differ (a grey grid saved as RGB is not colour)."""
    image = Image.open(path)
    pixels = np.asarray(image.convert("RGB")).astype(int)
    return image.mode == "RGB" and np.abs(pixels[..., 0] - pixels[..., 2]).max() > 0


@pytest.mark.parametrize("variant", sorted(VARIANT_OPTIONS))
def test_train_on_a_colour_folder_builds_colour_networks_grids_and_curves(variant, runs, folder, tmp_path):
    out = runs[variant]
    model = keras_gans.GANModel.load(str(out / "model.keras"))
    assert tuple(model.image_shape) == (32, 32, 3)
    if variant == "cgan":
        assert model.num_classes == 3  # the three class folders
    assert _is_colour(out / "samples" / "epoch_001.png")
    assert Image.open(out / "curves.png").format == "PNG"
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert len(rows) == 1
    run = json.load(open(out / "run.json"))
    assert run["images"] == str(folder) and run["image_size"] == 32 and run["dataset"] is None

    grid = tmp_path / "grid.png"
    assert cli.main(["sample", str(out / "model.keras"), "--n", "6", "--out", str(grid)]) == 0
    assert _is_colour(grid)


def test_sample_interpolates_and_finds_nearest_images_of_a_colour_checkpoint(runs, folder, tmp_path, capsys):
    checkpoint = str(runs["dcgan"] / "model.keras")
    walk = tmp_path / "walk.png"
    assert cli.main(["sample", checkpoint, "--interpolate", "2", "--steps", "3", "--out", str(walk)]) == 0
    assert _is_colour(walk) and Image.open(walk).size == (3 * 33 + 1, 2 * 33 + 1)
    pairs = tmp_path / "pairs.png"
    assert cli.main(["sample", checkpoint, "--nearest", "--images", str(folder), "--n", "4", "--columns", "4",
                     "--out", str(pairs)]) == 0
    assert "Mean L2 distance to the nearest training image" in capsys.readouterr().out
    assert _is_colour(pairs) and Image.open(pairs).size == (4 * 33 + 1, 2 * 33 + 1)  # 4 samples, 4 neighbours
    # Every other image of the grid is one of the folder's own images.
    grid = np.asarray(Image.open(pairs))
    neighbour = grid[1:33, 34:66]
    own = data.load_arrays(str(folder))[0]
    assert min(np.abs(neighbour.astype(int) - image.astype(int)).max() for image in own) <= 1
    assert cli.main(["sample", checkpoint, "--images", str(folder), "--out", str(pairs)]) == 2
    assert "read for --nearest only" in capsys.readouterr().err


def test_an_exported_colour_cgan_serves_colour_images(runs, tmp_path):
    import tensorflow as tf

    model = keras_gans.CGAN.load(str(runs["cgan"] / "model.keras"))
    model.export(str(tmp_path / "served"))
    served = tf.saved_model.load(str(tmp_path / "served"))
    z = tf.random.normal((5, model.latent_dim))
    images = served.serve({"z": z, "labels": tf.constant([0, 1, 2, 0, 1], "int32")})
    assert tuple(images.shape) == (5, 32, 32, 3)


def test_plot_redraws_the_curves_of_a_run(runs, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(runs["dcgan"], run)
    (run / "curves.png").unlink()
    assert cli.main(["plot", str(run)]) == 0
    assert Image.open(run / "curves.png").format == "PNG"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["plot", str(empty)]) == 2
    err = capsys.readouterr().err.strip()
    assert "No history.csv in" in err and len(err.splitlines()) == 1


def test_the_curves_show_every_metric_of_history_csv(tmp_path):
    history = tmp_path / "history.csv"
    history.write_text("epoch,d_fake,d_loss,d_real,g_loss,classifier_fid\n0,0.4,1.3,0.6,0.8,120.5\n"
                       "1,0.45,1.25,0.58,0.9,\n2,0.3,1.1,0.7,1.2,80.1\n")
    path = plots.plot_history(str(history), str(tmp_path / "curves.png"))
    image = Image.open(path)
    # Three panels: losses, d_real / d_fake, and classifier_fid on a scale of its own.
    assert image.size == (plots.WIDTH, 3 * plots.PANEL_HEIGHT)
    colours = {tuple(pixel) for pixel in np.asarray(image.convert("RGB")).reshape(-1, 3)}
    for i in range(5):  # a line (and legend swatch) in the colour of each metric
        assert plots.COLOURS[i] in colours
    # An epoch logged twice (stopped, then trained again by --resume): the later row counts, in epoch order.
    history.write_text("epoch,d_loss,g_loss,val_d_loss\n0,1.0,2.0,NA\n1,9.0,9.0,NA\n1,3.0,4.0,NA\n")
    epochs, metrics = plots.read_history(str(history))
    assert epochs == [1, 2] and metrics["d_loss"] == [1.0, 3.0] and metrics["val_d_loss"] == [None, None]
    assert [names for _, names in plots.panels(metrics)] == [["d_loss", "g_loss"]]  # no empty val_ columns
    history.write_text("epoch,d_loss,g_loss\n0,1.0,2.0\n")
    assert Image.open(plots.plot_history(str(history), str(tmp_path / "one.png"))).size == (
        plots.WIDTH, plots.PANEL_HEIGHT)  # the losses alone


def _one_error(capsys):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_images_errors_are_one_line(runs, folder, tmp_path, capsys):
    out = ["--out", str(tmp_path / "run")]
    assert cli.main(["train", "dcgan", "--images", str(folder), "--dataset", "mnist"] + FAST + out) == 2
    assert "--images reads your own images and --dataset name other data" in _one_error(capsys)
    assert cli.main(["train", "dcgan", "--cache", str(tmp_path / "c.npz"), "--data-dir", SUBSET] + FAST + out) == 2
    assert "--cache keeps the decoded images of --images" in _one_error(capsys)

    flat = tmp_path / "flat"
    flat.mkdir()
    for i, png in enumerate(sorted(folder.glob("*/*.png"))):
        shutil.copy(png, flat / f"{i}.png")
    assert cli.main(["train", "cgan", "--images", str(flat)] + FAST + ["--out", str(tmp_path / "cgan")]) == 2
    assert "cgan is a conditional game: it needs class labels" in _one_error(capsys)

    # --resume refuses other data, like any other option that shaped the run.
    run = tmp_path / "resumed"
    shutil.copytree(runs["dcgan"], run)
    assert cli.main(["train", "dcgan", "--resume", "--image-size", "16", "--out", str(run)] + FAST) == 2
    assert "--image-size: run has 32, given 16" in _one_error(capsys)

    checkpoint = str(runs["dcgan"] / "model.keras")
    assert cli.main(["evaluate", checkpoint, "--n", "10"]) == 2
    assert "32x32x3 images are judged against real images of their kind: pass --images PATH" in _one_error(capsys)
    assert cli.main(["evaluate", checkpoint, "--images", str(folder), "--inception-weights",
                     str(tmp_path / "missing.weights.h5")]) == 2
    err = _one_error(capsys)
    assert "judged on Inception-v3 features" in err and "--inception-weights FILE.h5" in err


def test_evaluate_judges_colour_samples_on_inception_features(runs, folder, tmp_path, capsys):
    """The Inception path end to end, offline: an InceptionV3 of random weights saved to a file stands in for the
    ImageNet one (the path is the same; only the numbers would differ)."""
    import keras

    weights = tmp_path / "inception_v3_notop.weights.h5"
    keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg",
                                   input_shape=(299, 299, 3)).save_weights(str(weights))
    report = tmp_path / "eval.json"
    assert cli.main(["evaluate", str(runs["dcgan"] / "model.keras"), "--images", str(folder), "--image-size", "32",
                     "--n", "6", "--inception-weights", str(weights), "--json", str(report)]) == 0
    assert "Inception FID" in capsys.readouterr().out
    results = json.loads(report.read_text())
    assert results["n"] == 6 and results["num_real"] == 6  # --n real images of the folder's 12
    assert np.isfinite(results["inception_fid"]) and results["inception_fid"] > 0
    assert 0 <= results["precision"] <= 1 and 0 <= results["knn_coverage"] <= 1


def test_tfds_colour_datasets_through_the_cli(tmp_path):
    """The TFDS names users try, with mock data: CIFAR-10's labels condition CGAN; CelebA's 218x178 photos are
    centre-cropped to 32 px for an unconditional DCGAN, and the run remembers how they were read."""
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=8):
        assert cli.main(["train", "cgan", "--dataset", "cifar10", "--out", str(tmp_path / "cifar10")] + FAST) == 0
        assert cli.main(["train", "dcgan", "--dataset", "celeb_a", "--image-size", "32", "--out",
                         str(tmp_path / "celeb_a")] + FAST) == 0
    assert keras_gans.GANModel.load(str(tmp_path / "cifar10" / "model.keras")).image_shape == (32, 32, 3)
    celeb_a = keras_gans.GANModel.load(str(tmp_path / "celeb_a" / "model.keras"))
    assert celeb_a.image_shape == (32, 32, 3) and celeb_a.generate(2, seed=0).shape == (2, 32, 32, 3)
    run = json.loads((tmp_path / "celeb_a" / "run.json").read_text())
    assert run["dataset"] == "celeb_a" and run["image_size"] == 32
