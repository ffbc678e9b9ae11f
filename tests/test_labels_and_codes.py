"""ACGAN, infoGAN, catGAN and SGAN: the losses against numpy, Q sharing D's layers, semi-supervised batches,
and each game learning what it promises on real Fashion-MNIST."""
import numpy as np
import pytest
import tensorflow as tf

import keras
import keras_gans
from conftest import IMAGE_SHAPE, LATENT_DIM, SUBSET, make
from keras_gans import losses, networks
from keras_gans.classifying import ClassifierMixin


def np_softmax(logits):
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_entropy(p):
    return -(p * np.log(np.clip(p, 1e-30, None))).sum(-1)


def value(tensor):
    return float(keras.ops.convert_to_numpy(tensor))


# ------------------------------------------------------------------------------------------ losses
def test_entropies_and_catgan_losses_on_hand_made_tables():
    k = 4
    uniform = np.zeros((8, k), "float32")                        # p(y|x) = 1/4 everywhere
    confident = np.tile(np.eye(k, dtype="float32") * 60.0, (2, 1))  # one-hot, every class twice
    one_class = np.tile(np.eye(k, dtype="float32")[:1] * 60.0, (8, 1))  # one-hot, all on class 0
    log_k = np.log(k)
    assert value(losses.conditional_entropy(uniform)) == pytest.approx(log_k)
    assert value(losses.marginal_entropy(uniform)) == pytest.approx(log_k)
    assert value(losses.conditional_entropy(confident)) == pytest.approx(0.0, abs=1e-6)
    assert value(losses.marginal_entropy(confident)) == pytest.approx(log_k)
    assert value(losses.marginal_entropy(one_class)) == pytest.approx(0.0, abs=1e-6)
    # D's best case: balanced, certain on real data and undecided on fakes.
    assert value(losses.catgan_discriminator_loss(confident, uniform)) == pytest.approx(-2 * log_k)
    assert value(losses.catgan_generator_loss(uniform)) == pytest.approx(0.0, abs=1e-6)
    assert value(losses.catgan_generator_loss(confident)) == pytest.approx(-log_k)

    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(16, k)).astype("float32") * 2, rng.normal(size=(16, k)).astype("float32")
    p_real, p_fake = np_softmax(real), np_softmax(fake)
    expected_d = -np_entropy(p_real.mean(0)) + np_entropy(p_real).mean() - np_entropy(p_fake).mean()
    expected_g = -np_entropy(p_fake.mean(0)) + np_entropy(p_fake).mean()
    assert value(losses.catgan_discriminator_loss(real, fake)) == pytest.approx(expected_d, rel=1e-5)
    assert value(losses.catgan_generator_loss(fake)) == pytest.approx(expected_g, rel=1e-5)


def test_semi_supervised_losses_match_numpy():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(6, 4)).astype("float32"), rng.normal(size=(5, 4)).astype("float32")  # K=3 + fake
    labels = np.array([2, -1, 0, -1, -1, 1], "int32")
    p_real, p_fake = np_softmax(real), np_softmax(fake)
    labeled = labels >= 0
    supervised = -np.log(np_softmax(real[labeled, :3])[np.arange(3), labels[labeled]]).mean()
    unsupervised = -np.log(1 - p_real[~labeled, 3]).mean()
    expected = supervised + unsupervised - np.log(p_fake[:, 3]).mean()
    assert value(losses.semi_supervised_discriminator_loss(real, labels, fake)) == pytest.approx(expected, rel=1e-5)
    assert value(losses.semi_supervised_generator_loss(fake)) == pytest.approx(-np.log(1 - p_fake[:, 3]).mean(),
                                                                              rel=1e-5)
    assert value(losses.labeled_cross_entropy(real, -np.ones(6, "int32"))) == 0.0  # no labeled row


def test_information_loss_on_a_batch_equals_numpy():
    model = keras_gans.InfoGAN(categorical_codes=(3, 2), continuous_codes=2, continuous_weight=0.5,
                               learn_variance=True, architecture="mlp", image_shape=(4,), latent_dim=2, seed=0)
    rng = np.random.default_rng(2)
    n = 7
    q = rng.normal(size=(n, 3 + 2 + 2 + 2)).astype("float32")  # logits 3, logits 2, means 2, log-variances 2
    c1, c2 = rng.integers(0, 3, n), rng.integers(0, 2, n)
    continuous = rng.uniform(-1, 1, (n, 2)).astype("float32")
    codes = np.concatenate([np.eye(3)[c1], np.eye(2)[c2], continuous], axis=1).astype("float32")
    categorical = (-np.log(np_softmax(q[:, :3])[np.arange(n), c1]).mean()
                   - np.log(np_softmax(q[:, 3:5])[np.arange(n), c2]).mean())
    mean, log_var = q[:, 5:7], q[:, 7:9]
    gaussian = (0.5 * (np.log(2 * np.pi) + log_var + (continuous - mean) ** 2 / np.exp(log_var))).sum(1).mean()
    assert value(model.information_loss(q, codes)) == pytest.approx(categorical + 0.5 * gaussian, rel=1e-5)


