"""Tests for helpers.translation: the spa-eng split, the Translator and its reporting."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import translation

VOCAB = ["", "[UNK]", "startofseq", "endofseq", "me", "gusta", "el", "fútbol", "hola"]


def toy_pairs():
    pairs = [(f"sentence {i} here", f"frase {i} aquí") for i in range(40)]
    pairs += [("sentence 1 here", "otra frase 1"), ("sentence 2 here", "la frase 2")]
    pairs += [(f"a much longer english sentence number {i}", f"una frase larga {i}") for i in range(5)]
    return pairs


def test_split_is_by_english_sentence_with_all_references():
    split = translation.split_spa_eng(toy_pairs(), max_words=4, n_valid=5, n_test=10,
                                      long_words=8, n_long=3, seed=1)
    train_en = {en for en, _ in split.train}
    held_out = [en for en, _ in split.valid + split.test + split.long_test]
    assert not train_en & set(held_out) and len(set(held_out)) == len(held_out)
    assert len(split.test) == 10 and len(split.valid) == 5 and len(split.long_test) == 3
    refs = dict(split.valid + split.test)
    for en, n in (("sentence 1 here", 2), ("sentence 2 here", 2)):
        if en in refs:  # every translation is kept as a reference ...
            assert len(refs[en]) == n
        else:  # ... or every translation is a training pair
            assert sum(e == en for e, _ in split.train) == n
    assert all(len(en.split()) > 4 for en, _ in split.long_test)
    assert all(len(en.split()) <= 4 and len(es.split()) <= 4 for en, es in split.train)
    assert len(split.train) == 42 - 15 - sum(len(r) - 1 for _, r in split.valid + split.test)
    assert "long test 3" in split.describe()
    # the same seed gives the same split
    assert translation.split_spa_eng(toy_pairs(), max_words=4, n_valid=5, n_test=10, seed=1).test == split.test


def test_split_rejects_bad_arguments():
    with pytest.raises(ValueError, match="not enough"):
        translation.split_spa_eng(toy_pairs(), max_words=4, n_valid=20, n_test=30)
    with pytest.raises(ValueError, match="n_test must be an integer"):
        translation.split_spa_eng(toy_pairs(), max_words=4, n_valid=2, n_test=0)
    with pytest.raises(TypeError, match="English, Spanish"):
        translation.split_spa_eng([("only english",)], max_words=4, n_valid=1, n_test=1)


def test_unknown_rate_counts_standardized_words():
    assert translation.unknown_rate(["Me gusta el fútbol!"], VOCAB) == 0
    assert translation.unknown_rate(["Me gusta el tenis."], VOCAB) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="no words"):
        translation.unknown_rate([" "], VOCAB)


def fixed_translator(words, max_length=6):
    """A decoder that always says ``words`` then endofseq (whatever the source)."""
    ids = [VOCAB.index(w) for w in words] + [3]

    def encode(sources):
        return np.zeros((len(sources), 1), dtype=np.int32)  # state: position in the output

    def step(last, state):
        logp = np.full((len(last), len(VOCAB)), -20.0)
        logp[np.arange(len(last)), [ids[min(int(p), len(ids) - 1)] for p in state[:, 0]]] = -0.01
        return logp, state + 1

    return translation.Translator(encode, step, VOCAB, max_length=max_length, max_words=5)


def test_translator_greedy_beam_and_errors():
    tr = fixed_translator(["me", "gusta", "el", "fútbol"])
    assert tr.greedy("I like soccer") == ["me gusta el fútbol"]
    assert tr.greedy(["a", "b", "c"], batch_size=2) == ["me gusta el fútbol"] * 3
    assert tr.beam(["a"], beam_width=2) == ["me gusta el fútbol"]
    best, probability = tr.beams("a", beam_width=2)[0]
    assert best == "me gusta el fútbol" and 0.9 < probability <= 1
    with pytest.raises(ValueError, match="empty"):
        tr.greedy("")
    with pytest.raises(ValueError, match="at most 5"):
        tr.greedy("one two three four five six")
    with pytest.raises(ValueError, match="startofseq"):
        translation.Translator(lambda s: s, lambda t, s: (t, s), ["", "[UNK]", "hola"], max_length=3)


def test_evaluate_scores_against_all_references():
    tr = fixed_translator(["me", "gusta", "el", "fútbol"])
    test = [("I like soccer", ["Me encanta el fútbol.", "Me gusta el fútbol."]),
            ("I love soccer", ["Me gusta el fútbol!"])]
    row, hyps = tr.evaluate(test, n_beam=1, beam_width=2, name="fixed")
    assert hyps == ["me gusta el fútbol"] * 2
    assert row["model"] == "fixed" and row["BLEU"] == pytest.approx(100) and row["[UNK] %"] == 0
    assert row["BLEU beam 2 (1)"] == pytest.approx(100)
    row, _ = fixed_translator(["me", "[UNK]", "el", "fútbol"]).evaluate(test)
    assert row["[UNK] %"] == pytest.approx(25) and row["BLEU"] < 60


def test_reporting(tmp_path, capsys):
    rows = [{"model": "LSTM", "BLEU": 12.34, "chrF": 40.0}, {"model": "baseline", "BLEU": 0.5}]
    translation.print_table(rows)
    out = capsys.readouterr().out.splitlines()
    assert out[0].split("|")[1].strip() == "BLEU" and "12.3" in out[1] and out[2].rstrip().endswith("-")
    test = [("I like soccer", ["Me gusta el fútbol.", "Me encanta el fútbol."])]
    translation.show_translations(test, {"LSTM": ["me gusta el tenis"]}, [0])
    out = capsys.readouterr().out
    assert "me gusta el fútbol  (+1 more)" in out and "me gusta el tenis" in out
    path = translation.save_results(tmp_path / "r.json", {"a": 1}, rows, {"LSTM": ["x"]})
    assert json.loads(path.read_text())["rows"] == rows
    assert translation.load_results(path, {"a": 1})[:2] == (rows, {"LSTM": ["x"]})
    assert translation.load_results(path, {"a": 2})[:2] == ([], {})
    assert "other settings" in translation.load_results(path, {"a": 2})[2]
    assert "not found" in translation.load_results(tmp_path / "none.json", {})[2]


def test_teacher_forcing_dataset_batches_similar_lengths():
    pairs = [(f"en {i}", " ".join(["palabra"] * (1 + i % 5))) for i in range(40)]
    vec = keras.layers.TextVectorization()
    vec.adapt(tf.constant([f"startofseq {es} endofseq" for _, es in pairs]))
    batches = list(translation.teacher_forcing_dataset(pairs, vec, batch_size=8).take(5))
    lengths = sorted(int(y.shape[1]) for _, y in batches)
    assert lengths == [2, 3, 4, 5, 6]  # one batch per Spanish length, padded only to itself
    (english, decoder_in), target = batches[0]
    assert decoder_in.numpy()[0].decode().startswith("startofseq ")
    assert (target.numpy()[:, -1] == vec.get_vocabulary().index("endofseq")).all()


def test_checkpoint_keeps_the_best_chrf_epoch_and_stops(tmp_path):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    outputs = iter(["hola", "me gusta el fútbol", "hola", "hola", "hola"])

    class Scripted:
        def greedy(self, sources):
            return [next(outputs)] * len(sources)

    valid = [("I like soccer", ["me gusta el fútbol"])]
    checkpoint = translation.BestTranslationCheckpoint(Scripted(), valid, tmp_path / "best.keras",
                                                       patience=2)
    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.get_weights()))
    history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=5, verbose=0,
                        callbacks=[checkpoint, record])
    assert len(history.history["val_chrf"]) == 4  # stopped 2 epochs after the best
    assert checkpoint.best_epoch == 1 and checkpoint.best == pytest.approx(100)
    assert (tmp_path / "best.keras").exists()
    np.testing.assert_allclose(model.get_weights()[0], seen[1][0])


def test_checkpoint_scores_against_standardized_references_and_times_training(tmp_path):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")

    class Fixed:
        def greedy(self, sources):
            return ["me gusta el fútbol"] * len(sources)

    valid = [("I like soccer", ["Me gusta el fútbol."])]  # as written in spa-eng
    checkpoint = translation.BestTranslationCheckpoint(Fixed(), valid, tmp_path / "best.keras")
    history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[checkpoint])
    assert history.history["val_chrf"][0] == pytest.approx(100)  # lowercased, punctuation removed
    assert len(checkpoint.train_seconds) == 2 and 0 <= checkpoint.train_seconds[0] <= checkpoint.train_seconds[1]


def test_baseline_rows_copy_the_english_and_repeat_the_most_frequent_target():
    test = [("Tom is here now.", ["Tom is here now!"]), ("I like soccer", ["Me gusta el fútbol."])]
    rows = translation.baseline_rows(test, ["Vete.", "Hola.", "Vete."])
    assert [r["model"] for r in rows] == ["baseline: copy the English", "baseline: always 'vete'"]
    assert rows[0]["BLEU"] > 0 and rows[1]["BLEU"] == 0
    with pytest.raises(ValueError):
        translation.baseline_rows([], ["x"])


def _notebook_cell(notebook: str, first_line: str) -> str:
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "notebooks" / notebook
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    (code,) = ["".join(c["source"]) for c in cells if "".join(c["source"]).startswith(first_line)]
    return code


def test_notebook_03s_translate_is_the_helpers_lecture_translate():
    """Notebook 03 writes the lecture's translate() out; 04 and the benchmark call the helper."""
    keras.utils.set_random_seed(0)
    english, spanish = keras.Input(shape=[], dtype="string"), keras.Input(shape=[], dtype="string")
    vec_en = keras.layers.TextVectorization(vocabulary=["i", "like", "soccer"])
    vec_es = keras.layers.TextVectorization(vocabulary=VOCAB[2:])
    state = keras.layers.GRU(8)(keras.layers.Embedding(5, 4)(vec_en(english)))
    out = keras.layers.GRU(8, return_sequences=True)(keras.layers.Embedding(len(VOCAB), 4)(vec_es(spanish)),
                                                       initial_state=state)
    model = keras.Model([english, spanish], keras.layers.Dense(len(VOCAB), activation="softmax")(out))
    model.layers[-1].kernel.assign(model.layers[-1].kernel * 20)  # clear-cut choices
    namespace = {"tf": tf, "np": np, "model": model, "vocab_es": VOCAB, "MAX_WORDS": 2}
    exec(_notebook_cell("03_nmt_rnn.ipynb", "def translate(sentence_en):"), namespace)  # noqa: S102
    for sentence in ["I like soccer", "soccer", "like like i"]:
        assert namespace["translate"](sentence) == translation.lecture_translate(model, VOCAB, sentence, 5)


