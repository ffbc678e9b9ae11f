"""The games. `VARIANTS` maps the names the CLI accepts to classes; add a new game here."""
from .acgan import ACGAN
from .began import BEGAN
from .catgan import CatGAN
from .cgan import CGAN
from .dcgan import DCGAN
from .dragan import DRAGAN
from .ebgan import EBGAN
from .gan import GAN
from .infogan import InfoGAN
from .lsgan import LSGAN
from .sgan import SGAN
from .wgan import WGAN
from .wgan_gp import WGANGP

VARIANTS = {"gan": GAN, "cgan": CGAN, "dcgan": DCGAN, "lsgan": LSGAN, "wgan": WGAN, "wgan_gp": WGANGP,
            "dragan": DRAGAN, "ebgan": EBGAN, "began": BEGAN, "acgan": ACGAN, "infogan": InfoGAN, "catgan": CatGAN,
            "sgan": SGAN}
