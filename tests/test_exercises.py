"""helpers.exercises: a check prints one line, is recorded, fails where it should, and proves itself.

The last three tests run a small exercise notebook (markdown prompt, starter, check, hidden solution)
with nbclient under ``COURSE_STRICT=1``, as ``./course test`` runs the course's notebooks: it passes
as written, and fails when its check cannot fail or its solution is wrong.
"""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from helpers import exercises, files, lessons


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    monkeypatch.setattr(exercises, "_checks", [])
    monkeypatch.setenv(files.METRICS_ENV, str(tmp_path / "metrics.json"))
    return tmp_path / "metrics.json"


@pytest.fixture
def strict(monkeypatch):
    monkeypatch.setenv(lessons.STRICT_ENV, "1")


@pytest.fixture
def by_hand(monkeypatch):
    monkeypatch.delenv(lessons.STRICT_ENV, raising=False)


# --------------------------------------------------------------------------- check()


def test_a_passing_check_prints_a_tick_and_is_recorded_for_the_run_report(strict, fresh, capsys):
    assert exercises.check("top_k_indices", [], stage="solution") is True
    assert capsys.readouterr().out == "✔ exercise top_k_indices: passed\n"
    assert json.loads(fresh.read_text())["exercises"] == [
        {"name": "top_k_indices", "stage": "solution", "passed": True, "problems": [], "as_expected": True}]


def test_a_failed_check_shows_the_first_problem_the_count_of_the_others_and_a_hint(strict, capsys):
    problems = ["your sampler returned token 7, outside the top-3", "second", "third"]
    assert exercises.check("sampler", problems, stage="starter") is False
    assert capsys.readouterr().out == ("✘ exercise sampler: your sampler returned token 7, outside the "
                                       "top-3 (and 2 more)\n  edit the cell above and run this check again\n")
    assert exercises.checks()[-1]["problems"] == problems


def test_one_problem_may_be_given_as_a_sentence_and_none_means_passed(by_hand, capsys):
    assert exercises.check("a", "a is 3, expected 4") is False
    assert exercises.check("b", None) is True
    assert exercises.check("c", "") is True
    assert capsys.readouterr().out.splitlines()[0] == "✘ exercise a: a is 3, expected 4"


def test_in_ci_a_check_that_passes_on_the_starter_raises(strict, capsys):
    with pytest.raises(exercises.ExerciseCheckError, match="cannot fail on the starter: fix the check"):
        exercises.check("top_k_indices", [], stage="starter")
    assert capsys.readouterr().out.startswith("✔ exercise top_k_indices: passed")


@pytest.mark.parametrize("stage", ["solution", "answer"])
def test_in_ci_a_solution_that_fails_its_check_raises_with_the_problem(strict, stage):
    with pytest.raises(exercises.ExerciseCheckError, match=f"the {stage} of exercise top_k fails its own "
                       "check: top_k returned 2 values, expected 3"):
        exercises.check("top_k", ["top_k returned 2 values, expected 3"], stage=stage)


def test_a_student_never_gets_an_exception_and_their_answers_are_not_judged(by_hand, fresh, capsys):
    assert exercises.check("top_k", [], stage="starter") is True  # the student edited the starter
    assert exercises.check("top_k", ["wrong"], stage="starter") is False
    assert exercises.check("top_k", ["wrong"], stage="solution") is False
    out = capsys.readouterr().out
    assert "edit the cell above and run this check again" in out
    assert "the solution does not pass its own check: please report it" in out
    assert [c["as_expected"] for c in json.loads(fresh.read_text())["exercises"]] == [None] * 3
    assert exercises.misbehaved(exercises.checks()) == []


