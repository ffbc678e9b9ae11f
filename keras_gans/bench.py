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
to the machine's `tf.matmul` throughput on 2048x2048 matrices in the row's precision (`matmul_gflops`),
measured in the same run, before and after the training runs (the faster of the two: load on a shared
machine only slows it).

Precision: `precisions=("float32", "bf16")` runs every variant under the global Keras dtype policy "float32"
and/or "mixed_bfloat16" (set around each model's build and training, restored afterwards, on error too;
the epoch below through train's own --precision); the probe then also times bfloat16 `tf.matmul`. A run that fails (a variant that does not train under a
policy) becomes a row with its `error`, and the others go on.

One epoch end to end (`epoch=True`): besides the steady state, one epoch through the `keras-gans train`
command's own code (`cli.train`: data loading, model building, compile, `fit` with the run's callbacks, the
sample grid, the checkpoint and the curves), timed from the call to its return: `epoch_s` and
`epoch_images_per_s` (real images of the epoch over `epoch_s`), `epoch_fit_s` (inside `fit` alone, compilation
included). `epoch_steps` ends the epoch early, as train's --steps-per-epoch.

Contention: the float32 probe before and after the runs and the 1-minute load average (`os.getloadavg`)
before and after them decide whether the machine was shared while it was measured (`contention_reasons`):
the probes differ by more than 10%, or the load average, less this process's own share after the runs,
exceeds the core count. The probe row and `write_json` carry the numbers and the verdict.

The PyTorch baseline (`keras_gans.torch_baseline`, needs `pip install "keras-gans[benchmark]"`) has the
schedules gan, dragan, dcgan and wgan_gp; `TORCH_SCHEDULES` says which of our variants do the same work as
one (`torch_schedule`): a variant with another schedule or other networks gets no ratio. The baseline calls
D on the real batch and the fakes jointly or apart as the variant does (`joint_batches`); its G update runs D
on the fakes only, so its FLOPs per G update count n = B.
"""
import contextlib
import io
import math
import os
import re
import tempfile
import time

import numpy as np

from . import atomic

MATMUL_SIZE = 2048
# The precisions bench runs in (names of train's --precision, whose table `cli.PRECISIONS` gives each one's
# Keras dtype policy), and the dtype of each one's matmul probe.
MATMUL_DTYPES = {"float32": "float32", "bf16": "bfloat16"}
ROW_KEYS = ("variant", "backend", "xla", "precision", "images_per_s", "g_updates_per_s", "d_updates_per_s",
            "compile_s", "gflops", "pct_of_matmul", "vs_torch", "epoch_s", "epoch_images_per_s", "error")
# The machine's state around the runs: the probe row's fields that `write_json` also puts at the top.
MACHINE_KEYS = ("contended", "contention_reasons", "cores", "load_before", "load_after", "own_load_after",
                "matmul_gflops_before", "matmul_gflops_after", "bf16_gflops_before", "bf16_gflops_after")
# Two probes further apart than this (relative to the faster) say that the machine's load changed in between.
MATMUL_TOLERANCE = 0.10
# The time constant of Linux's 1-minute load average: an exponential average, updated every 5 s.
LOAD_AVERAGE_SECONDS = 60.0

# Our variants that do the work of a PyTorch baseline schedule, step for step: the GAN game and the games
# that only add heads or inputs to its networks (labels joined to G's and D's inputs, a classifier or Q head)
# against `gan`; each other schedule against the variant it is named after. WGAN (no penalty, weight
# clipping), EBGAN and BEGAN (autoencoder discriminators) do other work and have none.
TORCH_SCHEDULES = {"gan": "gan", "cgan": "gan", "lsgan": "gan", "acgan": "gan", "infogan": "gan", "catgan": "gan",
                   "sgan": "gan", "dragan": "dragan", "dcgan": "dcgan", "wgan_gp": "wgan_gp"}
# The networks of each baseline schedule (keras_gans.networks architectures).
TORCH_ARCHITECTURES = {"gan": "infogan", "dragan": "infogan", "wgan_gp": "infogan", "dcgan": "dcgan"}


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


# ------------------------------------------------------------------------------- the machine's state
def matmul_gflops(size=MATMUL_SIZE, repeats=10, dtype="float32"):
    """The machine's matmul throughput in `dtype` (float32 or bfloat16), GFLOP/s: best of `repeats` timed
    `tf.matmul`s of two size x size matrices (after one warm-up)."""
    import tensorflow as tf

    a = tf.cast(tf.random.normal((size, size), seed=1), dtype)
    b = tf.cast(tf.random.normal((size, size), seed=2), dtype)
    tf.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


def load_average():
    """The 1-minute load average (runnable threads, averaged), or None where the system has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def cpu_stamp():
    """(wall seconds, this process's CPU seconds, all its threads): what `own_load` is estimated from."""
    return time.monotonic(), time.process_time()


