"""Lessons as checked claims: one printed line (✔ or ✘ with the measured evidence) per lesson.

A notebook states what the lecture says should happen as a claim and checks it on its own run:

    lessons.expect("attention beats the plain LSTM on every length bucket", holds, evidence)

prints ``✔ attention beats ... | BLEU 31.5 vs 10.2`` (or ``✘``). What happens when a claim fails
depends on who runs the notebook:

- a person (Jupyter, Colab): a visible warning says the lecture's effect did not show with these
  settings, and *Run all* goes on (a changed parameter should not stop the notebook);
- ``./course test`` (nbval, ``COURSE_STRICT=1``): the cell raises ``ClaimFailed``, so CI fails;
- ``./course demo`` (``COURSE_STRICT=record``): the notebook goes on, and the run script marks the
  run as failed and lists the claim in its report (every claim of every seed is seen).

Every claim is also recorded with ``helpers.files.record`` under ``claims`` for the run report and
the seed sweep (``./course demo --seeds 0,1,2`` writes ``build/demo/seeds.md``).

Quality thresholds (accuracy, BLEU, scores) are claims too. A claim that only the demo scale can
show (tiny smoke models may not learn the effect) is written with ``demo_only=True``: at smoke it
is printed and recorded as not checked.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Mapping
from typing import Any

from helpers import files

__all__ = ["STRICT_ENV", "ClaimFailed", "LessonWarning", "expect", "claims", "strictness"]

STRICT_ENV = "COURSE_STRICT"
"""``1``: a failed claim raises (``./course test``); ``record``: recorded, the run goes on and the
run script fails it at the end (``./course demo``); unset or ``0``: a visible warning (by hand)."""

_MODES = {"": "warn", "0": "warn", "warn": "warn", "1": "raise", "raise": "raise", "record": "record"}

_claims: list[dict[str, Any]] = []


class ClaimFailed(AssertionError):
    """A lesson's claim did not hold on this run (raised only under ``COURSE_STRICT=1``)."""


class LessonWarning(UserWarning):
    """A lesson's claim did not hold on this run: the lecture's effect did not show."""


def strictness() -> str:
    """``"raise"``, ``"record"`` or ``"warn"``: what a failed claim does here (``$COURSE_STRICT``).

    >>> strictness() in ("raise", "record", "warn")
    True
    """
    value = os.environ.get(STRICT_ENV, "").strip().lower()
    if value not in _MODES:
        raise ValueError(f"{STRICT_ENV}={value!r} is not understood: use 1 (a failed claim raises), "
                         "record (it is reported at the end) or 0 (a warning).")
    return _MODES[value]


def _number(value: Any) -> Any:
    value = files.plain_value(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return value


def _evidence_text(evidence: str | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The printed evidence and the numbers it holds (a mapping is printed as ``name value``)."""
    if isinstance(evidence, str):
        return evidence, {}
    if not isinstance(evidence, Mapping):
        raise TypeError("evidence must be a sentence or a mapping such as {'BLEU': 31.5, 'baseline': 0.1}; "
                        f"got {type(evidence).__name__}.")
    values = {str(k): _number(v) for k, v in evidence.items()}
    shown = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())
    return shown, values


def expect(claim: str, holds: Any, evidence: str | Mapping[str, Any] = "", *,
           demo_only: bool = False) -> None:
    """Check a lesson's claim on this run, print one line (✔/✘ and the evidence), and record it.

    ``claim`` says what the lecture says should happen ("the stateful GRU predicts the text better
    than the stateless one"); ``holds`` is the measured truth of it; ``evidence`` the numbers behind
    it, as a sentence or a ``{name: value}`` mapping. With ``demo_only``, the claim is not checked at
    the ``smoke`` profile (tiny models need not show the effect): it is printed and recorded as such.
    Returns None, so that a claim on a cell's last line echoes nothing; ``claims()`` has the record.

    >>> expect("two is more than one", 2 > 1, {"two": 2, "one": 1})
    ✔ two is more than one | two 2, one 1
    """
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError("expect() needs the claim as a sentence, e.g. expect('dropout lowers the "
                         "validation loss', val_drop < val_plain, {'with': val_drop, 'without': val_plain}).")
    from helpers.runtime import get_profile

    shown, values = _evidence_text(evidence)
    held = bool(holds)
    checked = not (demo_only and get_profile() == "smoke")
    mark = ("✔" if held else "✘") if checked else "·"
    note = "" if checked else " (not checked at smoke: the effect needs the demo scale)"
    print(f"{mark} {claim}{' | ' + shown if shown else ''}{note}")
    _claims.append({"claim": claim, "holds": held, "checked": checked, "evidence": shown, "values": values})
    files.record("claims", [dict(c) for c in _claims])
    if held or not checked:
        return
    mode = strictness()
    if mode == "raise":
        raise ClaimFailed(f"the lesson's claim did not hold: {claim} ({shown or 'no evidence given'})")
    if mode == "warn":
        warnings.warn(f"The lecture's effect did not show with these settings: {claim} ({shown}). "
                      "The notebook goes on; a longer run (the demo or full profile) or other "
                      "settings may show it.", LessonWarning, stacklevel=2)


def claims() -> list[dict[str, Any]]:
    """The claims checked so far in this process (what ``expect`` recorded), as plain data.

    >>> _ = expect("zero is falsy", not 0)
    ✔ zero is falsy
    >>> claims()[-1]["holds"]
    True
    """
    return json.loads(json.dumps(_claims))
