"""Training speed: `keras-gans bench` -- steady-state throughput of each variant's real `fit` path.

    rows = keras_gans.bench.run(["gan", "wgan_gp"], batch_size=64, steps=200)
    print(keras_gans.bench.format_table(rows))

Each variant is built with its defaults (the infoGAN-paper nets for most games; DCGAN its own nets,
EBGAN/BEGAN their autoencoder discriminators), compiled with XLA on and off, and trained with `fit` on
real Fashion-MNIST batches (`keras_gans.data.from_arrays`: in-memory, shuffled, prefetched). A callback
stamps the end of every step: the first `warmup` steps (tracing and XLA compilation) are reported apart
as `compile_s`; the rates come from the `steps` steps after them. One step is one `fit` step: `d_steps`
discriminator updates on `d_steps` real batches, then `g_steps` generator updates.

FLOPs are counted analytically from the networks' layers (`network_flops`): 2 x multiply-adds of Dense,
Conv2D and Conv2DTranspose layers (a transposed conv counts its real products, H_in*W_in*C_in*k*k*C_out,
not the zeros of a dilated-input formulation); normalization, activations and optimizer updates are
elementwise and not counted. With F_G, F_D the forward FLOPs per sample and B the batch, one update counts
(`update_flops`):

    D update   F_G*B              generator forward on fresh noise (no gradient)
             + 3*F_D*2B           D forward and backward (input and weight gradients) on [real; fake]
             + 6*F_D*B            gradient-penalty games only (WGAN-GP, DRAGAN): D forward at the penalty
                                  points, its input gradient, and the double backward of the norm of that
                                  gradient to D's weights (2 + 2 more passes)
    G update   3*F_G*B            generator forward and backward
             + 2*F_D*n            D forward and input gradient (no weight gradient), n = 2B when D has
                                  batch norm (it sees the real batch alongside, see GANModel.discriminate_fake)
                                  and n = B otherwise

So "GFLOP/s" is model FLOPs per second of what each step is defined to compute; `pct_of_matmul` relates it
to the machine's float32 `tf.matmul` throughput on 2048x2048 matrices (`matmul_gflops`), measured in the
same run, before and after the training runs (the faster of the two: load on a shared machine only
slows it). The PyTorch baseline (`keras_gans.torch_baseline`, needs `pip install "keras-gans[benchmark]"`)
has the GAN and WGAN-GP schedules; variants are compared with the one of their d_steps (1 -> gan,
5 -> wgan_gp). Its G update runs D on the fakes only, so its FLOPs per G update count n = B.
"""
import math
import time

import numpy as np

from . import atomic

MATMUL_SIZE = 2048
ROW_KEYS = ("variant", "backend", "xla", "images_per_s", "g_updates_per_s", "d_updates_per_s", "compile_s",
            "gflops", "pct_of_matmul", "vs_torch")


# ------------------------------------------------------------------------------------------- FLOPs
def _shape(tensor):
    return tuple(int(d) for d in tensor.shape[1:])


def layer_flops(layer):
    """Forward FLOPs per sample (2 x multiply-adds) of one Dense, Conv2D or Conv2DTranspose layer, else 0."""
    import keras

    if isinstance(layer, keras.layers.Conv2DTranspose):
        kh, kw, _, c_in = layer.kernel.shape  # Keras keeps (k, k, filters, in_channels)
        h, w, _ = _shape(layer.input)
        return 2 * h * w * c_in * kh * kw * layer.filters
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw, c_in, c_out = layer.kernel.shape
        h, w, _ = _shape(layer.output)
        return 2 * h * w * kh * kw * c_in * c_out // max(1, getattr(layer, "groups", 1))
    if isinstance(layer, keras.layers.Dense):
        rows = math.prod(_shape(layer.input)[:-1])
        return 2 * rows * int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
    return 0


def network_flops(model, _seen=None):
    """Forward FLOPs per sample of a `keras.Model`, walking its layers (nested models included, once each)."""
    seen = set() if _seen is None else _seen
    total = 0
    for layer in model.layers:
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        total += network_flops(layer, seen) if hasattr(layer, "layers") else layer_flops(layer)
    return total


