"""Every helper layer under XLA (``jit_compile=True``), on CPU.

On a GPU, Keras 3 turns XLA on by itself (``jit_compile="auto"``) unless a layer of the model says
``supports_jit = False``. A layer that cannot be compiled (string inputs, ``tf.py_function``) and does
not say so breaks every notebook using it on a Colab GPU, at the first ``fit()``. CPU-only CI never
sees this, so these tests compile each helper layer's model with XLA here:

- a layer that compiles must keep ``supports_jit = True`` and train one step with ``jit_compile=True``;
- a layer that does not compile must declare ``supports_jit = False``, so Keras falls back (with a
  warning) and ``fit()`` still works.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import helpers

SENTENCES = ["The food was really good", "What a boring, predictable film.", "Ce film était magnifique !",
             "The chicken crossed the road"]


class _TinyStringEncoder(tf.Module):
    """Strings -> 3-d vectors (a stand-in for a TF Hub SavedModel, like tests/test_encoders.py)."""

    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.random.stateless_normal((1, 3), seed=(1, 2)), name="dense/w")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, texts):
        return tf.tanh(tf.cast(tf.strings.length(texts), tf.float32)[:, None] / 30.0 @ self.w)


@pytest.fixture(scope="module")
def saved_model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_string_encoder")
    tf.saved_model.save(_TinyStringEncoder(), str(path))
    return str(path)


def _head(x, units=1):
    return keras.layers.Dense(units)(keras.layers.Flatten()(x) if len(x.shape) > 2 else x)


def _dense_transpose(_):
    from helpers.layers import DenseTranspose

    inputs = keras.Input((4,))
    dense = keras.layers.Dense(3, activation="relu")
    return keras.Model(inputs, DenseTranspose(dense)(dense(inputs))), np.eye(4, dtype="float32"), None


def _activity_penalty(_):
    from helpers.layers import ActivityPenalty

    inputs = keras.Input((4,))
    hidden = ActivityPenalty(keras.regularizers.L1(1e-3))(keras.layers.Dense(3, activation="sigmoid")(inputs))
    return keras.Model(inputs, _head(hidden)), np.eye(4, dtype="float32"), None


def _sampling(_):
    from helpers.vae import Sampling

    inputs = keras.Input((4,))
    mean, log_var = keras.layers.Dense(2)(inputs), keras.layers.Dense(2)(inputs)
    return keras.Model(inputs, _head(Sampling(seed=1)([mean, log_var]), 4)), np.eye(4, dtype="float32"), None


def _minibatch_stddev(_):
    from helpers.gan import MinibatchStdDev

    inputs = keras.Input((4, 4, 1))
    x = np.random.default_rng(0).normal(size=(8, 4, 4, 1)).astype("float32")
    return keras.Model(inputs, _head(MinibatchStdDev()(inputs))), x, None


def _hub_encoder(saved_model_dir):
    from helpers.encoders import HubEncoder

    inputs = keras.Input((), dtype="string")
    return keras.Model(inputs, _head(HubEncoder(saved_model_dir, trainable=True)(inputs))), \
        tf.constant(SENTENCES), None


def _use_multilingual(_):
    from helpers.encoders import USEMultilingualV3

    inputs = keras.Input((), dtype="string")
    return keras.Model(inputs, _head(USEMultilingualV3(max_tokens=16)(inputs))), tf.constant(SENTENCES), None


CASES = {
    "helpers.layers.DenseTranspose": _dense_transpose,
    "helpers.layers.ActivityPenalty": _activity_penalty,
    "helpers.vae.Sampling": _sampling,
    "helpers.gan.MinibatchStdDev": _minibatch_stddev,
    "helpers.encoders.HubEncoder": _hub_encoder,
    "helpers.encoders.USEMultilingualV3": _use_multilingual,
}


def helper_layers() -> list[str]:
    """Every ``keras.layers.Layer`` (not ``Model``) subclass defined in a ``helpers`` module."""
    found = []
    for info in pkgutil.iter_modules(helpers.__path__):
        module = importlib.import_module(f"helpers.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (cls.__module__ == module.__name__ and issubclass(cls, keras.layers.Layer)
                    and not issubclass(cls, keras.Model)):
                found.append(f"{module.__name__}.{name}")
    return sorted(found)


def test_every_helper_layer_has_a_case():
    missing = sorted(set(helper_layers()) - set(CASES))
    assert not missing, f"add a small model for {missing} to CASES in tests/test_jit.py"
    assert "helpers.encoders.HubEncoder" in helper_layers()


def _the_layer(model, qualname):
    return next(layer for layer in model.layers if f"{type(layer).__module__}.{type(layer).__name__}" == qualname)


def _compiles_with_xla(model, x) -> tuple[bool, str]:
    """Force XLA on the forward and backward pass, whatever the layers declare."""
    @tf.function(jit_compile=True)
    def step(batch):
        with tf.GradientTape() as tape:
            out = model(batch, training=True)
            loss = tf.reduce_mean(tf.square(out)) + tf.add_n([tf.constant(0.0)] + model.losses)
        return loss, tape.gradient(loss, model.trainable_variables)

    try:
        loss, _ = step(tf.constant(x))
        return bool(np.isfinite(float(loss))), ""
    except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError, tf.errors.InternalError,
            tf.errors.NotFoundError, TypeError, ValueError) as error:
        return False, f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"


@pytest.mark.parametrize("qualname", sorted(CASES))
def test_supports_jit_says_whether_the_layer_compiles_with_xla(qualname, saved_model_dir):
    keras.utils.set_random_seed(0)
    model, x, _ = CASES[qualname](saved_model_dir)
    layer = _the_layer(model, qualname)
    compiles, why = _compiles_with_xla(model, x)
    if compiles:
        assert layer.supports_jit, f"{qualname} compiles with XLA: keep supports_jit = True"
    else:
        assert layer.supports_jit is False, (
            f"{qualname} cannot be XLA-compiled ({why}) but does not set `self.supports_jit = False` in "
            "__init__: on a GPU, Keras would compile it at the first fit() and fail")


@pytest.mark.parametrize("qualname", sorted(CASES))
def test_fit_one_step_with_jit_compile_true(qualname, saved_model_dir):
    keras.utils.set_random_seed(0)
    model, x, _ = CASES[qualname](saved_model_dir)
    layer = _the_layer(model, qualname)
    y = np.zeros((x.shape[0],) + tuple(model.output_shape[1:]), dtype="float32")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", jit_compile=True)
    fell_back = any("doesn't support `jit_compile=True`" in str(w.message) for w in caught)
    assert model.jit_compile is layer.supports_jit  # XLA exactly when the layer allows it
    assert fell_back is (not layer.supports_jit)
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(x, y, batch_size=x.shape[0], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights))
    assert np.all(np.isfinite(model.predict(x, verbose=0)))
