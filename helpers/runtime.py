"""The environment a notebook runs in: run profile, seeding, versions and devices, warning filters.

Everything a notebook needs to know about *where* and *how big* it runs lives here, so the
notebooks themselves never branch on the machine or the profile outside their parameters cell.
What a notebook writes (work folders, recorded metrics, atomic writes) is in ``helpers.files``.
"""

from __future__ import annotations

import os
import platform
import random
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np


PROFILES: tuple[str, ...] = ("smoke", "demo", "full")
"""Run profiles: ``smoke`` (CI, seconds of training on real data subsets), ``demo`` (a CPU or a
live class: minutes, real quality), ``full`` (a GPU: textbook scale)."""

PROFILE_ENV = "COURSE_PROFILE"

T = TypeVar("T")

_TRUTHY = {"1", "true", "yes", "on"}


def env_flag(name: str) -> bool:
    """True when the environment variable ``name`` is set to 1, true, yes or on (any case).

    >>> env_flag("COURSE_SURELY_UNSET_VARIABLE")
    False
    """
    return os.environ.get(name, "").strip().lower() in _TRUTHY


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
    if env_flag("CI"):
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


SEED_ENV = "COURSE_SEED"
"""The run seed: every random source of a notebook follows it (``get_seed``)."""


def get_seed(default: int = 42) -> int:
    """Return the run seed: ``$COURSE_SEED`` if set, else ``default`` (the notebook's own seed).

    The seed sweep (``./course demo --seeds 0,1,2``) sets the variable once per run.

    >>> get_seed(42) if "COURSE_SEED" not in os.environ else 42
    42
    """
    text = os.environ.get(SEED_ENV, "").strip()
    if not text:
        return check_int("default", default, 0)
    if not text.isdigit():
        raise ValueError(f"{SEED_ENV}={text!r} is not a seed: use a non-negative integer, for example "
                         f"export {SEED_ENV}=1 (or unset it for the notebook's own seed, {default}).")
    return int(text)


def check_int(name: str, value: Any, minimum: int, note: str = "") -> int:
    """``int(value)``, or ``ValueError`` unless it is an integer ≥ ``minimum`` (bools refused).

    The one integer-argument check of the package (seeds, decoders, samplers, splits, masking).

    >>> check_int("top_k", 3, 1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}{note}, got {value!r}.")
    return int(value)


def deterministic_default() -> bool:
    """Whether ``seed_everything`` turns on TensorFlow's op determinism unless told: no.

    ``benchmarks/determinism.py`` measured no cost on 2 CPU cores (README, Benchmarks), but the
    switch is global and cannot be undone, and Keras then refuses to compile models with XLA
    (``jit_compile`` stays False): on a GPU, where Keras compiles with XLA by itself, that costs
    speed, and on any machine it changes what later cells do. Pass ``deterministic=True`` for a
    run that must repeat exactly.
    """
    return False


def seed_everything(seed: int = 42, *, deterministic: bool | None = None) -> np.random.Generator:
    """Seed Python, NumPy, TensorFlow and Keras; optionally make TensorFlow ops deterministic.

    Returns a NumPy ``Generator`` seeded with ``seed`` (``np.random.default_rng()`` ignores the
    global seed, so pass this one around instead). ``deterministic`` (default
    ``deterministic_default()``: off) turns on ``tf.config.experimental.enable_op_determinism``.

    >>> rng = seed_everything(42)
    >>> int(rng.integers(100))
    8
    """
    seed = check_int("seed", seed, 0)
    import keras

    os.environ["PYTHONHASHSEED"] = str(seed)  # affects subprocesses only
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend (TensorFlow)
    if deterministic_default() if deterministic is None else deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)


_SETTING_TYPES = (bool, int, float, str, type(None))


def _setting(value: Any) -> Any:
    if isinstance(value, _SETTING_TYPES):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        items = [_setting(v) for v in value]
        return _SKIP if any(i is _SKIP for i in items) else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        items = {k: _setting(v) for k, v in value.items()}
        return _SKIP if any(i is _SKIP for i in items.values()) else items
    return _SKIP


_SKIP = object()


def parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The parameters cell's values: every UPPER_CASE name of ``namespace`` that holds plain data.

    A notebook's parameters cell ends with ``SETTINGS = runtime.parameters(globals())``; every
    training passes ``settings=SETTINGS`` to ``training.train_or_reuse``, so a re-run in class reuses
    a training only when no parameter changed (none can be forgotten at a call site). Numbers,
    strings, booleans, None and lists/tuples/dicts of them count; modules, functions, paths and
    arrays do not.

    >>> parameters({"EPOCHS": 3, "LR": 1e-3, "WORK": object(), "rng": 1, "SIZES": (1, 2)})
    {'EPOCHS': 3, 'LR': 0.001, 'SIZES': [1, 2]}
    """
    if not isinstance(namespace, dict):
        raise TypeError("parameters() takes the notebook's namespace: runtime.parameters(globals()).")
    found = {}
    for name in sorted(namespace):
        if name.isupper() and not name.startswith("_") and name != "SETTINGS":
            value = _setting(namespace[name])
            if value is not _SKIP:
                found[name] = value
    return found


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