def update_flops(model, batch_size, g_step_discriminator_batch=None):
    """(FLOPs of one discriminator update, FLOPs of one generator update) for `model`, counted as in the
    module docstring. `g_step_discriminator_batch` overrides n (the torch baseline uses B)."""
    f_g, f_d, b = network_flops(model.generator), network_flops(model.discriminator), batch_size
    d_update = f_g * b + 3 * f_d * 2 * b + (6 * f_d * b if model.penalises_gradients else 0)
    n = g_step_discriminator_batch or (2 * b if model.generator_update_sees_real else b)
    return d_update, 3 * f_g * b + 2 * f_d * n


# ------------------------------------------------------------------------------------------ matmul
def matmul_gflops(size=MATMUL_SIZE, repeats=10):
    """The machine's float32 matmul throughput, GFLOP/s: best of `repeats` timed `tf.matmul`s of two
    size x size matrices (after one warm-up)."""
    import tensorflow as tf

    a = tf.random.normal((size, size), seed=1)
    b = tf.random.normal((size, size), seed=2)
    tf.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


# ----------------------------------------------------------------------------------------- timing
def _step_timer():
    import keras

    class StepTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start, self.stamps = time.perf_counter(), []

        def on_train_batch_end(self, batch, logs=None):
            self.stamps.append(time.perf_counter())

    return StepTimer()


def time_fit(model, dataset, steps, warmup=3, steps_per_execution=1):
    """(compile_s, seconds): `model.fit` on `dataset` for `warmup` + `steps` executions, the seconds until
    the end of the warm-up (tracing, XLA compilation) and those of the `steps` executions after it."""
    timer = _step_timer()
    executions = warmup + steps
    model.fit(dataset, epochs=1, steps_per_epoch=executions * steps_per_execution, verbose=0, callbacks=[timer])
    stamps = timer.stamps
    if len(stamps) < executions:
        raise RuntimeError(f"bench: expected {executions} step times for {type(model).__name__}, got {len(stamps)}.")
    return stamps[warmup - 1] - timer.start, stamps[warmup + steps - 1] - stamps[warmup - 1]


def build(variant, image_shape=(28, 28, 1), num_classes=10, seed=0):
    """`variant` (a name of keras_gans.variants.VARIANTS) with its defaults, for Fashion-MNIST-like data."""
    from .variants import VARIANTS

    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant {variant!r}; choose from {', '.join(sorted(VARIANTS))}.")
    cls = VARIANTS[variant]
    # The games that always take labels are sized to the data's classes; the others keep their defaults.
    options = {"num_classes": num_classes} if cls.label_mode in ("conditional", "auxiliary") else {}
    return cls(image_shape=image_shape, seed=seed, **options)


def bench_variant(variant, images, labels, *, batch_size=64, steps=200, warmup=3, xla=True, matmul=None,
                  steps_per_execution=1):
    """One row: train `variant` with `fit` for `warmup` + `steps` steps and time the last `steps`."""
    import keras

    from . import data

    keras.utils.set_random_seed(0)
    model = build(variant, images.shape[1:], int(labels.max()) + 1)
    model.compile(jit_compile=bool(xla), steps_per_execution=steps_per_execution)
    dataset = data.from_arrays(images, labels, batch_size=batch_size, seed=0).repeat()
    compile_s, seconds = time_fit(model, dataset, steps, warmup, steps_per_execution)
    fit_steps = steps * steps_per_execution
    d_updates, g_updates = fit_steps * model.d_steps, fit_steps * model.g_steps
    d_flops, g_flops = update_flops(model, batch_size)
    gflops = (d_updates * d_flops + g_updates * g_flops) / seconds / 1e9
    return {"variant": variant, "backend": "keras", "xla": bool(xla),
            "images_per_s": d_updates * batch_size / seconds, "g_updates_per_s": g_updates / seconds,
            "d_updates_per_s": d_updates / seconds, "compile_s": compile_s, "gflops": gflops,
            "pct_of_matmul": 100 * gflops / matmul if matmul else None, "vs_torch": None,
            "seconds": seconds, "steps": fit_steps, "batch_size": batch_size, "d_steps": model.d_steps,
            "g_steps": model.g_steps, "d_update_gflop": d_flops / 1e9, "g_update_gflop": g_flops / 1e9}


