"""The `keras-gans` command line, end to end on the real Fashion-MNIST subset."""
import csv
import json
import signal
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


def test_lr_decay_linear_falls_to_zero_at_the_end_of_the_run_and_resumes_along_it(tmp_path, capsys):
    # d_steps=2: D's optimizer takes two updates per fit step, so its schedule is twice as long in its own count.
    out = tmp_path / "run"
    argv = ["train", "gan", "--data-dir", SUBSET, "--epochs", "2", "--steps-per-epoch", "2", "--batch-size", "16",
            "--architecture", "mlp", "--latent-dim", "8", "--no-xla", "--set", "d_steps=2", "--d-lr", "0.004",
            "--lr-decay", "linear", "--out", str(out), "--verbose", "0"]
    assert cli.main(argv) == 0
    model = keras_gans.GAN.load(str(out / "model.keras"))
    assert int(model.g_optimizer.iterations) == 4 and int(model.d_optimizer.iterations) == 8
    # Linear from the start to 0 after the run's 4 G and 8 D updates; the schedule is saved with the optimizer.
    assert float(model.d_optimizer.learning_rate) == 0.0 == float(model.g_optimizer.learning_rate)
    d_schedule = model.d_optimizer.get_config()["learning_rate"]["config"]
    assert d_schedule["initial_learning_rate"] == pytest.approx(4e-3) and d_schedule["decay_steps"] == 8
    run = json.loads((out / "run.json").read_text())
    assert run["lr_decay"] == "linear" and run["d_lr"] == pytest.approx(4e-3) and run["g_lr"] == pytest.approx(1e-3)
    capsys.readouterr()
    # Nothing left to train at rate 0, and the rates cannot be set against the schedule: one line each.
    resume = ["train", "gan", "--out", str(out), "--resume", "--verbose", "0"]
    assert cli.main(resume) == 2
    assert "decayed (--lr-decay) to 0" in capsys.readouterr().err
    model.d_optimizer.iterations.assign(4)  # half-way for D ...
    model.g_optimizer.iterations.assign(2)  # ... and for G
    model.step_counter.assign(2)
    model.save(out / "model.keras")
    assert cli.main(resume + ["--g-lr", "0.01"]) == 2
    err = capsys.readouterr().err
    assert "--g-lr: this run's rates follow --lr-decay linear" in err and len(err.strip().splitlines()) == 1
    assert float(keras_gans.GAN.load(str(out / "model.keras")).d_optimizer.learning_rate) == pytest.approx(2e-3)
    assert cli.main(resume + ["--epochs", "1"]) == 0
    model = keras_gans.GAN.load(str(out / "model.keras"))
    assert int(model.step_counter) == 4 and float(model.g_optimizer.learning_rate) == 0.0
    assert cli.main(argv + ["--overwrite", "--lr-decay", "none"]) == 0
    model = keras_gans.GAN.load(str(out / "model.keras"))
    assert float(model.d_optimizer.learning_rate) == pytest.approx(4e-3)

def test_every_epoch_of_steps_per_epoch_trains_all_its_steps(tmp_path):
    # 400 images in batches of 16 are 25 batches a pass; two epochs of 20 steps outrun it: the data repeat
    # rather than cut the second epoch short at the end of the pass.
    out = tmp_path / "run"
    assert cli.main(["train", "gan", "--data-dir", SUBSET, "--epochs", "2", "--steps-per-epoch", "20",
                     "--batch-size", "16", "--architecture", "mlp", "--latent-dim", "8", "--no-xla",
                     "--out", str(out), "--verbose", "0"]) == 0
    model = keras_gans.GAN.load(str(out / "model.keras"))
    assert int(model.step_counter.numpy()) == 40 == int(model.g_optimizer.iterations.numpy())


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
    for argv in (["sample", "m.keras"], ["bench"]):
        args = parser.parse_args(argv + ["--data-dir", "idx"])
        assert args.dataset == "fashion_mnist" and args.data_dir == "idx", argv
    # evaluate leaves it None, so that images the classifier cannot judge are not compared with Fashion-MNIST
    # by default; the classifier path fills in fashion_mnist.
    assert parser.parse_args(["evaluate", "--data-dir", "idx"]).dataset is None
    for argv in (["sample", "m.keras"], ["evaluate"], ["toy", "gan"]):
        assert parser.parse_args(argv).seed == 0 and parser.parse_args(argv + ["--seed", "3"]).seed == 3, argv
    # train leaves them None, so that --resume can tell an option given from one left out; a new run fills
    # in the same defaults.
    args = parser.parse_args(["train", "gan"])
    assert args.dataset is None and args.seed is None and args.batch_size is None
    assert cli.RUN_DEFAULTS["dataset"] == "fashion_mnist" and cli.RUN_DEFAULTS["seed"] == 0
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


