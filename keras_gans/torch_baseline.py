"""PyTorch baseline for `keras-gans bench --compare-torch`: the same networks and schedule, timed the same way.

Networks: the infoGAN paper's 28x28 nets (Chen et al., 2016, appendix C.1), layer for layer the sizes of
`keras_gans.networks.infogan_generator` / `infogan_discriminator`:

    G: z (62) -> FC 1024 (no bias)-BN-ReLU -> FC 7*7*128 (no bias)-BN-ReLU -> deconv 64 4x4 s2 (no bias)-BN-ReLU
       -> deconv 1 4x4 s2 -> tanh
    D: x -> conv 64 4x4 s2-LReLU(0.2) -> conv 128 4x4 s2-norm-LReLU -> FC 1024-norm-LReLU -> FC 1

norm is batch norm (momentum 0.1 = Keras' 0.9, eps 1e-5) for the GAN and DRAGAN, and for WGAN-GP layer
normalization over the channels (Keras' `LayerNormalization()` default axis -1, eps 1e-3), as keras_gans'
WGAN-GP critic. For dcgan, the DCGAN nets of `keras_gans.networks.dcgan_generator` / `dcgan_discriminator`
(at 28 px):

    G: z (100) -> FC 7*7*128 (no bias)-BN-ReLU -> deconv 64 4x4 s2 (no bias)-BN-ReLU -> deconv 1 4x4 s2 -> tanh
    D: x -> conv 64 4x4 s2-LReLU(0.2) -> conv 128 4x4 s2 (no bias)-BN-LReLU -> conv 256 4x4 s2 (no bias)-BN-LReLU
       (7 -> 4 px, padded as Keras' "same") -> FC 1

Weights ~ N(0, 0.02). Batch 64, z ~ N(0, I) (keras_gans' default prior), the optimizers of the keras_gans game
of the same name (`GAMES`): Adam(betas=(0.5, 0.999)) at D 2e-4 and G 2e-4 (gan) or 1e-3 (lsgan, dragan,
dcgan), for WGAN-GP Adam(betas=(0, 0.9)) at D 1e-4 and G 5e-4.

Schedules (per real batch of 64 Fashion-MNIST images):
    gan      one D update (D on the real batch and on the detached fakes, in two calls as keras_gans' GAN or,
             with joint_batches, in one), then one G update on fresh z (D on the fakes only, as an efficient
             PyTorch loop does)
    dragan   gan + 10 * (||grad D(x + alpha 0.5 std(x) u)|| - 1)^2 around the real batch in the D update (u ~
             U[0, 1) per pixel, alpha ~ U[0, 1) per sample, through autograd.grad(create_graph=True)), as
             keras_gans.penalties.dragan_perturb / dragan_penalty with k = 1
    dcgan    gan on the DCGAN nets
    wgan_gp  one critic update (Wasserstein loss + 10 * gradient penalty at x_hat = eps x + (1 - eps) G(z),
             through autograd.grad(create_graph=True)), then one G update, as keras_gans' WGAN-GP

Run alone, it prints one JSON line per schedule:

    python -m keras_gans.torch_baseline gan wgan_gp dragan dcgan --steps 200

Reference runs (`--train EPOCHS`): the loop of the public PyTorch "generative model collections", to compare
what our variants learn at equal budget. Per real batch, one D update with D called on the real batch and on
the fakes separately, then G updates per the game's schedule with D on the fakes alone; the same networks
(layer norm in the WGAN-GP critic), batch and optimizers as the keras_gans variant of that name. It writes
`--n` samples, float32 NHWC in [-1, 1], to a `.npy` file that `keras-gans evaluate --samples` scores:

    python -m keras_gans.torch_baseline gan --train 1 --samples runs/reference/gan.npy --n 10000 --seed 0

    gan      minimax D loss, non-saturating G loss, Adam(2e-4, 0.5, 0.999), z ~ U[-1, 1] or N(0, I) (--prior)
    lsgan    least squares with a=0, b=c=1, Adam(0.5, 0.999) at D 2e-4, G 1e-3
    wgan_gp  Wasserstein loss + 10 * gradient penalty, one critic update per G update, Adam(0, 0.9) at D 1e-4,
             G 5e-4
    dragan   minimax + non-saturating, + 10 * (||grad D(x + delta)|| - 1)^2 around the real batch
             (delta = alpha * 0.5 std(x) u, u ~ U[0, 1] per pixel, alpha ~ U[0, 1] per sample), Adam(0.5) at D
             2e-4, G 1e-3
    dcgan    gan on the DCGAN nets (z of 100), G at 1e-3

`keras_gans.bench.load_torch_baseline()` imports it for --compare-torch and calls `benchmark(...)`. It imports
torch, the optional extra `pip install "keras-gans[benchmark]"`, so nothing in the package imports it at
import time. Torch uses one thread per core this process may run on.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from keras_gans import atomic

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
LATENT_DIM = 62
# The bench schedules: real batches (critic updates) per generator update.
SCHEDULES = {"gan": 1, "wgan_gp": 1, "dragan": 1, "dcgan": 1}
# Whether D sees the real batch and the fakes in one call by default, as the keras_gans game of the same name
# does (`GANModel.joint_batches`); `bench` passes the variant's own setting.
JOINT_BATCHES = {"gan": False, "wgan_gp": True, "dragan": False, "dcgan": False}
# The gradient penalties' weight lambda, as in keras_gans' WGAN-GP and DRAGAN.
PENALTY_WEIGHT = 10.0


def load_images(directory=FASHION_MNIST):
    """Fashion-MNIST training images as a float32 tensor (N, 1, 28, 28) in [-1, 1] (read from IDX files)."""
    path = os.path.join(directory, "train-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as f:
        data = f.read()
    n, h, w = (int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(3))
    images = np.frombuffer(data, np.uint8, offset=16).reshape(n, 1, h, w)
    return torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0)


class ChannelLayerNorm(nn.Module):
    """Keras' LayerNormalization() on an NHWC feature map: normalize each position over its channels."""

    def __init__(self, channels, eps=1e-3):
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=eps)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def _init(module):
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def _batch_norm(channels, dims=2):
    """Keras' BatchNormalization(momentum=0.9, epsilon=1e-5): torch counts momentum the other way round."""
    return (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(channels, momentum=0.1, eps=1e-5)


class Generator(nn.Module):
    """`keras_gans.networks.infogan_generator`."""

    def __init__(self, latent_dim=LATENT_DIM, channels=1, size=28):
        super().__init__()
        self.latent_dim, self.size = latent_dim, size
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, 1024, bias=False), _batch_norm(1024, 1), nn.ReLU(),
            nn.Linear(1024, 128 * (size // 4) ** 2, bias=False), _batch_norm(128 * (size // 4) ** 2, 1), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), _batch_norm(64), nn.ReLU(),
            nn.ConvTranspose2d(64, channels, 4, 2, 1), nn.Tanh())
        self.apply(_init)

    def forward(self, z):
        return self.deconv(self.fc(z).view(-1, 128, self.size // 4, self.size // 4))


class Discriminator(nn.Module):
    """`keras_gans.networks.infogan_discriminator` with batch or layer normalization."""

    def __init__(self, channels=1, size=28, normalization="batch"):
        super().__init__()
        flat = 128 * (size // 4) ** 2
        if normalization == "batch":
            conv_norm, fc_norm = _batch_norm(128), _batch_norm(1024, 1)
        elif normalization == "layer":
            conv_norm, fc_norm = ChannelLayerNorm(128), nn.LayerNorm(1024, eps=1e-3)
        else:
            raise ValueError(f"normalization must be 'batch' or 'layer', not {normalization!r}")
        self.conv = nn.Sequential(
            nn.Conv2d(channels, 64, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1), conv_norm, nn.LeakyReLU(0.2))
        self.fc = nn.Sequential(nn.Linear(flat, 1024), fc_norm, nn.LeakyReLU(0.2), nn.Linear(1024, 1))
        self.apply(_init)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))


def dcgan_depth(size):
    """Stride-2 stages of the DCGAN generator for square `size` px images, as `keras_gans.networks._dcgan_depth`:
    halve while the size stays whole and at least 4 px (28 -> 14 -> 7: two)."""
    depth = 0
    while size % 2 == 0 and size // 2 >= 4:
        depth, size = depth + 1, size // 2
    return depth


def dcgan_discriminator_sizes(size):
    """Side lengths after each stride-2 stage of the DCGAN discriminator, as
    `keras_gans.networks._dcgan_discriminator_depth`: halve, rounding up, while the result stays at least 4 px
    (28 -> [14, 7, 4])."""
    sizes = []
    while (size + 1) // 2 >= 4:
        size = (size + 1) // 2
        sizes.append(size)
    return sizes


def _same_conv(in_channels, out_channels, size, bias):
    """Conv 4x4 stride 2 padded as Keras' "same": ceil(size / 2) out, the odd pixel of padding at the bottom
    and right (padding=1 alone would give 3 px from 7)."""
    extra = 1 if size % 2 else 0
    return nn.Sequential(nn.ZeroPad2d((1, 1 + extra, 1, 1 + extra)),
                         nn.Conv2d(in_channels, out_channels, 4, 2, 0, bias=bias))


class DCGANGenerator(nn.Module):
    """`keras_gans.networks.dcgan_generator`: z -> FC (no bias) to a (top, s, s) map -BN-ReLU, then transposed
    convs 4x4 stride 2 (padding 1, as Keras' "same") that halve the filters (no bias)-BN-ReLU, the last one to
    `channels` (with bias) + tanh. At 28 px: 100 -> 128x7x7 -> 64x14x14 -> 1x28x28."""

    def __init__(self, latent_dim=100, channels=1, size=28, filters=64):
        super().__init__()
        self.latent_dim, self.depth = latent_dim, dcgan_depth(size)
        self.top, self.start = filters * 2 ** (self.depth - 1), size >> self.depth
        self.project = nn.Linear(latent_dim, self.start ** 2 * self.top, bias=False)
        layers = [_batch_norm(self.top), nn.ReLU()]
        for i in range(self.depth - 1):
            layers += [nn.ConvTranspose2d(self.top >> i, self.top >> (i + 1), 4, 2, 1, bias=False),
                       _batch_norm(self.top >> (i + 1)), nn.ReLU()]
        layers += [nn.ConvTranspose2d(self.top >> (self.depth - 1), channels, 4, 2, 1), nn.Tanh()]
        self.deconv = nn.Sequential(*layers)
        self.apply(_init)

    def forward(self, z):
        return self.deconv(self.project(z).view(-1, self.top, self.start, self.start))


class DCGANDiscriminator(nn.Module):
    """`keras_gans.networks.dcgan_discriminator`: convs 4x4 stride 2 (padding 1, as Keras' "same") doubling the
    filters from `filters`, the first with bias and no norm, the others without bias and with batch norm, each
    followed by LeakyReLU(0.2), then FC 1 on the flattened map. At 28 px: 1x28x28 -> 64x14x14 -> 128x7x7 ->
    256x4x4 -> 1."""

    def __init__(self, channels=1, size=28, filters=64):
        super().__init__()
        sizes, layers, previous = dcgan_discriminator_sizes(size), [], channels
        for i, inner in enumerate([size] + sizes[:-1]):
            layers.append(_same_conv(previous, filters << i, inner, bias=i == 0))
            if i:
                layers.append(_batch_norm(filters << i))
            layers.append(nn.LeakyReLU(0.2))
            previous = filters << i
        self.conv = nn.Sequential(*layers)
        self.fc = nn.Linear(previous * sizes[-1] ** 2, 1)
        self.apply(_init)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))


