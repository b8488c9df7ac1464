"""Text pipelines for classifiers: length statistics, length-bucketed batches, safe prediction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpers.runtime import check_int

__all__ = [
    "SentimentPrediction",
    "length_batches",
    "padding_fraction",
    "plot_lengths",
    "predict_sentiment",
    "sequence_lengths",
    "standardize",
    "word_counts",
]

# TextVectorization's default standardization: lowercase A-Z, strip this punctuation.
_PUNCTUATION = re.compile(r"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def standardize(text: str) -> str:
    """Lowercase and strip punctuation like ``TextVectorization``'s default standardization.

    Use it on reference translations so that BLEU compares them with model outputs on equal
    terms (the model never produces capitals or punctuation), and to find the words a
    vectorizer will look up.

    >>> standardize("¿Te gustaría que intercambiemos los trabajos?")
    '¿te gustaría que intercambiemos los trabajos'
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a string, got {type(text).__name__}.")
    lowered = text.translate(_ASCII_LOWER)  # tf.strings.lower changes only A-Z by default
    return " ".join(_PUNCTUATION.sub("", lowered).split())


def word_counts(texts: Iterable[str]) -> np.ndarray:
    """Number of whitespace-separated words in each text.

    >>> word_counts(["a b c", "hello"]).tolist()
    [3, 1]
    """
    return np.array([len(str(t).split()) for t in texts], dtype=np.int64)


def sequence_lengths(sequences: Any) -> np.ndarray:
    """Lengths of 0-padded id sequences (a 2-D array) or of a list of 1-D id arrays.

    In a padded row the length is the position after its last non-zero id.

    >>> sequence_lengths(np.array([[5, 3, 0, 0], [1, 0, 0, 0]])).tolist()
    [2, 1]
    """
    if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
        nonzero = sequences != 0
        last = sequences.shape[1] - np.argmax(nonzero[:, ::-1], axis=1)
        return np.where(nonzero.any(axis=1), last, 0).astype(np.int64)
    return np.array([len(s) for s in sequences], dtype=np.int64)


def _rows(sequences: Any) -> list[np.ndarray]:
    lengths = sequence_lengths(sequences)
    return [np.asarray(s[: max(int(n), 1)], dtype=np.int32) for s, n in zip(sequences, lengths)]


def length_batches(
    sequences: Any,
    labels: Any,
    batch_size: int = 32,
    *,
    bucket: bool = True,
    shuffle: bool = True,
    seed: int = 42,
    window: int = 50,
) -> Any:
    """A ``tf.data.Dataset`` of ``(ids, labels)`` batches, each padded only to its longest row.

    With ``bucket=True`` the examples are shuffled, then sorted by length inside windows of
    ``window`` batches, cut into batches and the batches shuffled: each batch holds reviews of
    similar length, so it carries little padding. ``bucket=False`` pads random batches (the
    baseline). Every example is used exactly once per epoch; the order changes every epoch.
    ``sequences`` is a 2-D array padded with 0 (e.g. from ``TextVectorization``) or a list of
    1-D id arrays; ``labels`` has one entry per sequence.

    >>> ds = length_batches([[1, 2, 3], [4], [5, 6], [7]], [1, 0, 1, 0], batch_size=2, shuffle=False)
    >>> [tuple(x.shape) for x, y in ds]
    [(2, 1), (2, 3)]
    """
    import tensorflow as tf

    rows = _rows(sequences)
    labels = np.asarray(labels)
    if len(rows) != len(labels):
        raise ValueError(f"got {len(rows)} sequences but {len(labels)} labels; give one label each.")
    if not rows:
        raise ValueError("length_batches needs at least one sequence.")
    check_int("batch_size", batch_size, 1)
    lengths = np.array([len(r) for r in rows])
    epoch = [0]

    def order() -> list[np.ndarray]:
        rng = np.random.default_rng(seed + epoch[0])
        epoch[0] += 1
        index = rng.permutation(len(rows)) if shuffle else np.arange(len(rows))
        if bucket:
            span = batch_size * window
            index = np.concatenate([chunk[np.argsort(lengths[chunk], kind="stable")]
                                    for chunk in np.split(index, range(span, len(index), span))])
        batches = [index[i:i + batch_size] for i in range(0, len(index), batch_size)]
        if bucket and shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def generate() -> Any:
        for batch in order():
            width = int(lengths[batch].max())
            x = np.zeros((len(batch), width), dtype=np.int32)
            for row, i in enumerate(batch):
                x[row, : lengths[i]] = rows[i]
            yield x, labels[batch]

    signature = (tf.TensorSpec((None, None), tf.int32),
                 tf.TensorSpec((None,) + labels.shape[1:], tf.as_dtype(labels.dtype)))
    return tf.data.Dataset.from_generator(generate, output_signature=signature).prefetch(2)


