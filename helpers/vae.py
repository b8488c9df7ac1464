"""Variational-autoencoder building blocks: the reparameterization trick and the KL term.

The VAE model itself (its ``train_step``) is the lesson and lives in notebook 06; the two pieces here
are what its unit tests must reach.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from helpers.runtime import check_int

__all__ = ["Sampling", "gaussian_kl"]


@keras.saving.register_keras_serializable(package="helpers")
class Sampling(keras.layers.Layer):
    """Draw ``z = mean + exp(log_var / 2) * epsilon`` with ``epsilon ~ N(0, I)``: the reparameterization trick.

    The randomness comes from a ``keras.random.SeedGenerator``, so training runs are reproducible and
    each call draws new noise (an unseeded random op inside a compiled ``train_step`` would repeat the
    same noise every step). Gradients flow to ``mean`` and ``log_var`` because ``epsilon`` is the only
    random input.

    >>> z = Sampling(seed=1)([ops.zeros((2, 3)), ops.zeros((2, 3))])
    >>> tuple(z.shape)
    (2, 3)
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed if seed is None else check_int("seed", seed, 0, " (or None)")
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError("Sampling takes a pair [mean, log_var] of tensors with the same shape.")
        mean, log_var = inputs
        if tuple(mean.shape) != tuple(log_var.shape):
            raise ValueError(f"mean and log_var must have the same shape, got {mean.shape} and {log_var.shape}.")
        epsilon = keras.random.normal(ops.shape(mean), seed=self.seed_generator, dtype=mean.dtype)
        return mean + ops.exp(0.5 * log_var) * epsilon

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


def gaussian_kl(mean: Any, log_var: Any) -> Any:
    """KL divergence from N(mean, exp(log_var)) to the prior N(0, I), per example (summed over latent units).

    The lecture's closed form: ``-1/2 · Σ_j (1 + log σ_j² − μ_j² − σ_j²)`` (deck 4; Kingma and Welling's
    appendix B). Returns a tensor of shape ``mean.shape[:-1]``.

    >>> float(gaussian_kl(ops.zeros((1, 4)), ops.zeros((1, 4)))[0])
    0.0
    """
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
