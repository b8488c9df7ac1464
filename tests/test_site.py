"""The course website (scripts/build_site.py, ./course site): anchors, collapsed solutions, the lecture index,
and the whole site built and opened offline in headless Chromium."""

from __future__ import annotations

import concurrent.futures
import doctest
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ROOT.parent / "shared" / "lectures" / "TOPICS.md"  # beside the checkout, like the data mirror
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run",
                  "--host-resolver-rules=MAP * ~NOTFOUND"]  # no network at all: the site must work offline


def _load_site():
    """scripts/build_site.py, loaded from its file (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("course_site", ROOT / "scripts" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["course_site"] = module
    spec.loader.exec_module(module)
    return module


site = _load_site()


def _tiny_exporter():
    return site.exporter("_vendor/node_modules")


# --------------------------------------------------------------------------- pure functions


def test_the_docstring_examples_hold():
    result = doctest.testmod(site)
    assert result.attempted >= 15 and result.failed == 0


def test_anchors_are_the_ids_nbconvert_gives_the_headings():
    headings = ["Load the English–Spanish pairs", "Top-k and nucleus (top-p) sampling", "Algorithm 1's k: two steps",
                "Two `TextVectorization` layers", "Where does the attention look?", "Disentanglement: the β weight"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"## {h}\nText.") for h in headings])
    page = site.convert(nbformat.from_dict(nb), "anchors", "", _tiny_exporter())
    ids = site.heading_ids(page)
    assert ids == [site.anchor_of(h) for h in headings]
    assert ids[0] == "Load-the-English%E2%80%93Spanish-pairs" and ids[2] == "Algorithm-1's-k:-two-steps"
    # the README writes fragments percent-encoded its own way; each finds its heading's id
    assert site.find_anchor("Top-k-and-nucleus-%28top-p%29-sampling", ids) == "Top-k-and-nucleus-(top-p)-sampling"
    assert site.find_anchor("Algorithm-1%27s-k:-two-steps", ids) == "Algorithm-1's-k:-two-steps"
    assert site.find_anchor("Where-does-the-attention-look%3F", ids) == "Where-does-the-attention-look?"
    assert site.find_anchor("No-such-heading", ids) is None


def _exercise_notebook(path: Path) -> dict:
    """A tiny notebook with every kind of solution, written with nbformat and read back as stored."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        md("# Tiny\n\n[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
           "(https://colab.research.google.com/github/o/r/blob/main/notebooks/tiny.ipynb)"),
        md("## Lesson\nThe sum $a + b$ of two numbers."),
        code("print(2 + 2)", outputs=[nbformat.v4.new_output("stream", text="4\n")]),
        md("## What to try next\n\n1. Predict `2 * 3`, then run it."),
        code("answer = 2 * 3  # TAGGED-SOLUTION", metadata={"tags": ["solution"]}),
        md("2. Square a number.\n### Solution\nUse `x ** 2`: SOLUTION-TEXT."),
        code("print(3 ** 2)  # SOLUTION-CODE"),
        md("### Exercise 3\nEXERCISE-THREE, no solution shown."),
        code("print('still visible')  # VISIBLE"),
    ])
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return json.loads(path.read_text(encoding="utf-8"))