def load_torch_baseline():
    """The `keras_gans.torch_baseline` module. Torch is the optional extra `keras-gans[benchmark]`, so the
    baseline is imported here, on demand, never with the package."""
    try:
        from . import torch_baseline
    except ModuleNotFoundError as error:
        if error.name != "torch":
            raise
        raise RuntimeError('--compare-torch needs PyTorch: pip install "keras-gans[benchmark]" '
                           '(or pip install torch).') from None
    return torch_baseline


def bench_torch(schedule, images, *, batch_size=64, steps=200, warmup=3, matmul=None, baseline=None, threads=None):
    """One torch row: the baseline's `schedule` for as many real batches as `steps` keras steps of it use."""
    baseline = baseline or load_torch_baseline()  # first: without torch, its error says what to install
    import torch

    d_steps = baseline.SCHEDULES[schedule]
    tensor = torch.from_numpy(np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2)), dtype=np.float32) / 127.5 - 1)
    result = baseline.benchmark(schedule, batch_size, steps * d_steps, warmup * d_steps, images=tensor, threads=threads)
    model = build(schedule, images.shape[1:])
    d_flops, g_flops = update_flops(model, batch_size, g_step_discriminator_batch=batch_size)
    gflops = (result["d_updates_per_s"] * d_flops + result["g_updates_per_s"] * g_flops) / 1e9
    return {"variant": schedule, "backend": "torch", "xla": None, "images_per_s": result["images_per_s"],
            "g_updates_per_s": result["g_updates_per_s"], "d_updates_per_s": result["d_updates_per_s"],
            "compile_s": result["warmup_s"], "gflops": gflops,
            "pct_of_matmul": 100 * gflops / matmul if matmul else None, "vs_torch": 1.0,
            "seconds": result["seconds"], "steps": result["steps"], "batch_size": batch_size,
            "d_steps": d_steps, "g_steps": 1, "threads": result["threads"], "torch": result["torch"],
            "d_update_gflop": d_flops / 1e9, "g_update_gflop": g_flops / 1e9}


def run(variants=None, *, batch_size=64, steps=200, warmup=3, xla=(True, False), compare_torch=False,
        dataset="fashion_mnist", data_dir=None, steps_per_execution=1, matmul_repeats=10, log=print):
    """Benchmark `variants` (default: all) with each XLA setting in `xla`; with `compare_torch`, also the
    PyTorch baseline schedules they map to, and each keras row's `vs_torch` = its images/s over the
    baseline's. Returns the rows (dicts); the first is the matmul probe (backend "tf.matmul")."""
    from . import data
    from .variants import VARIANTS

    variants = list(variants or VARIANTS)
    if steps < 1 or warmup < 1:
        raise ValueError(f"bench needs steps >= 1 and warmup >= 1 (got {steps}, {warmup}).")
    baseline = load_torch_baseline() if compare_torch else None
    images, labels = data.load_arrays(dataset, "train", data_dir)
    images = data.check_images(images)
    matmul = matmul_gflops(repeats=matmul_repeats)
    log = log or (lambda *_: None)
    log(f"tf.matmul {MATMUL_SIZE}x{MATMUL_SIZE} float32: {matmul:.0f} GFLOP/s")
    rows = [{"variant": None, "backend": "tf.matmul", "xla": None, "gflops": matmul, "size": MATMUL_SIZE}]
    torch_rows = {}
    for variant in variants:
        for setting in xla:
            row = bench_variant(variant, images, labels, batch_size=batch_size, steps=steps, warmup=warmup,
                                xla=setting, matmul=matmul, steps_per_execution=steps_per_execution)
            rows.append(row)
            log(format_table([row], header=False))
        if baseline is not None:
            schedule = "gan" if rows[-1]["d_steps"] == 1 else "wgan_gp"
            if schedule not in torch_rows:
                torch_rows[schedule] = bench_torch(schedule, images, batch_size=batch_size, steps=steps,
                                                   warmup=warmup, matmul=matmul, baseline=baseline)
                rows.append(torch_rows[schedule])
                log(format_table([torch_rows[schedule]], header=False))
            for row in rows:
                if row["backend"] == "keras" and row["variant"] == variant:
                    row["vs_torch"] = row["images_per_s"] / torch_rows[schedule]["images_per_s"]
                    row["torch_schedule"] = schedule
    # The probe varies with the machine's load; measured before and after, the faster one is the ceiling.
    matmul_end = matmul_gflops(repeats=matmul_repeats)
    rows[0].update(gflops=max(matmul, matmul_end), gflops_start=matmul, gflops_end=matmul_end)
    log(f"tf.matmul {MATMUL_SIZE}x{MATMUL_SIZE} float32 again: {matmul_end:.0f} GFLOP/s; "
        f"% matmul is taken against {rows[0]['gflops']:.0f}")
    for row in rows[1:]:
        row["pct_of_matmul"] = 100 * row["gflops"] / rows[0]["gflops"]
    return rows


