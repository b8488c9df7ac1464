"""Saving models during and after training: atomic ``.keras`` saves and a best-model checkpoint.

``BestModelCheckpoint`` keeps the best epoch's model; ``fit(verbose=2)`` gives the one line per
epoch that the notebooks print (the stored outputs drop Keras's timings when normalized).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

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
