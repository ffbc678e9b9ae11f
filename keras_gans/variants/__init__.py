"""The games, one module each. `VARIANTS` maps the names the CLI accepts to the classes.

A game registers itself with `@register("name")` (which also makes Keras able to save and load it); adding
one is a new module here and its name on the import line at the bottom.
"""
import keras

VARIANTS = {}


def register(name):
    """Class decorator of a game: `keras-gans train NAME`, `keras_gans.VARIANTS[NAME]` and
    `keras_gans.<ClassName>` find it, and `keras.saving.load_model` restores it."""
    def decorate(cls):
        VARIANTS[name] = keras.saving.register_keras_serializable(package="keras_gans")(cls)
        return cls
    return decorate


from . import gan, cgan, dcgan, lsgan, wgan, wgan_gp, dragan, ebgan, began, acgan, infogan, catgan, sgan  # noqa: E402,F401,I001
