"""Notebook hygiene: structure every notebook shares, and clean stored outputs."""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from normalize_notebooks import normalize, problems  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"])


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param.name, json.loads(request.param.read_text(encoding="utf-8"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


def test_one_parameters_cell_and_no_other_cell_branches_on_the_profile(notebook):
    name, nb = notebook
    cells = code_cells(nb)
    tagged = [i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, f"{name}: expected exactly one cell tagged 'parameters', found {len(tagged)}"
    assert tagged[0] <= 2, f"{name}: the parameters cell should be near the top"
    assert "get_profile" in source(cells[tagged[0]])
    for i, cell in enumerate(cells):
        if i != tagged[0]:
            assert not re.search(r"\bPROFILE\b|\bpick\(|get_profile|chooser", source(cell)), (
                f"{name}: code cell {i} depends on the run profile; only the parameters cell may")


def test_opening_cells_follow_the_house_shape(notebook):
    name, nb = notebook
    first = source(nb["cells"][0])
    assert nb["cells"][0]["cell_type"] == "markdown" and first.startswith("# ")
    assert "colab.research.google.com" in first, f"{name}: title cell needs a Colab badge"
    setup = source(code_cells(nb)[0])
    assert "pip install" in setup and "tensorflow" not in setup.split("pip install")[1].split("\n")[0], (
        f"{name}: the setup cell must install only the helpers, never TensorFlow")


def test_stored_outputs_are_clean(notebook):
    name, nb = notebook
    assert problems(nb, name) == []


def test_stored_outputs_are_normalized(notebook):
    name, nb = notebook
    assert normalize(copy.deepcopy(nb)) == nb, f"{name}: run scripts/normalize_notebooks.py on it"


def test_stored_outputs_come_from_one_complete_run(notebook):
    name, nb = notebook
    counts = [c["execution_count"] for c in code_cells(nb)]
    assert all(isinstance(n, int) for n in counts), f"{name}: some cells were not executed"
    assert counts == list(range(1, len(counts) + 1)), f"{name}: outputs from more than one run"
    assert not any(o["output_type"] == "error" for c in code_cells(nb) for o in c["outputs"])


def test_normalizer_fixes_the_usual_noise():
    nb = {"metadata": {"papermill": {}}, "cells": [{"cell_type": "code", "metadata": {"execution": {}},
          "execution_count": 1, "source": "", "outputs": [
              {"output_type": "stream", "name": "stderr", "text": "I0000 oneDNN\n"},
              {"output_type": "stream", "name": "stdout",
               "text": "\x1b[1m118/118\x1b[0m - 25s - 216ms/step - accuracy: 0.22\n"},
              {"output_type": "stream", "name": "stdout",
               "text": "50%\r100%\nsaved /home/ann/course/outputs/model.keras\n"}]}]}
    clean = normalize(nb)
    (out,) = clean["cells"][0]["outputs"]
    assert out["name"] == "stdout"
    assert out["text"] == "118/118 - accuracy: 0.22\n100%\nsaved <path>/model.keras\n"
    assert clean["metadata"] == {} and clean["cells"][0]["metadata"] == {}
    assert problems(clean) == []
    assert len(problems({"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stderr", "text": "x"}]}]})) == 1


# --------------------------------------------------------------------------- numbers in the markdown

# A measured-looking number in the markdown (a decimal, a percentage or a ratio such as 1.4×) must appear,
# at the precision it is written, in the code or the stored outputs of a cell above it. Numbers quoted
# from the lecture, a paper or a library's release notes are listed here with where they come from.
QUOTED_NUMBERS: dict[str, set[str]] = {
    "01_char_rnn": {"1.55", "0.551"},  # the textbook's own 10-epoch run on this task: val loss, accuracy
    "02_imdb_sentiment": {"90%", "3.4", "50,000", "30,000"},  # the lecture's USE accuracy; the offline
    # encoder's weights (M); IMDb's size (Maas et al. 2011); an exercise's vocabulary-size range
    "05_autoencoders": {"3.14", "3.13"},  # Keras versions
    "06_vae": {"0.90"},  # the quality classifier's required test accuracy (helpers.quality._MIN_TEST_ACCURACY)
    "03_nmt_rnn": {"95%"},  # the bootstrap interval's confidence level (a convention, not a measurement)
    "04_transformer": {"95%"},  # the same
}

