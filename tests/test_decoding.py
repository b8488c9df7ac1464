"""Tests for helpers.decoding: argument checks, filtering, sampling and character generators."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.decoding import (
    CharStepper,
    check_sampling_args,
    compiled_call,
    extend_text_by_reprediction,
    filter_logits,
    sample_logits,
)


def _softmax(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _entropy(p):
    p = np.asarray(p, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


# --------------------------------------------------------------------------- check_sampling_args


@pytest.mark.parametrize("temperature", [0, 0.0, -1, math.nan, math.inf, -math.inf, "1", True,
                                         None])
def test_check_sampling_args_rejects_bad_temperature(temperature):
    with pytest.raises(ValueError, match="temperature must be"):
        check_sampling_args(temperature=temperature)


def test_check_sampling_args_temperature_message_gives_advice():
    with pytest.raises(ValueError) as info:
        check_sampling_args(temperature=0)
    message = str(info.value)
    assert "0.01" in message and "greedy" in message


@pytest.mark.parametrize("top_k", [0, -3, 2.5, True, "5"])
def test_check_sampling_args_rejects_bad_top_k(top_k):
    with pytest.raises(ValueError, match=r"top_k must be an integer ≥ 1"):
        check_sampling_args(top_k=top_k)


@pytest.mark.parametrize("top_p", [0, 0.0, -0.1, 1.5, math.nan, True, "0.9"])
def test_check_sampling_args_rejects_bad_top_p(top_p):
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]") as info:
        check_sampling_args(top_p=top_p)
    assert "90%" in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"temperature": 1e-3},
        {"temperature": 2},
        {"temperature": np.float32(0.7)},
        {"top_k": 1},
        {"top_k": np.int64(40)},
        {"top_p": 1},
        {"top_p": 1.0},
        {"top_p": 0.01},
        {"top_p": np.float32(0.9)},
        {"temperature": 0.5, "top_k": 10, "top_p": 0.9},
    ],
)
def test_check_sampling_args_accepts_valid_values(kwargs):
    assert check_sampling_args(**kwargs) is None


# --------------------------------------------------------------------------- filter_logits


def test_filter_logits_top_k_keeps_the_k_largest_per_row():
    rng = np.random.default_rng(0)
    logits = np.stack([rng.permutation(10).astype(float) * 0.3 - 1 for _ in range(5)])
    out = filter_logits(logits, top_k=3)
    assert out.shape == logits.shape
    for row_in, row_out in zip(logits, out):
        kept = set(np.flatnonzero(np.isfinite(row_out)))
        assert kept == set(np.argsort(row_in)[-3:])
        np.testing.assert_array_equal(row_out[list(kept)], row_in[list(kept)])
        assert np.all(row_out[~np.isfinite(row_out)] == -np.inf)


def test_filter_logits_top_k_keeps_ties_and_large_k_keeps_all():
    out = filter_logits([1.0, 3.0, 3.0, 0.0, 2.0], top_k=2)
    np.testing.assert_array_equal(np.isfinite(out), [False, True, True, False, False])
    tied = filter_logits([1.0, 2.0, 2.0, 2.0], top_k=2)
    assert np.isfinite(tied).sum() >= 2  # never fewer than k
    np.testing.assert_array_equal(filter_logits([0.0, 1.0, 2.0], top_k=3), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(filter_logits([0.0, 1.0, 2.0], top_k=50), [0.0, 1.0, 2.0])


PROBS = np.array([0.5, 0.2, 0.15, 0.1, 0.05])


@pytest.mark.parametrize(
    "top_p, n_kept",
    [(0.3, 1), (0.5, 1), (0.6, 2), (0.7, 2), (0.8, 3), (0.85, 3), (0.9, 4), (0.99, 5), (1.0, 5)],
)
def test_filter_logits_top_p_keeps_smallest_prefix_reaching_p(top_p, n_kept):
    out = filter_logits(np.log(PROBS), top_p=top_p)
    expected = np.arange(5) < n_kept
    np.testing.assert_array_equal(np.isfinite(out), expected)
    np.testing.assert_allclose(out[expected], np.log(PROBS)[expected])
    # the kept mass reaches top_p, and dropping the last kept token would fall below it
    assert PROBS[expected].sum() >= top_p - 1e-12
    assert PROBS[:n_kept - 1].sum() < top_p


def test_filter_logits_top_p_works_on_unsorted_batches():
    rng = np.random.default_rng(1)
    perms = [rng.permutation(5) for _ in range(4)]
    logits = np.stack([np.log(PROBS[p]) for p in perms])
    out = filter_logits(logits, top_p=0.8)
    for p, row in zip(perms, out):
        kept_probs = sorted(PROBS[p][np.isfinite(row)], reverse=True)
        np.testing.assert_allclose(kept_probs, [0.5, 0.2, 0.15])


@pytest.mark.parametrize("kwargs", [{"top_k": 1}, {"top_p": 1e-6}, {"top_p": 1e-12},
                                    {"top_k": 1, "top_p": 0.01}])
def test_filter_logits_always_keeps_the_argmax(kwargs):
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(6, 9))
    out = filter_logits(logits, **kwargs)
    assert np.all(np.isfinite(out).sum(axis=-1) == 1)
    np.testing.assert_array_equal(out.argmax(axis=-1), logits.argmax(axis=-1))


def test_filter_logits_temperature_scales_and_does_not_touch_input():
    logits = np.array([[1.0, 2.0, 4.0], [-2.0, 0.0, 6.0]])
    original = logits.copy()
    np.testing.assert_allclose(filter_logits(logits, temperature=2.0), logits / 2)
    np.testing.assert_allclose(filter_logits(logits, temperature=0.5), logits * 2)
    np.testing.assert_array_equal(logits, original)
    # top-p is applied to the tempered distribution: a hot temperature keeps more tokens
    cold = filter_logits(np.log(PROBS), temperature=0.5, top_p=0.8)
    hot = filter_logits(np.log(PROBS), temperature=3.0, top_p=0.8)
    assert np.isfinite(cold).sum() < np.isfinite(hot).sum()


@pytest.mark.parametrize("logits", [np.float64(1.0), np.zeros((2, 3, 4)), np.zeros((0,)),
                                    np.zeros((3, 0))])
def test_filter_logits_rejects_bad_shapes(logits):
    with pytest.raises(ValueError, match=r"\(vocab,\) or \(batch, vocab\)"):
        filter_logits(logits)


def test_filter_logits_checks_arguments():
    with pytest.raises(ValueError, match="top_k"):
        filter_logits([0.0, 1.0], top_k=0)


# --------------------------------------------------------------------------- sample_logits

LOGITS = np.array([2.0, 1.0, 0.5, 0.0, -1.0])


def test_sample_logits_reproducible_with_int_seed_and_generator():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(200, 6))
    a = sample_logits(logits, seed=11)
    b = sample_logits(logits, seed=11)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, sample_logits(logits, seed=12))

    gen_a, gen_b = np.random.default_rng(5), np.random.default_rng(5)
    run_a = [sample_logits(logits, seed=gen_a) for _ in range(3)]
    run_b = [sample_logits(logits, seed=gen_b) for _ in range(3)]
    for x, y in zip(run_a, run_b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(run_a[0], run_a[1])  # the Generator advances between calls


def test_sample_logits_low_temperature_is_argmax():
    rng = np.random.default_rng(4)
    logits = np.stack([rng.permutation(7) * 0.5 for _ in range(64)])  # gaps of 0.5
    ids = sample_logits(logits, temperature=1e-3, seed=0)
    np.testing.assert_array_equal(ids, logits.argmax(axis=-1))


def test_sample_logits_top_k_1_is_argmax():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(64, 7))
    for seed in range(3):
        np.testing.assert_array_equal(sample_logits(logits, top_k=1, seed=seed),
                                      logits.argmax(axis=-1))


@pytest.mark.parametrize("temperature", [1.0, 2.0])
def test_sample_logits_frequencies_match_softmax(temperature):
    n = 20_000
    ids = sample_logits(np.tile(LOGITS, (n, 1)), temperature=temperature, seed=2024)
    freq = np.bincount(ids, minlength=len(LOGITS)) / n
    expected = _softmax(LOGITS / temperature)
    # binomial std ≤ sqrt(0.25 / 20000) ≈ 0.0035: 0.015 is over 4 standard deviations
    np.testing.assert_allclose(freq, expected, atol=0.015)


def test_sample_logits_higher_temperature_is_flatter():
    n = 20_000
    tiled = np.tile(LOGITS, (n, 1))
    f1 = np.bincount(sample_logits(tiled, temperature=1.0, seed=1), minlength=5) / n
    f2 = np.bincount(sample_logits(tiled, temperature=2.0, seed=1), minlength=5) / n
    f05 = np.bincount(sample_logits(tiled, temperature=0.5, seed=1), minlength=5) / n
    assert _entropy(f05) < _entropy(f1) < _entropy(f2)
    assert f2[0] < f1[0] < f05[0]  # the favourite loses mass as the temperature rises


def test_sample_logits_never_samples_filtered_tokens():
    n = 20_000
    tiled = np.tile(LOGITS, (n, 1))
    ids = sample_logits(tiled, top_k=2, temperature=5.0, seed=9)
    assert set(np.unique(ids)) == {0, 1}
    ids = sample_logits(np.log(np.tile(PROBS, (n, 1))), top_p=0.8, temperature=1.0, seed=9)
    counts = np.bincount(ids, minlength=5)
    assert counts[3:].sum() == 0 and np.all(counts[:3] > 0)
    np.testing.assert_allclose(counts[:3] / n, PROBS[:3] / PROBS[:3].sum(), atol=0.015)


def test_sample_logits_handles_minus_inf_logits():
    logits = np.array([[-np.inf, 0.0, -np.inf], [3.0, -np.inf, -np.inf]])
    for seed in range(20):
        np.testing.assert_array_equal(sample_logits(logits, seed=seed), [1, 0])


def test_sample_logits_shapes():
    one = sample_logits(LOGITS, seed=0)
    assert isinstance(one, np.ndarray) and one.shape == ()
    assert np.issubdtype(one.dtype, np.integer)
    assert 0 <= int(one) < len(LOGITS)
    batch = sample_logits(np.zeros((7, 4)), seed=0)
    assert batch.shape == (7,)
    assert np.issubdtype(batch.dtype, np.integer)
    assert batch.min() >= 0 and batch.max() < 4
    assert sample_logits(LOGITS.tolist(), seed=0).shape == ()


# --------------------------------------------------------------------------- non-finite scores


@pytest.mark.parametrize("logits, match", [
    ([0.0, np.nan, 1.0], "logits contain NaN"),
    ([[0.0, 1.0, 2.0], [np.nan] * 3], r"logits contain NaN \(rows \[1\]\)"),
    ([0.0, np.inf, 1.0], r"logits contain \+inf"),
    ([[0.0, 1.0], [-np.inf, -np.inf]], r"every logit is -inf in rows \[1\]"),
])
def test_samplers_reject_non_finite_logits_from_a_model(logits, match):
    for kwargs in ({}, {"top_k": 1}, {"top_p": 0.9}, {"temperature": 0.5}):
        with pytest.raises(ValueError, match=match) as info:
            sample_logits(logits, seed=0, **kwargs)
        assert "learning rate" in str(info.value)  # says what to do
        with pytest.raises(ValueError, match=match):
            filter_logits(logits, **kwargs)


def test_samplers_accept_minus_inf_and_keep_their_own_minus_inf():
    # a model's log-probabilities, log 0 = -inf for two impossible tokens
    logits = np.array([-np.inf, np.log(0.5), np.log(0.3), np.log(0.2), -np.inf])
    out = filter_logits(logits, top_k=2)
    np.testing.assert_array_equal(np.isfinite(out), [False, True, True, False, False])
    ids = sample_logits(np.tile(logits, (2000, 1)), top_p=0.6, seed=0)
    assert set(np.unique(ids)) == {1, 2}
    # the output of filter_logits (with its -inf) can be filtered or sampled again
    again = filter_logits(filter_logits(logits, top_p=0.6), top_k=1)
    np.testing.assert_array_equal(np.isfinite(again), [False, True, False, False, False])


def test_filter_logits_rejects_a_temperature_that_overflows():
    with pytest.raises(ValueError, match="temperature 1e-300 is too small"):
        filter_logits([1e10, 0.0], temperature=1e-300)
    with pytest.raises(ValueError, match="too small"):
        sample_logits([-1e300, -2e300], temperature=1e-10, seed=0)  # every logit becomes -inf


# --------------------------------------------------------------------------- character models

CHARS = "abcde "
CHAR_TO_ID = {c: i for i, c in enumerate(CHARS)}
V = len(CHARS)


def encode(text):
    return [CHAR_TO_ID.get(c, -1) for c in text]


def decode(ids):
    return "".join(CHARS[int(i)] for i in ids)


def _char_model(kind="gru"):
    import keras

    keras.utils.set_random_seed(0)
    layers = [keras.Input(shape=(None,)), keras.layers.Embedding(V, 4)]
    if kind == "gru":
        layers += [keras.layers.GRU(8, return_sequences=True)]
    elif kind == "stacked":
        layers += [
            keras.layers.GRU(8, return_sequences=True),
            keras.layers.Dropout(0.5),
            keras.layers.GRU(6, return_sequences=True),
            keras.layers.Dropout(0.5),
        ]
    elif kind == "lstm":
        layers += [keras.layers.LSTM(8, return_sequences=True)]
    model = keras.Sequential(layers + [keras.layers.Dense(V, activation="softmax")])
    # Freshly initialised, the model predicts a nearly uniform distribution, and any two
    # generators fed the same seed would then agree whatever they computed. Large embeddings
    # and a sharper output layer make the next-character distribution peaked and
    # context-dependent, so the texts compared below depend on the model's computation.
    embedding, dense = model.layers[0], model.layers[-1]
    embedding.embeddings.assign(
        np.random.default_rng(0).normal(0, 1.5, size=embedding.embeddings.shape))
    dense.kernel.assign(dense.kernel * 8.0)
    return model


@pytest.fixture(scope="module")
def models():
    return {kind: _char_model(kind) for kind in ("gru", "stacked", "lstm")}


# (model, characters, sampling arguments, seed): reprediction costs one predict() per character,
# so only the single-GRU model generates a longer text.
SAME_TEXT_CASES = [
    ("gru", 30, {"temperature": 1.0}, 7),
    ("stacked", 15, {"temperature": 1.0}, 7),
    ("lstm", 15, {"temperature": 0.8, "top_k": 3}, "generator"),
]


@pytest.mark.parametrize("kind, n_chars, kwargs, seed", SAME_TEXT_CASES,
                         ids=[case[0] for case in SAME_TEXT_CASES])
def test_stepper_generates_the_same_text_as_reprediction(models, kind, n_chars, kwargs, seed):
    model = models[kind]
    stepper = CharStepper(model)
    assert stepper.vocab_size == V

    def seed_for():
        return np.random.default_rng(3) if seed == "generator" else seed

    slow = extend_text_by_reprediction(model, "abc ", n_chars, encode=encode, decode=decode,
                                       vocab_size=V, seed=seed_for(), **kwargs)
    fast = stepper.generate("abc ", n_chars, encode=encode, decode=decode, seed=seed_for(),
                            **kwargs)
    assert slow.startswith("abc ") and len(slow) == 4 + n_chars
    assert set(slow) <= set(CHARS)
    assert fast == slow
    # the equality above is not trivial: the same seed with a slightly different distribution
    # gives another text ...
    hotter = {**kwargs, "temperature": kwargs["temperature"] * 1.3}
    assert stepper.generate("abc ", n_chars, encode=encode, decode=decode, seed=seed_for(),
                            **hotter) != fast
    # ... and so does another seed ...
    others = {stepper.generate("abc ", n_chars, encode=encode, decode=decode, seed=s, **kwargs)
              for s in (100, 101, 102)}
    assert others - {fast}
    # ... and the same seed repeats the text
    assert stepper.generate("abc ", n_chars, encode=encode, decode=decode, seed=seed_for(),
                            **kwargs) == fast


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_compiled_reprediction_gives_the_same_text_as_predict(models, kind):
    """``compiled=True`` only removes predict()'s overhead: the same text, one trace per model."""
    model = models[kind]
    kwargs = dict(encode=encode, decode=decode, vocab_size=V, seed=5, temperature=0.9)
    slow = extend_text_by_reprediction(model, "abc ", 12, **kwargs)
    assert extend_text_by_reprediction(model, "abc ", 12, compiled=True, **kwargs) == slow
    call = compiled_call(model)
    assert compiled_call(model) is call  # cached for the model
    assert call.experimental_get_tracing_count() == 1  # every length through one trace
    np.testing.assert_allclose(call(np.array([[1, 2, 3]], dtype=np.int32)).numpy(),
                               model.predict(np.array([[1, 2, 3]]), verbose=0), atol=1e-6)


