"""The games. `VARIANTS` maps the names the CLI accepts to classes; add a new game here."""
from .cgan import CGAN
from .dcgan import DCGAN
from .gan import GAN
from .lsgan import LSGAN

VARIANTS = {"gan": GAN, "cgan": CGAN, "dcgan": DCGAN, "lsgan": LSGAN}
