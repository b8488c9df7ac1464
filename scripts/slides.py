"""Build reveal.js slides from the stored notebooks, for presenting in class (works offline).

    ./course slides            # every notebook -> build/slides/NN_name.slides.html (+ index.html)
    ./course slides 03 05      # some notebooks, by number or name

Each notebook is converted as stored (nothing is executed) by nbconvert's reveal.js exporter. The
slide layout is added on the fly, in the copy only: the title and every ``##`` section start a
slide, every ``###`` a sub-slide (down arrow), everything else follows on the same slide; long
slides and long outputs scroll. reveal.js, RequireJS, jQuery and MathJax 2 are loaded from
``build/slides/_vendor`` (installed with npm on the first build, pinned versions, not committed),
never from a CDN, so a deck opens from disk without a network. Open one in a browser; ``s`` shows
the speaker view, ``Esc`` the overview.
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers.files import atomic_write_text  # noqa: E402  (one atomic write for the whole project)

sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import select_notebooks  # noqa: E402  (one notebook selection for every command)
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "build" / "slides"
VENDOR = "_vendor"
NPM_PACKAGES = {"reveal.js": "4.6.0", "requirejs": "2.3.8", "jquery": "3.8.0", "mathjax": "2.7.9"}
"""Pinned front-end packages (reveal.js 4: what nbconvert's reveal template is written for;
MathJax 2: its template calls ``MathJax.Hub``)."""

CSS = """
/* course slides: long content scrolls instead of running off the slide */
.reveal .slides > section, .reveal .slides > section > section { overflow-y: auto; max-height: 100%; }
.reveal .jp-OutputArea-output pre { max-height: 14em; overflow-y: auto; font-size: 15px; }
.reveal .jp-InputArea-editor pre { max-height: 22em; overflow-y: auto; }
.reveal .jp-RenderedImage img { max-height: 60vh; width: auto; }
.reveal table { font-size: 16px; }
"""


def slide_type(cell: dict) -> str:
    """``slide`` for the title and ``##`` sections, ``subslide`` for ``###``, else ``-`` (same slide).

    >>> slide_type({"cell_type": "markdown", "source": "## Setup\\n"})
    'slide'
    """
    text = "".join(cell.get("source", "")).lstrip()
    if cell.get("cell_type") != "markdown":
        return "-"
    if re.match(r"#{1,2}\s", text):
        return "slide"
    if re.match(r"###\s", text):
        return "subslide"
    return "-"


_HEADING = re.compile(r"^(?=#{1,3}\s)", re.M)


def split_at_headings(cell: dict) -> list[dict]:
    """A markdown cell cut before each ``#``/``##``/``###`` line that is not its first, so that a section
    starting mid-cell still opens its own slide; other cells unchanged.

    >>> [c["source"] for c in split_at_headings({"cell_type": "markdown", "source": "Text.\\n## B\\nMore"})]
    ['Text.\\n', '## B\\nMore']
    """
    if cell.get("cell_type") != "markdown":
        return [cell]
    parts = _HEADING.split("".join(cell.get("source", "")))
    if len(parts) > 1 and not parts[0].strip():  # blank lines before the first heading stay with it
        parts = [parts[0] + parts[1], *parts[2:]]
    pieces = [dict(copy.deepcopy(cell), source=part) for part in parts]  # each its own metadata
    for i, piece in enumerate(pieces[1:], 1):
        piece["id"] = f"{cell.get('id', 'cell')}-{i}"
    return pieces


def with_slide_metadata(nb: dict) -> dict:
    """A copy of ``nb`` with ``metadata.slideshow.slide_type`` on every cell (the first is a slide);
    markdown cells are first cut at their headings (``split_at_headings``)."""
    nb = copy.deepcopy(nb)
    nb["cells"] = [part for cell in nb["cells"] for part in split_at_headings(cell)]
    for i, cell in enumerate(nb["cells"]):
        kind = "slide" if i == 0 else slide_type(cell)
        if not "".join(cell.get("source", "")).strip():
            kind = "skip"
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
    return nb


def select(names: list[str]) -> list[Path]:
    """Notebooks to build: all when ``names`` is empty, else each by number (``03``) or name (the
    selection ``./course demo`` and ``./course colab-check`` use)."""
    return select_notebooks(names)


def ensure_vendor(out: Path) -> Path:
    """Install the pinned front-end packages under ``out/_vendor`` with npm (once)."""
    vendor = out / VENDOR
    modules = vendor / "node_modules"
    stamp = vendor / "versions.json"
    if stamp.exists() and json.loads(stamp.read_text()) == NPM_PACKAGES and modules.is_dir():
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("slides: npm is needed once, to install reveal.js into build/slides/_vendor "
                         "(install Node.js, e.g. apt-get install -y npm, then run this again).")
    vendor.mkdir(parents=True, exist_ok=True)
    atomic_write_text(vendor / "package.json", '{"private": true}\n')
    print("Installing reveal.js, RequireJS, jQuery and MathJax into build/slides/_vendor (once)...",
          flush=True)
    specs = [f"{name}@{version}" for name, version in NPM_PACKAGES.items()]
    subprocess.run([npm, "install", "--prefix", str(vendor), "--no-audit", "--no-fund",
                    "--loglevel=error", *specs], check=True)
    for name in NPM_PACKAGES:
        if not (modules / name).is_dir():
            raise SystemExit(f"slides: npm did not install {name} into {modules}")
    atomic_write_text(stamp, json.dumps(NPM_PACKAGES, indent=1) + "\n")
    return modules


def exporter(prefix: str):
    """nbconvert's slides exporter, pointed at the local copies under ``prefix`` (a relative URL)."""
    from nbconvert import SlidesExporter

    return SlidesExporter(
        reveal_url_prefix=f"{prefix}/reveal.js",
        require_js_url=f"{prefix}/requirejs/require.js",
        jquery_url=f"{prefix}/jquery/dist/jquery.min.js",
        mathjax_url=f"{prefix}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        mermaid_js_url=f"{prefix}/mermaid-absent.mjs",  # the notebooks have no mermaid diagrams
        reveal_theme="white",
        reveal_transition="none",
        reveal_scroll=True,
        reveal_number="c/t",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def build(paths: list[Path], out: Path = OUT) -> list[Path]:
    """Write ``out/NN_name.slides.html`` for each notebook and ``out/index.html``; return the decks."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    ensure_vendor(out)
    slides = exporter(f"{VENDOR}/node_modules")
    decks = []
    for path in paths:
        stored = json.loads(path.read_text(encoding="utf-8"))
        nb = nbformat.reads(json.dumps(with_slide_metadata(stored)), as_version=4)
        body, _ = slides.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        if "</head>" not in body:
            raise RuntimeError(f"nbconvert gave no <head> for {path.name}")
        body = body.replace("</head>", f'<style type="text/css">{CSS}</style>\n</head>', 1)
        for cdn in ("https://unpkg.com", "https://cdnjs.cloudflare.com", "https://cdn.jsdelivr.net"):
            if cdn in body:
                raise RuntimeError(f"{path.name}: the deck still loads from {cdn}")
        deck = out / f"{path.stem}.slides.html"
        atomic_write_text(deck, body)
        sections = body.count("<section")
        print(f"{deck.relative_to(ROOT) if deck.is_relative_to(ROOT) else deck}: {sections} slides and sub-slides")
        decks.append(deck)
    everything = sorted(out.glob("[0-9]*.slides.html"))
    items = "\n".join(f'<li><a href="{html.escape(d.name)}">{html.escape(d.name.split(".")[0])}</a></li>'
                      for d in everything)
    atomic_write_text(out / "index.html", f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Course "
                  f"slides</title></head>\n<body><h1>Course slides</h1>\n<ul>\n{items}\n</ul>\n</body></html>\n")
    return decks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="numbers or names (default: every notebook)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: build/slides)")
    args = parser.parse_args(argv)
    decks = build(select(args.notebooks), args.out.resolve())
    print(f"{len(decks)} deck(s) in {args.out}; open index.html there (offline; 's' for speaker notes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