# The reference games: (critic updates per G update, normalization in D, Adam's (D's rate, G's rate, beta_1,
# beta_2)), those of the keras_gans game of the same name (tests/test_bench.py holds them to it).
GAMES = {"gan": (1, "batch", (2e-4, 1e-3, 0.5, 0.999)), "lsgan": (1, "batch", (2e-4, 1e-3, 0.5, 0.999)),
         "wgan_gp": (1, "layer", (1e-4, 5e-4, 0.0, 0.9)), "dragan": (1, "batch", (2e-4, 1e-3, 0.5, 0.999)),
         "dcgan": (1, "batch", (2e-4, 1e-3, 0.5, 0.999))}


def build_networks(game, channels=1, size=28):
    """(generator, discriminator) of `game` (a key of GAMES) for square images: the DCGAN nets for dcgan, the
    infoGAN-paper nets with the game's normalization for the others."""
    if game == "dcgan":
        return DCGANGenerator(channels=channels, size=size), DCGANDiscriminator(channels, size)
    return Generator(channels=channels, size=size), Discriminator(channels, size, normalization=GAMES[game][1])


def _gradient_penalty(critic, real, fake):
    epsilon = torch.rand(real.shape[0], 1, 1, 1)
    x_hat = (epsilon * real + (1 - epsilon) * fake).requires_grad_(True)
    scores = critic(x_hat)
    gradients, = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = torch.sqrt(gradients.flatten(1).square().sum(1) + 1e-12)
    return ((norms - 1) ** 2).mean()


