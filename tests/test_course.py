"""The ./course commands: set-repo (fork-friendly URLs), lab, slides (built and opened in Chromium), LICENSE."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import set_repo  # noqa: E402
import slides  # noqa: E402
from normalize_notebooks import normalize  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run",
                  "--host-resolver-rules=MAP * ~NOTFOUND"]  # no network at all: the deck must work offline


# --------------------------------------------------------------------------- set-repo


@pytest.mark.parametrize("text, expected", [
    ("ann/dl-course", ("ann", "dl-course", "main")),
    ("ann/dl-course@v1.0", ("ann", "dl-course", "v1.0")),
    ("Ann-B/my.course_2@feature/slides", ("Ann-B", "my.course_2", "feature/slides")),
    (" ann/x@0123456789abcdef0123456789abcdef01234567 ", ("ann", "x", "0123456789abcdef0123456789abcdef01234567")),
])
def test_parse_target_accepts_owner_name_and_ref(text, expected):
    assert tuple(set_repo.parse_target(text)) == expected


@pytest.mark.parametrize("text", ["ann", "ann/", "/x", "ann/x/y", "-ann/x", "ann-/x", "an--n/x", "a b/x",
                                  "ann/x@", "ann/x@../y", "ann/x@a..b", "ann/..", "ann/x.git",
                                  "https://github.com/ann/x", "ann/x@v1 ; rm -rf /", ""])
def test_parse_target_rejects_malformed_names_with_a_clear_message(text):
    with pytest.raises(ValueError, match=r"OWNER/NAME or OWNER/NAME@REF, for example 'ann/dl-course'"):
        set_repo.parse_target(text)


@pytest.fixture
def course_copy(tmp_path):
    """A copy of the course's notebooks, README, course script and set_repo script, with only the two
    helpers files set_repo imports (``helpers.files`` needs nothing but the standard library)."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "helpers").mkdir()
    for name in ("__init__.py", "files.py"):
        shutil.copy2(ROOT / "helpers" / name, tmp_path / "helpers" / name)
    for path in NOTEBOOKS:
        shutil.copy2(path, tmp_path / "notebooks" / path.name)
    shutil.copy2(ROOT / "README.md", tmp_path / "README.md")
    shutil.copy2(ROOT / "course", tmp_path / "course")
    shutil.copy2(ROOT / "scripts" / "set_repo.py", tmp_path / "scripts" / "set_repo.py")
    return tmp_path


def _texts(root: Path) -> dict[str, str]:
    files = sorted((root / "notebooks").glob("*.ipynb")) + [root / "README.md"]
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in files}


def test_set_repo_rewrites_every_badge_and_install_url(course_copy):
    before = _texts(course_copy)
    target = set_repo.parse_target("ann/fork@v2.0")
    report = set_repo.set_repo(course_copy, target)
    after = _texts(course_copy)
    assert set(report) == set(before)
    for name, text in after.items():
        badges = [m.group(0) for m in set_repo.BADGE_URL.finditer(text)]
        installs = [m.group(0) for m in set_repo.INSTALL_URL.finditer(text)]
        if name.startswith("notebooks/"):
            stem = Path(name).name
            assert badges and installs, f"{name}: no badge or install URL found"
            assert f"https://colab.research.google.com/github/ann/fork/blob/v2.0/notebooks/{stem}" in badges
            nb = json.loads(text)
            assert normalize(copy.deepcopy(nb)) == nb and text == json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        assert all(b.startswith("https://colab.research.google.com/github/ann/fork/blob/v2.0/notebooks/")
                   for b in badges), name
        assert set(installs) <= {"git+https://github.com/ann/fork@v2.0"}, name
        assert "keras-course/dl-notebooks" not in text, f"{name}: an old URL is left"
        assert report[name] == len(badges) + len(installs)  # every URL was pointing elsewhere
        # nothing but the URLs changed
        strip = lambda t: set_repo.INSTALL_URL.sub("<I>", set_repo.BADGE_URL.sub(r"<B>/\g<path>", t))  # noqa: E731
        assert strip(text) == strip(before[name]), f"{name}: more than the URLs changed"
    assert not [p for p in course_copy.rglob("*.tmp*")], "a temporary file was left behind"