def own_load(stamps, tau=LOAD_AVERAGE_SECONDS):
    """This process's share of the 1-minute load average at the last of `stamps` ((wall, cpu) seconds, in
    order): between two stamps it kept (cpu1 - cpu0) / (wall1 - wall0) threads busy, and the load average
    weighs what happened s seconds ago by exp(-s / tau). Before the first stamp counts as idle.

    Bench keeps every core busy, so the load average just after its runs is about the core count on a quiet
    machine; only what is left after its own share says that other processes competed. (Under contention its
    threads wait as well as run, so this share, counted from CPU time, is an underestimate, which makes the
    verdict err towards "contended".)"""
    if len(stamps) < 2:
        return 0.0
    end = stamps[-1][0]
    share = 0.0
    for (wall_0, cpu_0), (wall_1, cpu_1) in zip(stamps, stamps[1:]):
        if wall_1 > wall_0:
            busy = (cpu_1 - cpu_0) / (wall_1 - wall_0)
            share += busy * (math.exp(-(end - wall_1) / tau) - math.exp(-(end - wall_0) / tau))
    return share


def contention_reasons(matmul_before, matmul_after, load_before, load_after, cores, own_load_after=0.0,
                       tolerance=MATMUL_TOLERANCE):
    """Why the timings of a run may not be those of a quiet machine: a list of sentences, empty when nothing
    says so. Numbers in, no measuring: the float32 matmul probes before and after the runs (GFLOP/s) differ by
    more than `tolerance` of the faster; the 1-minute load average before the runs exceeds `cores`; the one
    after them, less `own_load_after` (this process's own share, see `own_load`), exceeds `cores`. A load
    average of None (no such thing on this system) is not judged."""
    reasons = []
    if matmul_before and matmul_after:
        change = abs(matmul_before - matmul_after) / max(matmul_before, matmul_after)
        if change > tolerance:
            reasons.append(f"the float32 matmul probe moved by {100 * change:.0f}% during the runs "
                           f"({matmul_before:.0f} GFLOP/s before, {matmul_after:.0f} after)")
    if load_before is not None and load_before > cores:
        reasons.append(f"the 1-minute load average before the runs was {load_before:.2f}, above the {cores} cores")
    if load_after is not None and load_after - own_load_after > cores:
        own = (f", {load_after - own_load_after:.2f} without this process's own share (about "
               f"{own_load_after:.2f})" if own_load_after else "")
        reasons.append(f"the 1-minute load average after the runs was {load_after:.2f}{own}, above the "
                       f"{cores} cores")
    return reasons


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


def _policy(precision):
    """The Keras dtype policy of a precision name, as train's --precision sets it."""
    from .cli import PRECISIONS

    return PRECISIONS[precision]


@contextlib.contextmanager
def dtype_policy(precision):
    """Build and train under the Keras global dtype policy of `precision` (a key of MATMUL_DTYPES); the policy
    before it comes back afterwards, whatever happens inside, so that one variant's run never leaks its
    precision into the next one's (or into the caller's)."""
    import keras

    if precision not in MATMUL_DTYPES:
        raise ValueError(f"Unknown precision {precision!r}; choose from {', '.join(MATMUL_DTYPES)}.")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(_policy(precision))
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def build(variant, image_shape=(28, 28, 1), num_classes=10, seed=0, architecture=None):
    """`variant` (a name of keras_gans.variants.VARIANTS) with its defaults, for Fashion-MNIST-like data;
    `architecture` (a name of networks.architectures()) replaces the variant's own networks."""
    from .variants import VARIANTS

    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant {variant!r}; choose from {', '.join(sorted(VARIANTS))}.")
    cls = VARIANTS[variant]
    # The games that always take labels are sized to the data's classes; the others keep their defaults.
    options = {"num_classes": num_classes} if cls.label_mode in ("conditional", "auxiliary") else {}
    return cls(image_shape=image_shape, seed=seed, architecture=architecture, **options)


def _trained_model(variant, images, labels, batch_size, architecture=None, xla=True, steps_per_execution=1):
    """A `variant` model as bench builds it (seed 0, its defaults or `architecture`), compiled with or without
    XLA, and the endless shuffled batches it trains on (call inside `dtype_policy(precision)`)."""
    import keras

    from . import data

    keras.utils.set_random_seed(0)
    model = build(variant, images.shape[1:], int(labels.max()) + 1, architecture=architecture)
    model.compile(jit_compile=bool(xla), steps_per_execution=steps_per_execution)
    return model, data.from_arrays(images, labels, batch_size=batch_size, seed=0).repeat()


