"""Build the course website from the stored notebooks: static HTML that opens from disk, offline.

    ./course site            # every notebook -> build/site/NN_name.html, index.html, exercises.html
    ./course site 03 05      # some notebooks, by number or name (the index lists every page built)

Each notebook is converted as stored (nothing is executed) by nbconvert's HTML exporter with the lab
template. ``index.html`` holds the course table (from the README's notebook table), the README's
lecture index with every topic linked to its section in the notebook pages (the anchor ids are read
from the generated pages, never guessed), and the exercises: each notebook's final "What to try next"
section, also gathered on ``exercises.html``. A solution cell (tagged ``solution``, or under a heading
that says "Solution") is shown collapsed in a ``<details>`` element. RequireJS and MathJax 2 are loaded
from ``build/site/_vendor`` (the slides' pinned npm install, on the first build, not committed), the
Colab badge from ``build/site/_static``, never from a CDN, so the site works without a network.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import html
import io
import json
import re
import shutil
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers.exercises import SOLUTION_TAG  # noqa: E402  (the tag that hides a solution cell)
from helpers.files import atomic_write_text  # noqa: E402  (one atomic write for the whole project)

sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import select_notebooks  # noqa: E402  (one notebook selection for every command)
from slides import VENDOR, ensure_vendor  # noqa: E402  (one pinned front-end install for slides and site)

README = ROOT / "README.md"
OUT = ROOT / "build" / "site"
STATIC = "_static"
BADGE = "colab-badge.svg"
REMOTE_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
EXERCISES_TITLE = re.compile(r"what to try next|\bexercises?\b", re.I)
SOLUTION_TITLE = re.compile(r"\bsolutions?\b", re.I)
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_NOTEBOOK_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\((notebooks/([^)#\s/]+)\.ipynb)(?:#([^)\s]*))?\)")
_SIBLING = re.compile(r'href="([\w.-]+)\.ipynb(#[^"]*)?"')  # a notebook's link to another notebook
_OTHER_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\((?!https?://)([^)\s]+)\)")

# A local badge (the notebooks' badge image is on colab.research.google.com, which needs a network).
BADGE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img" aria-label="Open in Colab">
<title>Open in Colab</title><rect width="117" height="20" rx="3" fill="#555"/>
<rect x="60" width="57" height="20" rx="3" fill="#f9ab00"/><rect x="60" width="4" height="20" fill="#f9ab00"/>
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
<text x="7" y="14">Open in</text><text x="67" y="14" fill="#202124">Colab</text></g></svg>
"""

CSS = """
/* course site */
nav.course-nav { display: flex; gap: 1.2em; align-items: center; padding: 0.6em 1em; margin-bottom: 0.5em;
  border-bottom: 1px solid #ddd; font-family: var(--jp-ui-font-family); font-size: 14px; }
nav.course-nav img { vertical-align: middle; }
details.course-solution { border-left: 3px solid #90caf9; margin: 0.5em 0; padding: 0.1em 0; }
details.course-solution > summary { cursor: pointer; margin-left: 64px; padding: 0.3em 0; font-weight: 600;
  font-family: var(--jp-content-font-family); color: #1565c0; }
.course-index table { font-size: 13px; }
.course-index td img { max-width: none; }
"""

TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{% block extra_css %}<style type="text/css">{{ resources.course_css }}</style>{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
{%- if resources.course_nav %}<nav class="course-nav">{{ resources.course_nav }}</nav>{% endif -%}
{%- endblock body_header -%}
{% block any_cell %}
{%- set marks = cell.metadata.get('course_site', {}) -%}
{%- if marks.get('open') %}<details class="course-solution"><summary>Show the solution</summary>{% endif -%}
{{ super() }}
{%- if marks.get('close') %}</details>{% endif -%}
{% endblock any_cell %}
"""


# --------------------------------------------------------------------------- headings and anchors


def heading(line: str) -> tuple[int, str] | None:
    """``(level, text)`` of a markdown ATX heading line, else None.

    >>> heading("## What to try next ##"), heading("#hashtag")
    ((2, 'What to try next'), None)
    """
    match = _ATX.match(line)
    return (len(match.group(1)), match.group(2)) if match else None


def heading_ids(page: str) -> list[str]:
    """The ids of the ``<h1>``…``<h6>`` elements of an HTML page, in order (nbconvert gives every
    markdown heading one; these are the ids the lecture index must link to).

    >>> heading_ids('<h2 id="Beam-search">Beam search</h2><h3 id="Algorithm-1&#x27;s-k">x</h3><p id="no">')
    ['Beam-search', "Algorithm-1's-k"]
    """
    return [html.unescape(m) for m in re.findall(r"<h[1-6]\b[^>]*?\sid=\"([^\"]*)\"", page)]


def anchor_of(text: str) -> str:
    """The id nbconvert gives a markdown heading with this text (its own renderer, not a guess).

    >>> anchor_of("Algorithm 1's k: `k` steps")
    "Algorithm-1's-k:-k-steps"
    """
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    ids = heading_ids(markdown2html_mistune(f"## {text}\n"))
    if not ids:
        raise ValueError(f"nbconvert gave the heading {text!r} no id")
    return ids[0]


def find_anchor(fragment: str, ids: list[str] | set[str]) -> str | None:
    """The id among ``ids`` that the URL ``fragment`` names (both compared percent-decoded, as a
    browser does), else None.

    >>> find_anchor("Top-k-and-nucleus-%28top-p%29-sampling", ["Top-k-and-nucleus-(top-p)-sampling"])
    'Top-k-and-nucleus-(top-p)-sampling'
    >>> find_anchor("Load-the-English%E2%80%93Spanish-pairs", ["Load-the-English%E2%80%93Spanish-pairs"])
    'Load-the-English%E2%80%93Spanish-pairs'
    """
    wanted = urllib.parse.unquote(fragment)
    for anchor in ids:
        if anchor == fragment or urllib.parse.unquote(anchor) == wanted:
            return anchor
    return None


def page_name(notebook: str | Path) -> str:
    """The site page of a notebook (a path, file name or stem).

    >>> page_name("notebooks/03_nmt_rnn.ipynb")
    '03_nmt_rnn.html'
    """
    return f"{Path(notebook).stem}.html"


# --------------------------------------------------------------------------- solutions and exercises


def _source(cell: dict) -> str:
    return "".join(cell.get("source", ""))


def split_at_headings(cell: dict) -> list[dict]:
    """A markdown cell cut before each heading line (outside code fences), and after a "Solution"
    heading line, so that a solution written in the heading's own cell can be collapsed; other cells
    unchanged (one-element list).

    >>> [c["source"] for c in split_at_headings({"cell_type": "markdown", "source": "A\\n### Solution\\nB"})]
    ['A\\n', '### Solution\\n', 'B']
    """
    if cell.get("cell_type") != "markdown":
        return [cell]
    pieces: list[str] = []
    current = ""
    fenced = False
    for line in _source(cell).splitlines(keepends=True):
        if _FENCE.match(line):
            fenced = not fenced
        found = None if fenced else heading(line.rstrip("\n"))
        if found and current.strip():
            pieces.append(current)
            current = ""
        current += line
        if found and SOLUTION_TITLE.search(found[1]):
            pieces.append(current)
            current = ""
    if current or not pieces:
        pieces.append(current)
    return [dict(copy.deepcopy(cell), source=piece) for piece in pieces]


def _is_tagged_solution(cell: dict) -> bool:
    return SOLUTION_TAG in [str(t).lower() for t in cell.get("metadata", {}).get("tags", [])]


def mark_solutions(nb: dict) -> dict:
    """A copy of ``nb`` in which every run of solution cells is marked for the template to wrap in one
    collapsed ``<details>``: ``metadata.course_site = {"open": True}`` on its first cell, ``{"close":
    True}`` on its last. A solution cell is tagged ``solution``, or follows a heading whose text says
    "Solution" (up to the next heading of the same or a higher level; the heading stays visible).
    A markdown cell is cut only where a solution starts or ends inside it; ``nb`` is not changed.

    >>> md = lambda s: {"cell_type": "markdown", "source": s, "metadata": {}}
    >>> marked = mark_solutions({"cells": [md("## Exercise\\nTry it."), md("### Solution\\nIt is 4."),
    ...                                    md("## Next")], "metadata": {}})
    >>> [(c["source"], c["metadata"].get("course_site")) for c in marked["cells"]]
    [('## Exercise\\nTry it.', None), ('### Solution\\n', None), ('It is 4.', {'open': True, 'close': True}), ('## Next', None)]
    """
    nb = copy.deepcopy(nb)
    pieces: list[tuple[int, dict, bool]] = []  # (index of the original cell, piece, is a solution)
    level = None  # the heading level of the open "Solution" section
    for index, cell in enumerate(nb["cells"]):
        tagged = _is_tagged_solution(cell)
        for piece in split_at_headings(cell):
            lines = _source(piece).lstrip("\n").splitlines()
            found = heading(lines[0]) if lines and piece.get("cell_type") == "markdown" else None
            if found:
                if level is not None and found[0] <= level:
                    level = None
                if SOLUTION_TITLE.search(found[1]):
                    pieces.append((index, piece, tagged))
                    level = found[0]
                    continue
            pieces.append((index, piece, tagged or level is not None))
    cells: list[tuple[dict, bool]] = []
    previous = None
    for index, piece, solution in pieces:  # glue back the pieces of a cell that do not change state
        if previous is not None and previous[0] == index and previous[2] == solution:
            cells[-1][0]["source"] = _source(cells[-1][0]) + _source(piece)
        else:
            cells.append((piece, solution))
        previous = (index, piece, solution)
    for i, (cell, solution) in enumerate(cells):
        if not solution:
            continue
        marks = {}
        if i == 0 or not cells[i - 1][1]:
            marks["open"] = True
        if i == len(cells) - 1 or not cells[i + 1][1]:
            marks["close"] = True
        if marks:
            cell.setdefault("metadata", {})["course_site"] = marks
    seen: set[str] = set()
    for i, (cell, _) in enumerate(cells):  # pieces of one cell get their own ids (nbformat wants them unique)
        if "id" in cell:
            while cell["id"] in seen:
                cell["id"] = f"{cell['id']}-{i}"
            seen.add(cell["id"])
    nb["cells"] = [cell for cell, _ in cells]
    return nb


def exercise_cells(nb: dict) -> tuple[str, list[dict]] | None:
    """``(heading, cells)`` of the notebook's exercise section, the heading line itself left out; None when
    there is none. It starts at a heading that says "What to try next" or "Exercise(s)" (the highest such
    level; sub-headings such as "### Exercise 2" stay inside it) and runs to the end of the notebook,
    taking in the sections after it that are exercises or solutions too; an exercise section followed by
    another kind ends at that section's heading.

    >>> md = lambda s: {"cell_type": "markdown", "source": s, "metadata": {}}
    >>> nb = {"cells": [md("# T"), md("Text\\n## What to try next\\n1. Try."), md("### Exercise 2\\nMore.")]}
    >>> title, cells = exercise_cells(nb)
    >>> title, [c["source"] for c in cells]
    ('What to try next', ['1. Try.', '### Exercise 2\\nMore.'])
    """
    pieces = [piece for cell in nb["cells"] for piece in split_at_headings(cell)]
    headings = []
    for i, piece in enumerate(pieces):
        lines = _source(piece).lstrip("\n").splitlines()
        found = heading(lines[0]) if lines and piece.get("cell_type") == "markdown" else None
        if found:
            headings.append((i, *found))
    matches = [(i, level, text) for i, level, text in headings if EXERCISES_TITLE.search(text)]
    if not matches:
        return None
    level = min(lvl for _, lvl, _ in matches)
    top = [(i, text) for i, lvl, text in headings if lvl <= level]
    trailing = []  # the final run of exercise and solution sections
    for i, text in reversed(top):
        if not (EXERCISES_TITLE.search(text) or SOLUTION_TITLE.search(text)):
            break
        trailing.insert(0, (i, text))
    starts = [(i, text) for i, text in trailing if EXERCISES_TITLE.search(text)]
    if starts:
        (start, title), end = starts[0], len(pieces)
    else:
        start, title = next((i, text) for i, lvl, text in reversed(matches) if lvl == level)
        end = next(i for i, _ in top if i > start)
    first = copy.deepcopy(pieces[start])
    first["source"] = "\n".join(_source(first).lstrip("\n").split("\n")[1:]).lstrip("\n")
    cells = ([first] if first["source"].strip() else []) + copy.deepcopy(pieces[start + 1:end])
    return title, cells


# --------------------------------------------------------------------------- the README's tables


@dataclass(frozen=True)
class Notebook:
    """A row of the README's notebook table."""

    number: str
    stem: str
    title: str
    covers: str
    colab: str


@dataclass(frozen=True)
class Topic:
    """A row of the README's lecture index: topic number, its text, and the notebook sections (markdown)."""

    number: int
    topic: str
    sections: str


def readme_section(readme: str, title: str) -> str:
    """The text of the README's ``## title`` section (up to the next ``## ``).

    >>> readme_section("# R\\n## A\\none\\n## B\\ntwo\\n", "A")
    'one\\n'
    """
    match = re.search(rf"^## {re.escape(title)}[ \t]*\n", readme, re.M)
    if not match:
        raise ValueError(f"README.md has no '## {title}' section")
    end = re.search(r"^## ", readme[match.end():], re.M)
    return readme[match.end(): match.end() + end.start() if end else len(readme)]


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def notebook_table(readme: str) -> dict[str, Notebook]:
    """The README's notebook table (``## Notebooks``), by notebook stem.

    >>> row = ("| 01 | [Char-RNN](notebooks/01_char_rnn.ipynb) | *Char-RNN* | "
    ...        "[![Open In Colab](badge.svg)](https://colab.research.google.com/github/o/r/blob/main/01.ipynb) |")
    >>> notebook_table("## Notebooks\\n| # | topic |\\n|---|---|\\n" + row)["01_char_rnn"]
    Notebook(number='01', stem='01_char_rnn', title='Char-RNN', covers='*Char-RNN*', colab='https://colab.research.google.com/github/o/r/blob/main/01.ipynb')
    """
    rows = {}
    for line in readme_section(readme, "Notebooks").splitlines():
        link = re.match(r"\|\s*(\w+)\s*\|\s*\[(.*?)\]\(notebooks/([^)]+)\.ipynb\)", line)
        if not link:
            continue
        cells = _cells(line)
        colab = re.search(r"\]\((https://colab\.research\.google\.com/[^)\s]+)\)", line)
        rows[link.group(3)] = Notebook(link.group(1), link.group(3), link.group(2), cells[2] if len(cells) > 2 else "",
                                       colab.group(1) if colab else "")
    return rows


def lecture_index(readme: str) -> list[tuple[str, list[Topic]]]:
    """The README's lecture index (``## Lecture index``): ``(deck title, topics)`` for every deck, in order.

    >>> text = ("## Lecture index\\n\\nIntro.\\n\\n**Deck 1 (RNNs)**\\n\\n| # | topic | notebook sections |\\n"
    ...         "|---:|---|---|\\n| 2 | Greedy | [01 · Greedy decoding](notebooks/01_char_rnn.ipynb#Greedy-decoding) |\\n")
    >>> lecture_index(text)
    [('Deck 1 (RNNs)', [Topic(number=2, topic='Greedy', sections='[01 · Greedy decoding](notebooks/01_char_rnn.ipynb#Greedy-decoding)')])]
    """
    decks: list[tuple[str, list[Topic]]] = []
    for line in readme_section(readme, "Lecture index").splitlines():
        deck = re.match(r"\*\*(.+?)\*\*\s*$", line.strip())
        row = re.match(r"\|\s*(\d+)\s*\|", line)
        if deck:
            decks.append((deck.group(1), []))
        elif row:
            if not decks:
                raise ValueError(f"README.md's lecture index has a topic row before any **Deck** line: {line!r}")
            cells = _cells(line)
            if len(cells) < 3:
                raise ValueError(f"README.md's lecture index row needs 3 columns (#, topic, sections): {line!r}")
            decks[-1][1].append(Topic(int(cells[0]), cells[1], cells[2]))
    if not decks or not any(topics for _, topics in decks):
        raise ValueError("README.md's lecture index has no topic rows (| N | topic | notebook sections |)")
    return decks


def link_sections(markdown: str, anchors: dict[str, list[str]]) -> str:
    """``markdown`` with every link to a notebook section (``notebooks/NN_name.ipynb#Heading``) turned into
    a link to that section in the site's page, using the page's own heading id (``anchors``: page stem ->
    heading ids). A link to a notebook without a page keeps only its text; a section the page does not
    have is an error.

    >>> link_sections("[01 · Greedy](notebooks/01_x.ipynb#Greedy%27s)", {"01_x": ["Greedy's"]})
    '<a href="01_x.html#Greedy&#x27;s">01 · Greedy</a>'
    """
    def replace(match: re.Match) -> str:
        label, path, stem, fragment = match.groups()
        if stem not in anchors:
            return label
        if not fragment:
            return f'<a href="{html.escape(page_name(stem))}">{label}</a>'
        anchor = find_anchor(fragment, anchors[stem])
        if anchor is None:
            raise ValueError(f"README.md links {path}#{fragment}, but {page_name(stem)} has no heading with that "
                             f"anchor (its headings: {', '.join(anchors[stem][:8])}, ...): fix the README's link")
        return f'<a href="{html.escape(page_name(stem) + "#" + anchor)}">{label}</a>'

    linked = _NOTEBOOK_LINK.sub(replace, markdown)
    return _OTHER_LINK.sub(lambda m: m.group(1), linked)  # other files of the repository are not on the site


# --------------------------------------------------------------------------- conversion


def remote_resources(page: str) -> list[str]:
    """URLs the page would fetch from the network (scripts, styles, images, frames, CSS ``url()`` and
    ``@import``); plain links (``<a href>``) are not fetched and not listed.

    >>> remote_resources('<a href="https://x.org">x</a><script src="https://cdn.x/y.js"></script>')
    ['https://cdn.x/y.js']
    """
    found = re.findall(r"<(?:script|img|iframe|source|audio|video|embed)\b[^>]*?\ssrc=[\"']((?:https?:)?//[^\"']+)",
                       page, re.I)
    found += re.findall(r"<link\b[^>]*?\shref=[\"']((?:https?:)?//[^\"']+)", page, re.I)
    found += re.findall(r"url\(\s*[\"']?((?:https?:)?//[^)\"']+)", page, re.I)
    found += re.findall(r"@import\s+[\"']((?:https?:)?//[^\"']+)", page, re.I)
    found += re.findall(r"import\(\s*[\"']((?:https?:)?//[^\"']+)", page)
    return found


def exporter(prefix: str):
    """nbconvert's HTML exporter (lab template), with the course's template on top (navigation bar,
    collapsed solutions) and RequireJS and MathJax loaded from ``prefix`` (a relative URL)."""
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"course_site.html.j2": TEMPLATE})],
        template_file="course_site.html.j2",
        require_js_url=f"{prefix}/requirejs/require.js",
        mathjax_url=f"{prefix}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        mermaid_js_url=f"{prefix}/mermaid-absent.mjs",  # the notebooks have no mermaid diagrams
        mermaid_layout_elk_js_url="",
        jupyter_widgets_base_url=f"{prefix}/widgets-absent/",  # nor widgets
    )