@pytest.mark.parametrize("kind", ["gru", "stacked", "lstm"])
def test_stepper_logits_match_model_predictions(models, kind):
    model = models[kind]
    stepper = CharStepper(model)
    rng = np.random.default_rng(0)
    seqs = rng.integers(0, V, size=(2, 12))
    proba = model.predict(seqs, verbose=0)  # (2, 12, V)
    states = stepper.initial_state(2)
    assert len(states) == (2 if kind == "stacked" else 1)
    for t in range(seqs.shape[1]):
        logits, states = stepper.step(seqs[:, t], states)
        assert logits.shape == (2, V)
        log_softmax = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        np.testing.assert_allclose(log_softmax, np.log(proba[:, t]), atol=1e-4)


def test_lstm_stepper_carries_two_states(models):
    states = CharStepper(models["lstm"]).initial_state(3)
    assert len(states) == 1 and len(states[0]) == 2
    assert all(tuple(s.shape) == (3, 8) for s in states[0])
    assert all(np.all(np.asarray(s) == 0) for s in states[0])


def test_generate_zero_chars_returns_prompt(models):
    model = models["gru"]
    assert CharStepper(model).generate("ab", 0, encode=encode, decode=decode) == "ab"
    assert extend_text_by_reprediction(model, "ab", 0, encode=encode, decode=decode,
                                       vocab_size=V) == "ab"