def bench_variant(variant, images, labels, *, batch_size=64, steps=200, warmup=3, xla=True, matmul=None,
                  steps_per_execution=1, precision="float32", architecture=None):
    """One row: train `variant` with `fit` for `warmup` + `steps` steps under `precision` and time the last
    `steps`."""
    with dtype_policy(precision):
        model, dataset = _trained_model(variant, images, labels, batch_size, architecture, xla, steps_per_execution)
        compile_s, seconds = time_fit(model, dataset, steps, warmup, steps_per_execution)
    fit_steps = steps * steps_per_execution
    d_updates, g_updates = fit_steps * model.d_steps, fit_steps * model.g_steps
    d_flops, g_flops = update_flops(model, batch_size)
    gflops = (d_updates * d_flops + g_updates * g_flops) / seconds / 1e9
    return {"variant": variant, "backend": "keras", "xla": bool(xla), "precision": precision,
            "images_per_s": d_updates * batch_size / seconds, "g_updates_per_s": g_updates / seconds,
            "d_updates_per_s": d_updates / seconds, "compile_s": compile_s, "gflops": gflops,
            "pct_of_matmul": 100 * gflops / matmul if matmul else None, "vs_torch": None,
            "epoch_s": None, "epoch_images_per_s": None, "error": None,
            "seconds": seconds, "steps": fit_steps, "batch_size": batch_size, "d_steps": model.d_steps,
            "g_steps": model.g_steps, "d_update_gflop": d_flops / 1e9, "g_update_gflop": g_flops / 1e9,
            "architecture": model.architecture, "joint_batches": model.joint_batches,
            "dtype_policy": model.dtype_policy.name}


def _epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Stamps of one `fit` call: its start, its first and last step, how many steps, and what the model
        it trains says of itself (d_steps: real batches per step; its dtype policy)."""

        def on_train_begin(self, logs=None):
            self.start, self.first_step, self.end, self.steps = time.perf_counter(), None, None, 0
            self.d_steps, self.policy = self.model.d_steps, self.model.dtype_policy.name

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if self.first_step is None:
                self.first_step = time.perf_counter()

        def on_train_end(self, logs=None):
            self.end = time.perf_counter()

    return EpochTimer()


def time_epoch(variant, *, batch_size=64, xla=True, precision="float32", dataset="fashion_mnist", data_dir=None,
               architecture=None, steps_per_epoch=None, seed=0):
    """One epoch of `keras-gans train VARIANT` end to end, through the command's own code (`cli.train`), into
    a temporary --out: the epoch's fields of a row (`epoch_s` from the call to its return, `epoch_fit_s` inside
    `fit`, `epoch_first_step_s` until the first step ended, `epoch_steps`, `epoch_images` and
    `epoch_images_per_s` = epoch_images / epoch_s). `steps_per_epoch` ends the epoch early, as train's own
    option; `xla=True` is train's default ("auto"), False its --no-xla; `precision` goes to its --precision,
    which sets the dtype policy (and train restores the one before)."""
    from . import cli

    argv = ["train", variant, "--dataset", dataset, "--epochs", "1", "--batch-size", str(batch_size),
            "--precision", precision, "--seed", str(seed), "--verbose", "0"]
    argv += ["--data-dir", data_dir] if data_dir else []
    argv += ["--architecture", architecture] if architecture else []
    argv += ["--steps-per-epoch", str(steps_per_epoch)] if steps_per_epoch else []
    argv += [] if xla else ["--no-xla"]
    timer = _epoch_timer()
    with tempfile.TemporaryDirectory(prefix="keras-gans-bench-") as out:
        try:
            args = cli._parser().parse_args(argv + ["--out", out])
        except SystemExit:  # the parser has said why on stderr
            raise ValueError(f"bench --epoch: keras-gans {' '.join(argv)} is not a train command line.") from None
        printed = io.StringIO()  # train's own messages would cut through bench's table
        with contextlib.redirect_stdout(printed):
            start = time.perf_counter()
            status = cli.train(args, extra_callbacks=[timer])
            seconds = time.perf_counter() - start
    if status >= 128:  # stopped by a signal: stop the bench as well
        raise KeyboardInterrupt
    if status:
        said = printed.getvalue().strip().splitlines()
        raise RuntimeError(f"the train command ended with status {status}{': ' + said[-1] if said else ''}")
    if timer.end is None or not timer.steps:
        raise RuntimeError("the train command trained no step (is the training split empty?)")
    if timer.policy != _policy(precision):  # the model train built must be of this row's precision
        raise RuntimeError(f"the train command built its model under the dtype policy {timer.policy!r}, not "
                           f"{_policy(precision)!r}: its epoch is not one of this row.")
    images = timer.steps * timer.d_steps * batch_size
    return {"epoch_s": seconds, "epoch_images_per_s": images / seconds, "epoch_fit_s": timer.end - timer.start,
            "epoch_first_step_s": timer.first_step - timer.start, "epoch_steps": timer.steps,
            "epoch_images": images}


def _error_text(error):
    """An exception as one line for a row: its type and its message's first line (TensorFlow's run long)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= 300 else text[:297] + "..."