def convert(nb: dict, name: str, nav: str, html_exporter) -> str:
    """One page: ``nb`` (a notebook dict) as HTML, solutions collapsed, the Colab badge local, checked to
    load nothing from the network."""
    import nbformat

    marked = mark_solutions(nb)
    marked.setdefault("metadata", {}).setdefault("title", _title(nb, name))  # the page's <title>
    node = nbformat.reads(json.dumps(marked), as_version=4)
    body, _ = html_exporter.from_notebook_node(
        node, resources={"metadata": {"name": name}, "course_nav": nav, "course_css": CSS})
    body = body.replace(f'src="{REMOTE_BADGE}"', f'src="{STATIC}/{BADGE}"')
    body = _SIBLING.sub(lambda m: f'href="{page_name(m.group(1))}{m.group(2) or ""}"', body)  # 05 -> 06_vae
    remote = remote_resources(body)
    if remote:
        raise RuntimeError(f"{name}: the page would still load from the network: {', '.join(sorted(set(remote)))}")
    return body


def _badge(url: str) -> str:
    return (f'<a href="{html.escape(url)}"><img src="{STATIC}/{BADGE}" alt="Open In Colab" width="117" '
            f'height="20"></a>') if url else ""


def _colab_url(nb: dict, stem: str) -> str:
    for cell in nb["cells"][:3]:
        match = re.search(rf"https://colab\.research\.google\.com/[^)\s\"']*/{re.escape(stem)}\.ipynb", _source(cell))
        if match:
            return match.group(0)
    return ""


