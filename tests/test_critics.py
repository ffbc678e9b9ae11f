"""WGAN, WGAN-GP, DRAGAN, EBGAN and BEGAN: fit on real Fashion-MNIST, their mechanics, save/load."""
import numpy as np
import pytest

import keras
import keras_gans
from conftest import IMAGE_SHAPE, LATENT_DIM, tiny, tiny_autoencoder, tiny_networks
from keras_gans import penalties


def tiny_autoencoder_game(cls, **kwargs):
    generator, _ = tiny_networks()
    return cls(generator, tiny_autoencoder(), image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=1, **kwargs)


GAMES = {
    "wgan": (lambda: tiny(keras_gans.WGAN, n_critic=2), ("wasserstein",)),
    "wgan_gp": (lambda: tiny(keras_gans.WGANGP, n_critic=2), ("wasserstein", "gradient_penalty")),
    "dragan": (lambda: tiny(keras_gans.DRAGAN), ("gradient_penalty", "d_real")),
    "dragan_one_sided": (lambda: tiny(keras_gans.DRAGAN, one_sided=True), ("gradient_penalty",)),
    "ebgan": (lambda: tiny_autoencoder_game(keras_gans.EBGAN), ("real_energy", "fake_energy", "pulling_away")),
    "began": (lambda: tiny_autoencoder_game(keras_gans.BEGAN), ("k_t", "convergence")),
}


@pytest.mark.parametrize("name", sorted(GAMES))
def test_fit_on_real_data_records_finite_game_metrics(name, dataset):
    make, extra_metrics = GAMES[name]
    model = make()
    model.compile()
    g_before = [w.numpy().copy() for w in model.generator.trainable_weights]
    history = model.fit(dataset.take(4), epochs=2, verbose=0)
    for metric in ("d_loss", "g_loss") + extra_metrics:
        assert len(history.history[metric]) == 2 and np.all(np.isfinite(history.history[metric])), metric
    assert any(not np.array_equal(a, b.numpy()) for a, b in zip(g_before, model.generator.trainable_weights))


def test_wgan_clips_every_critic_weight_and_counts_critic_steps(dataset):
    model = tiny(keras_gans.WGAN, n_critic=3, clip_value=0.01)
    model.compile(d_optimizer=keras.optimizers.RMSprop(1e-2), g_optimizer=keras.optimizers.RMSprop(1e-3))
    model.fit(dataset.take(9), epochs=1, verbose=0)
    for weight in model.critic.trainable_weights:
        assert np.abs(weight.numpy()).max() <= 0.01 + 1e-7, weight.path
    # The kernels really hit the bound (lr 1e-2 moves them past it), so clipping did the work.
    assert max(np.abs(w.numpy()).max() for w in model.critic.trainable_weights) == pytest.approx(0.01)
    assert int(model.g_optimizer.iterations.numpy()) == 3
    assert int(model.d_optimizer.iterations.numpy()) == 3 * 3
    assert model.n_critic == 3


def test_wgan_defaults_are_the_papers_game_with_the_measured_schedule():
    # The paper's RMSprop, at D 2e-4 and G 1e-3 with one critic update and clip 0.05 (WGAN's docstring says
    # what its own 5e-5, 5 updates and 0.01 gave on Fashion-MNIST).
    model = keras_gans.WGAN(seed=0)
    d_optimizer, g_optimizer = model.default_optimizers()
    assert isinstance(d_optimizer, keras.optimizers.RMSprop) and isinstance(g_optimizer, keras.optimizers.RMSprop)
    assert [float(o.learning_rate) for o in (d_optimizer, g_optimizer)] == pytest.approx([2e-4, 1e-3])
    assert model.n_critic == 1 and model.clip_value == 0.05
    gp = keras_gans.WGANGP(seed=0)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in gp.critic.layers)
    adam = gp.default_optimizers()[0]
    assert (adam.beta_1, adam.beta_2, gp.gradient_penalty_weight, gp.n_critic) == (0.0, 0.9, 10.0, 1)


def test_ebgan_energy_still_tells_collapsed_fake_batches_apart():
    # A batch of one image repeated: batch norm in the autoencoder would normalize its features to zero and
    # decode every such batch to the same image, so G's energy would no longer answer to what G draws.
    first, second = np.full((8, 28, 28, 1), -0.9, "float32"), np.full((8, 28, 28, 1), 0.3, "float32")
    with_batch_norm = keras_gans.networks.autoencoder_discriminator((28, 28, 1), normalization="batch")
    same = [with_batch_norm(batch, training=True)[0].numpy() for batch in (first, second)]
    np.testing.assert_allclose(same[0], same[1], atol=1e-5)
    ebgan = keras_gans.EBGAN(seed=0)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in ebgan.discriminator.layers)
    own = [ebgan.discriminator(batch, training=True)[0].numpy() for batch in (first, second)]
    assert np.abs(own[0] - own[1]).max() > 1e-3


