"""The `keras-gans` command line, end to end on the real Fashion-MNIST subset."""
import csv
import subprocess
import sys
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from PIL import Image

import keras_gans
from conftest import SUBSET
from keras_gans import cli, networks


def test_train_writes_samples_and_a_checkpoint_that_sample_reads(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli.main(["train", "cgan", "--data-dir", SUBSET, "--epochs", "2", "--steps-per-epoch", "2",
                     "--batch-size", "16", "--architecture", "mlp", "--latent-dim", "8", "--out", str(out),
                     "--verbose", "0", "--set", "d_steps=2"])
    assert code == 0
    grid = Image.open(out / "samples" / "epoch_002.png")
    assert grid.size == (10 * 29 + 1, 10 * 29 + 1)  # conditional: one row of 10 per class, 1 px gaps
    model = keras_gans.CGAN.load(str(out / "model.keras"))
    assert model.num_classes == 10 and model.d_steps == 2 and model.latent_dim == 8
    assert int(model.g_optimizer.iterations.numpy()) == 4 and int(model.d_optimizer.iterations.numpy()) == 8
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert len(rows) == 2 and all(np.isfinite(float(row["d_loss"])) for row in rows)

    png = tmp_path / "grid.png"
    # The installed console script, in a fresh process.
    run = subprocess.run([sys.executable, "-m", "keras_gans.cli", "sample", str(out / "model.keras"), "--n", "20",
                          "--out", str(png)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert Image.open(png).size == (2 * 29 + 1, 10 * 29 + 1)


def test_train_learning_rates_and_options_reach_the_model(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "gan", "--data-dir", SUBSET, "--steps-per-epoch", "1", "--batch-size", "16",
                     "--architecture", "mlp", "--d-lr", "0.001", "--g-lr", "0.003", "--set", "loss=minimax",
                     "--no-xla", "--out", str(out), "--verbose", "0"]) == 0
    model = keras_gans.GAN.load(str(out / "model.keras"))
    assert model.generator_objective == "minimax"
    assert float(model.d_optimizer.learning_rate.numpy()) == pytest.approx(1e-3)
    assert float(model.g_optimizer.learning_rate.numpy()) == pytest.approx(3e-3)
    assert model.jit_compile is False


def test_errors_are_one_line_with_the_fix(tmp_path, capsys):
    assert cli.main(["sample", str(tmp_path / "nothing.keras")]) == 2
    assert "No checkpoint" in capsys.readouterr().err
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    assert cli.main(["sample", str(broken)]) == 2
    assert "Could not read the checkpoint" in capsys.readouterr().err
    assert cli.main(["train", "gan", "--dataset", "no_such_set", "--out", str(tmp_path / "x")]) == 2
    assert "Unknown dataset" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["train", "no_such_variant"])


def test_semi_supervised_training_reports_test_accuracy_and_resumes(tmp_path, capsys):
    out = tmp_path / "sgan"
    common = ["--data-dir", SUBSET, "--steps-per-epoch", "2", "--batch-size", "8", "--architecture", "mlp",
              "--latent-dim", "8", "--no-xla", "--out", str(out), "--verbose", "0"]
    assert cli.main(["train", "sgan", "--labeled-per-class", "2", "--epochs", "1"] + common) == 0
    assert "Test accuracy of the discriminator's classifier" in capsys.readouterr().out
    assert cli.main(["train", "sgan", "--labeled-per-class", "2", "--epochs", "1", "--resume"] + common) == 0
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert [row["epoch"] for row in rows] == ["0", "1"] and all(0 <= float(r["val_accuracy"]) <= 1 for r in rows)
    model = keras_gans.SGAN.load(str(out / "model.keras"))
    assert int(model.step_counter.numpy()) == 4 == int(model.g_optimizer.iterations.numpy())
    assert cli.main(["train", "gan", "--labeled-per-class", "2"] + common) == 2
    assert "--labeled-per-class is for the semi-supervised variants (catgan, sgan)" in capsys.readouterr().err


def test_shared_options_keep_their_defaults_on_every_command():
    parser = cli._parser()
    for argv in (["train", "gan"], ["sample", "m.keras"], ["evaluate"], ["bench"]):
        args = parser.parse_args(argv + ["--data-dir", "idx"])
        assert args.dataset == "fashion_mnist" and args.data_dir == "idx", argv
    for argv in (["train", "gan"], ["sample", "m.keras"], ["evaluate"], ["toy", "gan"]):
        assert parser.parse_args(argv).seed == 0 and parser.parse_args(argv + ["--seed", "3"]).seed == 3, argv
    for argv in (["train", "gan"], ["toy", "gan"]):
        args = parser.parse_args(argv + ["--set", "d_steps=2", "--set", "loss=minimax"])
        assert args.options == [("d_steps", 2), ("loss", "minimax")], argv
    assert parser.parse_args(["toy", "gan"]).dataset == "ring"  # the toy's own --dataset, a 2-D mixture
    for architecture in networks.architectures():  # every registered one, gan_paper and toy included
        assert parser.parse_args(["train", "gan", "--architecture", architecture]).architecture == architecture


def test_resume_counts_epochs_from_the_checkpoint_step_counter():
    import tensorflow as tf

    model = SimpleNamespace(step_counter=keras.Variable(12, dtype="int64"), d_steps=2)
    batches = tf.data.Dataset.range(8)  # 8 batches, 2 per fit step: 4 steps per epoch
    assert cli.completed_epochs(model, batches) == 3
    assert cli.completed_epochs(model, batches, steps_per_epoch=6) == 2
    assert cli.completed_epochs(model, batches.repeat(), steps_per_epoch=6) == 2
    for endless in (batches.repeat(), batches.filter(lambda x: x > 2)):  # infinite, unknown length
        with pytest.raises(ValueError, match="pass --steps-per-epoch"):
            cli.completed_epochs(model, endless)
