"""Every variant behaves like any Keras model: save/load, resume, export, distribute, XLA, mixed precision."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import keras
import keras_gans
from conftest import IMAGE_SHAPE, LATENT_DIM, SUBSET, make
from keras_gans import networks

def all_weights(model):
    return [v.numpy() for v in model.generator.weights + model.discriminator.weights]


@pytest.mark.parametrize("name", sorted(keras_gans.VARIANTS))
def test_save_load_model_restores_everything(name, dataset, tmp_path):
    model = make(name)
    model.compile()
    model.fit(dataset.take(4), epochs=1, verbose=0)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe_mode=True: no Lambda layers, no pickled code
    assert type(loaded) is type(model)
    hyperparameters = lambda m: {k: v for k, v in m.get_config().items() if k not in ("generator", "discriminator")}
    assert hyperparameters(loaded) == hyperparameters(model)
    assert [l.name for l in loaded.discriminator.layers] == [l.name for l in model.discriminator.layers]
    np.testing.assert_array_equal(model.generate(6, seed=3), loaded.generate(6, seed=3))
    for mine, theirs in zip(all_weights(model), all_weights(loaded)):
        np.testing.assert_array_equal(mine, theirs)
    for optimizer in ("d_optimizer", "g_optimizer"):
        mine, theirs = getattr(model, optimizer), getattr(loaded, optimizer)
        assert type(mine) is type(theirs) and len(mine.variables) == len(theirs.variables)
        for a, b in zip(mine.variables, theirs.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(loaded.step_counter.numpy()) == int(model.step_counter.numpy()) > 0


@pytest.mark.parametrize("name, options", [(name, {}) for name in ("gan", "wgan_gp", "began", "cgan", "infogan")]
                         + [(name, {"ema": 0.9}) for name in ("gan", "wgan_gp", "infogan")])
def test_fit_save_load_fit_equals_uninterrupted_fit(name, options, fashion_mnist, tmp_path):
    # Unshuffled data, so that both runs see the same batches; noise is keyed by the step counter.
    data = keras_gans.data.from_arrays(*fashion_mnist, batch_size=16, shuffle=False)
    steps = 2 * (2 if name == "wgan_gp" else 1)  # batches per run half (WGAN-GP takes 2 per step)
    keras.utils.set_random_seed(0)
    straight = make(name, dropout=0.0, **options)
    straight.compile()
    first = make(name, dropout=0.0, **options)
    first.set_weights(straight.get_weights())
    first.compile()
    straight.fit(data.take(2 * steps), epochs=1, verbose=0)

    first.fit(data.take(steps), epochs=1, verbose=0)
    path = str(tmp_path / "half.keras")
    first.save(path)
    resumed = keras.saving.load_model(path)
    resumed.fit(data.skip(steps).take(steps), epochs=1, verbose=0)
    # Identical, not merely close: same data, same noise, same optimizer state, deterministic CPU kernels.
    for a, b in zip(all_weights(straight), all_weights(resumed)):
        np.testing.assert_array_equal(a, b)
    if name == "began":
        assert float(straight.k_t.numpy()) == float(resumed.k_t.numpy())
    if options.get("ema"):  # the generator's averaged weights resume too, and generate with them
        assert resumed.ema == options["ema"]
        for a, b in zip(straight.ema_weights, resumed.ema_weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_array_equal(straight.generate(4, seed=2), resumed.generate(4, seed=2))


SERVE_SCRIPT = """
import json, sys
import numpy as np, tensorflow as tf, keras
assert "keras_gans" not in sys.modules
path, inputs = sys.argv[1], np.load(sys.argv[2], allow_pickle=True).item()
loaded = tf.saved_model.load(path)
served = loaded.serve(inputs if len(inputs) > 1 else inputs["z"])
layer = keras.layers.TFSMLayer(path, call_endpoint="serve")
via_layer = layer(inputs if len(inputs) > 1 else inputs["z"])
signature = loaded.signatures["serving_default"]
print(json.dumps({"served": np.asarray(served).tolist(), "layer": np.asarray(via_layer).tolist(),
                  "inputs": sorted(signature.structured_input_signature[1]), "modules": "keras_gans" in sys.modules}))