def test_wgan_gp_critic_normalization_is_an_option_kept_in_the_config():
    gp = keras_gans.WGANGP(seed=0)
    assert any(isinstance(layer, keras.layers.LayerNormalization) for layer in gp.critic.layers)
    plain = keras_gans.WGANGP(seed=0, critic_normalization=None)
    assert not any(isinstance(layer, (keras.layers.LayerNormalization, keras.layers.BatchNormalization))
                   for layer in plain.critic.layers)
    assert keras_gans.WGANGP.from_config(plain.get_config()).critic_normalization is None
    with pytest.raises(ValueError, match="use 'layer' or None"):
        keras_gans.WGANGP(critic_normalization="batch")


def test_layer_norm_makes_a_2d_critic_blind_to_the_length_of_its_input():
    # Why the toy critic has no normalization: with the first layer's biases at 0 (their start), a layer norm
    # after it gives the same output for x and 3x, so the critic cannot tell the grid's inner modes from its
    # outer ones along a line through the centre.
    points = np.array([[0.5, 1.0], [-2.0, 0.3], [1.5, -1.5]], "float32")
    keras.utils.set_random_seed(0)
    with_norm = keras_gans.networks.toy_discriminator((2,), normalization="layer", hidden=(64, 64))
    np.testing.assert_allclose(with_norm(points).numpy(), with_norm(3 * points).numpy(), rtol=1e-4, atol=1e-5)
    without = keras_gans.networks.toy_discriminator((2,), normalization=None, hidden=(64, 64))
    assert np.abs(without(points).numpy() - without(3 * points).numpy()).min() > 1e-3


def test_wgan_gp_draws_epsilon_per_sample(dataset, monkeypatch):
    seen = []
    original = penalties.gradient_penalty

    def spy(critic_fn, real, fake, epsilon, target=1.0):
        seen.append(np.asarray(epsilon))
        return original(critic_fn, real, fake, epsilon, target)

    monkeypatch.setattr(penalties, "gradient_penalty", spy)
    model = tiny(keras_gans.WGANGP, n_critic=1)
    model.compile(run_eagerly=True)
    model.fit(dataset.take(2), epochs=1, verbose=0)
    assert len(seen) == 2
    epsilon = seen[0]
    assert epsilon.shape == (16, 1, 1, 1)
    assert len(np.unique(epsilon)) == 16 and 0 <= epsilon.min() and epsilon.max() < 1
    assert not np.array_equal(seen[0], seen[1])


def test_dragan_penalises_only_points_around_the_real_batch(dataset, monkeypatch):
    seen = {"real": [], "points": []}
    perturb, penalty = penalties.dragan_perturb, penalties.dragan_penalty

    def spy_perturb(real, *args, **kwargs):
        seen["real"].append(np.asarray(real))
        return perturb(real, *args, **kwargs)

    def spy_penalty(critic_fn, perturbed_real, *args, **kwargs):
        seen["points"].append(np.asarray(perturbed_real))
        return penalty(critic_fn, perturbed_real, *args, **kwargs)

    monkeypatch.setattr(penalties, "dragan_perturb", spy_perturb)
    monkeypatch.setattr(penalties, "dragan_penalty", spy_penalty)
    model = tiny(keras_gans.DRAGAN)
    model.compile(run_eagerly=True)
    model.fit(dataset.take(1), epochs=1, verbose=0)
    real, points = seen["real"][0], seen["points"][0]
    # The batch perturbed is the real training batch (not generated images) ...
    assert real.min() >= -1 and np.abs(np.sort(real.ravel())[:100] + 1).max() < 1e-6  # real black background
    # ... and every penalty point is its real image moved by at most 0.5 std(x), in the positive direction.
    offset = points - real
    assert offset.min() >= -1e-6 and offset.max() <= 0.5 * real.std() + 1e-6
    assert offset.max() > 0.1 * real.std()