# ------------------------------------------------------------------------------------------ infoGAN
def test_q_shares_the_discriminators_layers_and_a_q_step_moves_them():
    model = keras_gans.InfoGAN(seed=0)  # the paper's networks: D conv stack, Q head of its own
    q_network, discriminator = model.q_network, model.discriminator
    shared = ("conv_0", "conv_1", "fc")
    for name in shared:
        assert q_network.get_layer(name) is discriminator.get_layer(name)
    assert {v.path for v in discriminator.get_layer("conv_0").weights} <= {v.path for v in q_network.weights}
    q_layers = [layer.name for layer in q_network.layers]
    assert "logits" not in q_layers and "q_fc" in q_layers  # Q: D's layers but its last, then its own head

    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (8,) + IMAGE_SHAPE).astype("float32"))
    codes = model.conditions_for(8, seed=0)
    target = np.concatenate([np.eye(10)[codes["categorical"][:, 0]], codes["continuous"]], 1).astype("float32")
    kernel = discriminator.get_layer("conv_0").kernel
    kernel_before, logit_before = kernel.numpy().copy(), discriminator(images, training=False)[0].numpy()
    optimizer = keras.optimizers.SGD(0.1)
    with tf.GradientTape() as tape:
        loss = model.information_loss(q_network(images, training=True), target)
    optimizer.apply(tape.gradient(loss, q_network.trainable_variables), q_network.trainable_variables)
    assert not np.allclose(kernel.numpy(), kernel_before)  # the Q loss trained D's own conv kernel
    assert not np.allclose(discriminator(images, training=False)[0].numpy(), logit_before)


def test_q_recovers_the_categorical_code_from_generated_samples(dataset):
    keras.utils.set_random_seed(0)
    generator = networks.mlp_generator(IMAGE_SHAPE, LATENT_DIM + 12, hidden=(64,))
    discriminator = networks.add_q_head(networks.mlp_discriminator(IMAGE_SHAPE, hidden=(64,), dropout=0.0), 12,
                                        hidden=32)
    model = keras_gans.InfoGAN(generator, discriminator, image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=0)
    # G's learning rate of the paper's MNIST run (1e-3) for both players: tiny nets, few steps.
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3, 0.5), g_optimizer=keras.optimizers.Adam(1e-3, 0.5))
    history = model.fit(dataset.repeat(), steps_per_epoch=500, epochs=1, verbose=0)
    assert np.isfinite(history.history["info_loss"][-1])
    c1 = np.arange(500) % 10
    images = model.generate(500, codes={"categorical": c1[:, None]}, seed=1)
    recovered = (model.infer_codes(images)["categorical"][:, 0] == c1).mean()
    assert recovered > 0.5, recovered  # chance: 0.1


# ------------------------------------------------------------------------------------ classifiers
@pytest.mark.parametrize("name", ["acgan", "sgan"])
def test_the_class_head_learns_real_classes_in_a_short_run(name, fashion_mnist):
    keras.utils.set_random_seed(0)
    images, labels = fashion_mnist
    if name == "sgan":  # semi-supervised: 10 labels per class beside the unlabeled images
        data = keras_gans.data.semi_supervised((images, labels), 10, batch_size=16, seed=0)
    else:
        data = keras_gans.data.from_arrays(images, labels, batch_size=16, seed=0)
    # SGAN without its default translation of D's batches: the tiny test D is an MLP, which gains nothing from
    # shifted images in eight short epochs (the default is measured on the full networks, docs/parity.md).
    model = make(name, dropout=0.0, augment=None)
    model.compile()
    model.fit(data, epochs=8, verbose=0)
    test_images, test_labels = keras_gans.data.load("fashion_mnist", "test", data_dir=SUBSET, batch_size=200,
                                                    shuffle=False).get_single_element()
    accuracy = model.evaluate(test_images, test_labels, verbose=0, return_dict=True)["accuracy"]
    predicted = model.classify(test_images.numpy()).argmax(-1)
    assert accuracy == pytest.approx((predicted == test_labels.numpy()).mean(), abs=1e-6)
    assert accuracy > 0.5, accuracy  # chance: 0.1, on 200 held-out real images