def dragan_perturb(real, uniform, alpha, scale=0.5):
    """`keras_gans.penalties.dragan_perturb`, the DRAGAN authors' points around the real data:
    x + alpha * scale * std(x) * u, with std over the whole batch (the population one, as tf.math.reduce_std),
    u per pixel and alpha per sample drawn by the caller."""
    return real + alpha * scale * real.std(correction=0) * uniform


def dragan_penalty(critic, perturbed, k=1.0):
    """`keras_gans.penalties.dragan_penalty` (two-sided): E[(||grad critic(x + delta)||_2 - k)^2], the norm
    over all non-batch axes with the same 1e-12 inside the square root; differentiable to the critic's weights."""
    perturbed = perturbed.detach().requires_grad_(True)
    gradients, = torch.autograd.grad(critic(perturbed).sum(), perturbed, create_graph=True)
    norms = torch.sqrt(gradients.flatten(1).square().sum(1) + 1e-12)
    return ((norms - k) ** 2).mean()


def _dragan_penalty(discriminator, real, k=1.0):
    """DRAGAN's penalty on a real batch with fresh noise: u ~ U[0, 1) per pixel, alpha ~ U[0, 1) per sample,
    D in training mode as in the D update (keras_gans.variants.dragan)."""
    alpha = torch.rand(real.shape[0], 1, 1, 1)
    return dragan_penalty(discriminator, dragan_perturb(real, torch.rand_like(real), alpha), k)


