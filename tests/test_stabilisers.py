"""The stabilisers every game can switch on: generator EMA, spectral normalization of D, DiffAugment, instance
noise."""
import numpy as np
import pytest
import tensorflow as tf

import keras
import keras_gans
from conftest import IMAGE_SHAPE, LATENT_DIM, make
from keras_gans import augment, networks, toy

POLICY = "translation,cutout,color"


def images(n=6, channels=3, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (n, 16, 16, channels)).astype("float32"))


def noise(n, width, value=None, seed=1):
    if value is not None:
        return tf.fill((n, width), value)
    return tf.constant(np.random.default_rng(seed).uniform(0, 1, (n, width)).astype("float32"))


# ------------------------------------------------------------------------------------------- DiffAugment
@pytest.mark.parametrize("name", ["color", "translation"])
def test_augmentation_is_the_identity_for_its_middle_noise(name):
    x = images()
    y = augment.AUGMENTATIONS[name](x, noise(6, augment.NOISE_WIDTH[name], augment.IDENTITY))
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize("name", sorted(augment.AUGMENTATIONS))
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_augmentation_changes_images_keeps_shape_and_dtype_and_passes_gradients(name, dtype):
    x = tf.cast(images(), dtype)
    u = noise(6, augment.NOISE_WIDTH[name])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = augment.AUGMENTATIONS[name](x, u)
        total = tf.reduce_sum(tf.cast(y, "float32") ** 2)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert np.abs(y.numpy().astype("float32") - x.numpy().astype("float32")).max() > 1e-2
    gradient = tape.gradient(total, x)
    assert gradient is not None and np.abs(gradient.numpy()).max() > 0


def test_translation_shifts_with_zero_padding():
    x = images(2, 1)
    s = 2  # round(16 / 8)
    # u = (t + s + 0.5) / (2 s + 1) gives the shift t; image 0: 2 down, 1 left; image 1: 1 up, 2 right.
    shifts = np.array([[2, -1], [-1, 2]])
    y = augment.translation(x, tf.constant((shifts + s + 0.5) / (2 * s + 1), tf.float32)).numpy()
    for b, (th, tw) in enumerate(shifts):
        expected = np.zeros_like(x[b].numpy())
        src = x[b].numpy()
        for i in range(16):
            for j in range(16):
                if 0 <= i - th < 16 and 0 <= j - tw < 16:
                    expected[i, j] = src[i - th, j - tw]
        np.testing.assert_array_equal(y[b], expected)


def test_cutout_zeroes_one_square_of_half_the_image():
    x = images(3, 2) + 2.0  # no zeros of its own
    y = augment.cutout(x, tf.constant([[0.5, 0.5], [0.0, 0.0], [0.99, 0.3]])).numpy()
    zero = (y == 0).all(axis=-1)
    assert zero[0].sum() == 8 * 8 and zero[0][4:12, 4:12].all()  # centred: the whole 8 x 8 square
    assert 0 < zero[1].sum() < 64 and zero[1][0, 0]  # at the corner: part of it
    np.testing.assert_array_equal(y[~(y == 0)], x.numpy()[~(y == 0)])


def test_color_formula():
    x = images(2, 3)
    u = tf.constant([[1.0, 0.5, 0.5], [0.5, 0.0, 0.5]])  # brightness +0.5 / saturation 0 (grey)
    y = augment.color(x, u).numpy()
    np.testing.assert_allclose(y[0], x[0].numpy() + 0.5, atol=1e-6)
    np.testing.assert_allclose(y[1], np.repeat(x[1].numpy().mean(-1, keepdims=True), 3, -1), atol=1e-6)


def test_policy_parsing_and_errors():
    assert augment.parse_policy("translation, cutout,color") == ("translation", "cutout", "color")
    assert augment.parse_policy(None) == () and augment.parse_policy("") == ()
    with pytest.raises(ValueError, match="Unknown augmentation 'flip'"):
        augment.parse_policy("translation,flip")


@pytest.mark.parametrize("name", ["gan", "wgan_gp", "dragan", "cgan"])
def test_models_with_augment_fit(name, dataset):
    model = make(name, augment=POLICY)
    model.compile()
    history = model.fit(dataset.take(4), epochs=1, verbose=0).history
    assert all(np.isfinite(values).all() for values in history.values())


def test_augment_reaches_the_generator_gradient(fashion_mnist):
    # D sees only augmented batches: with cutout everywhere G's gradient still flows through the transformation.
    model = make("gan", dropout=0.0, augment="translation,cutout")
    model.compile()
    real = tf.constant(fashion_mnist[0][:8].astype("float32") / 127.5 - 1)
    with tf.GradientTape() as tape:
        loss = model.generator_loss(real)["g_loss"]
    gradients = tape.gradient(loss, model.generator.trainable_variables)
    assert all(g is not None for g in gradients) and max(np.abs(g.numpy()).max() for g in gradients) > 0


