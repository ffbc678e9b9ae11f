"""PyTorch baseline for `keras-gans bench --compare-torch`: the same networks and schedule, timed the same way.

Networks: the infoGAN paper's 28x28 nets (Chen et al., 2016, appendix C.1), layer for layer the sizes of
`keras_gans.networks.infogan_generator` / `infogan_discriminator`:

    G: z (62) -> FC 1024 (no bias)-BN-ReLU -> FC 7*7*128 (no bias)-BN-ReLU -> deconv 64 4x4 s2 (no bias)-BN-ReLU
       -> deconv 1 4x4 s2 -> tanh
    D: x -> conv 64 4x4 s2-LReLU(0.2) -> conv 128 4x4 s2-norm-LReLU -> FC 1024-norm-LReLU -> FC 1

norm is batch norm (momentum 0.1 = Keras' 0.9, eps 1e-5) for the GAN, and for WGAN-GP layer normalization
over the channels (Keras' `LayerNormalization()` default axis -1, eps 1e-3), as keras_gans' WGAN-GP critic.
Weights ~ N(0, 0.02). Batch 64, Adam(2e-4, betas=(0.5, 0.999)) for both nets, z ~ U[0, 1]^62.

Schedules (per real batch of 64 Fashion-MNIST images):
    gan      one D update (real and detached fakes in one D call), then one G update on fresh z
             (D on the fakes only, as an efficient PyTorch loop does)
    wgan_gp  one critic update (Wasserstein loss + 10 * gradient penalty at x_hat = eps x + (1 - eps) G(z),
             through autograd.grad(create_graph=True)); a G update on every 5th real batch

Run alone, it prints one JSON line per schedule:

    python -m keras_gans.torch_baseline gan wgan_gp --steps 200

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
from torch import nn

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
LATENT_DIM = 62
SCHEDULES = {"gan": 1, "wgan_gp": 5}  # real batches (critic updates) per generator update


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


class Generator(nn.Module):
    def __init__(self, latent_dim=LATENT_DIM, channels=1, size=28):
        super().__init__()
        self.size = size
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, 1024, bias=False), nn.BatchNorm1d(1024, momentum=0.1, eps=1e-5), nn.ReLU(),
            nn.Linear(1024, 128 * (size // 4) ** 2, bias=False),
            nn.BatchNorm1d(128 * (size // 4) ** 2, momentum=0.1, eps=1e-5), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64, momentum=0.1, eps=1e-5), nn.ReLU(),
            nn.ConvTranspose2d(64, channels, 4, 2, 1), nn.Tanh())
        self.apply(_init)

    def forward(self, z):
        return self.deconv(self.fc(z).view(-1, 128, self.size // 4, self.size // 4))


class Discriminator(nn.Module):
    def __init__(self, channels=1, size=28, normalization="batch"):
        super().__init__()
        flat = 128 * (size // 4) ** 2
        if normalization == "batch":
            conv_norm, fc_norm = nn.BatchNorm2d(128, momentum=0.1, eps=1e-5), nn.BatchNorm1d(1024, momentum=0.1, eps=1e-5)
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


def _gradient_penalty(critic, real, fake):
    epsilon = torch.rand(real.shape[0], 1, 1, 1)
    x_hat = (epsilon * real + (1 - epsilon) * fake).requires_grad_(True)
    scores = critic(x_hat)
    gradients, = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = torch.sqrt(gradients.flatten(1).square().sum(1) + 1e-12)
    return ((norms - 1) ** 2).mean()


def make_trainer(variant, batch_size=64, images=None, seed=0):
    """(step, state): `step()` trains on one real batch (one D/critic update, and G updates per the schedule)."""
    if variant not in SCHEDULES:
        raise ValueError(f"The torch baseline has the schedules {sorted(SCHEDULES)}, not {variant!r}.")
    torch.manual_seed(seed)
    images = load_images() if images is None else images
    generator = Generator()
    discriminator = Discriminator(normalization="batch" if variant == "gan" else "layer")
    d_optimizer = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.5, 0.999))
    g_optimizer = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(batch_size, 1), torch.zeros(batch_size, 1)
    labels = torch.cat([ones, zeros])
    state = {"batch": 0, "order": torch.randperm(len(images)), "position": 0, "g_updates": 0}
    per_epoch = len(images) // batch_size

    def next_batch():
        if state["position"] >= per_epoch:
            state["order"], state["position"] = torch.randperm(len(images)), 0
        index = state["order"][state["position"] * batch_size:(state["position"] + 1) * batch_size]
        state["position"] += 1
        return images.index_select(0, index)

    def step():
        real = next_batch()
        with torch.no_grad():
            fake = generator(torch.rand(batch_size, LATENT_DIM))
        d_optimizer.zero_grad(set_to_none=True)
        scores = discriminator(torch.cat([real, fake]))
        if variant == "gan":
            d_loss = bce(scores, labels)
        else:
            d_loss = scores[batch_size:].mean() - scores[:batch_size].mean() \
                + 10.0 * _gradient_penalty(discriminator, real, fake)
        d_loss.backward()
        d_optimizer.step()
        state["batch"] += 1
        if state["batch"] % SCHEDULES[variant] == 0:
            g_optimizer.zero_grad(set_to_none=True)
            fake_scores = discriminator(generator(torch.rand(batch_size, LATENT_DIM)))
            g_loss = bce(fake_scores, ones) if variant == "gan" else -fake_scores.mean()
            g_loss.backward()
            g_optimizer.step()
            state["g_updates"] += 1

    return step, state


def cores():
    """The cores this process may run on (its CPU affinity, e.g. under taskset), else the machine's count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def benchmark(variant, batch_size=64, steps=200, warmup=10, images=None, threads=None):
    """Train `variant` for `warmup` then `steps` real batches; steady-state rates over the timed batches."""
    torch.set_num_threads(threads or cores())
    step, state = make_trainer(variant, batch_size, images)
    start = time.perf_counter()
    for _ in range(warmup):
        step()
    warmup_s = time.perf_counter() - start
    g_before = state["g_updates"]
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    return {"variant": variant, "backend": "torch", "threads": torch.get_num_threads(),
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
    args = parser.parse_args(argv)
    images = load_images()
    for variant in args.variants or sorted(SCHEDULES):
        print(json.dumps(benchmark(variant, args.batch_size, args.steps, args.warmup, images, args.threads)))


if __name__ == "__main__":
    main()
