"""Sentences per second: fast greedy / beam-search translation vs the lecture's approach.

    python benchmarks/translation.py [--sentences 16] [--beam-sentences 4] [--widths 3 5]
    python benchmarks/translation.py --model notebooks/outputs/03_nmt_rnn/lstm.keras
    python benchmarks/translation.py --smoke      # seconds: a tiny model, to check the script runs

Both approaches run on the same LSTM encoder-decoder, in the same process:
- lecture greedy: ``translate()`` calls ``model.predict`` on the whole model (English sentence +
  growing Spanish prefix) once per output word, one sentence at a time;
- lecture beam search: the textbook's beam search, one ``model.predict`` call per hypothesis per
  step and a Python loop over the vocabulary to build the candidates;
- fast: ``helpers.translation.Translator`` as the notebooks use it: greedy (encoder once, decoder
  step with the carried LSTM state, all sentences in one batch) and beam search (one step call
  for the whole beam).
The default model has the demo profile's sizes (8,000 Spanish words, 256 units) and random weights (speed does not depend on training; random weights rarely
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

from helpers import translation  # noqa: E402


def build(vocab_en, vocab_es, embed_size=128, units=256):
    """The notebook-03 LSTM encoder-decoder (string inputs) plus its encoder and step models."""
    tv_en = keras.layers.TextVectorization(vocabulary=vocab_en[2:])
    tv_es = keras.layers.TextVectorization(vocabulary=vocab_es[2:])
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
    built = build(vocab_en, vocab_es, emb.output_dim, lstm.units)
    built[0].set_weights(loaded.get_weights())
    return built, vocab_es


def lecture_beam_search(model, vocab_es, sentence, beam_width, max_length):
    """The textbook's beam search: one predict() per hypothesis, a Python loop over the vocabulary."""
    top = [(0.0, "")]
    for word_idx in range(max_length):
        candidates = []
        for log_proba, so_far in top:
            if so_far.endswith("endofseq"):
                candidates.append((log_proba, so_far))
                continue
            y_proba = model.predict((tf.constant([sentence]), tf.constant(["startofseq " + so_far])),
                                    verbose=0)[0, word_idx]
            for word_id, word_proba in enumerate(y_proba):
                word = vocab_es[word_id]
                candidates.append((log_proba + np.log(max(word_proba, 1e-12)), f"{so_far} {word}"))
        top = sorted(candidates, reverse=True)[:beam_width]
        if all(t.endswith("endofseq") for _, t in top):
            break
    return top[0][1].replace("endofseq", "").strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=16)
    parser.add_argument("--beam-sentences", type=int, default=4)
    parser.add_argument("--widths", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--max-length", type=int, default=21, help="output words (demo: 2 × 10 + 1)")
    parser.add_argument("--model", help="a .keras LSTM model saved by notebook 03")
    parser.add_argument("--smoke", action="store_true", help="a tiny model and 2 sentences: seconds")
    args = parser.parse_args()
    words, units = (8_000, 256) if not args.smoke else (200, 16)
    if args.smoke:
        args.sentences, args.beam_sentences, args.widths, args.max_length = 2, 1, [2], 4

    keras.utils.set_random_seed(0)
    max_length = args.max_length
    if args.model:
        (model, encoder, step_model), vocab_es = from_notebook(args.model)
    else:
        vocab_en = ["", "[UNK]"] + [f"w{i}" for i in range(6_000)]
        vocab_es = ["", "[UNK]", "startofseq", "endofseq"] + [f"p{i}" for i in range(words - 4)]
        model, encoder, step_model = build(vocab_en, vocab_es, embed_size=min(128, units), units=units)
        # random weights give a nearly uniform softmax over 8,000 words, where float32 rounding
        # decides between near-ties; a larger output kernel makes the choices clear-cut, as in a
        # trained model, so that both beam searches can be checked for the same answer
        dense = model.layers[-1]
        dense.kernel.assign(dense.kernel * 30.0)
    rng = np.random.default_rng(0)
    sentences = [" ".join(f"w{i}" for i in rng.integers(0, 1500, size=rng.integers(3, 9)))
                 for _ in range(args.sentences)]
    encoder_fn = tf.function(encoder, reduce_retracing=True)
    step_fn = tf.function(step_model, reduce_retracing=True)

    def encode(batch):
        return list(encoder_fn(tf.constant(list(batch))))

    def decode_step(last, state):
        proba, h, c = step_fn([tf.constant(last[:, None]), *state])
        return np.log(np.maximum(proba.numpy()[:, 0], 1e-12)), [h, c]

    fast_translator = translation.Translator(encode, decode_step, vocab_es, max_length=max_length)
    fast_translator.greedy(sentences)  # warm-up: trace the functions
    fast_translator.greedy(sentences[:1])
    for w in args.widths:
        fast_translator.beam(sentences[0], w)
    translation.lecture_translate(model, vocab_es, sentences[0], 2)  # the lecture's translate()

    def rate(fn, items):
        start = time.perf_counter()
        out = [fn(s) for s in items]
        return len(items) / (time.perf_counter() - start), out

    print(f"model: {model.count_params():,} parameters, target vocabulary {len(vocab_es):,}, max length {max_length}")
    slow, slow_out = rate(lambda s: translation.lecture_translate(model, vocab_es, s, max_length),
                              sentences)
    start = time.perf_counter()
    fast_out = fast_translator.greedy(sentences)
    fast = len(sentences) / (time.perf_counter() - start)
    fast_one, _ = rate(lambda s: fast_translator.greedy([s]), sentences)
    same = fast_out == slow_out
    print(f"greedy   lecture {slow:8.2f} sent/s | fast batched {fast:8.1f} sent/s ({fast / slow:6.1f}x) | "
          f"fast one at a time {fast_one:7.1f} sent/s ({fast_one / slow:5.1f}x) | same output: {same}")
    for w in args.widths:
        items = sentences[: args.beam_sentences]
        slow, slow_out = rate(lambda s: lecture_beam_search(model, vocab_es, s, w, max_length), items)
        fast, fast_out = rate(lambda s: fast_translator.beam(s, w)[0], items)
        same = fast_out == slow_out
        print(f"beam {w}   lecture {slow:8.2f} sent/s | fast {fast:8.1f} sent/s ({fast / slow:6.1f}x) | same best: {same}")


if __name__ == "__main__":
    main()
