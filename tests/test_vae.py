"""Tests for helpers.vae: the Sampling layer (reparameterization trick) and the KL term."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from helpers.vae import Sampling, gaussian_kl


def test_sampling_shape_mean_and_variance_over_many_draws():
    n = 200_000
    mean = np.tile(np.array([[-1.0, 0.0, 2.0]], dtype="float32"), (n, 1))
    log_var = np.tile(np.log(np.array([[0.25, 1.0, 4.0]], dtype="float32")), (n, 1))
    z = ops.convert_to_numpy(Sampling(seed=3)([ops.convert_to_tensor(mean), ops.convert_to_tensor(log_var)]))
    assert z.shape == (n, 3)
    np.testing.assert_allclose(z.mean(axis=0), [-1.0, 0.0, 2.0], atol=0.02)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 1.0, 4.0], rtol=0.02)


def test_same_seed_same_draws_and_new_draws_each_call():
    mean, log_var = ops.zeros((4, 5)), ops.zeros((4, 5))
    a, b = Sampling(seed=7), Sampling(seed=7)
    first_a, first_b = ops.convert_to_numpy(a([mean, log_var])), ops.convert_to_numpy(b([mean, log_var]))
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.allclose(first_a, ops.convert_to_numpy(a([mean, log_var])))  # the generator advances
    assert not np.allclose(first_a, ops.convert_to_numpy(Sampling(seed=8)([mean, log_var])))


def test_gradients_flow_to_mean_and_log_var():
    import tensorflow as tf

    mean = tf.Variable(tf.zeros((3, 2)))
    log_var = tf.Variable(tf.zeros((3, 2)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(Sampling(seed=0)([mean, log_var]) ** 2)
    g_mean, g_log_var = tape.gradient(loss, [mean, log_var])
    assert g_mean is not None and g_log_var is not None
    assert np.abs(g_mean.numpy()).sum() > 0 and np.abs(g_log_var.numpy()).sum() > 0


def test_sampling_in_a_saved_model_round_trips(tmp_path):
    inputs = keras.Input((2,))
    z = Sampling(seed=4, name="z")([inputs, inputs])
    model = keras.Model(inputs, z)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.get_layer("z"), Sampling) and loaded.get_layer("z").seed == 4


@pytest.mark.parametrize("inputs, message", [
    ("not a pair", "pair"),
    ([ops.zeros((2, 3))], "pair"),
    ([ops.zeros((2, 3)), ops.zeros((2, 4))], "same shape"),
])
def test_sampling_rejects_bad_input(inputs, message):
    with pytest.raises(ValueError, match=message):
        Sampling(seed=0)(inputs)


def test_sampling_rejects_a_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        Sampling(seed=-1)


def test_kl_matches_its_closed_form_and_a_monte_carlo_estimate():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(3, 4)).astype("float64")
    log_var = rng.normal(scale=0.5, size=(3, 4)).astype("float64")
    kl = ops.convert_to_numpy(gaussian_kl(ops.convert_to_tensor(mu), ops.convert_to_tensor(log_var)))
    var = np.exp(log_var)
    closed = 0.5 * np.sum(var + mu**2 - 1 - log_var, axis=-1)  # KL(N(mu, var) || N(0, 1)) per example
    np.testing.assert_allclose(kl, closed, rtol=1e-12)
    # Monte-Carlo: E_q[log q(z) - log p(z)] for the first example
    z = mu[0] + np.sqrt(var[0]) * rng.normal(size=(400_000, 4))
    log_q = -0.5 * (np.log(2 * np.pi * var[0]) + (z - mu[0]) ** 2 / var[0])
    log_p = -0.5 * (np.log(2 * np.pi) + z**2)
    assert np.mean(np.sum(log_q - log_p, axis=1)) == pytest.approx(kl[0], rel=0.02)


def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
    assert float(gaussian_kl(ops.zeros((1, 6)), ops.zeros((1, 6)))[0]) == 0.0
    assert float(gaussian_kl(ops.ones((1, 6)), ops.zeros((1, 6)))[0]) == pytest.approx(3.0)
    assert float(gaussian_kl(ops.zeros((1, 1)), ops.log(ops.full((1, 1), 4.0)))[0]) == pytest.approx(
        0.5 * (4 - 1 - np.log(4)))