"""


@pytest.mark.parametrize("name", ["dcgan", "cgan", "infogan"])
def test_exported_savedmodel_serves_the_generator_without_keras_gans(name, tmp_path):
    model = make(name) if name != "dcgan" else keras_gans.DCGAN(image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=0)
    z = np.random.default_rng(0).normal(size=(5, LATENT_DIM)).astype("float32")
    inputs = {"z": z}
    generator_input = z
    if name == "cgan":
        inputs["labels"] = np.array([0, 1, 9, 4, 4], "int32")
        generator_input = [z, inputs["labels"]]
    if name == "infogan":  # the generator reads [z, one-hot c1, continuous codes]
        inputs["categorical"] = np.array([[0], [1], [9], [4], [4]], "int32")
        inputs["continuous"] = np.linspace(-1, 1, 10).reshape(5, 2).astype("float32")
        generator_input = np.concatenate([z, np.eye(10, dtype="float32")[inputs["categorical"][:, 0]],
                                          inputs["continuous"]], axis=1)
    expected = model.generator(generator_input, training=False).numpy()
    model.export(str(tmp_path / "saved"))
    np.save(tmp_path / "inputs.npy", inputs, allow_pickle=True)
    run = subprocess.run([sys.executable, "-c", SERVE_SCRIPT, str(tmp_path / "saved"), str(tmp_path / "inputs.npy")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert not result["modules"]
    np.testing.assert_allclose(result["served"], expected, atol=1e-6)
    np.testing.assert_allclose(result["layer"], expected, atol=1e-6)
    assert result["inputs"] == sorted(inputs)
    assert np.asarray(result["served"]).shape == (5,) + IMAGE_SHAPE
    np.testing.assert_allclose(model.generate_from(inputs), expected, atol=1e-6)


@pytest.mark.parametrize("name", ["gan", "wgan_gp", "infogan"])
def test_two_replicas_take_the_same_step_as_one_device_with_the_global_batch(name, fashion_mnist, mirrored):
    images, labels = fashion_mnist
    data = keras_gans.data.from_arrays(images[:64], labels[:64], batch_size=16, shuffle=False)
    strategy = mirrored
    # Plain SGD: Adam's first step is ~lr * sign(g), which would magnify float-rounding differences of
    # near-zero gradients; with SGD a weight moves by lr * g and differences stay those of the gradients.
    sgd = lambda: keras.optimizers.SGD(0.5)
    # WGAN-GP with two critic updates: one step over two real batches, each split between the replicas.
    options = {"n_critic": 2} if name == "wgan_gp" else {}
    with strategy.scope():
        mirrored = make(name, dropout=0.0, **options)
        mirrored.compile(d_optimizer=sgd(), g_optimizer=sgd())
    single = make(name, dropout=0.0, **options)
    single.set_weights([w.numpy() for w in mirrored.weights])
    single.compile(d_optimizer=sgd(), g_optimizer=sgd(), jit_compile=False)
    before = all_weights(single)
    history = {}
    for key, model in (("mirrored", mirrored), ("single", single)):
        history[key] = model.fit(data.take(2), epochs=1, verbose=0).history
    for a, b in zip(all_weights(mirrored), all_weights(single)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    for metric, values in history["single"].items():
        assert history["mirrored"][metric] == pytest.approx(values, rel=1e-4, abs=1e-6), metric
    # The updates really moved the weights, so the comparison is not between two untouched models.
    assert max(np.abs(a - b).max() for a, b in zip(before, all_weights(single))) > 1e-3
    assert int(single.g_optimizer.iterations.numpy()) == (1 if name == "wgan_gp" else 2)


WORKER_SCRIPT = """
import json, os, sys
index, ports, subset, out = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3], sys.argv[4]
os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": ["localhost:" + p for p in ports]},
                                      "task": {"type": "worker", "index": index}})
import numpy as np, tensorflow as tf, keras, keras_gans
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[5])))
from conftest import make  # (it splits the CPU in two logical devices; each worker still runs one replica)
strategy = tf.distribute.MultiWorkerMirroredStrategy()
assert strategy.num_replicas_in_sync == 2
keras.utils.set_random_seed(0)
with strategy.scope():
    model = make("wgan_gp", dropout=0.0)
    model.compile()