def _minimax_d_loss(real_scores, fake_scores):
    """keras_gans' `losses.minimax_discriminator_loss`: the mean BCE on the real batch plus that on the fakes."""
    return F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()


def make_trainer(variant, batch_size=64, images=None, seed=0, joint_batches=None):
    """(step, state): `step()` trains on one real batch (one D/critic update, and G updates per the schedule).

    `joint_batches` (default: the keras_gans game's, JOINT_BATCHES) calls D once on [real; fakes] in the D
    update instead of once on each; the G update runs D on the fakes only, as an efficient loop does."""
    if variant not in SCHEDULES:
        raise ValueError(f"The torch baseline has the schedules {sorted(SCHEDULES)}, not {variant!r}.")
    joint = JOINT_BATCHES[variant] if joint_batches is None else bool(joint_batches)
    torch.manual_seed(seed)
    images = load_images() if images is None else images
    generator, discriminator = build_networks(variant, images.shape[1], images.shape[2])
    d_rate, g_rate, beta_1, beta_2 = GAMES[variant][2]
    d_optimizer = torch.optim.Adam(discriminator.parameters(), d_rate, betas=(beta_1, beta_2))
    g_optimizer = torch.optim.Adam(generator.parameters(), g_rate, betas=(beta_1, beta_2))
    latent_dim = generator.latent_dim
    state = {"batch": 0, "order": torch.randperm(len(images)), "position": 0, "g_updates": 0}
    per_epoch = len(images) // batch_size

    def next_batch():
        if state["position"] >= per_epoch:
            state["order"], state["position"] = torch.randperm(len(images)), 0
        index = state["order"][state["position"] * batch_size:(state["position"] + 1) * batch_size]
        state["position"] += 1
        return images.index_select(0, index)

    def discriminate(real, fake):
        if not joint:
            return discriminator(real), discriminator(fake)
        scores = discriminator(torch.cat([real, fake]))
        return scores[:batch_size], scores[batch_size:]

    def step():
        real = next_batch()
        with torch.no_grad():
            fake = generator(torch.randn(batch_size, latent_dim))  # keras_gans' default prior, N(0, I)
        d_optimizer.zero_grad(set_to_none=True)
        real_scores, fake_scores = discriminate(real, fake)
        if variant == "wgan_gp":
            d_loss = fake_scores.mean() - real_scores.mean() \
                + PENALTY_WEIGHT * _gradient_penalty(discriminator, real, fake)
        else:
            d_loss = _minimax_d_loss(real_scores, fake_scores)
            if variant == "dragan":
                d_loss = d_loss + PENALTY_WEIGHT * _dragan_penalty(discriminator, real)
        d_loss.backward()
        d_optimizer.step()
        state["batch"] += 1
        if state["batch"] % SCHEDULES[variant] == 0:
            g_optimizer.zero_grad(set_to_none=True)
            fake_scores = discriminator(generator(torch.randn(batch_size, latent_dim)))
            g_loss = -fake_scores.mean() if variant == "wgan_gp" else F.softplus(-fake_scores).mean()
            g_loss.backward()
            g_optimizer.step()
            state["g_updates"] += 1

    return step, state