# ------------------------------------------------------------------------------- bad input, one line
# Every input a user can get wrong, run through the command line in-process: exit status 2 and one line on
# stderr that says what was wrong. {tmp} is an empty temporary directory, {ckpt} a tiny GAN checkpoint,
# {run} a directory that already holds a run, {file} a plain file.
TRAIN = ["train", "gan", "--data-dir", SUBSET, "--batch-size", "16", "--steps-per-epoch", "1", "--architecture", "mlp",
         "--no-xla", "--verbose", "0", "--out", "{tmp}/run"]
BAD_INPUT = [
    # parsed: numbers out of range, malformed values
    (["sample", "{ckpt}", "--n", "0"], "argument --n: must be at least 1, got 0"),
    (["sample", "{ckpt}", "--n", "-5"], "must be at least 1, got -5"),
    (["sample", "{ckpt}", "--n", "ten"], "expected a whole number, got 'ten'"),
    (["sample", "{ckpt}", "--n", "100000000"], "would need 292.1 GiB"),
    (["sample", "{ckpt}", "--columns", "0"], "argument --columns: must be at least 1"),
    (["sample", "{ckpt}", "--interpolate", "0"], "argument --interpolate: must be at least 1"),
    (["sample", "{ckpt}", "--interpolate", "2", "--steps", "1"], "argument --steps: must be at least 2"),
    (["sample", "{ckpt}", "--traverse", "-1"], "argument --traverse: must be at least 0"),
    (["toy", "gan", "--steps", "0"], "argument --steps: must be at least 1"),
    (["toy", "gan", "--n", "0"], "argument --n: must be at least 1"),
    (["toy", "gan", "--n", "1000000000"], "points of dimension 2 would need 7.5 GiB"),
    (["toy", "gan", "--size", "100000"], "argument --size: must be at most 8192"),
    (["toy", "gan", "--plot-every", "0"], "argument --plot-every"),
    (["toy", "gan", "--batch-size", "-1"], "argument --batch-size"),
    (["train", "gan", "--epochs", "0"], "argument --epochs: must be at least 1, got 0"),
    (["train", "gan", "--batch-size", "0"], "argument --batch-size: must be at least 1"),
    (["train", "gan", "--steps-per-epoch", "0"], "argument --steps-per-epoch"),
    (["train", "gan", "--latent-dim", "0"], "argument --latent-dim"),
    (["train", "gan", "--sample-every", "0"], "argument --sample-every"),
    (["train", "sgan", "--labeled-per-class", "0"], "argument --labeled-per-class"),
    (["train", "gan", "--d-lr", "-1"], "argument --d-lr: must be a finite number > 0"),
    (["train", "gan", "--g-lr", "nan"], "argument --g-lr: must be a finite number > 0"),
    (["train", "gan", "--seed", "-1"], "argument --seed: must be at least 0"),
    (["train", "gan", "--verbose", "3"], "argument --verbose: invalid choice"),
    (["train", "gan", "--precision", "fp8"], "argument --precision: invalid choice: 'fp8'"),
    (["train", "gan", "--set", "d_steps"], "expected KEY=VALUE"),
    (["train", "no_such_variant"], "argument variant: invalid choice: 'no_such_variant'"),
    (["evaluate", "--n", "0"], "argument --n: must be at least 1"),
    (["evaluate", "--classifier-epochs", "0"], "argument --classifier-epochs"),
    (["bench", "--steps", "0"], "argument --steps"),
    (["bench", "--warmup", "-1"], "argument --warmup"),
    ([], "the following arguments are required: command"),
    # --set: options of their own, arguments a game sets itself or does not take, values it refuses
    (TRAIN + ["--set", "seed=1"], "--set seed: use --seed"),
    (["train", "wgan"] + TRAIN[2:] + ["--set", "d_steps=2"], "WGAN sets d_steps itself; its own options are n_critic"),
    (TRAIN + ["--set", "foo=1"], "--set foo: GAN takes no argument 'foo'"),
    (TRAIN + ["--set", "classifier_ema=0.9"], "--set classifier_ema: GAN takes no argument 'classifier_ema'"),
    (TRAIN + ["--set", "loss=nope"], "--set loss='nope': loss must be one of"),
    (TRAIN + ["--set", "d_steps=many"], "--set d_steps='many'"),
    (TRAIN + ["--set", "generator=3"], "--set generator: networks are built by the command"),
    (["toy", "gan", "--set", "seed=1"], "--set seed: use --seed"),
    (["toy", "gan", "--set", "architecture=mlp"], "the toy's networks are its own"),
    # --out, --resume, --overwrite
    (TRAIN + ["--out", "{run}"], "pass --resume to continue it or --overwrite to replace it"),
    (TRAIN + ["--out", "{run}", "--resume", "--overwrite"], "pass one of them"),
    (TRAIN + ["--resume"], "Nothing to resume"),
    (TRAIN + ["--out", "{file}"], "is a file, not a directory"),
    (TRAIN + ["--out", "{file}/run"], "Cannot create --out"),
    # the data
    (TRAIN + ["--data-dir", "{tmp}/no_such_dir"], "does not exist"),
    (["train", "gan", "--dataset", "no_such_set", "--out", "{tmp}/run"], "Unknown dataset"),
    (TRAIN + ["--batch-size", "1000"], "fewer than one batch of 1000"),
    (TRAIN + ["--labeled-per-class", "2"], "--labeled-per-class is for the semi-supervised variants (catgan, sgan)"),
    # checkpoints and output files
    (["sample", "{tmp}/nothing.keras", "--out", "{tmp}/grid.png"], "No checkpoint"),
    (["sample", "{file}", "--out", "{tmp}/grid.png"], "Could not read the checkpoint"),
    (["sample", "{ckpt}", "--out", "{tmp}"], "is a directory"),
    (["sample", "{ckpt}", "--interpolate", "2000", "--steps", "1000", "--out", "{tmp}/grid.png"],
     "--interpolate x --steps: 2000000 images of 28x28x1 would need 5.8 GiB"),
    (["sample", "{ckpt}", "--traverse", "0", "--out", "{tmp}/grid.png"],
     "has no categorical and continuous latent codes"),
    (["evaluate"], "needs a CHECKPOINT"),
    (["evaluate", "{ckpt}", "--json", "{tmp}/missing/numbers.json"], "does not exist"),
    (["evaluate", "{ckpt}", "--classifier", "{ckpt}", "--data-dir", SUBSET],
     "is a GAN checkpoint (GAN), not a quality classifier"),
    (["bench", "nogan", "--steps", "1"], "Unknown variant(s) nogan"),
]


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    from conftest import tiny

    path = tmp_path_factory.mktemp("checkpoint") / "gan.keras"
    tiny(keras_gans.GAN).save(path)
    return str(path)


