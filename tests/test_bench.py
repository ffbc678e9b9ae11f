"""`keras-gans bench`: well-formed rows on a couple of steps (timings are not asserted), the FLOP count, the
contention verdict on known numbers, the end-to-end epoch, the precisions, and the PyTorch baselines."""
import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gans
from conftest import SUBSET
from keras_gans import bench, cli, networks, penalties

ROW_NUMBERS = ("images_per_s", "g_updates_per_s", "d_updates_per_s", "compile_s", "gflops", "pct_of_matmul")
# A small matmul probe: the tests check what is reported, not how fast the machine is.
PROBE = dict(matmul_size=128, matmul_repeats=1)


def test_flop_count_of_the_infogan_networks():
    # By hand, multiply-adds per sample: G 62*1024 + 1024*6272 + 7*7*128*(4*4*64) + 14*14*64*(4*4*1);
    # D 14*14*64*(4*4*1) + 7*7*128*(4*4*64) + 6272*1024 + 1024.
    assert bench.network_flops(networks.infogan_generator()) == 2 * (62 * 1024 + 1024 * 6272 + 6272 * 1024 + 200704)
    assert bench.network_flops(networks.infogan_discriminator()) == 2 * (200704 + 6422528 + 6422528 + 1024)
    gan, wgan_gp = bench.build("gan"), bench.build("wgan_gp")
    f_g, f_d = bench.network_flops(gan.generator), bench.network_flops(gan.discriminator)
    # D: G forward on B + D forward/backward on 2B; G: G forward/backward on B + D forward and input
    # gradient on B, or on 2B where D sees the real batch beside the fakes (joint_batches, batch norm in D);
    # WGAN-GP adds 6 F_D B to the critic update and its critic has no BN.
    assert bench.update_flops(gan, 64) == (f_g * 64 + 3 * f_d * 128, 3 * f_g * 64 + 2 * f_d * 64)
    joint = keras_gans.GAN(image_shape=(28, 28, 1), seed=0, joint_batches=True)
    assert bench.update_flops(joint, 64) == (f_g * 64 + 3 * f_d * 128, 3 * f_g * 64 + 2 * f_d * 128)
    assert bench.update_flops(wgan_gp, 64) == (f_g * 64 + 3 * f_d * 128 + 6 * f_d * 64, 3 * f_g * 64 + 2 * f_d * 64)


# ------------------------------------------------------------------------------------------- contention
def test_contention_reasons_on_known_numbers():
    quiet = dict(load_before=0.4, load_after=2.3, cores=2, own_load_after=2.0)
    assert bench.contention_reasons(400.0, 380.0, **quiet) == []  # 5% apart; 0.3 of the load is not ours
    # The probes: more than 10% of the faster apart, in either order, is contention; 9.5% is not.
    for before, after in ((400.0, 340.0), (340.0, 400.0)):
        (reason,) = bench.contention_reasons(before, after, **quiet)
        assert "matmul" in reason and "15%" in reason
    assert bench.contention_reasons(100.0, 90.5, **quiet) == []
    assert len(bench.contention_reasons(100.0, 89.0, **quiet)) == 1
    # The load average before the runs is all other processes'.
    (reason,) = bench.contention_reasons(400.0, 400.0, 2.5, 2.3, 2, own_load_after=2.0)
    assert "before" in reason and "2.50" in reason
    # After the runs, this process's own share is taken off first: 3.5 - 2.0 is within 2 cores, 3.5 - 1.0 not.
    assert bench.contention_reasons(400.0, 400.0, 0.4, 3.5, 2, own_load_after=2.0) == []
    (reason,) = bench.contention_reasons(400.0, 400.0, 0.4, 3.5, 2, own_load_after=1.0)
    assert "after" in reason and "3.50" in reason
    assert len(bench.contention_reasons(400.0, 400.0, 0.4, 2.1, 2)) == 1  # no share given: the load as it is
    # Everything at once; and no load average at all (a system without one) is not judged.
    assert len(bench.contention_reasons(400.0, 300.0, 3.0, 5.0, 2, own_load_after=1.0)) == 3
    assert bench.contention_reasons(400.0, 400.0, None, None, 2) == []


