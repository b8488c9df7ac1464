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