images = keras_gans.data.load_idx(subset, "train")[0][:128]
history = model.fit(keras_gans.data.from_arrays(images, batch_size=16, shuffle=False), epochs=1, steps_per_epoch=2, verbose=0)
np.savez(out, *[np.asarray(w) for w in model.get_weights()], logs=json.dumps(history.history))
"""


def test_two_workers_take_the_same_steps_as_one_device(fashion_mnist, tmp_path):
    """MultiWorkerMirroredStrategy with two local worker processes (one CPU replica each) against one
    device on the same global batch: the same weights, the same logged metrics."""
    import socket

    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("localhost", 0))
            ports.append(str(sock.getsockname()[1]))
    workers = [subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, str(index), ",".join(ports), SUBSET,
                                 str(tmp_path / f"worker{index}.npz"), __file__],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for index in range(2)]
    for worker in workers:
        output, _ = worker.communicate(timeout=240)
        assert worker.returncode == 0, output[-3000:]

    keras.utils.set_random_seed(0)
    model = make("wgan_gp", dropout=0.0)
    model.compile(jit_compile=False)
    images = keras_gans.data.load_idx(SUBSET, "train")[0][:128]
    history = model.fit(keras_gans.data.from_arrays(images, batch_size=16, shuffle=False), epochs=1, steps_per_epoch=2,
                        verbose=0)
    for index in range(2):
        result = np.load(tmp_path / f"worker{index}.npz")
        for i, expected in enumerate(model.get_weights()):
            np.testing.assert_allclose(result[f"arr_{i}"], expected, atol=1e-6)
        logs = json.loads(str(result["logs"]))
        assert sorted(logs) == sorted(history.history)
        for name, values in history.history.items():
            np.testing.assert_allclose(logs[name], values, rtol=1e-5, atol=1e-6)


def test_xla_is_the_path_fit_runs(dataset):
    class NotCompilable(keras_gans.GAN):
        def generator_loss(self, real, labels=None):
            logs = super().generator_loss(real, labels)
            # A Python callback has no XLA kernel: compiling the step must fail.
            zero = tf.numpy_function(lambda: np.float32(0), [], tf.float32)
            logs["g_loss"] = logs["g_loss"] + tf.reshape(zero, [])
            return logs

    generator = networks.mlp_generator(IMAGE_SHAPE, LATENT_DIM, hidden=(16,))
    discriminator = networks.mlp_discriminator(IMAGE_SHAPE, hidden=(16,))
    model = NotCompilable(generator, discriminator, image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=0)
    model.compile()
    assert model.jit_compile is True
    with pytest.raises(Exception, match="(?i)xla|compil|PyFunc"):
        model.fit(dataset.take(1), epochs=1, verbose=0)
    model.compile(jit_compile=False)
    model.fit(dataset.take(1), epochs=1, verbose=0)
    assert int(model.g_optimizer.iterations.numpy()) == 1


def test_steps_per_execution(dataset):
    model = make("gan")
    model.compile(steps_per_execution=2)
    model.fit(dataset.take(4), epochs=1, verbose=0)
    assert int(model.step_counter.numpy()) == 4 == int(model.g_optimizer.iterations.numpy())


def hidden_dtype(network):
    """The compute dtype of the first layer of `network` with weights (input layers get the session's policy
    when a model is loaded, whatever the policy it was built with)."""
    return next(layer for layer in network.layers if layer.weights).compute_dtype


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("name", sorted(keras_gans.VARIANTS))
def test_mixed_precision_trains_every_variant(name, policy, dataset, tmp_path):
    keras.mixed_precision.set_global_policy(policy)  # the autouse fixture resets it
    half = policy.removeprefix("mixed_")
    model = make(name, ema=0.9)
    model.compile()
    # Loss scaling keeps float16 gradients from underflowing; bfloat16 has float32's exponent range and needs none.
    for optimizer in (model.d_optimizer, model.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer) is (policy == "mixed_float16")
    assert hidden_dtype(model.generator) == hidden_dtype(model.discriminator) == half
    assert model.generator.output.dtype == "float32"
    history = model.fit(dataset.take(2), epochs=1, verbose=0)
    for metric, values in history.history.items():
        assert np.all(np.isfinite(values)), metric
    # Losses, penalties and metrics are computed in float32 (one update's logs, outside fit).
    images, labels = next(iter(dataset))
    labels = labels if model.num_classes else None
    for logs in (model.discriminator_loss(images, labels), model.generator_loss(images, labels)):
        assert {key: value.dtype for key, value in logs.items()} == {key: "float32" for key in logs}
    assert all(weight.dtype == "float32" for weight in model.ema_weights) and model.ema_weights
    samples = model.generate(2, seed=0)
    assert samples.dtype == np.float32 and np.all(np.isfinite(samples))

    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    keras.mixed_precision.set_global_policy("float32")  # the file says how the model computes, not the session
    loaded = keras.saving.load_model(path)
    assert hidden_dtype(loaded.generator) == hidden_dtype(loaded.discriminator) == half
    assert type(loaded.g_optimizer) is type(model.g_optimizer)
    for a, b in zip(loaded.ema_weights, model.ema_weights):
        assert a.dtype == "float32"
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(loaded.generate(2, seed=0), samples)


def test_networks_ending_in_half_precision_still_give_float32_metrics_and_samples(dataset, tmp_path):
    # The default networks end in a float32 layer; a network of one's own need not.
    keras.mixed_precision.set_global_policy("mixed_bfloat16")  # the autouse fixture resets it
    z, x = keras.Input((LATENT_DIM,)), keras.Input(IMAGE_SHAPE)
    generator = keras.Model(z, keras.layers.Reshape(IMAGE_SHAPE)(keras.layers.Dense(784, activation="tanh")(z)))
    discriminator = keras.Model(x, keras.layers.Dense(1)(keras.layers.Flatten()(x)))
    assert generator.output.dtype == discriminator.output.dtype == "bfloat16"
    model = keras_gans.GAN(generator, discriminator, image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=0, ema=0.9)
    model.compile()
    model.fit(dataset.take(2), epochs=1, verbose=0)
    images, _ = next(iter(dataset))
    for logs in (model.discriminator_loss(images), model.generator_loss(images)):
        assert {key: value.dtype for key, value in logs.items()} == {key: "float32" for key in logs}
    assert model.generate(2, seed=0).dtype == np.float32
    model.export(str(tmp_path / "saved"))
    served = tf.saved_model.load(str(tmp_path / "saved"))
    assert served.serve(tf.zeros((2, LATENT_DIM))).dtype == tf.float32


def test_keras_callbacks_work_with_our_metrics(dataset, tmp_path):
    model = make("wgan_gp")
    model.compile()
    log_dir = str(tmp_path / "logs")
    callbacks = [
        keras.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="wasserstein", mode="min",
                                        save_best_only=True),
        keras.callbacks.EarlyStopping(monitor="g_loss", patience=0, mode="max", min_delta=1e9),
        keras.callbacks.CSVLogger(str(tmp_path / "log.csv")),
        keras.callbacks.TensorBoard(log_dir),
        keras_gans.callbacks.SampleGrid(str(tmp_path / "samples"), n=4, log_dir=log_dir),
    ]
    history = model.fit(dataset.take(4), epochs=5, verbose=0, callbacks=callbacks)
    assert len(history.history["g_loss"]) == 2  # EarlyStopping on g_loss: no 1e9 gain in epoch 2, stop (of 5)
    assert type(keras.saving.load_model(str(tmp_path / "best.keras"))) is keras_gans.WGANGP
    assert "wasserstein" in open(tmp_path / "log.csv").readline()
    tags = set()
    for root, _, files in os.walk(os.path.join(log_dir, "train")):
        for file in files:
            for event in tf.compat.v1.train.summary_iterator(os.path.join(root, file)):
                tags.update(value.tag for value in event.summary.value)
    assert "samples" in tags and "epoch_wasserstein" in tags


class CrashAtStep(keras.callbacks.Callback):
    def __init__(self, step):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if self.model.step_counter.numpy() == self.step:
            raise RuntimeError("simulated crash")


def test_backup_and_restore_resumes_an_interrupted_run_exactly(fashion_mnist, tmp_path):
    data = keras_gans.data.from_arrays(*fashion_mnist, batch_size=16, shuffle=False).take(3)

    keras.utils.set_random_seed(0)
    straight = make("wgan_gp", dropout=0.0, n_critic=1)
    straight.compile()
    interrupted = make("wgan_gp", dropout=0.0, n_critic=1)
    interrupted.set_weights(straight.get_weights())
    interrupted.compile()
    straight.fit(data, epochs=3, verbose=0)

    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="simulated crash"):
        interrupted.fit(data, epochs=3, verbose=0, callbacks=[backup, CrashAtStep(5)])  # epoch 2, step 2
    fresh = make("wgan_gp", dropout=0.0, n_critic=1)  # a new process would start from new weights
    fresh.compile()
    history = fresh.fit(data, epochs=3, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))])
    assert len(history.history["g_loss"]) == 2  # epoch 1 came from the backup; epochs 2 and 3 ran
    for a, b in zip(all_weights(straight), all_weights(fresh)):
        np.testing.assert_array_equal(a, b)
    assert int(fresh.step_counter.numpy()) == 9 == int(fresh.d_optimizer.iterations.numpy())


def crash_and_resume(build, fit_data, crash_step, backup_dir, **fit_kwargs):
    """(uninterrupted model, model restarted from our BackupAndRestore after a crash at `crash_step`, its History)."""
    keras.utils.set_random_seed(0)
    straight, interrupted = build(), build()
    interrupted.set_weights(straight.get_weights())
    straight.fit(fit_data(), verbose=0, **fit_kwargs)
    with pytest.raises(RuntimeError, match="simulated crash"):
        interrupted.fit(fit_data(), verbose=0, callbacks=[keras_gans.callbacks.BackupAndRestore(backup_dir, save_freq=1),
                                                          CrashAtStep(crash_step)], **fit_kwargs)
    fresh = build()  # a new process: new weights, a newly built input pipeline
    history = fresh.fit(fit_data(), verbose=0, callbacks=[keras_gans.callbacks.BackupAndRestore(backup_dir, save_freq=1)],
                        **fit_kwargs)
    return straight, fresh, history


def test_backup_and_restore_resumes_mid_epoch_at_the_next_batch(fashion_mnist, tmp_path):
    def build():
        model = make("wgan_gp", dropout=0.0, n_critic=1)
        model.compile()
        return model

    def fit_data():
        return keras_gans.data.from_arrays(*fashion_mnist, batch_size=16, shuffle=False).take(3)

    straight, fresh, history = crash_and_resume(build, fit_data, 5, str(tmp_path / "backup"), epochs=3)
    # Crashed after batch 2 of epoch 2: the restart skips that epoch's first two batches instead of redoing them.
    assert int(fresh.step_counter.numpy()) == 9 == int(straight.step_counter.numpy())
    assert len(history.history["g_loss"]) == 2
    for a, b in zip(all_weights(straight), all_weights(fresh)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["gan", "wgan_gp", "began", "cgan", "infogan"])
def test_backup_and_restore_resumes_a_shuffled_stream_exactly(name, fashion_mnist, tmp_path):
    def build():
        model = make(name, dropout=0.0)
        model.compile(jit_compile=False)  # XLA's path is the one the other tests compare; this keeps it short
        return model

    def fit_data():  # seeded shuffling, reshuffled every pass, one stream across epochs
        return keras_gans.data.from_arrays(*fashion_mnist, batch_size=16, seed=3).repeat()

    straight, fresh, history = crash_and_resume(build, fit_data, 7, str(tmp_path / "backup"), epochs=4, steps_per_epoch=3)
    assert int(fresh.step_counter.numpy()) == 12
    assert int(fresh.d_optimizer.iterations.numpy()) == 12 * fresh.d_steps
    assert len(history.history["g_loss"]) == 2  # epochs 3 (from its second batch) and 4
    for a, b in zip(all_weights(straight), all_weights(fresh)):
        np.testing.assert_array_equal(a, b)
