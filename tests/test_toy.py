"""Vector data and the toy distributions: the generators, the mode metrics, d_steps/g_steps on flat data,
the toy runner and its scatter plots, `keras-gans toy`."""
import keras
import numpy as np
import pytest
from PIL import Image

import keras_gans
from keras_gans import cli, data, networks, toy
from keras_gans.evaluation import modes


# ------------------------------------------------------------------------------------- generators
def test_ring_centres_and_samples_match_the_definition():
    centres, sigma = data.toy_centres("ring")
    assert centres.shape == (8, 2) and sigma == 0.02
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0, rtol=1e-6)
    angles = np.sort(np.mod(np.arctan2(centres[:, 1], centres[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8, atol=1e-6)
    samples, mode = data.toy_arrays("ring", 16000, seed=0)
    assert samples.shape == (16000, 2) and mode.dtype == np.int32
    for k in range(8):
        mine = samples[mode == k]
        assert abs(len(mine) / 16000 - 1 / 8) < 0.02  # equal weights
        np.testing.assert_allclose(mine.mean(0), centres[k], atol=0.005)
        np.testing.assert_allclose(mine.std(0), sigma, rtol=0.1)


def test_grid_centres_and_samples_match_the_definition():
    centres, sigma = data.toy_centres("grid")
    assert centres.shape == (25, 2) and sigma == 0.05
    assert {tuple(c) for c in centres.tolist()} == {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    samples, mode = data.toy_arrays("grid", 25000, seed=1)
    assert np.bincount(mode, minlength=25).min() > 800
    for k in range(25):
        mine = samples[mode == k]
        np.testing.assert_allclose(mine.mean(0), centres[k], atol=0.01)
        np.testing.assert_allclose(mine.std(0), sigma, rtol=0.12)


def test_gaussian_1d_and_the_streams_are_seeded_and_scaled():
    samples, _ = data.toy_arrays("gaussian_1d", 20000, seed=0)
    assert samples.shape == (20000, 1)
    assert abs(samples.mean() - 4.0) < 0.03 and abs(samples.std() - 1.25) < 0.03
    batch = next(iter(data.gaussian_1d(5000, seed=3, scale=10.0))).numpy()
    assert batch.shape == (5000, 1) and abs(batch.mean() - 0.4) < 0.01 and abs(batch.std() - 0.125) < 0.01

    first = [b.numpy() for b in data.ring(64, seed=7).take(3)]
    again = [b.numpy() for b in data.ring(64, seed=7).take(3)]
    other = next(iter(data.ring(64, seed=8))).numpy()
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[2], again[2])
    assert not np.allclose(first[0], first[1]) and not np.allclose(first[0], other)
    points, labels = next(iter(data.grid(256, seed=0, scale=5.0, labels=True)))
    assert points.shape == (256, 2) and labels.dtype == "int32"
    np.testing.assert_allclose(np.abs(points.numpy()).max(), 0.8, atol=0.05)  # 4 / 5 plus noise
    centres = data.grid_centres() / 5.0
    assert np.linalg.norm(points.numpy() - centres[labels.numpy()], axis=1).max() < 5 * 0.05 / 5.0


# ------------------------------------------------------------------------------------ mode metrics
def test_mode_metrics_on_hand_made_samples():
    centres, sigma = data.toy_centres("ring")
    on_one = np.tile(centres[3], (1000, 1))
    one = modes.mode_metrics(on_one, centres, sigma)
    assert one["modes_covered"] == 1 and one["high_quality"] == 1.0
    np.testing.assert_allclose(one["kl"], np.log(8))

    rng = np.random.default_rng(0)
    everywhere = np.repeat(centres, 300, axis=0) + rng.normal(0, sigma, (2400, 2))
    every = modes.mode_metrics(everywhere, centres, sigma)
    assert every["modes_covered"] == 8 and every["high_quality"] > 0.99
    assert every["kl"] < 1e-3
    np.testing.assert_array_equal(every["counts"].sum(), round(every["high_quality"] * 2400))

    far = modes.mode_metrics(rng.normal(0, 0.1, (500, 2)) + [10.0, 10.0], centres, sigma)
    assert far["high_quality"] == 0.0 and far["modes_covered"] == 0 and np.isnan(far["kl"])
    between = modes.mode_metrics(np.zeros((100, 2)), centres, sigma)  # the ring's centre: 2 from every mode
    assert between["high_quality"] == 0.0


def test_a_mode_counts_from_one_percent_of_all_samples():
    centres, sigma = data.toy_centres("grid")
    samples = np.concatenate([np.tile(centres[0], (990, 1)), np.tile(centres[1], (10, 1)),
                              np.tile(centres[2], (9, 1)), np.full((1, 2), 100.0)])
    result = modes.mode_metrics(samples, centres, sigma)
    assert result["modes_covered"] == 1  # 10 of 1010 samples is under 1%: mode 1 does not count...
    result = modes.mode_metrics(samples[:1000], centres, sigma)  # ...but 10 of 1000 is exactly 1%
    assert result["modes_covered"] == 2 and list(result["counts"][:3]) == [990, 10, 0]


# ---------------------------------------------------------------------------------- flat data, steps
def test_d_steps_and_g_steps_count_optimizer_iterations_exactly_on_vector_data():
    gan = keras_gans.GAN(networks.toy_generator((2,), 4, hidden=(8,)), networks.toy_discriminator((2,), hidden=(8,)),
                         image_shape=(2,), latent_dim=4, d_steps=3, g_steps=2, seed=0)
    gan.compile(jit_compile=False)
    gan.fit(data.ring(16, seed=0, scale=2.5), epochs=2, steps_per_epoch=2, verbose=0)
    assert int(gan.d_optimizer.iterations.numpy()) == 3 * 4
    assert int(gan.g_optimizer.iterations.numpy()) == 2 * 4
    assert int(gan.step_counter.numpy()) == 4
    arrays, _ = data.toy_arrays("ring", 96, scale=2.5)
    gan.fit(arrays, batch_size=16, epochs=1, verbose=0)  # arrays: 96 / (3 x 16) = 2 steps
    assert int(gan.d_optimizer.iterations.numpy()) == 3 * 6 and int(gan.g_optimizer.iterations.numpy()) == 2 * 6
    assert gan.generate(5, seed=0).shape == (5, 2)


def test_mlp_builders_are_sized_from_d():
    for d in (1, 2, 7):
        assert networks.mlp_generator((d,), 3, hidden=(4,)).output.shape[1:] == (d,)
        assert networks.mlp_discriminator((d,), hidden=(4,)).input.shape[1:] == (d,)
        reconstruction, code = networks.mlp_autoencoder_discriminator((d,), hidden=(4,), embedding_dim=3).outputs
        assert reconstruction.shape[1:] == (d,) and code.shape[1:] == (3,)
    # The 1-D tutorial's D: the moments of each group, so [real; fake] in one call = two separate calls.
    moments = networks.moment_discriminator(group_size=50)
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.4, 0.1, (50, 1)).astype("float32"), rng.uniform(-1, 1, (50, 1)).astype("float32")
    together = moments(np.concatenate([a, b])).numpy()
    np.testing.assert_allclose(together, np.concatenate([moments(a).numpy(), moments(b).numpy()]), atol=1e-6)
    features = networks.GroupMoments(50)(a).numpy()[0]
    z = (a - a.mean()) / a.std()
    np.testing.assert_allclose(features, [a.mean(), a.std(), (z ** 3).mean(), (z ** 4).mean() - 3], rtol=1e-3,
                               atol=1e-5)


# -------------------------------------------------------------------------------------- the runner
def test_toy_run_reports_metrics_and_writes_scatter_plots(tmp_path):
    result = toy.run("gan", "ring", steps=20, batch_size=32, n_samples=300, out=str(tmp_path), plot_every=10,
                     size=96, jit_compile=False)
    assert result["variant"] == "gan" and result["modes"] == 8 and result["samples"].shape == (300, 2)
    assert 0 <= result["modes_covered"] <= 8 and 0.0 <= result["high_quality"] <= 1.0 and result["seconds"] > 0
    assert Image.open(result["png"]).size == (96, 96)
    assert sorted(p.name for p in (tmp_path / "gan_ring").iterdir()) == ["step_000010.png", "step_000020.png"]
    assert int(result["model"].step_counter.numpy()) == 20
    assert "modes covered" in toy.format_result(result)


def test_toy_setups_give_labels_codes_and_labelled_points():
    from keras_gans import CGAN, GAN, InfoGAN

    assert CGAN.toy_setup(8) == {"options": {"num_classes": 8}, "labels": True}
    assert GAN.toy_setup(25) == {"options": {}, "labels": False, "pack": 4}
    assert InfoGAN.toy_setup(25)["options"] == {"categorical_codes": (25,), "continuous_codes": 0}
    points, labels = toy.labelled_points("ring", scale=2.5)
    assert np.bincount(labels).tolist() == [10] * 8
    rows, row_labels = next(iter(toy.stream("ring", "few", batch_size=16)))
    assert rows.shape == (32, 2) and (row_labels.numpy()[0::2] == -1).all() and (row_labels.numpy()[1::2] >= 0).all()
    model, plan = toy.build("cgan", "grid", latent_dim=4)
    assert model.num_classes == 25 and plan["labels"] is True and model.architecture == "toy"
    # A factor per optimizer: InfoGAN's G (1e-3 on images, 5x its D) trains at D's toy rate.
    model, _ = toy.build("infogan", "ring", latent_dim=4)
    rates = [float(o.learning_rate.numpy()) for o in (model.d_optimizer, model.g_optimizer)]
    assert rates == pytest.approx([2e-3, 2e-3])
    # The same for ACGAN's G (1e-3 on images too), at ACGAN's own toy factor of 5 (its toy_setup).
    model, _ = toy.build("acgan", "grid", latent_dim=4)
    rates = [float(o.learning_rate.numpy()) for o in (model.d_optimizer, model.g_optimizer)]
    assert rates == pytest.approx([1e-3, 1e-3]) and model.num_classes == 25
    model, _ = toy.build("wgan", "ring", latent_dim=4)  # RMSprop at D's 2e-4 x 10 for both, as InfoGAN's G
    rates = [float(o.learning_rate.numpy()) for o in (model.d_optimizer, model.g_optimizer)]
    assert model.clip_value == 0.05 and rates == pytest.approx([2e-3, 2e-3])
    # WGAN-GP updates its critic once per G update on images, five times (the paper's) on the toys.
    assert keras_gans.WGANGP().n_critic == 1 and toy.build("wgan_gp", "ring", latent_dim=4)[0].n_critic == 5
    # and its toy critic has no layer norm (WGANGP's toy_setup says why).
    critic = toy.build("wgan_gp", "grid", latent_dim=4)[0].critic
    assert not any(isinstance(layer, keras.layers.LayerNormalization) for layer in critic.layers)


def test_sgan_trains_on_the_toys_with_instance_noise_annealed_to_zero():
    from keras_gans import GAN, SGAN

    assert SGAN.toy_setup(8) == {"options": {"num_classes": 8, "instance_noise": 1.0}, "labels": "few"}
    assert GAN.toy_setup(8)["options"] == {}
    # Annealed over the first 70% of the steps (14 of 20), so it is 0 at the end.
    result = toy.run("sgan", "ring", steps=20, batch_size=32, n_samples=100, steps_per_execution=1,
                     jit_compile=False)
    model = result["model"]
    assert model.instance_noise == 1.0 and float(model.instance_noise_stddev.numpy()) == 0.0
    assert model.augment is None  # SGAN translates D's images by default; the harness leaves 2-D points alone
    assert toy.run("gan", "ring", steps=2, batch_size=32, n_samples=100)["model"].instance_noise_stddev is None


def test_cli_toy_trains_an_autoencoder_game(tmp_path, capsys):
    code = cli.main(["toy", "ebgan", "--dataset", "grid", "--steps", "10", "--batch-size", "32", "--n", "200",
                     "--size", "64", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "modes covered" in out and "/25" in out
    assert Image.open(tmp_path / "ebgan_grid.png").size == (64, 64)


def test_packed_toy_discriminator_judges_pairs_of_samples():
    x = np.arange(12, dtype="float32").reshape(6, 2)
    np.testing.assert_array_equal(networks.PackSamples(2)(x).numpy(), x.reshape(3, 4))
    discriminator = networks.toy_discriminator((2,), pack=2, hidden=(8,))
    assert discriminator(x).shape == (3, 1)
    # Two samples side by side: swapping the members of a pair changes the pair's logit, other pairs keep theirs.
    swapped = x[[1, 0, 2, 3, 4, 5]]
    before, after = discriminator(x).numpy(), discriminator(swapped).numpy()
    np.testing.assert_allclose(before[1:], after[1:])
    model, plan = toy.build("gan", "ring", latent_dim=4)
    assert plan["pack"] == 4 and model.discriminator.get_layer("pack").m == 4
    assert "pack" not in toy.build("wgan_gp", "ring", latent_dim=4)[1]  # its penalty is per sample


def test_packed_toy_discriminator_takes_spectral_norm():
    # The harness builds the packed D itself, so it must wrap it when asked (the game refuses a plain one).
    model, plan = toy.build("lsgan", "ring", latent_dim=4, options={"spectral_norm": True})
    assert plan["pack"] == 4 and model.discriminator.get_layer("pack").m == 4
    assert networks.has_spectral_norm(model.discriminator)
    assert not networks.has_spectral_norm(toy.build("lsgan", "ring", latent_dim=4)[0].discriminator)


def test_toy_run_needs_a_batch_the_packing_divides():
    with pytest.raises(ValueError, match="multiple of 4"):
        toy.run("gan", "ring", steps=1, batch_size=34, n_samples=10)


# A short seeded run of the toy harness's defaults (MLPs 3 x 256 with a linear G output, batch 256, learning
# rates x10 decaying to 0 over the last 30%, PacGAN's packing of 4) that reaches every ring mode: GAN, 5,000
# steps (half the default), 8/8 modes with 73% (seed 0) and 77% (seed 1) of the samples high-quality. With
# rates x5, seed 0 gave 6/8, so this pins a seed rather than claiming a guarantee.
def test_toy_harness_covers_every_ring_mode_with_the_gan():
    result = toy.run("gan", "ring", steps=5000, seed=1)
    assert result["modes_covered"] == 8, result["counts"]
    assert result["high_quality"] > 0.5


# WGAN-GP's critic takes 5 updates per generator step, so its short run is shorter in generator steps: 3,000
# steps of the harness's defaults reach all 8 ring modes at seed 0, 53% of the samples high-quality (69% with
# 4,000 steps; 2,000 steps reach 7 of the 8).
def test_toy_harness_covers_every_ring_mode_with_wgan_gp():
    result = toy.run("wgan_gp", "ring", steps=3000, seed=0)
    assert result["modes_covered"] == 8, result["counts"]