def _title(nb: dict, stem: str) -> str:
    for cell in nb["cells"]:
        for line in _source(cell).splitlines():
            found = heading(line) if cell.get("cell_type") == "markdown" else None
            if found and found[0] == 1:
                return found[1]
    return stem


def _nav(colab: str = "") -> str:
    return (f'<a href="index.html">Course index</a><a href="index.html#Lecture-index">Lecture index</a>'
            f'<a href="exercises.html">Exercises</a>{_badge(colab)}')


def _markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _notebook(cells: list[dict], title: str) -> dict:
    for i, cell in enumerate(cells):
        cell.setdefault("id", f"site-{i}")
    return {"cells": cells, "metadata": {"title": title}, "nbformat": 4, "nbformat_minor": 5}


def index_notebook(pages: list[tuple[Path, dict]], anchors: dict[str, list[str]], readme: str,
                   exercises: dict[str, tuple[str, str, int]]) -> dict:
    """The index page as a notebook of markdown cells: course table, lecture index, exercises."""
    table = notebook_table(readme)
    rows = ["| notebook | title | what it covers | Colab |", "|---|---|---|---|"]
    for path, nb in pages:
        row = table.get(path.stem)
        title = row.title if row else _title(nb, path.stem)
        covers = row.covers if row else ""
        colab = (row.colab if row and row.colab else _colab_url(nb, path.stem))
        number = path.stem.split("_")[0]
        rows.append(f'| <a href="{page_name(path)}">{number}</a> | <a href="{page_name(path)}">{title}</a> | '
                    f"{covers} | {_badge(colab)} |")
    cells = [_markdown(
        "# Deep learning with Keras 3: the course\n\nEvery notebook of the course with the outputs of one clean "
        "run, to read before you run it (nothing here is executed). Open a notebook in Colab with its badge to "
        "run it yourself. The [lecture index](#Lecture-index) links each topic of the lecture decks to the "
        "notebook section that teaches it; the [exercises](exercises.html) are gathered on one page."),
        _markdown("## Notebooks\n\n" + "\n".join(rows))]
    intro = ("Where each topic of the lecture decks is taught (same numbers as the decks' topic list). "
             "Each link opens the notebook at that section.")
    cells.append(_markdown(f"## Lecture index\n\n{intro}"))
    for deck, topics in lecture_index(readme):
        lines = [f"### {deck}", "", "| # | topic | notebook sections |", "|---:|---|---|"]
        lines += [f"| {t.number} | {t.topic} | {link_sections(t.sections, anchors)} |" for t in topics]
        cells.append(_markdown("\n".join(lines)))
    items = []
    for path, _ in pages:
        if path.stem in exercises:
            anchor, title, solutions = exercises[path.stem]
            note = f" ({solutions} solution(s), collapsed)" if solutions else ""
            items.append(f'- <a href="{html.escape(page_name(path) + "#" + anchor)}">{path.stem.split("_")[0]} · '
                         f"{title}</a>{note}")
    cells.append(_markdown("## Exercises\n\nEach notebook ends with exercises: questions to predict and then "
                           "run, small coding tasks, an open experiment. All of them on one page: "
                           "[exercises](exercises.html).\n\n" + "\n".join(items)))
    return _notebook(cells, "Deep learning with Keras 3: the course")