def test_solutions_are_collapsed_and_exercises_stay_visible(tmp_path):
    nb = _exercise_notebook(tmp_path / "tiny.ipynb")
    stored = json.dumps(nb)
    marked = site.mark_solutions(nb)
    assert json.dumps(nb) == stored  # only a copy is marked
    marks = [(site._source(c)[:20], c["metadata"].get("course_site")) for c in marked["cells"]]
    assert marks[4:] == [("answer = 2 * 3  # TA", {"open": True, "close": True}),
                         ("2. Square a number.\n", None),  # with its "### Solution" line: cut after it
                         ("Use `x ** 2`: SOLUTI", {"open": True}), ("print(3 ** 2)  # SOL", {"close": True}),
                         ("### Exercise 3\nEXERC", None), ("print('still visible", None)]
    assert site._source(marked["cells"][5]) == "2. Square a number.\n### Solution\n"
    assert len({c["id"] for c in marked["cells"]}) == len(marked["cells"])  # nbformat wants unique ids

    page = site.convert(nb, "tiny", "", _tiny_exporter())
    assert page.count('<details class="course-solution">') == 2 and page.count("</details>") == 2
    hidden = " ".join(re.findall(r'<details class="course-solution">(.*?)</details>', page, re.S))
    for text in ("TAGGED-SOLUTION", "SOLUTION-TEXT", "SOLUTION-CODE"):
        assert text in hidden
    for text in ("Predict", "Square a number", "EXERCISE-THREE", "VISIBLE", 'id="Solution"'):
        assert text in page and text not in hidden
    assert site.remote_resources(page) == []
    assert 'src="_static/colab-badge.svg"' in page and site.REMOTE_BADGE not in page

    title, cells = site.exercise_cells(nb)
    assert title == "What to try next"
    assert site._source(cells[0]).startswith("1. Predict") and "VISIBLE" in site._source(cells[-1])


def test_every_notebook_has_an_exercise_section():
    for path in NOTEBOOKS:
        section = site.exercise_cells(json.loads(path.read_text(encoding="utf-8")))
        assert section is not None and section[1], f"{path.name}: no 'What to try next' or exercise section"


def test_the_stock_template_would_load_from_cdns_and_ours_does_not():
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\n$x$")])
    stock, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    assert any("cdnjs.cloudflare.com" in url for url in site.remote_resources(stock))
    ours = site.convert(nbformat.from_dict(nb), "t", "", _tiny_exporter())
    assert site.remote_resources(ours) == []
    assert 'src="_vendor/node_modules/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"' in ours


def test_the_lecture_index_is_read_from_the_readme():
    decks = site.lecture_index(site.README.read_text(encoding="utf-8"))
    assert [d.split(" (")[0] for d, _ in decks] == [f"Deck {n}" for n in range(1, 6)]
    topics = [t for _, ts in decks for t in ts]
    assert [t.number for t in topics] == sorted(t.number for t in topics) and len(topics) >= 50
    assert all("notebooks/" in t.sections for t in topics), "a topic without a notebook section"
    if TOPICS.exists():
        numbers = {int(n) for n in re.findall(r"^(\d+)\. ", TOPICS.read_text(encoding="utf-8"), re.M)}
        assert {t.number for t in topics} == numbers


def test_lecture_index_links_use_the_page_ids_and_say_what_is_wrong():
    anchors = {"03_nmt_rnn": ["Beam-search", "Explainability:-where-does-the-attention-look?"]}
    text = ("[03 · Beam search](notebooks/03_nmt_rnn.ipynb#Beam-search); "
            "[03 · Explainability](notebooks/03_nmt_rnn.ipynb#Explainability:-where-does-the-attention-look%3F) "
            "(see [data](data/README.md)); [05 · PCA](notebooks/05_autoencoders.ipynb#PCA)")
    assert site.link_sections(text, anchors) == (
        '<a href="03_nmt_rnn.html#Beam-search">03 · Beam search</a>; '
        '<a href="03_nmt_rnn.html#Explainability:-where-does-the-attention-look?">03 · Explainability</a> '
        "(see data); 05 · PCA")  # no page for 05 (not built): its text only; other repository files: text only
    with pytest.raises(ValueError, match=r"03_nmt_rnn.html has no heading with that anchor.*fix the README's link"):
        site.link_sections("[x](notebooks/03_nmt_rnn.ipynb#Beam-serach)", anchors)
    with pytest.raises(ValueError, match="README.md has no '## Lecture index' section"):
        site.lecture_index("# A README\n## Notebooks\n")
    with pytest.raises(ValueError, match="topic row before any \\*\\*Deck\\*\\* line"):
        site.lecture_index("## Lecture index\n| 1 | a | b |\n")