def test_own_load_follows_the_one_minute_average():
    # Two threads busy for ten minutes: the average has converged to 2.
    assert bench.own_load([(0.0, 0.0), (600.0, 1200.0)]) == pytest.approx(2.0, abs=1e-3)
    # One thread busy for the last 30 s: 1 - exp(-30 / 60) of it shows.
    assert bench.own_load([(0.0, 0.0), (30.0, 30.0)]) == pytest.approx(1 - math.exp(-0.5))
    # The same 30 s ten minutes ago have decayed away; idle since then.
    assert bench.own_load([(0.0, 0.0), (30.0, 30.0), (630.0, 30.0)]) < 1e-4
    assert bench.own_load([(5.0, 1.0)]) == 0.0


# ---------------------------------------------------------------------------------------------- rows
def _check_rows(rows, expected):
    keras_rows = [row for row in rows if row["backend"] == "keras"]
    assert [(row["variant"], row["xla"]) for row in keras_rows] == expected
    for row in keras_rows:
        assert set(bench.ROW_KEYS) <= set(row) and row["error"] is None
        for key in ROW_NUMBERS:
            assert isinstance(row[key], float) and math.isfinite(row[key]) and row[key] > 0, (key, row)
        assert row["steps"] == 2 and row["batch_size"] == 64
        # One fit step: d_steps real batches and D updates, one G update.
        assert row["images_per_s"] == pytest.approx(64 * row["d_updates_per_s"])
        assert row["d_updates_per_s"] == pytest.approx(row["d_steps"] * row["g_updates_per_s"])
    return keras_rows


def test_bench_writes_a_json_row_per_variant(tmp_path, capsys):
    path = tmp_path / "bench.json"
    # XLA off here (no compilation: the test stays short); XLA on below.
    assert cli.main(["bench", "gan", "wgan_gp", "--steps", "2", "--warmup", "1", "--xla", "off",
                     "--json", str(path)]) == 0
    written = json.loads(path.read_text())
    rows = written["rows"]
    matmul = [row for row in rows if row["backend"] == "tf.matmul"]
    assert len(matmul) == 1
    assert matmul[0]["gflops"] == max(matmul[0]["matmul_gflops_before"], matmul[0]["matmul_gflops_after"]) > 0
    keras_rows = _check_rows(rows, [("gan", False), ("wgan_gp", False)])
    for row in keras_rows:
        assert row["pct_of_matmul"] == pytest.approx(100 * row["gflops"] / matmul[0]["gflops"])
        assert row["precision"] == "float32" and row["dtype_policy"] == "float32"
    assert [row["d_steps"] for row in keras_rows] == [1, 1]
    # The machine's state is at the top of the file too.
    assert {key: written[key] for key in bench.MACHINE_KEYS} == {key: matmul[0][key] for key in bench.MACHINE_KEYS}
    table = capsys.readouterr().out
    assert "images/s" in table and "GFLOP/s" in table and "% matmul" in table and "precision" in table
    assert "epoch s" not in table  # no --epoch, no epoch columns


def test_bench_with_xla():
    rows = bench.run(["gan"], steps=2, warmup=1, xla=(True,), log=None, **PROBE)
    _check_rows(rows, [("gan", True)])
    json.dumps(rows)  # serialisable as it is