class _NoCallModel:
    """Stands in for a model: any prediction fails the test."""

    def predict(self, *args, **kwargs):
        pytest.fail("the model was called before the arguments were checked")


@pytest.fixture
def guarded_stepper(models, monkeypatch):
    stepper = CharStepper(models["gru"])
    monkeypatch.setattr(stepper, "step",
                        lambda *a, **k: pytest.fail("the model ran before the checks"))
    return stepper


def _both_generators(stepper):
    def fast(prompt, n, **kw):
        return stepper.generate(prompt, n, encode=encode, decode=decode, **kw)

    def slow(prompt, n, **kw):
        return extend_text_by_reprediction(_NoCallModel(), prompt, n, encode=encode,
                                           decode=decode, vocab_size=V, **kw)

    return [fast, slow]


def test_generators_reject_bad_prompts(guarded_stepper):
    for generate in _both_generators(guarded_stepper):
        with pytest.raises(ValueError, match="prompt is empty"):
            generate("", 5)
        with pytest.raises(TypeError, match="prompt must be a string"):
            generate(["a", "b"], 5)
        with pytest.raises(TypeError, match="prompt must be a string"):
            generate(None, 5)
        with pytest.raises(ValueError, match="never saw") as info:
            generate("abz", 5)
        assert "'z'" in str(info.value)
        assert "'a'" not in str(info.value)