def test_catgan_trains_unsupervised_and_semi_supervised(fashion_mnist, dataset):
    model = make("catgan")
    model.compile(jit_compile=False)  # two datasets, two traces: spare the test two XLA compilations
    unsupervised = model.fit(dataset.map(lambda images, labels: images).take(2), epochs=1, verbose=0).history
    assert unsupervised["supervised_loss"] == [0.0]
    semi = keras_gans.data.semi_supervised(fashion_mnist, 2, batch_size=8)
    history = model.fit(semi.take(2), epochs=1, verbose=0).history
    assert history["supervised_loss"][0] > 0 and all(np.isfinite(v[0]) for v in history.values())
    assert model.classify(fashion_mnist[0][:3].astype("float32") / 127.5 - 1).sum(-1) == pytest.approx(1, abs=1e-5)


# ------------------------------------------------------------------------------------------ data
def test_semi_supervised_batches_hold_exactly_n_labeled_examples_per_class(fashion_mnist):
    images, labels = fashion_mnist
    seen = {}
    for seed in (0, 0, 1):
        data = keras_gans.data.semi_supervised((images, labels), 3, batch_size=10, seed=seed)
        rows, kinds = [], []
        for batch, batch_labels in data.take(12):
            batch_labels = batch_labels.numpy()
            assert batch.shape == (20,) + IMAGE_SHAPE
            np.testing.assert_array_equal(batch_labels[0::2], -1)  # interleaved: unlabeled, labeled, ...
            assert (batch_labels[1::2] >= 0).all()
            rows.append(batch.numpy()[1::2])
            kinds.append(batch_labels[1::2])
        pixels = np.round((np.concatenate(rows).reshape(120, -1) + 1) * 127.5).astype("uint8")  # back to uint8
        unique, index = np.unique(pixels, axis=0, return_index=True)
        assert len(unique) == 30  # 120 labeled rows drawn from exactly 3 x 10 examples
        assert np.bincount(np.concatenate(kinds)[index], minlength=10).tolist() == [3] * 10
        train_pixels = {row.tobytes() for row in images.reshape(len(images), -1)}
        assert all(row.tobytes() in train_pixels for row in unique)  # from the training split
        seen.setdefault(seed, []).append({row.tobytes() for row in unique})
    assert seen[0][0] == seen[0][1] and seen[0][0] != seen[1][0]  # the same for the same seed only


# ---------------------------------------------------------------------------------------- errors
def test_out_of_range_labels_and_codes_of_the_wrong_width_are_clear_errors():
    acgan, infogan, sgan = make("acgan"), make("infogan"), make("sgan")
    with pytest.raises(ValueError, match=r"Labels must lie in \[0, 10\)"):
        acgan.generate(2, labels=[1, 10])
    with pytest.raises(ValueError, match=r"must have shape \(3, 2\)"):
        infogan.generate(3, codes={"continuous": np.zeros((3, 5))})
    with pytest.raises(ValueError, match=r"takes values in \[0, 10\)"):
        infogan.generate(2, codes={"categorical": [[3], [12]]})
    with pytest.raises(ValueError, match="codes, not labels"):
        infogan.generate(2, labels=[0, 1])
    with pytest.raises(ValueError, match="takes no labels"):
        sgan.generate(2, labels=[0, 1])
    gan = make("gan")  # only the games whose discriminator classifies have classify() and evaluate()
    assert not isinstance(gan, ClassifierMixin) and not hasattr(gan, "classify")
    assert isinstance(sgan, ClassifierMixin) and isinstance(acgan, ClassifierMixin)
    with pytest.raises(ValueError, match=r"classify\(\) takes images of shape"):
        sgan.classify(np.zeros((2, 28, 28)))


def test_code_traversal_rows_are_categorical_values_and_columns_sweep_a_continuous_code():
    from keras_gans import sampling

    model = make("infogan")
    grid = sampling.code_traversal_grid(model, code=1, steps=5, span=2.0, seed=3)
    assert grid.shape == (10 * 5,) + IMAGE_SHAPE
    z = np.repeat(model.latent_for(1, 3), 50, axis=0)
    codes = model.conditions_for(1, 3)
    continuous = np.repeat(codes["continuous"], 50, axis=0)
    continuous[:, 1] = np.tile(np.linspace(-2, 2, 5), 10)
    expected = model.generate_from({"z": z, "categorical": np.repeat(np.arange(10), 5)[:, None].astype("int32"),
                                    "continuous": continuous})
    np.testing.assert_allclose(grid, expected, atol=1e-6)
    assert not np.allclose(grid[0], grid[4]) and not np.allclose(grid[0], grid[5])
    with pytest.raises(ValueError, match="no categorical and continuous latent codes"):
        sampling.code_traversal_grid(make("gan"))
