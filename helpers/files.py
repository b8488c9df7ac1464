"""Files a notebook or a script writes: work folders, recorded metrics and atomic writes.

Every file the course writes goes through ``atomic_path`` (``atomic_write_text`` for text), so a
crash or a full disk never leaves a half-written file under the final name. This module imports
only the standard library: the scripts (``scripts/set_repo.py`` runs without the project's
environment) import it without NumPy, TensorFlow or Keras.

>>> atomic_write_text(work_dir("notes") / "hello.txt", "hello").read_text()
'hello'
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["METRICS_ENV", "WORK_DIR_ENV", "atomic_path", "atomic_write_text", "record", "recorded",
           "plain_value", "temporary_path", "work_dir"]

METRICS_ENV = "COURSE_METRICS_FILE"
"""Set by ``scripts/run_notebooks.py``: the JSON file ``record()`` merges each metric into."""
WORK_DIR_ENV = "COURSE_WORK_DIR"
"""Where ``work_dir()`` puts a notebook's folders (default: ``outputs/`` next to the notebook)."""

PathLike = str | os.PathLike[str]
"""What every path argument of the helpers accepts: a string or a path object."""


# --------------------------------------------------------------------------- atomic writes


@contextlib.contextmanager
def temporary_path(near: PathLike) -> Iterator[Path]:
    """Yield a fresh, not yet existing path in ``near``'s folder (same suffix); delete it on exit.

    The name is ``.<stem>.<random>.tmp<suffix>``: hidden, never taken for a finished file, and it
    keeps the suffix (``model.save`` wants ``.keras``, ``save_weights`` ``.weights.h5``). The folder
    is created if missing.

    >>> with temporary_path("outputs/model.keras") as tmp:
    ...     tmp.name.startswith(".model.") and tmp.suffix == ".keras" and not tmp.exists()
    True
    """
    near = Path(near)
    near.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".weights.h5" if near.name.endswith(".weights.h5") else near.suffix  # Keras wants it whole
    stem = near.name[: len(near.name) - len(suffix)] if suffix else near.name
    tmp = near.with_name(f".{stem}.{secrets.token_hex(4)}.tmp{suffix}")
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s new content to; on success rename it over ``path``.

    The temporary file is in the same folder (a rename is atomic on one file system). If the block
    raises, ``path`` is left as it was and the temporary file is deleted. An existing file keeps its
    permissions; a new one gets 0644 (readable by all, like a file written by ``open``).

    >>> target = work_dir("data") / "data.bin"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_bytes(b"\\x00\\x01")
    >>> target.read_bytes()
    b'\\x00\\x01'
    """
    path = Path(path)
    with temporary_path(path) as tmp:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"Nothing was written to the temporary file for {path.name}: "
                                    "write the new content to the path that atomic_path() yields.")
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)


def atomic_write_text(path: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see ``atomic_path``); return ``path`` as a Path.

    >>> atomic_write_text(work_dir("reports") / "report.md", "# Report").read_text()
    '# Report'
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- work folders


def work_dir(*parts: str) -> Path:
    """Return (and create) a folder for a notebook's checkpoints and figures.

    ``$COURSE_WORK_DIR`` if set, else ``outputs/`` next to the running notebook (git-ignored).

    >>> work_dir("01_char_rnn", "figures").as_posix()
    'outputs/01_char_rnn/figures'
    """
    root = Path(os.environ.get(WORK_DIR_ENV) or "outputs")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


# --------------------------------------------------------------------------- recorded metrics

_recorded: dict[str, Any] = {}


def plain_value(value: Any) -> Any:
    """A tensor, a NumPy scalar or a 0-d array as a Python number (without importing NumPy)."""
    if hasattr(value, "numpy"):  # TensorFlow tensors, Keras variables
        value = value.numpy()
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # NumPy scalars, 0-d arrays
        return value.item()
    return value


def record(name: str, value: Any) -> Any:
    """Record a key metric of the notebook (accuracy, BLEU, ...) for the run report.

    The run script sets ``$COURSE_METRICS_FILE``; the value is merged into that JSON file
    atomically. Without the variable the value is only kept in memory (see ``recorded()``).
    Returns the value as a plain Python value, so ``acc = record("acc", acc)`` can be used inline.

    >>> record("answer", 42)
    42
    """
    if not name or not isinstance(name, str):
        raise ValueError("record() needs a non-empty metric name, such as record('test_accuracy', 0.91).")
    value = plain_value(value)
    json.dumps(value)  # fail here, clearly, for values a report cannot hold
    _recorded[name] = value
    target = os.environ.get(METRICS_ENV)
    if target:
        path = Path(target)
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        data[name] = value
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True))
    return value


def recorded() -> dict[str, Any]:
    """Return a copy of the metrics recorded so far in this process.

    >>> _ = record("steps", 100)
    >>> recorded()["steps"]
    100
    """
    return dict(_recorded)
