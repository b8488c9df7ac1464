"""Training utilities: an atomic best-model checkpoint and a quiet one-line-per-epoch log."""

from __future__ import annotations

import math
import os
import uuid
from pathlib import Path
from typing import Any

import keras


def save_model_atomically(model: keras.Model, path: str | os.PathLike[str]) -> Path:
    """Save ``model`` to a ``.keras`` file so that a crash never leaves a half-written file.

    The model is written to a temporary ``.keras`` file in the same folder and then renamed
    over ``path`` (an atomic operation on one file system).
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"Keras 3 saves whole models to '.keras' files; got {path.name!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp.keras")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
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
        self, filepath: str | os.PathLike[str], monitor: str = "val_loss", mode: str = "auto"
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
