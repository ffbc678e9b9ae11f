"""keras_gans: generative adversarial networks as Keras 3 models -- compile(), fit(), save, export."""
from . import callbacks, data, images, losses, networks, penalties
from .base import GANModel
from .variants import VARIANTS

# Every registered game under its class name: keras_gans.GAN, keras_gans.WGANGP, ...
globals().update({cls.__name__: cls for cls in VARIANTS.values()})

__version__ = "0.1.0"
__all__ = ["GANModel", *(cls.__name__ for cls in VARIANTS.values()), "VARIANTS",
           "callbacks", "data", "images", "losses", "networks", "penalties"]