def test_augment_is_refused_for_vector_data_and_autoencoder_discriminators():
    with pytest.raises(ValueError, match="vector data"):
        keras_gans.GAN(image_shape=(2,), latent_dim=4, architecture="toy", augment="color")
    with pytest.raises(ValueError, match="reconstructs its input"):
        make("ebgan", augment="color")


# ------------------------------------------------------------------------------- spectral normalization
def largest_singular_value(layer):
    kernel = layer.layer.kernel.numpy()
    return np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]


@pytest.mark.parametrize("architecture, shape", [("infogan", IMAGE_SHAPE), ("dcgan", IMAGE_SHAPE),
                                                 ("mlp", IMAGE_SHAPE), ("toy", (2,))])
def test_spectral_norm_wraps_every_dense_and_conv_of_the_default_discriminator(architecture, shape):
    model = keras_gans.GAN(image_shape=shape, latent_dim=LATENT_DIM, architecture=architecture, spectral_norm=True)
    kinds = [type(layer) for layer in model.discriminator.layers]
    assert keras.layers.SpectralNormalization in kinds and keras.layers.Dense not in kinds \
        and keras.layers.Conv2D not in kinds
    assert isinstance(model.discriminator.get_layer("logits"), keras.layers.SpectralNormalization)
    out = model.discriminator(np.zeros((2,) + shape, "float32"), training=True)
    assert out.shape == (2, 1) and out.dtype == "float32"