def _failed_row(variant, xla, precision, error):
    row = {key: None for key in ROW_KEYS}
    row.update(variant=variant, backend="keras", xla=bool(xla), precision=precision, error=_error_text(error))
    return row


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


def torch_schedule(variant, architecture):
    """The PyTorch baseline schedule that does the work of `variant` built with `architecture`, or None:
    the schedule of TORCH_SCHEDULES, where the networks are the schedule's own."""
    schedule = TORCH_SCHEDULES.get(variant)
    return schedule if schedule and TORCH_ARCHITECTURES[schedule] == architecture else None


def bench_torch(schedule, images, *, batch_size=64, steps=200, warmup=3, matmul=None, baseline=None, threads=None,
                joint_batches=None):
    """One torch row: the baseline's `schedule` for as many real batches as `steps` keras steps of it use;
    `joint_batches` as the keras variant compared (default: the schedule's own, the keras game of its name)."""
    baseline = baseline or load_torch_baseline()  # first: without torch, its error says what to install
    import torch

    d_steps = baseline.SCHEDULES[schedule]
    tensor = torch.from_numpy(np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2)), dtype=np.float32) / 127.5 - 1)
    result = baseline.benchmark(schedule, batch_size, steps * d_steps, warmup * d_steps, images=tensor, threads=threads,
                                joint_batches=joint_batches)
    model = build(schedule, images.shape[1:])
    d_flops, g_flops = update_flops(model, batch_size, g_step_discriminator_batch=batch_size)
    gflops = (result["d_updates_per_s"] * d_flops + result["g_updates_per_s"] * g_flops) / 1e9
    joint = result["joint_batches"]
    label = schedule if joint == baseline.JOINT_BATCHES[schedule] else f"{schedule}/{'joint' if joint else 'apart'}"
    return {"variant": label, "backend": "torch", "xla": None, "precision": "float32",
            "images_per_s": result["images_per_s"], "g_updates_per_s": result["g_updates_per_s"],
            "d_updates_per_s": result["d_updates_per_s"], "compile_s": result["warmup_s"], "gflops": gflops,
            "pct_of_matmul": 100 * gflops / matmul if matmul else None, "vs_torch": 1.0, "epoch_s": None,
            "epoch_images_per_s": None, "error": None, "schedule": schedule, "joint_batches": joint,
            "seconds": result["seconds"], "steps": result["steps"], "batch_size": batch_size,
            "d_steps": d_steps, "g_steps": 1, "threads": result["threads"], "torch": result["torch"],
            "d_update_gflop": d_flops / 1e9, "g_update_gflop": g_flops / 1e9}


def _probe(precisions, size, repeats):
    """{precision: matmul GFLOP/s} for the matmul dtypes of `precisions`."""
    return {precision: matmul_gflops(size, repeats, MATMUL_DTYPES[precision]) for precision in precisions}


