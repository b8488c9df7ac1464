"""Checked exercises: a student's answer checked in the notebook, one ✔/✘ line per check.

What belongs here: what an exercise at the end of a notebook needs to check an answer, report it in
a sentence a student understands, and prove in CI that its check can fail. Standard library and
NumPy only, so that it imports fast (no TensorFlow, no Keras).

An exercise is three cells (README, *Exercises and their checks*):

1. the **starter** cell (tagged ``exercise-starter``), which the student edits:
   ``def top_k_indices(p, k): ...  # your code here``;
2. the **check** cell, which the student runs after editing the starter; its checker returns the
   problems it found, as sentences, and ``check`` prints one line:
   ``exercises.check("top_k_indices", check_top_k(top_k_indices), stage="starter")``;
3. the **solution** cell, hidden on first view (``solution_cell_metadata()``), which redefines the
   function and runs the same check with ``stage="solution"``.

Under ``./course test`` (``COURSE_STRICT=1``) every notebook runs with its untouched starters and
its solutions, so a check that passes on the starter ("a check that cannot fail is not a check") or
fails on the solution raises ``ExerciseCheckError``. A student (``COURSE_STRICT`` unset) never gets
an exception from ``check``: a failed check on the starter is the normal first state. Every check is
recorded with ``helpers.files.record`` under ``exercises`` for the run report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from helpers import files
from helpers.lessons import strictness

__all__ = ["SOLUTION_TAG", "STARTER_TAG", "SOLUTION_TITLE", "STAGES", "ExerciseCheckError", "check",
           "checks", "misbehaved", "solution_cell_metadata", "is_callable", "call", "same_shape",
           "close", "in_set"]

SOLUTION_TAG = "solution"
"""The tag of a solution cell (``scripts/build_site.py`` shows cells tagged so collapsed)."""
STARTER_TAG = "exercise-starter"
"""The tag of the cell a student edits (its code is the untouched starter in the stored notebook)."""
SOLUTION_TITLE = "#@title Solution (double-click to show)"
"""The first line of a solution cell: Colab shows this title in place of the hidden code."""
STAGES = ("starter", "answer", "solution")
"""``starter``: run right after the untouched starter cell, so in CI it must fail; ``answer`` and
``solution``: run on an answer the notebook itself provides, so in CI it must pass."""

_checks: list[dict[str, Any]] = []


class ExerciseCheckError(AssertionError):
    """An exercise's check misbehaved in CI: it passed on the starter, or failed on the solution."""


# --------------------------------------------------------------------------- the check line


def _problem_list(problems: list[str] | tuple[str, ...] | str | None) -> list[str]:
    if problems is None:
        return []
    if isinstance(problems, str):
        problems = [problems] if problems.strip() else []
    if isinstance(problems, bool) or not isinstance(problems, (list, tuple)):
        raise TypeError("check() takes the problems a checker found: a list of sentences, empty when the "
                        "answer is right (e.g. check('top_k', problems)); got "
                        f"{type(problems).__name__}. Return the messages, not True/False.")
    if not all(isinstance(p, str) and p.strip() for p in problems):
        raise TypeError("every problem must be a non-empty sentence a student can read, such as "
                        f"'your sampler returned token 7, outside the top-3'; got {list(problems)!r}.")
    return [p.strip() for p in problems]


