"""Saving models during and after training: atomic ``.keras`` saves, a best-model checkpoint, and
``train_or_reuse`` to re-run a notebook in class without training again (``COURSE_REUSE=1``).

``BestModelCheckpoint`` keeps the best epoch's model; ``fit(verbose=2)`` gives the one line per
epoch that the notebooks print (the stored outputs drop Keras's timings when normalized).
"""

from __future__ import annotations

import math
import pickle
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import keras

from helpers import files


def save_model_atomically(model: keras.Model, path: files.PathLike) -> Path:
    """Save ``model`` to a ``.keras`` file so that a crash never leaves a half-written file.

    The model is written to a temporary ``.keras`` file in the same folder and then renamed
    over ``path`` (``helpers.files.atomic_path``: an atomic operation on one file system).

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> save_model_atomically(model, "outputs/tiny.keras").name
    'tiny.keras'
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"Keras 3 saves whole models to '.keras' files; got {path.name!r}.")
    with files.atomic_path(path) as tmp:
        model.save(tmp)
    return path


class BestModelCheckpoint(keras.callbacks.Callback):
    """Save the whole model to a ``.keras`` file whenever the monitored metric improves.

    Like ``keras.callbacks.ModelCheckpoint(path, monitor=..., save_best_only=True)``, but each
    save is atomic (see ``save_model_atomically``). ``mode`` is ``"max"`` for accuracies,
    ``"min"`` for losses, or ``"auto"`` (max if the name contains "acc", else min).

    >>> ckpt = BestModelCheckpoint("outputs/model.keras", monitor="val_accuracy")
    >>> ckpt.mode
    'max'
    """

    def __init__(
        self, filepath: files.PathLike, monitor: str = "val_loss", mode: str = "auto"
    ) -> None:
        super().__init__()
        self.filepath = Path(filepath)
        if self.filepath.suffix != ".keras":
            raise ValueError(f"filepath must end with '.keras'; got {self.filepath.name!r}.")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max'; got {mode!r}.")
        self.monitor = monitor
        self.mode = mode if mode != "auto" else ("max" if "acc" in monitor else "min")
        self.best = -math.inf if self.mode == "max" else math.inf
        self.best_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(
                f"BestModelCheckpoint monitors {self.monitor!r} but the epoch logs only hold "
                f"{sorted(logs)}; pass validation_data to fit() or choose another metric."
            )
        current = float(logs[self.monitor])
        better = current > self.best if self.mode == "max" else current < self.best
        if better:
            save_model_atomically(self.model, self.filepath)  # first, so a failed save is no best
            self.best, self.best_epoch = current, epoch


# --------------------------------------------------------------------------- re-running in class

REUSE_ENV = "COURSE_REUSE"
"""Set to 1 to reuse the weights and results an earlier run saved (``train_or_reuse``)."""

T = TypeVar("T")


def _reuse_files(folder: Path, name: str, profile: str, n_models: int) -> tuple[Path, list[Path]]:
    stem = f"{name}-{profile}"
    return folder / f"{stem}.result.pkl", [folder / f"{stem}.model{i}.weights.h5" for i in range(n_models)]


def train_or_reuse(
    name: str,
    train: Callable[[], T],
    models: keras.Model | Sequence[keras.Model],
    *,
    folder: files.PathLike,
    profile: str | None = None,
    settings: dict[str, Any] | None = None,
    reuse: bool | None = None,
) -> T:
    """Run ``train()`` and keep what it made, or, re-running in class, reuse what an earlier run kept.

    ``train()`` trains ``models`` and returns what the later cells need (histories, curves, sample
    images: plain data, no callbacks or models). After it runs, each model's weights and the returned
    value are saved atomically in ``folder`` under ``name`` and ``profile`` (default: the run profile,
    ``helpers.runtime.get_profile()``). With ``reuse`` (default: the environment variable
    ``COURSE_REUSE`` is 1/true/yes/on) and files saved by a run of the same profile and ``settings``,
    the weights are loaded into ``models`` instead, the saved value is returned, and one line says so
    (the optimizers' state is not restored: train further inside ``train()``). Anything else (no
    files, another profile or settings, weights that no longer fit the model) trains again, from the
    models' weights as they were, saying why when reuse was asked for.

    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> fit = lambda: model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0).history
    >>> history = train_or_reuse("toy", fit, model, folder="outputs", profile="smoke")
    >>> again = train_or_reuse("toy", fit, model, folder="outputs", profile="smoke", reuse=True)
    ... # doctest: +ELLIPSIS
    COURSE_REUSE: toy: reused the weights and results of the smoke run saved ... (training took ... s then)
    >>> again == history
    True
    """
    from helpers.runtime import env_flag, get_profile

    profile = get_profile(profile)
    model_list = [models] if isinstance(models, keras.Model) else list(models)
    if not model_list:
        raise ValueError("train_or_reuse needs the model(s) that train() trains, to save their weights.")
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ValueError(f"name is used in file names: letters, digits, '-', '_' or '.' only; got {name!r}.")
    folder = Path(folder)
    result_path, weight_paths = _reuse_files(folder, name, profile, len(model_list))
    settings = dict(settings or {})
    if reuse is None:
        reuse = env_flag(REUSE_ENV)
    if reuse:
        why = "nothing saved yet"
        if result_path.exists() and all(p.exists() for p in weight_paths):
            with result_path.open("rb") as f:
                saved = pickle.load(f)
            if saved.get("settings") != settings:
                why = f"saved with other settings ({saved.get('settings')} vs {settings})"
            else:
                before = [model.get_weights() for model in model_list]
                try:
                    for model, path in zip(model_list, weight_paths):
                        with warnings.catch_warnings():  # the optimizer's state is not reused (on purpose):
                            warnings.filterwarnings(    # a compiled model's fresh optimizer has none yet
                                "ignore", message="Skipping variable loading for optimizer", category=UserWarning)
                            model.load_weights(path)
                except ValueError as error:  # the model changed since: shapes or layers differ
                    for model, weights in zip(model_list, before):  # train from where it was, not half-loaded
                        model.set_weights(weights)
                    why = f"the saved weights no longer fit the model ({str(error).splitlines()[0][:120]})"
                else:
                    print(f"{REUSE_ENV}: {name}: reused the weights and results of the {profile} run saved "
                          f"{saved['saved']} (training took {saved['seconds']:.0f} s then)")
                    return saved["result"]
        print(f"{REUSE_ENV}: {name}: training ({why})")
    start = time.perf_counter()
    result = train()
    record = {"result": result, "settings": settings, "seconds": time.perf_counter() - start,
              "saved": time.strftime("%Y-%m-%d %H:%M")}
    for model, path in zip(model_list, weight_paths):
        with files.atomic_path(path) as tmp:
            model.save_weights(tmp)
    with files.atomic_path(result_path) as tmp:
        tmp.write_bytes(pickle.dumps(record))
    return result
