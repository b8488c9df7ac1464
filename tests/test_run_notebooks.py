"""Tests for scripts/run_notebooks.py: the demo report names the quality threshold a notebook missed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from papermill.exceptions import PapermillExecutionError  # noqa: E402

import run_notebooks  # noqa: E402


def _failure(ename: str, evalue: str) -> PapermillExecutionError:
    return PapermillExecutionError(cell_index=3, exec_count=3, source="assert acc >= MIN", ename=ename,
                                   evalue=evalue, traceback=[])


def test_a_failed_assert_is_reported_as_the_missed_threshold():
    assert run_notebooks.missed_threshold(_failure("AssertionError", "test accuracy 0.812 < 0.85")) == (
        "test accuracy 0.812 < 0.85")
    assert run_notebooks.missed_threshold(_failure("ValueError", "bad shape")) == ""
    assert run_notebooks.missed_threshold(RuntimeError("kernel died")) == ""


def test_the_report_marks_the_notebook_that_missed_a_threshold(tmp_path):
    results = [{"notebook": "01_a.ipynb", "status": "ok", "seconds": 60.0, "metrics": {"acc": 0.9},
                "error": "", "missed_threshold": ""},
               {"notebook": "02_b.ipynb", "status": "failed", "seconds": 90.0, "metrics": {},
                "error": "AssertionError: x", "missed_threshold": "val MSE 0.03 > 0.02 | stacked"}]
    report = run_notebooks.write_report(results, tmp_path, "demo").read_text()
    rows = {line.split("|")[1].strip(): line for line in report.splitlines() if line.startswith("| 0")}
    assert "missed a threshold" in rows["02_b.ipynb"] and "val MSE 0.03 > 0.02" in rows["02_b.ipynb"]
    assert "missed a threshold" not in rows["01_a.ipynb"] and "| ok |" in rows["01_a.ipynb"]
