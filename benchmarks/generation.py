"""Characters per second: carried-state generation (O(n)) vs the lecture's re-prediction (O(n²)).

    python benchmarks/generation.py [--lengths 100 300 1000] [--model path/to/model.keras]
    python benchmarks/generation.py --smoke          # seconds: one short length (what the tests run)
    python benchmarks/generation.py --model notebooks/outputs/01_char_rnn/shakespeare_model.keras

Both generators run on the same model in the same process, with the same sampler and seed (so
they produce the same text, which is checked); the ratio is what matters, not the absolute speed.
A second baseline re-predicts through one compiled function instead of `predict()`, to separate
the algorithmic gain (O(n²) → O(n)) from `predict()`'s fixed cost per call.
The default model is the notebook's architecture (Embedding(39, 16) → GRU(128) → Dense softmax)
with random weights: speed does not depend on training. ``--model`` times a char-RNN trained by
notebook 01 instead, with notebook 01's own character ids (``VOCABULARY``), so its text reads as
Shakespeare; a sample is printed.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from helpers import decoding  # noqa: E402

VOCABULARY = " etoaihsrn\nldumyw,cfgbp:kv.';?!-jqxz3&$"
"""Notebook 01's character ids, in order: its ``TextVectorization(split="character", standardize="lower")``
adapted on Tiny Shakespeare orders the 39 characters by frequency (ids 0 and 1, padding and unknown,
are dropped). A model trained there predicts these ids; ``tests/test_benchmarks.py`` checks this
string against the vocabulary notebook 01 prints."""


def encode(text: str) -> list[int]:
    """Text -> notebook 01's character ids (lowercased, like its ``TextVectorization``)."""
    ids = [VOCABULARY.find(ch) for ch in text.lower()]
    if -1 in ids:
        raise ValueError(f"{text!r} has characters outside notebook 01's vocabulary {VOCABULARY!r}.")
    return ids


def decode(ids) -> str:  # noqa: ANN001
    """Character ids -> text."""
    return "".join(VOCABULARY[int(i)] for i in ids)


def extend_by_compiled_calls(model: keras.Model, prompt: str, n: int, seed: int) -> str:
    """Re-prediction like the lecture's, but through one compiled function for every length.

    This is the best case for re-prediction (no ``predict()`` overhead, no retracing), so the
    ratio against it isolates the algorithmic gain of carrying the state. The same function
    notebook 01 times: ``decoding.extend_text_by_reprediction(..., compiled=True)``.
    """
    return decoding.extend_text_by_reprediction(model, prompt, n, encode=encode, decode=decode,
                                                vocab_size=len(VOCABULARY), seed=seed, compiled=True)


def build_model() -> keras.Model:
    keras.utils.set_random_seed(42)
    return keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        keras.layers.Embedding(len(VOCABULARY), 16),
        keras.layers.GRU(128, return_sequences=True),
        keras.layers.Dense(len(VOCABULARY), activation="softmax"),
    ])


def load_model(path: str) -> keras.Model:
    """A char-RNN saved by notebook 01, checked to predict notebook 01's character ids."""
    model = keras.models.load_model(path)
    outputs = model.output_shape[-1]
    if outputs != len(VOCABULARY):
        raise SystemExit(f"{path}: the model predicts {outputs} classes, but notebook 01's vocabulary has "
                         f"{len(VOCABULARY)} characters; pass a char-RNN saved by notebook 01.")
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--model", help="a char-RNN .keras file saved by notebook 01 (default: random weights)")
    parser.add_argument("--smoke", action="store_true", help="one length of 10 characters: seconds, for the tests")
    args = parser.parse_args(argv)
    lengths = [10] if args.smoke else args.lengths
    model = load_model(args.model) if args.model else build_model()
    stepper = decoding.CharStepper(model)
    prompt = "to be or not to be"
    # warm-up: trace the step function and the predict function once
    stepper.generate(prompt, 2, encode=encode, decode=decode, seed=0)
    decoding.extend_text_by_reprediction(model, prompt, 2, encode=encode, decode=decode,
                                         vocab_size=stepper.vocab_size, seed=0)
    extend_by_compiled_calls(model, prompt, 2, seed=0)
    print(f"{'chars':>6} {'lecture (predict)':>18} {'compiled calls':>14} {'carried state':>14}"
          f" {'vs lecture':>11} {'vs compiled':>11}")
    for n in lengths:
        timings, texts = [], []
        for generate in (
            lambda: decoding.extend_text_by_reprediction(
                model, prompt, n, encode=encode, decode=decode, vocab_size=stepper.vocab_size, seed=1),
            lambda: extend_by_compiled_calls(model, prompt, n, seed=1),
            lambda: stepper.generate(prompt, n, encode=encode, decode=decode, seed=1),
        ):
            start = time.perf_counter()
            texts.append(generate())
            timings.append(time.perf_counter() - start)
        lecture_s, compiled_s, fast_s = timings
        same = "same text" if len(set(texts)) == 1 else "TEXTS DIFFER"
        print(f"{n:6d} {n / lecture_s:13.1f} ch/s {n / compiled_s:9.1f} ch/s {n / fast_s:9.1f} ch/s"
              f" {lecture_s / fast_s:10.1f}x {compiled_s / fast_s:10.1f}x  {same}", flush=True)
    if args.model:
        print(f"sample: {texts[-1]!r}")


if __name__ == "__main__":
    main()