def _fill(argv, tmp_path, checkpoint):
    run = tmp_path / "previous_run"
    run.mkdir()
    (run / "history.csv").write_text("epoch\n0\n")
    (tmp_path / "a_file").write_text("not a directory, not a checkpoint")
    places = {"{tmp}": str(tmp_path), "{ckpt}": checkpoint, "{run}": str(run), "{file}": str(tmp_path / "a_file")}
    # A later --out or --data-dir replaces the one in TRAIN: argparse keeps the last.
    for key, value in places.items():
        argv = [arg.replace(key, value) for arg in argv]
    return argv


@pytest.mark.parametrize("argv, phrase", BAD_INPUT, ids=[f"{argv[:1]} {phrase[:40]}" for argv, phrase in BAD_INPUT])
def test_bad_input_is_one_line_and_exit_status_2(argv, phrase, tmp_path, tiny_checkpoint, capsys, monkeypatch):
    monkeypatch.setenv("KERAS_GANS_CACHE", str(tmp_path / "empty-cache"))
    assert cli.main(_fill(argv, tmp_path, tiny_checkpoint)) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("keras-gans") and "error: " in lines[0], lines
    assert phrase in lines[0]
    assert "Traceback" not in lines[0]


def test_debug_shows_the_traceback(tmp_path, capsys):
    for argv in (["--debug", "sample", str(tmp_path / "nothing.keras")], ["sample", str(tmp_path / "nothing.keras"),
                                                                        "--debug"]):
        with pytest.raises(FileNotFoundError, match="No checkpoint"):
            cli.main(argv)
    assert cli.main(["sample", str(tmp_path / "nothing.keras")]) == 2


