"""Point every Colab badge and Colab install URL at another repository (after forking the course).

    ./course set-repo OWNER/NAME[@REF]        # e.g. ./course set-repo ann/dl-course@v1.0
    python scripts/set_repo.py OWNER/NAME[@REF] [--root DIR]

Rewrites, in ``notebooks/*.ipynb`` and ``README.md``:

- badge URLs ``https://colab.research.google.com/github/OWNER/NAME/blob/REF/notebooks/....ipynb``
- install URLs ``git+https://github.com/OWNER/NAME@REF`` (the setup cells' ``%pip install`` line)

``REF`` (a branch, tag or commit) defaults to ``main``; the badge opens the notebook at that ref and
the setup cell installs the helpers from the same ref, so the two always match. Notebooks are
loaded as JSON, only the matching strings of cell sources are changed, and each file is written
back in the normalized form (``scripts/normalize_notebooks.py``) atomically. Running it twice with
the same target changes nothing the second time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import NamedTuple

# ``./course set-repo`` may run before the project's environment exists (with the system Python):
# helpers/__init__.py and helpers/files.py import only the standard library, so this works anywhere.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.files import atomic_write_text  # noqa: E402  (the one atomic write)

DEFAULT_REF = "main"

_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
_NAME = r"[A-Za-z0-9._-]{1,100}"
_REF = r"[A-Za-z0-9._][A-Za-z0-9._/-]{0,199}"
_TARGET = re.compile(rf"(?P<owner>{_OWNER})/(?P<name>{_NAME})(?:@(?P<ref>{_REF}))?")

# A badge: .../github/OWNER/NAME/blob/REF/notebooks/FILE.ipynb (REF may hold slashes).
BADGE_URL = re.compile(
    r"https://colab\.research\.google\.com/github/[^/\s\"'()<>]+/[^/\s\"'()<>]+/blob/"
    r"[^\s\"'()<>\\]+?/(?P<path>notebooks/[^\s\"'()<>\\]+?\.ipynb)")
# An install URL: git+https://github.com/OWNER/NAME[.git][@REF]
INSTALL_URL = re.compile(
    r"git\+https://github\.com/[^/\s\"'()<>@]+/[^/\s\"'()<>@#]+?(?:\.git)?"
    r"(?:@[^\s\"'()<>#\\]+)?(?=[\s\"'()<>#\\]|$)")  # a backslash ends it too (escaped JSON)


class Target(NamedTuple):
    owner: str
    name: str
    ref: str

    @property
    def install_url(self) -> str:
        return f"git+https://github.com/{self.owner}/{self.name}@{self.ref}"

    def badge_url(self, path: str) -> str:
        return f"https://colab.research.google.com/github/{self.owner}/{self.name}/blob/{self.ref}/{path}"


def parse_target(text: str) -> Target:
    """Parse ``OWNER/NAME[@REF]`` (REF defaults to ``main``) or raise a ``ValueError`` that says why.

    >>> parse_target("ann/dl-course@v1.0")
    Target(owner='ann', name='dl-course', ref='v1.0')
    >>> parse_target("ann/dl-course").ref
    'main'
    """
    match = _TARGET.fullmatch(text.strip()) if isinstance(text, str) else None
    ref = match and match.group("ref")
    if (not match or match.group("name") in (".", "..") or match.group("name").endswith(".git")
            or (ref and (".." in ref or ref.endswith(("/", ".lock", "."))))):
        raise ValueError(
            f"{text!r} is not a GitHub repository: give OWNER/NAME or OWNER/NAME@REF, for example "
            "'ann/dl-course' or 'ann/dl-course@v1.0' (OWNER: letters, digits and single hyphens; "
            "NAME: letters, digits, '.', '_', '-'; REF: a branch, tag or commit).")
    return Target(match.group("owner"), match.group("name"), ref or DEFAULT_REF)


def rewrite_text(text: str, target: Target) -> tuple[str, int]:
    """Return ``text`` with every badge and install URL pointing at ``target``, and how many changed."""
    changed = 0

    def badge(m: re.Match[str]) -> str:
        nonlocal changed
        new = target.badge_url(m.group("path"))
        changed += new != m.group(0)
        return new

    def install(m: re.Match[str]) -> str:
        nonlocal changed
        new = target.install_url
        changed += new != m.group(0)
        return new

    text = BADGE_URL.sub(badge, text)
    return INSTALL_URL.sub(install, text), changed


def rewrite_notebook(path: Path, target: Target) -> int:
    """Rewrite the URLs in a notebook's cell sources; return how many changed (0: file untouched)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        lines = source if isinstance(source, list) else [source]
        new_lines = []
        for line in lines:
            new, n = rewrite_text(line, target)
            new_lines.append(new)
            changed += n
        cell["source"] = new_lines if isinstance(source, list) else new_lines[0]
    if changed:
        atomic_write_text(path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


def set_repo(root: Path, target: Target) -> dict[str, int]:
    """Rewrite ``root``'s notebooks and README; return ``{file: URLs changed}`` for every file seen."""
    root = Path(root)
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"No notebooks in {root / 'notebooks'}: run this from the course folder.")
    report = {f"notebooks/{p.name}": rewrite_notebook(p, target) for p in notebooks}
    readme = root / "README.md"
    if readme.exists():
        text, n = rewrite_text(readme.read_text(encoding="utf-8"), target)
        if n:
            atomic_write_text(readme, text)
        report["README.md"] = n
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="OWNER/NAME or OWNER/NAME@REF (REF defaults to main)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the course folder (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        target = parse_target(args.target)
        report = set_repo(args.root, target)
    except (ValueError, FileNotFoundError) as error:
        print(f"set-repo: {error}", file=sys.stderr)
        return 2
    total = sum(report.values())
    for name, n in report.items():
        if n:
            print(f"{name}: {n} URL(s) now point at {target.owner}/{target.name}@{target.ref}")
    print(f"{total} URL(s) changed in {sum(1 for n in report.values() if n)} file(s)"
          + ("" if total else f" (already pointing at {target.owner}/{target.name}@{target.ref})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
