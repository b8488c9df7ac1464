"""helpers.lessons: a claim prints one line, is recorded, and fails only where it should."""

from __future__ import annotations

import json
import warnings

import pytest

from helpers import files, lessons


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    monkeypatch.setattr(lessons, "_claims", [])
    monkeypatch.setenv(files.METRICS_ENV, str(tmp_path / "metrics.json"))
    monkeypatch.setenv("COURSE_PROFILE", "demo")
    return tmp_path / "metrics.json"


def test_a_claim_that_holds_prints_a_tick_and_its_evidence(capsys, monkeypatch):
    monkeypatch.setenv(lessons.STRICT_ENV, "1")
    assert lessons.expect("attention beats the plain LSTM", True, {"BLEU": 31.456, "LSTM": 10.2}) is None
    assert lessons.claims()[-1]["holds"] is True
    assert capsys.readouterr().out == "✔ attention beats the plain LSTM | BLEU 31.46, LSTM 10.2\n"


def test_a_failed_claim_raises_under_the_strict_setting(capsys, monkeypatch):
    monkeypatch.setenv(lessons.STRICT_ENV, "1")
    with pytest.raises(lessons.ClaimFailed, match="dropout helps.*val 1.5"):
        lessons.expect("dropout helps", False, "val 1.5 vs 1.4")
    assert capsys.readouterr().out.startswith("✘ dropout helps | val 1.5 vs 1.4")


def test_by_hand_a_failed_claim_warns_and_the_notebook_goes_on(monkeypatch, capsys):
    monkeypatch.delenv(lessons.STRICT_ENV, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lessons.expect("dropout helps", False, {"with": 1.5, "without": 1.4})
    assert lessons.claims()[-1]["holds"] is False
    assert [type(w.message) for w in caught] == [lessons.LessonWarning]
    assert "did not show with these settings" in str(caught[0].message)
    assert "✘" in capsys.readouterr().out


def test_record_mode_goes_on_silently_and_keeps_every_claim_in_the_metrics_file(fresh, monkeypatch):
    monkeypatch.setenv(lessons.STRICT_ENV, "record")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning either
        lessons.expect("first", False, {"a": 1})
        lessons.expect("second", True)
    saved = json.loads(fresh.read_text())["claims"]
    assert [(c["claim"], c["holds"], c["checked"]) for c in saved] == [("first", False, True),
                                                                        ("second", True, True)]
    assert saved[0]["values"] == {"a": 1}


def test_a_demo_only_claim_is_not_checked_at_smoke(monkeypatch, capsys):
    monkeypatch.setenv(lessons.STRICT_ENV, "1")
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    lessons.expect("the big model wins", False, demo_only=True)  # no exception: not checked
    assert capsys.readouterr().out.startswith("· the big model wins (not checked at smoke")
    assert lessons.claims()[-1]["checked"] is False
    monkeypatch.setenv("COURSE_PROFILE", "demo")
    with pytest.raises(lessons.ClaimFailed):
        lessons.expect("the big model wins", False, demo_only=True)


def test_bad_arguments_say_what_to_do(monkeypatch):
    with pytest.raises(ValueError, match="claim as a sentence"):
        lessons.expect("", True)
    with pytest.raises(TypeError, match="mapping"):
        lessons.expect("x", True, 3.5)
    monkeypatch.setenv(lessons.STRICT_ENV, "maybe")
    with pytest.raises(ValueError, match="COURSE_STRICT"):
        lessons.expect("x", False)


def test_numpy_and_non_finite_evidence_is_recorded_as_plain_json(fresh):
    import numpy as np

    lessons.expect("finite", True, {"loss": np.float32(1.25), "gap": float("nan"), "n": np.int64(3)})
    assert json.loads(fresh.read_text())["claims"][0]["values"] == {"loss": 1.25, "gap": "nan", "n": 3}
