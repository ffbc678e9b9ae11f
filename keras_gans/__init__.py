"""keras_gans: generative adversarial networks as Keras 3 models -- compile(), fit(), save, export."""
from . import callbacks, data, images, losses, networks
from .base import GANModel
from .variants import CGAN, DCGAN, GAN, LSGAN, VARIANTS

__version__ = "0.1.0"
__all__ = ["GANModel", "GAN", "CGAN", "DCGAN", "LSGAN", "VARIANTS", "callbacks", "data", "images", "losses", "networks"]