def run(variants=None, *, batch_size=64, steps=200, warmup=3, xla=(True, False), precisions=("float32",),
        compare_torch=False, dataset="fashion_mnist", data_dir=None, architecture=None, epoch=False, epoch_steps=None,
        steps_per_execution=1, matmul_repeats=10, matmul_size=MATMUL_SIZE, log=print):
    """Benchmark `variants` (default: all) in each precision of `precisions` and each XLA setting of `xla`;
    with `epoch`, also one epoch of each through the train command (`time_epoch`, `epoch_steps` steps at most);
    with `compare_torch`, also the PyTorch baseline schedule each maps to (`torch_schedule`), and each keras
    row's `vs_torch` = its images/s over the baseline's. `architecture` replaces every variant's networks.

    Returns the rows (dicts). The first is the machine's: the matmul probes (backend "tf.matmul"; `gflops` the
    faster float32 probe), the load averages and the contention verdict (MACHINE_KEYS). A run that fails is a
    row with its `error` (and None for its numbers); the others still run."""
    from . import data
    from .variants import VARIANTS

    stamps = [cpu_stamp()]
    load_before = load_average()
    variants = list(variants or VARIANTS)
    precisions = list(dict.fromkeys(precisions))
    unknown = [precision for precision in precisions if precision not in MATMUL_DTYPES]
    if unknown or not precisions:
        raise ValueError(f"bench precisions must be among {', '.join(MATMUL_DTYPES)} "
                         f"(got {', '.join(unknown) or 'none'}).")
    if steps < 1 or warmup < 1:
        raise ValueError(f"bench needs steps >= 1 and warmup >= 1 (got {steps}, {warmup}).")
    if epoch_steps is not None and not epoch:
        raise ValueError("epoch_steps limits the epoch of epoch=True; ask for the epoch too.")
    baseline = load_torch_baseline() if compare_torch else None
    images, labels = data.load_arrays(dataset, "train", data_dir)
    images = data.check_images(images)
    log = log or (lambda *_: None)
    # float32 always: its two probes are what tells a change of load during the runs.
    probed = list(dict.fromkeys(["float32", *precisions]))
    before = _probe(probed, matmul_size, matmul_repeats)
    stamps.append(cpu_stamp())
    load_text = "unknown" if load_before is None else f"{load_before:.2f}"
    log(f"tf.matmul {matmul_size}x{matmul_size}: " + ", ".join(f"{MATMUL_DTYPES[p]} {g:.0f} GFLOP/s"
                                                                for p, g in before.items())
        + f"; 1-minute load average {load_text} on {os.cpu_count()} cores")
    rows = [{"variant": None, "backend": "tf.matmul", "xla": None, "gflops": before["float32"], "size": matmul_size}]
    torch_rows = {}
    for variant in variants:
        measured = []
        for precision in precisions:
            for setting in xla:
                # One run's failure (a variant that does not train in bf16) is that row's result, not the
                # bench's end.
                try:
                    row = bench_variant(variant, images, labels, batch_size=batch_size, steps=steps, warmup=warmup,
                                        xla=setting, matmul=before[precision], steps_per_execution=steps_per_execution,
                                        precision=precision, architecture=architecture)
                except Exception as error:
                    row = _failed_row(variant, setting, precision, error)
                else:
                    measured.append(row)
                    if epoch:
                        try:
                            row.update(time_epoch(variant, batch_size=batch_size, xla=setting, precision=precision,
                                                  dataset=dataset, data_dir=data_dir, architecture=architecture,
                                                  steps_per_epoch=epoch_steps))
                        except Exception as error:
                            row["error"] = "epoch: " + _error_text(error)
                rows.append(row)
                stamps.append(cpu_stamp())
                log(format_table([row], header=False, epoch=epoch))
        schedule = torch_schedule(variant, measured[0]["architecture"]) if baseline and measured else None
        if schedule:
            key = (schedule, measured[0]["joint_batches"])
            if key not in torch_rows:
                torch_rows[key] = bench_torch(schedule, images, batch_size=batch_size, steps=steps, warmup=warmup,
                                              matmul=before["float32"], baseline=baseline,
                                              joint_batches=measured[0]["joint_batches"])
                rows.append(torch_rows[key])
                stamps.append(cpu_stamp())
                log(format_table([torch_rows[key]], header=False, epoch=epoch))
            for row in measured:
                row["vs_torch"] = row["images_per_s"] / torch_rows[key]["images_per_s"]
                row["torch_schedule"] = torch_rows[key]["variant"]
    after = _probe(probed, matmul_size, matmul_repeats)
    stamps.append(cpu_stamp())
    load_after = load_average()
    own_load_after = own_load(stamps)
    cores = os.cpu_count()
    reasons = contention_reasons(before["float32"], after["float32"], load_before, load_after, cores, own_load_after)
    best = {precision: max(before[precision], after[precision]) for precision in probed}
    rows[0].update(gflops=best["float32"], matmul_gflops_before=before["float32"], matmul_gflops_after=after["float32"],
                   bf16_gflops_before=before.get("bf16"), bf16_gflops_after=after.get("bf16"),
                   bf16_gflops=best.get("bf16"), load_before=load_before, load_after=load_after,
                   own_load_after=own_load_after, cores=cores, contended=bool(reasons), contention_reasons=reasons)
    log("tf.matmul again: " + ", ".join(f"{MATMUL_DTYPES[p]} {g:.0f} GFLOP/s" for p, g in after.items())
        + "; % matmul is taken against the faster probe of each precision")
    for row in rows[1:]:
        if row.get("gflops") is not None:
            row["pct_of_matmul"] = 100 * row["gflops"] / best[row["precision"]]
    return rows


