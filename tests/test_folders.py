"""Your own images: folders of PNG/JPEG (class subfolders become labels), colour, sizes, .npz files."""
import numpy as np
import pytest
from PIL import Image

from conftest import SUBSET
from keras_gans import data

TINTS = np.array([[1.0, 0.3, 0.3], [0.3, 1.0, 0.3], [0.3, 0.3, 1.0]])  # red, green, blue garments


def tinted_folder(root, per_class=4, classes=3, size=32, fashion=None):
    """Fashion-MNIST subset images tinted into colour, resized to `size`, one subfolder per class."""
    images, labels = fashion
    for c in range(classes):
        folder = root / f"class_{c}"
        folder.mkdir(parents=True)
        for i, index in enumerate(np.flatnonzero(labels == c)[:per_class]):
            grey = images[index, ..., 0].astype("float32")
            rgb = (grey[..., None] * TINTS[i % 3]).astype("uint8")
            Image.fromarray(rgb).resize((size, size)).save(folder / f"{i}.png")
    return root


@pytest.fixture
def fashion():
    return data.load_idx(SUBSET, "train")


def test_class_subfolders_become_labels_in_colour(tmp_path, fashion):
    folder = tinted_folder(tmp_path / "clothes", fashion=fashion)
    (folder / "class_1" / "notes.txt").write_text("not an image")
    with pytest.warns(UserWarning, match="Skipped 1 file"):
        images, labels = data.load_arrays(str(folder))
    assert images.shape == (12, 32, 32, 3) and images.dtype == np.uint8
    assert labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert images[0, ..., 0].mean() > images[0, ..., 2].mean()  # the first image of each class is red
    batch, batch_labels = next(iter(data.load(str(folder), batch_size=6, seed=0)))
    assert batch.shape == (6, 32, 32, 3) and -1.0 <= batch.numpy().min() and batch.numpy().max() <= 1.0
    grey, _ = data.load_arrays(str(folder), image_size=16, color_mode="grayscale")
    assert grey.shape == (12, 16, 16, 1)


def test_a_folder_without_subfolders_has_no_labels_and_center_crops(tmp_path):
    folder = tmp_path / "wide"
    folder.mkdir()
    for i in range(3):
        image = np.zeros((20, 40, 3), "uint8")
        image[:, 10:30] = 255  # a white centre square between black bands
        Image.fromarray(image).save(folder / f"{i}.jpg", quality=100)
    images, labels = data.load_arrays(str(folder), image_size=8)
    assert labels is None and images.shape == (3, 8, 8, 3)
    assert images.min() > 200  # the centre crop keeps only the white square
    squeezed, _ = data.load_arrays(str(folder), image_size=8, crop="resize")
    assert squeezed[:, :, 0].max() < 50  # the whole width, black band included


def test_bad_folders_get_one_clear_error(tmp_path, fashion):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="No images"):
        data.load_arrays(str(empty))
    broken = tinted_folder(tmp_path / "broken", fashion=fashion)
    (broken / "class_0" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(ValueError, match=r"bad.png is not a readable image"):
        data.load_arrays(str(broken))
    mixed = tinted_folder(tmp_path / "mixed", fashion=fashion)
    Image.fromarray(np.zeros((32, 32), "uint8")).save(mixed / "class_0" / "grey.png")
    with pytest.raises(ValueError, match="mixes 1 grayscale and 12 colour.*color_mode"):
        data.load_arrays(str(mixed))
    assert data.load_arrays(str(mixed), color_mode="rgb")[0].shape == (13, 32, 32, 3)
    sizes = tinted_folder(tmp_path / "sizes", fashion=fashion)
    Image.fromarray(np.zeros((48, 48, 3), "uint8")).save(sizes / "class_2" / "big.png")
    with pytest.raises(ValueError, match="2 sizes.*image_size"):
        data.load_arrays(str(sizes))
    assert data.load_arrays(str(sizes), image_size=32)[0].shape == (13, 32, 32, 3)


def test_npz_files_and_the_folder_cache(tmp_path, fashion):
    images, labels = fashion
    np.savez(tmp_path / "set.npz", images=images[:20], labels=labels[:20])
    loaded, loaded_labels = data.load_arrays(str(tmp_path / "set.npz"))
    np.testing.assert_array_equal(loaded, images[:20])
    np.testing.assert_array_equal(loaded_labels, labels[:20])
    np.savez(tmp_path / "odd.npz", pixels=images[:2])
    with pytest.raises(ValueError, match="name the images 'images'"):
        data.load_arrays(str(tmp_path / "odd.npz"))
    folder = tinted_folder(tmp_path / "cached", fashion=fashion)
    cache = str(tmp_path / "cache.npz")
    first = data.load_arrays(str(folder), cache=cache)
    for path in folder.glob("*/*.png"):
        path.unlink()  # the cache alone now answers
    second = data.load_arrays(str(folder), cache=cache)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
