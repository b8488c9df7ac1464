"""Recurrent-model utilities: resetting stateful layers and making a stateless twin."""

from __future__ import annotations

import copy
from typing import Any

import keras

_SHAPE_KEYS = ("batch_shape", "batch_input_shape", "build_input_shape", "input_shape")


def _stateful_layers(model: Any) -> list[Any]:
    """Return the model's recurrent layers that keep state between batches (``stateful=True``)."""
    return [layer for layer in _walk(model) if getattr(layer, "stateful", False)]


def _walk(layer: Any) -> list[Any]:
    found = [layer]
    for child in getattr(layer, "layers", []):  # models
        found += _walk(child)
    for attr in ("layer", "forward_layer", "backward_layer"):  # wrappers such as Bidirectional
        child = getattr(layer, attr, None)
        if child is not None and child is not layer:
            found += _walk(child)
    return found


def reset_rnn_states(model: Any) -> int:
    """Reset every stateful recurrent layer of ``model`` to zeros; return how many were reset.

    Keras 3 models have no ``reset_states()`` (keras-team/keras#20327): each layer is reset.
    """
    layers = _stateful_layers(model)
    for layer in layers:
        layer.reset_state()
    return len(layers)


def _make_stateless(config: Any) -> Any:
    if isinstance(config, dict):
        out = {}
        for key, value in config.items():
            if key == "stateful":
                out[key] = False
            elif key in _SHAPE_KEYS and isinstance(value, (list, tuple)) and value:
                out[key] = [None, *value[1:]] if isinstance(value[0], (int, type(None))) else (
                    _make_stateless(value))
            else:
                out[key] = _make_stateless(value)
        return out
    if isinstance(config, list):
        return [_make_stateless(item) for item in config]
    return config


def stateless_twin(model: Any) -> Any:
    """Build a copy of a stateful RNN model that accepts any batch size, with the same weights.

    A stateful model only predicts on batches of the size it was trained with; its twin has
    ``stateful=False`` and an unconstrained batch dimension, so it can generate text for one
    prompt (or a hundred). Sequential and functional models are supported.
    """
    config = _make_stateless(copy.deepcopy(model.get_config()))
    cls = type(model) if isinstance(model, keras.Sequential) else keras.Model
    twin = cls.from_config(config)
    twin.set_weights(model.get_weights())
    return twin


class ResetStatesCallback(keras.callbacks.Callback):
    """Reset every stateful recurrent layer at the start of each epoch and of each evaluation.

    Pass it to ``fit()`` with ``shuffle=False``: each epoch then reads the text from its start
    with fresh states, and validation does not inherit the training states.
    """

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        reset_rnn_states(self.model)

    def on_test_begin(self, logs: dict | None = None) -> None:
        reset_rnn_states(self.model)
