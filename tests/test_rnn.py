"""Tests for helpers.rnn: stateful-layer resets, the stateless twin and the reset callback."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers.rnn import ResetStatesCallback, _stateful_layers, reset_rnn_states, stateless_twin

V = 5
BATCH = 4


def _sequential_stateful():
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input(batch_shape=(BATCH, None)),
        keras.layers.Embedding(V, 4),
        keras.layers.GRU(8, return_sequences=True, stateful=True),
        keras.layers.Dense(V, activation="softmax"),
    ])


def _functional_stateful():
    keras.utils.set_random_seed(1)
    inputs = keras.Input(batch_shape=(BATCH, None))
    x = keras.layers.Embedding(V, 4)(inputs)
    x = keras.layers.GRU(8, return_sequences=True, stateful=True, name="gru_a")(x)
    x = keras.layers.GRU(6, return_sequences=True, stateful=True, name="gru_b")(x)
    outputs = keras.layers.Dense(V, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def _bidirectional_stateful():
    keras.utils.set_random_seed(2)
    return keras.Sequential([
        keras.Input(batch_shape=(BATCH, None)),
        keras.layers.Embedding(V, 4),
        keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True, stateful=True)),
        keras.layers.Dense(V, activation="softmax"),
    ])


BUILDERS = {"sequential": _sequential_stateful, "functional": _functional_stateful}


@pytest.fixture(scope="module")
def built():
    return {name: build() for name, build in BUILDERS.items()}


def _tokens(batch, length=6, seed=0):
    return np.random.default_rng(seed).integers(0, V, size=(batch, length))


def _recurrent_states(model):
    return [np.asarray(v) for layer in _stateful_layers(model)
            for v in (getattr(layer, "states", None) or [])]


def _max_abs_state(model):
    return max(float(np.abs(s).max()) for s in _recurrent_states(model))


# --------------------------------------------------------------------------- reset_rnn_states


@pytest.mark.parametrize("name, expected", [("sequential", 1), ("functional", 2)])
def test_reset_rnn_states_counts_stateful_layers(built, name, expected):
    model = built[name]
    assert reset_rnn_states(model) == expected
    assert [layer.stateful for layer in _stateful_layers(model)] == [True] * expected


def test_reset_rnn_states_on_stateless_model_is_zero():
    model = keras.Sequential([keras.Input(shape=(None,)), keras.layers.Embedding(V, 4),
                              keras.layers.GRU(4), keras.layers.Dense(V)])
    assert _stateful_layers(model) == []
    assert reset_rnn_states(model) == 0


@pytest.mark.parametrize("name", list(BUILDERS))
def test_reset_rnn_states_really_zeroes_states(built, name):
    model = built[name]
    x = _tokens(BATCH)
    reset_rnn_states(model)
    first = model.predict(x, batch_size=BATCH, verbose=0)
    assert _max_abs_state(model) > 0  # the batch left a state behind
    carried = model.predict(x, batch_size=BATCH, verbose=0)
    assert not np.allclose(first, carried, atol=1e-4)  # ... that changes the next predictions
    reset_rnn_states(model)
    assert _max_abs_state(model) == 0
    again = model.predict(x, batch_size=BATCH, verbose=0)
    np.testing.assert_allclose(again, first, atol=1e-6)


# --------------------------------------------------------------------------- stateless_twin


@pytest.mark.parametrize("name", list(BUILDERS))
def test_stateless_twin_matches_stateful_model(built, name):
    model = built[name]
    twin = stateless_twin(model)
    assert twin is not model
    assert isinstance(twin, keras.Sequential) == isinstance(model, keras.Sequential)
    rnn_layers = [layer for layer in twin.layers if isinstance(layer, keras.layers.RNN)]
    assert len(rnn_layers) == len(_stateful_layers(model))
    assert all(layer.stateful is False for layer in rnn_layers)
    assert _stateful_layers(twin) == []
    for a, b in zip(twin.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)

    x = _tokens(BATCH, length=7, seed=3)
    reset_rnn_states(model)
    expected = model.predict(x, batch_size=BATCH, verbose=0)
    for row in range(BATCH):  # one prompt at a time: a batch size the stateful model refuses
        got = twin.predict(x[row:row + 1], verbose=0)
        assert got.shape == (1, 7, V)
        np.testing.assert_allclose(got[0], expected[row], atol=1e-6)
    np.testing.assert_allclose(twin.predict(x, verbose=0), expected, atol=1e-6)

    seven = twin.predict(_tokens(7, length=3, seed=4), verbose=0)
    assert seven.shape == (7, 3, V)
    np.testing.assert_allclose(seven.sum(axis=-1), 1.0, atol=1e-5)
    # the twin keeps no state: predicting twice gives the same result
    np.testing.assert_allclose(twin.predict(x[:1], verbose=0), twin.predict(x[:1], verbose=0),
                               atol=1e-7)


def test_stateless_twin_does_not_change_the_original(built):
    model = built["sequential"]
    before = model.get_config()
    twin = stateless_twin(model)
    assert model.get_config() == before
    assert model.layers[1].stateful is True
    twin.layers[-1].kernel.assign(np.zeros(twin.layers[-1].kernel.shape))
    assert np.abs(model.layers[-1].get_weights()[0]).sum() > 0  # weights copied, not shared


def test_bidirectional_stateful_model_resets_and_twins():
    model = _bidirectional_stateful()
    x = _tokens(BATCH, seed=5)
    model.predict(x, batch_size=BATCH, verbose=0)
    wrapper = model.layers[1]
    inner = wrapper.forward_layer.states + wrapper.backward_layer.states
    assert max(float(np.abs(np.asarray(s)).max()) for s in inner) > 0
    assert reset_rnn_states(model) >= 2
    assert all(float(np.abs(np.asarray(s)).max()) == 0 for s in inner)
    expected = model.predict(x, batch_size=BATCH, verbose=0)
    twin = stateless_twin(model)
    assert _stateful_layers(twin) == []
    np.testing.assert_allclose(twin.predict(x[:1], verbose=0)[0], expected[0], atol=1e-6)


# --------------------------------------------------------------------------- ResetStatesCallback


class _StateProbe(keras.callbacks.Callback):
    """Records the largest recurrent state value at the start of each epoch."""

    def __init__(self):
        super().__init__()
        self.at_epoch_begin = []

    def on_epoch_begin(self, epoch, logs=None):
        self.at_epoch_begin.append(_max_abs_state(self.model))


def _fit_with(callbacks):
    model = _sequential_stateful()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = _tokens(2 * BATCH, length=5, seed=6)
    y = np.roll(x, -1, axis=1)
    model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0, callbacks=callbacks)
    return model


def test_reset_states_callback_resets_at_each_epoch_during_fit():
    probe = _StateProbe()
    _fit_with([ResetStatesCallback(), probe])
    assert probe.at_epoch_begin == [0.0, 0.0]

    control = _StateProbe()  # without the callback, epoch 2 starts with epoch 1's state
    _fit_with([control])
    assert control.at_epoch_begin[0] == 0.0 and control.at_epoch_begin[1] > 0


@pytest.mark.parametrize("hook", ["on_epoch_begin", "on_test_begin"])
def test_reset_states_callback_hooks_zero_the_states(built, hook):
    model = built["functional"]
    model.predict(_tokens(BATCH, seed=7), batch_size=BATCH, verbose=0)
    assert _max_abs_state(model) > 0
    callback = ResetStatesCallback()
    callback.set_model(model)
    if hook == "on_epoch_begin":
        callback.on_epoch_begin(0)
    else:
        callback.on_test_begin()
    assert _max_abs_state(model) == 0
    assert len(_recurrent_states(model)) == 2
