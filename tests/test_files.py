"""Tests for helpers.files: work folders, recorded metrics, the one atomic write of the project."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import files

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No metrics or work-dir variable leaks in from the caller's shell; no metric from another test."""
    for name in (files.METRICS_ENV, files.WORK_DIR_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(files, "_recorded", {})


# --------------------------------------------------------------------------- record


def test_record_merges_into_metrics_file(monkeypatch, tmp_path):
    import tensorflow as tf

    target = tmp_path / "metrics.json"
    target.write_text(json.dumps({"earlier": 1}))
    monkeypatch.setenv(files.METRICS_ENV, str(target))

    assert files.record("accuracy", np.float32(0.75)) == 0.75
    assert type(files.record("steps", np.int64(12))) is int
    assert files.record("loss", tf.constant(0.5)) == 0.5
    assert files.record("scalar_array", np.array(3.0)) == 3.0
    files.record("accuracy", 0.8)  # overwritten, not duplicated
    files.record("notes", {"optimizer": "adam", "layers": [1, 2]})

    data = json.loads(target.read_text())
    assert data == {
        "earlier": 1,
        "accuracy": 0.8,
        "steps": 12,
        "loss": 0.5,
        "scalar_array": 3.0,
        "notes": {"optimizer": "adam", "layers": [1, 2]},
    }
    assert files.recorded() == {k: v for k, v in data.items() if k != "earlier"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_record_creates_missing_file_and_folder(monkeypatch, tmp_path):
    target = tmp_path / "run" / "metrics.json"
    monkeypatch.setenv(files.METRICS_ENV, str(target))
    files.record("bleu", 0.25)
    assert json.loads(target.read_text()) == {"bleu": 0.25}


def test_record_without_file_keeps_values_in_memory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert files.record("answer", 42) == 42
    assert files.recorded() == {"answer": 42}
    copy = files.recorded()
    copy["answer"] = 0
    assert files.recorded() == {"answer": 42}  # a copy is returned
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["", None, 3])
def test_record_rejects_bad_names(name):
    with pytest.raises(ValueError, match="metric name"):
        files.record(name, 1.0)


@pytest.mark.parametrize("value", [object(), {1, 2}, np.zeros(3)])
def test_record_rejects_values_json_cannot_hold(monkeypatch, tmp_path, value):
    target = tmp_path / "metrics.json"
    monkeypatch.setenv(files.METRICS_ENV, str(target))
    with pytest.raises(TypeError):
        files.record("bad", value)
    assert files.recorded() == {}
    assert not target.exists()


def test_atomic_write_text_replaces_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "sub" / "out.txt"
    assert files.atomic_write_text(path, "first") == path
    files.atomic_write_text(path, "second ✓")
    assert path.read_text(encoding="utf-8") == "second ✓"
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"]


def test_atomic_write_text_failure_keeps_old_file(monkeypatch, tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("good")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        files.atomic_write_text(path, "new")
    assert path.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


# --------------------------------------------------------------------------- work_dir


def test_work_dir_honours_env(monkeypatch, tmp_path):
    root = tmp_path / "work"
    monkeypatch.setenv(files.WORK_DIR_ENV, str(root))
    path = files.work_dir("char_rnn", "ckpt")
    assert path == root / "char_rnn" / "ckpt"
    assert path.is_dir()
    assert files.work_dir("char_rnn", "ckpt") == path  # existing folder is fine


def test_work_dir_defaults_to_outputs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    path = files.work_dir("figs")
    assert path == Path("outputs") / "figs"
    assert (tmp_path / "outputs" / "figs").is_dir()
    assert files.work_dir() == Path("outputs")


def test_atomic_write_text_keeps_permissions_and_makes_new_files_readable(tmp_path):
    import stat

    new = files.atomic_write_text(tmp_path / "new.txt", "a")
    assert stat.S_IMODE(new.stat().st_mode) == 0o644
    existing = tmp_path / "exec.sh"
    existing.write_text("old")
    existing.chmod(0o755)
    files.atomic_write_text(existing, "new")
    assert existing.read_text() == "new" and stat.S_IMODE(existing.stat().st_mode) == 0o755


# --------------------------------------------------------------------------- atomic_path


def test_atomic_path_keeps_the_suffix_and_publishes_only_on_success(tmp_path):
    target = tmp_path / "model.keras"
    with files.atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".keras" and tmp.name.startswith(".model.")
        assert not tmp.exists() and not target.exists()  # nothing under the final name yet
        tmp.write_bytes(b"v1")
    assert target.read_bytes() == b"v1"
    with pytest.raises(RuntimeError, match="crash"):
        with files.atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash while writing")
    assert target.read_bytes() == b"v1"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_atomic_path_says_when_nothing_was_written(tmp_path):
    with pytest.raises(FileNotFoundError, match="Nothing was written"):
        with files.atomic_path(tmp_path / "out.txt"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_temporary_path_is_deleted_even_when_kept_open_by_nobody(tmp_path):
    with files.temporary_path(tmp_path / "sub" / "archive.tar.gz") as tmp:
        tmp.write_bytes(b"x")
        assert tmp.parent == tmp_path / "sub" and tmp.name.endswith(".tmp.gz")
    assert list((tmp_path / "sub").iterdir()) == []


def test_files_imports_only_the_standard_library():
    """scripts/set_repo.py runs without the project's environment and imports helpers.files."""
    code = ("import sys; import helpers.files; "
            "print(sorted({'numpy', 'tensorflow', 'keras', 'matplotlib'} & set(sys.modules)))")
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env, cwd=REPO_ROOT).stdout
    assert out.strip() == "[]"


def test_files_holds_the_only_rename_over_a_file():
    """One atomic write for the project: no other module or script renames a temporary file itself."""
    sources = [*REPO_ROOT.glob("helpers/*.py"), *REPO_ROOT.glob("scripts/*.py")]
    offenders = [p.relative_to(REPO_ROOT).as_posix() for p in sources
                 if p.name != "files.py" and ("os.replace(" in p.read_text() or ".tmp\")" in p.read_text())]
    assert offenders == []
