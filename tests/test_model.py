"""GANModel: compile, noise, generate, data checks, save/load, distribution."""
import numpy as np
import pytest
import tensorflow as tf

import keras
import keras_gans
from conftest import IMAGE_SHAPE, LATENT_DIM, tiny


def test_the_same_optimizer_for_both_networks_is_refused():
    model = tiny(keras_gans.GAN)
    adam = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="same object"):
        model.compile(d_optimizer=adam, g_optimizer=adam)


def test_compile_builds_both_optimizers_and_turns_xla_on():
    model = tiny(keras_gans.GAN)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.SGD(1e-2), steps_per_execution=2)
    assert model.d_optimizer.built and model.g_optimizer.built
    assert isinstance(model.g_optimizer, keras.optimizers.SGD)
    assert model.jit_compile is True
    model.compile(jit_compile=False)
    assert model.jit_compile is False


def test_auto_compile_leaves_xla_off_for_bfloat16_networks_on_cpu():
    # XLA's CPU compiler gains nothing from bfloat16 matrix products; TensorFlow's own kernels do.
    keras.config.set_dtype_policy("mixed_bfloat16")  # the autouse fixture resets it
    model = tiny(keras_gans.GAN)
    model.compile()
    assert model.jit_compile is False
    model.compile(jit_compile=True)  # asked for explicitly: kept
    assert model.jit_compile is True
    keras.config.set_dtype_policy("float32")
    model = tiny(keras_gans.GAN)
    model.compile()
    assert model.jit_compile is True


def test_generate_is_reproducible_by_seed_and_in_range():
    model = tiny(keras_gans.GAN)
    a, b, c = model.generate(6, seed=1), model.generate(6, seed=1), model.generate(6, seed=2)
    assert a.shape == (6,) + IMAGE_SHAPE
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert a.min() >= -1 and a.max() <= 1
    np.testing.assert_allclose(model.predict(np.zeros((2, LATENT_DIM), "float32"), verbose=0),
                               model.generator(np.zeros((2, LATENT_DIM), "float32")), atol=1e-6)


def test_uniform_prior_draws_within_bounds():
    model = tiny(keras_gans.GAN, latent_prior="uniform")
    z = keras_gans.noise.latent(1000, model.latent_dim, model.latent_prior, tf.constant([0, 1], tf.int64)).numpy()
    assert z.min() >= -1 and z.max() <= 1 and abs(z.mean()) < 0.05
    with pytest.raises(ValueError, match="latent_prior"):
        tiny(keras_gans.GAN, latent_prior="cauchy")


@pytest.mark.parametrize("images, message", [
    (np.zeros((4, 32, 32, 1), "float32"), r"shape \(28, 28, 1\).*\(32, 32, 1\)"),
    (np.zeros((4, 28, 28), "float32"), r"shape \(28, 28, 1\)"),
    (np.zeros((4, 28, 28, 1), "uint8"), "float images"),
    (np.full((4, 28, 28, 1), 3.0, "float32"), r"\[-1, 1\]"),
    (np.full((4, 28, 28, 1), np.nan, "float32"), "NaN"),
])
def test_bad_training_data_gets_one_clear_error(images, message):
    model = tiny(keras_gans.GAN)
    model.compile()
    with pytest.raises(ValueError, match=message):
        model.fit(tf.data.Dataset.from_tensor_slices(images).batch(2), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=message):
        model.fit(images, batch_size=2, epochs=1, verbose=0)