# ----------------------------------------------------------------------------------------- profile
# What the XLA operations of a step are in our networks, by the name XLA gives each (first match wins).
PROFILE_CATEGORIES = (
    ("matmul", re.compile(r"^(dot|matmul|gemm)", re.I), "Dense layers, forward and backward"),
    ("dilated conv", re.compile(r"^convolution-base-dilated"),
     "transposed convolutions and the input gradients of strided ones (lhs-dilated convolutions)"),
    ("conv", re.compile(r"^convolution"), "convolutions and their kernel gradients"),
    ("copy", re.compile(r"copy|transpose"), "layout copies and transposes"),
    ("fusion", re.compile(r"fusion"), "fused elementwise work: batch norm, activations, losses, Adam's updates"),
    ("other", re.compile(r""), "reductions, broadcasts, random numbers, everything else"),
)
# The threads that run XLA's compiled operations on CPU (the intra-op pool and the executor thread that
# launches the computation), and the profiler's events on them that are not operations: the executor's own,
# which wrap operations (ThunkExecutor::Execute, ...), its waits, and XLA's calls of nested computations,
# whose operations have events of their own.
_XLA_THREADS = re.compile(r"Eigen|XLA|tf_Compute", re.I)
_NOT_OPERATIONS = re.compile(r"::| |^BlockUntilReady$|^ExecutorDoneCallback$|^call(\.\d+)?$")
# A profile runs the step on one thread in a process of its own (TensorFlow fixes its thread pools when it
# starts): there every XLA operation runs whole on the thread that the trace records it on. With more threads
# an operation's trace event covers only the part its own thread runs; the pieces other threads take over go
# unrecorded.
ONE_THREAD_ENV = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
_PROFILE_MARK = "KERAS_GANS_PROFILE "
_PROFILE_CHILD = """
import json, sys
from keras_gans import bench
print(bench._PROFILE_MARK + json.dumps(bench._one_thread_profile(**json.loads(sys.argv[1]))), flush=True)
"""


def profile_category(op_name):
    """The PROFILE_CATEGORIES name of an XLA operation's name ("MatMul.42", "fusion.7", ...)."""
    return next(name for name, pattern, _ in PROFILE_CATEGORIES if pattern.search(op_name))


