"""Judging a trained GAN: sample quality against real data (classifier features) and the papers' own
experiments. Nothing here trains a GAN; everything takes a trained model or arrays of samples.

- `quality`: classifier-FID, KID, classifier score, coverage; `evaluate_model` (`keras-gans evaluate`)
- `classifier`: the Fashion-MNIST feature classifier those use, trained once and cached
- `likelihood`: the GAN paper's Parzen window log-likelihood
- `modes`: mode coverage on the toy mixtures
- `probe`: `linear_probe`, the DCGAN paper's discriminator-as-feature-extractor test
"""
from .probe import linear_probe

__all__ = ["linear_probe"]