def _in_colab() -> bool:
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


def _setup_line(profile: str | None = None, tested: dict[str, tuple[str, str]] | None = None) -> str:
    """The one line a notebook's setup prints: Python, TensorFlow/Keras (tested?), devices, profile.

    >>> "profile smoke" in _setup_line("smoke")
    True
    """
    import tensorflow as tf

    profile = get_profile(profile)
    gpus = tf.config.list_physical_devices("GPU")
    devices = f"{len(gpus)} GPU" + ("s" if len(gpus) > 1 else "") if gpus else "no GPU"
    where = " in Colab" if _in_colab() else ""
    return (f"Python {platform.python_version()}, {check_versions(tested)} | "
            f"{os.cpu_count()} CPU cores, {devices}{where} | profile {profile} (set {PROFILE_ENV} to change)")


def setup_notebook(profile: str | None = None, *, tested: dict[str, tuple[str, str]] | None = None,
                   quiet_tensorflow: bool = True) -> None:
    """Everything a notebook's setup cell does after its imports, in one call that prints one line.

    Hides TensorFlow's C++ start-up messages (unless ``TF_CPP_MIN_LOG_LEVEL`` is set; call it before
    importing TensorFlow), applies the course's plot style, hides the known, useless Keras warnings
    (``silence_known_warnings``) and, with ``quiet_tensorflow``, TensorFlow's Python notices (such as
    ``tf.function`` retracing), then prints ``_setup_line()``: Python, TensorFlow and Keras versions
    (a warning when they are outside ``TESTED_VERSIONS``), CPU cores and GPUs, and the run profile.

    >>> setup_notebook("smoke")  # doctest: +ELLIPSIS
    Python ... | profile smoke (set COURSE_PROFILE to change)
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: no C++ start-up notices
    from helpers import plotting

    line = _setup_line(profile, tested)  # validates the profile before changing anything
    plotting.set_style()
    silence_known_warnings()
    if quiet_tensorflow:
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
    print(line)


# --------------------------------------------------------------------------- what a run costs

RUN_MINUTES: dict[str, dict[str, str]] = {
    # notebook: minutes per profile. smoke: measured on this project's 2-core CPU machine, quiet,
    # 2026-11-24. demo: the range of the runs measured on 2-core machines of the same kind,
    # 2026-11-24 to 2026-12-03 (the same notebook took up to twice as long on another one); a "≤"
    # would mark an upper bound measured under load. full: estimated for a
    # Colab T4 GPU from measured CPU throughput and the full/demo work ratio; never run (no GPU here).
    # tests/test_runtime.py checks that the README's notebook table shows the same figures.
    "01": {"smoke": "1.4", "demo": "8.5", "full": "40-80"},  # 2026-12-08: demo 8.3 quiet
    "02": {"smoke": "1.6", "demo": "15.5", "full": "25-45"},  # 2026-12-08: demo 15.5 quiet
    "03": {"smoke": "1.1", "demo": "12.5", "full": "35-65"},  # 2026-12-08: demo 12.5 quiet
    "04": {"smoke": "0.8", "demo": "10-12", "full": "20-40"},  # 2026-12-07/08: demo 12.2, 10.2 quiet
    "05": {"smoke": "2.1", "demo": "6-7.5", "full": "7-13"},  # 2026-12-07
    "06": {"smoke": "1.3", "demo": "≤8", "full": "10-24"},  # 2026-12-07
    "07": {"smoke": "0.9", "demo": "6-8.5", "full": "35-70"},  # 2026-12-07: 5.8-6.0 quiet + exercises
    "07b": {"smoke": "0.9", "demo": "5.5-8", "full": "45-90"},  # 2026-12-07: 3.7-4.5 quiet + exercises
    "08": {"smoke": "1.5", "demo": "≤7.5", "full": "30-55"},  # 2026-12-07, demo under load
}


def print_cost(notebook: str, profile: str | None = None) -> None:
    """Print what running ``notebook`` at ``profile`` costs, and the other profiles for comparison.

    >>> print_cost("01_char_rnn", "demo")  # doctest: +ELLIPSIS
    profile demo: ... min (measured on 2 CPU cores; less on a GPU). Other profiles: smoke ...
    """
    profile = get_profile(profile)
    key = notebook.split("_")[0]
    if key not in RUN_MINUTES:
        raise KeyError(f"No measured times for notebook {notebook!r}: add them to runtime.RUN_MINUTES "
                       "(and the README's notebook table).")
    minutes = RUN_MINUTES[key]

    def told(name: str) -> str:
        if name == "full":
            return f"≈ {minutes[name]} min on a Colab T4 GPU (estimated, never run: hours on a CPU)"
        return f"{'≤' if minutes[name].startswith('≤') else 'about'} {minutes[name].lstrip('≤ ')} min" + (
            " (measured on 2 CPU cores; less on a GPU)" if name == profile else "")

    others = "; ".join(f"{name} {told(name)}" for name in PROFILES if name != profile)
    print(f"profile {profile}: {told(profile)}. Other profiles: {others}.")
