"""Run profiles, seeding, device reports, distribution strategies and recorded metrics.

Everything a notebook needs to know about *where* and *how big* it runs lives here, so the
notebooks themselves never branch on the machine or the profile outside their parameters cell.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

PROFILES: tuple[str, ...] = ("smoke", "demo", "full")
"""Run profiles: ``smoke`` (CI, seconds of training on real data subsets), ``demo`` (a CPU or a
live class: minutes, real quality), ``full`` (a GPU: textbook scale)."""

PROFILE_ENV = "COURSE_PROFILE"
METRICS_ENV = "COURSE_METRICS_FILE"
WORK_DIR_ENV = "COURSE_WORK_DIR"

T = TypeVar("T")

_TRUTHY = {"1", "true", "yes", "on"}


def _gpu_present() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def get_profile(name: str | None = None) -> str:
    """Return the run profile: ``name`` if given, else ``$COURSE_PROFILE``, else a default.

    The default is ``smoke`` when the ``CI`` variable is set and ``demo`` otherwise, with or without
    a GPU: ``demo``'s running time is measured (minutes on 2 CPU cores, less on a GPU), ``full``'s
    is not, so the textbook scale is opt-in (``COURSE_PROFILE=full``).

    >>> get_profile("demo")
    'demo'
    """
    chosen = name if name is not None else os.environ.get(PROFILE_ENV, "").strip()
    if chosen:
        chosen = chosen.strip().lower()
        if chosen not in PROFILES:
            raise ValueError(
                f"Unknown run profile {chosen!r}: choose one of {', '.join(PROFILES)} "
                f"(for example: export {PROFILE_ENV}=demo)."
            )
        return chosen
    if os.environ.get("CI", "").strip().lower() in _TRUTHY:
        return "smoke"
    return "demo"  # also on a GPU: full stays opt-in (its time is only estimated)


def chooser(profile: str) -> Callable[..., Any]:
    """Return a function that picks the value given for ``profile`` among its keyword arguments.

    Used only in a notebook's parameters cell, so that no other cell branches on the profile.

    >>> pick = chooser("smoke")
    >>> pick(smoke=1, demo=5, full=10)
    1
    """
    profile = get_profile(profile)

    def pick(*, smoke: T, demo: T, full: T) -> T:
        return {"smoke": smoke, "demo": demo, "full": full}[profile]

    return pick


def seed_everything(seed: int = 42, *, deterministic: bool = False) -> np.random.Generator:
    """Seed Python, NumPy, TensorFlow and Keras; optionally make TensorFlow ops deterministic.

    Returns a NumPy ``Generator`` seeded with ``seed`` (``np.random.default_rng()`` ignores the
    global seed, so pass this one around instead).

    >>> rng = seed_everything(42)
    >>> int(rng.integers(100))
    8
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    import keras

    os.environ["PYTHONHASHSEED"] = str(seed)  # affects subprocesses only
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend (TensorFlow)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)


def device_report() -> str:
    """Return a short, printable report of library versions and the devices TensorFlow sees.

    >>> "TensorFlow" in device_report()
    True
    """
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    lines = [
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__} (backend: {keras.backend.backend()})",
        f"CPU cores: {os.cpu_count()}, GPUs: {len(gpus)}"
        + (f" ({', '.join(g.name for g in gpus)})" if gpus else ""),
    ]
    return "\n".join(lines)


def pick_strategy() -> Any:
    """Return the best ``tf.distribute`` strategy for this machine.

    A TPU gives a ``TPUStrategy``; several GPUs (or several logical CPU devices, which is how the
    multi-device path is tested on a laptop) give a ``MirroredStrategy``; otherwise the default
    (single-device) strategy. Build and compile models inside ``with strategy.scope():``.
    """
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    except (ValueError, RuntimeError, tf.errors.NotFoundError):
        pass  # no TPU here
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([d.name for d in gpus])
    cpus = tf.config.list_logical_devices("CPU")
    if not gpus and len(cpus) > 1:
        return tf.distribute.MirroredStrategy([d.name for d in cpus])
    return tf.distribute.get_strategy()


def work_dir(*parts: str) -> Path:
    """Return (and create) a folder for a notebook's checkpoints and figures.

    ``$COURSE_WORK_DIR`` if set, else ``outputs/`` next to the running notebook (git-ignored).

    >>> work_dir("char_rnn").name
    'char_rnn'
    """
    root = Path(os.environ.get(WORK_DIR_ENV) or "outputs")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


_recorded: dict[str, Any] = {}


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if hasattr(value, "numpy"):
        return _plain(value.numpy())
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value


def record(name: str, value: Any) -> Any:
    """Record a key metric of the notebook (accuracy, BLEU, ...) for the run report.

    The run script sets ``$COURSE_METRICS_FILE``; the value is merged into that JSON file
    atomically. Without the variable the value is only kept in memory (see ``recorded()``).
    Returns the value, so ``record("acc", acc)`` can be used inline.

    >>> record("answer", 42)
    42
    """
    if not name or not isinstance(name, str):
        raise ValueError("record() needs a non-empty metric name.")
    value = _plain(value)
    json.dumps(value)  # fail here, clearly, for values a report cannot hold
    _recorded[name] = value
    target = os.environ.get(METRICS_ENV)
    if target:
        path = Path(target)
        data = json.loads(path.read_text()) if path.exists() else {}
        data[name] = value
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True))
    return value


