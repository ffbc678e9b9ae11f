"""The README's "Save, export, scale" snippets run as written."""
import re
from pathlib import Path

import tensorflow as tf

import keras_gans
from conftest import SUBSET

README = Path(__file__).resolve().parent.parent / "README.md"


def section_snippets(title):
    text = README.read_text()
    section = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_save_export_scale_snippets_run(tmp_path, monkeypatch, mirrored):
    snippets = section_snippets("Save, export, scale")
    assert len(snippets) == 4
    monkeypatch.chdir(tmp_path)
    # "fashion_mnist" reads the committed real subset instead of Debian's full copy.
    monkeypatch.setitem(keras_gans.data.LOCAL_DIRS, "fashion_mnist", (SUBSET, "dataset-fashion-mnist"))
    # The snippet's MirroredStrategy() becomes the suite's one strategy over the same two logical CPUs:
    # TensorFlow's collective ops collide when one process creates a second MirroredStrategy.
    monkeypatch.setattr(tf.distribute, "MirroredStrategy", lambda *args, **kwargs: mirrored)
    namespace = {}
    for snippet in snippets:
        exec(compile(snippet, str(README), "exec"), namespace)
    assert namespace["images"].shape == (4, 28, 28, 1)
    assert tuple(namespace["shirts"].shape) == (3, 28, 28, 1)
    assert namespace["strategy"] is mirrored and int(namespace["gan"].g_optimizer.iterations.numpy()) == 2
    assert (tmp_path / "history.csv").exists() and (tmp_path / "cgan_savedmodel" / "saved_model.pb").exists()
