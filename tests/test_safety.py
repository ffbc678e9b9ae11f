"""A .keras file that holds code is refused wherever the package loads one: GANModel.load, `keras-gans sample`
and `keras-gans evaluate` all load with Keras' safe_mode on."""
import keras
import pytest

import keras_gans
from conftest import IMAGE_SHAPE, LATENT_DIM
from keras_gans import cli, networks


@pytest.fixture(scope="module")
def lambda_checkpoint(tmp_path_factory):
    """A GAN whose generator starts with a Lambda layer: loading it would run that function's code."""
    z = keras.Input((LATENT_DIM,))
    generator = keras.Model(z, networks.mlp_generator(IMAGE_SHAPE, LATENT_DIM, hidden=(16,))(
        keras.layers.Lambda(lambda t: t * 2.0)(z)))
    model = keras_gans.GAN(generator, networks.mlp_discriminator(IMAGE_SHAPE, hidden=(16,)), image_shape=IMAGE_SHAPE,
                           latent_dim=LATENT_DIM, seed=0)
    path = str(tmp_path_factory.mktemp("unsafe") / "lambda.keras")
    model.save(path)
    return path


def test_load_refuses_a_checkpoint_that_holds_code(lambda_checkpoint):
    with pytest.raises(ValueError, match="Refused to load .*Lambda"):
        keras_gans.GANModel.load(lambda_checkpoint)


@pytest.mark.parametrize("command", [["sample", "--n", "4"], ["evaluate", "--n", "10"]])
def test_cli_refuses_a_checkpoint_that_holds_code_in_one_line(command, lambda_checkpoint, tmp_path, capsys):
    argv = command[:1] + [lambda_checkpoint] + command[1:]
    if command[0] == "sample":
        argv += ["--out", str(tmp_path / "grid.png")]
    assert cli.main(argv) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Refused to load" in lines[0]
    assert not (tmp_path / "grid.png").exists()
