"""pytest configuration shared by the unit tests, the doctests of ``helpers`` and nbval."""

import os
import shutil

import pytest

# Notebooks run by nbval get the smoke profile unless told otherwise; TensorFlow stays quiet.
os.environ.setdefault("COURSE_PROFILE", "smoke")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _course_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name.startswith("COURSE_")}


@pytest.fixture(autouse=True)
def _no_test_leaves_the_course_environment_changed():
    """Every notebook's kernel inherits this process's environment: a test that left, say,
    COURSE_PROFILE=demo or COURSE_STRICT=record behind would make every later notebook run at
    demo, unchecked. Such a test fails here (its changes are undone first)."""
    before = _course_environment()
    yield
    after = _course_environment()
    if after != before:
        for name in after.keys() - before.keys():
            del os.environ[name]
        os.environ.update(before)
        changed = sorted(name for name in before.keys() | after.keys()
                         if before.get(name) != after.get(name))
        pytest.fail(f"the test changed {', '.join(changed)} in os.environ; use monkeypatch.setenv "
                    "or restore them", pytrace=False)


def pytest_collectstart(collector):
    """Never compare stderr (TensorFlow's C++ logs go there in Jupyter but not under pytest)."""
    if getattr(collector, "skip_compare", None) is not None:
        collector.skip_compare += ("stderr", "text/html", "application/javascript")


@pytest.fixture(autouse=True)
def _doctests_write_in_a_temporary_folder(request):
    """A doctest (``--doctest-modules helpers``) runs in an empty folder, with no metrics file or
    work folder inherited from the caller: its ``outputs/`` and files go to ``tmp_path``."""
    if type(request.node).__name__ != "DoctestItem":
        return
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.chdir(request.getfixturevalue("tmp_path"))
    for name in ("COURSE_METRICS_FILE", "COURSE_WORK_DIR"):
        monkeypatch.delenv(name, raising=False)


_WARMED: list[bool] = []


@pytest.fixture(autouse=True)
def _data_doctests_read_a_filled_cache(request):
    """The loaders' doctests show what a loader returns, which is the same on every run; the
    message printed when a file is first copied or downloaded (tests/test_data.py checks it) would
    make them depend on whether the cache was empty, as on a fresh clone. Fill it once, quietly."""
    if type(request.node).__name__ != "DoctestItem" or not request.node.name.startswith("helpers.data."):
        return
    if not _WARMED:
        import contextlib
        import io

        from helpers import data

        with contextlib.redirect_stdout(io.StringIO()):
            data.load_shakespeare()
            data.load_fashion_mnist()
            data.load_spa_eng()
        _WARMED.append(True)


@pytest.fixture
def chromium() -> str:
    """The headless browser the slides and website tests open pages in; skips where it is missing."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("Chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
