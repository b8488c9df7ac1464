"""Every benchmark's seconds-long ``--smoke`` mode runs as its own process and prints ratios that parse."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RATIO = re.compile(r"\(?\s*(\d+(?:\.\d+)?)x\b\)?")


def _smoke(name: str) -> str:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="-1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), "--smoke"], capture_output=True,
                         text=True, timeout=300, env=env, cwd=ROOT)
    assert run.returncode == 0, f"benchmarks/{name} --smoke failed:\n{run.stderr[-3000:]}"
    return run.stdout


def _ratios(line: str) -> list[float]:
    return [float(value) for value in RATIO.findall(line)]


@pytest.mark.slow  # a TensorFlow process: 6-10 s on 2 shared cores
def test_generation_smoke_prints_a_row_of_ratios_for_the_same_text():
    rows = [line for line in _smoke("generation.py").splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 1, rows
    ratios = _ratios(rows[0])
    assert len(ratios) == 2 and all(r > 0 for r in ratios), rows[0]  # vs lecture, vs compiled
    assert rows[0].endswith("same text"), rows[0]


@pytest.mark.slow  # a TensorFlow process: 6-10 s on 2 shared cores
def test_translation_smoke_prints_ratios_for_greedy_and_beam():
    rows = [line for line in _smoke("translation.py").splitlines() if line.startswith(("greedy", "beam"))]
    assert rows and rows[0].startswith("greedy") and any(r.startswith("beam") for r in rows), rows
    for row in rows:
        ratios = _ratios(row)
        assert ratios and all(r > 0 for r in ratios), row


def test_generation_uses_notebook_01s_vocabulary():
    """The benchmark's character ids are the ones notebook 01 prints (and trains its models with)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generation
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    notebook = json.loads((ROOT / "notebooks" / "01_char_rnn.ipynb").read_text(encoding="utf-8"))
    printed = [line for cell in notebook["cells"] if cell["cell_type"] == "code"
               for out in cell.get("outputs", []) for line in "".join(out.get("text", "")).splitlines()
               if line.startswith("39 characters: ")]
    assert printed, "notebook 01 no longer prints its vocabulary as '39 characters: ...'"
    assert ast.literal_eval(printed[0].removeprefix("39 characters: ")) == generation.VOCABULARY
    assert generation.decode(generation.encode("To be, or not")) == "to be, or not"
    with pytest.raises(ValueError, match="outside notebook 01's vocabulary"):
        generation.encode("Zoë")


@pytest.mark.slow  # two TensorFlow processes: about 20 s on 2 shared cores
def test_determinism_smoke_prints_a_ratio_and_repeatability():
    rows = [line for line in _smoke("determinism.py").splitlines() if line.startswith("gru")]
    assert len(rows) == 1, rows
    (ratio,) = _ratios(rows[0])
    assert ratio > 0 and rows[0].endswith(("True, True", "False, True", "True, False", "False, False"))
