"""Sampling and decoding: turning a model's next-token scores into text.

Holds the sampler (temperature, top-k, nucleus/top-p), and two character generators for
Embedding → RNN → Dense models: the lecture's re-prediction of the whole growing text (O(n²))
and a step-by-step generator that carries the recurrent state (O(n)).

Scores coming in from a model are checked: NaN and ``+inf`` (a model that diverged in training)
raise ``ValueError`` with advice instead of quietly giving a token. ``-inf`` is accepted in
logits handed to ``filter_logits``/``sample_logits``: it is ``log 0``, an impossible token (a
model returning log-probabilities, a caller masking tokens), as long as one token per row stays
possible. The generators are stricter, because what they read cannot legitimately hold
``-inf``: ``CharStepper`` reads the logits of a Dense layer and ``extend_text_by_reprediction``
the probabilities of a softmax, so any non-finite value there means a broken model.
The ``-inf`` that top-k / top-p filtering writes itself are of course not errors.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helpers.runtime import check_int

Encoder = Callable[[str], Sequence[int]]
Decoder = Callable[[Sequence[int]], str]


def check_sampling_args(
    temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> None:
    """Raise ``ValueError`` with advice unless temperature > 0, top_k ≥ 1 and 0 < top_p ≤ 1.

    >>> check_sampling_args(temperature=0.5, top_k=10, top_p=0.9)
    """
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.number)):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}.")
    if not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(
            f"temperature must be a finite number > 0, got {temperature!r}: use a small value "
            "such as 0.01 for nearly greedy text, 1 to sample from the model, >1 for wilder text."
        )
    if top_k is not None:
        check_int("top_k", top_k, 1, " (or None to keep every token)")
    if top_p is not None and (
        isinstance(top_p, bool)
        or not isinstance(top_p, (int, float, np.number))
        or not 0 < top_p <= 1
    ):
        raise ValueError(
            f"top_p must be in (0, 1] (or None to keep every token), got {top_p!r}: "
            "0.9 keeps the smallest set of tokens whose probabilities add up to 90%."
        )


DIVERGED_ADVICE = (
    "the model has probably diverged in training (look for a NaN or exploding loss) or its weights "
    "are broken: retrain with a lower learning rate or gradient clipping (e.g. clipnorm=1.0), "
    "or load an earlier checkpoint."
)


def describe_rows(mask: np.ndarray) -> str:
    """The first few row indices where ``mask`` is true, for an error message: ``[0, 3] …``."""
    rows = np.flatnonzero(mask).tolist()
    return f"{rows[:5]}{' …' if len(rows) > 5 else ''}"


def _check_logits(logits: np.ndarray) -> None:
    """Raise on NaN / +inf, or on a row where every token is -inf (no possible token)."""
    rows = logits.reshape(-1, logits.shape[-1])
    bad = np.isnan(rows) | (rows == np.inf)
    if bad.any():
        what = "NaN" if np.isnan(rows).any() else "+inf"
        raise ValueError(
            f"logits contain {what} (rows {describe_rows(bad.any(axis=1))}), so no token can be sampled: "
            f"{DIVERGED_ADVICE} (-inf is accepted: it marks an impossible token.)"
        )
    impossible = (rows == -np.inf).all(axis=1)
    if impossible.any():
        raise ValueError(
            f"every logit is -inf in rows {describe_rows(impossible)}, so no token is possible: keep at "
            f"least one finite logit per row; from a model, {DIVERGED_ADVICE}"
        )


def _check_model_output(values: Any, what: str, position: int, total: int) -> np.ndarray:
    """Raise unless every value a generator read from the model is finite."""
    values = np.asarray(values)
    if not np.isfinite(values).all():
        kinds = [name for name, hit in (("NaN", np.isnan(values).any()),
                                        ("+inf", (values == np.inf).any()),
                                        ("-inf", (values == -np.inf).any())) if hit]
        raise ValueError(
            f"the model's {what} for new character {position + 1} of {total} contain "
            f"{' and '.join(kinds)}: {DIVERGED_ADVICE}"
        )
    return values


def _as_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def filter_logits(
    logits: Any, *, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> np.ndarray:
    """Return logits divided by the temperature, with tokens outside top-k / top-p set to -inf.

    Works on one row ``(vocab,)`` or a batch ``(batch, vocab)``; the most likely token is always
    kept. ``-inf`` in ``logits`` marks an impossible token and stays ``-inf``; NaN, ``+inf`` or a
    row with no finite logit raise ``ValueError`` (a diverged model), as does a temperature so
    small that the scaled logits overflow.

    >>> filter_logits([0.0, 1.0, 2.0], top_k=2)
    array([-inf,   1.,   2.])
    """
    check_sampling_args(temperature, top_k, top_p)
    scaled = np.array(logits, dtype=np.float64, copy=True)
    if scaled.ndim not in (1, 2) or scaled.shape[-1] == 0:
        raise ValueError(f"logits must have shape (vocab,) or (batch, vocab); got {scaled.shape}.")
    _check_logits(scaled)
    with np.errstate(over="ignore"):
        scaled /= temperature
    if not np.isfinite(scaled.max(axis=-1)).all():
        raise ValueError(
            f"temperature {temperature!r} is too small for logits this large (the scaled logits "
            "overflow): use a larger temperature, or top_k=1 for the most likely token."
        )
    if top_k is not None and top_k < scaled.shape[-1]:
        kth = np.sort(scaled, axis=-1)[..., -top_k, None]
        scaled = np.where(scaled < kth, -np.inf, scaled)
    if top_p is not None and top_p < 1:
        order = np.argsort(-scaled, axis=-1)
        sorted_logits = np.take_along_axis(scaled, order, axis=-1)
        probs = _softmax(sorted_logits)
        # keep a token if the tokens ranked before it add up to less than top_p (the relative
        # margin absorbs rounding: probabilities [0.5, 0.3, ...] with top_p=0.5 keep one token)
        before = np.cumsum(probs, axis=-1) - probs
        keep_sorted = before < top_p * (1 - 1e-9)
        keep = np.zeros_like(keep_sorted)
        np.put_along_axis(keep, order, keep_sorted, axis=-1)
        scaled = np.where(keep, scaled, -np.inf)
    return scaled


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def sample_logits(
    logits: Any,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Sample token ids from logits with temperature, top-k and nucleus (top-p) filtering.

    ``logits`` has shape ``(vocab,)`` (returns a 0-d array) or ``(batch, vocab)`` (returns
    ``(batch,)``). Log-probabilities work as logits too, ``-inf`` for impossible tokens
    included; NaN or ``+inf`` logits raise ``ValueError`` (see ``filter_logits``). ``seed`` is
    an int or a NumPy Generator (pass the same Generator on every step of a generation to get a
    reproducible text).

    >>> int(sample_logits([0.0, 10.0, 0.0], temperature=0.01, seed=0))
    1
    """
    filtered = filter_logits(logits, temperature=temperature, top_k=top_k, top_p=top_p)
    probs = _softmax(filtered)
    rng = _as_rng(seed)
    batch = probs.reshape(-1, probs.shape[-1])
    u = rng.random((batch.shape[0], 1))
    ids = (np.cumsum(batch, axis=-1) < u).sum(axis=-1)
    ids = np.minimum(ids, batch.shape[-1] - 1)
    # never return a token that was filtered out (guards against rounding at the end of the CDF)
    ids = np.where(batch[np.arange(len(ids)), ids] > 0, ids, batch.argmax(axis=-1))
    return ids.reshape(probs.shape[:-1])