def test_under_record_a_misbehaving_check_is_recorded_for_the_run_script(monkeypatch, fresh):
    monkeypatch.setenv(lessons.STRICT_ENV, "record")
    exercises.check("top_k", [], stage="starter")
    exercises.check("top_k", [], stage="solution")
    exercises.check("sampler", ["the token is 7"], stage="solution")
    saved = json.loads(fresh.read_text())["exercises"]
    assert [c["as_expected"] for c in saved] == [False, True, False]
    assert exercises.misbehaved(saved) == [
        "the check of exercise top_k cannot fail on the starter: fix the check (it passed on the "
        "untouched starter cell, so it would pass a student who did nothing)",
        "the solution of exercise sampler fails its own check: the token is 7 (fix the solution or "
        "the check)"]


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    (("", []), {}, ValueError, "needs the exercise's name"),
    (("x", []), {"stage": "final"}, ValueError, "not one of starter, answer, solution"),
    (("x", True), {}, TypeError, "not True/False"),
    (("x", 3), {}, TypeError, "a list of sentences"),
    (("x", ["ok", ""]), {}, TypeError, "non-empty sentence"),
    (("x", [ValueError("no")]), {}, TypeError, "non-empty sentence"),
])
def test_bad_arguments_say_what_to_do(by_hand, args, kwargs, error, message):
    with pytest.raises(error, match=message):
        exercises.check(*args, **kwargs)
    assert exercises.checks() == []


# --------------------------------------------------------------------------- checkers


def test_the_checkers_return_no_problem_on_a_right_answer():
    p = np.array([0.1, 0.4, 0.05, 0.3, 0.15])
    assert exercises.is_callable("f", len) == []
    assert exercises.call("f(p)", np.argmax, p) == (1, [])
    assert exercises.same_shape("x", np.zeros((4, 3)), (None, 3)) == []
    assert exercises.close("x", p + 1e-9, p) == []
    assert exercises.close("x", [np.nan, 1.0], [np.nan, 1.0]) == []
    assert exercises.in_set("x", np.array([1, 3]), np.array([1, 3, 4])) == []


@pytest.mark.parametrize(("problems", "message"), [
    (exercises.is_callable("top_k_indices", 3), "top_k_indices is 3, not a function: define it with "
                                                 "`def top_k_indices(...):`"),
    (exercises.call("f(2)", lambda x: x[0], 2)[1], "calling f(2) raised TypeError: 'int' object is not "
                                                   "subscriptable"),
    (exercises.same_shape("top_k_indices(p, 3)", None, (3,)), "top_k_indices(p, 3) is None: your code "
                                                              "returned nothing (did you forget `return`?)"),
    (exercises.same_shape("the batch", np.zeros((2, 4)), (None, 5)), "the batch has shape (2, 4), expected "
                                                                     "(any, 5)"),
    (exercises.close("the loss", 2.5, 2.0, atol=0.1), "the loss is off by up to 0.5 (got 2.5, expected 2; "
                                                      "allowed 0.1)"),
    (exercises.close("the loss", float("nan"), 2.0), "the loss is nan, expected 2"),
    (exercises.close("the scores", [1, 2], [1, 2, 3]), "the scores has shape (2,), expected (3,)"),
    (exercises.in_set("your sampler's token", np.int64(7), [1, 3, 4], allowed_name="the top-3 tokens"),
     "your sampler's token is 7, outside the top-3 tokens [1, 3, 4]"),
    (exercises.in_set("the tokens", [1, 7, 8, 9, 0], [1, 3, 4]), "the tokens contains 7, 8, 9 and 1 more, "
                                                                 "outside the allowed values [1, 3, 4]"),
])
def test_each_checker_says_what_is_wrong_in_one_sentence(problems, message):
    assert problems == [message]


def test_checkers_reject_arguments_that_are_the_authors_mistake():
    with pytest.raises(ValueError, match="atol must be a number >= 0"):
        exercises.close("x", 1.0, 1.0, atol=-1)
    with pytest.raises(TypeError, match=r"pass np.shape\(reference\)"):
        exercises.same_shape("x", [1], np.zeros(3))
    with pytest.raises(ValueError, match="at least one allowed value"):
        exercises.in_set("x", 1, [])