def exercises_notebook(pages: list[tuple[Path, dict]], anchors: dict[str, list[str]]) -> tuple[dict, dict]:
    """The exercises page as a notebook (each notebook's exercise section under its own heading), and, by
    page stem, ``(anchor of the section in its notebook page, its heading, number of solutions)``."""
    cells = [_markdown("# Exercises\n\nThe final section of every notebook. Try each exercise before you open "
                       "its solution; the notebook pages show the same exercises after the lesson they use.")]
    found: dict[str, tuple[str, str, int]] = {}
    for path, nb in pages:
        section = exercise_cells(nb)
        if section is None:
            continue
        title, body = section
        anchor = find_anchor(anchor_of(title), anchors.get(path.stem, []))
        if anchor is None:
            raise RuntimeError(f"{page_name(path)} has no anchor for its exercise heading {title!r}")
        solutions = sum(bool(c.get("metadata", {}).get("course_site", {}).get("open"))
                        for c in mark_solutions(_notebook(copy.deepcopy(body), ""))["cells"])
        found[path.stem] = (anchor, title, solutions)
        link = html.escape(page_name(path) + "#" + anchor)
        number = path.stem.split("_")[0]
        cells.append(_markdown(f"## {number} · {_title(nb, path.stem)}\n\nIn the notebook page: "
                               f"<a href=\"{link}\">{number} · {title}</a> {_badge(_colab_url(nb, path.stem))}"))
        cells += body
    return _notebook(cells, "Exercises"), found