def _encode_prompt(encode: Encoder, prompt: str, vocab_size: int) -> list[int]:
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a string, got {type(prompt).__name__}.")
    if not prompt:
        raise ValueError('prompt is empty: give the model at least one character, e.g. "To be".')
    ids = [int(i) for i in encode(prompt)]
    bad = sorted({ch for ch, i in zip(prompt, ids) if not 0 <= i < vocab_size})
    if len(ids) != len(prompt) or bad:
        raise ValueError(
            f"prompt holds characters the model never saw in training: {bad!r}. "
            "Remove or replace them."
        )
    return ids


def extend_text_by_reprediction(
    model: Any,
    prompt: str,
    n_chars: int,
    *,
    encode: Encoder,
    decode: Decoder,
    vocab_size: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | np.random.Generator | None = None,
    compiled: bool = False,
) -> str:
    """The lecture's generator: predict on the whole text so far, once per new character.

    Each step re-reads the growing text from the start, so n characters cost O(n²) work. Kept
    as the reference that ``CharStepper.generate`` must match. Raises ``ValueError`` if the
    model predicts a NaN or infinite probability (a softmax never does unless it diverged).
    With ``compiled=True`` each step calls one compiled function (``compiled_call(model)``)
    instead of ``model.predict()``: the same text and the same O(n²) work, without
    ``predict()``'s fixed cost per call (it builds a dataset and a progress callback each time).
    """
    check_sampling_args(temperature, top_k, top_p)
    ids = _encode_prompt(encode, prompt, vocab_size)
    rng = _as_rng(seed)
    start = len(ids)
    n_chars = _check_n(n_chars)
    call = compiled_call(model) if compiled else None
    for i in range(n_chars):
        output = (call(np.array([ids], dtype=np.int32)).numpy() if call is not None
                  else model.predict(np.array([ids]), verbose=0))
        proba = _check_model_output(output[0, -1], "probabilities", i, n_chars)
        logits = np.log(np.maximum(proba, 1e-30))
        ids.append(int(sample_logits(logits, temperature=temperature, top_k=top_k,
                                     top_p=top_p, seed=rng)))
    return prompt + decode(ids[start:])


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled_call(model: Any) -> Any:
    """One compiled function ``ids (1, length) -> model(ids)`` for any length, traced once per model.

    ``predict()`` pays a fixed cost on every call; this function does not, so timing generation
    through it isolates the work itself. It is kept while the model lives.

    >>> import keras
    >>> toy = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(5, 2)])
    >>> compiled_call(toy)(np.array([[1, 2, 3]], dtype=np.int32)).shape
    TensorShape([1, 3, 2])
    """
    import tensorflow as tf

    if model not in _COMPILED:
        ref = weakref.ref(model)  # the function must not keep the model alive
        _COMPILED[model] = tf.function(lambda ids: ref()(ids, training=False),
                                       input_signature=[tf.TensorSpec([1, None], tf.int32)])
    return _COMPILED[model]