def test_generators_reject_out_of_range_ids(guarded_stepper):
    def bad_encode(text):
        return [V + 1 for _ in text]

    with pytest.raises(ValueError, match="never saw"):
        guarded_stepper.generate("ab", 3, encode=bad_encode, decode=decode)
    with pytest.raises(ValueError, match="never saw"):
        extend_text_by_reprediction(_NoCallModel(), "ab", 3, encode=bad_encode, decode=decode,
                                    vocab_size=V)


@pytest.mark.parametrize("n_chars", [-1, 2.5, True, "3"])
def test_generators_reject_bad_lengths(guarded_stepper, n_chars):
    for generate in _both_generators(guarded_stepper):
        with pytest.raises(ValueError, match="n_chars"):
            generate("ab", n_chars)


@pytest.mark.parametrize("kwargs", [{"temperature": 0}, {"temperature": -1.0},
                                    {"top_k": 0}, {"top_p": 1.5}])
def test_generators_check_sampling_args_before_the_model(guarded_stepper, kwargs):
    for generate in _both_generators(guarded_stepper):
        with pytest.raises(ValueError):
            generate("ab", 3, **kwargs)


class _BrokenModel:
    """Stands in for a diverged softmax model: its probabilities turn to `value` at one step."""

    def __init__(self, value, at_call=2):
        self.value, self.at_call, self.calls = value, at_call, 0

    def predict(self, x, verbose=0):
        proba = np.full((1, x.shape[1], V), 1.0 / V)
        if self.calls == self.at_call:
            proba[0, -1, 1] = self.value
        self.calls += 1
        return proba


