"""Tests for scripts/run_notebooks.py: the demo report names the quality threshold a notebook missed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

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


def _stub_papermill(monkeypatch, text):
    """papermill.execute_notebook that 'runs' a notebook by writing ``text`` as its executed copy."""
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook",
                        lambda src, out, **kwargs: Path(out).write_text(text, encoding="utf-8"))


def test_store_writes_the_notebook_atomically(monkeypatch, tmp_path):
    import json
    import os

    notebook = tmp_path / "01_a.ipynb"
    notebook.write_text("the stored notebook", encoding="utf-8")
    executed = json.dumps({"cells": [], "metadata": {"papermill": {"duration": 1.0}}, "nbformat": 4,
                           "nbformat_minor": 5})
    (tmp_path / "build").mkdir()
    _stub_papermill(monkeypatch, executed)
    real_replace = os.replace

    def replace(src, dst):  # the executed copy in build/ is written, the stored notebook fails
        if Path(dst) == notebook:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        run_notebooks.run_one(notebook, tmp_path / "build", "smoke", store=True)
    assert notebook.read_text(encoding="utf-8") == "the stored notebook"  # never half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01_a.ipynb", "build"]  # no temporary left
    monkeypatch.undo()
    _stub_papermill(monkeypatch, executed)
    result = run_notebooks.run_one(notebook, tmp_path / "build", "smoke", store=True)
    assert result["status"] == "ok"
    stored = json.loads(notebook.read_text(encoding="utf-8"))
    assert "papermill" not in stored["metadata"]  # normalized before it was stored