def _check_n(n_chars: int) -> int:
    return check_int("n_chars", n_chars, 0)


class CharStepper:
    """Runs an Embedding → recurrent layer(s) → Dense model one token at a time.

    The recurrent states are carried from step to step, so generating n characters costs O(n)
    instead of re-reading the whole text each time. The model's own layers (and weights) are
    used; Dropout layers are skipped, as in inference.

    >>> stepper = CharStepper(model)  # doctest: +SKIP
    >>> stepper.generate("To be", 100, encode=encode, decode=decode, seed=42)  # doctest: +SKIP
    """

    def __init__(self, model: Any) -> None:
        import keras
        import tensorflow as tf

        self._plan: list[tuple[str, Any]] = []
        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            if isinstance(layer, keras.layers.Embedding):
                self._plan.append(("embed", layer))
            elif isinstance(layer, keras.layers.RNN):  # GRU, LSTM, SimpleRNN
                self._plan.append(("rnn", layer))
            elif isinstance(layer, keras.layers.Dropout):
                continue
            elif isinstance(layer, keras.layers.Dense):
                self._plan.append(("dense", layer))
            else:
                raise ValueError(
                    f"CharStepper handles Embedding, GRU/LSTM/SimpleRNN, Dropout and Dense "
                    f"layers in sequence; {layer.name!r} is a {type(layer).__name__}."
                )
        if not self._plan or self._plan[-1][0] != "dense":
            raise ValueError("CharStepper needs a model that ends with a Dense layer.")
        self.vocab_size = int(self._plan[-1][1].units)
        self._step_fn = tf.function(self._step, reduce_retracing=True)

    def initial_state(self, batch_size: int = 1) -> list[list[Any]]:
        """Zero states for every recurrent layer (one list of tensors per layer)."""
        import keras

        states = []
        for kind, layer in self._plan:
            if kind == "rnn":
                sizes = layer.cell.state_size
                sizes = sizes if isinstance(sizes, (list, tuple)) else [sizes]
                states.append([keras.ops.zeros((batch_size, int(s))) for s in sizes])
        return states

    def _step(self, ids: Any, states: list[list[Any]]) -> tuple[Any, list[list[Any]]]:
        import keras

        x = ids
        new_states: list[list[Any]] = []
        for kind, layer in self._plan:
            if kind == "embed":
                x = layer(x)
            elif kind == "rnn":
                x, state = layer.cell(x, states[len(new_states)], training=False)
                new_states.append(list(state) if isinstance(state, (list, tuple)) else [state])
            elif layer is self._plan[-1][1] and layer.activation is keras.activations.softmax:
                x = keras.ops.matmul(x, layer.kernel) + layer.bias  # logits, not probabilities
            else:
                x = layer(x)
        return x, new_states

    def step(self, ids: Any, states: list[list[Any]]) -> tuple[np.ndarray, list[list[Any]]]:
        """Feed one token per sequence (shape ``(batch,)``); return logits and the new states."""
        import tensorflow as tf

        logits, states = self._step_fn(tf.constant(np.asarray(ids, dtype=np.int32)), states)
        return logits.numpy(), states

    def generate(
        self,
        prompt: str,
        n_chars: int,
        *,
        encode: Encoder,
        decode: Decoder,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | np.random.Generator | None = None,
    ) -> str:
        """Extend ``prompt`` by ``n_chars`` sampled characters, carrying the RNN state (O(n)).

        Raises ``ValueError`` if the model's logits hold NaN or an infinity (-inf too: a Dense
        layer only gives one when its weights are broken).
        """
        check_sampling_args(temperature, top_k, top_p)
        ids = _encode_prompt(encode, prompt, self.vocab_size)
        n_chars = _check_n(n_chars)
        rng = _as_rng(seed)
        states = self.initial_state(1)
        for token in ids[:-1]:
            _, states = self.step([token], states)
        new: list[int] = []
        token = ids[-1]
        for i in range(n_chars):
            logits, states = self.step([token], states)
            logits = _check_model_output(logits, "logits", i, n_chars)
            token = int(sample_logits(logits[0], temperature=temperature, top_k=top_k,
                                      top_p=top_p, seed=rng))
            new.append(token)
        return prompt + decode(new)
