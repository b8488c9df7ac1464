"""Results one notebook saves for another to compare with: this machine's run, else the course's.

Notebook 04 compares its Transformer with notebook 03's RNNs, 07 its GANs with 06's VAE, 07b with
both. In Colab every notebook opens in its own runtime, so the other notebook's run is usually not
there. ``load`` therefore reads the local run's file when there is one, else the course's stored
demo results (``helpers/stored_results/<notebook>.json``, written by ``./course demo --store`` and
installed with the helpers), and prints which one it used and from which profile and seed.

One schema for every notebook::

    {"notebook": "06_vae", "profile": "demo", "seed": 42, "settings": {...}, "data": {...}}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import files

__all__ = ["STORED_DIR", "Results", "load", "local_path", "save"]

STORED_DIR = Path(__file__).resolve().parent / "stored_results"
"""The course's stored demo results, one ``<notebook>.json`` each (``./course demo --store``)."""


def local_path(notebook: str) -> Path:
    """Where ``save`` writes ``notebook``'s results on this machine: ``outputs/results/<notebook>.json``.

    >>> local_path("06_vae").as_posix()
    'outputs/results/06_vae.json'
    """
    if not isinstance(notebook, str) or not notebook[:2].isdigit():
        raise ValueError(f"notebook must be a notebook's name such as '06_vae'; got {notebook!r}.")
    return files.work_dir("results") / f"{notebook}.json"


def save(notebook: str, data: dict[str, Any], *, seed: int, settings: dict[str, Any] | None = None,
         profile: str | None = None) -> Path:
    """Write ``notebook``'s results (plain JSON data) atomically for other notebooks to read.

    >>> save("00_toy", {"fid": 33.9}, seed=42, profile="smoke").name
    '00_toy.json'
    """
    from helpers.runtime import get_profile

    if not isinstance(data, dict):
        raise TypeError("data must be a dict of plain values, e.g. {'fid': 33.9, 'covered': 9}.")
    record = {"notebook": notebook, "profile": get_profile(profile), "seed": seed,
              "settings": settings or {}, "data": data}
    text = json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    return files.atomic_write_text(local_path(notebook), text)


@dataclass(frozen=True)
class Results:
    """What ``load`` found: the data, where it came from, and whether it compares with this run."""

    notebook: str
    data: dict[str, Any]
    profile: str
    seed: int | None
    source: str  # "local" (this machine's run) or "stored" (the course's stored demo results)
    comparable: bool  # same profile and settings as this run: a claim may compare with it
    message: str = field(compare=False)

    @property
    def label(self) -> str:
        """A short tag for tables: ``(notebook 06)`` or ``(notebook 06, stored demo)``."""
        number = self.notebook.split("_")[0]
        return f"(notebook {number})" if self.source == "local" else f"(notebook {number}, stored {self.profile})"


def load(notebook: str, *, settings: dict[str, Any] | None = None, profile: str | None = None,
         log: Callable[[str], None] | None = print) -> Results | None:
    """Read ``notebook``'s results: this machine's run if saved with ``settings``, else the stored ones.

    ``settings`` (default: none required) are the values the comparison depends on (data split,
    sample count): a local file made with others is not used. The stored file is used whatever its
    settings, and ``comparable`` says whether it matches this run's profile and settings (a claim
    compares only then; the table may still show it, marked). Prints (``log``) which file was used.
    Returns None, saying so, when neither exists.
    """
    from helpers.runtime import get_profile

    profile = get_profile(profile)
    wanted = settings or {}
    candidates = [("local", local_path(notebook)), ("stored", STORED_DIR / f"{notebook}.json")]
    for source, path in candidates:
        if not path.exists():
            continue
        saved = json.loads(path.read_text(encoding="utf-8"))
        same = saved.get("profile") == profile and all(saved.get("settings", {}).get(k) == v
                                                       for k, v in wanted.items())
        if source == "local" and not same:
            continue  # another profile or settings on this machine: the stored run says more
        where = ("this machine's run" if source == "local" else
                 "the course's stored run (committed with the helpers)")
        note = "" if same else f"; this run is {profile}, so it is shown for reference, not compared"
        message = (f"notebook {notebook}: results of {where}, profile {saved.get('profile')}, "
                   f"seed {saved.get('seed')}{note}.")
        if log is not None:
            log(message)
        return Results(notebook, saved["data"], saved.get("profile", "?"), saved.get("seed"), source,
                       same, message)
    message = (f"notebook {notebook}: no results found (neither {candidates[0][1]} nor stored ones): "
               f"run notebook {notebook} first to compare with it.")
    if log is not None:
        log(message)
    return None