def test_bench_times_one_epoch_of_the_train_command(tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert cli.main(["bench", "gan", "--data-dir", SUBSET, "--architecture", "tiny", "--steps", "2", "--warmup", "1",
                     "--xla", "off", "--epoch", "--steps-per-epoch", "3", "--batch-size", "32",
                     "--json", str(path)]) == 0
    written = json.loads(path.read_text())
    # The contention verdict and the numbers it rests on.
    assert isinstance(written["contended"], bool) and written["contended"] == bool(written["contention_reasons"])
    assert written["contention_reasons"] == bench.contention_reasons(
        written["matmul_gflops_before"], written["matmul_gflops_after"], written["load_before"],
        written["load_after"], written["cores"], written["own_load_after"])
    assert written["cores"] == os.cpu_count() and written["matmul_gflops_before"] > 0
    assert written["load_before"] >= 0 and written["load_after"] >= 0 and written["own_load_after"] > 0
    (row,) = [row for row in written["rows"] if row["backend"] == "keras"]
    assert row["architecture"] == "tiny" and row["error"] is None and row["steps"] == 2
    # The epoch: 3 train steps of 32 real images, timed around the whole command and inside fit.
    assert row["epoch_steps"] == 3 and row["epoch_images"] == 3 * 32
    assert 0 < row["epoch_first_step_s"] <= row["epoch_fit_s"] < row["epoch_s"]
    assert row["epoch_images_per_s"] == pytest.approx(96 / row["epoch_s"])
    out = capsys.readouterr().out
    assert "epoch s" in out and "epoch img/s" in out
    assert ("CONTENDED: " in out) == written["contended"] != ("Machine quiet" in out)
    assert "Training GAN" not in out  # train's own messages stay out of the table


def test_bench_epoch_options_are_checked(capsys):
    assert cli.main(["bench", "gan", "--steps-per-epoch", "2"]) == 2
    assert "--epoch" in capsys.readouterr().err
    with pytest.raises(ValueError, match="epoch"):
        bench.run(["gan"], epoch_steps=2, log=None)
    with pytest.raises(ValueError, match="fp16"):
        bench.run(["gan"], precisions=("fp16",), log=None)


def test_bench_precision_both_gives_a_row_per_precision(tmp_path):
    path = tmp_path / "bench.json"
    status = cli.main(["bench", "gan", "--data-dir", SUBSET, "--architecture", "tiny", "--steps", "2", "--warmup",
                       "1", "--xla", "off", "--precision", "both", "--epoch", "--steps-per-epoch", "1",
                       "--json", str(path)])
    written = json.loads(path.read_text())
    rows = [row for row in written["rows"] if row["backend"] == "keras"]
    assert [(row["variant"], row["precision"]) for row in rows] == [("gan", "float32"), ("gan", "bf16")]
    assert status == (1 if rows[1]["error"] else 0)
    # Each row's steady state and epoch ran under its own policy (the epoch checks its model's, see time_epoch).
    if not rows[1]["error"]:
        assert rows[1]["dtype_policy"] == "mixed_bfloat16" and rows[1]["images_per_s"] > 0 < rows[1]["epoch_s"]
    assert rows[0]["dtype_policy"] == "float32" and rows[0]["error"] is None and rows[0]["epoch_s"] > 0
    assert written["bf16_gflops_before"] > 0 and written["bf16_gflops_after"] > 0
    assert keras.config.dtype_policy().name == "float32"  # the policy of before the bench is back


def test_a_run_that_fails_in_bf16_is_a_row_with_its_error(monkeypatch, fashion_mnist):
    time_fit = bench.time_fit

    def fails_in_bf16(model, *args, **kwargs):
        if keras.config.dtype_policy().name == "mixed_bfloat16":
            raise FloatingPointError("bf16 went wrong\nwith a long second line")
        return time_fit(model, *args, **kwargs)

    monkeypatch.setattr(bench, "time_fit", fails_in_bf16)
    rows = bench.run(["gan", "lsgan"], data_dir=SUBSET, architecture="tiny", steps=1, warmup=1, xla=(False,),
                     precisions=("float32", "bf16"), log=None, **PROBE)
    keras_rows = [row for row in rows if row["backend"] == "keras"]
    assert [(row["variant"], row["precision"], row["error"]) for row in keras_rows] == [
        ("gan", "float32", None), ("gan", "bf16", "FloatingPointError: bf16 went wrong"),
        ("lsgan", "float32", None), ("lsgan", "bf16", "FloatingPointError: bf16 went wrong")]
    assert keras_rows[1]["images_per_s"] is None and keras_rows[2]["images_per_s"] > 0
    # The policy was restored after the failure: the next float32 run built a float32 model.
    assert keras_rows[2]["dtype_policy"] == "float32" and keras.config.dtype_policy().name == "float32"
    table = bench.format_summary(rows)
    assert "error: FloatingPointError: bf16 went wrong" in table and "2 of 4 runs failed" in table


# ------------------------------------------------------------------------------------------ PyTorch
def test_variants_map_to_the_torch_schedule_doing_their_work():
    assert bench.torch_schedule("gan", "infogan") == "gan"
    assert bench.torch_schedule("lsgan", "infogan") == "gan"
    assert bench.torch_schedule("dragan", "infogan") == "dragan"
    assert bench.torch_schedule("dcgan", "dcgan") == "dcgan"
    assert bench.torch_schedule("wgan_gp", "infogan") == "wgan_gp"
    # Other work (no penalty, autoencoder D) or other networks: no baseline.
    for variant, architecture in (("wgan", "infogan"), ("ebgan", "infogan"), ("began", "infogan"),
                                  ("gan", "tiny"), ("dcgan", "infogan")):
        assert bench.torch_schedule(variant, architecture) is None
    # Every mapped variant is registered, and by default built with its schedule's networks.
    for variant, schedule in bench.TORCH_SCHEDULES.items():
        assert keras_gans.VARIANTS[variant].default_architecture == bench.TORCH_ARCHITECTURES[schedule]


def _parameters(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_torch_reference_games_train_with_the_optimizers_and_schedule_of_our_variants():
    pytest.importorskip("torch")
    baseline = bench.load_torch_baseline()
    for game, (critic_updates, _, (d_rate, g_rate, beta_1, beta_2)) in baseline.GAMES.items():
        model = keras_gans.VARIANTS[game](image_shape=(28, 28, 1))
        optimizers = model.default_optimizers()
        assert [type(o).__name__ for o in optimizers] == ["Adam", "Adam"], game
        assert [float(o.learning_rate) for o in optimizers] == pytest.approx([d_rate, g_rate]), game
        assert [(o.beta_1, o.beta_2) for o in optimizers] == [(beta_1, beta_2)] * 2, game
        assert model.d_steps == critic_updates, game


def test_torch_baseline_rows(fashion_mnist):
    pytest.importorskip("torch")
    images, _ = fashion_mnist
    baseline = bench.load_torch_baseline()
    assert set(bench.TORCH_ARCHITECTURES) == set(baseline.SCHEDULES)
    rows = {}
    for schedule, d_steps in (("gan", 1), ("wgan_gp", 1), ("dragan", 1), ("dcgan", 1)):
        row = rows[schedule] = bench.bench_torch(schedule, images, batch_size=32, steps=1, warmup=1, matmul=100.0,
                                                 baseline=baseline, threads=1)
        assert row["backend"] == "torch" and row["variant"] == schedule and row["steps"] == d_steps
        assert row["images_per_s"] == pytest.approx(32 * row["d_updates_per_s"])
        assert row["g_updates_per_s"] == pytest.approx(row["d_updates_per_s"] / d_steps)
        assert row["gflops"] > 0 and row["pct_of_matmul"] == pytest.approx(row["gflops"])
    # The penalty's extra D passes are counted: DRAGAN's D update has more FLOPs than GAN's on the same nets.
    assert rows["gan"]["d_update_gflop"] < rows["dragan"]["d_update_gflop"]
    assert rows["gan"]["joint_batches"] is False and rows["wgan_gp"]["joint_batches"] is True
    # Against a variant that calls D on both batches at once, the row says so.
    assert bench.bench_torch("gan", images, batch_size=32, steps=1, warmup=1, baseline=baseline, threads=1,
                             joint_batches=True)["variant"] == "gan/joint"
    # The baseline's networks have the keras networks' sizes.
    import torch

    assert _parameters(baseline.Generator()) == networks.infogan_generator().count_params() - 2 * (1024 + 6272 + 64)
    assert _parameters(baseline.Discriminator()) == _trainable(networks.infogan_discriminator())
    assert baseline.Generator()(torch.rand(2, 62)).shape == (2, 1, 28, 28)


def test_torch_dcgan_mirrors_our_dcgan_networks():
    pytest.importorskip("torch")
    import torch

    baseline = bench.load_torch_baseline()
    ours = bench.build("dcgan")
    generator, discriminator = baseline.build_networks("dcgan")
    assert _parameters(generator) == _trainable(ours.generator)
    assert _parameters(discriminator) == _trainable(ours.discriminator)
    # Layer by layer, the same weights in the same order: torch keeps a Linear's (out, in) and a conv's
    # (out, in, k, k) -- a transposed conv's (in, out, k, k) -- where Keras keeps (in, out) and (k, k, in, out)
    # -- (k, k, out, in) --, the same axes reversed or permuted (2, 3, 1, 0).
    keras_layout = {1: (0,), 2: (1, 0), 4: (2, 3, 1, 0)}
    for torch_net, keras_net in ((generator, ours.generator), (discriminator, ours.discriminator)):
        assert [tuple(p.shape[axis] for axis in keras_layout[p.dim()]) for p in torch_net.parameters()] == [
            tuple(w.shape) for w in keras_net.trainable_weights]
    assert generator(torch.randn(3, 100)).shape == (3, 1, 28, 28)
    assert discriminator(torch.zeros(3, 1, 28, 28)).shape == (3, 1)
    assert ours.latent_dim == generator.latent_dim == 100


def test_torch_dcgan_discriminator_computes_what_ours_computes():
    """Our weights copied into the baseline's D give the same logits: its 7 -> 4 px stage is padded as Keras'
    "same" (one pixel before, two after), not torch's symmetric padding=1, which would give 3 px."""
    pytest.importorskip("torch")
    import torch

    baseline = bench.load_torch_baseline()
    ours = networks.dcgan_discriminator((28, 28, 1))
    _, discriminator = baseline.build_networks("dcgan")
    discriminator.eval()  # batch norm from its moving statistics, as Keras' training=False
    weights = [w.numpy() for w in ours.trainable_weights]
    # The last Dense sees (H, W, C) flattened; torch flattens (C, H, W).
    weights[-2] = weights[-2].reshape(4, 4, 256, 1).transpose(3, 2, 0, 1).reshape(1, -1)
    with torch.no_grad():
        for parameter, weight in zip(discriminator.parameters(), weights):
            if weight.ndim == 4:
                weight = weight.transpose(3, 2, 0, 1)
            parameter.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
        images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype("float32")
        theirs = discriminator(torch.from_numpy(images.transpose(0, 3, 1, 2))).numpy()
    np.testing.assert_allclose(theirs, ours(images, training=False).numpy(), rtol=1e-4, atol=1e-5)


def test_torch_dragan_penalty_computes_ours():
    pytest.importorskip("torch")
    import tensorflow as tf
    import torch

    baseline = bench.load_torch_baseline()
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)  # NHWC, as keras_gans
    uniform = rng.uniform(0, 1, real.shape).astype(np.float32)
    alpha = rng.uniform(0, 1, (4, 1, 1, 1)).astype(np.float32)
    weights = rng.normal(0, 1, real.shape[1:]).astype(np.float32)
    ours = penalties.dragan_perturb(real, uniform, alpha)

    def nchw(array):
        return torch.from_numpy(np.ascontiguousarray(np.transpose(array, (0, 3, 1, 2))))

    theirs = baseline.dragan_perturb(nchw(real), nchw(uniform), nchw(alpha))
    # On four images the sample std (n - 1) and the population std ours takes differ by 1e-4: far beyond 1e-6.
    np.testing.assert_allclose(np.transpose(theirs.numpy(), (0, 2, 3, 1)), ours.numpy(), rtol=1e-6, atol=1e-6)
    # The same critic, a fixed quadratic form, whose input gradient is not of norm 1.
    ours = penalties.dragan_penalty(lambda x: tf.reduce_sum(weights * tf.square(x), axis=[1, 2, 3]), ours)
    w = nchw(weights[None])[0]
    theirs = baseline.dragan_penalty(lambda x: (w * x.square()).sum(dim=(1, 2, 3)), theirs)
    assert float(theirs.detach()) == pytest.approx(float(ours), rel=1e-5) and float(ours) > 0.01


def test_compare_torch_picks_each_variants_schedule():
    pytest.importorskip("torch")
    rows = bench.run(["dragan"], data_dir=SUBSET, batch_size=16, steps=1, warmup=1, xla=(False,),
                     compare_torch=True, log=None, **PROBE)
    (dragan,) = [row for row in rows if row["backend"] == "keras"]
    (torch_row,) = [row for row in rows if row["backend"] == "torch"]
    assert torch_row["variant"] == "dragan" and torch_row["joint_batches"] is False is dragan["joint_batches"]
    assert torch_row["batch_size"] == 16 and dragan["torch_schedule"] == "dragan"
    assert dragan["vs_torch"] == pytest.approx(dragan["images_per_s"] / torch_row["images_per_s"])


def test_bench_rejects_unknown_variants(capsys):
    assert cli.main(["bench", "nogan", "--steps", "1"]) == 2
    assert "nogan" in capsys.readouterr().err


def test_torch_stays_optional(monkeypatch):
    # The package, its command line and the bench import without the baseline (and so without torch) ...
    code = ("import sys, keras_gans, keras_gans.cli, keras_gans.bench; "
            "assert 'keras_gans.torch_baseline' not in sys.modules")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    # ... and --compare-torch without torch says what to install.
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails, as when it is not installed
    monkeypatch.delitem(sys.modules, "keras_gans.torch_baseline", raising=False)
    monkeypatch.delattr(keras_gans, "torch_baseline", raising=False)
    with pytest.raises(RuntimeError, match=r'pip install "keras-gans\[benchmark\]"'):
        bench.load_torch_baseline()


def test_profile_categories_name_the_xla_operations():
    names = {"MatMul.68": "matmul", "dot.3": "matmul", "convolution-base-dilated.4": "dilated conv",
             "convolution.6": "conv", "transpose_copy_fusion.16": "copy", "copy.70": "copy",
             "divide_subtract_fusion.7": "fusion", "reduce.2": "other"}
    assert {name: bench.profile_category(name) for name in names} == names


def test_bench_profile_says_where_a_step_goes(tmp_path, capsys):
    # The one-thread profile runs in a process of its own, which knows only the package's architectures.
    out = tmp_path / "profile.json"
    assert cli.main(["bench", "gan", "--profile", "--data-dir", SUBSET, "--architecture", "mlp", "--steps", "5",
                     "--json", str(out)]) == 0
    assert "gan (float32):" in capsys.readouterr().out
    (profile,) = json.loads(out.read_text())["profiles"]
    assert profile["step_ms"] > 0 and profile["one_thread_step_ms"] > 0 and profile["top_ops"]
    assert sum(profile["categories"].values()) == pytest.approx(profile["busy_ms"])
    assert profile["categories"]["matmul"] > 0  # the MLP networks are Dense layers
    # On one thread the operations' trace events hold most of the step (each runs whole on its thread) ...
    assert profile["busy_ms"] > 0.5 * profile["one_thread_step_ms"]
    # ... and the parts add up: the work, what the trace does not see, and what parallel running adds.
    assert (profile["busy_ms"] + profile["untraced_ms"] + profile["parallel_loss_ms"]
            == pytest.approx(profile["cores"] * profile["step_ms"], rel=0.02))
    assert profile["gflop_per_step"] > 0 and profile["one_thread_matmul_gflops"] > 0
    assert cli.main(["bench", "gan", "--profile", "--compare-torch"]) == 2
    assert "--profile looks inside our XLA steps" in capsys.readouterr().err
