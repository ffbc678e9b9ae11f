"""Is keras_gans' GAN slower than the plainest Keras GAN on the same networks? Times both, alternating.

    python benchmarks/keras_minimal_step.py --steps 60 --rounds 2

The plain model is the keras.io "DCGAN overriding train_step" pattern on keras_gans' infoGAN-paper networks:
D on [fake; real] in one call, G trained through D on its fakes alone, Adam(2e-4, 0.5), z ~ U[0, 1]^62,
batch 64, XLA on. keras_gans' GAN is timed as `keras-gans bench gan --xla on` times it
(`keras_gans.bench.bench_variant`). Each round times the plain model and then keras_gans' GAN in this
process, so the two see the same machine load; compare them within a round.
"""
import argparse

import keras
import tensorflow as tf

from keras_gans import bench, data, networks


class PlainGAN(keras.Model):
    def __init__(self, generator, discriminator, latent_dim=62):
        super().__init__()
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seed_generator = keras.random.SeedGenerator(0)

    def compile(self, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real):
        batch = tf.shape(real)[0]
        z = keras.random.uniform((batch, self.latent_dim), seed=self.seed_generator)
        fake = self.generator(z, training=True)
        targets = tf.concat([tf.ones((batch, 1)), tf.zeros((batch, 1))], 0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(targets, self.discriminator(tf.concat([fake, real], 0), training=True))
        gradients = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(gradients, self.discriminator.trainable_weights))
        z = keras.random.uniform((batch, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.loss_fn(tf.zeros((batch, 1)), fake_logits)
        gradients = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(gradients, self.generator.trainable_weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def time_plain(images, steps, warmup=3, batch_size=64):
    keras.utils.set_random_seed(0)
    model = PlainGAN(networks.infogan_generator(), networks.infogan_discriminator())
    model.compile(jit_compile=True)
    dataset = data.from_arrays(images, batch_size=batch_size, seed=0).repeat()
    _, seconds = bench.time_fit(model, dataset, steps, warmup)
    return steps * batch_size / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--data-dir", help="directory with Fashion-MNIST IDX files")
    args = parser.parse_args()
    images, labels = data.load_arrays("fashion_mnist", "train", args.data_dir)
    images = data.check_images(images)
    for round_ in range(1, args.rounds + 1):
        plain = time_plain(images, args.steps)
        ours = bench.bench_variant("gan", images, labels, steps=args.steps, xla=True)["images_per_s"]
        print(f"round {round_}: plain keras.io-style GAN {plain:.0f} images/s, keras_gans GAN {ours:.0f} images/s "
              f"(ratio {ours / plain:.2f})", flush=True)


if __name__ == "__main__":
    main()
