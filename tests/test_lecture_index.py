"""The README's lecture index: every linked notebook section exists, every lecture topic is listed."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TOPICS = ROOT.parent / "shared" / "lectures" / "TOPICS.md"  # beside the checkout, like the data mirror
SECTION = "## Lecture index"
_LINK = re.compile(r"\]\((notebooks/[^)#\s]+\.ipynb)#([^)\s]+)\)")


def anchor(heading: str) -> str:
    """Jupyter's anchor for a markdown heading: its text (no backticks, bold or link markup), spaces as dashes.

    >>> anchor("Two `TextVectorization` layers")
    'Two-TextVectorization-layers'
    """
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return text.replace("`", "").replace("**", "").strip().replace(" ", "-")


def notebook_anchors(nb: dict) -> set[str]:
    found = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).split("\n"):
                match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
                if match:
                    found.add(anchor(match.group(1)))
    return found


def index_section(readme: str) -> str:
    start = readme.find(f"\n{SECTION}\n")
    assert start >= 0, f"README.md has no '{SECTION}' section (the lecture index)"
    end = readme.find("\n## ", start + len(SECTION) + 2)
    return readme[start: end if end >= 0 else len(readme)]


def broken_links(section: str, root: Path = ROOT) -> list[str]:
    """Links of the section whose notebook or heading does not exist."""
    broken = []
    cache: dict[str, set[str]] = {}
    for path, fragment in _LINK.findall(section):
        target = root / path
        if not target.exists():
            broken.append(f"{path} (no such notebook)")
            continue
        if path not in cache:
            cache[path] = notebook_anchors(json.loads(target.read_text(encoding="utf-8")))
        if urllib.parse.unquote(fragment) not in cache[path]:
            broken.append(f"{path}#{fragment} (no heading '{urllib.parse.unquote(fragment).replace('-', ' ')}')")
    return broken


def test_every_linked_section_heading_exists():
    section = index_section(README.read_text(encoding="utf-8"))
    links = _LINK.findall(section)
    assert len(links) >= 50, "the lecture index links fewer sections than expected"
    assert broken_links(section) == [], (
        "the lecture index links section headings that no longer exist: update README.md's "
        f"'{SECTION}' (links are notebooks/NN_name.ipynb#Heading-with-dashes)")


def test_every_lecture_topic_has_a_row():
    if not TOPICS.exists():
        pytest.skip(f"{TOPICS} is not beside the checkout")
    numbers = {int(n) for n in re.findall(r"^(\d+)\. ", TOPICS.read_text(encoding="utf-8"), re.M)}
    section = index_section(README.read_text(encoding="utf-8"))
    rows = {int(n) for n in re.findall(r"^\| (\d+) \|", section, re.M)}
    assert numbers and numbers == rows, f"topics without a row: {sorted(numbers - rows)}; unknown: {sorted(rows - numbers)}"
    for line in section.splitlines():
        if re.match(r"^\| \d+ \|", line):
            assert _LINK.search(line) or "not covered" in line, f"say 'not covered' when no section teaches: {line}"


def test_checker_catches_a_renamed_heading(tmp_path):
    (tmp_path / "notebooks").mkdir()
    nb = {"cells": [{"cell_type": "markdown", "source": ["# Title\n", "\n", "## Beam search\n"]},
                    {"cell_type": "markdown", "source": "### Two `TextVectorization` layers (toy)"}]}
    (tmp_path / "notebooks" / "03_x.ipynb").write_text(json.dumps(nb))
    good = ("[a](notebooks/03_x.ipynb#Beam-search) [b](notebooks/03_x.ipynb#Two-TextVectorization-layers-%28toy%29)")
    assert broken_links(good, tmp_path) == []
    assert broken_links("[a](notebooks/03_x.ipynb#Beam-Search)", tmp_path) == [
        "notebooks/03_x.ipynb#Beam-Search (no heading 'Beam Search')"]
    assert broken_links("[a](notebooks/04_y.ipynb#Beam-search)", tmp_path) == [
        "notebooks/04_y.ipynb (no such notebook)"]
