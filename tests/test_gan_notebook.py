"""Notebook 07 writes the lecture's GAN ``train_step`` in a cell; ``helpers.gan.GAN`` runs the same step.

The cells tagged ``gan-model``, ``gan-discriminator-step`` and ``gan-train-step`` are read from the notebook and executed here; a
few steps of the notebook's class and of ``helpers.gan.GAN``, from the same initial weights and the
same seed, must give the same weights (both draw their noise in the same order). A change to either
side that changes what a step does makes this test fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers, ops

from helpers import gan

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_gans.ipynb"
TAGS = ("gan-model", "gan-discriminator-step", "gan-train-step")  # in the notebook's order
LATENT = 4


def tagged_source(nb: dict, tag: str) -> str:
    cells = [c for c in nb["cells"] if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"07_gans.ipynb: expected one cell tagged {tag!r}, found {len(cells)}"
    assert cells[0]["cell_type"] == "code", f"07_gans.ipynb: the cell tagged {tag!r} is not code"
    return "".join(cells[0]["source"])


@pytest.fixture(scope="module")
def notebook_gan() -> type:
    """The notebook's ``GAN`` class, made by running its two tagged cells with the notebook's imports."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    namespace = {"keras": keras, "tf": tf, "ops": ops, "np": np, "layers": layers}
    for tag in TAGS:
        exec(compile(tagged_source(nb, tag), f"07_gans.ipynb[{tag}]", "exec"), namespace)
    assert "GAN" in namespace, "the cell tagged 'gan-train-step' must define the class GAN"
    return namespace["GAN"]


def _networks(seed: int) -> tuple[keras.Model, keras.Model]:
    keras.utils.set_random_seed(seed)
    generator = keras.Sequential([keras.Input((LATENT,)), layers.Dense(16, activation="relu"),
                                  layers.Dense(28 * 28, activation="tanh"), layers.Reshape((28, 28, 1))])
    discriminator = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(16),
                                      layers.LeakyReLU(negative_slope=0.2),
                                      layers.Dense(1, activation="sigmoid")])
    return generator, discriminator


def _copy(model: keras.Model) -> keras.Model:
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    return twin


def _networks_with_batch_norm(seed: int) -> tuple[keras.Model, keras.Model]:
    """A generator with batch normalization: its moving averages tell whether phase 1 ran it in training mode."""
    keras.utils.set_random_seed(seed)
    generator = keras.Sequential([keras.Input((LATENT,)), layers.Dense(16), layers.BatchNormalization(momentum=0.5),
                                  layers.ReLU(), layers.Dense(28 * 28, activation="tanh"), layers.Reshape((28, 28, 1))])
    return generator, _networks(seed)[1]


def _pair(notebook_gan: type, label_noise: float, networks=_networks, **helper_options) -> tuple[keras.Model, keras.Model]:
    generator, discriminator = networks(0)
    ours = notebook_gan(generator, discriminator, LATENT, label_noise=label_noise, seed=7)
    theirs = gan.GAN(_copy(generator), _copy(discriminator), LATENT, label_noise=label_noise, seed=7,
                     **helper_options)
    for model in (ours, theirs):
        model.compile(d_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5),
                      g_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5))
    return ours, theirs


def _weights(model: keras.Model) -> list[np.ndarray]:
    return model.generator.get_weights() + model.discriminator.get_weights()


def _batches(n: int = 3, m: int = 8) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, size=(n, m, 28, 28, 1)).astype("float32")


@pytest.mark.parametrize("label_noise", [0.0, 0.05])
def test_the_notebooks_train_step_and_the_helpers_give_the_same_weights(notebook_gan, label_noise):
    ours, theirs = _pair(notebook_gan, label_noise)
    assert ours.k == 1, "the notebook's GAN is Algorithm 1 with k = 1"
    start = _weights(ours)
    for batch in _batches():
        logs_ours = ours.train_step(ops.convert_to_tensor(batch))
        logs_theirs = theirs.train_step(ops.convert_to_tensor(batch))
    assert any(not np.allclose(a, b) for a, b in zip(start, _weights(ours))), "the steps moved no weight"
    for a, b in zip(_weights(ours), _weights(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert set(logs_ours) == set(logs_theirs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    for name in logs_ours:
        np.testing.assert_allclose(float(logs_ours[name]), float(logs_theirs[name]), rtol=1e-5, atol=1e-6)


def test_they_agree_with_batch_norm_in_the_generator(notebook_gan):
    """Both phases run the generator in training mode, so its batch-norm averages move the same way."""
    ours, theirs = _pair(notebook_gan, 0.05, networks=_networks_with_batch_norm)
    moving = list(ours.generator.non_trainable_weights)
    start = [np.array(w) for w in moving]
    for batch in _batches():
        ours.train_step(ops.convert_to_tensor(batch))
        theirs.train_step(ops.convert_to_tensor(batch))
    assert any(not np.allclose(a, np.array(b)) for a, b in zip(start, moving)), "no moving average moved"
    for a, b in zip(_weights(ours), _weights(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_they_also_agree_under_fit(notebook_gan):
    ours, theirs = _pair(notebook_gan, 0.05)
    images = _batches(3, 8).reshape(-1, 28, 28, 1)
    for model in (ours, theirs):
        model.fit(gan.gan_dataset(images, batch_size=8, seed=0), epochs=2, verbose=0, shuffle=False)
    for a, b in zip(_weights(ours), _weights(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_the_comparison_would_notice_another_step(notebook_gan):
    """The check is sharp: the helper's minimax variant, from the same start, ends elsewhere."""
    ours, theirs = _pair(notebook_gan, 0.0, generator_loss="minimax")
    for batch in _batches():
        ours.train_step(ops.convert_to_tensor(batch))
        theirs.train_step(ops.convert_to_tensor(batch))
    assert not all(np.allclose(a, b, rtol=1e-5, atol=1e-6)
                   for a, b in zip(ours.generator.get_weights(), theirs.generator.get_weights()))