def _noise(n, prior, latent_dim=LATENT_DIM):
    return torch.rand(n, latent_dim) * 2 - 1 if prior == "uniform" else torch.randn(n, latent_dim)


def train(game, epochs=1, images=None, batch_size=64, seed=0, prior="normal", log_every=0):
    """Train the reference `game` (a key of GAMES) for `epochs` passes of the discriminator over `images`;
    returns the generator (in eval mode)."""
    if game not in GAMES:
        raise ValueError(f"The torch reference has the games {sorted(GAMES)}, not {game!r}.")
    critic_updates, _, (d_rate, g_rate, beta_1, beta_2) = GAMES[game]
    torch.manual_seed(seed)
    images = load_images() if images is None else images
    generator, discriminator = build_networks(game, images.shape[1], images.shape[2])
    latent_dim = generator.latent_dim
    d_optimizer = torch.optim.Adam(discriminator.parameters(), d_rate, betas=(beta_1, beta_2))
    g_optimizer = torch.optim.Adam(generator.parameters(), g_rate, betas=(beta_1, beta_2))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(batch_size, 1), torch.zeros(batch_size, 1)
    batches = len(images) // batch_size
    for epoch in range(epochs):
        order = torch.randperm(len(images))
        for b in range(batches):
            real = images.index_select(0, order[b * batch_size:(b + 1) * batch_size])
            with torch.no_grad():
                fake = generator(_noise(batch_size, prior, latent_dim))
            d_optimizer.zero_grad(set_to_none=True)
            real_scores, fake_scores = discriminator(real), discriminator(fake)
            if game == "lsgan":
                d_loss = 0.5 * ((real_scores - 1) ** 2).mean() + 0.5 * (fake_scores ** 2).mean()
            elif game == "wgan_gp":
                d_loss = fake_scores.mean() - real_scores.mean() \
                    + PENALTY_WEIGHT * _gradient_penalty(discriminator, real, fake)
            else:
                d_loss = bce(real_scores, ones) + bce(fake_scores, zeros)
                if game == "dragan":
                    d_loss = d_loss + PENALTY_WEIGHT * _dragan_penalty(discriminator, real)
            d_loss.backward()
            d_optimizer.step()
            if (b + 1) % critic_updates:
                continue
            g_optimizer.zero_grad(set_to_none=True)
            scores = discriminator(generator(_noise(batch_size, prior, latent_dim)))
            if game == "lsgan":
                g_loss = 0.5 * ((scores - 1) ** 2).mean()
            elif game == "wgan_gp":
                g_loss = -scores.mean()
            else:
                g_loss = bce(scores, ones)
            g_loss.backward()
            g_optimizer.step()
            if log_every and (b // critic_updates) % log_every == 0:
                print(f"epoch {epoch + 1} batch {b + 1}/{batches}: d_loss {d_loss.item():.4f} g_loss {g_loss.item():.4f}",
                      flush=True)
    return generator.eval()


def generate(generator, n, seed=0, prior="normal", batch_size=500):
    """n samples of a trained reference generator as float32 NHWC numpy in [-1, 1]."""
    torch.manual_seed(seed + 1)
    with torch.no_grad():
        parts = [generator(_noise(min(batch_size, n - i), prior, generator.latent_dim))
                 for i in range(0, n, batch_size)]
    return np.ascontiguousarray(torch.cat(parts).permute(0, 2, 3, 1).numpy(), dtype=np.float32)


def cores():
    """The cores this process may run on (its CPU affinity, e.g. under taskset), else the machine's count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def benchmark(variant, batch_size=64, steps=200, warmup=10, images=None, threads=None, joint_batches=None):
    """Train `variant` for `warmup` then `steps` real batches; steady-state rates over the timed batches."""
    torch.set_num_threads(threads or cores())
    joint = JOINT_BATCHES.get(variant) if joint_batches is None else bool(joint_batches)
    step, state = make_trainer(variant, batch_size, images, joint_batches=joint)
    start = time.perf_counter()
    for _ in range(warmup):
        step()
    warmup_s = time.perf_counter() - start
    g_before = state["g_updates"]
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    return {"variant": variant, "backend": "torch", "threads": torch.get_num_threads(), "joint_batches": joint,
            "images_per_s": steps * batch_size / seconds, "d_updates_per_s": steps / seconds,
            "g_updates_per_s": (state["g_updates"] - g_before) / seconds, "warmup_s": warmup_s,
            "seconds": seconds, "batch_size": batch_size, "steps": steps, "torch": torch.__version__}


def main(argv=None):
    parser = argparse.ArgumentParser(description="PyTorch baseline of keras-gans bench")
    parser.add_argument("variants", nargs="*", help=f"any of {sorted(SCHEDULES)} (default: all)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200, help="timed real batches")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--train", type=int, metavar="EPOCHS", help="train the reference game for EPOCHS epochs "
                        "and write samples (one variant: any of %s)" % sorted(GAMES))
    parser.add_argument("--samples", help="with --train: the .npy file for the samples")
    parser.add_argument("--n", type=int, default=10000, help="with --train: samples to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prior", choices=("normal", "uniform"), default="normal",
                        help="with --train: the latent prior (keras_gans' default is normal)")
    parser.add_argument("--data-dir", default=FASHION_MNIST, help="directory with the Fashion-MNIST IDX files")
    args = parser.parse_args(argv)
    known = GAMES if args.train else SCHEDULES
    unknown = sorted(set(args.variants) - set(known))
    if unknown:  # before the data are read: the cheapest check first
        parser.error(f"unknown {'game' if args.train else 'schedule'}(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(sorted(known))}")
    if args.train and (len(args.variants) != 1 or not args.samples):
        parser.error("--train takes one variant and --samples FILE.npy")
    torch.set_num_threads(args.threads or cores())
    images = load_images(args.data_dir)
    if args.train:
        start = time.perf_counter()
        generator = train(args.variants[0], args.train, images, args.batch_size, args.seed, args.prior, log_every=200)
        samples = generate(generator, args.n, args.seed, args.prior)
        os.makedirs(os.path.dirname(os.path.abspath(args.samples)), exist_ok=True)
        with atomic.atomic_write(args.samples) as f:  # whole or not at all: a rerun skips a finished file
            np.save(f, samples)
        print(json.dumps({"variant": args.variants[0], "epochs": args.train, "seed": args.seed, "prior": args.prior,
                          "samples": args.samples, "n": args.n, "seconds": time.perf_counter() - start}))
        return
    for variant in args.variants or sorted(SCHEDULES):
        print(json.dumps(benchmark(variant, args.batch_size, args.steps, args.warmup, images, args.threads)))


# ------------------------------------------------------------------------------------------------ toy
# Reference runs on the 2-D mixtures of `keras_gans.toy`: a plain PyTorch MLP GAN and WGAN-GP (the loop of
# Gulrajani et al.'s toy script), whose samples `keras_gans.evaluation.modes.mode_metrics` scores beside
# ours (examples/toy_table.py --torch):
#
#     samples = torch_baseline.toy_train("wgan_gp", "ring", steps=10000)   # (n, 2) float32 numpy
#
#     G: z ~ N(0, I_16) -> (Linear 256 - ReLU) x 3 -> Linear 2 (linear output)
#     D: x -> (Linear 256 - ReLU) x 3 -> Linear 1
#     gan      one D update (minimax BCE) per G update (non-saturating), Adam(1e-4, betas=(0.5, 0.9))
#     wgan_gp  5 critic updates (Wasserstein loss + 10 * gradient penalty at eps x + (1 - eps) G(z)) per G
#              update, Adam(1e-4, betas=(0.5, 0.9))
#
# The data in their own units (ring radius 2, sigma 0.02; grid {-4..4}^2, sigma 0.05), a fresh real batch of
# `batch_size` per critic update, PyTorch's default initialisation, no learning-rate decay, no averaging.
TOY_GAMES = {"gan": 1, "wgan_gp": 5}  # critic updates per generator update


def _toy_mlp(inputs, outputs, hidden=(256, 256, 256)):
    layers, width = [], inputs
    for units in hidden:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    return nn.Sequential(*layers, nn.Linear(width, outputs))


def _toy_centres(dataset):
    if dataset == "ring":
        angles = 2 * np.pi * np.arange(8) / 8
        return np.stack([2 * np.cos(angles), 2 * np.sin(angles)], 1).astype(np.float32), 0.02
    if dataset == "grid":
        return np.array([(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)], np.float32), 0.05
    raise ValueError(f"Unknown toy mixture {dataset!r}: use 'ring' or 'grid'.")


def toy_train(game, dataset="ring", steps=10000, batch_size=256, n=2500, seed=0, latent_dim=16, threads=1):
    """Train the reference `game` ("gan" or "wgan_gp") on the "ring" or "grid" mixture for `steps` generator
    updates; returns `n` samples (n, 2) float32 numpy, drawn with seed + 1. One thread by default: the
    matrices are 256 wide, too small to share out, and a second thread only waits on a busy machine."""
    if game not in TOY_GAMES:
        raise ValueError(f"The torch toy reference has the games {sorted(TOY_GAMES)}, not {game!r}.")
    torch.set_num_threads(threads or cores())
    torch.manual_seed(seed)
    centres, sigma = _toy_centres(dataset)
    centres = torch.from_numpy(centres)
    generator, critic = _toy_mlp(latent_dim, 2), _toy_mlp(2, 1)
    g_optimizer = torch.optim.Adam(generator.parameters(), 1e-4, betas=(0.5, 0.9))
    d_optimizer = torch.optim.Adam(critic.parameters(), 1e-4, betas=(0.5, 0.9))

    def real_batch():
        return centres[torch.randint(len(centres), (batch_size,))] + sigma * torch.randn(batch_size, 2)

    for _ in range(steps):
        for _ in range(TOY_GAMES[game]):
            real = real_batch()
            with torch.no_grad():
                fake = generator(torch.randn(batch_size, latent_dim))
            d_optimizer.zero_grad(set_to_none=True)
            real_scores, fake_scores = critic(real), critic(fake)
            if game == "wgan_gp":
                epsilon = torch.rand(batch_size, 1)
                x_hat = (epsilon * real + (1 - epsilon) * fake).requires_grad_(True)
                gradients, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
                penalty = ((torch.sqrt(gradients.square().sum(1) + 1e-12) - 1) ** 2).mean()
                d_loss = fake_scores.mean() - real_scores.mean() + PENALTY_WEIGHT * penalty
            else:
                d_loss = F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()
            d_loss.backward()
            d_optimizer.step()
        g_optimizer.zero_grad(set_to_none=True)
        scores = critic(generator(torch.randn(batch_size, latent_dim)))
        g_loss = -scores.mean() if game == "wgan_gp" else F.softplus(-scores).mean()
        g_loss.backward()
        g_optimizer.step()
    torch.manual_seed(seed + 1)
    with torch.no_grad():
        return generator(torch.randn(n, latent_dim)).numpy().astype(np.float32)


if __name__ == "__main__":
    main()