_MEASURED = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?\s?%"  # a percentage
    r"|\d+(?:\.\d+)?\s?×(?!\s?\d)"  # a ratio such as 1.4× (not 28×28)
    r"|\d+(?:,\d{3})*\.\d+"  # a decimal
    r"|\d{1,3}(?:,\d{3})+(?![\d.])"  # a count such as 1,564 (steps, pairs, parameters)
    r"|\d+(?:\.\d+)?\s?(?:s|seconds|min|minutes)\b(?!-))"  # a duration such as 235 s
)
_ANY_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def _prose(text: str) -> str:
    """Markdown without formulas, code spans, HTML tags, link targets and figure numbers."""
    for pattern in (r"\$\$.*?\$\$", r"\$[^$]*\$", r"`[^`]*`", r"<[^>]+>", r"\]\([^)]*\)", r"Figure \d+-\d+"):
        text = re.sub(pattern, " ", text, flags=re.S)
    return text


def _matches(token: str, seen: list[float]) -> bool:
    plain = re.sub(r"\s?(?:s|seconds|min|minutes)$", "", token.strip()).replace(",", "").rstrip("%× ").strip()
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    value = float(plain)
    candidates = [(value, decimals)] + ([(value / 100, decimals + 2)] if token.rstrip().endswith("%") else [])
    return any(abs(abs(s) - v) <= 0.5 * 10**-d + 1e-9 for s in seen for v, d in candidates)


def unsupported_numbers(nb: dict, quoted: set[str] = frozenset()) -> list[tuple[int, str]]:
    """(cell index, number) for every measured-looking markdown number no cell above shows."""
    seen: list[float] = []
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            texts = [source(cell)] + ["".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                                      for o in cell.get("outputs", [])]
            seen += [float(m.replace(",", "")) for t in texts for m in _ANY_NUMBER.findall(t)]
        elif cell["cell_type"] == "markdown":
            found += [(i, tok.strip()) for tok in _MEASURED.findall(_prose(source(cell)))
                      if tok.strip() not in quoted and not _matches(tok, seen)]
    return found


def test_markdown_numbers_come_from_cells_above(notebook):
    name, nb = notebook
    stem = name.removesuffix(".ipynb")
    assert unsupported_numbers(nb, QUOTED_NUMBERS.get(stem, set())) == [], (
        f"{name}: numbers in the markdown that no cell above computes (compute them above, phrase the "
        "sentence without them, or list a quoted figure in QUOTED_NUMBERS with its source)")


def test_the_number_check_catches_a_number_quoted_before_its_cell():
    cells = [{"cell_type": "markdown", "source": "The GRU reaches 0.87 accuracy (about 1.4× faster)."},
             {"cell_type": "code", "source": "acc = 0.8712", "outputs": [
                 {"output_type": "stream", "text": "speed-up 1.43\n"}]},
             {"cell_type": "markdown", "source": "It reached 0.87, 87% and 1.4× on 28×28 images; $x = 0.5$."}]
    assert unsupported_numbers({"cells": cells}) == [(0, "0.87"), (0, "1.4×")]


def test_the_number_check_catches_counts_and_durations_of_one_run():
    cells = [{"cell_type": "code", "source": "STEPS = 1564", "outputs": [
                 {"output_type": "stream", "text": "trained 300 steps in 85.2 s\n"}]},
             {"cell_type": "markdown", "source": "It saw 358,400 pairs in 235 s (48 s against 85 s), "
                                                "and 1,564 against 300 steps; 60,000 images."}]
    assert unsupported_numbers({"cells": cells}) == [(1, "358,400"), (1, "235 s"), (1, "48 s"),
                                                     (1, "60,000")]
