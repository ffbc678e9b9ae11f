"""Judging a trained GAN: sample quality against real data (classifier features) and the papers' own
experiments. Nothing here trains a GAN; everything takes a trained model or arrays of samples.

- `evaluate`: `evaluate_model` (`keras-gans evaluate`), a GAN's samples judged with the metrics below
- `metrics`: classifier-FID, KID, classifier score, coverage, purity, as pure numpy functions
- `inception`: the standard Inception-v3 FID, when its ImageNet weights can be had
- `classifier`: the Fashion-MNIST feature classifier those use, shipped with the package
- `likelihood`: the GAN paper's Parzen window log-likelihood
- `modes`: mode coverage on the toy mixtures
- `probe`: `linear_probe`, the DCGAN paper's discriminator-as-feature-extractor test
"""
from .probe import linear_probe

__all__ = ["linear_probe"]