def test_attention_weights_run_the_translation_back_through_the_model():
    tr = fixed_translator(["me", "gusta"])
    ids = tf.constant([[2, 3, 0]])

    def inside(inputs):
        english, decoder_in = inputs
        assert decoder_in.numpy()[0].decode() == "startofseq me gusta"
        return ids, tf.ones((1, 3, 3)) / 3

    weights, source, target = translation.attention_weights(tr, inside, ["", "[UNK]", "i", "like"], "I like")
    assert weights.shape == (3, 3) and source == ["i", "like"] and target == ["me", "gusta", "endofseq"]
    weights, _, _ = translation.attention_weights(tr, lambda x: (ids, tf.zeros((1, 2, 3))), ["", "[UNK]", "i", "like"],
                                                  "I like", scores=lambda q, mask: q + tf.cast(mask, "float32")[:, None])
    assert weights[0].tolist() == [1.0, 1.0, 0.0]


def test_bleu_by_length_models_buckets_and_intervals(capsys):
    test = [(" ".join(["w"] * n), [f"r {n}"]) for n in range(1, 16)]
    outputs = {"good": [f"r {n}" for n in range(1, 16)], "bad": ["x"] * 15}
    table = translation.bleu_by_length_models(test, outputs, max_words=6, intervals=True)
    assert [r["bucket"] for r in table["good"]] == ["1-2", "3-4", "5-6", "7-9", "10+"]
    assert all(r["low"] <= r["bleu"] <= r["high"] for r in table["good"])
    assert "bucket (sentences)" in capsys.readouterr().out