def test_the_solution_metadata_hides_the_code_in_colab_and_jupyterlab_and_is_valid():
    meta = exercises.solution_cell_metadata()
    assert meta == {"cellView": "form", "jupyter": {"source_hidden": True}, "tags": ["solution"]}
    meta["tags"].append("changed")
    assert exercises.solution_cell_metadata()["tags"] == [exercises.SOLUTION_TAG]  # a fresh dict each time
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        exercises.SOLUTION_TITLE + "\nx = 1", metadata=exercises.solution_cell_metadata())])
    nbformat.validate(nb)


# --------------------------------------------------------------------------- the pattern in a notebook

CHECKER = '''\
def check_top_k(fn):
    """The problems with fn(p, 3): it must return the indices of the 3 largest p, largest first."""
    got, problems = exercises.call("top_k_indices(p, 3)", fn, p, 3)
    return (problems or exercises.same_shape("top_k_indices(p, 3)", got, (3,))
            or exercises.in_set("top_k_indices(p, 3)", got, [1, 3, 4], allowed_name="the top-3 tokens")
            or exercises.close("top_k_indices(p, 3)", got, [1, 3, 4]))

exercises.check("top_k_indices", check_top_k(top_k_indices), stage="starter")'''

SOLUTION = '''\
def top_k_indices(p, k):
    return np.argsort(p)[::-1][:k]  # sort ascending, reverse, keep the first k

exercises.check("top_k_indices", check_top_k(top_k_indices), stage="solution")'''


def exercise_notebook(checker: str = CHECKER, solution: str = SOLUTION) -> nbformat.NotebookNode:
    """Setup, prompt, starter, check and hidden solution: the three-cell pattern of the README."""
    new_code, new_md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook(cells=[
        new_code("import numpy as np\nfrom helpers import exercises\n\np = np.array([0.1, 0.4, 0.05, 0.3, 0.15])"),
        new_md("### Exercise 1: the top-k tokens\nWrite `top_k_indices(p, k)`: the indices of the `k` "
               "largest probabilities in `p`, largest first. Then run the check below it."),
        new_code("def top_k_indices(p, k):\n    ...  # your code here", metadata={"tags": [exercises.STARTER_TAG]}),
        new_code(checker),
        new_code(exercises.SOLUTION_TITLE + "\n" + solution, metadata=exercises.solution_cell_metadata()),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.validate(nb)
    return nb


def run(nb: nbformat.NotebookNode, folder) -> nbformat.NotebookNode:
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs)


def test_under_ci_the_exercise_notebook_runs_its_starter_check_and_its_solution(strict, fresh, tmp_path):
    nb = run(exercise_notebook(), tmp_path)
    assert text(nb.cells[3]) == ("✘ exercise top_k_indices: top_k_indices(p, 3) is None: your code returned "
                                 "nothing (did you forget `return`?)\n"
                                 "  edit the cell above and run this check again\n")
    assert text(nb.cells[4]) == "✔ exercise top_k_indices: passed\n"
    saved = json.loads(fresh.read_text())["exercises"]  # the kernel recorded both for the run report
    assert [(c["stage"], c["passed"], c["as_expected"]) for c in saved] == [("starter", False, True),
                                                                             ("solution", True, True)]


def test_under_ci_a_check_that_cannot_fail_fails_the_run(strict, tmp_path):
    cannot_fail = CHECKER.replace('    """The problems', '    return []\n    """The problems')
    with pytest.raises(CellExecutionError, match="cannot fail on the starter: fix the check"):
        run(exercise_notebook(checker=cannot_fail), tmp_path)


def test_under_ci_a_wrong_solution_fails_the_run_with_the_students_message(strict, tmp_path):
    wrong = SOLUTION.replace("[::-1][:k]", "[:k]")  # the k smallest
    with pytest.raises(CellExecutionError, match=r"the solution of exercise top_k_indices fails its own check: "
                       r"top_k_indices\(p, 3\) contains 2, 0, outside the top-3 tokens \[1, 3, 4\]"):
        run(exercise_notebook(solution=wrong), tmp_path)
