"""What TensorFlow's op determinism costs: training steps per second with and without it.

    python benchmarks/determinism.py [--repeats 3] [--steps 60]
    python benchmarks/determinism.py --smoke      # seconds: one short repeat (what the tests run)

``tf.config.experimental.enable_op_determinism()`` cannot be turned off once on, so every
measurement runs in its own Python process: the models of the course in miniature (the char-RNN's
GRU, a convolutional autoencoder, a Transformer-style attention block), trained for ``--steps``
batches after a warm-up, alternately without and with determinism. The figure that matters is the
ratio (deterministic time / default time) measured in the same run; it decides
``helpers.runtime.DETERMINISTIC_DEFAULT``. Each process also trains twice from the same seed and
says whether the two runs gave identical weights.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MODELS = ("gru", "conv", "attention")


def _model(kind: str):
    import keras

    if kind == "gru":  # notebook 01: Embedding -> GRU(128) -> softmax over 39 characters
        inputs = keras.Input((100,), dtype="int32")
        x = keras.layers.GRU(128, return_sequences=True)(keras.layers.Embedding(39, 16)(inputs))
        outputs = keras.layers.Dense(39, activation="softmax")(x)
    elif kind == "conv":  # notebooks 05-07: convolutions down and transposed convolutions up, 28 x 28
        inputs = keras.Input((28, 28, 1))
        x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
        x = keras.layers.MaxPooling2D()(x)
        x = keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(x)
        outputs = keras.layers.Conv2D(2, 3, padding="same", activation="softmax")(x)  # pixel on/off
    else:  # notebook 04: one self-attention block with dropout over 20 tokens
        inputs = keras.Input((20,), dtype="int32")
        x = keras.layers.Embedding(1000, 64)(inputs)
        x = x + keras.layers.MultiHeadAttention(4, 16, dropout=0.1)(x, x)
        outputs = keras.layers.Dense(1000, activation="softmax")(keras.layers.Dropout(0.1)(x))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _data(kind: str):
    import numpy as np

    rng = np.random.default_rng(0)
    if kind == "gru":
        x = rng.integers(0, 39, (64 * 32, 100))
        return x, np.roll(x, -1, axis=1)
    if kind == "conv":
        x = rng.random((64 * 32, 28, 28, 1), dtype="float32")
        return x, (x[..., 0] > 0.5).astype("int32")
    x = rng.integers(0, 1000, (64 * 32, 20))
    return x, np.roll(x, -1, axis=1)


def measure(kind: str, deterministic: bool, steps: int) -> dict:
    """In this process: seconds per training step, and whether two seeded runs gave the same weights."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    if deterministic:
        tf.config.experimental.enable_op_determinism()
    x, y = _data(kind)
    x, y = np.resize(x, (64 * steps,) + x.shape[1:]), np.resize(y, (64 * steps,) + y.shape[1:])
    weights, seconds = [], 0.0
    for run in range(2):
        keras.utils.set_random_seed(1)
        model = _model(kind)
        model.fit(x[:64 * 4], y[:64 * 4], batch_size=64, epochs=1, verbose=0)  # warm-up (tracing)
        start = time.perf_counter()
        model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=True)
        seconds = time.perf_counter() - start if run == 0 else seconds
        weights.append(np.concatenate([w.ravel() for w in model.get_weights()]))
    return {"kind": kind, "deterministic": deterministic, "seconds_per_step": seconds / steps,
            "repeatable": bool(np.array_equal(weights[0], weights[1]))}


def _in_process(kind: str, deterministic: bool, steps: int) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import determinism; "
            f"print(json.dumps(determinism.measure({kind!r}, {deterministic}, {steps})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--smoke", action="store_true", help="one repeat of a few steps, GRU only")
    args = parser.parse_args(argv)
    kinds, repeats, steps = (("gru",), 1, 8) if args.smoke else (MODELS, args.repeats, args.steps)
    print(f"{'model':10s} {'default s/step':>15s} {'deterministic':>14s} {'ratio':>7s}  repeatable (default, det.)")
    for kind in kinds:
        runs = {False: [], True: []}
        for _ in range(repeats):
            for deterministic in (False, True):  # alternately, so a change in load hits both
                runs[deterministic].append(_in_process(kind, deterministic, steps))
        best = {d: min(r["seconds_per_step"] for r in rs) for d, rs in runs.items()}
        same = {d: all(r["repeatable"] for r in rs) for d, rs in runs.items()}
        print(f"{kind:10s} {best[False]:15.4f} {best[True]:14.4f} {best[True] / best[False]:6.2f}x  "
              f"{same[False]}, {same[True]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
