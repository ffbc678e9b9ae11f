"""BEGAN: Berthelot, Schumm & Metz, "BEGAN: Boundary Equilibrium Generative Adversarial Networks", 2017
(https://arxiv.org/abs/1703.10717)."""
import keras
from keras import ops

from .. import losses, networks
from ..base import GANModel
from . import register


@register("began")
class BEGAN(GANModel):
    """Boundary equilibrium GAN: D is an autoencoder with L(v) = mean |v - D(v)| (eq. 4 of the paper).

        L_D = L(x) - k_t L(G(z)),    L_G = L(G(z))
        k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1),   k_0 = 0

    `gamma` is the diversity ratio E[L(G(z))] / E[L(x)] the control keeps (0.7; higher: more diverse
    samples); `lambda_k` = 0.01, ten times the paper's gain (see below); batches of 16 (the paper's;
    `default_batch_size`).
    k_t is a non-trainable model variable, so checkpoints keep it. Metrics: k_t and `convergence`,
    M_global = L(x) + |gamma L(x) - L(G(z))|.
    """

    metric_names = ("d_loss", "g_loss", "real_loss", "fake_loss", "k_t", "convergence")
    # The paper's batch of 16, and gamma 0.7 rather than 0.5: with lambda_k = 0.001, k_t grows by lambda_k
    # (gamma L(x) - L(G(z))) per update, and on Fashion-MNIST dark, easily reconstructed fakes already sit
    # near gamma = 0.5, so D hardly pushed them away within an epoch (k_t 0.03 after 937 steps of 64;
    # classifier-FID 64.3). Four times the updates per epoch and a higher gamma let k_t reach 0.13: 26.6,
    # garments of 7 classes (docs/one_epoch.md). k_t was still climbing at the end of that epoch, so the gain
    # is ten times the paper's 0.001: one epoch, seeds 0 and 1, classifier-FID 26.62 and 28.15 -> 20.91 and
    # 20.96 (k_t 0.13 -> 0.42); 0.03 gave 21.13 (seed 0), no better.
    default_batch_size = 16
    learning_rates = (1e-4, 1e-4)  # the paper's Adam rate

    def __init__(self, generator=None, discriminator=None, *, gamma=0.7, lambda_k=0.01, **kwargs):
        self.gamma, self.lambda_k = float(gamma), float(lambda_k)
        super().__init__(generator, discriminator, **kwargs)
        # "mean": under tf.distribute each replica proposes k_{t+1} from its batch; they are averaged.
        self.k_t = keras.Variable(0.0, trainable=False, name="k_t", aggregation="mean")

    def build_discriminator(self):
        # Two stride-2 convolutions each way and a code of 64 (h = 64, as tensorpack's BEGAN), not EBGAN's one
        # and 32: two epochs, classifier-FID 13.77 and 13.30 (seeds 0, 1) against 17.10 (seed 0), the samples of
        # 8 classes over 5% against 7 (docs/one_epoch.md). EBGAN keeps its own: at one epoch the deeper
        # autoencoder cost it 5 points.
        return networks.build_autoencoder(self.architecture, self.image_shape,
                                          self.num_classes if self.reads_labels("discriminator") else None,
                                          embedding_dim=64, activation="elu", normalization=None, depth=2)

    @staticmethod
    def autoencoder_loss(images, outputs):
        """L(v) = mean |v - D(v)| over the batch, from D's outputs [reconstruction, code] on v."""
        return ops.mean(losses.reconstruction_energy(images, outputs[0], "l1"))

    def discriminator_loss(self, real, labels=None):
        out = self.discriminator_outputs(real, labels)
        real_loss = self.autoencoder_loss(real, out.real_out)
        fake_loss = self.autoencoder_loss(out.fake, out.fake_out)
        k_t = ops.copy(self.k_t)  # the value this update uses, read before after_discriminator_update moves it
        return {"d_loss": losses.began_discriminator_loss(real_loss, fake_loss, k_t),
                "real_loss": real_loss, "fake_loss": fake_loss, "k_t": k_t,
                "convergence": losses.began_convergence(real_loss, fake_loss, self.gamma)}

    def generator_loss(self, real, labels=None):
        out = self.generator_outputs(real, labels)
        return {"g_loss": self.autoencoder_loss(out.fake, out.fake_out)}

    def after_discriminator_update(self, logs):
        self.k_t.assign(losses.began_k_update(self.k_t, logs["real_loss"], logs["fake_loss"], self.gamma,
                                              self.lambda_k))

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "lambda_k": self.lambda_k}