def padding_fraction(dataset: Any) -> float:
    """Share of the id positions in a dataset's batches that are padding (id 0).

    >>> ds = length_batches([[1, 2, 3], [4]], [1, 0], batch_size=2, shuffle=False)
    >>> padding_fraction(ds)
    0.3333333333333333
    """
    pad = total = 0
    for x, _ in dataset:
        x = np.asarray(x)
        pad += int((x == 0).sum())
        total += x.size
    if total == 0:
        raise ValueError("padding_fraction got an empty dataset.")
    return pad / total


def plot_lengths(lengths: Sequence[int], *, cutoff: int | None = None, unit: str = "words",
                 title: str | None = None) -> Any:
    """Histogram of text lengths, with the median and an optional truncation ``cutoff`` marked.

    >>> fig = plot_lengths([10, 20, 30], cutoff=25)
    >>> fig.axes[0].get_xlabel()
    'length (words)'
    """
    import matplotlib.pyplot as plt

    lengths = np.asarray(lengths)
    if lengths.size == 0:
        raise ValueError("plot_lengths needs at least one length.")
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.hist(lengths, bins=60, color="C0", alpha=0.8)
    median = float(np.median(lengths))
    ax.axvline(median, color="C1", ls="--", label=f"median {median:.0f}")
    if cutoff is not None:
        share = float((lengths > cutoff).mean())
        ax.axvline(cutoff, color="C3", label=f"cut at {cutoff} ({share:.0%} longer)")
    ax.set_xlabel(f"length ({unit})")
    ax.set_ylabel("texts")
    ax.set_title(title or f"{lengths.size:,} texts")
    ax.legend()
    fig.tight_layout()
    return fig


@dataclass
class SentimentPrediction:
    """One review's prediction: probability of *positive*, label, and what to know about it."""

    review: str
    probability: float
    label: str
    truncated: bool = False
    all_unknown: bool = False
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        shown = self.review if len(self.review) <= 60 else self.review[:57] + "..."
        note = f"  [{'; '.join(self.notes)}]" if self.notes else ""
        return f"{self.probability:5.3f} {self.label:8s} {shown!r}{note}"


def predict_sentiment(
    model: Any,
    reviews: str | Sequence[str],
    *,
    vocabulary: Iterable[str] | None = None,
    max_words: int = 2000,
    threshold: float = 0.5,
) -> list[SentimentPrediction]:
    """Predict the sentiment of raw review strings with a model that takes strings.

    Checks the input first: a non-string raises ``TypeError``; an empty or blank review
    raises ``ValueError`` (there is nothing to classify); a review longer than ``max_words``
    words is cut to its first ``max_words`` words (``truncated=True`` and a note). With the
    model's ``vocabulary`` (e.g. ``TextVectorization.get_vocabulary()``), a review none of
    whose words the model knows is still predicted but flagged ``all_unknown=True``: the
    model sees only ``[UNK]`` tokens, so its answer says nothing about that review.

    >>> import keras, tensorflow as tf
    >>> const = keras.Sequential([keras.Input(shape=(), dtype="string"),
    ...                           keras.layers.Lambda(lambda s: tf.ones_like(s, tf.float32)[:, None] * 0.9)])
    >>> print(predict_sentiment(const, "The food was really good")[0])
    0.900 positive 'The food was really good'
    """
    import tensorflow as tf

    single = isinstance(reviews, str)
    batch = [reviews] if single else reviews
    if not isinstance(batch, (list, tuple, np.ndarray)):
        raise TypeError(f"reviews must be a string or a list of strings; got {type(reviews).__name__}.")
    if len(batch) == 0:
        raise ValueError("predict_sentiment got no reviews: pass a string or a non-empty list of strings.")
    check_int("max_words", max_words, 1)
    known = set(vocabulary) if vocabulary is not None else None
    results = []
    for i, review in enumerate(batch):
        if not isinstance(review, str):
            raise TypeError(f"review {i} is a {type(review).__name__}, not a string: pass the text "
                            "itself (decode bytes with .decode('utf-8')).")
        if not review.strip():
            raise ValueError(f"review {i} is empty or only whitespace: there is nothing to classify; "
                             "type at least a few words (or drop it from the list).")
        words = review.split()
        result = SentimentPrediction(review=review, probability=float("nan"), label="")
        if len(words) > max_words:
            review = " ".join(words[:max_words])
            result.truncated = True
            result.notes.append(f"truncated from {len(words):,} to {max_words:,} words")
        if known is not None:
            tokens = standardize(review).split()
            if not any(t in known for t in tokens):
                result.all_unknown = True
                result.notes.append("no word is in the model's vocabulary: the prediction is a guess")
        result.review = review
        results.append(result)
    probabilities = np.asarray(model.predict(tf.constant([r.review for r in results]), verbose=0))
    for result, p in zip(results, probabilities.reshape(len(results), -1)[:, 0]):
        result.probability = float(p)
        result.label = "positive" if p >= threshold else "negative"
    return results