def check(name: str, problems: list[str] | str | None, *, stage: str = "answer") -> bool:
    """Print one exercise's verdict (``✔``/``✘`` and the first problem), record it, and return it.

    ``problems`` are the sentences a checker returned (empty or None: the answer is right). ``stage``
    says what the check ran on: ``"starter"`` right after the untouched starter cell (in CI it must
    fail), ``"answer"`` or ``"solution"`` on a right answer (in CI it must pass). Under
    ``COURSE_STRICT=1`` a check that misbehaves so raises ``ExerciseCheckError``; by hand it only
    prints, with a hint to edit the cell above when the answer is not right yet.

    >>> check("double", [])
    ✔ exercise double: passed
    True
    >>> check("double", ["double(2) returned 5, expected 4", "double(0) returned 1"], stage="starter")
    ✘ exercise double: double(2) returned 5, expected 4 (and 1 more)
      edit the cell above and run this check again
    False
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError("check() needs the exercise's name, e.g. check('top_k_indices', problems).")
    if stage not in STAGES:
        raise ValueError(f"stage={stage!r} is not one of {', '.join(STAGES)}: use 'starter' in the check "
                         "cell after the starter, 'solution' in the solution cell.")
    found = _problem_list(problems)
    passed = not found
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    print(f"✔ exercise {name}: passed" if passed else f"✘ exercise {name}: {found[0]}{more}")
    as_expected = passed if stage != "starter" else not passed
    mode = strictness()
    if not passed and stage == "solution":
        print("  the solution does not pass its own check: please report it")
    elif not passed:
        print("  edit the cell above and run this check again")
    _checks.append({"name": name, "stage": stage, "passed": passed, "problems": found,
                    "as_expected": as_expected if mode != "warn" else None})
    files.record("exercises", [dict(c, problems=list(c["problems"])) for c in _checks])
    if mode == "raise" and not as_expected:
        raise ExerciseCheckError(_misbehaviour(_checks[-1]))
    return passed


def _misbehaviour(record: dict[str, Any]) -> str:
    if record["stage"] == "starter":
        return (f"the check of exercise {record['name']} cannot fail on the starter: fix the check (it "
                "passed on the untouched starter cell, so it would pass a student who did nothing)")
    return (f"the {record['stage']} of exercise {record['name']} fails its own check: "
            f"{record['problems'][0]} (fix the {record['stage']} or the check)")


def checks() -> list[dict[str, Any]]:
    """The checks run so far in this process (what ``check`` recorded), as plain data.

    >>> _ = check("zero", None)
    ✔ exercise zero: passed
    >>> checks()[-1]["passed"], checks()[-1]["stage"]
    (True, 'answer')
    """
    return json.loads(json.dumps(_checks))


def misbehaved(records: Iterable[dict[str, Any]]) -> list[str]:
    """What went wrong with the recorded checks of a run (``checks()`` or the ``exercises`` metric).

    For a run script under ``COURSE_STRICT=record``: a check that passed on its starter or failed on
    its solution is listed; a student's own answers (recorded with ``as_expected`` None) never are.

    >>> misbehaved([{"name": "top_k", "stage": "starter", "passed": True, "problems": [],
    ...              "as_expected": False}])
    ['the check of exercise top_k cannot fail on the starter: fix the check (it passed on the untouched starter cell, so it would pass a student who did nothing)']
    """
    return [_misbehaviour(r) for r in records if r.get("as_expected") is False]


# --------------------------------------------------------------------------- solution cells


def solution_cell_metadata() -> dict[str, Any]:
    """The metadata of a solution cell: its code hidden on first view in Colab and in JupyterLab.

    Colab shows a ``cellView: form`` cell as its ``#@title`` line (``SOLUTION_TITLE``, which the
    cell's code starts with); double-clicking shows the code. JupyterLab collapses a cell with
    ``jupyter.source_hidden``; clicking the bar beside it shows the code. The ``solution`` tag makes
    the course website show it collapsed. Both still run on *Run all*.

    >>> solution_cell_metadata()["jupyter"]
    {'source_hidden': True}
    """
    return {"cellView": "form", "jupyter": {"source_hidden": True}, "tags": [SOLUTION_TAG]}


# --------------------------------------------------------------------------- checkers
# Each returns a list of problems (empty when right) and never raises on a wrong answer.


def _show(value: Any) -> str:
    value = files.plain_value(value)
    text = repr(value.tolist()) if isinstance(value, np.ndarray) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _returned_nothing(name: str, got: Any) -> list[str]:
    if got is None:
        return [f"{name} is None: your code returned nothing (did you forget `return`?)"]
    if got is Ellipsis:
        return [f"{name} is `...`: replace the `...` with your code"]
    return []


def is_callable(name: str, got: Any) -> list[str]:
    """``[]`` if ``got`` is a function (or any callable), else the problem in a sentence.

    >>> is_callable("top_k_indices", None)
    ['top_k_indices is None, not a function: define it with `def top_k_indices(...):`']
    """
    if callable(got):
        return []
    return [f"{name} is {_show(got)}, not a function: define it with `def {name}(...):`"]


def call(name: str, fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """Call a student's ``fn(*args, **kwargs)``: ``(its result, [])``, or ``(None, [the problem])``.

    ``name`` is how the call reads in the message, e.g. ``"top_k_indices(p, 3)"``. An exception
    raised by the student's code becomes a problem instead of stopping the check.

    >>> call("half(4)", lambda x: x / 2, 4)
    (2.0, [])
    >>> call("half(4)", lambda x: x / y, 4)[1]
    ["calling half(4) raised NameError: name 'y' is not defined"]
    """
    if not callable(fn):
        return None, is_callable(name.split("(")[0], fn)
    try:
        return fn(*args, **kwargs), []
    except Exception as exc:  # noqa: BLE001 - any error in a student's code is a problem to report
        return None, [f"calling {name} raised {type(exc).__name__}: {exc}"]


def same_shape(name: str, got: Any, expected: Sequence[int | None]) -> list[str]:
    """``[]`` if ``got`` has the shape ``expected`` (``None`` matches any size), else the problem.

    >>> same_shape("the indices", [4, 1], (3,))
    ['the indices has shape (2,), expected (3,)']
    >>> same_shape("the logits", np.zeros((8, 5)), (None, 5))
    []
    """
    if isinstance(expected, (str, bytes)) or not all(d is None or isinstance(d, int) for d in expected):
        raise TypeError(f"expected must be a shape such as (3,) or (None, 5); got {expected!r} (for an "
                        "array, pass np.shape(reference)).")
    if nothing := _returned_nothing(name, got):
        return nothing
    try:
        shape = np.shape(got)
    except ValueError:  # ragged lists
        return [f"{name} is a ragged list (rows of different lengths), expected shape {tuple(expected)}"]
    if len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected)):
        return []
    sizes = ["any" if e is None else str(e) for e in expected]
    shown = f"({sizes[0]},)" if len(sizes) == 1 else f"({', '.join(sizes)})"
    return [f"{name} has shape {tuple(int(s) for s in shape)}, expected {shown}"]


def close(name: str, got: Any, expected: Any, atol: float = 1e-6) -> list[str]:
    """``[]`` if ``got`` equals ``expected`` within ``atol`` everywhere, else where and by how much not.

    >>> close("the probabilities", [0.2, 0.5, 0.3], [0.2, 0.3, 0.5], atol=1e-3)
    ['the probabilities is off by up to 0.2 (at index 1: got 0.5, expected 0.3; allowed 0.001)']
    """
    if not isinstance(atol, (int, float)) or isinstance(atol, bool) or not atol >= 0:
        raise ValueError(f"atol must be a number >= 0, such as 1e-6; got {atol!r}.")
    if nothing := _returned_nothing(name, got):
        return nothing
    want = np.asarray(expected, dtype=float)
    if problems := same_shape(name, got, want.shape):
        return problems
    try:
        values = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return [f"{name} is {_show(got)}, expected numbers such as {_show(want)}"]
    if values.ndim == 0:
        values, want = values.reshape(1), want.reshape(1)
    bad = np.flatnonzero(~np.isfinite(values.ravel()) & np.isfinite(want.ravel()))
    if bad.size:
        index = np.unravel_index(int(bad[0]), values.shape)
        if not np.ndim(got):
            return [f"{name} is {values[index]}, expected {want[index]:.4g}"]
        return [f"{name} has {values[index]} {_at(index)}, expected {want[index]:.4g} there"]
    diff = np.abs(values - want)
    diff[np.isnan(diff)] = 0.0  # NaN or inf where NaN or inf was expected
    if float(diff.max(initial=0.0)) <= atol:
        return []
    index = np.unravel_index(int(np.argmax(diff)), values.shape)
    where = _at(index) + ": " if np.ndim(got) else ""
    return [f"{name} is off by up to {float(diff[index]):.3g} ({where}got {values[index]:.4g}, "
            f"expected {want[index]:.4g}; allowed {atol:g})"]


def _at(index: tuple[Any, ...]) -> str:
    return f"at index {int(index[0])}" if len(index) == 1 else f"at index {tuple(int(i) for i in index)}"


def in_set(name: str, got: Any, allowed: Iterable[Any], *, allowed_name: str = "") -> list[str]:
    """``[]`` if ``got`` (one value or several) is among ``allowed``, else which values are not.

    ``allowed_name`` says what the allowed values are, for the message ("the top-3 tokens").

    >>> in_set("your sampler's token", 7, [2, 4, 9], allowed_name="the top-3 tokens")
    ["your sampler's token is 7, outside the top-3 tokens [2, 4, 9]"]
    >>> in_set("the sampled tokens", [2, 9], [2, 4, 9])
    []
    """
    allowed = [files.plain_value(a) for a in (np.asarray(allowed).ravel().tolist()
                                               if isinstance(allowed, np.ndarray) else allowed)]
    if not allowed:
        raise ValueError("in_set() needs at least one allowed value, e.g. in_set('token', t, [2, 4, 9]).")
    if nothing := _returned_nothing(name, got):
        return nothing
    scalar = np.ndim(got) == 0
    values = [files.plain_value(got)] if scalar else np.asarray(got).ravel().tolist()
    outside = list(dict.fromkeys(v for v in values if v not in allowed))
    if not outside:
        return []
    shown = ", ".join(_show(v) for v in outside[:3])
    shown += f" and {len(outside) - 3} more" if len(outside) > 3 else ""
    where = f"{allowed_name} {_show(allowed)}" if allowed_name else f"the allowed values {_show(allowed)}"
    return [f"{name} {'is' if scalar else 'contains'} {shown}, outside {where}"]
