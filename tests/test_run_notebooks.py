"""Tests for scripts/run_notebooks.py: the demo report names the quality threshold a notebook missed."""

from __future__ import annotations

import json
import os
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


def _stub_run(monkeypatch, claims_by_seed, seen):
    """papermill stand-in that records its environment and writes the claims a notebook would."""
    import json
    import os

    import papermill

    def execute(src, out, **kwargs):
        seed = os.environ.get("COURSE_SEED")
        seen.append((Path(src).stem, seed, os.environ["COURSE_STRICT"], os.environ.get("COURSE_WORK_DIR")))
        holds = claims_by_seed[seed]
        Path(os.environ["COURSE_METRICS_FILE"]).write_text(json.dumps({"acc": 0.5 + int(seed or 0) / 10,
            "claims": [{"claim": "it learns", "holds": holds, "checked": True, "evidence": "acc"}]}))
        Path(out).write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))

    monkeypatch.setattr(papermill, "execute_notebook", execute)


def test_a_failed_claim_fails_the_run_and_is_never_stored(monkeypatch, tmp_path):
    notebook = tmp_path / "01_a.ipynb"
    notebook.write_text("the stored notebook", encoding="utf-8")
    seen = []
    _stub_run(monkeypatch, {None: False}, seen)
    (tmp_path / "build").mkdir()
    result = run_notebooks.run_one(notebook, tmp_path / "build", "demo", store=True)
    assert (result["status"], result["error"]) == ("claim failed", "it learns")
    assert seen == [("01_a", None, "record", None)]
    assert notebook.read_text(encoding="utf-8") == "the stored notebook"
    report = run_notebooks.write_report([result], tmp_path / "build", "demo").read_text()
    assert "| 0/1 | it learns |" in report


def test_an_exercise_check_that_cannot_fail_fails_the_run(monkeypatch, tmp_path):
    import papermill

    def execute(src, out, **kwargs):  # a starter-stage check that passed: the check cannot fail
        Path(os.environ["COURSE_METRICS_FILE"]).write_text(json.dumps({"exercises": [
            {"name": "top_k", "stage": "starter", "passed": True, "problems": [], "as_expected": False},
            {"name": "top_k", "stage": "solution", "passed": True, "problems": [], "as_expected": True}]}))
        Path(out).write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    notebook = tmp_path / "01_a.ipynb"
    notebook.write_text("the stored notebook", encoding="utf-8")
    (tmp_path / "build").mkdir()
    result = run_notebooks.run_one(notebook, tmp_path / "build", "demo", store=True)
    assert result["status"] == "exercise check failed"
    assert "exercise top_k cannot fail on the starter" in result["error"]
    assert "exercises" not in result["metrics"] and len(result["exercises"]) == 2
    assert notebook.read_text(encoding="utf-8") == "the stored notebook"  # never stored


def test_the_seed_sweep_runs_each_seed_apart_and_marks_claims_that_failed_at_one(monkeypatch, tmp_path):
    (tmp_path / "01_a.ipynb").write_text("{}")
    monkeypatch.setattr(run_notebooks, "NOTEBOOKS", tmp_path)
    seen = []
    _stub_run(monkeypatch, {"0": True, "1": True, "2": False}, seen)
    code = run_notebooks.main(["--seeds", "0,1,2", "--profile", "demo", "--out", str(tmp_path / "build")])
    assert code == 1
    assert [(s, strict) for _, s, strict, _ in seen] == [("0", "record"), ("1", "record"), ("2", "record")]
    assert [Path(w).parent.name for *_, w in seen] == ["seed-0", "seed-1", "seed-2"]
    summary = (tmp_path / "build" / "seeds.md").read_text()
    assert "0 of 1 checked claims held at every seed." in summary
    assert "| acc | 0.5 | 0.6 | 0.7 | 0.5 | 0.6 | 0.7 |" in summary
    assert "✘ **failed at a seed**" in summary
    (tmp_path / "02_b.ipynb").write_text("{}")  # a later sweep of another notebook joins the summary
    _stub_run(monkeypatch, {"0": True, "1": True, "2": True}, seen)
    assert run_notebooks.main(["--seeds", "0,1,2", "02", "--out", str(tmp_path / "build")]) == 0
    summary = (tmp_path / "build" / "seeds.md").read_text()
    assert "## 01_a.ipynb" in summary and "## 02_b.ipynb" in summary
    assert "1 of 2 checked claims held at every seed." in summary
    with pytest.raises(SystemExit):
        run_notebooks.main(["--seeds", "0,x"])
    with pytest.raises(SystemExit):
        run_notebooks.main(["--seeds", "0", "--store"])


def test_store_copies_the_saved_results_for_other_notebooks(monkeypatch, tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "06_vae.json").write_text('{"data": {"fid": 30}}')
    monkeypatch.setattr(run_notebooks, "STORED_RESULTS", tmp_path / "stored")
    assert run_notebooks.store_results("06_vae", folder).read_text() == '{"data": {"fid": 30}}'
    assert run_notebooks.store_results("07_gans", folder) is None


def test_a_run_leaves_the_callers_environment_as_it_was(monkeypatch, tmp_path):
    """The profile, seed, work folder and strictness of a run are the kernel's only: under pytest a
    leak would make every later notebook's kernel run at that profile and seed, unchecked."""
    import os

    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv("COURSE_STRICT", "1")
    monkeypatch.delenv("COURSE_SEED", raising=False)
    monkeypatch.delenv("COURSE_WORK_DIR", raising=False)
    before = dict(os.environ)
    seen = []
    _stub_run(monkeypatch, {"2": True}, seen)
    (tmp_path / "build").mkdir()
    notebook = tmp_path / "01_a.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    result = run_notebooks.run_one(notebook, tmp_path / "build", "demo", store=False, seed=2,
                                   work_dir=tmp_path / "work")
    assert result["status"] == "ok"
    assert seen == [("01_a", "2", "record", str(tmp_path / "work"))]  # the kernel saw the run's
    assert dict(os.environ) == before