def test_set_repo_is_idempotent_and_reversible(course_copy):
    original = _texts(course_copy)
    fork = set_repo.parse_target("ann/fork@v2.0")
    set_repo.set_repo(course_copy, fork)
    once = _texts(course_copy)
    mtimes = {p: p.stat().st_mtime_ns for p in course_copy.rglob("*") if p.is_file()}
    assert set(set_repo.set_repo(course_copy, fork).values()) == {0}
    assert _texts(course_copy) == once
    assert {p: p.stat().st_mtime_ns for p in course_copy.rglob("*") if p.is_file()} == mtimes  # untouched
    # back to the course's own repository at the ref its notebooks pin today
    ref = re.search(r"git\+https://github\.com/keras-course/dl-notebooks@([^\"\s\\]+)",
                    original["notebooks/01_char_rnn.ipynb"]).group(1)
    set_repo.set_repo(course_copy, set_repo.parse_target(f"keras-course/dl-notebooks@{ref}"))
    restored = _texts(course_copy)
    for name in original:
        if name.startswith("notebooks/") and f"dl-notebooks@{ref}" in original[name]:  # already pinned
            assert restored[name] == original[name], name


def test_course_set_repo_command_end_to_end(course_copy):
    run = lambda *args: subprocess.run(["bash", str(course_copy / "course"), "set-repo", *args],  # noqa: E731
                                       capture_output=True, text=True, timeout=60)
    before = _texts(course_copy)
    bad = run("not a repo")
    assert bad.returncode == 2 and "OWNER/NAME or OWNER/NAME@REF" in bad.stderr
    assert _texts(course_copy) == before  # nothing written on bad input
    assert run().returncode == 2
    good = run("ann/fork")
    assert good.returncode == 0, good.stderr
    assert "URL(s) changed" in good.stdout
    assert "github/ann/fork/blob/main/notebooks/01_char_rnn.ipynb" in _texts(course_copy)["README.md"]
    again = run("ann/fork")
    assert again.returncode == 0 and "0 URL(s) changed" in again.stdout


# --------------------------------------------------------------------------- course, lab, LICENSE