@pytest.mark.parametrize("value, kind", [(np.nan, "NaN"), (np.inf, r"\+inf")])
def test_reprediction_rejects_non_finite_probabilities(value, kind):
    model = _BrokenModel(value)
    with pytest.raises(ValueError, match=f"probabilities for new character 3 of 5 contain {kind}") as info:
        extend_text_by_reprediction(model, "ab", 5, encode=encode, decode=decode, vocab_size=V, seed=0)
    assert "diverged" in str(info.value) and "learning rate" in str(info.value)


@pytest.mark.parametrize("value, kind", [(np.nan, "NaN"), (np.inf, r"\+inf"), (-np.inf, "-inf")])
def test_stepper_rejects_non_finite_logits(models, monkeypatch, value, kind):
    stepper = CharStepper(models["gru"])
    real_step, calls = stepper.step, []

    def broken_step(ids, states):
        logits, states = real_step(ids, states)
        calls.append(1)
        if len(calls) == 4:  # the prompt "ab" takes one call, then new characters 1, 2, 3
            logits = logits.copy()
            logits[0, 2] = value
        return logits, states

    monkeypatch.setattr(stepper, "step", broken_step)
    with pytest.raises(ValueError, match=f"logits for new character 3 of 6 contain {kind}") as info:
        stepper.generate("ab", 6, encode=encode, decode=decode, seed=0)
    assert "diverged" in str(info.value)


