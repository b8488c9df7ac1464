"""helpers.results: the local run's results when they fit, else the course's stored ones, said."""

from __future__ import annotations

import json

import pytest

from helpers import files, results


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setenv(files.WORK_DIR_ENV, str(tmp_path / "outputs"))
    stored = tmp_path / "stored"
    stored.mkdir()
    monkeypatch.setattr(results, "STORED_DIR", stored)
    return stored


def store(folder, notebook, **record):
    (folder / f"{notebook}.json").write_text(json.dumps({"notebook": notebook, **record}))


def test_the_local_run_wins_when_it_has_this_profile_and_settings(folders):
    store(folders, "06_vae", profile="demo", seed=42, settings={"n": 1000}, data={"fid": 30.0})
    results.save("06_vae", {"fid": 12.5}, seed=1, settings={"n": 100}, profile="smoke")
    lines = []
    found = results.load("06_vae", settings={"n": 100}, profile="smoke", log=lines.append)
    assert (found.data, found.source, found.comparable, found.seed) == ({"fid": 12.5}, "local", True, 1)
    assert found.label == "(notebook 06)"
    assert lines == ["notebook 06_vae: results of this machine's run, profile smoke, seed 1."]


def test_without_a_fitting_local_run_the_stored_results_are_used_and_marked(folders):
    store(folders, "06_vae", profile="demo", seed=42, settings={"n": 1000}, data={"fid": 30.0})
    results.save("06_vae", {"fid": 12.5}, seed=1, settings={"n": 50}, profile="smoke")  # other settings
    lines = []
    found = results.load("06_vae", settings={"n": 100}, profile="smoke", log=lines.append)
    assert (found.data, found.source, found.comparable) == ({"fid": 30.0}, "stored", False)
    assert found.label == "(notebook 06, stored demo)"
    assert "the course's stored run" in lines[0] and "profile demo, seed 42" in lines[0]
    assert "shown for reference, not compared" in lines[0]
    same = results.load("06_vae", settings={"n": 1000}, profile="demo", log=None)
    assert same.source == "stored" and same.comparable


def test_nothing_found_says_which_notebook_to_run(folders):
    lines = []
    assert results.load("03_nmt_rnn", profile="demo", log=lines.append) is None
    assert "run notebook 03_nmt_rnn first" in lines[0]


def test_bad_names_and_data_are_refused(folders):
    with pytest.raises(ValueError, match="such as '06_vae'"):
        results.local_path("vae")
    with pytest.raises(TypeError, match="dict"):
        results.save("06_vae", [1, 2], seed=0)


def test_the_stored_results_follow_the_one_schema():
    for path in sorted(results.STORED_DIR.glob("*.json")):
        record = json.loads(path.read_text())
        assert set(record) == {"notebook", "profile", "seed", "settings", "data"}, path.name
        assert record["notebook"] == path.stem and record["profile"] == "demo", path.name