def test_a_bad_notebook_name_gives_a_clear_error():
    with pytest.raises(SystemExit, match="No notebook matches '99'; choose from: 01_char_rnn"):
        site.main(["99"])
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py"), "99"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1 and "No notebook matches '99'" in proc.stderr


def test_course_site_is_a_command():
    proc = subprocess.run(["bash", str(ROOT / "course")], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "./course site" in proc.stdout
    assert 'exec "$VENV/bin/python" scripts/build_site.py "$@"' in (ROOT / "course").read_text()


# --------------------------------------------------------------------------- the built site, in a browser

# Injected (in a copy of each page, beside it) before any other script: records every resource that
# fails to load, then, once MathJax has typeset the page, writes what the test checks into the DOM.
CHECK_SCRIPT = r"""<script>
window.__failed = [];
window.addEventListener("error", function (e) {
  var t = e.target; if (t && t !== window) window.__failed.push(t.src || t.href || String(t.tagName));
}, true);
window.addEventListener("load", function () {
  function report() {
    var images = Array.from(document.images);
    var skip = "pre, code, script, style, textarea, .MathJax_Preview, .MathJax_CHTML, .mjx-chtml, #__site_check";
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), node, raw = [];
    while ((node = walker.nextNode())) {
      if (node.parentElement.closest(skip)) continue;
      if (/\$\$|\$[^$\s]([^$]*[^$\s])?\$|\\\(|\\\[/.test(node.nodeValue)) raw.push(node.nodeValue.slice(0, 100));
    }
    var out = {
      title: document.title, main: !!document.querySelector("main .jp-Cell"),
      failed: window.__failed, images: images.length,
      broken: images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                    .map(function (i) { return i.src.slice(0, 100); }),
      remote: performance.getEntriesByType("resource").map(function (r) { return r.name; })
                         .filter(function (n) { return !/^(file|data|blob|about):/.test(n); }),
      mathjax: !!(window.MathJax && window.MathJax.Hub),
      math: document.querySelectorAll(".MathJax_CHTML").length, raw_math: raw,
      ids: Array.from(document.querySelectorAll("h1[id], h2[id], h3[id], h4[id], h5[id], h6[id]"))
                .map(function (h) { return h.id; }),
      links: Array.from(document.querySelectorAll("a[href]")).map(function (a) { return a.getAttribute("href"); }),
      details: Array.from(document.querySelectorAll("details.course-solution")).map(function (d) { return d.open; })
    };
    if (out.details.length) out.text = document.body.innerText;  // what a reader sees (closed details: hidden)
    var pre = document.createElement("pre"); pre.id = "__site_check"; pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  if (window.MathJax && window.MathJax.Hub) window.MathJax.Hub.Queue(report); else report();
});
</script>"""


def _check_in_browser(browser: str, page: Path) -> dict:
    """Open a copy of ``page`` (beside it, so its relative URLs hold) with the check script in headless
    Chromium, without a network; return what the script found."""
    probe = page.with_name(f"_check-{page.name}")
    html = page.read_text(encoding="utf-8")
    assert "<head>" in html, f"{page.name}: no <head>"
    probe.write_text(html.replace("<head>", "<head>\n" + CHECK_SCRIPT, 1), encoding="utf-8")
    try:
        dom = subprocess.run([browser, *CHROMIUM_FLAGS, "--virtual-time-budget=10000", "--dump-dom",
                              probe.resolve().as_uri()], capture_output=True, text=True, timeout=240)
    finally:
        probe.unlink(missing_ok=True)
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<pre id="__site_check">(.*?)</pre>', dom.stdout, re.S)
    assert found, f"{page.name}: the page did not finish loading and typesetting in Chromium"
    import html as html_module

    return json.loads(html_module.unescape(found.group(1)))


@pytest.mark.slow  # about 40 s on 2 busy cores: the whole site is built, then 12 pages opened
def test_the_built_site_opens_offline_in_headless_chromium(tmp_path, chromium):
    browser = chromium
    if shutil.which("npm") is None and not (site.OUT / site.VENDOR / "versions.json").exists():
        pytest.skip("npm is needed once to install MathJax into build/site/_vendor")
    stored = {p: p.read_bytes() for p in NOTEBOOKS}
    written = site.build(NOTEBOOKS)
    assert {p: p.read_bytes() for p in NOTEBOOKS} == stored  # nothing executed, nothing written back
    assert [p.stem for p in written] == [p.stem for p in NOTEBOOKS]
    tiny = site.OUT / "_test-tiny.html"  # the solutions mechanism, on the fixture (no notebook has one yet)
    tiny.write_text(site.convert(_exercise_notebook(tmp_path / "tiny.ipynb"), "tiny", "", site.exporter(
        f"{site.VENDOR}/node_modules")), encoding="utf-8")
    try:
        shown = _check_in_browser(browser, tiny)
    finally:
        tiny.unlink()
    assert shown["details"] == [False, False] and shown["math"] == 1 and shown["raw_math"] == []
    assert "EXERCISE-THREE" in shown["text"] and "Show the solution" in shown["text"]
    assert not any(text in shown["text"] for text in ("TAGGED-SOLUTION", "SOLUTION-TEXT", "SOLUTION-CODE"))
    assert shown["failed"] == [] and shown["broken"] == [] and shown["images"] == 1  # the local Colab badge

    pages = [*written, site.OUT / "index.html", site.OUT / "exercises.html"]
    for page in pages:
        assert site.remote_resources(page.read_text(encoding="utf-8")) == [], page.name
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip([p.name for p in pages], pool.map(lambda p: _check_in_browser(browser, p), pages)))

    for name, result in results.items():
        assert result["title"] and not result["title"][:2].isdigit(), f"{name}: title {result['title']!r}"
        assert result["main"], f"{name}: the page did not render its cells"
        assert result["failed"] == [] and result["remote"] == [], f"{name}: failed or network requests: {result}"
        assert result["mathjax"], f"{name}: MathJax (vendored copy) did not load"
        assert result["raw_math"] == [], f"{name}: math left as TeX: {result['raw_math'][:3]}"
        assert result["broken"] == [], f"{name}: images not shown: {result['broken'][:3]}"
        assert not any(result["details"]), f"{name}: a solution is open on the first view"
        for link in result["links"]:  # every local link lands on a page that exists, at an id it has
            target, _, fragment = link.partition("#")
            if re.match(r"[a-z]+:", target):
                continue
            target = target or name
            assert (site.OUT / target).exists(), f"{name}: link to a missing page {link}"
            if fragment and target in results:
                assert fragment in results[target]["ids"], f"{name}: {link} lands on no heading"
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        math = any("$" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        images = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
        result = results[site.page_name(path)]
        assert result["math"] > 0 or not math, f"{path.name}: no typeset math"
        assert result["images"] >= images, f"{path.name}: {result['images']} images shown of {images} stored"

    index = results["index.html"]
    topic_links = [link for link in index["links"] if re.match(r"\d\w*_\w+\.html#", link)]
    assert len(topic_links) >= 50, "the lecture index links fewer sections than the README"
    readme_links = re.findall(r"\]\(notebooks/([^)#\s]+)\.ipynb#([^)\s]+)\)",
                              site.readme_section(site.README.read_text(encoding="utf-8"), "Lecture index"))
    for stem, fragment in readme_links:  # each README link became a link to the id the browser finds
        ids = results[f"{stem}.html"]["ids"]
        assert f"{stem}.html#{site.find_anchor(fragment, ids)}" in topic_links, f"{stem}#{fragment}"
    assert all(f"{p.stem}.html" in index["links"] for p in NOTEBOOKS)
    assert sum("colab.research.google.com" in link for link in index["links"]) == len(NOTEBOOKS)
