"""Tests for helpers.text: lengths, length-bucketed batches and the prediction wrapper's checks."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import text

RNG = np.random.default_rng(0)
LENGTHS = RNG.integers(1, 200, size=500)
SEQUENCES = [RNG.integers(2, 100, size=n).astype(np.int32) for n in LENGTHS]
LABELS = RNG.integers(0, 2, size=500)


def test_sequence_lengths_of_padded_arrays_and_lists():
    padded = np.array([[5, 1, 0, 0], [0, 0, 0, 0], [3, 0, 4, 0]])
    assert text.sequence_lengths(padded).tolist() == [2, 0, 3]
    assert text.sequence_lengths([[1], [1, 2, 3]]).tolist() == [1, 3]
    assert text.word_counts(["one two", " three "]).tolist() == [2, 1]


def _batches(**kwargs):
    return [(x.numpy(), y.numpy()) for x, y in text.length_batches(SEQUENCES, LABELS, batch_size=32, **kwargs)]


def test_bucketing_keeps_every_example_once():
    batches = _batches()
    seen = sorted((tuple(row[row != 0]), int(label)) for x, y in batches for row, label in zip(x, y))
    expected = sorted((tuple(s), int(label)) for s, label in zip(SEQUENCES, LABELS))
    assert seen == expected


def test_bucketing_groups_lengths_and_cuts_padding():
    spread = [np.ptp(text.sequence_lengths(x)) for x, _ in _batches()]
    random_spread = [np.ptp(text.sequence_lengths(x)) for x, _ in _batches(bucket=False)]
    assert np.mean(spread) < 0.25 * np.mean(random_spread)
    bucketed = text.padding_fraction(text.length_batches(SEQUENCES, LABELS, batch_size=32))
    unbucketed = text.padding_fraction(text.length_batches(SEQUENCES, LABELS, batch_size=32, bucket=False))
    assert bucketed < 0.5 * unbucketed


def test_bucketing_reshuffles_every_epoch_and_checks_arguments():
    ds = text.length_batches(SEQUENCES, LABELS, batch_size=32)
    first = [tuple(x.shape) for x, _ in ds]
    second = [tuple(x.shape) for x, _ in ds]
    assert first != second and len(first) == len(second) == 16
    with pytest.raises(ValueError, match="labels"):
        text.length_batches(SEQUENCES, LABELS[:3])
    with pytest.raises(ValueError, match="batch_size"):
        text.length_batches(SEQUENCES, LABELS, batch_size=0)


def test_length_batches_accepts_padded_arrays():
    padded = np.array([[1, 2, 3, 0], [4, 0, 0, 0]])
    (x, y), = text.length_batches(padded, [1, 0], batch_size=2, shuffle=False)
    assert x.shape == (2, 3)


@pytest.fixture(scope="module")
def string_model():
    vectorizer = keras.layers.TextVectorization(max_tokens=20)
    vectorizer.adapt(tf.constant(["good great fun", "bad awful boring"]))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), vectorizer,
                              keras.layers.Embedding(20, 4), keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(1, activation="sigmoid")])
    return model, vectorizer.get_vocabulary()


def test_predict_sentiment_returns_probabilities_and_labels(string_model):
    model, vocabulary = string_model
    results = text.predict_sentiment(model, ["good fun", "Bad, awful!"], vocabulary=vocabulary)
    assert [0 <= r.probability <= 1 for r in results] == [True, True]
    assert {r.label for r in results} <= {"positive", "negative"}
    assert not any(r.all_unknown or r.truncated for r in results)
    assert "good fun" in str(results[0])
    assert len(text.predict_sentiment(model, "good")) == 1  # a single string is fine too


@pytest.mark.parametrize("bad, error, match", [
    (42, TypeError, "string"),
    ([b"bytes review"], TypeError, "decode"),
    (["fine", None], TypeError, "review 1"),
    ("", ValueError, "empty"),
    (["   \n\t"], ValueError, "nothing to classify"),
    ([], ValueError, "no reviews"),
])
def test_predict_sentiment_rejects_bad_input_clearly(string_model, bad, error, match):
    model, vocabulary = string_model
    with pytest.raises(error, match=match):
        text.predict_sentiment(model, bad, vocabulary=vocabulary)


def test_predict_sentiment_flags_unknown_words_and_truncates_long_reviews(string_model):
    model, vocabulary = string_model
    unknown, long = text.predict_sentiment(model, ["xyzzy plugh frobnicate", "good " * 5000],
                                           vocabulary=vocabulary, max_words=100)
    assert unknown.all_unknown and "vocabulary" in unknown.notes[0] and 0 <= unknown.probability <= 1
    assert long.truncated and len(long.review.split()) == 100 and "5,000" in long.notes[0]


def test_plot_lengths_marks_the_cutoff():
    fig = text.plot_lengths(LENGTHS, cutoff=150)
    ax = fig.axes[0]
    assert "cut at 150" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert sum(p.get_height() for p in ax.patches) == len(LENGTHS)  # every length is drawn
    median, cut = ax.get_lines()
    assert list(median.get_xdata()) == [np.median(LENGTHS)] * 2 and list(cut.get_xdata()) == [150, 150]


def test_standardize_lowercases_ascii_and_strips_punctuation():
    assert text.standardize("  Me gusta, el FÚTBOL!  ") == "me gusta el fÚtbol"
    with pytest.raises(TypeError, match="string"):
        text.standardize(None)


def test_standardize_matches_text_vectorization():
    text_in = "¿Qué tal? Él dijo: \"It's 3.5% [more]\"."
    layer = keras.layers.TextVectorization(split=None)  # the whole standardized text is one token
    layer.adapt(tf.constant([text_in]))
    assert " ".join(str(layer.get_vocabulary()[2]).split()) == text.standardize(text_in)
