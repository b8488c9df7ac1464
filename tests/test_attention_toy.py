"""Notebook 04's small illustrations: the 3-word self-attention toy (by hand, matched against Keras,
then shuffled) and the GPT / BERT cells. Their code cells are run here on their own (a few seconds),
and must print the same text twice, as their `# NBVAL_CHECK_OUTPUT` tag promises."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_transformer.ipynb"


def _section(first_heading: str, next_heading: str) -> list[str]:
    """The code cells between the markdown cell opening with first_heading and the next_heading one."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells]
    start = next(i for i, s in enumerate(sources) if s.startswith(first_heading))
    stop = next(i for i, s in enumerate(sources) if i > start and s.startswith(next_heading))
    return [s for c, s in zip(cells[start:stop], sources[start:stop]) if c["cell_type"] == "code"]


def _run(codes: list[str]) -> str:
    import keras
    import numpy as np

    from helpers import seq2seq

    namespace = {"np": np, "keras": keras, "seq2seq": seq2seq}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for code in codes:
            exec(compile(code, str(NOTEBOOK), "exec"), namespace)  # noqa: S102 (the course's own cells)
    return out.getvalue()


@pytest.fixture(scope="module")
def toy_cells():
    codes = _section("### Self-attention by hand", "### Masks, on a tiny example")
    assert len(codes) == 4 and all(c.startswith("# NBVAL_CHECK_OUTPUT\n") for c in codes)
    return codes


def test_the_hand_computation_matches_keras_and_shuffling_permutes_the_rows(toy_cells):
    printed = _run(toy_cells)
    assert "Keras output = hand output: True" in printed
    assert "Keras attention scores = hand softmax weights: True" in printed
    assert printed.count("= original output") == 3 and "False" not in printed
    assert "row sums: [1. 1. 1.]" in printed and "-0. " not in printed


def test_the_checked_cells_print_the_same_text_every_time(toy_cells):
    gpt_bert = _section("## GPT and BERT", "## Bad input")
    assert len(gpt_bert) == 2 and all(c.startswith("# NBVAL_CHECK_OUTPUT\n") for c in gpt_bert)
    first = _run(toy_cells + gpt_bert)
    assert first == _run(toy_cells + gpt_bert)
    assert "soccer [1 1 1 1 1]" in first and "     i [1 0 0 0 0]" in first  # the causal mask's rows
    masked_line = next(line for line in first.splitlines() if line.startswith("input:"))
    assert masked_line.count("[MASK]") == 2  # round(0.15 × 13 words)


def _cell(first_line: str) -> str:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    (code,) = ["".join(c["source"]) for c in cells if "".join(c["source"]).startswith(first_line)]
    return code


@pytest.mark.slow  # builds and trains a tiny Transformer: a few seconds
def test_the_transformer_layers_mask_the_loss_save_and_decode_alone(tmp_path):
    """04's EncoderLayer, DecoderLayer, decode and build_transformer at toy sizes: the loss ignores
    padded targets, the model reloads from a .keras file, the decoder alone gives the full model's
    probabilities, and the last layer's cross-attention weights sum to 1 over the English words."""
    import keras
    import numpy as np
    import tensorflow as tf

    from helpers import seq2seq

    namespace = {"keras": keras, "np": np, "tf": tf, "seq2seq": seq2seq, "SEED": 0, "VOCAB_EN": 20,
                 "VOCAB_ES": 20, "EMBED_SIZE": 8, "MAX_WORDS": 5, "N_LAYERS": 2, "N_HEADS": 2,
                 "FF_UNITS": 8, "DROPOUT": 0.1,
                 "text_vec_layer_en": keras.layers.TextVectorization(vocabulary=["a", "b"]),
                 "text_vec_layer_es": keras.layers.TextVectorization(vocabulary=["startofseq", "endofseq", "c"])}
    register = '@keras.saving.register_keras_serializable(package="course")\n'
    for first in [register + "class PositionalEncoding", register + "class EncoderLayer",
                  register + "class DecoderLayer", "def decode(decoder, ids", "def build_transformer(",
                  "model, encoder, decoder = build_transformer()", "def inside(inputs):"]:
        exec(compile(_cell(first), str(NOTEBOOK), "exec"), namespace)  # noqa: S102
    model, encoder = namespace["model"], namespace["encoder"]
    x = (tf.constant(["a b", "a"]), tf.constant(["startofseq c c", "startofseq"]))
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    padded, changed = np.array([[4, 4, 3], [3, 0, 0]]), np.array([[4, 4, 3], [3, 7, 7]])
    assert model.evaluate(x, padded, verbose=0) == pytest.approx(model.evaluate(x, changed, verbose=0))
    model.save(tmp_path / "t.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "t.keras")(x), model(x), atol=1e-6)
    ids, outputs = encoder(x[0][:1])
    alone = namespace["decoder_model"]([tf.constant([[2, 4]]), outputs, tf.not_equal(ids, 0)])
    full = model((x[0][:1], tf.constant(["startofseq c"])))
    np.testing.assert_allclose(alone, full, atol=1e-5)
    _, scores = namespace["inside"]((x[0][:1], x[1][:1]))
    assert scores.shape == (1, 2, 3, 2)
    np.testing.assert_allclose(np.asarray(scores).sum(axis=-1), 1, atol=1e-5)
