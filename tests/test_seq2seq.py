"""Tests for helpers.seq2seq: greedy and beam decoders, masks, positional encodings, text helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import seq2seq

START, END, VOCAB = 1, 2, 9


def markov_model(seed: int):
    """A toy encoder-decoder: next-token log-probs depend on the last token and the source."""
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(VOCAB, VOCAB)) * 2.0
    table[:, 0] = -30  # never predict padding

    def encode(sources):
        return {"bias": np.array([[len(s) % 3 * 0.5] * VOCAB for s in sources]),
                "steps": np.zeros((len(sources), 1))}

    def decode_step(last, state):
        logits = table[np.asarray(last)] + state["bias"]
        logits = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return logits, {**state, "steps": state["steps"] + 1}

    return encode, decode_step


def fixed_model(next_table: dict[int, dict[int, float]]):
    def decode_step(last, state):
        proba = np.full((len(last), VOCAB), 1e-9)
        for row, token in enumerate(last):
            for nxt, p in next_table.get(int(token), {END: 1.0}).items():
                proba[row, nxt] = p
        return np.log(proba), state

    return (lambda sources: np.zeros((len(sources), 1))), decode_step


OPTIONS = dict(start_id=START, end_id=END)


@pytest.mark.parametrize("seed", range(8))
def test_beam_width_1_equals_greedy(seed):
    encode, step = markov_model(seed)
    sources = ["a", "bb", "ccc", "dddd"]
    ids, scores = seq2seq.greedy_decode(encode, step, sources, max_length=12, **OPTIONS)
    for source, greedy_ids, greedy_score in zip(sources, ids, scores):
        (beam_ids, beam_score), = seq2seq.beam_search(encode, step, source, beam_width=1, max_length=12, **OPTIONS)
        assert beam_ids == greedy_ids
        assert beam_score == pytest.approx(greedy_score)


def test_greedy_batch_equals_one_sentence_at_a_time():
    encode, step = markov_model(3)
    sources = ["a", "bb", "ccc", "dddd", "e"]
    batch_ids, batch_scores = seq2seq.greedy_decode(encode, step, sources, max_length=10, **OPTIONS)
    for i, source in enumerate(sources):
        one_ids, one_scores = seq2seq.greedy_decode(encode, step, [source], max_length=10, **OPTIONS)
        assert one_ids[0] == batch_ids[i]
        assert one_scores[0] == pytest.approx(batch_scores[i])


@pytest.mark.parametrize("width", [2, 3, 5])
def test_beam_scores_sorted_and_consistent(width):
    encode, step = markov_model(1)
    hyps = seq2seq.beam_search(encode, step, "abc", beam_width=width, max_length=8, **OPTIONS)
    scores = [s for _, s in hyps]
    assert 1 <= len(hyps) <= width
    assert scores == sorted(scores, reverse=True)
    assert len({tuple(ids) for ids, _ in hyps}) == len(hyps)  # no duplicates
    for ids, score in hyps:  # each score is the sum of the step log-probabilities (+ the end token)
        state, total, last = encode(["abc"]), 0.0, START
        for token in ids + ([END] if len(ids) < 8 else []):
            log_probs, state = step(np.array([last]), state)
            total += log_probs[0, token]
            last = token
        assert score == pytest.approx(total)


def test_beam_search_fixes_the_greedy_mistake():
    # me(3) -> gustan(4) 0.55 / gusta(5) 0.45; gustan -> los(6) -> jugadores; gusta -> el fútbol
    encode, step = fixed_model({START: {3: 1.0}, 3: {4: 0.55, 5: 0.45}, 4: {6: 0.6, 7: 0.4},
                                5: {6: 0.95, 2: 0.05}, 6: {END: 1.0}})
    greedy, _ = seq2seq.greedy_decode(encode, step, ["x"], max_length=5, **OPTIONS)
    best = seq2seq.beam_search(encode, step, "x", beam_width=3, max_length=5, **OPTIONS)[0]
    assert greedy[0] == [3, 4, 6]
    assert best[0] == [3, 5, 6] and math.exp(best[1]) == pytest.approx(0.45 * 0.95)


def test_decoders_stop_at_the_end_token():
    encode, step = fixed_model({START: {3: 1.0}, 3: {4: 1.0}, 4: {END: 1.0}})
    ids, scores = seq2seq.greedy_decode(encode, step, ["x", "y"], max_length=10, **OPTIONS)
    assert ids == [[3, 4], [3, 4]] and np.allclose(scores, 0, atol=1e-6)
    assert seq2seq.beam_search(encode, step, "x", beam_width=3, max_length=10, **OPTIONS)[0][0] == [3, 4]


def test_decoders_stop_at_max_length():
    encode, step = fixed_model({START: {3: 1.0}, 3: {3: 1.0}})  # never ends
    ids, _ = seq2seq.greedy_decode(encode, step, ["x"], max_length=4, **OPTIONS)
    assert ids == [[3, 3, 3, 3]]
    hyps = seq2seq.beam_search(encode, step, "x", beam_width=2, max_length=4, **OPTIONS)
    assert hyps[0][0] == [3, 3, 3, 3]
    assert all(len(h) <= 4 for h, _ in hyps)


def test_beam_search_calls_the_decoder_once_per_step_for_the_whole_beam():
    encode, step = markov_model(0)
    calls = []

    def counting_step(last, state):
        calls.append(len(last))
        return step(last, state)

    seq2seq.beam_search(encode, counting_step, "abc", beam_width=4, max_length=6, **OPTIONS)
    assert len(calls) <= 6 and max(calls) <= 4


def test_works_with_a_keras_rnn_step_and_tensorflow_states():
    keras = pytest.importorskip("keras")
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    embedding, cell, dense = keras.layers.Embedding(VOCAB, 4), keras.layers.GRUCell(8), keras.layers.Dense(VOCAB)

    def encode(sources):
        return [tf.random.stateless_normal((len(sources), 8), seed=(len(sources[0]), 1))]

    def step(last, state):
        out, new = cell(embedding(tf.constant(last)), state)
        return tf.nn.log_softmax(dense(out)).numpy(), list(new) if isinstance(new, (list, tuple)) else [new]

    ids, scores = seq2seq.greedy_decode(encode, step, ["ab"], max_length=6, **OPTIONS)
    (beam_ids, beam_score), = seq2seq.beam_search(encode, step, "ab", beam_width=1, max_length=6, **OPTIONS)
    assert beam_ids == ids[0] and beam_score == pytest.approx(scores[0], abs=1e-5)
    assert len(seq2seq.beam_search(encode, step, "ab", beam_width=3, max_length=6, **OPTIONS)) == 3


@pytest.mark.parametrize("kwargs", [dict(beam_width=0), dict(beam_width=2.5), dict(max_length=0),
                                    dict(length_penalty=-1)])
def test_beam_search_rejects_bad_arguments(kwargs):
    encode, step = markov_model(0)
    args = dict(beam_width=2, max_length=5, **OPTIONS) | kwargs
    with pytest.raises(ValueError):
        seq2seq.beam_search(encode, step, "x", **args)


def test_greedy_rejects_bad_step_output():
    with pytest.raises(ValueError, match="log-probabilities of shape"):
        seq2seq.greedy_decode(lambda s: np.zeros((len(s), 1)), lambda last, st: (np.zeros(VOCAB), st),
                              ["x"], max_length=3, **OPTIONS)


def test_padding_and_causal_masks():
    assert seq2seq.padding_mask([[4, 5, 0], [3, 0, 0]]).tolist() == [[True, True, False], [True, False, False]]
    assert seq2seq.causal_mask(3).astype(int).tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    with pytest.raises(ValueError):
        seq2seq.padding_mask([1, 2, 0])
    with pytest.raises(ValueError):
        seq2seq.causal_mask(0)


def test_positional_encoding_values():
    P = seq2seq.positional_encoding(5, 8)
    assert P.shape == (5, 8)
    assert np.allclose(P[0], [0, 1] * 4)
    assert P[1, 0] == pytest.approx(math.sin(1)) and P[1, 1] == pytest.approx(math.cos(1))
    assert P[3, 2] == pytest.approx(math.sin(3 / 10_000 ** (2 / 8)), abs=1e-6)
    assert P[2, 5] == pytest.approx(math.cos(2 / 10_000 ** (4 / 8)), abs=1e-6)
    with pytest.raises(ValueError, match="even"):
        seq2seq.positional_encoding(4, 5)


def test_check_sentences():
    assert seq2seq.check_sentences(" I like soccer ") == ["I like soccer"]
    assert seq2seq.check_sentences(("a", "b c")) == ["a", "b c"]
    for bad, error in [("", ValueError), ("   ", ValueError), ([], ValueError), (42, TypeError),
                       (["ok", None], TypeError), (np.array(["a"]), TypeError)]:
        with pytest.raises(error):
            seq2seq.check_sentences(bad)
    with pytest.raises(ValueError, match="at most 3"):
        seq2seq.check_sentences("one two three four", max_words=3)


def test_ids_to_text_and_standardize():
    vocab = ["", "[UNK]", "startofseq", "endofseq", "me", "gusta"]
    assert seq2seq.ids_to_text([2, 4, 1, 5, 3, 4], vocab) == "me [UNK] gusta"
    with pytest.raises(ValueError, match="outside the vocabulary"):
        seq2seq.ids_to_text([9], vocab)
    assert seq2seq.standardize("  Me gusta, el FÚTBOL!  ") == "me gusta el fÚtbol"


def test_standardize_matches_text_vectorization():
    keras = pytest.importorskip("keras")
    import tensorflow as tf

    text = "¿Qué tal? Él dijo: \"It's 3.5% [more]\"."
    layer = keras.layers.TextVectorization(split=None)  # the whole standardized text is one token
    layer.adapt(tf.constant([text]))
    assert " ".join(str(layer.get_vocabulary()[2]).split()) == seq2seq.standardize(text)


def test_plot_attention():
    import matplotlib

    matplotlib.use("Agg")
    ax = seq2seq.plot_attention(np.eye(3), ["i", "like", "soccer"], ["me", "gusta", "fútbol"], title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["i", "like", "soccer"]
    with pytest.raises(ValueError):
        seq2seq.plot_attention(np.ones(3), ["a"], ["b"])