def test_began_k_t_follows_its_control_law_and_survives_save_load(dataset, tmp_path):
    model = tiny_autoencoder_game(keras_gans.BEGAN, lambda_k=0.05)
    model.compile()
    history = model.fit(dataset.take(3), epochs=1, verbose=0)
    k = float(model.k_t.numpy())
    assert 0.0 < k <= 1.0  # moved from k_0 = 0: the fakes start with a lower loss than gamma L(x) allows
    assert history.history["k_t"][0] < k  # the metric reports the k used by each update
    path = str(tmp_path / "began.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is keras_gans.BEGAN and float(loaded.k_t.numpy()) == k
    assert loaded.lambda_k == 0.05 and loaded.gamma == 0.7
    np.testing.assert_array_equal(model.generate(4, seed=2), loaded.generate(4, seed=2))


def test_began_single_step_matches_the_formula(dataset):
    model = tiny_autoencoder_game(keras_gans.BEGAN, lambda_k=0.3, gamma=0.7)
    model.compile(run_eagerly=True)
    model.k_t.assign(0.4)
    seen = {}

    class Keep(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.update(logs)

    model.fit(dataset.take(1), epochs=1, verbose=0, callbacks=[Keep()])
    expected = np.clip(0.4 + 0.3 * (0.7 * seen["real_loss"] - seen["fake_loss"]), 0, 1)
    assert float(model.k_t.numpy()) == pytest.approx(expected, rel=1e-5)
    assert seen["k_t"] == pytest.approx(0.4)
    assert seen["convergence"] == pytest.approx(seen["real_loss"] + abs(0.7 * seen["real_loss"] - seen["fake_loss"]),
                                                rel=1e-5)


@pytest.mark.parametrize("cls, options", [(keras_gans.WGAN, {"n_critic": 3, "clip_value": 0.05}),
                                          (keras_gans.WGANGP, {"n_critic": 2, "gradient_penalty_weight": 5.0}),
                                          (keras_gans.DRAGAN, {"one_sided": True, "k": 2.0}),
                                          (keras_gans.EBGAN, {"margin": 3.0, "pt_weight": 0.0})],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_configs_round_trip(cls, options, tmp_path):
    model = tiny_autoencoder_game(cls, **options) if cls is keras_gans.EBGAN else tiny(cls, **options)
    model.compile()
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = cls.load(path)
    for key, value in options.items():
        assert getattr(loaded, key) == value


def test_the_infogan_generator_without_batch_norm_has_biases_instead():
    with_norm = keras_gans.networks.infogan_generator()
    plain = keras_gans.networks.infogan_generator(normalization=None)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in with_norm.layers) == 3
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in plain.layers)
    # Each of the three normalized layers trades its norm's scale and offset (2 per unit) for a bias (1 per unit),
    # and loses the norm's two moving statistics per unit.
    units = 1024 + 7 * 7 * 128 + 64
    assert with_norm.count_params() - plain.count_params() == 3 * units
    z = np.random.default_rng(0).standard_normal((4, 62)).astype("float32")
    images = plain(z, training=True).numpy()
    assert images.shape == (4, 28, 28, 1) and np.abs(images).max() <= 1.0
    assert np.abs(images[0] - images[1]).max() > 0  # still a function of z, batch by batch or alone


def test_a_deeper_autoencoder_mirrors_its_stride_two_convolutions():
    shallow = keras_gans.networks.autoencoder_discriminator((28, 28, 1), normalization=None)
    deep = keras_gans.networks.autoencoder_discriminator((28, 28, 1), normalization="batch", depth=2)

    def kinds(model, kind):
        return [layer.name for layer in model.layers if type(layer) is kind]

    # depth 1 is the collections' autoencoder, layer names included (checkpoints of it still load).
    assert kinds(shallow, keras.layers.Conv2D) == ["conv"]
    assert kinds(shallow, keras.layers.Conv2DTranspose) == ["deconv"]
    assert kinds(deep, keras.layers.Conv2D) == ["conv", "conv_1"]
    assert kinds(deep, keras.layers.Conv2DTranspose) == ["deconv_1", "deconv"]
    assert deep.get_layer("conv_1").filters == 128 and deep.get_layer("deconv_1").filters == 64
    assert deep.get_layer("decode").units == 7 * 7 * 128
    # The normalization follows every layer but the encoder's first and the reconstruction.
    assert kinds(deep, keras.layers.BatchNormalization) == ["conv_1_norm", "decode_norm", "deconv_1_norm"]
    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype("float32")
    reconstruction, code = deep(images, training=False)
    assert reconstruction.shape == (3, 28, 28, 1) and code.shape == (3, 32)
    with pytest.raises(ValueError, match="at least 1"):
        keras_gans.networks.autoencoder_discriminator((28, 28, 1), depth=0)
    with pytest.raises(ValueError):
        keras_gans.networks.autoencoder_discriminator((28, 28, 1), depth=3)  # 28 is not divisible by 8


def test_began_builds_the_deeper_autoencoder_and_ebgan_keeps_its_own():
    def shape(model):
        convolutions = [layer.name for layer in model.discriminator.layers if type(layer) is keras.layers.Conv2D]
        return convolutions, model.discriminator.get_layer("embedding").units

    assert shape(keras_gans.BEGAN(image_shape=IMAGE_SHAPE)) == (["conv", "conv_1"], 64)
    assert shape(keras_gans.EBGAN(image_shape=IMAGE_SHAPE)) == (["conv"], 32)
    # On the toy mixtures a hidden layer of 256 stands for each convolution: BEGAN's has two each way, as the
    # toy autoencoder always had, and its code of 64.
    toy = keras_gans.BEGAN(image_shape=(2,), latent_dim=4, architecture="toy").discriminator
    assert [layer.units for layer in toy.layers if type(layer) is keras.layers.Dense] == [256, 256, 64, 256, 256, 2]