def test_save_and_load_model_keeps_class_networks_optimizers_and_counters(dataset, tmp_path):
    model = tiny(keras_gans.LSGAN, **keras_gans.variants.lsgan.PEARSON_CODING)
    model.compile(d_optimizer=keras.optimizers.Adam(3e-4), g_optimizer=keras.optimizers.RMSprop(1e-4))
    model.fit(dataset.take(3), epochs=1, verbose=0)
    path = str(tmp_path / "lsgan.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is keras_gans.LSGAN and (loaded.a, loaded.b, loaded.c) == (-1.0, 1.0, 0.0)
    np.testing.assert_array_equal(model.generate(8, seed=5), loaded.generate(8, seed=5))
    assert isinstance(loaded.g_optimizer, keras.optimizers.RMSprop)
    assert float(loaded.d_optimizer.learning_rate.numpy()) == pytest.approx(3e-4)
    assert int(loaded.step_counter.numpy()) == 3 == int(loaded.d_optimizer.iterations.numpy())
    for mine, theirs in zip(model.d_optimizer.variables, loaded.d_optimizer.variables):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    loaded.fit(dataset.take(1), epochs=1, verbose=0)  # and it trains on
    assert int(loaded.g_optimizer.iterations.numpy()) == 4


def test_loading_a_bad_or_foreign_checkpoint_is_a_clear_error(tmp_path):
    model = tiny(keras_gans.GAN)
    model.compile()
    path = str(tmp_path / "gan.keras")
    model.save(path)
    with pytest.raises(ValueError, match="holds a GAN, not a LSGAN"):
        keras_gans.LSGAN.load(path)
    assert type(keras_gans.GANModel.load(path)) is keras_gans.GAN
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(open(path, "rb").read()[:2000])
    with pytest.raises(ValueError, match="Could not read the checkpoint"):
        keras_gans.GAN.load(str(truncated))
    with pytest.raises(FileNotFoundError, match="No checkpoint"):
        keras_gans.GAN.load(str(tmp_path / "missing.keras"))


def test_noise_differs_between_steps_draws_and_replicas(mirrored):
    strategy = mirrored
    with strategy.scope():
        model = tiny(keras_gans.GAN)

    @tf.function
    def draws():
        def replica_fn():
            model._draws.reset()
            return tf.stack([model.sample_latent(3), model.sample_latent(3)])
        return strategy.run(replica_fn)

    per_replica = [t.numpy() for t in strategy.experimental_local_results(draws())]
    assert not np.allclose(per_replica[0], per_replica[1])  # replicas
    assert not np.allclose(per_replica[0][0], per_replica[0][1])  # draws within a step
    again = [t.numpy() for t in strategy.experimental_local_results(draws())]
    np.testing.assert_array_equal(per_replica[0], again[0])  # a function of (seed, step, draw, replica)
    model.step_counter.assign(1)
    assert not np.allclose(per_replica[0], strategy.experimental_local_results(draws())[0].numpy())  # steps


def test_fit_under_mirrored_strategy(dataset, mirrored):
    strategy = mirrored
    with strategy.scope():
        model = tiny(keras_gans.CGAN, num_classes=10, d_steps=2)
        model.compile()
    assert model.jit_compile is False  # XLA cannot place replicated variables on CPU
    history = model.fit(dataset.take(4), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
    assert int(model.d_optimizer.iterations.numpy()) == 4 and int(model.g_optimizer.iterations.numpy()) == 2


def test_joint_batches_make_one_discriminator_call_on_real_and_fake(fashion_mnist):
    real = fashion_mnist[0][:6].astype("float32") / 127.5 - 1
    fake = np.random.default_rng(0).uniform(-1, 1, real.shape).astype("float32")
    generator = keras_gans.networks.mlp_generator(IMAGE_SHAPE, LATENT_DIM, hidden=(16,))
    discriminator = keras_gans.networks.mlp_discriminator(IMAGE_SHAPE, hidden=(16,), dropout=0.0)
    # An MLP discriminator without dropout: every output depends on its own sample only.
    per_sample = keras_gans.GAN(generator, discriminator, image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM,
                                joint_batches=True)
    assert not per_sample.generator_update_sees_real
    real_out, fake_out = per_sample.discriminate_real_fake(real, None, fake, None)
    np.testing.assert_allclose(real_out, per_sample.discriminator(real, training=True), atol=1e-5)
    np.testing.assert_allclose(fake_out, per_sample.discriminator(fake, training=True), atol=1e-5)

    batch_norm = keras_gans.GAN(image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=0, joint_batches=True)
    assert batch_norm.generator_update_sees_real  # the infoGAN-paper D has batch norm
    assert not keras_gans.WGANGP(image_shape=IMAGE_SHAPE, seed=0, joint_batches=True).generator_update_sees_real
    assert not keras_gans.GAN(image_shape=IMAGE_SHAPE, seed=0).generator_update_sees_real  # separate by default
    _, fake_out = batch_norm.discriminate_real_fake(real, None, fake, None)
    both = batch_norm.discriminator(np.concatenate([real, fake]), training=True)
    np.testing.assert_allclose(fake_out, both[6:], atol=1e-5)
    # Normalizing over the mixed batch is not the same as over the fakes alone.
    assert not np.allclose(fake_out, batch_norm.discriminator(fake, training=True), atol=1e-3)
    np.testing.assert_allclose(batch_norm.discriminate_fake(real, None, fake, None), fake_out, atol=1e-5)


def test_separate_batches_call_the_discriminator_on_real_and_fake_apart(fashion_mnist):
    real = fashion_mnist[0][:6].astype("float32") / 127.5 - 1
    fake = np.random.default_rng(0).uniform(-1, 1, real.shape).astype("float32")
    joint = keras_gans.GAN(image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=0, joint_batches=True)  # BN in D
    separate = keras_gans.GAN(joint.generator, joint.discriminator, image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM,
                              seed=0)
    real_out, fake_out = separate.discriminate_real_fake(real, None, fake, None)
    np.testing.assert_allclose(real_out, joint.discriminator(real, training=True), atol=1e-5)
    np.testing.assert_allclose(fake_out, joint.discriminator(fake, training=True), atol=1e-5)
    np.testing.assert_allclose(separate.discriminate_fake(real, None, fake, None), fake_out, atol=1e-5)
    assert not np.allclose(joint.discriminate_real_fake(real, None, fake, None)[1], fake_out, atol=1e-3)
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(separate)).joint_batches is False
