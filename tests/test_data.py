import gzip
import os

import numpy as np
import pytest
import tensorflow_datasets as tfds

from conftest import SUBSET
from keras_gans import data


def test_idx_reader_on_the_real_subset(fashion_mnist):
    images, labels = fashion_mnist
    assert images.shape == (400, 28, 28, 1) and images.dtype == np.uint8
    assert labels.dtype == np.int32
    assert np.bincount(labels).tolist() == [40] * 10
    # Real clothing, not blank or random: mean intensity of Fashion-MNIST is about 73/255.
    assert 50 < images.mean() < 100
    raw = data.read_idx(os.path.join(SUBSET, "t10k-images-idx3-ubyte.gz"))
    assert raw.shape == (200, 28, 28)


def test_idx_reader_rejects_bad_and_truncated_files(tmp_path):
    bad = tmp_path / "x-images-idx3-ubyte"
    bad.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(str(bad))
    with gzip.open(os.path.join(SUBSET, "train-images-idx3-ubyte.gz")) as f:
        truncated = f.read()[:5000]
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(truncated)
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(str(path))


def test_load_from_an_idx_directory():
    ds = data.load("fashion_mnist", split="test", batch_size=32, data_dir=SUBSET, seed=0)
    images, labels = next(iter(ds))
    assert images.shape == (32, 28, 28, 1) and images.dtype == "float32"
    assert -1.0 <= float(images.numpy().min()) and float(images.numpy().max()) <= 1.0
    assert labels.dtype == "int32"
    assert ds.cardinality().numpy() == 200 // 32  # drop_remainder
    all_labels = np.concatenate([l.numpy() for _, l in data.load("x", split="test", batch_size=20, data_dir=SUBSET)])
    assert sorted(all_labels.tolist()) == sorted([c for c in range(10) for _ in range(20)])


def test_shuffling_is_seeded_and_differs_between_epochs():
    ds = data.load("fashion_mnist", batch_size=400, data_dir=SUBSET, seed=3)
    first, second = [next(iter(ds))[1].numpy() for _ in range(2)]
    again = next(iter(data.load("fashion_mnist", batch_size=400, data_dir=SUBSET, seed=3)))[1].numpy()
    assert not np.array_equal(first, second)
    assert np.array_equal(first, again)


def test_tfds_path_with_mock_data():
    with tfds.testing.mock_data(num_examples=24):
        ds = data.load("mnist", split="train", batch_size=8, seed=0)
        images, labels = next(iter(ds))
    assert images.shape == (8, 28, 28, 1) and images.dtype == "float32"
    assert -1.0 <= float(images.numpy().min()) <= float(images.numpy().max()) <= 1.0
    assert labels.dtype == "int32"
    assert ds.cardinality().numpy() == 3


@pytest.mark.parametrize("name, options, shape, labelled", [
    ("cifar10", {}, (32, 32, 3), True),
    ("celeb_a", {"image_size": 64}, (64, 64, 3), False),  # 218x178 photos, centre-cropped; no "label" feature
    ("lsun/bedroom", {"image_size": 32, "crop": "resize"}, (32, 32, 3), False),  # photos of many sizes
    ("mnist", {"image_size": 32, "color_mode": "rgb"}, (32, 32, 3), True),
])
def test_tfds_image_datasets_users_try(name, options, shape, labelled):
    with tfds.testing.mock_data(num_examples=12):
        images, labels = data.load_arrays(name, "train", **options)
    assert images.shape == (12,) + shape and images.dtype == np.uint8
    assert (labels is not None) == labelled
    if labelled:
        assert labels.dtype == np.int32 and labels.shape == (12,)


def test_tfds_images_of_many_sizes_need_image_size():
    with tfds.testing.mock_data(num_examples=4), pytest.raises(ValueError, match="many sizes.*--image-size 64"):
        data.load_arrays("lsun/bedroom")


def test_conversion_is_the_folder_resize():
    """A centre crop then bilinear resize, as keras.utils.image_dataset_from_directory does it: a 4x2 image whose
    top and bottom rows differ keeps only its centred 2x2 square."""
    image = np.zeros((1, 4, 2, 1), "uint8")
    image[0, 1:3] = 200
    assert data.convert_images(image, 2).numpy().ravel().tolist() == [200] * 4
    assert data.convert_images(image, 2, crop="resize").numpy().ravel().tolist() != [200] * 4
    rgb = data.convert_images(image, color_mode="rgb").numpy()
    assert rgb.shape == (1, 4, 2, 3) and (rgb == image).all()
    with pytest.raises(ValueError, match="cache= keeps the decoded images of a folder"):
        data.load_arrays("fashion_mnist", data_dir=SUBSET, cache="x.npz")
    converted, _ = data.load_arrays("fashion_mnist", "test", data_dir=SUBSET, image_size=32, color_mode="rgb")
    assert converted.shape == (200, 32, 32, 3) and converted.dtype == np.uint8


def test_unknown_dataset_names_the_fix():
    with pytest.raises(ValueError, match="Unknown dataset 'no_such_set'.*data_dir"):
        data.load("no_such_set")


def test_offline_tfds_failure_names_the_fix(monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve storage.googleapis.com")

    monkeypatch.setattr(tfds, "load", offline)
    monkeypatch.setitem(data.LOCAL_DIRS, "fashion_mnist", ("/nonexistent", "dataset-fashion-mnist"))
    with pytest.raises(RuntimeError, match="apt-get install dataset-fashion-mnist"):
        data.load("fashion_mnist")
    with pytest.raises(RuntimeError, match="internet access"):
        data.load("mnist")


def test_labeled_subset_has_exactly_n_per_class(fashion_mnist):
    images, labels = data.labeled_subset(*fashion_mnist, per_class=7, seed=1)
    assert np.bincount(labels).tolist() == [7] * 10 and len(images) == 70
    ds = data.load(fashion_mnist, labeled_per_class=3, batch_size=30, seed=0)
    _, batch_labels = next(iter(ds))
    assert np.bincount(batch_labels.numpy()).tolist() == [3] * 10
    with pytest.raises(ValueError, match="only 40 examples"):
        data.labeled_subset(*fashion_mnist, per_class=41)


def test_numpy_arrays_in_every_accepted_form(fashion_mnist):
    images, labels = fashion_mnist
    as_float = images.astype("float32") / 127.5 - 1
    from_uint8 = next(iter(data.load((images[..., 0], labels), batch_size=400, shuffle=False)))[0].numpy()
    from_float = next(iter(data.load(as_float, batch_size=400, shuffle=False))).numpy()
    np.testing.assert_allclose(from_uint8, from_float, atol=1e-6)


@pytest.mark.parametrize("array, message", [
    (np.zeros((10,), "uint8"), "shape"),
    (np.zeros((2, 3, 28, 28, 1), "uint8"), "shape"),
    (np.zeros((10, 28, 28, 1), "int64"), "dtype"),
    (np.full((10, 28, 28, 1), 255.0, "float32"), r"\[-1, 1\]"),
])
def test_bad_arrays_get_a_clear_error(array, message):
    with pytest.raises(ValueError, match=message):
        data.load(array, batch_size=2)


def test_vectors_may_lie_outside_the_image_range():
    points = np.array([[2.0, -3.5], [0.5, 4.0]], "float32")  # e.g. a 2-D mixture, for a linear-output generator
    np.testing.assert_array_equal(data.check_images(points), points)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        data.check_images(np.full((2, 4, 4, 1), 2.0, "float32"))
    with pytest.raises(ValueError, match="NaN"):
        data.check_images(np.array([[np.nan, 0.0]], "float32"))
