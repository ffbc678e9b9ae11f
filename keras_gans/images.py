"""Image grids: generated samples in [-1, 1] -> one PNG (Pillow)."""
import os

import numpy as np


def to_uint8(images):
    """[-1, 1] floats -> [0, 255] uint8."""
    return np.clip(np.round((np.asarray(images, "float32") + 1.0) * 127.5), 0, 255).astype("uint8")


def tile(images, columns):
    """(n, H, W, C) images -> one (rows*H + gaps, columns*W + gaps, C) uint8 picture, 1 px gaps, row-major."""
    images = to_uint8(images)
    if images.ndim != 4:
        raise ValueError(f"Expected images of shape (n, H, W, C) to tile; got {images.shape}.")
    n, height, width, channels = images.shape
    rows = -(-n // columns)
    grid = np.full((rows * (height + 1) + 1, columns * (width + 1) + 1, channels), 255, "uint8")
    for i, image in enumerate(images):
        top, left = 1 + (i // columns) * (height + 1), 1 + (i % columns) * (width + 1)
        grid[top:top + height, left:left + width] = image
    return grid


def save_grid(images, path, columns=8):
    """Write `images` (in [-1, 1]) as a PNG grid with `columns` per row; returns the path."""
    from PIL import Image

    grid = tile(images, columns)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(path)
    return path
