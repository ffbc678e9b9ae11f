"""Training curves: a run's history.csv -> one PNG of its metrics per epoch, drawn with Pillow.

    keras_gans.plots.plot_history("runs/dcgan/history.csv", "runs/dcgan/curves.png")

`keras-gans train` redraws OUT/curves.png after every epoch and `keras-gans plot RUN_DIR` redraws it from the
run's history.csv. Pillow draws it, as it draws the sample grids and the toy's scatter plots (`images`), so the
package needs no plotting library. Metrics of different scales get panels of their own, each with its own y
axis: the losses; the other metrics of the game (d_real, d_fake, accuracies, ...); and the quality numbers of
`callbacks.QualityMonitor` (classifier_fid, classifier_kid), which run to the hundreds and would flatten the rest.
"""
import csv
import math
import os

from .images import _save

# Distinct line colours (the "tab10" palette), one per metric in the order the CSV lists them.
COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
_BLACK, _GRID, _AXES = (0, 0, 0), (228, 228, 228), (90, 90, 90)
WIDTH, PANEL_HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 720, 220, 64, 190, 22, 34  # pixels


def read_history(csv_path):
    """(epochs in order, 1-based as the sample grids are named, {metric: [value or None per epoch]}) of a
    history.csv. Empty or non-numeric cells -- epochs a QualityMonitor with every > 1 skipped -- are None."""
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{csv_path} holds no epochs yet: nothing to plot.")
    names = [name for name in rows[0] if name and name != "epoch"]

    def number(text):
        try:
            value = float(text)
        except (TypeError, ValueError):
            return None
        return value if math.isfinite(value) else None

    by_epoch = {}
    for i, row in enumerate(rows):  # Keras counts epochs from 0 in the CSV; the grids, from 1
        epoch = number(row.get("epoch"))
        # An epoch logged twice was stopped (a signal, or the data ran out) and trained again by --resume:
        # the later row is the one the run went on from.
        by_epoch[int(epoch) + 1 if epoch is not None else i + 1] = row
    epochs = sorted(by_epoch)
    return epochs, {name: [number(by_epoch[epoch].get(name)) for epoch in epochs] for name in names}


def panels(metrics):
    """The metrics grouped by scale: [(title, [names])], empty groups left out."""
    def group(name):
        if "fid" in name or "kid" in name:
            return 2
        return 0 if name.endswith("loss") else 1

    titles = ("losses", "other metrics", "sample quality")
    grouped = [[name for name in metrics if group(name) == g and any(v is not None for v in metrics[name])]
               for g in range(3)]
    return [(title, names) for title, names in zip(titles, grouped) if names]


def _ticks(low, high, count=5):
    """About `count` round values spanning [low, high] (1, 2 or 5 times a power of ten apart)."""
    span = high - low
    raw = span / max(1, count - 1)
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if raw <= m * step)
    first = math.ceil(low / step - 1e-9)
    return [k * step for k in range(first, int(math.floor(high / step + 1e-9)) + 1)]


def _label(value):
    return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.2e}"


def _draw_panel(draw, top, title, names, epochs, metrics, colours):
    left, right, bottom = LEFT, WIDTH - RIGHT, top + PANEL_HEIGHT - BOTTOM
    upper = top + TOP
    values = [v for name in names for v in metrics[name] if v is not None]
    low, high = min(values), max(values)
    if high - low < 1e-12:  # one value (a one-epoch run, a flat metric): a band around it
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    else:
        pad = 0.05 * (high - low)
        low, high = low - pad, high + pad
    first, last = epochs[0], epochs[-1]
    x_span = max(1, last - first)

    def x_px(epoch):
        return left + (epoch - first) / x_span * (right - left) if last > first else (left + right) / 2

    def y_px(value):
        return bottom - (value - low) / (high - low) * (bottom - upper)

    draw.text((left, top + 4), title, fill=_BLACK)
    for tick in _ticks(low, high):
        y = y_px(tick)
        draw.line([(left, y), (right, y)], fill=_GRID)
        text = _label(tick)
        draw.text((left - 6 - draw.textlength(text), y - 6), text, fill=_BLACK)
    # Epoch ticks: every epoch while they fit, else every k-th (k such that at most ~12 are labelled).
    every = max(1, math.ceil(len(epochs) / 12))
    for epoch in epochs[::every]:
        x = x_px(epoch)
        draw.line([(x, bottom), (x, bottom + 4)], fill=_AXES)
        draw.text((x - draw.textlength(str(epoch)) / 2, bottom + 6), str(epoch), fill=_BLACK)
    draw.rectangle([left, upper, right, bottom], outline=_AXES)
    draw.text(((left + right) / 2 - draw.textlength("epoch") / 2, bottom + 18), "epoch", fill=_AXES)
    for row, name in enumerate(names):
        colour = colours[name]
        points = [(x_px(e), y_px(v)) for e, v in zip(epochs, metrics[name]) if v is not None]
        # A line through consecutive measured epochs; a dot on each, so that a single epoch still shows.
        run = []
        for (e, v) in zip(epochs, metrics[name]):
            if v is None:
                if len(run) > 1:
                    draw.line(run, fill=colour, width=2)
                run = []
            else:
                run.append((x_px(e), y_px(v)))
        if len(run) > 1:
            draw.line(run, fill=colour, width=2)
        for x, y in points:
            draw.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=colour)
        # The legend, right of the panel: a swatch and the name as history.csv spells it.
        y = upper + 4 + 16 * row
        draw.line([(right + 12, y + 6), (right + 32, y + 6)], fill=colour, width=3)
        draw.text((right + 38, y), name, fill=_BLACK)


def history_image(csv_path):
    """A PIL image of every metric of `csv_path` per epoch, one panel per group of `panels`."""
    from PIL import Image, ImageDraw

    epochs, metrics = read_history(csv_path)
    groups = panels(metrics)
    if not groups:
        raise ValueError(f"{csv_path} has no finite metric values to plot.")
    colours = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(metrics)}
    image = Image.new("RGB", (WIDTH, PANEL_HEIGHT * len(groups)), "white")
    draw = ImageDraw.Draw(image)
    for i, (title, names) in enumerate(groups):
        _draw_panel(draw, i * PANEL_HEIGHT, title, names, epochs, metrics, colours)
    return image


def plot_history(csv_path, png_path):
    """Draw the metrics of the history.csv at `csv_path` into a PNG at `png_path` (written atomically, like
    every file of a run); returns `png_path`."""
    if not os.path.isfile(csv_path):
        raise FileNotFoundError(f"No history.csv at {csv_path!r}: nothing to plot.")
    return _save(history_image(csv_path), png_path)
