"""Sentences per second: fast greedy / beam-search translation vs the lecture's approach.

    python benchmarks/translation.py [--sentences 16] [--beam-sentences 4] [--widths 3 5]
    python benchmarks/translation.py --model notebooks/outputs/03_nmt_rnn/lstm.keras

Both approaches run on the same LSTM encoder-decoder, in the same process:
- lecture greedy: ``translate()`` calls ``model.predict`` on the whole model (English sentence +
  growing Spanish prefix) once per output word, one sentence at a time;
- lecture beam search: the textbook's beam search, one ``model.predict`` call per hypothesis per
  step and a Python loop over the vocabulary to build the candidates;
- fast: ``helpers.seq2seq.greedy_decode`` (encoder once, decoder step with the carried LSTM
  state, all sentences in one batch) and ``seq2seq.beam_search`` (one step call for the whole
  beam).
The default model has random weights (speed does not depend on training; random weights rarely
predict ``endofseq``, so every sentence runs to the maximum length: the worst case for both).
``--model`` loads the plain LSTM model saved by notebook 03 (``outputs/03_nmt_rnn/lstm.keras``)
and rebuilds the same architecture around its vocabularies and weights.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import seq2seq  # noqa: E402


def build(vocab_en, vocab_es, embed_size=128, units=256, max_length=12):
    """The notebook-03 LSTM encoder-decoder (string inputs) plus its encoder and step models."""
    tv_en = keras.layers.TextVectorization(vocabulary=vocab_en[2:], output_sequence_length=max_length)
    tv_es = keras.layers.TextVectorization(vocabulary=vocab_es[2:], output_sequence_length=max_length)
    enc_in, dec_in = keras.Input(shape=[], dtype="string"), keras.Input(shape=[], dtype="string")
    enc_ids = tv_en(enc_in)
    emb_en = keras.layers.Embedding(len(vocab_en), embed_size, mask_zero=True)
    emb_es = keras.layers.Embedding(len(vocab_es), embed_size, mask_zero=True)
    _, h, c = keras.layers.LSTM(units, return_sequences=True, return_state=True)(emb_en(enc_ids))
    decoder = keras.layers.LSTM(units, return_sequences=True, return_state=True)
    out, _, _ = decoder(emb_es(tv_es(dec_in)), initial_state=[h, c])
    dense = keras.layers.Dense(len(vocab_es), activation="softmax")
    model = keras.Model([enc_in, dec_in], dense(out))
    token, h_in, c_in = keras.Input(shape=(1,), dtype="int32"), keras.Input(shape=(units,)), keras.Input(shape=(units,))
    s_out, s_h, s_c = decoder(emb_es(token), initial_state=[h_in, c_in])
    step_model = keras.Model([token, h_in, c_in], [dense(s_out), s_h, s_c])
    return model, keras.Model(enc_in, [h, c]), step_model


def from_notebook(path):
    loaded = keras.models.load_model(path)
    tvs = [l for l in loaded.layers if isinstance(l, keras.layers.TextVectorization)]
    emb = next(l for l in loaded.layers if isinstance(l, keras.layers.Embedding))
    lstm = next(l for l in loaded.layers if isinstance(l, keras.layers.LSTM))
    vocab_en, vocab_es = ([str(w) for w in t.get_vocabulary()] for t in tvs)
    max_length = tvs[0].get_config()["output_sequence_length"]
    built = build(vocab_en, vocab_es, emb.output_dim, lstm.units, max_length)
    built[0].set_weights(loaded.get_weights())
    return built, vocab_es, max_length


def lecture_translate(model, vocab_es, sentence, max_length):
    translation = ""
    for word_idx in range(max_length):
        y_proba = model.predict((tf.constant([sentence]), tf.constant(["startofseq " + translation])),
                                verbose=0)[0, word_idx]
        word = vocab_es[np.argmax(y_proba)]
        if word == "endofseq":
            break
        translation += " " + word
    return translation.strip()


def lecture_beam_search(model, vocab_es, sentence, beam_width, max_length):
    """The textbook's beam search: one predict() per hypothesis, a Python loop over the vocabulary."""
    top = [(0.0, "")]
    for word_idx in range(max_length):
        candidates = []
        for log_proba, translation in top:
            if translation.endswith("endofseq"):
                candidates.append((log_proba, translation))
                continue
            y_proba = model.predict((tf.constant([sentence]), tf.constant(["startofseq " + translation])),
                                    verbose=0)[0, word_idx]
            for word_id, word_proba in enumerate(y_proba):
                word = vocab_es[word_id]
                candidates.append((log_proba + np.log(max(word_proba, 1e-12)), f"{translation} {word}"))
        top = sorted(candidates, reverse=True)[:beam_width]
        if all(t.endswith("endofseq") for _, t in top):
            break
    return top[0][1].replace("endofseq", "").strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=16)
    parser.add_argument("--beam-sentences", type=int, default=4)
    parser.add_argument("--widths", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--model", help="a .keras LSTM model saved by notebook 03")
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    max_length = 12
    if args.model:
        (model, encoder, step_model), vocab_es, max_length = from_notebook(args.model)
    else:
        vocab_en = ["", "[UNK]"] + [f"w{i}" for i in range(1500)]
        vocab_es = ["", "[UNK]", "startofseq", "endofseq"] + [f"p{i}" for i in range(1500)]
        model, encoder, step_model = build(vocab_en, vocab_es, max_length=max_length)
    rng = np.random.default_rng(0)
    sentences = [" ".join(f"w{i}" for i in rng.integers(0, 1500, size=rng.integers(3, 9)))
                 for _ in range(args.sentences)]
    start_id, end_id = vocab_es.index("startofseq"), vocab_es.index("endofseq")
    encoder_fn = tf.function(encoder, reduce_retracing=True)
    step_fn = tf.function(step_model, reduce_retracing=True)

    def encode(batch):
        return list(encoder_fn(tf.constant(list(batch))))

    def decode_step(last, state):
        proba, h, c = step_fn([tf.constant(last[:, None]), *state])
        return np.log(np.maximum(proba.numpy()[:, 0], 1e-12)), [h, c]

    opts = dict(start_id=start_id, end_id=end_id, max_length=max_length)
    seq2seq.greedy_decode(encode, decode_step, sentences, **opts)  # warm-up: trace the functions
    seq2seq.greedy_decode(encode, decode_step, sentences[:1], **opts)
    for w in args.widths:
        seq2seq.beam_search(encode, decode_step, sentences[0], beam_width=w, **opts)
    lecture_translate(model, vocab_es, sentences[0], 2)

    def rate(fn, items):
        start = time.perf_counter()
        out = [fn(s) for s in items]
        return len(items) / (time.perf_counter() - start), out

    print(f"model: {model.count_params():,} parameters, target vocabulary {len(vocab_es):,}, max length {max_length}")
    slow, slow_out = rate(lambda s: lecture_translate(model, vocab_es, s, max_length), sentences)
    start = time.perf_counter()
    ids, _ = seq2seq.greedy_decode(encode, decode_step, sentences, **opts)
    fast = len(sentences) / (time.perf_counter() - start)
    fast_one, _ = rate(lambda s: seq2seq.greedy_decode(encode, decode_step, [s], **opts), sentences)
    same = [seq2seq.ids_to_text(i, vocab_es) for i in ids] == slow_out
    print(f"greedy   lecture {slow:8.2f} sent/s | fast batched {fast:8.1f} sent/s ({fast / slow:6.1f}x) | "
          f"fast one at a time {fast_one:7.1f} sent/s ({fast_one / slow:5.1f}x) | same output: {same}")
    for w in args.widths:
        items = sentences[: args.beam_sentences]
        slow, slow_out = rate(lambda s: lecture_beam_search(model, vocab_es, s, w, max_length), items)
        fast, fast_out = rate(lambda s: seq2seq.beam_search(encode, decode_step, s, beam_width=w, **opts), items)
        same = [seq2seq.ids_to_text(h[0][0], vocab_es) for h in fast_out] == slow_out
        print(f"beam {w}   lecture {slow:8.2f} sent/s | fast {fast:8.1f} sent/s ({fast / slow:6.1f}x) | same best: {same}")


if __name__ == "__main__":
    main()