# ------------------------------------------------------------------------------ runs: never overwritten
def _files(directory):
    return {path.relative_to(directory).as_posix(): path.read_bytes() for path in directory.rglob("*")
            if path.is_file()}


def test_a_run_is_replaced_only_with_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in TRAIN]
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert cli.main(argv + ["--latent-dim", "8"]) == 0
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers  # train's are gone
    (out / "notes.txt").write_text("mine")
    before = _files(out)
    assert {"model.keras", "history.csv", "run.json", "samples/epoch_001.png"} <= set(before)
    capsys.readouterr()
    assert cli.main(argv + ["--latent-dim", "4"]) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--resume" in err and "--overwrite" in err
    assert _files(out) == before  # nothing touched
    assert cli.main(argv + ["--latent-dim", "4", "--overwrite", "--sample-every", "2"]) == 0
    after = _files(out)
    assert after["notes.txt"] == b"mine"  # only the run's own files go
    assert "samples/epoch_001.png" not in after  # the old run's grid went with it (this one samples every 2)
    assert keras_gans.GAN.load(str(out / "model.keras")).latent_dim == 4
    assert len(list(csv.DictReader(open(out / "history.csv")))) == 1
    assert json.loads((out / "run.json").read_text())["latent_dim"] == 4


def test_resume_refuses_drift_and_applies_what_may_change(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in TRAIN]
    assert cli.main(argv + ["--set", "loss=minimax", "--latent-dim", "8", "--steps-per-epoch", "2"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["variant"] == "gan" and run["batch_size"] == 16 and run["options"] == {"loss": "minimax"}
    assert run["latent_dim"] == 8 and run["steps_per_epoch"] == 2 and run["d_lr"] == pytest.approx(2e-4)
    checkpoint = (out / "model.keras").read_bytes()
    capsys.readouterr()

    resume = ["train", "gan", "--out", str(out), "--resume", "--verbose", "0"]
    # Options that would make it another run: refused, each named with both values, nothing touched.
    assert cli.main(resume + ["--batch-size", "32", "--set", "loss=non_saturating", "--seed", "3",
                              "--set", "d_steps=2", "--latent-dim", "8"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert ("--batch-size: run has 16, given 32" in err and "--set loss: run has minimax, given non_saturating" in err
            and "--seed: run has 0, given 3" in err and "--set d_steps: run has the variant's default, given 2" in err)
    assert "--latent-dim" not in err  # given, but the same as the run's
    assert cli.main(["train", "wgan"] + resume[2:]) == 2
    assert "variant: run has gan, given wgan" in capsys.readouterr().err
    assert (out / "model.keras").read_bytes() == checkpoint

    # Learning rates and XLA may change; options left out are the run's (data, batch size, steps per epoch).
    model = keras_gans.GAN.load(str(out / "model.keras"))  # make the run's checkpoint an XLA one, untrained
    model.compile(d_optimizer=model.d_optimizer, g_optimizer=model.g_optimizer, jit_compile=True)
    model.save(out / "model.keras")
    assert cli.main(resume + ["--d-lr", "0.003", "--no-xla"]) == 0
    out_text = capsys.readouterr().out
    assert "--d-lr 0.0002 -> 0.003" in out_text and "XLA off" in out_text
    model = keras_gans.GAN.load(str(out / "model.keras"))
    assert float(model.d_optimizer.learning_rate.numpy()) == pytest.approx(3e-3)
    assert float(model.g_optimizer.learning_rate.numpy()) == pytest.approx(1e-3)  # the run's: GAN's default G rate
    assert model.jit_compile is False and model.generator_objective == "minimax"
    assert int(model.step_counter.numpy()) == 4 == int(model.g_optimizer.iterations.numpy())  # 2 + 2 steps
    run = json.loads((out / "run.json").read_text())
    assert run["d_lr"] == pytest.approx(3e-3) and run["no_xla"] is True and run["batch_size"] == 16
    assert [row["epoch"] for row in csv.DictReader(open(out / "history.csv"))] == ["0", "1"]


def test_precision_bf16_trains_in_bfloat16_with_float32_samples_and_resumes_in_it(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "gan", "--data-dir", SUBSET, "--batch-size", "16", "--steps-per-epoch", "1", "--architecture",
            "mlp", "--latent-dim", "8", "--set", "ema=0.9", "--verbose", "0", "--out", str(out)]
    assert cli.main(argv + ["--precision", "bf16"]) == 0
    assert "XLA off" in capsys.readouterr().out  # bfloat16 on CPU: TensorFlow's kernels, not XLA's
    assert keras.config.dtype_policy().name == "float32"  # the run's policy ended with it
    assert json.loads((out / "run.json").read_text())["precision"] == "bf16"
    assert (out / "samples" / "epoch_001.png").is_file()
    model = keras_gans.GAN.load(str(out / "model.keras"))
    # Every layer with weights computes in bfloat16 (input layers take the session's policy when loaded); the
    # output layer and the generator's averaged weights are float32, and no loss scaling (that is float16's).
    assert {layer.compute_dtype for layer in model.generator.layers if layer.weights} == {"bfloat16"}
    assert model.generator.output.dtype == "float32" and {w.dtype for w in model.ema_weights} == {"float32"}
    assert not isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    samples = model.generate(4, seed=0)
    assert samples.dtype == np.float32 and np.all(np.isfinite(samples))
    capsys.readouterr()

    resume = ["train", "gan", "--out", str(out), "--resume", "--verbose", "0"]
    assert cli.main(resume + ["--precision", "float32"]) == 2
    assert "--precision: run has bf16, given float32" in capsys.readouterr().err
    assert cli.main(resume) == 0  # the run's precision
    model = keras_gans.GAN.load(str(out / "model.keras"))
    assert int(model.step_counter.numpy()) == 2 and model.generator.get_layer("dense_0").compute_dtype == "bfloat16"
    assert json.loads((out / "run.json").read_text())["precision"] == "bf16"


def test_a_run_without_a_checkpoint_does_not_claim_one(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in TRAIN]
    assert cli.main(argv + ["--d-lr", "1e30", "--g-lr", "1e30"]) == 1  # diverges at its first step
    err = capsys.readouterr().err
    assert "training diverged" in err and "no checkpoint was written" in err and "Trained" not in err
    assert not (out / "model.keras").exists()
    assert cli.main(argv + ["--resume"]) == 2
    assert "has no checkpoint to resume" in capsys.readouterr().err


def test_train_batches_at_the_games_own_size_unless_told(tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (128, 28, 28, 1)).astype("float32")
    assert keras_gans.BEGAN.training_dataset(images).element_spec.shape[0] == 16 == keras_gans.BEGAN.default_batch_size
    assert keras_gans.GAN.training_dataset(images).element_spec.shape[0] == 64
    assert keras_gans.BEGAN.training_dataset(images, batch_size=8).element_spec.shape[0] == 8
    out = tmp_path / "began"
    argv = ["train", "began", "--data-dir", SUBSET, "--steps-per-epoch", "1", "--architecture", "mlp",
            "--latent-dim", "8", "--verbose", "0", "--out", str(out)]
    assert cli.main(argv) == 0
    assert json.loads((out / "run.json").read_text())["batch_size"] == 16


@pytest.mark.parametrize("variant", ["catgan", "acgan", "sgan"])
def test_set_takes_the_arguments_of_a_games_mixins(variant):
    """--set reaches every keyword a game's classes take, its mixins' too (ClassifierMixin's classifier_ema)."""
    own, _ = cli._constructor_arguments(keras_gans.VARIANTS[variant])
    assert "classifier_ema" in own
    cli._check_set_options({"classifier_ema": 0.9}, keras_gans.VARIANTS[variant])
