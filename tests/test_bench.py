"""`keras-gans bench`: well-formed rows on a couple of steps (timings are not asserted), and the FLOP count."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import keras_gans
from keras_gans import bench, cli, networks

ROW_NUMBERS = ("images_per_s", "g_updates_per_s", "d_updates_per_s", "compile_s", "gflops", "pct_of_matmul")


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


def _check_rows(rows, expected):
    keras_rows = [row for row in rows if row["backend"] == "keras"]
    assert [(row["variant"], row["xla"]) for row in keras_rows] == expected
    for row in keras_rows:
        assert set(bench.ROW_KEYS) <= set(row)
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
    rows = json.loads(path.read_text())["rows"]
    matmul = [row for row in rows if row["backend"] == "tf.matmul"]
    assert len(matmul) == 1 and matmul[0]["gflops"] == max(matmul[0]["gflops_start"], matmul[0]["gflops_end"]) > 0
    keras_rows = _check_rows(rows, [("gan", False), ("wgan_gp", False)])
    for row in keras_rows:
        assert row["pct_of_matmul"] == pytest.approx(100 * row["gflops"] / matmul[0]["gflops"])
    assert [row["d_steps"] for row in keras_rows] == [1, 5]
    table = capsys.readouterr().out
    assert "images/s" in table and "GFLOP/s" in table and "% matmul" in table


def test_bench_with_xla():
    rows = bench.run(["gan"], steps=2, warmup=1, xla=(True,), matmul_repeats=2, log=None)
    _check_rows(rows, [("gan", True)])
    json.dumps(rows)  # serialisable as it is


def test_bench_rejects_unknown_variants(capsys):
    assert cli.main(["bench", "nogan", "--steps", "1"]) == 2
    assert "nogan" in capsys.readouterr().err


def test_torch_baseline_rows(fashion_mnist):
    pytest.importorskip("torch")
    images, _ = fashion_mnist
    baseline = bench.load_torch_baseline()
    for schedule, d_steps in (("gan", 1), ("wgan_gp", 5)):
        row = bench.bench_torch(schedule, images, steps=1, warmup=1, matmul=100.0, baseline=baseline,
                                 threads=1)
        assert row["backend"] == "torch" and row["variant"] == schedule and row["steps"] == d_steps
        assert row["images_per_s"] == pytest.approx(64 * row["d_updates_per_s"])
        assert row["g_updates_per_s"] == pytest.approx(row["d_updates_per_s"] / d_steps)
        assert row["gflops"] > 0 and row["pct_of_matmul"] == pytest.approx(row["gflops"])
    # The baseline's networks have the keras networks' sizes.
    import torch

    def parameters(module):
        return sum(p.numel() for p in module.parameters() if p.requires_grad)

    assert parameters(baseline.Generator()) == networks.infogan_generator().count_params() - 2 * (1024 + 6272 + 64)
    keras_d = networks.infogan_discriminator()
    trainable = sum(int(np.prod(w.shape)) for w in keras_d.trainable_weights)
    assert parameters(baseline.Discriminator()) == trainable
    assert baseline.Generator()(torch.rand(2, 62)).shape == (2, 1, 28, 28)


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
