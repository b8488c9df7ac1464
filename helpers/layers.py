"""Reusable Keras 3 layers shared by notebooks (tied autoencoder weights, ...)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["ActivityPenalty", "DenseTranspose"]


@keras.saving.register_keras_serializable(package="helpers")
class DenseTranspose(keras.layers.Layer):
    """A Dense layer that reuses another ``Dense`` layer's kernel, transposed (tied weights).

    ``DenseTranspose(dense)`` computes ``activation(inputs @ dense.kernel.T + bias)``: it maps
    ``dense.units`` features back to the ``dense`` layer's input size. Its only weight of its
    own is the ``bias`` (one value per output); the kernel *is* ``dense.kernel`` (the same
    variable), so training either layer changes both. A tied autoencoder built from it has
    about half the parameters of an untied one.

    The ``dense`` layer is tracked as a sub-layer, so a model holding only the tied layer still
    trains and saves the shared kernel (Keras then warns that the Dense layer's own bias, unused
    here, gets no gradient); ``model.weights`` and ``count_params()`` count shared weights once.
    Setting ``trainable`` on this layer also sets it on the Dense layer.

    Saving: a model that holds the Dense layer and the DenseTranspose directly (one Functional
    model, or one flat Sequential) saves to ``.keras`` and reloads with the kernel still shared:
    Keras serializes a model in a sharing scope that recognises the Dense layer named in this
    layer's config as the model's own. Keras 3 (3.13 and 3.15 checked) loses that link when the
    Dense layer sits in a *nested* sub-model (an encoder Sequential inside the autoencoder, as in
    the Keras 2 code of Hands-On ML): ``load_model`` then fails with "Layer 'dense' expected 2
    variables, but received 0". For nested models, rebuild the model with your code and use
    ``save_weights``/``load_weights`` (a ``.weights.h5`` file). ``from_config(get_config())``
    outside ``model.save`` has no sharing scope either and gives the new layer a copy of the
    Dense layer.

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


@keras.saving.register_keras_serializable(package="helpers")
class ActivityPenalty(keras.layers.Layer):
    """Pass its inputs through unchanged and add ``regularizer(inputs) / batch_size`` to the loss.

    With ``divide_by_batch_size=False`` it adds ``regularizer(inputs)`` itself: use that for a
    penalty that is already a batch statistic (e.g. a KL sparsity term computed on the units'
    mean activation over the batch), so that its weight is the real weight whatever the batch size.

    The same penalty as ``keras.layers.ActivityRegularization`` or a layer's
    ``activity_regularizer=`` argument as the Keras documentation describes it (the value is
    divided by the batch size, as in tf.keras 2), but on *every* Keras 3 version: Keras 3.0 to
    3.13 add the undivided value (keras-team/keras#22018, fixed in 3.14), so the same weight
    would be about ``batch_size`` times stronger in Colab's Keras 3.13. ``regularizer`` is any
    Keras regularizer (``keras.regularizers.L1(1e-4)``, a custom ``Regularizer``, a callable
    registered as serializable). The loss is added inside ``call()``, which Keras 3 supports.

    >>> penalty = ActivityPenalty(keras.regularizers.L1(0.5))
    >>> _ = penalty(keras.ops.ones((4, 3)))
    >>> float(penalty.losses[0])  # 0.5 * (4 * 3) / 4
    1.5
    >>> batch_level = ActivityPenalty(keras.regularizers.L1(0.5), divide_by_batch_size=False)
    >>> _ = batch_level(keras.ops.ones((4, 3)))
    >>> float(batch_level.losses[0])  # 0.5 * (4 * 3)
    6.0
    """

    def __init__(self, regularizer: Any, divide_by_batch_size: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(divide_by_batch_size, bool):
            raise TypeError("ActivityPenalty's divide_by_batch_size must be True (a per-example penalty "
                            "summed over the batch) or False (a batch-level penalty such as a KL on "
                            f"mean activations); got {divide_by_batch_size!r}.")
        self.divide_by_batch_size = divide_by_batch_size
        if regularizer is None or isinstance(regularizer, (int, float, bool)):
            raise TypeError(
                "ActivityPenalty needs a regularizer, e.g. ActivityPenalty(keras.regularizers.L1(1e-4)) "
                f"or an instance of a keras.regularizers.Regularizer subclass; got {regularizer!r}."
            )
        self.regularizer = keras.regularizers.get(regularizer)
        if not callable(self.regularizer):
            raise TypeError(f"ActivityPenalty's regularizer must be callable; got {regularizer!r}.")
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        penalty = ops.cast(self.regularizer(inputs), "float32")
        if self.divide_by_batch_size:
            penalty = ops.divide_no_nan(penalty, ops.cast(ops.shape(inputs)[0], "float32"))
        self.add_loss(penalty)
        return inputs

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "divide_by_batch_size": self.divide_by_batch_size,
                "regularizer": keras.regularizers.serialize(self.regularizer)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ActivityPenalty:
        config = dict(config)
        regularizer = keras.regularizers.deserialize(config.pop("regularizer"))
        return cls(regularizer, **config)
