"""The papers' own evaluations: the Parzen window estimate (GAN paper), nearest neighbours, the GAN paper's
MNIST nets, walking in the latent space and the discriminator as a feature extractor (DCGAN paper)."""
import numpy as np
import pytest
from PIL import Image
from scipy.special import logsumexp

import keras_gans
from conftest import IMAGE_SHAPE, LATENT_DIM, SUBSET, tiny
from keras_gans import cli, data, networks, sampling
from keras_gans.evaluation import likelihood, linear_probe, probe


# ------------------------------------------------------------------------------------------ Parzen
def test_parzen_log_likelihood_equals_a_direct_log_sum_exp():
    rng = np.random.default_rng(0)
    x, samples = rng.random((6, 5)).astype("float32"), rng.random((9, 5)).astype("float32")
    for sigma in (0.05, 0.3, 2.0):
        squared = ((x[:, None, :].astype("float64") - samples[None]) ** 2).sum(-1)
        direct = logsumexp(-squared / (2 * sigma ** 2), axis=1) - np.log(9) - 2.5 * np.log(2 * np.pi * sigma ** 2)
        np.testing.assert_allclose(likelihood.parzen_log_likelihood(x, samples, sigma, batch_size=4), direct,
                                   rtol=1e-5, atol=1e-4)
    table = likelihood.parzen_log_likelihoods(x, samples, [0.1, 0.2])
    np.testing.assert_allclose(table[1], likelihood.parzen_log_likelihood(x, samples, 0.2), rtol=1e-6)
    mean, error = likelihood.mean_and_standard_error([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and error == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)


def test_sigma_selection_picks_the_maximiser_on_a_known_gaussian():
    rng = np.random.default_rng(1)
    samples, validation = rng.normal(size=(400, 1)), rng.normal(size=(3000, 1))
    sigmas = np.logspace(-2, 1, 31)
    best, scores = likelihood.select_sigma(validation, samples, sigmas)
    # By brute force: the expected log-likelihood of N(0, 1) data under the window, for every sigma.
    direct = [np.mean(logsumexp(-(validation - samples.T) ** 2 / (2 * s ** 2), axis=1) - np.log(400)
                      - 0.5 * np.log(2 * np.pi * s ** 2)) for s in sigmas]
    np.testing.assert_allclose(scores, direct, rtol=1e-5)
    assert best == sigmas[int(np.argmax(direct))]
    assert 0.1 < best < 1.0 and best not in (sigmas[0], sigmas[-1])  # an interior maximum, near Silverman's 0.3
    # The best window beats the true density only by little, and both beat a badly chosen one.
    assert max(direct) > direct[0] and max(direct) > direct[-1]


def test_parzen_evaluation_of_a_model(fashion_mnist):
    images, _ = fashion_mnist
    gan = tiny(keras_gans.GAN)
    result = likelihood.parzen_evaluation(gan, images[:300], images[300:], n=200, validation=100,
                                          sigmas=(0.1, 0.2, 0.4))
    assert np.isfinite(result["mean"]) and result["std_error"] > 0 and result["sigma"] in (0.1, 0.2, 0.4)
    assert result["n_samples"] == 200 and result["n_validation"] == 100 and result["n_test"] == 100


# ------------------------------------------------------------------------------- nearest neighbours
def test_nearest_neighbours_match_brute_force():
    rng = np.random.default_rng(2)
    references, queries = rng.random((30, 4, 4, 1)), rng.random((7, 4, 4, 1))
    indices, distances = sampling.nearest_neighbours(queries, references, batch_size=3)
    brute = np.sqrt(((queries[:, None] - references[None]) ** 2).sum(axis=(2, 3, 4)))
    np.testing.assert_array_equal(indices, brute.argmin(1))
    np.testing.assert_allclose(distances, brute.min(1), rtol=1e-9)
    queries[3] = references[11]
    pairs, distances = sampling.nearest_neighbour_grid(queries, references)
    assert pairs.shape == (14, 4, 4, 1) and distances[3] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(pairs[6], queries[3])
    np.testing.assert_allclose(pairs[7], references[11])


# ------------------------------------------------------------------------------------ interpolation
def test_slerp_and_lerp_end_at_their_end_points():
    rng = np.random.default_rng(3)
    a, b, t = rng.normal(size=(2, 5)), rng.normal(size=(2, 5)), np.linspace(0, 1, 7)
    for path in (sampling.slerp(a, b, t), sampling.lerp(a, b, t)):
        assert path.shape == (2, 7, 5)
        np.testing.assert_allclose(path[:, 0], a, atol=1e-12)
        np.testing.assert_allclose(path[:, -1], b, atol=1e-12)
    path = sampling.slerp(a[0], b[0] * np.linalg.norm(a[0]) / np.linalg.norm(b[0]), t)  # equal norms
    np.testing.assert_allclose(np.linalg.norm(path, axis=-1), np.linalg.norm(a[0]))
    unit = path / np.linalg.norm(path, axis=-1, keepdims=True)
    angles = np.arccos(np.clip((unit[1:] * unit[:-1]).sum(-1), -1, 1))
    np.testing.assert_allclose(angles, angles[0], rtol=1e-6)  # constant angular speed
    np.testing.assert_allclose(sampling.slerp(a[0], 2 * a[0], t)[3], 1.5 * a[0])  # parallel: linear


def test_interpolation_rows_start_and_end_at_the_images_of_their_end_points():
    gan = tiny(keras_gans.GAN)
    inputs = sampling.interpolation_inputs(gan, rows=3, steps=5, seed=4)
    grid = sampling.interpolation_grid(gan, rows=3, steps=5, seed=4)
    assert grid.shape == (15,) + IMAGE_SHAPE
    ends = gan.latent_for(6, 4).reshape(3, 2, LATENT_DIM)
    for row in range(3):
        np.testing.assert_allclose(inputs["z"][row * 5], ends[row, 0], atol=1e-6)
        np.testing.assert_allclose(inputs["z"][row * 5 + 4], ends[row, 1], atol=1e-6)
        start, end = gan.generate_from({"z": ends[row].astype("float32")})
        np.testing.assert_allclose(grid[row * 5], start, atol=1e-5)
        np.testing.assert_allclose(grid[row * 5 + 4], end, atol=1e-5)
    uniform = tiny(keras_gans.GAN, latent_prior="uniform")
    z = sampling.interpolation_inputs(uniform, rows=1, steps=3, seed=0)["z"]
    np.testing.assert_allclose(z[1], (z[0] + z[2]) / 2, atol=1e-6)  # lerp for a uniform prior


def test_labels_and_codes_are_fixed_along_a_row():
    cgan = tiny(keras_gans.CGAN, num_classes=10)
    inputs = sampling.interpolation_inputs(cgan, rows=4, steps=3, seed=0)
    np.testing.assert_array_equal(inputs["labels"], np.repeat([0, 1, 2, 3], 3))
    grid = sampling.interpolation_grid(cgan, rows=2, steps=3, seed=0, labels=[7, 2])
    first = inputs["z"][:1]
    np.testing.assert_allclose(grid[0], cgan.generate_from({"z": first, "labels": np.array([7], "int32")})[0],
                               atol=1e-5)
    info = keras_gans.InfoGAN(image_shape=(2,), latent_dim=4, architecture="toy", categorical_codes=(5,),
                              continuous_codes=2, seed=0)
    inputs = sampling.interpolation_inputs(info, rows=3, steps=4, seed=1)
    for key in ("categorical", "continuous"):
        per_row = inputs[key].reshape(3, 4, -1)
        np.testing.assert_array_equal(per_row, np.repeat(per_row[:, :1], 4, axis=1))
    assert sampling.interpolation_grid(info, rows=3, steps=4, seed=1).shape == (12, 2)


# ------------------------------------------------------------------------------- GAN paper networks
def test_the_gan_papers_mnist_networks_train_save_and_load(tmp_path, dataset):
    gan = keras_gans.GAN(image_shape=IMAGE_SHAPE, latent_dim=100, architecture="gan_paper", seed=0)
    assert [l.name for l in gan.discriminator.layers if isinstance(l, networks.Maxout)] == ["maxout_0", "maxout_1"]
    assert gan.discriminator.get_layer("maxout_0").output.shape[-1] == 240
    assert gan.generator.get_layer("pixels").activation.__name__ == "sigmoid"
    gan.compile(jit_compile=False)
    gan.fit(dataset, epochs=1, steps_per_epoch=1, verbose=0)
    samples = gan.generate(4, seed=0)
    assert samples.min() >= -1 and samples.max() <= 1
    gan.save(tmp_path / "paper.keras")
    again = keras_gans.GAN.load(str(tmp_path / "paper.keras"))
    np.testing.assert_allclose(again.generate(4, seed=0), samples, atol=1e-6)
    x = np.random.default_rng(0).uniform(-1, 1, (3,) + IMAGE_SHAPE).astype("float32")
    np.testing.assert_allclose(again.discriminator(x, training=False), gan.discriminator(x, training=False), atol=1e-5)


# ----------------------------------------------------------------------------------- linear probe
def test_adaptive_max_pool_matches_brute_force():
    maps = np.random.default_rng(5).normal(size=(2, 7, 6, 3))
    pooled = probe.adaptive_max_pool(maps, 4)
    rows = [(0, 2), (1, 4), (3, 6), (5, 7)]  # floor(i * 7 / 4), ceil((i + 1) * 7 / 4)
    columns = [(0, 2), (1, 3), (3, 5), (4, 6)]
    for i, (top, bottom) in enumerate(rows):
        for j, (left, right) in enumerate(columns):
            np.testing.assert_allclose(pooled[:, i, j], maps[:, top:bottom, left:right].max(axis=(1, 2)))


def test_linear_probe_uses_only_the_discriminator(fashion_mnist):
    images, labels = fashion_mnist
    test_images, test_labels = data.load_idx(SUBSET, "test")
    generator = networks.mlp_generator(IMAGE_SHAPE, LATENT_DIM, hidden=(8,))
    discriminator = networks.dcgan_discriminator(IMAGE_SHAPE, filters=4)
    gan = keras_gans.GAN(generator, discriminator, image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=0)
    for weight in gan.generator.weights:  # a probe that touched the generator would see NaN
        weight.assign(np.full(weight.shape, np.nan, "float32"))
    layers = probe.feature_layers(gan.discriminator)
    assert [l.name for l in layers] == ["conv_0", "conv_1", "conv_2"] and all(l in gan.discriminator.layers for l in layers)
    result = linear_probe(gan, train=(images, labels), test=(test_images, test_labels), per_class=(None, 10))
    assert result["layers"] == ["conv_0", "conv_1", "conv_2"] and result["features"] == 16 * (4 + 8 + 16)
    for weights in ("trained", "random"):
        assert set(result[weights]) == {"all", 10}
        assert all(0.0 <= accuracy <= 1.0 for accuracy in result[weights].values())
    assert result["trained"]["all"] > 0.3  # well above chance (0.1) even for an untrained conv net
    with pytest.raises(ValueError, match="no Conv2D"):
        linear_probe(tiny(keras_gans.GAN), train=(images, labels), test=(test_images, test_labels))


# ------------------------------------------------------------------------------------------ the CLI
def test_cli_sample_interpolates_and_pairs_nearest_neighbours(tmp_path, capsys):
    gan = tiny(keras_gans.CGAN, num_classes=10)
    gan.save(tmp_path / "cgan.keras")
    walk = tmp_path / "walk.png"
    assert cli.main(["sample", str(tmp_path / "cgan.keras"), "--interpolate", "3", "--steps", "4",
                     "--out", str(walk)]) == 0
    assert Image.open(walk).size == (4 * 29 + 1, 3 * 29 + 1)
    near = tmp_path / "near.png"
    assert cli.main(["sample", str(tmp_path / "cgan.keras"), "--nearest", "--n", "6", "--data-dir", SUBSET,
                     "--out", str(near)]) == 0
    assert "nearest training image" in capsys.readouterr().out
    width, height = Image.open(near).size
    assert (width - 1) % 29 == 0 and ((width - 1) // 29) % 2 == 0 and width * height > 0