def test_course_usage_lists_every_command():
    proc = subprocess.run(["bash", str(ROOT / "course")], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    for command in ("demo", "test", "lab", "slides", "set-repo", "colab-check"):
        assert f"./course {command}" in proc.stdout


def _env_is_current() -> bool:
    venv = Path(os.environ.get("COURSE_VENV", ROOT / ".venv"))
    venv = venv if venv.is_absolute() else ROOT / venv
    requirements = os.environ.get("COURSE_REQUIREMENTS", "requirements.txt")
    want = subprocess.run(["bash", "-c", f'cat "{requirements}" pyproject.toml | cksum'], cwd=ROOT,
                          capture_output=True, text=True).stdout
    stamp = venv / ".course-stamp"
    return stamp.exists() and stamp.read_text() == want


def test_course_lab_starts_jupyterlab_on_the_notebooks():
    if not _env_is_current():
        pytest.skip("the course environment is not set up or out of date (./course test sets it up)")
    proc = subprocess.run(["bash", str(ROOT / "course"), "lab", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import jupyterlab

    assert proc.stdout.strip().splitlines()[-1] == jupyterlab.__version__
    script = (ROOT / "course").read_text()
    assert '-m jupyterlab --ServerApp.root_dir="$ROOT/notebooks"' in script


def test_license_matches_pyproject():
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == {"text": "MIT"}
    assert license_text.startswith("MIT License\n")
    assert re.search(r"Copyright \(c\) \d{4} the course authors", license_text)
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in license_text


# --------------------------------------------------------------------------- slides


def test_slide_types_follow_the_headings():
    md = lambda s: {"cell_type": "markdown", "source": s, "metadata": {}}  # noqa: E731
    code = {"cell_type": "code", "source": "## not a heading\n", "metadata": {}, "outputs": []}
    nb = {"cells": [md("# Title\n"), md("## Setup"), code, md("### Detail\nmore"), md("Text with ## inside"),
                    md(["\n", "## After a blank line"]), md("   ")], "metadata": {}}
    original = copy.deepcopy(nb)
    marked = slides.with_slide_metadata(nb)
    assert nb == original  # the stored notebook is never changed
    kinds = [c["metadata"]["slideshow"]["slide_type"] for c in marked["cells"]]
    assert kinds == ["slide", "slide", "-", "subslide", "-", "slide", "skip"]
    mid = slides.with_slide_metadata({"cells": [md("# T\n"), md("Intro.\n## Mid-cell section\ntext")], "metadata": {}})
    assert [(c["source"], c["metadata"]["slideshow"]["slide_type"]) for c in mid["cells"][1:]] == [
        ("Intro.\n", "-"), ("## Mid-cell section\ntext", "slide")]  # a section opened mid-cell gets its slide


def test_slides_select_by_number_or_name():
    assert slides.select(["05"]) == [ROOT / "notebooks" / "05_autoencoders.ipynb"]
    assert slides.select(["03_nmt_rnn", "03"]) == [ROOT / "notebooks" / "03_nmt_rnn.ipynb"]
    assert slides.select([]) == NOTEBOOKS
    with pytest.raises(SystemExit, match="No notebook matches '99'"):
        slides.select(["99"])


def test_demo_slides_and_colab_check_select_the_same_notebooks():
    import colab_check
    import run_notebooks

    for names in (["07"], ["07b"], ["03", "04"], []):
        assert slides.select(names) == run_notebooks.select_notebooks(names) == colab_check.select_notebooks(names)
    assert [p.stem for p in slides.select(["07"])] == ["07_gans"]


def test_every_notebook_builds_a_deck_with_one_slide_per_section():
    vendor = slides.OUT / slides.VENDOR / "versions.json"
    if shutil.which("npm") is None and not vendor.exists():
        pytest.skip("npm is needed once to install reveal.js into build/slides/_vendor")
    decks = slides.build(NOTEBOOKS)
    assert [d.name.split(".")[0] for d in decks] == [p.stem for p in NOTEBOOKS]
    for deck, notebook in zip(decks, NOTEBOOKS):
        headings = sum(line.startswith(("## ", "### ")) for cell in json.loads(notebook.read_text("utf-8"))["cells"]
                       if cell["cell_type"] == "markdown" for line in "".join(cell["source"]).splitlines())
        sections = len(re.findall(r"<section\b", deck.read_text(encoding="utf-8")))
        assert sections >= headings > 5, f"{deck.name}: {sections} slides for {headings} section headings"


def test_a_built_deck_renders_offline_in_headless_chromium(chromium):
    browser = chromium
    vendor = slides.OUT / slides.VENDOR / "versions.json"
    if shutil.which("npm") is None and not vendor.exists():
        pytest.skip("npm is needed once to install reveal.js into build/slides/_vendor")
    notebook = ROOT / "notebooks" / "03_nmt_rnn.ipynb"
    stored = notebook.read_bytes()
    (deck,) = slides.build([notebook])
    assert notebook.read_bytes() == stored  # slide metadata only in the copy
    html = deck.read_text(encoding="utf-8")
    assert "unpkg.com" not in html and "cdnjs" not in html
    url = deck.resolve().as_uri() + "#/1"
    dom = subprocess.run([browser, *CHROMIUM_FLAGS, "--virtual-time-budget=20000", "--dump-dom", url],
                         capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    reveal = re.search(r'<div class="(reveal [^"]*)"', dom.stdout)
    assert reveal and "ready" in reveal.group(1).split(), "reveal.js did not start (offline copy not loaded?)"
    sections = re.findall(r"<section\b[^>]*>", dom.stdout)
    assert len(sections) > 3
    assert any("present" in s for s in sections) and any("future" in s for s in sections)
    shot = slides.OUT / f"{notebook.stem}.png"
    shot.unlink(missing_ok=True)
    proc = subprocess.run([browser, *CHROMIUM_FLAGS, "--virtual-time-budget=20000", "--window-size=1280,800",
                           f"--screenshot={shot}", url], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (800, 1280)
    assert pixels[..., :3].std() > 0.05, "the screenshot is blank"