@pytest.mark.parametrize("name", ["gan", "wgan_gp", "infogan"])
def test_spectral_norm_fits_saves_and_bounds_the_kernels(name, fashion_mnist, tmp_path):
    data = keras_gans.data.from_arrays(*fashion_mnist, batch_size=16, shuffle=False)
    model = make(name, spectral_norm=True)
    model.compile()
    model.fit(data.take(20), epochs=1, verbose=0)
    wrapped = [l for l in model.discriminator.layers if isinstance(l, keras.layers.SpectralNormalization)]
    assert wrapped
    for layer in wrapped:
        assert largest_singular_value(layer) == pytest.approx(1.0, abs=0.05), layer.name
    path = str(tmp_path / "sn.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.spectral_norm and len(loaded.discriminator.layers) == len(model.discriminator.layers)
    for a, b in zip(model.discriminator.weights, loaded.discriminator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    loaded.fit(data.take(2), epochs=1, verbose=0)


def test_spectral_norm_with_batch_and_layer_norm_on_conv_nets(fashion_mnist):
    x = fashion_mnist[0][:32].astype("float32") / 127.5 - 1
    for cls, architecture in ((keras_gans.DCGAN, "dcgan"), (keras_gans.WGANGP, "infogan")):  # batch / layer norm
        model = cls(image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, architecture=architecture, spectral_norm=True,
                    seed=0)
        model.compile()
        history = model.fit(x, batch_size=8, epochs=1, steps_per_epoch=2, verbose=0).history
        assert all(np.isfinite(v).all() for v in history.values())


def test_spectral_norm_keeps_float32_kernels_under_mixed_bfloat16(fashion_mnist):
    """SpectralNormalization writes the normalized kernel back into its variable in training; computed from the
    bfloat16 copy, every kernel would be rounded to bfloat16 at each step. The wrapper runs in float32."""
    keras.config.set_dtype_policy("mixed_bfloat16")  # the autouse fixture resets it
    data = keras_gans.data.from_arrays(*fashion_mnist, batch_size=16, shuffle=False)
    model = make("gan", spectral_norm=True)
    model.compile()
    model.fit(data.take(3), epochs=1, verbose=0)
    wrapped = [l for l in model.discriminator.layers if isinstance(l, keras.layers.SpectralNormalization)]
    # The hidden layers compute in bfloat16 as the policy says, the logits in float32 as built.
    assert {layer.name: layer.layer.compute_dtype for layer in wrapped} == {"dense_0": "bfloat16",
                                                                            "logits": "float32"}
    for layer in wrapped:
        kernel = layer.layer.kernel.numpy()
        assert kernel.dtype == np.float32
        rounded = tf.cast(tf.cast(kernel, tf.bfloat16), tf.float32).numpy()
        assert (kernel != rounded).mean() > 0.5, layer.name  # not bfloat16 values stored in float32


def test_spectral_norm_refuses_a_given_discriminator_without_it():
    generator = networks.mlp_generator(IMAGE_SHAPE, LATENT_DIM, hidden=(8,))
    plain = networks.mlp_discriminator(IMAGE_SHAPE, hidden=(8,))
    with pytest.raises(ValueError, match="spectral_normalize"):
        keras_gans.GAN(generator, plain, image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, spectral_norm=True)
    model = keras_gans.GAN(generator, networks.spectral_normalize(plain), image_shape=IMAGE_SHAPE,
                           latent_dim=LATENT_DIM, spectral_norm=True)
    assert networks.has_spectral_norm(model.discriminator)


# ------------------------------------------------------------------------------------------ generator EMA
def test_ema_follows_its_formula_after_every_generator_update(dataset):
    model = make("gan", dropout=0.0, ema=0.2)
    model.compile()
    averages = [w.numpy() for w in model.generator.trainable_variables]  # the average starts at the weights
    for average, expected in zip(model.ema_weights, averages):
        np.testing.assert_array_equal(average.numpy(), expected)
    # d = min(ema, (1 + t) / (10 + t)): the warm-up's 2/11 after the first update, then the cap 0.2 (< 3/12).
    for batch, decay in zip(dataset.take(2), (2 / 11, 0.2)):
        model.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0)
        averages = [decay * a + (1 - decay) * w.numpy()
                    for a, w in zip(averages, model.generator.trainable_variables)]
        for average, expected, weight in zip(model.ema_weights, averages, model.generator.trainable_variables):
            np.testing.assert_allclose(average.numpy(), expected, rtol=1e-5, atol=1e-7)
            assert not np.array_equal(average.numpy(), weight.numpy())


@pytest.mark.parametrize("name", ["gan", "cgan", "infogan"])
def test_generation_and_export_use_the_averaged_generator(name, dataset, tmp_path):
    model = make(name, ema=0.9)
    model.compile()
    model.fit(dataset.take(3), epochs=1, verbose=0)
    n = 4
    inputs = {"z": model.latent_for(n, 0), **model.conditions_for(n, 0)}
    averaged = model.averaged_generator()
    expected = averaged(model.generator_input_from(inputs), training=False).numpy()
    raw = model.generator(model.generator_input_from(inputs), training=False).numpy()
    assert np.abs(expected - raw).max() > 1e-6
    np.testing.assert_allclose(model.generate_from(inputs), expected, atol=1e-6)
    np.testing.assert_allclose(model(inputs).numpy(), expected, atol=1e-6)
    model.export(str(tmp_path / "served"))
    loaded = tf.saved_model.load(str(tmp_path / "served"))  # kept: its functions need its variables alive
    served = loaded.serve(inputs if len(inputs) > 1 else inputs["z"])
    np.testing.assert_allclose(served.numpy(), expected, atol=1e-6)


def test_ema_under_mirrored_strategy(fashion_mnist, mirrored):
    data = keras_gans.data.from_arrays(*fashion_mnist, batch_size=16, shuffle=False)
    with mirrored.scope():
        model = make("gan", dropout=0.0, ema=0.5, spectral_norm=True, augment=POLICY, instance_noise=0.3)
        model.compile()
    start = [w.numpy() for w in model.generator.trainable_variables]
    model.fit(data.take(1), epochs=1, verbose=0, callbacks=[keras_gans.callbacks.AnnealInstanceNoise(2)])
    assert float(model.instance_noise_stddev.numpy()) == pytest.approx(0.3)  # set before the one step: t = 0
    for average, weight, w0 in zip(model.ema_weights, model.generator.trainable_variables, start):
        decay = 2 / 11  # min(0.5, (1 + t) / (10 + t)) after the first update, t = 1
        np.testing.assert_allclose(average.numpy(), decay * w0 + (1 - decay) * weight.numpy(), rtol=1e-6, atol=1e-7)
    assert model.generate(4, seed=0).shape == (4,) + IMAGE_SHAPE


# ------------------------------------------------------------------------------------------ instance noise
def toy_gan(instance_noise=0.0, dims=2):
    """A GAN on the toy MLPs for `dims`-dimensional points, seeded."""
    return keras_gans.GAN(image_shape=(dims,), latent_dim=4, architecture="toy", seed=0, instance_noise=instance_noise)


def test_instance_noise_adds_gaussian_noise_of_the_current_stddev_to_what_d_sees():
    model = toy_gan(0.5, dims=3)
    batch = tf.constant(np.tile([[1.0, -2.0, 3.0]], (20000, 1)).astype("float32"))
    added = (model.discriminator_view(batch) - batch).numpy()
    np.testing.assert_allclose(added.mean(axis=0), 0.0, atol=0.02)
    np.testing.assert_allclose(added.std(axis=0), 0.5, rtol=0.03)
    # Fresh noise for every call, and none once annealed to 0.
    assert np.abs((model.discriminator_view(batch) - batch).numpy() - added).max() > 0.1
    model.instance_noise_stddev.assign(0.0)
    np.testing.assert_array_equal(model.discriminator_view(batch).numpy(), batch.numpy())
    # Off by default: no variable, the batch itself.
    plain = toy_gan(dims=3)
    assert plain.instance_noise_stddev is None
    assert plain.discriminator_view(batch) is batch


def test_instance_noise_reaches_both_updates_and_the_feature_matching_of_sgan(dataset):
    # Two copies with the same seed and weights draw the same z and the same noise; one has its noise at 0, so
    # both losses differ between them only through the noise D sees.
    real = next(iter(dataset))[0]
    for name, options in (("gan", {}), ("sgan", {"generator_loss": "feature_matching"})):
        noisy = make(name, dropout=0.0, instance_noise=1.0, **options)
        quiet = make(name, dropout=0.0, instance_noise=1.0, **options)
        quiet.set_weights(noisy.get_weights())
        quiet.instance_noise_stddev.assign(0.0)
        for loss in ("discriminator_loss", "generator_loss"):
            with_noise, without = (float(next(iter(getattr(m, loss)(real).values()))) for m in (noisy, quiet))
            assert np.isfinite(with_noise) and abs(with_noise - without) > 1e-4, (name, loss)


def test_anneal_instance_noise_follows_its_schedule_and_resumes(tmp_path):
    batches = toy.stream("ring", batch_size=32)
    model = toy_gan(0.8)
    model.compile()
    anneal = keras_gans.callbacks.AnnealInstanceNoise(8)
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(float(model.instance_noise_stddev.numpy())))
    model.fit(batches, epochs=1, steps_per_epoch=4, verbose=0, callbacks=[anneal, record])
    np.testing.assert_allclose(seen, [0.8, 0.7, 0.6, 0.5], rtol=1e-6)
    path = str(tmp_path / "noisy.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.instance_noise == 0.8 and float(loaded.instance_noise_stddev.numpy()) == pytest.approx(0.5)
    seen.clear()
    record = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(float(loaded.instance_noise_stddev.numpy())))
    loaded.fit(batches, epochs=1, steps_per_epoch=6, verbose=0, callbacks=[anneal, record])
    np.testing.assert_allclose(seen, [0.4, 0.3, 0.2, 0.1, 0.0, 0.0], atol=1e-6)
    with pytest.raises(ValueError, match="instance_noise=sigma > 0"):
        plain = toy_gan()
        plain.compile()
        plain.fit(batches, epochs=1, steps_per_epoch=1, verbose=0, callbacks=[anneal])


