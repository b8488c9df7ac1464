"""Tests for helpers.seq2seq: greedy and beam decoders, masks, positional encodings, text helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import seq2seq

START, END, VOCAB = 1, 2, 9


def markov_model(seed: int, end_bias: float = 0.0):
    """A toy encoder-decoder: next-token log-probs depend on the last token and the source."""
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(VOCAB, VOCAB)) * 2.0
    table[:, 0] = -30  # never predict padding
    table[:, END] += end_bias  # > 0: translations end sooner

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


@pytest.mark.parametrize("seed, width, penalty, end_bias", [(0, 2, 0.0, 0.0), (1, 3, 0.0, 1.0),
                                                      (2, 3, 0.7, 0.0), (3, 5, 1.0, 2.0),
                                                      (4, 1, 0.0, 0.0)])
def test_beam_batch_equals_one_sentence_at_a_time(seed, width, penalty, end_bias):
    encode, step = markov_model(seed, end_bias=end_bias)  # the state depends on the source
    sources = ["a", "bb", "ccc", "dddd", "e", "ff", "ggggggg"]
    calls = []

    def counting_step(last, state):
        calls.append(len(last))
        return step(last, state)

    batch = seq2seq.beam_search_batch(encode, counting_step, sources, beam_width=width,
                                      max_length=9, length_penalty=penalty, **OPTIONS)
    assert len(calls) <= 9  # one decoder call per step for every sentence together
    assert max(calls) > width  # ... holding several sentences' hypotheses
    for source, found in zip(sources, batch):
        one = seq2seq.beam_search(encode, step, source, beam_width=width, max_length=9,
                                  length_penalty=penalty, **OPTIONS)
        assert [ids for ids, _ in found] == [ids for ids, _ in one]
        assert [s for _, s in found] == pytest.approx([s for _, s in one])


def test_beam_batch_refuses_a_single_string():
    encode, step = markov_model(0)
    with pytest.raises(TypeError, match="single string"):
        seq2seq.beam_search_batch(encode, step, "abc", beam_width=2, max_length=4, **OPTIONS)


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


def test_ids_to_text():
    vocab = ["", "[UNK]", "startofseq", "endofseq", "me", "gusta"]
    assert seq2seq.ids_to_text([2, 4, 1, 5, 3, 4], vocab) == "me [UNK] gusta"
    with pytest.raises(ValueError, match="outside the vocabulary"):
        seq2seq.ids_to_text([9], vocab)


# --------------------------------------------------------------------------- length penalty
# me(3) -> end 0.5 | "me gusta"(4) 0.45 | 6 0.05; 4 -> 5 0.9; 5 -> end 0.9; 6 -> end.
# "me" + end: total log(0.5) = -0.693, 1 token;  "me gusta fútbol" + end: log(0.45 * 0.9 * 0.9)
# = log(0.3645) = -1.009, 3 tokens. Without normalization the short one wins (-0.693 > -1.009);
# divided by length (penalty 1) the long one wins (-1.009 / 3 = -0.336 > -0.693 / 1).
PENALTY_TABLE = {START: {3: 1.0}, 3: {END: 0.5, 4: 0.45, 6: 0.05}, 4: {5: 0.9, END: 0.1},
                 5: {END: 0.9, 7: 0.1}, 6: {END: 1.0}}
SHORT, LONG = [3], [3, 4, 5]


@pytest.mark.parametrize("width", [1, 2, 3, 5])
def test_length_penalty_changes_the_winner(width):
    encode, step = fixed_model(PENALTY_TABLE)
    plain = seq2seq.beam_search(encode, step, "x", beam_width=width, max_length=6, **OPTIONS)
    assert plain[0][0] == SHORT and plain[0][1] == pytest.approx(math.log(0.5))
    for penalty in (0.5, 1.0):
        best = seq2seq.beam_search(encode, step, "x", beam_width=width, max_length=6,
                                   length_penalty=penalty, **OPTIONS)
        assert best[0][0] == LONG
        assert best[0][1] == pytest.approx(math.log(0.45 * 0.9 * 0.9) / 3 ** penalty)
        scores = [s for _, s in best]
        assert scores == sorted(scores, reverse=True)
    if width >= 2:  # the short translation is still returned, ranked by its own normalised score
        assert (SHORT, pytest.approx(math.log(0.5))) in best


# Two short endings with a better total than the long one: "3" (log 0.4 = -0.916, 1 token) and
# "3 6" (log 0.3 = -1.204, 2 tokens) against "3 4 5 7" (log(0.3 * 0.95**3) = -1.358, 4 tokens).
# Divided by length the long one is best (-0.339 > -0.602 > -0.916); a beam of width 2 that
# kept its endings by total log-probability would have dropped it for the two short ones.
TWO_SHORT_TABLE = {START: {3: 1.0}, 3: {END: 0.4, 6: 0.3, 4: 0.3}, 6: {END: 1.0},
                   4: {5: 0.95, END: 0.05}, 5: {7: 0.95, END: 0.05}, 7: {END: 0.95, 8: 0.05}}


@pytest.mark.parametrize("width", [1, 2])
def test_length_penalty_keeps_a_long_winner_behind_two_short_endings(width):
    encode, step = fixed_model(TWO_SHORT_TABLE)
    plain = seq2seq.beam_search(encode, step, "x", beam_width=width, max_length=8, **OPTIONS)
    assert plain[0] == ([3], pytest.approx(math.log(0.4)))
    best = seq2seq.beam_search(encode, step, "x", beam_width=width, max_length=8,
                               length_penalty=1.0, **OPTIONS)
    assert best[0] == ([3, 4, 5, 7], pytest.approx(math.log(0.3 * 0.95 ** 3) / 4))
    if width == 2:
        assert best[1] == ([3, 6], pytest.approx(math.log(0.3) / 2))


def _all_hypotheses(encode, step, source, max_length, penalty):
    """Every translation up to max_length tokens with its normalised score (exhaustive search)."""
    out, frontier = [], [([], 0.0, START, encode([source]))]
    for length in range(max_length + 1):
        grown = []
        for ids, total, last, state in frontier:
            if length == max_length:
                out.append((ids, total / max(length, 1) ** penalty))
                continue
            log_probs, new_state = step(np.array([last]), state)
            out.append((ids, (total + log_probs[0, END]) / max(length, 1) ** penalty))
            grown += [(ids + [t], total + log_probs[0, t], t, new_state)
                      for t in range(VOCAB) if t != END]
        frontier = grown
    return sorted(out, key=lambda h: -h[1])


@pytest.mark.parametrize("seed, penalty", [(0, 0.0), (1, 0.6), (2, 1.0), (3, 2.0)])
def test_wide_beam_with_penalty_equals_exhaustive_search(seed, penalty):
    encode, step = markov_model(seed)
    expected = _all_hypotheses(encode, step, "ab", 3, penalty)  # 1 + 8 + 64 + 512 translations
    hyps = seq2seq.beam_search(encode, step, "ab", beam_width=len(expected), max_length=3,
                               length_penalty=penalty, **OPTIONS)
    assert len(hyps) == len(expected)
    for (ids, score), (want_ids, want_score) in zip(hyps[:10], expected[:10]):
        assert ids == want_ids and score == pytest.approx(want_score)


def _beam_without_early_stop(encode, step, source, width, max_length, penalty):
    """Reference: the same pruning on the normalised score, but always running to max_length."""
    def norm(total, n):
        return total / max(n, 1) ** penalty

    state, live, finished = encode([source]), [([], 0.0, START)], []
    for t in range(max_length):
        log_probs, state = step(np.array([last for _, _, last in live]), state)
        cands = [(norm(total + log_probs[r, tok], t if tok == END else t + 1), r * VOCAB + tok, r, tok)
                 for r, (_, total, _) in enumerate(live) for tok in range(VOCAB)]
        cands.sort(key=lambda c: (-c[0], c[1]))
        new_live, rows = [], []
        for rank, (score, _, r, tok) in enumerate(cands[: 2 * width]):
            ids, total, _ = live[r]
            if tok == END:
                if rank < width:
                    finished.append((ids, score))
            elif len(new_live) < width:
                new_live.append((ids + [tok], total + log_probs[r, tok], tok)), rows.append(r)
        finished = sorted(finished, key=lambda h: -h[1])[:width]
        if not new_live:
            return finished
        live, state = new_live, seq2seq.map_state(lambda x: x[np.array(rows)], state)
    finished += [(ids, norm(total, max_length)) for ids, total, _ in live]
    return sorted(finished, key=lambda h: -h[1])[:width]


@pytest.mark.parametrize("penalty", [0.0, 0.6, 1.5])
def test_early_stopping_never_changes_the_result(penalty):
    stopped_early = 0
    for seed in range(6):
        for end_bias in (0.0, 3.0):
            encode, step = markov_model(seed, end_bias)
            calls = []

            def counting_step(last, state):
                calls.append(len(last))
                return step(last, state)

            for width in (1, 2, 4):
                calls.clear()
                got = seq2seq.beam_search(encode, counting_step, "abcd", beam_width=width,
                                          max_length=10, length_penalty=penalty, **OPTIONS)
                stopped_early += len(calls) < 10
                want = _beam_without_early_stop(encode, step, "abcd", width, 10, penalty)
                assert [ids for ids, _ in got] == [ids for ids, _ in want]
                assert [s for _, s in got] == pytest.approx([s for _, s in want])
    assert stopped_early >= 3  # the comparison did cover searches that stopped early


def test_beam_search_with_penalty_stops_early_when_it_can():
    # the likely hypotheses have ended after 4 steps; the unlikely ones (probability 1e-9 per
    # token) fall below the worst kept ending, even divided by 50, a few steps later
    encode, step = fixed_model(PENALTY_TABLE)
    calls = []

    def counting_step(last, state):
        calls.append(len(last))
        return step(last, state)

    seq2seq.beam_search(encode, counting_step, "x", beam_width=2, max_length=50,
                        length_penalty=1.0, **OPTIONS)
    assert len(calls) <= 10


# --------------------------------------------------------------------------- checks before encoding
def _no_encode(sources):
    pytest.fail("the encoder ran before the arguments were checked")


@pytest.mark.parametrize("sources, error, match", [
    ("I like soccer", TypeError, r"single string: pass \[sentence\]"),
    (b"I like soccer", TypeError, "single string"),
    ([], ValueError, "sources is empty"),
    (np.array([], dtype=str), ValueError, "sources is empty"),
    (42, TypeError, "list"),
    (None, TypeError, "list"),
])
def test_greedy_checks_its_sources_before_encoding(sources, error, match):
    with pytest.raises(error, match=match):
        seq2seq.greedy_decode(_no_encode, lambda *a: pytest.fail("decoder ran"), sources,
                              max_length=3, **OPTIONS)


@pytest.mark.parametrize("kwargs", [dict(max_length=0), dict(max_length=2.0), dict(start_id=-1),
                                    dict(end_id="2"), dict(end_id=None)])
def test_greedy_checks_its_arguments_before_encoding(kwargs):
    args = dict(max_length=3, **OPTIONS) | kwargs
    with pytest.raises(ValueError):
        seq2seq.greedy_decode(_no_encode, lambda *a: pytest.fail("decoder ran"), ["x"], **args)


@pytest.mark.parametrize("penalty", [-0.1, math.nan, math.inf, True, "0.6", None])
def test_beam_search_checks_length_penalty_before_encoding(penalty):
    with pytest.raises(ValueError, match="length_penalty must be a finite number"):
        seq2seq.beam_search(_no_encode, lambda *a: pytest.fail("decoder ran"), "x", beam_width=2,
                            max_length=3, length_penalty=penalty, **OPTIONS)


def test_beam_search_accepts_integer_and_numpy_penalties():
    encode, step = fixed_model(PENALTY_TABLE)
    for penalty in (1, np.float32(1.0), np.int64(1)):
        best = seq2seq.beam_search(encode, step, "x", beam_width=2, max_length=6,
                                   length_penalty=penalty, **OPTIONS)
        assert best[0][0] == LONG


# --------------------------------------------------------------------------- non-finite scores
def _breaking_model(value, at_step=2, row=0, column=None):
    """The Markov toy model, whose output gets `value` at one step (in one row)."""
    encode, step = markov_model(3)  # decodes 8 tokens of "abcd", greedy or beam
    count = {"n": 0}

    def decode_step(last, state):
        log_probs, state = step(last, state)
        if count["n"] == at_step:
            log_probs = log_probs.copy()
            log_probs[row if row < len(last) else 0, slice(None) if column is None else column] = value
        count["n"] += 1
        return log_probs, state

    return encode, decode_step


def _both_decoders(make_model):
    """Greedy and beam search, each on a fresh model from make_model()."""
    def greedy():
        encode, step = make_model()
        return seq2seq.greedy_decode(encode, step, ["abcd"], max_length=8, **OPTIONS)

    def beam():
        encode, step = make_model()
        return seq2seq.beam_search(encode, step, "abcd", beam_width=3, max_length=8, **OPTIONS)

    return [greedy, beam]


@pytest.mark.parametrize("value, column, match", [
    (np.nan, 4, "NaN log-probabilities at step 2"),
    (np.nan, None, "NaN log-probabilities at step 2"),
    (np.inf, 5, r"\+inf log-probabilities at step 2"),
    (-np.inf, None, "every token log-probability -inf at step 2"),
    (3.5, 6, r"log-probabilities \(≤ 0\), got values up to 3.5"),
])
def test_decoders_reject_broken_scores(value, column, match):
    for decoder in _both_decoders(lambda: _breaking_model(value, column=column)):
        with pytest.raises(ValueError, match=match) as info:
            decoder()
        message = str(info.value)
        assert ("learning rate" in message) or ("log_softmax" in message)


def test_decoders_reject_nan_from_a_keras_model_with_broken_weights():
    keras = pytest.importorskip("keras")
    import tensorflow as tf

    dense = keras.layers.Dense(VOCAB)
    dense.build((None, 4))
    dense.bias.assign(np.full(VOCAB, np.nan, dtype="float32"))

    def step(last, state):
        proba = tf.nn.softmax(dense(tf.ones((len(last), 4)))).numpy()
        return np.log(np.maximum(proba, 1e-12)), state  # how the notebooks turn probabilities to logs

    for decoder in _both_decoders(lambda: (lambda s: np.zeros((len(s), 1)), step)):
        with pytest.raises(ValueError, match="NaN log-probabilities at step 0.*diverged"):
            decoder()


def test_decoders_accept_minus_inf_for_impossible_tokens():
    # only "3" or the end are possible after the start, only the end after "3": log 0 elsewhere
    def step(last, state):
        log_probs = np.full((len(last), VOCAB), -np.inf)
        for row, token in enumerate(last):
            if token == START:
                log_probs[row, [3, END]] = np.log([0.7, 0.3])
            else:
                log_probs[row, END] = 0.0
        return log_probs, state

    encode = lambda sources: np.zeros((len(sources), 1))
    ids, scores = seq2seq.greedy_decode(encode, step, ["x", "y"], max_length=5, **OPTIONS)
    assert ids == [[3], [3]] and np.allclose(scores, np.log(0.7))
    hyps = seq2seq.beam_search(encode, step, "x", beam_width=5, max_length=5, **OPTIONS)
    assert hyps == [([3], pytest.approx(np.log(0.7))), ([], pytest.approx(np.log(0.3)))]
    assert all(np.isfinite(s) for _, s in hyps)


def test_decoders_accept_float32_rounding_above_zero():
    encode, step = markov_model(2)

    def rounded_step(last, state):
        log_probs, state = step(last, state)
        return (log_probs + 2e-7).astype(np.float32), state

    ids, _ = seq2seq.greedy_decode(encode, rounded_step, ["ab"], max_length=6, **OPTIONS)
    (beam_ids, _), = seq2seq.beam_search(encode, rounded_step, "ab", beam_width=1, max_length=6, **OPTIONS)
    assert beam_ids == ids[0]


def test_decoders_reject_a_wrong_batch_or_end_id():
    encode, step = markov_model(0)
    with pytest.raises(ValueError, match="2 rows for 1 sequences"):
        seq2seq.greedy_decode(encode, lambda last, s: step(np.repeat(last, 2), s), ["x"],
                              max_length=3, **OPTIONS)
    with pytest.raises(ValueError, match="end_id 20 is outside the decoder's vocabulary of 9"):
        seq2seq.beam_search(encode, step, "x", beam_width=2, max_length=3, start_id=START, end_id=20)