def recorded() -> dict[str, Any]:
    """Return a copy of the metrics recorded so far in this process."""
    return dict(_recorded)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temp file in the same folder, then rename).

    An existing file keeps its permissions; a new one gets 0644 (``mkstemp`` alone would make it 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


KNOWN_WARNINGS: tuple[str, ...] = (
    # Keras 3 warns at the end of every epoch over a tf.data pipeline of unknown length.
    r"Your input ran out of data",
    # Keras 3 warns that fit(shuffle=True), its default, does not reshuffle a tf.data.Dataset.
    r"`shuffle=True` was passed, but will be ignored",
)


def silence_known_warnings() -> None:
    """Hide Keras warnings that are expected in these notebooks and say nothing useful.

    Only the messages listed in ``KNOWN_WARNINGS`` are hidden; every other warning still shows.
    """
    import warnings

    for pattern in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)


def in_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules


TESTED_VERSIONS: dict[str, tuple[str, str]] = {"tensorflow": ("2.20", "2.21"), "keras": ("3.13", "3.15")}
"""Oldest and newest ``major.minor`` of TensorFlow and Keras the notebooks are tested with: Colab's
stock runtime (``requirements-colab.txt``) and the pinned environment (``requirements.txt``)."""

_LIBRARY_NAMES = {"tensorflow": "TensorFlow", "keras": "Keras"}


def _found_versions(names: tuple[str, ...]) -> dict[str, str | None]:
    """``{module: __version__}`` of the installed libraries (None when one is missing)."""
    import importlib

    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = str(importlib.import_module(name).__version__)
        except ImportError:
            found[name] = None
    return found


def _major_minor(version: str) -> tuple[int, int] | None:
    import re

    match = re.match(r"\s*(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def check_versions(tested: dict[str, tuple[str, str]] | None = None) -> str:
    """Return one line naming the TensorFlow and Keras versions found; warn outside the tested range.

    ``tested`` maps a module name to the oldest and newest ``major.minor`` tested (default
    ``TESTED_VERSIONS``). A version outside its range, or a missing library, gives a
    ``UserWarning`` (the notebook goes on: it may well work) and the line says so too.

    >>> check_versions({"keras": ("3.0", "9.99")}).startswith("Keras 3.")
    True
    """
    import warnings

    tested = TESTED_VERSIONS if tested is None else tested
    if not isinstance(tested, dict) or not tested:
        raise ValueError("tested must be a non-empty dict such as {'keras': ('3.13', '3.15')}.")
    ranges = {}
    for name, bounds in tested.items():
        low = high = None
        if isinstance(bounds, (tuple, list)) and len(bounds) == 2 and all(isinstance(b, str) for b in bounds):
            low, high = _major_minor(bounds[0]), _major_minor(bounds[1])
        if low is None or high is None or low > high:
            raise ValueError(f"tested[{name!r}] must be (oldest, newest) 'major.minor' strings with "
                             f"oldest <= newest, for example ('3.13', '3.15'); got {bounds!r}.")
        ranges[name] = (low, high)
    found = _found_versions(tuple(tested))
    parts, untested = [], []
    for name, (low, high) in ranges.items():
        label = _LIBRARY_NAMES.get(name, name)
        span = f"{tested[name][0]}–{tested[name][1]}"
        version = found.get(name)
        if version is None:
            parts.append(f"{label} missing")
            untested.append(f"{label} is not installed (tested: {span})")
            continue
        parts.append(f"{label} {version}")
        current = _major_minor(version)
        if current is None or not low <= current <= high:
            untested.append(f"{label} {version} is outside the tested {span}")
    line = ", ".join(parts)
    if untested:
        message = ("; ".join(untested) + ". The notebooks should still run; if a cell fails, install a "
                   "tested version (pip install -r requirements.txt) or report the error.")
        warnings.warn(message, UserWarning, stacklevel=2)
        return f"{line} (UNTESTED: {'; '.join(untested)})"
    return f"{line} (tested)"


def setup_line(profile: str | None = None, tested: dict[str, tuple[str, str]] | None = None) -> str:
    """The one line a notebook's setup prints: Python, TensorFlow/Keras (tested?), devices, profile.

    >>> "profile smoke" in setup_line("smoke")
    True
    """
    import tensorflow as tf

    profile = get_profile(profile)
    gpus = tf.config.list_physical_devices("GPU")
    devices = f"{len(gpus)} GPU" + ("s" if len(gpus) > 1 else "") if gpus else "no GPU"
    where = " in Colab" if in_colab() else ""
    return (f"Python {platform.python_version()}, {check_versions(tested)} | "
            f"{os.cpu_count()} CPU cores, {devices}{where} | profile {profile} (set {PROFILE_ENV} to change)")


def setup_notebook(profile: str | None = None, *, tested: dict[str, tuple[str, str]] | None = None,
                   quiet_tensorflow: bool = True) -> None:
    """Everything a notebook's setup cell does after its imports, in one call that prints one line.

    Applies the course's plot style, hides the known, useless Keras warnings
    (``silence_known_warnings``) and, with ``quiet_tensorflow``, TensorFlow's Python notices (such as
    ``tf.function`` retracing), then prints ``setup_line()``: Python, TensorFlow and Keras versions
    (a warning when they are outside ``TESTED_VERSIONS``), CPU cores and GPUs, and the run profile.

    >>> setup_notebook("smoke")  # doctest: +ELLIPSIS
    Python ... | profile smoke (set COURSE_PROFILE to change)
    """
    from helpers import plotting

    line = setup_line(profile, tested)  # validates the profile before changing anything
    plotting.set_style()
    silence_known_warnings()
    if quiet_tensorflow:
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
    print(line)