# ------------------------------------------------------------------------------------------ configuration
def test_switches_are_saved_in_the_config():
    model = make("dragan", ema=0.999, spectral_norm=True, augment="cutout, color")
    config = model.get_config()
    assert (config["ema"], config["spectral_norm"], config["augment"]) == (0.999, True, "cutout,color")
    restored = type(model).from_config(config)
    assert (restored.ema, restored.spectral_norm, restored.augment) == (0.999, True, "cutout,color")
    assert len(restored.ema_weights) == len(model.generator.trainable_variables)
    plain = make("ebgan").get_config()
    assert (plain["ema"], plain["spectral_norm"], plain["augment"], plain["instance_noise"]) == (None, False, None, 0.0)
    # GAN, the games built on it, LSGAN, WGAN-GP, catGAN and SGAN sample from G's average unless told not to;
    # WGAN does not.
    assert make("gan").ema == make("dcgan").ema == make("cgan").ema == make("wgan_gp").ema == 0.999
    assert make("lsgan").ema == 0.999 and make("lsgan", ema=None).ema is None
    for semi_supervised in ("catgan", "sgan"):
        assert make(semi_supervised).ema == 0.999 and make(semi_supervised, ema=None).ema is None
        restored = keras_gans.VARIANTS[semi_supervised].from_config(make(semi_supervised, ema=None).get_config())
        assert restored.ema is None and not restored.ema_weights and restored.classifier_ema == 0.999
    assert make("wgan").ema is None
    assert make("gan", ema=None).ema is None and not make("gan", ema=None).ema_weights
    noisy = type(model).from_config(make("dragan", instance_noise=0.25).get_config())
    assert noisy.instance_noise == 0.25 and float(noisy.instance_noise_stddev.numpy()) == 0.25


@pytest.mark.parametrize("options, message", [({"ema": 1.0}, "ema must be"), ({"ema": "fast"}, "ema must be"),
                                              ({"spectral_norm": "yes"}, "spectral_norm must be"),
                                              ({"augment": "zoom"}, "Unknown augmentation"),
                                              ({"instance_noise": -0.1}, "instance_noise must be"),
                                              ({"instance_noise": "loud"}, "instance_noise must be")])
def test_unknown_values_are_one_clear_error(options, message):
    with pytest.raises(ValueError, match=message):
        make("gan", **options)
