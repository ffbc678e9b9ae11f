"""keras_gans: generative adversarial networks as Keras 3 models -- compile(), fit(), save, export."""
from . import callbacks, data, images, losses, networks, penalties
from .base import GANModel
from .variants import (ACGAN, BEGAN, CGAN, DCGAN, DRAGAN, EBGAN, GAN, LSGAN, SGAN, VARIANTS, WGAN, WGANGP, CatGAN,
                       InfoGAN)

__version__ = "0.1.0"
__all__ = ["GANModel", "GAN", "CGAN", "DCGAN", "LSGAN", "WGAN", "WGANGP", "DRAGAN", "EBGAN", "BEGAN", "ACGAN",
           "InfoGAN", "CatGAN", "SGAN", "VARIANTS",
           "callbacks", "data", "images", "losses", "networks", "penalties"]
