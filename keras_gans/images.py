"""Image grids: generated samples in [-1, 1] -> one PNG (Pillow)."""
import os

import numpy as np

from . import atomic


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


def _save(image, path):
    """Write the PIL `image` to `path` through `atomic.atomic_write`: a grid or plot rewritten every epoch is
    never left half-written by a killed run. The format follows the file name, as `Image.save(path)` picks
    it (PNG for an unknown one), since Pillow cannot see the name through an open file."""
    from PIL import Image

    image_format = Image.registered_extensions().get(os.path.splitext(os.fspath(path))[1].lower(), "PNG")
    with atomic.atomic_write(path) as f:
        image.save(f, format=image_format)
    return path


def save_grid(images, path, columns=8):
    """Write `images` (in [-1, 1]) as a PNG grid with `columns` per row; returns the path."""
    from PIL import Image

    grid = tile(images, columns)
    return _save(Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid), path)


# --------------------------------------------------------------------------------- plots (Pillow)
# Small plots for flat data, drawn with Pillow so that the package needs no plotting library.
_BLUE, _RED, _GREY = (31, 119, 180), (214, 39, 40), (150, 150, 150)


def scatter_extent(points, centres=None, margin=1.4):
    """Half-width of a square view centred on 0 that shows `centres` with a margin (points far outside,
    up to 3x that, widen it so that a generator that drifted away stays visible)."""
    base = margin * float(np.abs(centres).max()) if centres is not None and len(centres) else 1.0
    if points is not None and len(points):
        spread = float(np.percentile(np.abs(np.asarray(points)[:, :2]), 99)) * 1.05
        base = max(base, min(spread, 3 * base))
    return base


def scatter_image(points, centres=None, size=256, extent=None, title=None, sigma=None):
    """2-D `points` (n, 2) as blue dots on a white square of `size` pixels spanning [-extent, extent]^2
    (default: `scatter_extent`), with red marks on `centres` (K, 2): crosses, or with `sigma` circles of
    radius 3 sigma (at least 3 px), the region where samples count as high quality. Returns a PIL image.
    Points outside the view are not drawn."""
    from PIL import Image, ImageDraw

    points = np.asarray(points, "float64").reshape(len(points), -1)
    extent = extent or scatter_extent(points, centres)
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image, "RGBA")

    def pixel(xy):
        return (xy[..., 0] + extent) / (2 * extent) * (size - 1), (extent - xy[..., 1]) / (2 * extent) * (size - 1)

    draw.line([(0, size / 2), (size, size / 2)], fill=(235, 235, 235))
    draw.line([(size / 2, 0), (size / 2, size)], fill=(235, 235, 235))
    xs, ys = pixel(points[:, :2])
    inside = (xs >= 0) & (xs < size) & (ys >= 0) & (ys < size)
    for x, y in zip(xs[inside], ys[inside]):
        draw.ellipse([x - 1.2, y - 1.2, x + 1.2, y + 1.2], fill=_BLUE + (110,))
    if centres is not None:
        cx, cy = pixel(np.asarray(centres, "float64"))
        arm = max(2, size // 64)
        radius = max(3.0, 3 * sigma / (2 * extent) * (size - 1)) if sigma else None
        for x, y in zip(cx, cy):
            if radius:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], outline=_RED)
            else:
                draw.line([(x - arm, y), (x + arm, y)], fill=_RED, width=1)
                draw.line([(x, y - arm), (x, y + arm)], fill=_RED, width=1)
    if title:
        draw.text((4, 2), title, fill=(0, 0, 0))
    return image


def save_scatter(points, path, centres=None, size=256, extent=None, title=None, sigma=None):
    """Write `scatter_image(points, centres, ...)` as a PNG; returns the path."""
    return _save(scatter_image(points, centres, size, extent, title, sigma), path)


def histogram_image(samples, density=None, bins=50, value_range=None, size=(360, 220), title=None):
    """A histogram of 1-D `samples` (as a density) in blue, and the curve of `density` (a function of an
    array of x) in red; x ticks at whole numbers. Returns a PIL image."""
    from PIL import Image, ImageDraw

    samples = np.asarray(samples, "float64").reshape(-1)
    low, high = value_range or (float(samples.min()), float(samples.max()))
    counts, edges = np.histogram(samples, bins=bins, range=(low, high), density=True)
    xs = np.linspace(low, high, 400)
    curve = density(xs) if density is not None else np.zeros_like(xs)
    top = 1.1 * max(float(counts.max()) if counts.size else 0.0, float(np.max(curve)), 1e-12)
    width, height = size
    left, right, bottom, upper = 8, width - 8, height - 20, 16
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)

    def to_px(x, y):
        return (left + (x - low) / (high - low) * (right - left), bottom - y / top * (bottom - upper))

    for count, a, b in zip(counts, edges[:-1], edges[1:]):
        (x0, y0), (x1, _) = to_px(a, count), to_px(b, 0)
        draw.rectangle([x0, y0, max(x0, x1 - 1), bottom], fill=(158, 202, 225), outline=_BLUE)
    if density is not None:
        draw.line([to_px(x, y) for x, y in zip(xs, curve)], fill=_RED, width=2)
    draw.line([(left, bottom), (right, bottom)], fill=(0, 0, 0))
    for tick in range(int(np.ceil(low)), int(np.floor(high)) + 1):
        x, _ = to_px(tick, 0)
        draw.line([(x, bottom), (x, bottom + 3)], fill=(0, 0, 0))
        draw.text((x - 3, bottom + 5), str(tick), fill=(0, 0, 0))
    if title:
        draw.text((left, 2), title, fill=(0, 0, 0))
    return image


def save_histogram(samples, path, density=None, bins=50, value_range=None, size=(360, 220), title=None):
    """Write `histogram_image(...)` as a PNG; returns the path."""
    return _save(histogram_image(samples, density, bins, value_range, size, title), path)