def test_beam_against_greedy_picks_examples_by_a_rule():
    tr = fixed_translator(["me", "gusta", "el", "fútbol"])
    test = [(f"s{i}", ["me gusta el fútbol"]) for i in range(12)]
    greedy = ["me gusta el fútbol"] * 6 + ["me gusta"] * 3 + ["hola"] * 3
    r = translation.beam_against_greedy(tr, test, greedy, beam_width=2, n_examples=2)
    assert r["changed"] == 6 and r["n"] == 12 and r["diff"] > 0
    assert [e["english"] for e in r["examples"]] == ["s9", "s10", "s8", "s7"]  # gains first, then fewest
    assert r["examples"][0]["chrF gain"] >= r["examples"][-1]["chrF gain"]


def test_at_budget_reads_the_best_chrf_within_the_pairs_seen():
    history = {"val_chrf": [10.0, 30.0, 25.0, 40.0], "train_seconds": [5.0, 10.0, 15.0, 20.0]}
    assert translation.at_budget(history, 100, 350) == {"epochs": 3, "pairs": 300, "chrF": 30.0, "seconds": 15.0}
    assert translation.at_budget(history, 100, 10_000)["chrF"] == 40.0
    with pytest.raises(ValueError, match="less than one epoch"):
        translation.at_budget(history, 100, 50)


def test_training_throughput_times_each_length():
    keras.utils.set_random_seed(0)
    english, spanish = keras.Input(shape=[], dtype="string"), keras.Input(shape=[], dtype="string")
    vec_en = keras.layers.TextVectorization(vocabulary=["i", "like", "soccer"])
    vec_es = keras.layers.TextVectorization(vocabulary=VOCAB[2:])
    hidden = keras.layers.Embedding(len(VOCAB), 4)(vec_es(spanish))
    model = keras.Model([english, spanish], keras.layers.Dense(len(VOCAB), activation="softmax")(hidden))
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    seconds = translation.training_throughput(model, ["", "[UNK]", "i", "like", "soccer"], VOCAB,
                                              lengths=[2, 4], batch_size=3, repeats=2)
    assert list(seconds) == [2, 4] and all(s > 0 for s in seconds.values())