def test_stepper_rejects_a_model_with_nan_weights():
    model = _char_model("gru")
    dense = model.layers[-1]
    dense.bias.assign(np.full(V, np.nan, dtype="float32"))
    with pytest.raises(ValueError, match="logits for new character 1 of 3 contain NaN"):
        CharStepper(model).generate("ab", 3, encode=encode, decode=decode, seed=0)
    with pytest.raises(ValueError, match="probabilities for new character 1 of 3 contain NaN"):
        extend_text_by_reprediction(model, "ab", 3, encode=encode, decode=decode, vocab_size=V)


def test_stepper_rejects_unsupported_layers():
    import keras

    model = keras.Sequential([
        keras.Input(shape=(None,)),
        keras.layers.Embedding(V, 4),
        keras.layers.Conv1D(4, 3, padding="causal", name="my_conv"),
        keras.layers.Dense(V, activation="softmax"),
    ])
    with pytest.raises(ValueError, match="my_conv") as info:
        CharStepper(model)
    assert "Conv1D" in str(info.value)


def test_stepper_needs_a_final_dense_layer():
    import keras

    model = keras.Sequential([keras.Input(shape=(None,)), keras.layers.Embedding(V, 4),
                              keras.layers.GRU(4, return_sequences=True)])
    with pytest.raises(ValueError, match="ends with a Dense"):
        CharStepper(model)

