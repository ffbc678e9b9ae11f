"""DRAGAN: Kodali et al., "On Convergence and Stability of GANs", 2017 (https://arxiv.org/abs/1705.07215)."""
from keras import ops

from .. import penalties
from . import register
from .gan import GAN


@register("dragan")
class DRAGAN(GAN):
    """The GAN game with a gradient penalty on points around the real data only (eq. 8 of the paper):

        L_D = L_D^GAN + lambda E[(||grad D(x + delta)||_2 - k)^2]
        x + delta = x + alpha * 0.5 std(x) u,   u ~ U[0, 1] per pixel, alpha ~ U[0, 1] per sample

    (the perturbation of the authors' code). lambda = `penalty_weight` (10), k = 1; `one_sided=True`
    penalises only E[max(0, ||grad D||^2 - k)].
    """

    metric_names = GAN.metric_names + ("gradient_penalty",)
    penalises_gradients = True
    # D on the real batch and its fakes in separate calls, as GAN and the PyTorch reference do. At G 1e-3
    # (below), one epoch of Fashion-MNIST, seeds 0-2: classifier-FID 15.24, 15.12, 14.35 against 19.31, 18.29,
    # 18.22 with one joint call, the default before (docs/parity.md).
    joint_batches_default = False
    # G five times faster than D (Adam(beta_1=0.5), D 2e-4, G 1e-3, infoGAN's rates): after one epoch with the
    # joint call, classifier-FID 19.31, 18.29, 18.22 at seeds 0-2 against 24.08 and 22.99 (seeds 0, 1) with G
    # at D's 2e-4 (docs/parity.md).
    learning_rates = (2e-4, 1e-3)
    # Adam's epsilon 1e-8, PyTorch's, not Keras' 1e-7 (which Keras adds to the square root of the uncorrected
    # second moment, so early steps see it about 30 times larger). With separate D calls, seed 0 collapsed at
    # 1e-7 (classifier-FID 107.11, nine classes under 5% of the samples) and learned at 1e-8 (15.24); seeds 1
    # and 2 learned at both (14.67, 14.49 at 1e-7; 15.12, 14.35 at 1e-8; docs/parity.md).
    optimizer_options = {"beta_1": 0.5, "epsilon": 1e-8}

    def __init__(self, generator=None, discriminator=None, *, penalty_weight=10.0, k=1.0, one_sided=False,
                 **kwargs):
        self.penalty_weight, self.k, self.one_sided = float(penalty_weight), float(k), bool(one_sided)
        super().__init__(generator, discriminator, **kwargs)

    def perturb(self, real):
        """Points around the real batch at which the penalty is taken."""
        alpha = self.sample_uniform((ops.shape(real)[0],) + (1,) * len(self.image_shape))
        return penalties.dragan_perturb(real, self.sample_uniform(ops.shape(real)), alpha)

    def discriminator_loss(self, real, labels=None):
        logs = super().discriminator_loss(real, labels)
        penalty = penalties.dragan_penalty(lambda x: self.discriminate(x, labels), self.perturb(real),
                                           self.k, self.one_sided)
        logs["d_loss"] = logs["d_loss"] + self.penalty_weight * penalty
        logs["gradient_penalty"] = penalty
        return logs

    def get_config(self):
        return {**super().get_config(), "penalty_weight": self.penalty_weight, "k": self.k,
                "one_sided": self.one_sided}
