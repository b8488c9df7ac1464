"""Reusable Keras 3 layers shared by notebooks (tied autoencoder weights, ...)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["DenseTranspose"]


@keras.saving.register_keras_serializable(package="helpers")
class DenseTranspose(keras.layers.Layer):
    """A Dense layer that reuses another ``Dense`` layer's kernel, transposed (tied weights).

    ``DenseTranspose(dense)`` computes ``activation(inputs @ dense.kernel.T + bias)``: it maps
    ``dense.units`` features back to the ``dense`` layer's input size. Its only weight of its
    own is the ``bias`` (one value per output); the kernel *is* ``dense.kernel`` (the same
    variable), so training either layer changes both. A tied autoencoder built from it has
    about half the parameters of an untied one.

    The ``dense`` layer is tracked as a sub-layer, so a model holding only the tied layer still
    trains and saves the shared kernel; ``model.weights`` and ``count_params()`` count it once.

    Saving: ``model.save("m.keras")`` and ``keras.models.load_model("m.keras")`` work and keep
    the kernel shared, because Keras serializes the model inside a sharing scope where the
    encoder's ``Dense`` and the one named in this layer's config are recognised as one object.
    Outside ``model.save`` (for example ``DenseTranspose.from_config(layer.get_config())`` on
    its own) there is no such scope and the rebuilt layer gets a *copy* of the Dense layer:
    rebuild the model with your code and use ``load_weights`` in that case.

    >>> dense = keras.layers.Dense(3)
    >>> inputs = keras.Input(shape=(8,))
    >>> outputs = DenseTranspose(dense, activation="sigmoid")(dense(inputs))
    >>> keras.Model(inputs, outputs).output_shape
    (None, 8)
    """

    def __init__(self, dense: keras.layers.Dense, activation: Any = None, **kwargs: Any) -> None:
        if not isinstance(dense, keras.layers.Dense):
            raise TypeError(
                "DenseTranspose ties its weights to a keras.layers.Dense layer: pass the encoder's "
                f"Dense layer itself (e.g. DenseTranspose(encoder.layers[1])), not {type(dense).__name__}."
            )
        super().__init__(**kwargs)
        self.dense = dense
        self.activation = keras.activations.get(activation)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if not self.dense.built:
            raise ValueError(
                f"DenseTranspose({self.dense.name!r}) needs the Dense layer built first, to know "
                "its kernel's shape: call the encoder (or the Dense layer) on an input before "
                "the decoder."
            )
        units, n_inputs = self.dense.units, self.dense.kernel.shape[0]
        if input_shape[-1] is not None and input_shape[-1] != units:
            raise ValueError(
                f"DenseTranspose({self.dense.name!r}) expects inputs with {units} features (the "
                f"Dense layer's units), got shape {tuple(input_shape)}."
            )
        self.bias = self.add_weight(name="bias", shape=(n_inputs,), initializer="zeros")

    def call(self, inputs: Any) -> Any:
        kernel = ops.cast(self.dense.kernel, self.compute_dtype)
        return self.activation(ops.matmul(inputs, ops.transpose(kernel)) + self.bias)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        n_inputs = self.dense.kernel.shape[0] if self.dense.built else None
        return (*input_shape[:-1], n_inputs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "dense": keras.saving.serialize_keras_object(self.dense),
            "activation": keras.activations.serialize(self.activation),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DenseTranspose:
        config = dict(config)
        dense = keras.saving.deserialize_keras_object(config.pop("dense"))
        return cls(dense, **config)
