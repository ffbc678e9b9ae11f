"""Two measurements behind the README's account of a step (XLA on, fit's own path, batch 64):

    python benchmarks/step_costs.py subpixel gan dcgan --steps 60 --rounds 2
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 python benchmarks/step_costs.py adam gan
    TF_NUM_INTRAOP_THREADS=2 TF_NUM_INTEROP_THREADS=1 python benchmarks/step_costs.py loop gan --steps 40

`subpixel`: a variant's step time with its generator's transposed convolutions as they are and rewritten as
`keras_gans.layers.SubPixelConv2DTranspose` (the same function as a 2x2 convolution and a depth-to-space),
alternating, so that run-to-run noise shows beside any difference. `adam`: the time of one Adam update
(Keras' Adam, XLA) of the generator's and of the discriminator's weights alone, on as many threads as
TensorFlow is given: the elementwise work no network change removes. `loop`: what Keras' loop adds to the
compiled step: the step time in `fit` (`steps_per_execution` 1 and 10), calling the compiled train function in
a plain Python loop, and the jit-compiled `train_step` on one fixed batch (no tf.data); the thread counts are
TensorFlow's (TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS; default: one per core).
"""
import argparse
import os
import time

import keras
import tensorflow as tf

from keras_gans import bench, data
from keras_gans.layers import SubPixelConv2DTranspose
from keras_gans.variants import VARIANTS


def sub_pixel(layer):
    """A copy of `layer` (new weights), as SubPixelConv2DTranspose if it is a Conv2DTranspose."""
    if type(layer) is keras.layers.Conv2DTranspose:
        return SubPixelConv2DTranspose.from_config(layer.get_config())
    return layer.__class__.from_config(layer.get_config())


def time_subpixel(variants, steps, rounds):
    images, labels = data.load_arrays("fashion_mnist", "train")
    images = data.check_images(images)
    for round_ in range(1, rounds + 1):
        for variant in variants:
            for rewritten in (False, True):
                keras.utils.set_random_seed(0)
                model = bench.build(variant, images.shape[1:], int(labels.max()) + 1)
                if rewritten:
                    generator = keras.models.clone_model(model.generator, clone_function=sub_pixel)
                    model = VARIANTS[variant](generator=generator, discriminator=model.discriminator,
                                              image_shape=images.shape[1:], num_classes=model.num_classes, seed=0)
                model.compile(jit_compile=True)
                batches = data.from_arrays(images, labels, batch_size=64, seed=0).repeat()
                _, seconds = bench.time_fit(model, batches, steps, warmup=5)
                print(f"round {round_} {variant} {'sub-pixel' if rewritten else 'Conv2DTranspose'}: "
                      f"{1000 * seconds / steps:.1f} ms per step", flush=True)


def time_adam(variants, repeats=50):
    for variant in variants:
        model = bench.build(variant)
        for role, network in (("generator", model.generator), ("discriminator", model.discriminator)):
            weights = network.trainable_variables
            optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
            optimizer.build(weights)
            gradients = [tf.ones_like(weight) * 1e-3 for weight in weights]
            update = tf.function(lambda: optimizer.apply(gradients, weights), jit_compile=True)
            for _ in range(3):
                update()
            start = time.perf_counter()
            for _ in range(repeats):
                update()
            count = sum(int(weight.shape.num_elements()) for weight in weights)
            print(f"{variant} {role}: {count / 1e6:.2f} M weights, one Adam update "
                  f"{1000 * (time.perf_counter() - start) / repeats:.2f} ms", flush=True)


def time_loop(variants, steps):
    images, labels = data.load_arrays("fashion_mnist", "train")
    images = data.check_images(images)
    for variant in variants:
        times = {}
        for per_execution in (1, 10):
            keras.utils.set_random_seed(0)
            model = bench.build(variant, images.shape[1:], int(labels.max()) + 1)
            model.compile(jit_compile=True, steps_per_execution=per_execution)
            batches = data.from_arrays(images, labels, batch_size=64, seed=0).repeat()
            _, seconds = bench.time_fit(model, batches, steps // per_execution, 3, per_execution)
            times[f"fit, steps_per_execution={per_execution}"] = seconds / steps
        iterator = iter(batches)  # the last model: steps_per_execution=10, so compile it again for one step
        model.compile(jit_compile=True)
        model.make_train_function(force=True)
        for _ in range(3):
            model.train_function(iterator)
        start = time.perf_counter()
        for _ in range(steps):
            logs = model.train_function(iterator)
        {key: float(value) for key, value in logs.items()}  # wait for the last step
        times["train function in a loop"] = (time.perf_counter() - start) / steps
        batch = next(iterator)
        step = tf.function(model.train_step, jit_compile=True)
        for _ in range(3):
            step(batch)
        start = time.perf_counter()
        for _ in range(steps):
            logs = step(batch)
        {key: float(value) for key, value in logs.items()}
        times["train_step on one fixed batch"] = (time.perf_counter() - start) / steps
        threads = [os.environ.get(name, "default") for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")]
        print(f"{variant} (intra-op/inter-op threads {threads[0]}/{threads[1]}): "
              + ", ".join(f"{key} {1000 * value:.1f} ms" for key, value in times.items()), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("subpixel", "adam", "loop"))
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.what == "subpixel":
        time_subpixel(args.variants, args.steps, args.rounds)
    elif args.what == "adam":
        time_adam(args.variants)
    else:
        time_loop(args.variants, args.steps)


if __name__ == "__main__":
    main()
