"""keras_gans: generative adversarial networks as Keras 3 models -- compile(), fit(), save, export."""
import os
import sys


def _import_tensorflow_quietly():
    """Import TensorFlow with its C++ start-up notes (oneDNN, CPU features) held back: TensorFlow writes them to
    file descriptor 2 before its log settings apply, and the command line promises one line per error on
    stderr. If the import fails, what it wrote is passed on."""
    import tempfile

    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


if os.path.basename(sys.argv[0]) == "keras-gans":  # only for the command: a program keeps TensorFlow's output
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _import_tensorflow_quietly()

from . import callbacks, data, images, losses, networks, penalties
from .base import GANModel
from .variants import VARIANTS

# Every registered game under its class name: keras_gans.GAN, keras_gans.WGANGP, ...
globals().update({cls.__name__: cls for cls in VARIANTS.values()})

__version__ = "0.1.0"
__all__ = ["GANModel", *(cls.__name__ for cls in VARIANTS.values()), "VARIANTS",
           "callbacks", "data", "images", "losses", "networks", "penalties"]