# ------------------------------------------------------------------------------------------ output
_COLUMNS = (("variant", "variant", "{}"), ("backend", "backend", "{}"), ("xla", "xla", "{}"),
            ("images_per_s", "images/s", "{:.0f}"), ("g_updates_per_s", "G upd/s", "{:.2f}"),
            ("d_updates_per_s", "D upd/s", "{:.2f}"), ("compile_s", "compile s", "{:.1f}"),
            ("gflops", "GFLOP/s", "{:.0f}"), ("pct_of_matmul", "% matmul", "{:.0f}"), ("vs_torch", "x torch", "{:.2f}"))


def format_table(rows, header=True):
    """The rows as a fixed-width text table (the matmul probe row is left out)."""
    def cell(row, key, fmt):
        value = row.get(key)
        if value is None:
            return "-"
        if key == "xla":
            return "on" if value else "off"
        return fmt.format(value)

    lines = [[title for _, title, _ in _COLUMNS]] if header else []
    lines += [[cell(row, key, fmt) for key, _, fmt in _COLUMNS] for row in rows if row.get("backend") != "tf.matmul"]
    widths = [max(len(line[i]) for line in lines) for i in range(len(_COLUMNS))] if lines else []
    widths = [max(w, 9 if i else 8) for i, w in enumerate(widths)]
    return "\n".join("  ".join(c.rjust(w) if i > 2 else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths)))
                     for line in lines)


def write_json(rows, path):
    """Write `{"rows": [...]}` to `path` (directories created), atomically."""
    return atomic.write_json({"rows": rows}, path, indent=2)


def format_summary(rows):
    """The table, the matmul figure it is measured against, and each keras row against the two targets
    (2x the PyTorch baseline's images/s, 60% of the matmul throughput in model FLOPs)."""
    lines = [format_table(rows)]
    matmul = next((row["gflops"] for row in rows if row.get("backend") == "tf.matmul"), None)
    if matmul:
        lines.append(f"tf.matmul {MATMUL_SIZE}x{MATMUL_SIZE} float32 on this machine: {matmul:.0f} GFLOP/s, the "
                     f"faster of a probe before and after the runs (% matmul = GFLOP/s of the analytic model "
                     f"FLOPs over this).")
    if any(row.get("vs_torch") for row in rows if row.get("backend") == "keras"):
        lines.append("x torch = images/s over the PyTorch baseline schedule of the same critic updates per G update "
                     "(gan: 1, wgan_gp: 5); only ratios from one run are meaningful.")
    return "\n".join(lines)