def profile_ops(xspace_bytes):
    """{XLA operation name: milliseconds} summed over the CPU threads of a serialized profiler XSpace (the
    .xplane.pb that `tf.profiler.experimental` writes): the events of the threads that run compiled XLA code,
    without the executor's own events that wrap them or wait for them."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    space.ParseFromString(xspace_bytes)
    totals = {}
    for plane in space.planes:
        for line in plane.lines:
            if not _XLA_THREADS.search(line.name):
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if _NOT_OPERATIONS.search(name):
                    continue
                totals[name] = totals.get(name, 0.0) + event.duration_ps / 1e9
    return totals


def _one_thread_profile(variant, dataset, data_dir, batch_size, steps, warmup, precision, architecture):
    """In a process whose TensorFlow runs on one thread (`ONE_THREAD_ENV`): {"step_ms" (wall, without the
    profiler), "traced_step_ms" (under it), "ops" {XLA operation: ms per step, each its share of the traced
    step times step_ms}, "matmul_gflops" (the probe on this one thread)}."""
    import glob

    import tensorflow as tf

    from . import data

    images, labels = data.load_arrays(dataset, "train", data_dir)
    images = data.check_images(images)
    with dtype_policy(precision):
        model, batches = _trained_model(variant, images, labels, batch_size, architecture)
        # The step's wall time without the profiler, whose tracing of every operation slows the step down (by
        # up to 2x for the games with the most operations), between the ends of steps (as `time_fit`: not the
        # start-up of a `fit` call).
        _, seconds = time_fit(model, batches, steps, warmup)
        timer = _step_timer()
        with tempfile.TemporaryDirectory(prefix="keras-gans-profile-") as logdir:
            tf.profiler.experimental.start(logdir)
            try:
                model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer])
            finally:
                tf.profiler.experimental.stop()
            paths = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
            if not paths:
                raise RuntimeError("the TensorFlow profiler wrote no trace")
            with open(paths[0], "rb") as f:
                ops = profile_ops(f.read())
    step_ms = 1000 * seconds / steps
    # The profiler slows every operation down a little; each one's share of the traced step, applied to the
    # step's time without the profiler, is its time.
    traced_step_ms = 1000 * (timer.stamps[-1] - timer.stamps[0]) / (len(timer.stamps) - 1)
    scale = step_ms / traced_step_ms
    return {"step_ms": step_ms, "traced_step_ms": traced_step_ms,
            "ops": {name: scale * ms / steps for name, ms in ops.items()},
            "matmul_gflops": matmul_gflops(dtype=MATMUL_DTYPES[precision])}


def profile_variant(variant, images, labels, *, dataset="fashion_mnist", data_dir=None, batch_size=64, steps=20,
                    warmup=5, precision="float32", architecture=None):
    """Where a step's time goes. `variant` is trained with `fit` under XLA twice: here, on every core, to time
    its step (`warmup` steps, then `steps` timed), and in a child process on one thread (`ONE_THREAD_ENV`,
    reading `dataset`/`data_dir` itself), timed and then traced by the TensorFlow profiler for `steps` more.

    On one thread every operation runs whole on the thread its trace event is on, so the events add up to
    the step: they say what the step's work is, in core-milliseconds. On all cores the same work takes
    `cores` x the step's wall time; the difference is what running it in parallel costs (threads waiting on
    each other, operations too small to split). The profiler slows the traced steps a little: each operation's
    time is its share of a traced step applied to the step's time without the profiler.

    Returns {"variant", "precision", "cores", "step_ms" (wall, all cores), "one_thread_step_ms", "categories" {PROFILE_CATEGORIES name: core-ms per step, on one thread},
    "busy_ms" (their sum), "untraced_ms" (one-thread step time outside any operation's event: launching the
    step, the data pipeline, Keras' loop), "parallel_loss_ms" (cores x step_ms - one_thread_step_ms),
    "parallel_efficiency", "gflop_per_step" (model FLOPs, `update_flops`), "one_thread_matmul_gflops" (the
    probe on one thread), "one_thread_pct_of_matmul" (the step's model FLOPs per second on one thread as a share
    of it), "top_ops" [(name, core-ms per step), ...] (the ten largest)}."""
    import json
    import subprocess
    import sys

    with dtype_policy(precision):
        model, batches = _trained_model(variant, images, labels, batch_size, architecture)
        _, seconds = time_fit(model, batches, steps, warmup)
        d_flops, g_flops = update_flops(model, batch_size)
        gflop = (model.d_steps * d_flops + model.g_steps * g_flops) / 1e9
    spec = {"variant": variant, "dataset": dataset, "data_dir": data_dir, "batch_size": batch_size, "steps": steps,
            "warmup": warmup, "precision": precision, "architecture": architecture}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **ONE_THREAD_ENV)
    child = subprocess.run([sys.executable, "-c", _PROFILE_CHILD, json.dumps(spec)], env=env, capture_output=True,
                           text=True)
    found = [line[len(_PROFILE_MARK):] for line in child.stdout.splitlines() if line.startswith(_PROFILE_MARK)]
    if child.returncode or not found:
        raise RuntimeError(f"the one-thread profile of {variant} failed:\n{child.stderr[-3000:]}")
    one = json.loads(found[0])
    categories = {name: 0.0 for name, _, _ in PROFILE_CATEGORIES}
    for name, ms in one["ops"].items():
        categories[profile_category(name)] += ms
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    step_ms = 1000 * seconds / steps
    busy = sum(categories.values())
    one_step = one["step_ms"]
    return {"variant": variant, "precision": precision, "cores": cores, "step_ms": step_ms,
            "one_thread_step_ms": one_step, "one_thread_traced_step_ms": one["traced_step_ms"],
            "categories": categories, "busy_ms": busy,
            "untraced_ms": max(0.0, one_step - busy), "parallel_loss_ms": cores * step_ms - one_step,
            "parallel_efficiency": one_step / (cores * step_ms), "gflop_per_step": gflop,
            "one_thread_matmul_gflops": one["matmul_gflops"],
            "one_thread_pct_of_matmul": 100 * gflop / (one_step / 1000) / one["matmul_gflops"],
            "top_ops": sorted(one["ops"].items(), key=lambda item: -item[1])[:10]}


def format_profile(profile):
    """A profile as a few lines: the step's wall time on all cores, its work on one thread by category (core-ms,
    each as a share of the all-core step's core-ms), what parallel running adds, then the largest operations."""
    capacity = profile["step_ms"] * profile["cores"]
    shares = [f"{name} {ms:.1f} ({100 * ms / capacity:.0f}%)" for name, ms in profile["categories"].items() if ms]
    shares.append(f"untraced {profile['untraced_ms']:.1f} ({100 * profile['untraced_ms'] / capacity:.0f}%)")
    shares.append(f"parallel loss {profile['parallel_loss_ms']:.1f} "
                  f"({100 * profile['parallel_loss_ms'] / capacity:.0f}%)")
    return "\n".join([
        f"{profile['variant']} ({profile['precision']}): {profile['step_ms']:.1f} ms per step x {profile['cores']} "
        f"cores = {capacity:.0f} core-ms; on one thread {profile['one_thread_step_ms']:.1f} ms, its model FLOPs at "
        f"{profile['one_thread_pct_of_matmul']:.0f}% of the one-thread matmul probe "
        f"({profile['one_thread_matmul_gflops']:.0f} GFLOP/s)",
        "  core-ms per step: " + ", ".join(shares),
        "  largest (core-ms): " + ", ".join(f"{name} {ms:.1f}" for name, ms in profile["top_ops"][:6])])


# ------------------------------------------------------------------------------------------ output
# (row key, title, format, left-aligned)
_COLUMNS = (("variant", "variant", "{}", True), ("backend", "backend", "{}", True), ("xla", "xla", "{}", True),
            ("precision", "precision", "{}", True), ("images_per_s", "images/s", "{:.0f}", False),
            ("g_updates_per_s", "G upd/s", "{:.2f}", False), ("d_updates_per_s", "D upd/s", "{:.2f}", False),
            ("compile_s", "compile s", "{:.1f}", False), ("gflops", "GFLOP/s", "{:.0f}", False),
            ("pct_of_matmul", "% matmul", "{:.0f}", False), ("vs_torch", "x torch", "{:.2f}", False))
_EPOCH_COLUMNS = (("epoch_s", "epoch s", "{:.1f}", False), ("epoch_images_per_s", "epoch img/s", "{:.0f}", False))


def format_table(rows, header=True, epoch=None):
    """The rows as a fixed-width text table (the matmul probe row is left out), a failed run's error after its
    row. `epoch` adds the columns of the end-to-end epoch (default: when a row has them)."""
    rows = [row for row in rows if row.get("backend") != "tf.matmul"]
    if epoch is None:
        epoch = any(row.get("epoch_s") is not None for row in rows)
    columns = _COLUMNS + (_EPOCH_COLUMNS if epoch else ())

    def cell(row, key, fmt):
        value = row.get(key)
        if value is None:
            return "-"
        if key == "xla":
            return "on" if value else "off"
        return fmt.format(value)

    lines = [[title for _, title, _, _ in columns]] if header else []
    lines += [[cell(row, key, fmt) for key, _, fmt, _ in columns] for row in rows]
    # At least the titles' widths, header or not: rows logged one by one line up with the final table.
    widths = [max([len(line[i]) for line in lines] + [len(columns[i][1]), 9 if i else 8]) for i in range(len(columns))]
    errors = ([None] if header else []) + [row.get("error") for row in rows]
    return "\n".join(
        "  ".join(c.ljust(w) if columns[i][3] else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
        + (f"  error: {error}" if error else "") for line, error in zip(lines, errors))


def machine(rows):
    """The machine's state around the runs (MACHINE_KEYS of the probe row), {} without a probe row."""
    probe = next((row for row in rows if row.get("backend") == "tf.matmul"), {})
    return {key: probe[key] for key in MACHINE_KEYS if key in probe}


def write_json(rows, path):
    """Write `{...the machine's state (contended, contention_reasons, loads, probes)..., "rows": [...]}` to
    `path` (directories created), atomically."""
    return atomic.write_json({**machine(rows), "rows": rows}, path, indent=2)


def format_contention(rows):
    """One line: whether the run was measured on a machine it had to itself, and if not, why and what to do."""
    state = machine(rows)
    if "contended" not in state:
        return None
    if state["contended"]:
        return (f"CONTENDED: {'; '.join(state['contention_reasons'])}. Other work shared the machine: the absolute "
                f"numbers are low and noisy; rerun on a quiet machine before trusting them (ratios within this run "
                f"suffer less).")
    loads = ", ".join("unknown" if state[key] is None else f"{state[key]:.2f}" for key in ("load_before", "load_after"))
    return (f"Machine quiet by the probes: float32 matmul {state['matmul_gflops_before']:.0f} and "
            f"{state['matmul_gflops_after']:.0f} GFLOP/s before and after, 1-minute load average {loads} before "
            f"and after (about {state['own_load_after']:.2f} of it this process's own) on {state['cores']} cores.")


def format_summary(rows):
    """The table, the matmul figures it is measured against, the contention verdict, and what the ratio and
    epoch columns mean."""
    lines = [format_table(rows)]
    state = machine(rows)
    probe = next((row for row in rows if row.get("backend") == "tf.matmul"), None)
    if probe and probe.get("gflops"):
        bf16 = (f"; bfloat16 {probe['bf16_gflops']:.0f} GFLOP/s (for the bf16 rows)"
                if probe.get("bf16_gflops") else "")
        lines.append(f"tf.matmul {probe['size']}x{probe['size']} on this machine: float32 {probe['gflops']:.0f} "
                     f"GFLOP/s{bf16}, the faster of a probe before and after the runs (% matmul = GFLOP/s of the "
                     f"analytic model FLOPs over the probe of the row's precision).")
    if state:
        lines.append(format_contention(rows))
    keras_rows = [row for row in rows if row.get("backend") == "keras"]
    if any(row.get("vs_torch") for row in keras_rows):
        lines.append("x torch = images/s over the PyTorch baseline schedule doing the same work (float32; "
                     "gan, dragan, dcgan, wgan_gp); '-' where no schedule does; only ratios from one run are "
                     "meaningful.")
    if any(row.get("epoch_s") is not None for row in keras_rows):
        lines.append("epoch s = one epoch of `keras-gans train` end to end (data loading, building, compiling, "
                     "fit with its callbacks, sample grid, checkpoint); epoch img/s = its real images over that.")
    failed = [row for row in keras_rows if row.get("error")]
    if failed:
        lines.append(f"{len(failed)} of {len(keras_rows)} runs failed; their rows say why.")
    return "\n".join(lines)