def build(paths: list[Path], out: Path = OUT, readme: Path = README) -> list[Path]:
    """Write ``out/NN_name.html`` for each notebook, then ``out/index.html`` and ``out/exercises.html``
    over every page in ``out``; return the notebook pages written."""
    out.mkdir(parents=True, exist_ok=True)
    if shutil.which("npm") is None and not (out / VENDOR / "versions.json").exists():
        raise SystemExit("site: npm is needed once, to install MathJax into build/site/_vendor (install "
                         "Node.js, e.g. apt-get install -y npm, then run this again).")
    vendor = out / VENDOR
    if not (vendor / "versions.json").exists():
        print(f"Installing RequireJS and MathJax (with the slides' other packages) into {vendor} (once)...",
              flush=True)
    with contextlib.redirect_stdout(io.StringIO()):  # its own message names build/slides
        ensure_vendor(out)
    atomic_write_text(out / STATIC / BADGE, BADGE_SVG)
    html_exporter = exporter(f"{VENDOR}/node_modules")
    written = []
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        page = out / page_name(path)
        atomic_write_text(page, convert(nb, path.stem, _nav(_colab_url(nb, path.stem)), html_exporter))
        print(f"{page.relative_to(ROOT) if page.is_relative_to(ROOT) else page}", flush=True)
        written.append(page)
    notebooks = {p.stem: p for p in select_notebooks([])}
    pages = [(notebooks[p.stem], json.loads(notebooks[p.stem].read_text(encoding="utf-8")))
             for p in sorted(out.glob("[0-9]*.html")) if p.stem in notebooks]
    anchors = {path.stem: heading_ids((out / page_name(path)).read_text(encoding="utf-8")) for path, _ in pages}
    exercises, found = exercises_notebook(pages, anchors)
    atomic_write_text(out / "exercises.html", convert(exercises, "exercises", _nav(), html_exporter))
    index = index_notebook(pages, anchors, readme.read_text(encoding="utf-8"), found)
    atomic_write_text(out / "index.html",
                      convert(index, "index", _nav(), html_exporter).replace("<main>", '<main class="course-index">', 1))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="numbers or names (default: every notebook)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: build/site)")
    args = parser.parse_args(argv)
    pages = build(select_notebooks(args.notebooks), args.out.resolve())
    print(f"{len(pages)} notebook page(s), index.html and exercises.html in {args.out}; open index.html "
          "there in a browser (works offline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
