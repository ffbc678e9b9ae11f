"""keras_gans.atomic: what is written is either all there or not there, and what it replaces stays whole."""
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import atomic
from conftest import tiny


def assert_only(directory, *names):
    """`directory` holds exactly `names`: no temporary file or directory was left behind."""
    assert sorted(os.listdir(directory)) == sorted(names)


@pytest.mark.parametrize("interruption", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_an_interrupted_write_keeps_the_previous_file(tmp_path, interruption):
    path = tmp_path / "rows.json"
    atomic.write_json({"rows": [1, 2]}, path)
    before = path.read_bytes()
    with pytest.raises(type(interruption)):
        with atomic.atomic_write(path) as f:
            f.write(b'{"rows": [1, 2, 3')
            f.flush()
            raise interruption
    assert path.read_bytes() == before
    assert_only(tmp_path, "rows.json")


def test_append_text_adds_lines_and_an_interrupted_append_keeps_the_earlier_ones(tmp_path, monkeypatch):
    path = tmp_path / "runs.jsonl"
    atomic.append_text(path, '{"run": 1}\n')  # created
    atomic.append_text(path, '{"run": 2}\n')
    assert [json.loads(line)["run"] for line in path.read_text().splitlines()] == [1, 2]

    def out_of_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", out_of_space)
    with pytest.raises(OSError):
        atomic.append_text(path, '{"run": 3}\n')
    assert [json.loads(line)["run"] for line in path.read_text().splitlines()] == [1, 2]
    assert_only(tmp_path, "runs.jsonl")


def test_writes_land_whole_with_the_permissions_of_a_plain_open(tmp_path):
    assert atomic.write_text(tmp_path / "a" / "b.md", "héllo\n") == tmp_path / "a" / "b.md"  # parents made
    assert (tmp_path / "a" / "b.md").read_text(encoding="utf-8") == "héllo\n"
    atomic.write_bytes(tmp_path / "c.bin", b"\x00\x01")
    assert (tmp_path / "c.bin").read_bytes() == b"\x00\x01"
    umask = os.umask(0o022)
    os.umask(umask)
    # Not the owner-only mode of a temporary file: others may read results as they could before.
    assert stat.S_IMODE(os.stat(tmp_path / "c.bin").st_mode) == 0o666 & ~umask
    os.chmod(tmp_path / "c.bin", 0o640)
    atomic.write_json([1], tmp_path / "c.bin", indent=1)
    assert stat.S_IMODE(os.stat(tmp_path / "c.bin").st_mode) == 0o640  # a replaced file keeps its own
    assert json.loads((tmp_path / "c.bin").read_text()) == [1]
    assert_only(tmp_path, "a", "c.bin")


# Run in a child process: the file-size limit must not reach the test runner's own files.
FULL_DISK_SAVE = textwrap.dedent("""
    import os, resource, signal, sys
    import keras, numpy as np
    import keras_gans
    from keras_gans import atomic

    path, limit = sys.argv[1], int(sys.argv[2])
    model = keras.saving.load_model(path)
    for weight in model.generator.weights:  # a new model: the file must not change if it cannot be saved
        weight.assign(np.zeros(weight.shape, weight.dtype))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit, write() fails with EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        atomic.save_model(model, path)
    except OSError as error:
        print("save failed:", error)
        sys.exit(0)
    sys.exit("the save went through: the limit did not bite")
""")


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file-size limits")
def test_a_save_that_runs_out_of_space_keeps_the_previous_checkpoint(tmp_path):
    model = tiny(keras_gans.GAN)
    model.compile()
    path = str(tmp_path / "model.keras")
    assert atomic.save_model(model, path) == path
    good = open(path, "rb").read()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", FULL_DISK_SAVE, path, str(len(good) // 2)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "save failed" in run.stdout
    assert open(path, "rb").read() == good
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(restored.generate(4, seed=0), model.generate(4, seed=0))
    assert_only(tmp_path, "model.keras")


def test_a_failed_directory_build_keeps_the_previous_directory(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic.atomic_directory(target, overwrite=True) as build:
            open(os.path.join(build, "new.txt"), "w").write("half")
            raise RuntimeError("killed mid-build")
    assert_only(target, "old.txt")
    assert_only(tmp_path, "out")
    with pytest.raises(ValueError, match="overwrite=True"):
        with atomic.atomic_directory(target):
            pytest.fail("an occupied target is refused before anything is built")
    assert_only(tmp_path, "out")


def test_export_refuses_a_non_empty_directory_unless_overwrite(tmp_path):
    model = tiny(keras_gans.GAN)
    target = tmp_path / "savedmodel"
    target.mkdir()
    (target / "notes.txt").write_text("not a model")
    with pytest.raises(ValueError, match="overwrite=True") as refused:
        model.export(str(target))
    assert "\n" not in str(refused.value)
    assert_only(target, "notes.txt")
    assert_only(tmp_path, "savedmodel")

    assert model.export(str(target), overwrite=True) == str(target)
    assert "notes.txt" not in os.listdir(target) and (target / "saved_model.pb").exists()
    served = tf.saved_model.load(str(target))
    z = model.latent_for(3, seed=0)
    np.testing.assert_allclose(served.serve(tf.constant(z)).numpy(), model.generate_from({"z": z}), atol=1e-5)
    assert_only(tmp_path, "savedmodel")
